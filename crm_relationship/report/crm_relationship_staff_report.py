from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from ..models.crm_relationship_timeline import DEPARTMENTS
from ..models.row_id import row_id


class CrmRelationshipStaffReport(models.Model):
    """What each person of the staff does for the customers, one row per fact.

    A read-only SQL view with a row per call (operator, channel, outcome),
    per defect and role that took it (sales, call center, production), per
    offer (salesperson) and per posted invoice or credit note (salesperson).

    Rates are averages of 100/0 flags over the rows they concern and are
    empty on the other rows, so the pivot's average is the share: the share
    of closed calls closed with a next action, the share of offers confirmed.
    An offer is a quotation that left the draft state: sent, confirmed or
    cancelled (lost). Revenue is the untaxed invoiced amount net of credit
    notes, as on the customer card, credited to the invoice's salesperson.
    """

    _name = "crm.relationship.staff.report"
    _inherit = "crm.relationship.report.mixin"
    _description = "Staff Performance Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "date"

    source = fields.Selection(
        [("call", "Call"), ("defect", "Defect"), ("offer", "Offer"), ("invoice", "Invoice")],
        readonly=True,
    )
    date = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Employee", readonly=True)
    department = fields.Selection(DEPARTMENTS, readonly=True)
    channel_id = fields.Many2one("crm.relationship.call.channel", readonly=True)
    outcome_id = fields.Many2one("crm.relationship.call.outcome", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    call_count = fields.Integer(string="# Calls", readonly=True)
    call_minutes = fields.Float(readonly=True)
    closed_call_count = fields.Integer(string="# Closed Calls", readonly=True)
    next_action_rate = fields.Float(
        string="Closed with Next Action (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the closed calls closed with a planned next action.",
    )
    defect_count = fields.Integer(string="# Defects Taken", readonly=True)
    resolved_count = fields.Integer(string="# Defects Resolved", readonly=True)
    resolution_days = fields.Float(
        string="Days of the Department",
        readonly=True,
        aggregator="avg",
        help="Over the resolved defects, the days of the department's part: confirmation for the call "
        "center, analysis to resolution for production, resolution to closing for sales.",
    )
    total_resolution_days = fields.Float(
        string="Days to Resolve",
        readonly=True,
        aggregator="avg",
        help="Over the resolved defects, the days from the report to the resolution.",
    )
    offer_count = fields.Integer(string="# Offers", readonly=True)
    order_count = fields.Integer(string="# Confirmed", readonly=True)
    conversion_rate = fields.Float(
        string="Conversion (%)", readonly=True, aggregator="avg", help="Share of the offers confirmed."
    )
    ordered_amount = fields.Monetary(string="Ordered (untaxed)", readonly=True)
    revenue = fields.Monetary(
        string="Net Revenue", readonly=True, help="Untaxed invoiced minus credit notes."
    )

    _depends = frozendict(
        {
            "crm.relationship.call": [
                "user_id",
                "department",
                "channel_id",
                "outcome_id",
                "partner_id",
                "company_id",
                "date_start",
                "duration",
                "state",
                "next_action_activity_id",
            ],
            "crm.relationship.defect": [
                "user_sales_id",
                "user_call_center_id",
                "user_production_id",
                "partner_id",
                "company_id",
                "date_reported",
                "state",
                "resolution_days",
                "confirmation_days",
                "analysis_days",
                "closing_days",
            ],
            "sale.order": ["user_id", "partner_id", "company_id", "date_order", "state", "amount_untaxed"],
            "account.move": [
                "invoice_user_id",
                "commercial_partner_id",
                "company_id",
                "invoice_date",
                "state",
                "move_type",
                "amount_untaxed_signed",
            ],
        }
    )

    @api.model
    def _select(self):
        return SQL("%s, c.currency_id", super()._select())

    @api.model
    def _from(self):
        return SQL("%s JOIN res_company c ON c.id = b.company_id", super()._from())

    @api.model
    def _get_branch_columns(self):
        """A fact (who, in which department, for which customer and company), then its
        figures; a rate, the channel and the outcome are NULL where they do not apply,
        so that averages skip the row."""
        figures = (
            "call_count",
            "call_minutes",
            "closed_call_count",
            "defect_count",
            "resolved_count",
            "offer_count",
            "order_count",
            "ordered_amount",
            "revenue",
        )
        null = {
            "department": "varchar",
            "channel_id": "integer",
            "outcome_id": "integer",
            "next_action_rate": "numeric",
            "resolution_days": "numeric",
            "total_resolution_days": "numeric",
            "conversion_rate": "numeric",
        }
        return (
            super()._get_branch_columns()
            | dict.fromkeys(("source", "date", "user_id", "partner_id", "company_id"))
            | {column: SQL(f"NULL::{sql_type}") for column, sql_type in null.items()}
            | dict.fromkeys(figures, SQL("0"))
        )

    @api.model
    def _get_branches(self):
        """The ``SELECT`` of each kind of fact; override to add one (see ``crm.relationship.report.mixin``).

        Branch numbers of the row ids: 1 calls, 2 offers, 3 invoices, 4-6 the
        roles of a defect; 1-99 are kept for this add-on, 100-999 are free."""
        return [
            self._get_call_branch(),
            self._get_offer_branch(),
            self._get_invoice_branch(),
            self._get_defect_branch(),
        ]

    @api.model
    def _get_call_branch(self):
        closed = SQL("call.state = 'done'")
        return self._branch(
            {
                "id": row_id(1, SQL("call.id")),
                "source": SQL("'call'"),
                "date": SQL("call.date_start::date"),
                "user_id": SQL("call.user_id"),
                "department": SQL("call.department::varchar"),
                "channel_id": SQL("call.channel_id"),
                "outcome_id": SQL("call.outcome_id"),
                "partner_id": SQL("call.partner_id"),
                "company_id": SQL("call.company_id"),
                "call_count": SQL("1"),
                "call_minutes": SQL("COALESCE(call.duration, 0)"),
                "closed_call_count": SQL("CASE WHEN %s THEN 1 ELSE 0 END", closed),
                "next_action_rate": SQL(
                    "CASE WHEN %s THEN (CASE WHEN call.next_action_activity_id IS NOT NULL "
                    "THEN 100.0 ELSE 0.0 END) END",
                    closed,
                ),
            },
            SQL("crm_relationship_call call"),
        )

    @api.model
    def _get_offer_branch(self):
        confirmed = SQL("so.state = 'sale'")
        return self._branch(
            {
                "id": row_id(2, SQL("so.id")),
                "source": SQL("'offer'"),
                "date": SQL("so.date_order::date"),
                "user_id": SQL("so.user_id"),
                "department": SQL("'sales'::varchar"),
                "partner_id": SQL("rp.commercial_partner_id"),
                "company_id": SQL("so.company_id"),
                "offer_count": SQL("1"),
                "order_count": SQL("CASE WHEN %s THEN 1 ELSE 0 END", confirmed),
                "conversion_rate": SQL("CASE WHEN %s THEN 100.0 ELSE 0.0 END", confirmed),
                "ordered_amount": SQL(
                    "CASE WHEN %s THEN so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) "
                    "ELSE 0 END",
                    confirmed,
                ),
            },
            SQL("sale_order so JOIN res_partner rp ON rp.id = so.partner_id"),
            SQL("so.state IN ('sent', 'sale', 'cancel')"),
        )

    @api.model
    def _get_invoice_branch(self):
        return self._branch(
            {
                "id": row_id(3, SQL("m.id")),
                "source": SQL("'invoice'"),
                "date": SQL("m.invoice_date"),
                "user_id": SQL("m.invoice_user_id"),
                "department": SQL("'sales'::varchar"),
                "partner_id": SQL("m.commercial_partner_id"),
                "company_id": SQL("m.company_id"),
                "revenue": SQL("m.amount_untaxed_signed"),
            },
            SQL("account_move m"),
            self.env["account.move"]._crm_customer_document_sql("m"),
        )

    @api.model
    def _get_defect_branch(self):
        """One row per defect and role that took it: salesperson, call-center operator, production."""
        return self._branch(
            {
                "id": row_id(SQL("role.num"), SQL("d.id")),
                "source": SQL("'defect'"),
                "date": SQL("d.date_reported::date"),
                "user_id": SQL("role.user_id"),
                "department": SQL("role.department"),
                "partner_id": SQL("d.partner_id"),
                "company_id": SQL("d.company_id"),
                "defect_count": SQL("1"),
                "resolved_count": SQL("CASE WHEN d.state IN ('resolved', 'closed') THEN 1 ELSE 0 END"),
                "resolution_days": SQL("CASE WHEN d.state IN ('resolved', 'closed') THEN role.days END"),
                "total_resolution_days": SQL(
                    "CASE WHEN d.state IN ('resolved', 'closed') THEN d.resolution_days END"
                ),
            },
            SQL(
                """
                crm_relationship_defect d
          CROSS JOIN LATERAL (
                    VALUES (4, 'sales'::varchar, d.user_sales_id, d.closing_days),
                           (5, 'call_center'::varchar, d.user_call_center_id, d.confirmation_days),
                           (6, 'production'::varchar, d.user_production_id, d.analysis_days)
                ) AS role(num, department, user_id, days)
                """
            ),
            SQL("role.user_id IS NOT NULL AND d.state != 'rejected'"),
        )
