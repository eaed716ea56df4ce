from odoo import api, fields, models
from odoo.tools import SQL, frozendict

PERIODS = (30, 60, 90)


class CrmRelationshipMailingEffectReport(models.Model):
    """Revenue of the customers of a mailing after it was sent, mailed against held back.

    One row per mailing, group (mailed or held back in the control group) and
    segment of the customers when the mailing was sent, read from the
    audience stored at send time (``crm.relationship.mailing.audience``).
    Revenue is what the customer (the commercial partner of each recipient)
    was invoiced in the mailing's company, untaxed and net of credit notes,
    in company currency (``account.move._crm_customer_document_sql``), dated
    in the 30, 60 or 90 days starting with the day the mailing was sent (for a
    mailing still being sent, the day of its last change).

    The uplift compares, within each segment, the revenue per customer
    mailed with the revenue per customer held back; the incremental revenue
    is that uplift times the customers mailed (0 where no customer of the
    segment was held back), so that its sum over segments is the revenue the
    mailing brought, and its average per customer mailed is the uplift.
    """

    _name = "crm.relationship.mailing.effect.report"
    _description = "Mailing Effect Analysis"
    _auto = False
    _order = "date desc, mailing_id desc, held_back, segment_id"
    _rec_name = "mailing_id"

    mailing_id = fields.Many2one("mailing.mailing", readonly=True)
    date = fields.Date(string="Sent on", readonly=True)
    held_back = fields.Boolean(readonly=True)
    audience_group = fields.Selection(
        [("mailed", "Mailed"), ("held_back", "Held Back")], string="Group", readonly=True
    )
    segment_id = fields.Many2one("crm.relationship.rfm.segment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    customer_count = fields.Integer(string="# Customers", readonly=True)
    mailed_count = fields.Integer(string="# Customers Mailed", readonly=True)
    revenue_30 = fields.Monetary(string="Revenue 30 Days", readonly=True)
    revenue_60 = fields.Monetary(string="Revenue 60 Days", readonly=True)
    revenue_90 = fields.Monetary(string="Revenue 90 Days", readonly=True)
    revenue_per_customer_30 = fields.Monetary(
        string="Revenue per Customer 30 Days", readonly=True, aggregator="avg"
    )
    revenue_per_customer_60 = fields.Monetary(
        string="Revenue per Customer 60 Days", readonly=True, aggregator="avg"
    )
    revenue_per_customer_90 = fields.Monetary(
        string="Revenue per Customer 90 Days", readonly=True, aggregator="avg"
    )
    incremental_revenue_30 = fields.Monetary(
        string="Incremental Revenue 30 Days",
        readonly=True,
        help="Revenue per customer mailed minus revenue per customer held back, times the customers mailed.",
    )
    incremental_revenue_60 = fields.Monetary(string="Incremental Revenue 60 Days", readonly=True)
    incremental_revenue_90 = fields.Monetary(string="Incremental Revenue 90 Days", readonly=True)
    uplift_30 = fields.Monetary(
        string="Uplift per Customer 30 Days",
        readonly=True,
        aggregator="avg",
        help="Revenue per customer mailed minus revenue per customer held back, segment by segment.",
    )
    uplift_60 = fields.Monetary(string="Uplift per Customer 60 Days", readonly=True, aggregator="avg")
    uplift_90 = fields.Monetary(string="Uplift per Customer 90 Days", readonly=True, aggregator="avg")

    _depends = frozendict(
        {
            "crm.relationship.mailing.audience": [
                "mailing_id",
                "partner_id",
                "segment_id",
                "held_back",
                "company_id",
            ],
            "mailing.mailing": ["sent_date", "write_date"],
            "account.move": [
                "commercial_partner_id",
                "company_id",
                "invoice_date",
                "state",
                "move_type",
                "amount_untaxed_signed",
            ],
            "res.company": ["currency_id"],
        }
    )

    @property
    def _table_query(self):
        return SQL("WITH %s SELECT %s FROM %s", self._with(), self._select(), self._from())

    @api.model
    def _with(self):
        """``audience``: the customers of each mailing, group and segment, and their revenue per period."""
        sent = SQL("COALESCE(m.sent_date, m.write_date)::date")
        return SQL(
            """
            audience AS (
                SELECT min(a.id) AS id, a.mailing_id, a.held_back, a.segment_id, a.company_id,
                       min(%(sent)s) AS date, count(*) AS customer_count,
                       %(revenues)s
                  FROM crm_relationship_mailing_audience a
                  JOIN mailing_mailing m ON m.id = a.mailing_id
                  JOIN res_partner p ON p.id = a.partner_id
             LEFT JOIN LATERAL (
                        SELECT %(periods)s
                          FROM account_move move
                         WHERE %(customer_document)s
                           AND move.commercial_partner_id = p.commercial_partner_id
                           AND move.company_id = a.company_id
                           AND move.invoice_date >= %(sent)s
                           AND move.invoice_date < %(sent)s + %(longest)s
                       ) r ON TRUE
              GROUP BY a.mailing_id, a.held_back, a.segment_id, a.company_id
            )
            """,
            sent=sent,
            revenues=SQL(", ").join(
                SQL("COALESCE(sum(r.revenue_%s), 0) AS revenue_%s", days, days) for days in PERIODS
            ),
            periods=SQL(", ").join(
                SQL(
                    "sum(move.amount_untaxed_signed) FILTER (WHERE move.invoice_date < %s + %s) "
                    "AS revenue_%s",
                    sent,
                    days,
                    days,
                )
                for days in PERIODS
            ),
            customer_document=self.env["account.move"]._crm_customer_document_sql("move"),
            longest=max(PERIODS),
        )

    @api.model
    def _select(self):
        columns = [
            SQL(
                "g.id, g.mailing_id, g.date, g.held_back, g.segment_id, g.company_id, c.currency_id, "
                "CASE WHEN g.held_back THEN 'held_back' ELSE 'mailed' END AS audience_group, "
                "g.customer_count, "
                "CASE WHEN g.held_back THEN 0 ELSE g.customer_count END AS mailed_count"
            )
        ]
        for days in PERIODS:
            revenue, held = SQL.identifier("g", f"revenue_{days}"), SQL.identifier("h", f"revenue_{days}")
            incremental = SQL(
                "CASE WHEN NOT g.held_back AND h.customer_count > 0 "
                "THEN %s - g.customer_count * %s / h.customer_count ELSE 0 END",
                revenue,
                held,
            )
            columns += [
                SQL("%s AS %s", revenue, SQL.identifier(f"revenue_{days}")),
                SQL("%s / g.customer_count AS %s", revenue, SQL.identifier(f"revenue_per_customer_{days}")),
                SQL("%s AS %s", incremental, SQL.identifier(f"incremental_revenue_{days}")),
                SQL(
                    "CASE WHEN g.held_back THEN NULL ELSE (%s) / g.customer_count END AS %s",
                    incremental,
                    SQL.identifier(f"uplift_{days}"),
                ),
            ]
        return SQL(", ").join(columns)

    @api.model
    def _from(self):
        return SQL(
            """audience g
               JOIN res_company c ON c.id = g.company_id
          LEFT JOIN audience h ON h.mailing_id = g.mailing_id
                              AND h.company_id = g.company_id
                              AND h.segment_id IS NOT DISTINCT FROM g.segment_id
                              AND h.held_back
                              AND NOT g.held_back"""
        )

    @api.model
    def _get_ratios(self):
        """``{field: (numerator, denominator)}``: figures per customer whose average over a group is the
        ratio of the group's sums, not the average of its rows."""
        ratios = {}
        for days in PERIODS:
            ratios[f"revenue_per_customer_{days}"] = (f"revenue_{days}", "customer_count")
            ratios[f"uplift_{days}"] = (f"incremental_revenue_{days}", "mailed_count")
        return ratios

    def _read_group_select(self, aggregate_spec, query):
        field_name, __, aggregator = aggregate_spec.partition(":")
        ratio = self._get_ratios().get(field_name)
        if not ratio or aggregator != "avg":
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator = (self._field_to_sql(self._table, name, query) for name in ratio)
        return SQL("SUM(%s) / NULLIF(SUM(%s), 0)", numerator, denominator)
