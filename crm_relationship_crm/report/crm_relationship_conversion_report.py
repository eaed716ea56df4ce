from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from odoo.addons.crm_relationship.models.row_id import row_id

WON_STATUSES = [("pending", "Open"), ("won", "Won"), ("lost", "Lost")]


class CrmRelationshipConversionReport(models.Model):
    """Pipeline conversion: how many opportunities got a quotation, then an order.

    A row per opportunity of the pipeline (:meth:`crm.lead._crm_pipeline_sql`:
    open, won or lost), whether its customer is known or not: the conversion
    is that of the salespeople's pipeline, and an opportunity of a prospect
    not yet among the contacts counts too. Its customer (``crm_customer_id``,
    the card it shows on) and the customer's RFM segment are dimensions,
    empty for a prospect. Its date is the day it became an opportunity: its
    creation, or the conversion of the lead it was.

    An opportunity has a quotation when at least one sale order is linked to
    it (``sale_order.opportunity_id``) in any state but cancelled, and an
    order when one of them is confirmed (state ``sale``, the confirmed orders
    of ``sale_crm``). The ordered amount is the untaxed amount of its
    confirmed orders in the company currency, converted at the order's own
    rate as Odoo's sales analysis does; the expected revenue is the one
    ``crm`` stores, in the company currency too (an opportunity without
    company is in the currency of the user's company, as in ``crm``).

    Rates are percentages computed from a group's sums (``_get_percentages``):
    quotations and orders per 100 opportunities, orders per 100 quotations,
    won per 100 closed (won or lost) opportunities.

    Row ids (see ``crm_relationship/models/row_id.py``): the opportunity's
    id times 1000 plus 1.
    """

    _name = "crm.relationship.conversion.report"
    _inherit = "crm.relationship.report.mixin"
    _description = "Pipeline Conversion Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    name = fields.Char(string="Opportunity", readonly=True)
    date = fields.Date(
        string="Created On",
        readonly=True,
        help="The day the opportunity was created, or the lead converted into an opportunity.",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    segment_id = fields.Many2one("crm.relationship.rfm.segment", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    won_status = fields.Selection(WON_STATUSES, string="Status", readonly=True)
    opportunity_count = fields.Integer(string="# Opportunities", readonly=True)
    quotation_count = fields.Integer(
        string="# With Quotation", readonly=True, help="Opportunities with a quotation not cancelled."
    )
    order_count = fields.Integer(
        string="# With Order", readonly=True, help="Opportunities with a confirmed order."
    )
    won_count = fields.Integer(string="# Won", readonly=True)
    lost_count = fields.Integer(string="# Lost", readonly=True)
    closed_count = fields.Integer(string="# Closed", readonly=True, help="Opportunities won or lost.")
    expected_revenue = fields.Monetary(readonly=True)
    ordered_amount = fields.Monetary(
        string="Ordered (untaxed)", readonly=True, help="Untaxed amount of the confirmed orders."
    )
    quotation_rate = fields.Float(
        string="Quoted (%)",
        readonly=True,
        aggregator="avg",
        help="Opportunities with a quotation per 100 opportunities.",
    )
    order_rate = fields.Float(
        string="Ordered (%)",
        readonly=True,
        aggregator="avg",
        help="Opportunities with a confirmed order per 100 opportunities.",
    )
    quote_to_order_rate = fields.Float(
        string="Quotation to Order (%)",
        readonly=True,
        aggregator="avg",
        help="Opportunities with a confirmed order per 100 opportunities with a quotation.",
    )
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Opportunities won per 100 opportunities won or lost.",
    )

    _depends = frozendict(
        {
            "crm.lead": [
                "name",
                "type",
                "active",
                "won_status",
                "create_date",
                "date_conversion",
                "user_id",
                "team_id",
                "company_id",
                "crm_customer_id",
                "stage_id",
                "expected_revenue",
            ],
            "sale.order": ["opportunity_id", "state", "amount_untaxed", "currency_rate"],
            "res.partner": ["crm_segment_id"],
            "res.company": ["currency_id"],
        }
    )

    @api.model
    def _get_percentages(self):
        return super()._get_percentages() | {
            "quotation_rate": ("quotation_count", "opportunity_count"),
            "order_rate": ("order_count", "opportunity_count"),
            "quote_to_order_rate": ("order_count", "quotation_count"),
            "win_rate": ("won_count", "closed_count"),
        }

    @api.model
    def _select(self):
        return SQL(
            """%s,
               COALESCE(c.currency_id, %s) AS currency_id,
               p.crm_segment_id AS segment_id,
               100.0 * b.quotation_count / NULLIF(b.opportunity_count, 0) AS quotation_rate,
               100.0 * b.order_count / NULLIF(b.opportunity_count, 0) AS order_rate,
               100.0 * b.order_count / NULLIF(b.quotation_count, 0) AS quote_to_order_rate,
               100.0 * b.won_count / NULLIF(b.closed_count, 0) AS win_rate""",
            super()._select(),
            self.env.company.currency_id.id,
        )

    @api.model
    def _from(self):
        return SQL(
            """%s
               LEFT JOIN res_partner p ON p.id = b.partner_id
               LEFT JOIN res_company c ON c.id = b.company_id""",
            super()._from(),
        )

    @api.model
    def _get_branch_columns(self):
        """An opportunity (its salesperson, team, customer, company, stage and
        status), then its figures."""
        figures = (
            "opportunity_count",
            "quotation_count",
            "order_count",
            "won_count",
            "lost_count",
            "closed_count",
            "expected_revenue",
            "ordered_amount",
        )
        dimensions = (
            "name",
            "date",
            "user_id",
            "team_id",
            "company_id",
            "partner_id",
            "stage_id",
            "won_status",
        )
        return super()._get_branch_columns() | dict.fromkeys(dimensions) | dict.fromkeys(figures, SQL("0"))

    @api.model
    def _get_branches(self):
        """The opportunities; override to add a kind of row (see ``crm.relationship.report.mixin``).

        Branch numbers of the row ids: 1 opportunities; 1-99 are kept for this
        add-on, 100-999 are free."""
        return [self._get_opportunity_branch()]

    @api.model
    def _get_opportunity_branch(self):
        """One row per opportunity, with its quotations and orders counted in
        one lateral subquery per opportunity (on the index of
        ``sale_order.opportunity_id``), so that no order multiplies its row."""
        return self._branch(
            {
                "id": row_id(1, SQL("l.id")),
                "name": SQL("l.name"),
                "date": SQL("COALESCE(l.date_conversion, l.create_date)::date"),
                "user_id": SQL("l.user_id"),
                "team_id": SQL("l.team_id"),
                "company_id": SQL("l.company_id"),
                "partner_id": SQL("l.crm_customer_id"),
                "stage_id": SQL("l.stage_id"),
                "won_status": SQL("l.won_status"),
                "opportunity_count": SQL("1"),
                "quotation_count": SQL("(so.quotations > 0)::integer"),
                "order_count": SQL("(so.orders > 0)::integer"),
                "won_count": SQL("(l.won_status = 'won')::integer"),
                "lost_count": SQL("(l.won_status = 'lost')::integer"),
                "closed_count": SQL("(l.won_status IN ('won', 'lost'))::integer"),
                "expected_revenue": SQL("COALESCE(l.expected_revenue, 0)"),
                "ordered_amount": SQL("so.ordered_amount"),
            },
            SQL(
                """
                crm_lead l
          CROSS JOIN LATERAL (
                    SELECT COUNT(*) AS quotations,
                           COUNT(*) FILTER (WHERE o.state = 'sale') AS orders,
                           COALESCE(
                               SUM(o.amount_untaxed / COALESCE(NULLIF(o.currency_rate, 0), 1.0))
                                   FILTER (WHERE o.state = 'sale'),
                               0
                           ) AS ordered_amount
                      FROM sale_order o
                     WHERE o.opportunity_id = l.id AND o.state != 'cancel'
                ) so
                """
            ),
            SQL("l.type = 'opportunity' AND %s", self.env["crm.lead"]._crm_pipeline_sql("l")),
        )
