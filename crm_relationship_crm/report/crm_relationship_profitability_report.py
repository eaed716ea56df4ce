from odoo import api, fields, models
from odoo.tools import SQL, frozendict


class CrmRelationshipProfitabilityReport(models.Model):
    """The pre-sale part of the cost to serve: the time of the calls and
    appointments about opportunities, at the hourly cost."""

    _inherit = "crm.relationship.profitability.report"

    presale_minutes = fields.Float(string="Pre-sale Minutes", readonly=True)
    presale_cost = fields.Monetary(
        string="Pre-sale Cost",
        readonly=True,
        help="Minutes of the calls and appointments about opportunities at the hourly cost: the part of the "
        "cost to serve spent before the sale.",
    )

    _depends = frozendict(
        {
            "crm.relationship.call": ["crm_lead_id"],
            "calendar.event": ["opportunity_id", "res_model"],
        }
    )

    @api.model
    def _select(self):
        return SQL(
            "%s, b.presale_minutes / 60.0 * COALESCE(c.crm_call_hourly_cost, 0) AS presale_cost",
            super()._select(),
        )

    @api.model
    def _get_branch_columns(self):
        return super()._get_branch_columns() | {"presale_minutes": SQL("0")}

    @api.model
    def _get_call_branch_select(self):
        select = super()._get_call_branch_select()
        return select | {
            "presale_minutes": SQL(
                "CASE WHEN %s THEN %s ELSE 0 END",
                self.env["crm.relationship.call"]._crm_presale_sql("call"),
                select["call_minutes"],
            )
        }

    @api.model
    def _get_appointment_branch_select(self):
        select = super()._get_appointment_branch_select()
        return select | {
            "presale_minutes": SQL(
                "CASE WHEN %s THEN %s ELSE 0 END",
                self.env["calendar.event"]._crm_presale_sql("e"),
                select["call_minutes"],
            )
        }
