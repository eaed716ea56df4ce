from werkzeug.exceptions import NotFound

from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

EQUIPMENT = "crm.relationship.equipment"
DEFECT = "crm.relationship.defect"


class CrmRelationshipCustomerPortal(CustomerPortal):
    """The customer's equipment and requests on the portal (``/my/equipment``, ``/my/requests``).

    Portal users have no access rights on the equipment and the defect
    reports: every route reads the records of the user's commercial entity
    through the models' ``_crm_get_portal_domain`` with ``sudo()``, and
    answers 404 for anything else, exactly as for an id that does not exist.
    """

    # ------------------------------------------------------------------
    # Ownership: the one place where the records of the customer are read
    # ------------------------------------------------------------------

    def _crm_portal_partner(self):
        """The partner of the current portal user; other users have no customer portal pages."""
        user = request.env.user
        if not user._is_portal():
            raise NotFound()
        return user.partner_id

    def _crm_portal_domain(self, model_name, domain=None):
        """``domain`` restricted to the records of ``model_name`` of the current user's customer."""
        portal_domain = request.env[model_name]._crm_get_portal_domain(self._crm_portal_partner())
        return portal_domain & Domain(domain or Domain.TRUE)

    def _crm_portal_records(self, model_name, domain=None, **search_kwargs):
        """The records of ``model_name`` of the current user's customer (``sudo()``) matching ``domain``."""
        return (
            request.env[model_name]
            .sudo()
            .search(self._crm_portal_domain(model_name, domain), **search_kwargs)
        )

    def _crm_portal_count(self, model_name, domain=None):
        return request.env[model_name].sudo().search_count(self._crm_portal_domain(model_name, domain))

    def _crm_portal_record(self, model_name, record_id):
        """The record ``record_id`` of ``model_name`` if it is the current user's customer's, else 404."""
        try:
            record_id = int(record_id)
        except (TypeError, ValueError):
            raise NotFound() from None
        record = self._crm_portal_records(model_name, Domain("id", "=", record_id), limit=1)
        if not record:
            raise NotFound()
        return record

    def _crm_portal_page(self, model_name, domain, url, url_args, order, page):
        """One page of the customer's records of ``model_name`` matching ``domain``, and its pager."""
        pager = portal_pager(
            url=url,
            url_args=url_args,
            total=self._crm_portal_count(model_name, domain),
            page=page,
            step=self._items_per_page,
        )
        records = self._crm_portal_records(
            model_name, domain, order=order, limit=self._items_per_page, offset=pager["offset"]
        )
        return records, pager

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        is_portal = request.env.user._is_portal()
        if "crm_equipment_count" in counters:
            values["crm_equipment_count"] = self._crm_portal_count(EQUIPMENT) if is_portal else 0
        if "crm_request_count" in counters:
            values["crm_request_count"] = self._crm_portal_count(DEFECT) if is_portal else 0
        return values

    # ------------------------------------------------------------------
    # Equipment
    # ------------------------------------------------------------------

    def _crm_equipment_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest Delivery"), "order": "delivery_date desc, id desc"},
            "product": {"label": env._("Product"), "order": "name, id"},
            "serial": {"label": env._("Serial Number"), "order": "serial_number, id"},
        }

    def _crm_equipment_searchbar_inputs(self):
        env = request.env
        return {
            "all": {"input": "all", "label": env._("Search in All")},
            "serial": {"input": "serial", "label": env._("Search in Serial Number")},
            "product": {"input": "product", "label": env._("Search in Product")},
        }

    def _crm_equipment_search_domain(self, search, search_in):
        if not search:
            return Domain.TRUE
        by_serial = Domain("serial_number", "ilike", search)
        by_product = Domain("product_id", "ilike", search)
        return {"serial": by_serial, "product": by_product}.get(search_in, by_serial | by_product)

    @route(
        ["/my/equipment", "/my/equipment/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_crm_equipment(self, page=1, sortby=None, search=None, search_in="all", **kw):
        self._crm_portal_partner()
        sortings = self._crm_equipment_searchbar_sortings()
        sortby = sortby if sortby in sortings else "date"
        inputs = self._crm_equipment_searchbar_inputs()
        search_in = search_in if search_in in inputs else "all"
        domain = self._crm_equipment_search_domain(search, search_in)
        units, pager = self._crm_portal_page(
            EQUIPMENT,
            domain,
            "/my/equipment",
            {"sortby": sortby, "search_in": search_in, "search": search},
            sortings[sortby]["order"],
            page,
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "units": units,
                "page_name": "crm_equipment",
                "default_url": "/my/equipment",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
            }
        )
        return request.render("crm_relationship_portal.portal_my_crm_equipment", values)

    @route("/my/equipment/<int:equipment_id>", type="http", auth="user", website=True, readonly=True)
    def portal_my_crm_equipment_page(self, equipment_id, **kw):
        unit = self._crm_portal_record(EQUIPMENT, equipment_id)
        requests = self._crm_portal_records(DEFECT, Domain("equipment_id", "=", unit.id))
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "unit": unit,
                "components": self._crm_portal_records(EQUIPMENT, Domain("parent_id", "=", unit.id)),
                "open_requests": requests.filtered("is_open"),
                "past_requests": requests.filtered(lambda defect: not defect.is_open),
                "page_name": "crm_equipment",
            }
        )
        return request.render("crm_relationship_portal.portal_my_crm_equipment_page", values)

    # ------------------------------------------------------------------
    # Requests
    # ------------------------------------------------------------------

    def _crm_request_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "date_reported desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name desc, id desc"},
            "state": {"label": env._("Status"), "order": "state, date_reported desc, id desc"},
        }

    def _crm_request_searchbar_filters(self):
        env = request.env
        Defect = request.env[DEFECT]
        return {
            "all": {"label": env._("All"), "domain": Domain.TRUE},
            "open": {"label": env._("Open"), "domain": Defect._get_open_domain()},
            "done": {"label": env._("Resolved or Closed"), "domain": ~Defect._get_open_domain()},
        }

    @route(
        ["/my/requests", "/my/requests/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_crm_requests(self, page=1, sortby=None, filterby=None, **kw):
        self._crm_portal_partner()
        sortings = self._crm_request_searchbar_sortings()
        sortby = sortby if sortby in sortings else "date"
        filters = self._crm_request_searchbar_filters()
        filterby = filterby if filterby in filters else "all"
        domain = filters[filterby]["domain"]
        requests, pager = self._crm_portal_page(
            DEFECT,
            domain,
            "/my/requests",
            {"sortby": sortby, "filterby": filterby},
            sortings[sortby]["order"],
            page,
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "crm_requests": requests,
                "page_name": "crm_request",
                "default_url": "/my/requests",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("crm_relationship_portal.portal_my_crm_requests", values)

    def _crm_request_page_values(self, defect, **values):
        page_values = self._prepare_portal_layout_values()
        page_values.update(
            {
                "crm_request": defect,
                "crm_messages": defect._crm_get_portal_messages(),
                "attachment_limits": request.env[DEFECT]._crm_get_portal_attachment_limits(),
                "page_name": "crm_request",
                "error": None,
                "message": "",
            }
        )
        page_values.update(values)
        return page_values

    @route("/my/requests/<int:defect_id>", type="http", auth="user", website=True, readonly=True)
    def portal_my_crm_request_page(self, defect_id, report_sent=None, **kw):
        defect = self._crm_portal_record(DEFECT, defect_id)
        values = self._crm_request_page_values(defect, report_sent=bool(report_sent))
        return request.render("crm_relationship_portal.portal_my_crm_request_page", values)

    @route("/my/requests/<int:defect_id>/reply", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_crm_request_reply(self, defect_id, message="", **kw):
        defect = self._crm_portal_record(DEFECT, defect_id)
        message = (message or "").strip()
        try:
            files = self._crm_read_portal_files()
            if not message and not files:
                raise UserError(request.env._("Write your message or attach a file."))
            request.env[DEFECT]._crm_check_portal_attachments(files)
        except UserError as error:
            values = self._crm_request_page_values(defect, error=error.args[0], message=message)
            return request.render("crm_relationship_portal.portal_my_crm_request_page", values, status=400)
        defect._crm_post_portal_message(self._crm_portal_partner(), message, files)
        return request.redirect(f"/my/requests/{defect.id}#crm_portal_messages")

    @route(
        "/my/requests/attachment/<int:attachment_id>", type="http", auth="user", website=True, readonly=True
    )
    def portal_my_crm_request_attachment(self, attachment_id, **kw):
        """Download a file of a message the customer sees, never any other attachment."""
        requests = self._crm_portal_records(DEFECT)
        message = (
            request.env["mail.message"]
            .sudo()
            .search(
                requests._crm_get_portal_message_domain() & Domain("attachment_ids", "in", [attachment_id]),
                limit=1,
            )
        )
        if not message:
            raise NotFound()
        attachment = message.attachment_ids.filtered(lambda attachment: attachment.id == attachment_id)
        return request.env["ir.binary"]._get_stream_from(attachment).get_response(as_attachment=True)

    # ------------------------------------------------------------------
    # Report a problem
    # ------------------------------------------------------------------

    def _crm_read_portal_files(self):
        """The files of the form's ``attachments`` input as ``[(file name, content)]``.

        A file is read up to one byte over the size limit: enough to refuse
        it without holding a huge upload in memory.
        """
        max_size = request.env[DEFECT]._crm_get_portal_attachment_limits()["max_size"]
        files = []
        for upload in request.httprequest.files.getlist("attachments"):
            if not upload.filename:
                continue
            content = upload.read(max_size + 1) if max_size else upload.read()
            files.append((upload.filename, content))
        return files

    def _crm_report_form_values(self, partner, **values):
        Defect = request.env[DEFECT]
        form_values = self._prepare_portal_layout_values()
        form_values.update(
            {
                "units": self._crm_portal_records(EQUIPMENT, order="name, id"),
                "products": Defect.sudo()._crm_get_portal_products(partner),
                "channels": Defect._fields["preferred_channel"]._description_selection(request.env),
                "attachment_limits": Defect._crm_get_portal_attachment_limits(),
                "page_name": "crm_request_new",
                "error": None,
                "equipment_id": 0,
                "product_id": 0,
                "description": "",
                "preferred_channel": "portal",
            }
        )
        form_values.update(values)
        return form_values

    @route("/my/requests/new", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_my_crm_request_new(
        self, equipment_id=None, product_id=None, description="", preferred_channel="portal", **kw
    ):
        partner = self._crm_portal_partner()
        Defect = request.env[DEFECT]
        unit = self._crm_portal_record(EQUIPMENT, equipment_id) if equipment_id else request.env[EQUIPMENT]
        product = request.env["product.product"]
        if product_id and not unit:
            product = (
                Defect.sudo()
                ._crm_get_portal_products(partner)
                .filtered(lambda candidate: str(candidate.id) == str(product_id))
            )
            if not product:
                raise NotFound()
        channels = dict(Defect._fields["preferred_channel"]._description_selection(request.env))
        preferred_channel = preferred_channel if preferred_channel in channels else "portal"
        description = (description or "").strip()
        form_values = {
            "equipment_id": unit.id or 0,
            "product_id": product.id or 0,
            "description": description,
            "preferred_channel": preferred_channel,
        }
        if request.httprequest.method != "POST":
            return request.render(
                "crm_relationship_portal.portal_crm_request_new",
                self._crm_report_form_values(partner, **form_values),
            )
        try:
            if not unit and not product:
                raise UserError(request.env._("Choose the unit or the product the problem is about."))
            if not description:
                raise UserError(request.env._("Describe the problem."))
            files = self._crm_read_portal_files()
            Defect._crm_check_portal_attachments(files)
        except UserError as error:
            values = self._crm_report_form_values(partner, error=error.args[0], **form_values)
            return request.render("crm_relationship_portal.portal_crm_request_new", values, status=400)
        Defect = Defect.sudo()
        defect = Defect._crm_create_portal_defect(
            Defect._prepare_portal_defect_values(
                partner, description, equipment=unit, product=product, preferred_channel=preferred_channel
            ),
            files,
        )
        return request.redirect(f"/my/requests/{defect.id}?report_sent=1")
