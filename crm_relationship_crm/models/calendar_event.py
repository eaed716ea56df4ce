from odoo import api, models
from odoo.tools import SQL


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    @api.model
    def _crm_presale_sql(self, alias):
        """Whether the appointment ``alias`` is pre-sale time: it was planned for an opportunity."""
        return SQL(
            "(%s IS NOT NULL OR %s = 'crm.lead')",
            SQL.identifier(alias, "opportunity_id"),
            SQL.identifier(alias, "res_model"),
        )
