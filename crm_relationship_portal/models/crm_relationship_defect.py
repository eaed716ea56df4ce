import mimetypes
import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import plaintext2html
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.crm_relationship.models.crm_relationship_tools import get_int_param

CUSTOMER_SUBTYPE_XMLID = "crm_relationship_portal.crm_relationship_defect_mt_customer"
# Files a customer attaches on the portal (ir.config_parameter name: default)
ATTACHMENT_TYPES_PARAM = "crm_relationship_portal.attachment_types"
ATTACHMENT_TYPES_DEFAULT = "jpg,jpeg,png,webp,heic,pdf"
ATTACHMENT_MAX_SIZE_PARAM = "crm_relationship_portal.attachment_max_size_mb"
ATTACHMENT_MAX_SIZE_DEFAULT = 10
ATTACHMENT_MAX_COUNT_PARAM = "crm_relationship_portal.attachment_max_count"
ATTACHMENT_MAX_COUNT_DEFAULT = 5
# Content types of the extensions Python does not know (or knows otherwise)
EXTENSION_MIMETYPES = {
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "heic": ("image/heic", "image/heif"),
    "heif": ("image/heic", "image/heif"),
    "webp": ("image/webp",),
}
# ISO base media brands of HEIF pictures (phone photos), which Odoo's own sniffer does not know
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def sniff_mimetype(content):
    """The content type of ``content`` read from its bytes, whatever its file name says."""
    mimetype = guess_mimetype(content, default="application/octet-stream")
    if (
        mimetype not in ("image/heic", "image/heif")
        and content[4:8] == b"ftyp"
        and content[8:12] in HEIF_BRANDS
    ):
        return "image/heic"
    return mimetype


def expected_mimetypes(extension):
    """The content types a file named ``*.extension`` may have."""
    if extension in EXTENSION_MIMETYPES:
        return EXTENSION_MIMETYPES[extension]
    mimetype = mimetypes.guess_type(f"file.{extension}")[0]
    return (mimetype,) if mimetype else ()


class CrmRelationshipDefect(models.Model):
    _name = "crm.relationship.defect"
    _inherit = ("crm.relationship.rating.mixin", "crm.relationship.defect")
    _crm_rating_partner_field = "contact_id"
    _crm_rating_user_field = "user_call_center_id"

    # ------------------------------------------------------------------
    # Satisfaction
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_rating_template(self):
        return self.env.ref("crm_relationship_portal.crm_relationship_defect_mail_template_rating")

    def action_resolve(self):
        """Resolve the reports and ask their customers how it went."""
        res = super().action_resolve()
        self._crm_send_rating_request()
        return res

    def _crm_get_low_rating_responsible(self):
        return self.user_call_center_id or super()._crm_get_low_rating_responsible()

    # ------------------------------------------------------------------
    # Customer portal
    # ------------------------------------------------------------------

    report_origin = fields.Selection(
        [("staff", "Staff"), ("portal", "Customer Portal")],
        string="Reported Through",
        required=True,
        default="staff",
        readonly=True,
        copy=False,
        help="Portal: the customer reported the problem himself on the customer portal.",
    )
    preferred_channel = fields.Selection(
        [("phone", "Phone"), ("email", "E-mail"), ("portal", "Customer Portal")],
        string="Preferred Contact Channel",
        tracking=True,
        help="How the customer prefers to be contacted about the report.",
    )

    @api.model
    def _crm_get_portal_products(self, partner):
        """Products ``partner``'s customer may report a problem about without a
        serial number: those of its units and of the goods delivered to it
        (``stock.move.line._crm_get_customer_delivery_domain()``)."""
        Equipment = self.env["crm.relationship.equipment"].sudo()
        products = Equipment.search(Equipment._crm_get_portal_domain(partner)).product_id
        MoveLine = self.env["stock.move.line"].sudo()
        delivered = MoveLine._read_group(
            MoveLine._crm_get_customer_delivery_domain()
            & Domain("picking_partner_id.commercial_partner_id", "=", partner.commercial_partner_id.id),
            ["product_id"],
        )
        products = products.union(*(product for (product,) in delivered))
        return products.filtered("active").sorted("display_name")

    def _crm_get_customer_recipient(self):
        """The partner written to when staff messages the customer: the contact, else the customer."""
        self.ensure_one()
        return self.contact_id or self.partner_id

    def _crm_get_portal_message_domain(self):
        """Messages of the reports of ``self`` meant for their customer.

        The messages staff posted with the subtype "Message to the Customer",
        and the messages the people of the report's customer wrote (on the
        portal or by e-mail). Never notes, tracking, nor the messages staff
        sends to each other. The portal pages and the attachment downloads
        use this domain only.
        """
        subtype = self.env.ref(CUSTOMER_SUBTYPE_XMLID)
        by_customer = [
            Domain("res_id", "in", defects.ids)
            & Domain("author_id.commercial_partner_id", "=", customer.id)
            & Domain("subtype_id.internal", "=", False)
            for customer, defects in self.grouped("partner_id").items()
            if customer
        ]
        return (
            Domain("model", "=", self._name)
            & Domain("res_id", "in", self.ids)
            & Domain("message_type", "in", ("comment", "email"))
            & Domain("is_internal", "=", False)
            & (Domain("subtype_id", "=", subtype.id) | Domain.OR(by_customer))
        )

    def _crm_get_portal_messages(self):
        """The messages of the reports of ``self`` shown to their customer, oldest first."""
        return (
            self.env["mail.message"]
            .sudo()
            .search(self._crm_get_portal_message_domain(), order="date asc, id asc")
        )

    @api.model
    def _crm_get_portal_attachment_limits(self):
        """Limits of the files a customer attaches on the portal, from the settings:
        ``{"extensions", "max_size" (bytes), "max_count"}`` (0: no limit)."""
        types = self.env["ir.config_parameter"].sudo().get_param(ATTACHMENT_TYPES_PARAM)
        extensions = [
            extension.strip().lower().lstrip(".")
            for extension in (types or ATTACHMENT_TYPES_DEFAULT).split(",")
            if extension.strip()
        ]
        return {
            "extensions": extensions,
            "max_size": get_int_param(self.env, ATTACHMENT_MAX_SIZE_PARAM, ATTACHMENT_MAX_SIZE_DEFAULT)
            * 1024
            * 1024,
            "max_count": get_int_param(self.env, ATTACHMENT_MAX_COUNT_PARAM, ATTACHMENT_MAX_COUNT_DEFAULT),
        }

    @api.model
    def _crm_check_portal_attachments(self, files):
        """Refuse, with a sentence the customer understands, the ``files``
        (``[(file name, content)]``) a customer may not attach on the portal.

        Their number, their size, their extension and their content (sniffed,
        so a renamed program is refused) must fit the limits of the settings
        (:meth:`_crm_get_portal_attachment_limits`). Override to check more.
        """
        limits = self._crm_get_portal_attachment_limits()
        max_count, max_size = limits["max_count"], limits["max_size"]
        if max_count and len(files) > max_count:
            raise UserError(self.env._("You can attach at most %s files.", max_count))
        accepted = ", ".join(limits["extensions"])
        for name, content in files:
            extension = os.path.splitext(name or "")[1].lower().lstrip(".")
            if extension not in limits["extensions"]:
                raise UserError(
                    self.env._(
                        "The file %(file)s cannot be attached: only these types of files are accepted: "
                        "%(types)s.",
                        file=name,
                        types=accepted,
                    )
                )
            if max_size and len(content) > max_size:
                raise UserError(
                    self.env._(
                        "The file %(file)s cannot be attached: it is larger than %(size)s MB.",
                        file=name,
                        size=max_size // (1024 * 1024),
                    )
                )
            if not content:
                raise UserError(self.env._("The file %s cannot be attached: it is empty.", name))
            if sniff_mimetype(content) not in expected_mimetypes(extension):
                raise UserError(
                    self.env._(
                        "The file %(file)s cannot be attached: its content is not a %(type)s file.",
                        file=name,
                        type=extension,
                    )
                )

    @api.model
    def _prepare_portal_defect_values(
        self, partner, description, equipment=None, product=None, preferred_channel=None
    ):
        """Values of the report ``partner`` makes on the portal about its unit
        ``equipment`` or a ``product`` without serial; override to pre-fill more.

        The responsibles are left empty: the routing rules fill them.
        """
        equipment = equipment or self.env["crm.relationship.equipment"]
        product = equipment.product_id or product or self.env["product.product"]
        return {
            "report_origin": "portal",
            "partner_id": partner.commercial_partner_id.id,
            "contact_id": partner.id,
            "equipment_id": equipment.id,
            "product_id": product.id,
            "description": plaintext2html(description),
            "preferred_channel": preferred_channel or "portal",
            "company_id": (equipment.company_id or self.env.company).id,
            "user_call_center_id": False,
        }

    @api.model
    def _crm_create_portal_defect(self, values, files=()):
        """Create the report a customer made on the portal and hand it to the call center.

        Called with ``sudo()`` by the portal once it checked that the unit or
        the product is the customer's and that the ``files`` may be attached.
        The report is routed like the others (empty responsibles filled from
        the routing rules), the call-center responsible follows it and gets an
        activity to confirm it, the files are posted in a message of the
        customer, and the customer gets a confirmation e-mail.
        """
        defect = self.with_context(mail_create_nosubscribe=True).create(values)
        routing = defect._get_routed_recipients()
        self.env["crm.relationship.defect.route"]._assign_defect_responsibles(routing)
        if defect.user_call_center_id:
            defect.message_subscribe(partner_ids=defect.user_call_center_id.partner_id.ids)
        defect._crm_plan_portal_confirmation_activity()
        if files:
            defect._crm_post_portal_message(
                defect.contact_id, self.env._("Files attached to the report."), files
            )
        defect._crm_send_portal_received_mail()
        return defect

    def _crm_plan_portal_confirmation_activity(self):
        """Ask the call-center responsible of each report (in his language) to confirm it."""
        for defect in self:
            responsible = defect.user_call_center_id or self.env.ref("base.user_admin")
            defect = defect.with_context(lang=responsible.lang or defect._get_mail_lang())
            defect.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=responsible.id,
                summary=defect.env._("Confirm the report made on the portal"),
                note=defect.env._(
                    "%(contact)s reported this problem on the customer portal: check it with the "
                    "customer and confirm the report.",
                    contact=defect.contact_id.name or defect.partner_id.name,
                ),
            )

    def _crm_send_portal_received_mail(self):
        """Queue the e-mail telling the customer's contact that the report was received."""
        template = self.env.ref(
            "crm_relationship_portal.crm_relationship_defect_mail_template_portal_received"
        )
        for defect in self.filtered(lambda defect: defect._crm_get_customer_recipient().email):
            template.send_mail(defect.id, email_layout_xmlid="mail.mail_notification_light")
        self._trigger_mail_queue()

    def _crm_post_portal_message(self, partner, body, files=()):
        """Post the message ``partner`` of the customer writes on the portal, with ``files`` attached.

        Called with ``sudo()`` after the checks; the author does not become a
        follower (the report's thread stays internal), the followers who
        follow the customer's messages are notified.
        """
        self.ensure_one()
        return self.with_context(mail_create_nosubscribe=True, mail_post_autofollow=False).message_post(
            body=plaintext2html(body),
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid=CUSTOMER_SUBTYPE_XMLID,
            attachments=list(files),
        )

    def message_post(self, **kwargs):
        """Staff's messages to the customer are e-mailed to the report's contact.

        The report's thread is internal (:meth:`_mail_get_partner_fields`):
        only a message with the subtype "Message to the Customer", written by
        someone outside the customer, adds the contact to its recipients.
        """
        if len(self) == 1 and self._crm_is_customer_subtype(
            kwargs.get("subtype_xmlid"), kwargs.get("subtype_id")
        ):
            recipient = self._crm_get_customer_recipient()
            author = self.env["res.partner"].browse(kwargs.get("author_id")) or self.env.user.partner_id
            if recipient and author.commercial_partner_id != self.partner_id:
                partner_ids = list(kwargs.get("partner_ids") or [])
                if recipient.id not in partner_ids:
                    kwargs["partner_ids"] = [*partner_ids, recipient.id]
        return super().message_post(**kwargs)

    @api.model
    def _crm_is_customer_subtype(self, subtype_xmlid=None, subtype_id=None):
        if subtype_xmlid:
            return subtype_xmlid == CUSTOMER_SUBTYPE_XMLID
        return bool(subtype_id) and subtype_id == self.env.ref(CUSTOMER_SUBTYPE_XMLID).id

    def action_crm_message_customer(self):
        """Open the composer writing to the customer: the message is e-mailed to the
        contact and shown on the customer portal."""
        self.ensure_one()
        recipient = self._crm_get_customer_recipient()
        if not recipient:
            raise UserError(self.env._("Choose the customer of the report before writing to the customer."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Message the Customer"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_composition_mode": "comment",
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_message_type": "comment",
                "default_subtype_id": self.env.ref(CUSTOMER_SUBTYPE_XMLID).id,
                "default_partner_ids": recipient.ids,
            },
        }
