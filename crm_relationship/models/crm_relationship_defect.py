import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import SQL, email_normalize, frozendict, is_html_empty
from odoo.tools.mail import generate_tracking_message_id

from .crm_relationship_defect_route import SEVERITIES
from .crm_relationship_tools import (
    check_company_hiding_names,
    check_workflow_write,
    get_int_param,
    readable_name,
    without_workflow_env,
    workflow_env,
)

_logger = logging.getLogger(__name__)

DEADLINE_DAYS = {"low": 30, "normal": 10, "high": 5, "critical": 2}
OPEN_STATES = ("new", "confirmed", "analysis")
SECONDS_PER_DAY = 86400.0
# Status, dates and reference change through the actions (or a manager's tracked correction)
WORKFLOW_FIELDS = frozenset(
    ("state", "name", "date_confirmed", "date_analysis", "date_resolved", "date_closed")
)
# Inbound e-mail bounds (ir.config_parameter name: default)
MAIL_MAX_SIZE_PARAM = "crm_relationship.defect_mail_max_size_mb"
MAIL_MAX_SIZE_DEFAULT = 10
MAIL_MAX_ATTACHMENTS_PARAM = "crm_relationship.defect_mail_max_attachments"
MAIL_MAX_ATTACHMENTS_DEFAULT = 10


class CrmRelationshipDefect(models.Model):
    """A defect of a product reported by a customer, followed until it is closed.

    The report connects the departments involved in solving it: on
    confirmation, the people routed to it (:meth:`_get_routed_recipients`,
    from ``crm.relationship.defect.route``: routing rules, or the defaults)
    follow the report and get a templated e-mail in their language; every
    later status change notifies the followers, and replies to those e-mails
    come back to the report through the catchall address and the references
    of the e-mail (Odoo's reply routing), from the people involved only
    (:meth:`_routing_check_defect_route`).

    From the serial/lot number, :meth:`_get_traceability` finds the other
    customers who received units of the same lot (and, with
    ``crm_relationship_mrp``, of the same production batch or with the same
    component lot), so the recall wizard can call or notify them in bulk.
    """

    _name = "crm.relationship.defect"
    _description = "Defect Report"
    _inherit = (
        "mail.thread",
        "mail.activity.mixin",
        "crm.relationship.customer.document",
        "crm.relationship.customer.mixin",
    )
    _order = "date_reported desc, id desc"
    _check_company_auto = True
    _mail_post_access = "read"
    _crm_customer_path = "partner_id"
    _crm_timeline_code = 8
    _crm_card_figures = frozendict(defects=frozendict(crm_defect_count=0, crm_defect_open_count=0))
    _crm_customer_document_fields = ("equipment_id", "call_id")

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default="New",
        index="trigram",
        tracking=True,
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("confirmed", "Confirmed"),
            ("analysis", "In Analysis"),
            ("resolved", "Resolved"),
            ("closed", "Closed"),
            ("rejected", "Rejected"),
        ],
        string="Status",
        required=True,
        default="new",
        copy=False,
        index=True,
        tracking=True,
        group_expand=True,
    )
    partner_id = fields.Many2one(
        index="btree_not_null",
        help="The customer as a company (commercial entity): the report shows on its card.",
    )
    contact_id = fields.Many2one(
        compute="_compute_from_call",
        store=True,
        readonly=False,
        precompute=True,
        help="The person who reported the defect.",
    )
    equipment_id = fields.Many2one(
        compute="_compute_from_call", store=True, readonly=False, precompute=True, tracking=True
    )
    product_id = fields.Many2one(
        "product.product",
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )
    product_categ_id = fields.Many2one(
        related="product_id.categ_id", string="Product Category", store=True, index="btree_not_null"
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        compute="_compute_lot_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('product_id', '=', product_id)] if product_id else []",
    )
    call_id = fields.Many2one(
        "crm.relationship.call",
        string="Origin Call",
        index="btree_not_null",
        copy=False,
        check_company=True,
        help="The call in which the customer reported the defect.",
    )
    call_ids = fields.One2many("crm.relationship.call", "defect_id", string="Calls")
    call_count = fields.Integer(compute="_compute_call_count")
    description = fields.Html(help="What the customer reports: symptoms, when it happens, what was tried.")
    severity = fields.Selection(SEVERITIES, required=True, default="normal", tracking=True)
    category_id = fields.Many2one(
        "crm.relationship.defect.category",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        default=lambda self: self._default_category_id(),
    )
    date_reported = fields.Datetime(
        string="Reported On", required=True, default=fields.Datetime.now, tracking=True, copy=False
    )
    date_confirmed = fields.Datetime(string="Confirmed On", readonly=True, copy=False, tracking=True)
    date_analysis = fields.Datetime(string="Analysis Started On", readonly=True, copy=False, tracking=True)
    date_resolved = fields.Datetime(string="Resolved On", readonly=True, copy=False, tracking=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False, tracking=True)
    date_deadline = fields.Date(
        string="Deadline",
        compute="_compute_date_deadline",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Date by which the defect should be resolved; proposed from the severity.",
    )
    warranty_end_date = fields.Date(related="equipment_id.warranty_end_date", string="Warranty End")
    warranty_state = fields.Selection(
        [("warranty", "Under Warranty"), ("chargeable", "Chargeable")],
        string="Warranty",
        compute="_compute_warranty_state",
        store=True,
        help="Under warranty when the equipment's warranty had not ended on the day the defect was reported.",
    )
    user_sales_id = fields.Many2one(
        "res.users",
        string="Sales Responsible",
        compute="_compute_user_sales_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    user_call_center_id = fields.Many2one(
        "res.users",
        string="Call Center Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    user_production_id = fields.Many2one(
        "res.users",
        string="Production Responsible",
        compute="_compute_user_production_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    root_cause = fields.Text(tracking=True, help="Why the defect happened; required to resolve the report.")
    corrective_action = fields.Text(
        tracking=True, help="What was done to solve it and to prevent it; required to resolve the report."
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    color = fields.Integer(compute="_compute_color")
    is_open = fields.Boolean(string="Open", compute="_compute_is_open", search="_search_is_open")
    is_overdue = fields.Boolean(string="Overdue", compute="_compute_is_open", search="_search_is_overdue")
    resolution_days = fields.Float(
        string="Days to Resolve",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from the report to the resolution.",
    )
    confirmation_days = fields.Float(
        string="Days to Confirm (Call Center)",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from the report to its confirmation: the call center's part.",
    )
    analysis_days = fields.Float(
        string="Days to Solve (Production)",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from the confirmation to the resolution: production's part.",
    )
    closing_days = fields.Float(
        string="Days to Close (Sales)",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from the resolution to the closing with the customer: the sales part.",
    )
    defect_url = fields.Char(string="Link", compute="_compute_defect_url")
    # Traceability, computed from the serial/lot number when the report is displayed (one lookup for
    # all these fields, see _get_traceability)
    traced_lot_ids = fields.Many2many(
        "stock.lot",
        string="Traced Lots",
        compute="_compute_traceability",
        help="The lot of the defect and the lots sharing its origin (production batch, component lots).",
    )
    delivery_ids = fields.Many2many(
        "stock.picking",
        string="Deliveries of the Lot",
        compute="_compute_traceability",
        groups="stock.group_stock_user",
    )
    affected_partner_ids = fields.Many2many(
        "res.partner",
        string="Affected Customers",
        compute="_compute_traceability",
        help="Other customers who received units of the traced lots.",
    )
    affected_equipment_ids = fields.Many2many(
        "crm.relationship.equipment",
        compute="_compute_traceability",
    )
    affected_partner_count = fields.Integer(string="Affected Customer Count", compute="_compute_traceability")
    recall_log_ids = fields.One2many("crm.relationship.defect.recall.log", "defect_id", string="Recalls")
    recall_count = fields.Integer(compute="_compute_recall_count")

    _state_date_idx = models.Index("(state, date_reported DESC)")

    @api.model
    def _default_category_id(self):
        return self.env.ref(
            "crm_relationship.crm_relationship_defect_category_other", raise_if_not_found=False
        )

    @api.depends("equipment_id", "call_id")
    def _compute_partner_id(self):
        """The customer of the contact, else of the equipment, else of the call."""
        res = super()._compute_partner_id()
        for defect in self.filtered(lambda defect: not defect.contact_id):
            customer = defect.equipment_id.partner_id or defect.call_id.partner_id
            if customer:
                defect.partner_id = customer
        return res

    @api.depends("call_id")
    def _compute_from_call(self):
        for defect in self:
            if defect.call_id.contact_id and not defect.contact_id:
                defect.contact_id = defect.call_id.contact_id
            if defect.call_id.equipment_id and not defect.equipment_id:
                defect.equipment_id = defect.call_id.equipment_id

    @api.depends("equipment_id")
    def _compute_product_id(self):
        for defect in self:
            if defect.equipment_id:
                defect.product_id = defect.equipment_id.product_id

    @api.depends("equipment_id", "product_id")
    def _compute_lot_id(self):
        for defect in self:
            if defect.equipment_id.lot_id:
                defect.lot_id = defect.equipment_id.lot_id
            elif defect.lot_id and defect.lot_id.product_id != defect.product_id:
                defect.lot_id = False

    def _compute_call_count(self):
        counts = dict(
            self.env["crm.relationship.call"]._read_group(
                [("defect_id", "in", self.ids)], ["defect_id"], ["__count"]
            )
        )
        for defect in self:
            defect.call_count = counts.get(defect, 0)

    @api.depends("date_reported", "severity")
    def _compute_date_deadline(self):
        for defect in self:
            if defect.date_reported:
                reported = fields.Date.context_today(defect, defect.date_reported)
                defect.date_deadline = reported + timedelta(days=DEADLINE_DAYS[defect.severity or "normal"])

    @api.depends("equipment_id.warranty_end_date", "date_reported")
    def _compute_warranty_state(self):
        for defect in self:
            end = defect.equipment_id.warranty_end_date
            reported = defect.date_reported and fields.Date.context_today(defect, defect.date_reported)
            defect.warranty_state = "warranty" if end and reported and reported <= end else "chargeable"

    @api.depends("partner_id")
    def _compute_user_sales_id(self):
        for defect in self:
            if defect.partner_id.user_id:
                defect.user_sales_id = defect.partner_id.user_id

    @api.depends("company_id")
    def _compute_user_production_id(self):
        for defect in self:
            if not defect.user_production_id:
                defect.user_production_id = defect.company_id.crm_defect_production_user_id

    @api.depends("severity", "state")
    def _compute_color(self):
        colors = {"low": 0, "normal": 4, "high": 2, "critical": 1}
        for defect in self:
            defect.color = colors.get(defect.severity, 0) if defect.state in OPEN_STATES else 0

    @api.depends("state", "date_deadline")
    def _compute_is_open(self):
        today = fields.Date.context_today(self)
        for defect in self:
            defect.is_open = defect.state in OPEN_STATES
            defect.is_overdue = defect.is_open and bool(defect.date_deadline) and defect.date_deadline < today

    def _search_is_open(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        domain = self._get_open_domain()
        return domain if (operator == "in") == (True in value) else ~domain

    def _search_is_overdue(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        domain = self._get_open_domain() & Domain("date_deadline", "<", fields.Date.context_today(self))
        return domain if (operator == "in") == (True in value) else ~domain

    @api.depends("date_reported", "date_confirmed", "date_resolved", "date_closed")
    def _compute_durations(self):
        def days(start, end):
            return (end - start).total_seconds() / SECONDS_PER_DAY if start and end else 0.0

        for defect in self:
            defect.resolution_days = days(defect.date_reported, defect.date_resolved)
            defect.confirmation_days = days(defect.date_reported, defect.date_confirmed)
            defect.analysis_days = days(defect.date_confirmed, defect.date_resolved)
            defect.closing_days = days(defect.date_resolved, defect.date_closed)

    def _compute_recall_count(self):
        counts = dict(
            self.env["crm.relationship.defect.recall.log"]._read_group(
                [("defect_id", "in", self.ids)], ["defect_id"], ["__count"]
            )
        )
        for defect in self:
            defect.recall_count = counts.get(defect, 0)

    def _compute_defect_url(self):
        for defect in self:
            defect.defect_url = (
                f"{defect.get_base_url()}/odoo/defect-reports/{defect.id}" if defect.id else False
            )

    @api.depends("lot_id", "partner_id")
    def _compute_traceability(self):
        traces = self._get_traceability()
        for defect in self:
            defect.update(defect._get_traceability_values(traces[defect]))

    @api.constrains("product_id", "lot_id", "equipment_id")
    def _check_lot_id(self):
        env = self.env
        hidden = env._("a record of another company")
        for defect in self.sudo():
            if defect.lot_id and defect.lot_id.product_id != defect.product_id:
                raise ValidationError(
                    env._(
                        "The serial/lot number %(lot)s is a number of %(lot_product)s, not of %(product)s.",
                        lot=readable_name(env, defect.lot_id, hidden),
                        lot_product=readable_name(env, defect.lot_id.product_id, hidden),
                        product=readable_name(env, defect.product_id, env._("(no product)")),
                    )
                )
            if (
                defect.equipment_id
                and defect.product_id
                and defect.equipment_id.product_id != defect.product_id
            ):
                raise ValidationError(
                    env._(
                        "The equipment %(equipment)s is a %(equipment_product)s, not a %(product)s.",
                        equipment=readable_name(env, defect.equipment_id, hidden),
                        equipment_product=readable_name(env, defect.equipment_id.product_id, hidden),
                        product=readable_name(env, defect.product_id, hidden),
                    )
                )

    @api.constrains("state", "partner_id", "description")
    def _check_confirmation(self):
        for defect in self:
            if defect.state in ("new", "rejected"):
                continue
            if not defect.partner_id:
                raise ValidationError(
                    self.env._("Choose the customer before confirming the defect report %s.", defect.name)
                )
            if is_html_empty(defect.description):
                raise ValidationError(
                    self.env._(
                        "Describe the defect before confirming the defect report %s: "
                        "what the customer reports.",
                        defect.name,
                    )
                )

    @api.constrains("state", "root_cause", "corrective_action")
    def _check_resolution(self):
        for defect in self:
            if defect.state not in ("resolved", "closed"):
                continue
            missing = [
                defect._fields[fname].get_description(self.env)["string"]
                for fname in ("root_cause", "corrective_action")
                if not (defect[fname] or "").strip()
            ]
            if missing:
                raise ValidationError(
                    self.env._(
                        "To resolve the defect report %(defect)s, fill in: %(fields)s.",
                        defect=defect.name,
                        fields=", ".join(missing),
                    )
                )

    @api.constrains("date_reported")
    def _check_date_reported(self):
        now = fields.Datetime.now() + timedelta(minutes=5)
        for defect in self:
            if defect.date_reported > now:
                raise ValidationError(self.env._("A defect cannot be reported in the future."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            forced = {fname for fname in WORKFLOW_FIELDS if vals.get(fname)}
            if vals.get("name") == "New":
                forced.discard("name")
            if vals.get("state") == "new":
                forced.discard("state")
            check_workflow_write(self, forced)
        for vals in vals_list:
            if vals.get("name", "New") == "New":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    self.env["ir.sequence"].with_company(company).next_by_code("crm.relationship.defect")
                    or "New"
                )
        defects = super(CrmRelationshipDefect, without_workflow_env(self)).create(vals_list)
        for defect in defects.filtered("call_id"):
            if not defect.call_id.defect_id:
                defect.call_id.sudo().defect_id = defect
        return defects

    def write(self, vals):
        fnames = WORKFLOW_FIELDS & vals.keys()
        if "date_reported" in vals and any(defect.state != "new" for defect in self):
            # the report date counts in the handling times once the report is confirmed
            fnames |= {"date_reported"}
        check_workflow_write(self, fnames)
        return super(CrmRelationshipDefect, without_workflow_env(self)).write(vals)

    def _check_company(self, fnames=None):
        return check_company_hiding_names(self, fnames, super()._check_company)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if any(defect.state not in ("new", "rejected") for defect in self):
            raise UserError(self.env._("Only new or rejected defect reports can be deleted."))

    @api.model
    @api.readonly
    def search_panel_select_range(self, field_name, **kwargs):
        """The states and categories of the reports, with their counts. Only reads: served by a
        read replica when Odoo has one, like the list it filters."""
        return super().search_panel_select_range(field_name, **kwargs)

    # ------------------------------------------------------------------
    # Mail: gateway, tracking subtypes and templates
    # ------------------------------------------------------------------

    @api.model
    def _get_mail_bounds(self):
        """``(max size in bytes, max attachments)`` of an incoming e-mail, from the system parameters."""
        max_mb = get_int_param(self.env, MAIL_MAX_SIZE_PARAM, MAIL_MAX_SIZE_DEFAULT)
        return (
            max_mb * 1024 * 1024,
            get_int_param(self.env, MAIL_MAX_ATTACHMENTS_PARAM, MAIL_MAX_ATTACHMENTS_DEFAULT),
        )

    def _get_mail_allowed_emails(self):
        """Normalized addresses that may write to the report by e-mail.

        The report's followers, the people of its customer (the commercial
        entity and its active contacts) and the plain addresses its routing
        rules send it to. Everyone else is bounced.
        """
        self.ensure_one()
        defect = self.sudo()
        partners = defect.message_partner_ids
        if defect.partner_id:
            partners |= (
                self.env["res.partner"]
                .sudo()
                .search([("commercial_partner_id", "=", defect.partner_id.commercial_partner_id.id)])
            )
        emails = set(partners.mapped("email_normalized"))
        for entry in defect._get_routed_recipients()[defect].values():
            emails.update(email_normalize(email) for email in entry["emails"])
        emails.discard(False)
        emails.discard(None)
        return emails

    def _get_mail_refusal(self, message_dict):
        """The reason why the incoming e-mail ``message_dict`` is refused on this report, or ``None``."""
        self.ensure_one()
        max_size, max_attachments = self._get_mail_bounds()
        attachments = message_dict.get("attachments") or []
        if max_attachments and len(attachments) > max_attachments:
            return self.env._("the message has more than %s attachments.", max_attachments)
        size = len((message_dict.get("body") or "").encode()) + sum(
            len(attachment[1] or b"") for attachment in attachments
        )
        if max_size and size > max_size:
            return self.env._("the message is larger than %s MB.", max_size // (1024 * 1024))
        sender = email_normalize(message_dict.get("email_from") or "")
        if not sender or sender not in self._get_mail_allowed_emails():
            return self.env._("this address only accepts replies from the people involved in the matter.")
        return None

    @api.model
    def _routing_check_defect_route(self, message, message_dict, route, raise_exception=True):
        """Accept an incoming e-mail on a defect report, or bounce it politely and log it.

        Called by ``mail.thread._routing_check_route`` for every route that
        leads to a defect report: replies through the catchall (found by the
        references of the e-mail) as well as any alias or fallback route.
        Returns the route, ``False`` when the e-mail was bounced, or ``()``
        for a route creating a report (reports are not created from e-mails).
        """
        if not route[1]:
            self._routing_warn(
                self.env._("defect reports are not created from e-mails"),
                message_dict.get("message_id"),
                route,
                raise_exception,
            )
            return ()
        defect = self.browse(route[1])
        company = defect.company_id
        # the sender may be unknown: answer in the company's language
        defect = defect.with_context(lang=company.partner_id.lang or "en_US")
        env = defect.env
        refusal = defect._get_mail_refusal(message_dict)
        if not refusal:
            return route
        email_from = message_dict.get("email_from")
        _logger.info(
            "Routing mail from %s with Message-Id %s: refused on defect report %s: %s",
            email_from,
            message_dict.get("message_id"),
            defect.id,
            refusal,
        )
        body = Markup("<p>%(hello)s</p><p>%(text)s</p><p>%(contact)s</p><p>%(thanks)s</p>") % {
            "hello": env._("Hello,"),
            "text": env._(
                "your message to %(company)s could not be delivered: %(reason)s",
                company=company.name,
                reason=refusal,
            ),
            "contact": env._(
                "If you need to reach us, please write to %(email)s or call us.",
                email=company.email or company.name,
            ),
            "thanks": env._("Thank you for your understanding."),
        }
        self._routing_create_bounce_email(
            email_from,
            body,
            message,
            references=f"{message_dict.get('message_id')} "
            f"{generate_tracking_message_id('loop-detection-bounce-email')}",
            reply_to=company.email,
        )
        return False

    def _mail_get_partner_fields(self, introspect_fields=False):
        """The report's thread is internal: the customer is never a default
        nor a suggested recipient of its messages (customers are reached by
        calls or by the recall notice)."""
        return []

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "state" in init_values:
            if self.state == "confirmed":
                return self.env.ref("crm_relationship.crm_relationship_defect_mt_confirmed")
            if self.state == "resolved":
                # the resolution template notifies the followers (see _track_template)
                return False
            return self.env.ref("crm_relationship.crm_relationship_defect_mt_state")
        return super()._track_subtype(init_values)

    def _track_template(self, changes):
        res = super()._track_template(changes)
        if "state" in changes and self.state == "resolved":
            res["state"] = (
                self.env.ref("crm_relationship.crm_relationship_defect_mail_template_resolved"),
                {
                    "subtype_xmlid": "crm_relationship.crm_relationship_defect_mt_resolved",
                    "email_layout_xmlid": "mail.mail_notification_layout",
                },
            )
        return res

    def _notify_thread_by_email(self, message, recipients_data, **kwargs):
        """Queue the notification e-mails of defect reports.

        They are sent by the mail queue (triggered at once) in its own
        transaction: a slow or failing mail server never delays nor loses a
        defect report, and the mails it refuses stay in the queue, visible
        and retried.
        """
        kwargs["force_send"] = False
        res = super()._notify_thread_by_email(message, recipients_data, **kwargs)
        self._trigger_mail_queue()
        return res

    @api.model
    def _trigger_mail_queue(self):
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_confirm(self):
        """Confirm the reports and involve every routed person by e-mail."""
        if any(defect.state != "new" for defect in self):
            raise UserError(self.env._("Only new defect reports can be confirmed."))
        self.check_access("write")
        workflow_env(self).write({"state": "confirmed", "date_confirmed": fields.Datetime.now()})
        routing = self._get_routed_recipients()
        self.env["crm.relationship.defect.route"]._assign_defect_responsibles(routing)
        self._notify_routed_recipients(routing)
        return True

    def action_start_analysis(self):
        if any(defect.state != "confirmed" for defect in self):
            raise UserError(self.env._("Only confirmed defect reports can be put in analysis."))
        workflow_env(self).write({"state": "analysis", "date_analysis": fields.Datetime.now()})
        return True

    def action_resolve(self):
        if any(defect.state not in ("confirmed", "analysis") for defect in self):
            raise UserError(
                self.env._("Only confirmed defect reports or reports in analysis can be resolved.")
            )
        workflow_env(self).write({"state": "resolved", "date_resolved": fields.Datetime.now()})
        return True

    def action_close(self):
        if any(defect.state != "resolved" for defect in self):
            raise UserError(self.env._("Only resolved defect reports can be closed."))
        workflow_env(self).write({"state": "closed", "date_closed": fields.Datetime.now()})
        return True

    def action_reject(self):
        if any(defect.state not in OPEN_STATES for defect in self):
            raise UserError(self.env._("Only open defect reports can be rejected."))
        workflow_env(self).write({"state": "rejected"})
        return True

    def action_reset_to_new(self):
        if any(defect.state != "rejected" for defect in self):
            raise UserError(self.env._("Only rejected defect reports can be reopened."))
        workflow_env(self).write(
            {
                "state": "new",
                "date_confirmed": False,
                "date_analysis": False,
                "date_resolved": False,
                "date_closed": False,
            }
        )
        return True

    @api.readonly
    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_call_action"
        )
        action["domain"] = [("defect_id", "=", self.id)]
        action["context"] = {"default_defect_id": self.id, "default_partner_id": self.partner_id.id}
        return action

    @api.readonly
    def action_view_recalls(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_defect_recall_log_action"
        )
        action["domain"] = [("defect_id", "=", self.id)]
        return action

    @api.readonly
    def action_view_affected_equipment(self):
        """The units of the other customers traced from the report's lot. Only reads: served by a
        read replica when Odoo has one."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("id", "in", self.affected_equipment_ids.ids)]
        action["context"] = {"create": False}
        action["display_name"] = self.env._("Equipment affected by %s", self.name)
        return action

    @api.readonly
    def action_view_deliveries(self):
        """The deliveries of the lots traced from the report's lot. Only reads: served by a read
        replica when Odoo has one."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action["domain"] = [("id", "in", self._get_traceability()[self]["deliveries"].ids)]
        action["context"] = {"create": False}
        return action

    def action_open_recall(self):
        """Open the wizard calling or notifying the other customers who received the lot."""
        self.ensure_one()
        self._check_recall_allowed()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Recall: %s", self.name),
            "res_model": "crm.relationship.defect.recall",
            "view_mode": "form",
            "target": "new",
            "context": {"default_defect_id": self.id},
        }

    @api.model
    def _get_report_defect_action(self, values):
        """Return the action opening a new defect report pre-filled with ``values``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_defect_action"
        )
        action.update(
            {
                "name": self.env._("Report a Defect"),
                "views": [(self.env.ref("crm_relationship.crm_relationship_defect_view_form").id, "form")],
                "view_mode": "form",
                "target": "current",
                "context": {f"default_{fname}": value for fname, value in values.items() if value},
            }
        )
        return action

    @api.model
    def _prepare_call_defect_values(self, call):
        """Values of a defect report opened from ``call``; override to pre-fill more."""
        return {
            "call_id": call.id,
            "partner_id": call.partner_id.id,
            "contact_id": call.contact_id.id,
            "equipment_id": call.equipment_id.id,
            "description": call.notes,
            "user_call_center_id": call.user_id.id,
            "company_id": call.company_id.id,
        }

    @api.model
    def _prepare_equipment_defect_values(self, equipment):
        """Values of a defect report about ``equipment``; override to pre-fill more."""
        return {
            "partner_id": equipment.partner_id.id,
            "equipment_id": equipment.id,
            "company_id": equipment.company_id.id,
        }

    # ------------------------------------------------------------------
    # Routing and e-mails
    # ------------------------------------------------------------------

    @api.model
    def _get_open_states(self):
        """States of the defect reports still to be solved (alerts, timeline, counters)."""
        return OPEN_STATES

    @api.model
    def _get_open_domain(self):
        return Domain("state", "in", self._get_open_states())

    def _get_routed_recipients(self):
        """Who must be involved in each report of ``self``, per department, routed at once.

        ``{defect: {department: {"routes", "responsible", "partners",
        "emails"}}}``: see ``crm.relationship.defect.route._route_defects``,
        where the rules and the defaults live.
        """
        return self.env["crm.relationship.defect.route"]._route_defects(self)

    def _get_mail_lang(self, partner=None):
        """Language of the e-mail of ``partner`` (the company's language for plain addresses)."""
        return (partner and partner.lang) or self.company_id.partner_id.lang or self.env.lang or "en_US"

    def _notify_routed_recipients(self, routing):
        """Make the people of ``routing`` (see :meth:`_get_routed_recipients`)
        followers of their reports and queue the confirmation e-mail.

        One e-mail per language: each recipient reads it in his language
        (plain addresses in the company's language). The current user, who
        confirmed, only follows.
        """
        template = self.env.ref("crm_relationship.crm_relationship_defect_mail_template_confirmed")
        for defect in self:
            routed = routing[defect]
            partners = self.env["res.partner"].concat(*(entry["partners"] for entry in routed.values()))
            partners = partners.browse(dict.fromkeys(partners.ids))
            emails = list(dict.fromkeys(email for entry in routed.values() for email in entry["emails"]))
            if partners:
                defect.message_subscribe(partner_ids=partners.ids)
            defect._send_mail_per_lang(template, partners - self.env.user.partner_id, emails)
        self._trigger_mail_queue()

    def _send_mail_per_lang(self, template, partners, emails=()):
        """Queue ``template`` for ``partners`` and plain ``emails``, one mail per language."""
        self.ensure_one()
        default_lang = self._get_mail_lang()
        groups = defaultdict(lambda: self.env["res.partner"])
        for partner in partners:
            groups[self._get_mail_lang(partner)] |= partner
        if emails:
            groups[default_lang] |= self.env["res.partner"]
        mails = self.env["mail.mail"]
        reply_to = self._notify_get_reply_to()[self.id]
        for lang, group in groups.items():
            email_values = {"recipient_ids": [Command.set(group.ids)], "reply_to": reply_to}
            if lang == default_lang and emails:
                email_values["email_to"] = ",".join(emails)
            mails |= template.with_context(crm_defect_mail_lang=lang).send_mail_batch(
                self.ids,
                email_values=email_values,
                email_layout_xmlid="mail.mail_notification_layout",
            )
        return mails

    # ------------------------------------------------------------------
    # Traceability and recall
    # ------------------------------------------------------------------

    def _get_traceability(self):
        """Trace the lots of the reports of ``self`` to the other customers who received them.

        ``{defect: {"lots", "deliveries", "customers", "equipment", ...}}``
        for each report, from one lookup for all of them (a fixed number of
        queries, whatever the number of reports, lots and customers):
        ``lots``, the lots sharing the origin of the report's lot
        (``stock.lot._crm_get_origin_trace()``, whose other keys are kept);
        ``deliveries``, their deliveries to customers; ``customers``, the
        commercial entities other than the report's customer that received
        them or hold registered equipment of them (by id); ``equipment``,
        those customers' units still at the customer.
        """
        Lot = self.env["stock.lot"]
        Equipment = self.env["crm.relationship.equipment"]
        origins = self.lot_id._crm_get_origin_trace()
        traced = Lot.union(*(origin["lots"] for origin in origins.values()))
        deliveries = traced._crm_get_customer_deliveries()
        equipment = traced._crm_get_customer_equipment()
        result = {}
        for defect in self:
            trace = dict(origins.get(defect.lot_id, {"lots": Lot}))
            lots = trace["lots"]
            customer_ids = {cid for lot in lots for cid in deliveries[lot]["customers"]._ids}
            unit_ids = []
            for unit in Equipment.union(*(equipment[lot] for lot in lots)):
                holder_id = unit.partner_id.id
                customer_ids.add(holder_id)
                if holder_id != defect.partner_id.id:
                    unit_ids.append(unit.id)
            customer_ids -= {defect.partner_id.id, False}
            trace.update(
                deliveries=self.env["stock.picking"].union(*(deliveries[lot]["deliveries"] for lot in lots)),
                customers=self.env["res.partner"].browse(sorted(customer_ids)),
                equipment=Equipment.browse(unit_ids),
            )
            result[defect] = trace
        return result

    def _get_traceability_values(self, trace):
        """Values of the traceability fields of the report from its ``trace``
        (see :meth:`_get_traceability`); override to show more of it."""
        self.ensure_one()
        values = {
            "traced_lot_ids": trace["lots"],
            "affected_partner_ids": trace["customers"],
            "affected_equipment_ids": trace["equipment"],
            "affected_partner_count": len(trace["customers"]),
        }
        if self.env.user.has_group("stock.group_stock_user"):
            values["delivery_ids"] = trace["deliveries"]
        return values

    def _check_recall_allowed(self):
        """Raise unless the current user may run a recall of this report now."""
        self.ensure_one()
        self.check_access("write")
        if not self.lot_id:
            raise UserError(
                self.env._("Set the serial/lot number of the defect to find the affected customers.")
            )
        if self.state in ("new", "rejected"):
            raise UserError(self.env._("Confirm the defect report before recalling the customers."))

    def _prepare_recall_call_values(self, customer, units, user):
        """Values of the recall call to ``customer`` about its ``units``; override to pre-fill more."""
        self.ensure_one()
        return {
            "partner_id": customer.id,
            "subject": self.env._(
                "Recall %(defect)s: %(product)s, lot %(lot)s",
                defect=self.name,
                product=self.product_id.display_name or "",
                lot=self.lot_id.name or "",
            ),
            "direction": "outbound",
            "department": "call_center",
            "user_id": user.id,
            "defect_id": self.id,
            "equipment_id": units.id if len(units) == 1 else False,
            "company_id": self.company_id.id,
        }

    def _prepare_recall_log_values(self, mode, customers, **values):
        """Values of the record of a recall of ``customers`` in ``mode``; override to record more."""
        self.ensure_one()
        return dict(
            {
                "defect_id": self.id,
                "user_id": self.env.user.id,
                "mode": mode,
                "partner_ids": [Command.set(customers.ids)],
            },
            **values,
        )

    # ------------------------------------------------------------------
    # Customer document: defect reports on the card and the timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("defect", self.env._("Defect"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "crm.relationship.defect": [
                "date_reported",
                "name",
                "contact_id",
                "partner_id",
                "company_id",
                "user_production_id",
                "user_call_center_id",
                "state",
            ],
        }

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date_reported",
            "entry_type": "'defect'",
            "department": "'production'",
            "partner_id": "COALESCE(doc.contact_id, doc.partner_id)",
            "user_id": "COALESCE(doc.user_production_id, doc.user_call_center_id)",
            "is_alert": SQL("doc.state IN %s", tuple(self._get_open_states())),
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT id FROM crm_relationship_defect WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        return SQL(
            """SELECT defect.id FROM crm_relationship_defect defect
                 JOIN stock_lot lot ON lot.id = defect.lot_id
                WHERE lot.name ILIKE %s""",
            pattern,
        )

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """Severity, category, lot and warranty."""
        severities = dict(self._fields["severity"]._description_selection(self.env))
        warranty = dict(self._fields["warranty_state"]._description_selection(self.env))
        result = {}
        for defect in self.browse(ids):
            parts = [
                severities.get(defect.severity),
                defect.category_id.name,
                defect.lot_id.name,
                warranty.get(defect.warranty_state),
            ]
            result[defect.id] = " · ".join(part for part in parts if part)
        return result

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Defect reports, and those still to be solved."""
        open_states = self._get_open_states()
        result = defaultdict(lambda: defaultdict(int))
        for customer, state, count in self._read_group(
            self._crm_get_documents_domain(customers), ["partner_id", "state"], ["__count"]
        ):
            result[customer.id]["crm_defect_count"] += count
            if state in open_states:
                result[customer.id]["crm_defect_open_count"] += count
        return result
