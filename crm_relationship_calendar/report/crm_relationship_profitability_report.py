from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from odoo.addons.crm_relationship.models.row_id import row_id


class CrmRelationshipProfitabilityReport(models.Model):
    """The time of the appointments and visits with a customer is part of its cost to serve."""

    _inherit = "crm.relationship.profitability.report"

    source = fields.Selection(selection_add=[("appointment", "Appointment")])

    _depends = frozendict(
        {
            "calendar.event": [
                "name",
                "start",
                "stop",
                "crm_customer_id",
                "crm_company_id",
                "crm_call_id",
                "privacy",
                "active",
            ],
        }
    )

    @api.model
    def _get_branches(self):
        """Branch 10: the appointments held that no call records (a call carries its own time)."""
        return [*super()._get_branches(), self._get_appointment_branch()]

    @api.model
    def _get_appointment_branch(self):
        Events = self.env["calendar.event"]
        return self._branch(
            self._get_appointment_branch_select(),
            SQL("calendar_event e"),
            SQL(
                "%s AND NOT %s AND e.start <= (now() AT TIME ZONE 'UTC')",
                Events._crm_customer_document_sql("e"),
                Events._crm_get_recorded_by_call_sql("e"),
            ),
        )

    @api.model
    def _get_appointment_branch_select(self):
        """Columns of the appointments' branch, on the event ``e``; override to give it a new figure."""
        return {
            "id": row_id(10, SQL("e.id")),
            "source": SQL("'appointment'"),
            "name": SQL("e.name"),
            "date": SQL("e.start::date"),
            "partner_id": SQL("e.crm_customer_id"),
            "company_id": SQL("e.crm_company_id"),
            "call_minutes": SQL("GREATEST(EXTRACT(EPOCH FROM (e.stop - e.start)) / 60.0, 0)"),
        }
