from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_appointment_count = fields.Integer(
        string="Appointments Held",
        compute="_compute_crm_appointment_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="Appointments and visits with the customer's people that have taken place.",
    )
    crm_appointment_planned_count = fields.Integer(
        string="Appointments Planned",
        compute="_compute_crm_appointment_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_last_appointment_date = fields.Datetime(
        string="Last Appointment",
        compute="_compute_crm_appointment_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_appointment = fields.Char(
        string="Next Appointment",
        compute="_compute_crm_appointment_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="When, what, who and where.",
    )

    @api.depends_context("company", "allowed_company_ids", "tz", "lang")
    def _compute_crm_appointment_figures(self):
        self._crm_compute_figures("calendar.event", "appointments")

    @api.readonly
    def action_view_crm_appointments(self):
        """The appointments and visits with the customer's people, in the calendar."""
        action = self._crm_action_documents("calendar.action_calendar_event", "calendar.event")
        customer = self.commercial_partner_id
        action["context"] = {
            "default_partner_ids": [self.env.user.partner_id.id, self.id],
            "default_crm_contact_kind": "appointment",
        }
        action["display_name"] = self.env._("Appointments with %s", customer.display_name)
        return action
