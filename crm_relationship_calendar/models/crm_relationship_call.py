from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipCall(models.Model):
    """A call of a visit or appointment channel is planned in the calendar."""

    _inherit = "crm.relationship.call"

    # public: calls are read by Customer Relationship users only (model access); a setting of the channel.
    crm_event_kind = fields.Selection(related="channel_id.crm_event_kind")
    # public: calls are read by Customer Relationship users only (model access); events keep their rules.
    crm_event_ids = fields.One2many("calendar.event", "crm_call_id", string="Calendar Events")
    # public: calls are read by Customer Relationship users only (model access); events keep their rules.
    crm_event_id = fields.Many2one(
        "calendar.event",
        string="Calendar Event",
        compute="_compute_crm_event_id",
        help="The event planning this contact with the customer.",
    )

    @api.depends("crm_event_ids")
    def _compute_crm_event_id(self):
        for call in self:
            call.crm_event_id = call.crm_event_ids.sorted("start")[-1:]

    def action_crm_plan_appointment(self):
        """Plan the visit or appointment of this call in the calendar, with the
        customer's contact as attendee, and open it."""
        self.ensure_one()
        self.check_access("write")
        if not self.crm_event_kind:
            raise UserError(
                self.env._(
                    "Calls of the channel '%(channel)s' are not planned in the calendar.",
                    channel=self.channel_id.name,
                )
            )
        if self.state == "done":
            raise UserError(self.env._("This call is already closed."))
        event = self.crm_event_id
        if not event:
            event = self.env["calendar.event"].create(self._prepare_crm_event_values())
            event._crm_plan_meeting_activities(planned_by_call=True)
            self.message_post(
                body=self.env._("Planned in the calendar: %s", event._crm_get_appointment_summary()),
            )
        return event._get_records_action(context={})

    def _crm_get_event_start(self):
        """The call's start when it is still to come, else tomorrow at 9:00 in the operator's time zone."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.date_start and self.date_start > now:
            return self.date_start
        tomorrow = fields.Date.context_today(self) + timedelta(days=1)
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        return tz.localize(datetime.combine(tomorrow, time(9))).astimezone(pytz.utc).replace(tzinfo=None)

    def _prepare_crm_event_values(self):
        """Values of the calendar event planning this call; override to pre-fill more."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        start = self._crm_get_event_start()
        minutes = self.duration or 60.0
        values = {
            "name": self.subject,
            "start": start,
            "stop": start + timedelta(minutes=minutes),
            "user_id": self.user_id.id,
            "partner_ids": [fields.Command.set((self.user_id.partner_id | contact).ids)],
            "crm_call_id": self.id,
            "crm_contact_kind": self.crm_event_kind,
            "description": self.notes,
        }
        if self.crm_event_kind == "visit":
            lines = contact._display_address(without_company=True).splitlines()
            values["location"] = ", ".join(" ".join(line.split()) for line in lines if line.strip())
        return values

    # ------------------------------------------------------------------
    # The timeline row of a call says when and where its event is
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        summaries = super()._crm_get_timeline_summaries(ids)
        for event in self.env["calendar.event"].search([("crm_call_id", "in", list(ids))], order="start"):
            call_id = event.crm_call_id.id
            summaries[call_id] = " · ".join(
                part for part in (summaries.get(call_id), event._crm_get_appointment_summary()) if part
            )
        return summaries
