from odoo import api, fields, models


class CrmRelationshipCallClose(models.TransientModel):
    """Closing the call of an appointment records the outcome of the event."""

    _inherit = "crm.relationship.call.close"

    event_id = fields.Many2one("calendar.event", string="Appointment", readonly=True)
    outcome_id = fields.Many2one(
        "crm.relationship.call.outcome",
        compute="_compute_outcome_id",
        store=True,
        readonly=False,
    )

    @api.depends("call_id")
    def _compute_outcome_id(self):
        for wizard in self:
            wizard.outcome_id = wizard.call_id.outcome_id

    def _prepare_call_outcome_values(self):
        """What the close writes on the call besides its state: the outcome and,
        for an appointment, when it took place and how long it lasted."""
        self.ensure_one()
        values = {}
        if self.outcome_id and self.outcome_id != self.call_id.outcome_id:
            values["outcome_id"] = self.outcome_id.id
        event = self.event_id or self.call_id.crm_event_id
        if event and event.start and event.stop:
            values["date_start"] = event.start
            values["duration"] = (event.stop - event.start).total_seconds() / 60.0
        return values

    def action_confirm(self):
        self.ensure_one()
        if self.call_id.state != "done" and (values := self._prepare_call_outcome_values()):
            self.call_id.write(values)
        result = super().action_confirm()
        self._crm_mark_meeting_done()
        return result

    def _crm_mark_meeting_done(self):
        """An appointment that took place is done: its *Meeting* activity too,
        with the outcome as feedback, so the customer's next action is the one
        planned now instead of the past meeting. Like that next action, it is
        done with the right the call proves (the operator may not edit the contact)."""
        event = self.event_id or self.call_id.crm_event_id
        if event.start and event.start <= fields.Datetime.now():
            event.sudo().activity_ids.action_feedback(feedback=self.outcome_id.name)
