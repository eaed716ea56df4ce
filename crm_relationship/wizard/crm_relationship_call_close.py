from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipCallClose(models.TransientModel):
    """Close a call: plan the next action on the customer, or say why none is needed."""

    _name = "crm.relationship.call.close"
    _description = "Close a Call"

    call_id = fields.Many2one("crm.relationship.call", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="call_id.partner_id", string="Customer")
    follow_up = fields.Selection(
        [("activity", "Plan the next action"), ("none", "No follow-up")],
        string="Next Step",
        required=True,
        default="activity",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    date_deadline = fields.Date(
        string="Due Date",
        compute="_compute_date_deadline",
        store=True,
        readonly=False,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False)]",
    )
    summary = fields.Char()
    note = fields.Html()
    no_followup_reason = fields.Text(string="Reason")

    @api.depends("activity_type_id")
    def _compute_date_deadline(self):
        for wizard in self:
            if wizard.activity_type_id:
                wizard.date_deadline = wizard.activity_type_id._get_date_deadline()
            elif not wizard.date_deadline:
                wizard.date_deadline = fields.Date.context_today(wizard)

    @api.depends("call_id")
    def _compute_user_id(self):
        for wizard in self:
            wizard.user_id = wizard.call_id.user_id or self.env.user

    def _prepare_activity_values(self):
        """Values of the next-action ``mail.activity`` created on the customer; override to add fields."""
        self.ensure_one()
        partner = self.call_id.partner_id
        return {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id,
            "activity_type_id": self.activity_type_id.id,
            "date_deadline": self.date_deadline,
            "user_id": self.user_id.id,
            "summary": self.summary or self.call_id.subject,
            "note": self.note,
        }

    def action_confirm(self):
        self.ensure_one()
        call = self.call_id
        if call.state == "done":
            raise UserError(self.env._("This call is already closed."))
        call.check_access("write")
        if self.follow_up == "none":
            if not (self.no_followup_reason or "").strip():
                raise UserError(self.env._("Say why this call needs no follow-up."))
            call.write({"state": "done", "no_followup_reason": self.no_followup_reason.strip()})
            return {"type": "ir.actions.act_window_close"}
        if not (self.activity_type_id and self.date_deadline and self.user_id):
            raise UserError(
                self.env._("To plan the next action, give its type, its due date and who is responsible.")
            )
        call.partner_id.check_access("read")
        # Operators plan next actions on customers they may read but not edit:
        # the call itself is the proof of their right to do it.
        activity = self.env["mail.activity"].sudo().create(self._prepare_activity_values())
        call.write({"state": "done", "next_action_activity_id": activity.id, "no_followup_reason": False})
        return {"type": "ir.actions.act_window_close"}
