from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import frozendict

from .crm_relationship_tools import (
    check_company_hiding_names,
    check_workflow_write,
    without_workflow_env,
)

# The operator of a call counts in the staff performance: set at creation to
# the user logging it, changed by the actions or a manager's tracked correction.
WORKFLOW_FIELDS = frozenset(("user_id",))

# Changes that move a call on the timeline of its customer.
LAST_CONTACT_FIELDS = {"partner_id", "contact_id", "date_start"}


class CrmRelationshipCall(models.Model):
    """One contact between the company and a customer, whatever the channel.

    The customer (``partner_id``) is always the commercial entity, so every
    call of every person of a customer shows on the same card; the person
    actually spoken to is ``contact_id``. A call is closed through
    :meth:`action_close`, which asks for the next planned action on the
    customer or for the reason why none is needed.
    """

    _name = "crm.relationship.call"
    _description = "Customer Call"
    _inherit = (
        "mail.thread",
        "mail.activity.mixin",
        "crm.relationship.customer.document",
        "crm.relationship.customer.mixin",
    )
    _order = "date_start desc, id desc"
    _rec_name = "subject"
    _check_company_auto = True
    _mail_post_access = "read"
    _crm_customer_path = "partner_id"
    _crm_timeline_code = 6
    _crm_card_figures = frozendict(
        calls=frozendict(crm_call_count=0, crm_main_channel_id=False, crm_channel_share=False)
    )
    _crm_contact_documents = True
    _crm_customer_document_fields = ("sale_order_id", "picking_id", "invoice_id", "equipment_id")

    subject = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        help="The customer as a company (commercial entity): the call shows on its card."
    )
    contact_id = fields.Many2one(index="btree_not_null", help="The person spoken to.")
    contact_phone = fields.Char(related="contact_id.phone", string="Contact Phone")
    contact_email = fields.Char(related="contact_id.email", string="Contact Email")
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        default="inbound",
        tracking=True,
    )
    channel_id = fields.Many2one(
        "crm.relationship.call.channel",
        required=True,
        ondelete="restrict",
        default=lambda self: self._default_channel_id(),
        tracking=True,
    )
    department = fields.Selection(
        selection="_selection_department",
        required=True,
        default=lambda self: self._default_department(),
        tracking=True,
        help="Department of the operator who handled the contact.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Operator",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    date_start = fields.Datetime(string="Start", required=True, default=fields.Datetime.now, tracking=True)
    duration = fields.Float(string="Duration (minutes)", digits=(16, 1), default=0.0)
    date_end = fields.Datetime(
        string="End",
        compute="_compute_date_end",
        inverse="_inverse_date_end",
        store=True,
        help="Start plus duration; changing it changes the duration.",
    )
    notes = fields.Html()
    outcome_id = fields.Many2one("crm.relationship.call.outcome", ondelete="restrict", tracking=True)
    sale_order_id = fields.Many2one(
        "sale.order",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', 'child_of', partner_id)] if partner_id else []",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery Note",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', 'child_of', partner_id)] if partner_id else []",
    )
    invoice_id = fields.Many2one(
        "account.move",
        index="btree_not_null",
        check_company=True,
        domain=lambda self: self._get_customer_document_field_domain("account.move"),
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [("open", "Open"), ("done", "Closed")],
        string="Status",
        required=True,
        default="open",
        copy=False,
        tracking=True,
    )
    next_action_activity_id = fields.Many2one(
        "mail.activity",
        string="Next Action",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The activity planned on the customer when the call was closed.",
    )
    next_action_date = fields.Date(related="next_action_activity_id.date_deadline", string="Next Action Date")
    next_action_user_id = fields.Many2one(
        related="next_action_activity_id.user_id", string="Next Action Responsible"
    )
    no_followup_reason = fields.Text(
        string="No Follow-up Reason", copy=False, tracking=True, help="Why no next action is needed."
    )
    defect_id = fields.Many2one(
        "crm.relationship.defect",
        string="Defect Report",
        index="btree_not_null",
        copy=False,
        check_company=True,
        help="The defect report this call is about: the one it opened, or the recall it belongs to.",
    )
    is_defect_reported = fields.Boolean(string="Defect Reported", compute="_compute_is_defect_reported")
    partner_country_id = fields.Many2one(related="partner_id.country_id", string="Customer Country")
    partner_category_ids = fields.Many2many(related="partner_id.category_id", string="Customer Tags")

    _partner_date_idx = models.Index("(partner_id, date_start DESC)")
    _user_date_idx = models.Index("(user_id, date_start DESC)")

    @api.model
    def _selection_department(self):
        """The departments of the customer timeline, so calls and timeline entries match."""
        return self.env["crm.relationship.timeline"]._fields["department"].selection

    @api.model
    def _default_channel_id(self):
        return self.env.ref("crm_relationship.crm_relationship_call_channel_phone", raise_if_not_found=False)

    @api.model
    def _default_department(self):
        """The department of the operator's last call, so an operator picks it once."""
        last = self.search_fetch(
            [("user_id", "=", self.env.uid)], ["department"], limit=1, order="date_start desc, id desc"
        )
        return last.department or "other"

    @api.depends("outcome_id")
    def _compute_is_defect_reported(self):
        outcome = self.env.ref(
            "crm_relationship.crm_relationship_call_outcome_defect", raise_if_not_found=False
        )
        for call in self:
            call.is_defect_reported = bool(outcome) and call.outcome_id == outcome

    @api.depends("date_start", "duration")
    def _compute_date_end(self):
        for call in self:
            call.date_end = call.date_start and call.date_start + timedelta(minutes=call.duration or 0.0)

    def _inverse_date_end(self):
        for call in self:
            if call.date_start and call.date_end:
                if call.date_end < call.date_start:
                    raise ValidationError(self.env._("A call cannot end before it starts."))
                call.duration = (call.date_end - call.date_start).total_seconds() / 60.0

    @api.constrains("partner_id")
    def _check_partner_id(self):
        if any(not call.partner_id for call in self):
            raise ValidationError(self.env._("A call must have a customer."))

    @api.constrains("date_start", "date_end", "duration")
    def _check_duration(self):
        for call in self:
            if call.duration < 0:
                raise ValidationError(self.env._("The duration of a call cannot be negative."))
            if call.date_end and call.date_start and call.date_end < call.date_start:
                raise ValidationError(self.env._("A call cannot end before it starts."))

    @api.constrains("state", "no_followup_reason")
    def _check_next_action(self):
        for call in self:
            if call.state == "done" and not call.next_action_activity_id and not call.no_followup_reason:
                raise ValidationError(
                    self.env._(
                        "Before closing the call '%(call)s', plan the next action or say why no follow-up is "
                        "needed.",
                        call=call.display_name,
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and self.contact_id.commercial_partner_id != self.partner_id:
            self.contact_id = False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("user_id") and vals["user_id"] != self.env.uid:
                check_workflow_write(self, {"user_id"})
        calls = super(CrmRelationshipCall, without_workflow_env(self)).create(vals_list)
        self.env["res.partner"]._crm_touch_last_contact(self._name, calls.ids)
        return calls

    def write(self, vals):
        check_workflow_write(self, WORKFLOW_FIELDS & vals.keys())
        if not LAST_CONTACT_FIELDS & vals.keys():
            return super(CrmRelationshipCall, without_workflow_env(self)).write(vals)
        customers = self.partner_id
        result = super(CrmRelationshipCall, without_workflow_env(self)).write(vals)
        self.env["res.partner"]._crm_refresh_relationship_status(
            (customers | self.partner_id).ids, next_activity=False
        )
        return result

    def unlink(self):
        customers = self.partner_id
        result = super().unlink()
        self.env["res.partner"]._crm_refresh_relationship_status(customers.ids, next_activity=False)
        return result

    def _check_company(self, fnames=None):
        return check_company_hiding_names(self, fnames, super()._check_company)

    @api.model
    @api.readonly
    def search_panel_select_range(self, field_name, **kwargs):
        """The channels, departments and outcomes of the calls, with their counts. Only reads:
        served by a read replica when Odoo has one, like the list it filters."""
        return super().search_panel_select_range(field_name, **kwargs)

    def action_close(self):
        """Open the wizard asking the next planned action (or why there is none)."""
        self.ensure_one()
        if self.state == "done":
            raise UserError(self.env._("This call is already closed."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Close Call"),
            "res_model": "crm.relationship.call.close",
            "view_mode": "form",
            "target": "new",
            "context": {"default_call_id": self.id},
        }

    def action_reopen(self):
        self.write({"state": "open"})

    def action_report_defect(self):
        """Open the defect report of this call, or a new one pre-filled from the call."""
        self.ensure_one()
        Defect = self.env["crm.relationship.defect"]
        if self.defect_id:
            return {
                "type": "ir.actions.act_window",
                "res_model": "crm.relationship.defect",
                "res_id": self.defect_id.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        return Defect._get_report_defect_action(Defect._prepare_call_defect_values(self))

    @api.model
    def _get_log_call_action(self, values):
        """Return the action opening a new call pre-filled with ``values`` (field names to values)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_call_action"
        )
        context = {f"default_{fname}": value for fname, value in values.items() if value}
        action.update(
            {
                "name": self.env._("Log a Call"),
                "views": [(self.env.ref("crm_relationship.crm_relationship_call_view_form").id, "form")],
                "view_mode": "form",
                "target": "current",
                "context": context,
            }
        )
        return action

    @api.model
    def _prepare_partner_call_values(self, partner):
        """Values of a new call with ``partner`` (a company or a person); override to pre-fill more."""
        values = {
            "partner_id": partner.commercial_partner_id.id,
            "contact_id": partner.id
            if partner != partner.commercial_partner_id and partner.type == "contact"
            else False,
        }
        if partner.company_id:
            values["company_id"] = partner.company_id.id
        return values

    # ------------------------------------------------------------------
    # Customer document: calls on the card and the timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("call", self.env._("Call"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "crm.relationship.call": [
                "date_start",
                "department",
                "subject",
                "contact_id",
                "partner_id",
                "company_id",
                "user_id",
                "state",
            ],
        }

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date_start",
            "entry_type": "'call'",
            "department": "doc.department",
            "name": "doc.subject",
            "partner_id": "COALESCE(doc.contact_id, doc.partner_id)",
            "user_id": "doc.user_id",
        }

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """Channel, direction and outcome."""
        directions = dict(self._fields["direction"]._description_selection(self.env))
        result = {}
        for call in self.browse(ids):
            parts = [call.channel_id.name, directions.get(call.direction), call.outcome_id.name]
            result[call.id] = " · ".join(part for part in parts if part)
        return result

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Number of calls, and the share of each channel over this month and
        the 11 before, from one grouped query for all the customers."""
        since = fields.Date.context_today(self).replace(day=1) - relativedelta(months=11)
        counts = defaultdict(int)
        recent = defaultdict(lambda: defaultdict(int))
        for partner, channel, month, count in self._read_group(
            self._crm_get_documents_domain(customers),
            ["partner_id", "channel_id", "date_start:month"],
            ["__count"],
        ):
            counts[partner.id] += count
            if month and fields.Date.to_date(month) >= since:
                recent[partner.id][channel] += count
        result = {}
        for customer_id, count in counts.items():
            by_channel = recent[customer_id]
            total = sum(by_channel.values())
            ranked = sorted(by_channel.items(), key=lambda item: (-item[1], item[0].id))
            result[customer_id] = {
                "crm_call_count": count,
                "crm_main_channel_id": ranked[0][0] if ranked else False,
                "crm_channel_share": " · ".join(
                    f"{channel.name} {round(channel_count / total * 100)}%"
                    for channel, channel_count in ranked
                )
                or False,
            }
        return result
