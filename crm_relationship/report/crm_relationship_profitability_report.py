from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from ..models.row_id import row_id


class CrmRelationshipProfitabilityReport(models.Model):
    """Profitability and cost to serve of each customer, one row per document.

    A read-only SQL view: a row per posted invoice or credit note, per return
    of goods, per call and per defect handled under warranty, so that every
    figure of a pivot cell drills down to the documents behind it.

    The invoice figures use the definitions of the customer card
    (:meth:`res.partner._crm_get_invoice_figures`): posted customer invoices
    and credit notes, untaxed amounts signed in company currency, open balance
    = signed residual, overdue = residual of the not or partially paid ones
    past their due date. The product cost is the quantity invoiced times the
    product's current cost (``standard_price`` of the invoicing company), as
    Odoo's own invoice analysis does: invoice lines carry no cost of their own
    unless anglo-saxon accounting posts the cost of goods sold. Credit notes
    give their cost back. Payment delay is measured on the paid invoices, from
    the invoice date to the date of the payment (or of the reconciliation
    when no payment is linked).
    """

    _name = "crm.relationship.profitability.report"
    _inherit = "crm.relationship.report.mixin"
    _description = "Customer Profitability Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    source = fields.Selection(
        [
            ("invoice", "Invoice"),
            ("refund", "Credit Note"),
            ("return", "Return"),
            ("call", "Call"),
            ("defect", "Warranty Defect"),
        ],
        readonly=True,
    )
    name = fields.Char(string="Document", readonly=True)
    date = fields.Date(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    segment_id = fields.Many2one("crm.relationship.rfm.segment", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    revenue = fields.Monetary(
        string="Net Revenue", readonly=True, help="Untaxed invoiced amount minus credit notes."
    )
    invoiced_amount = fields.Monetary(string="Invoiced", readonly=True)
    refund_amount = fields.Monetary(string="Credit Notes", readonly=True)
    product_cost = fields.Monetary(readonly=True)
    margin = fields.Monetary(readonly=True, help="Net revenue minus product cost.")
    margin_percent = fields.Float(string="Margin (%)", readonly=True, aggregator="avg")
    invoice_count = fields.Integer(string="# Invoices", readonly=True)
    refund_count = fields.Integer(string="# Credit Notes", readonly=True)
    return_count = fields.Integer(string="# Returns", readonly=True)
    call_count = fields.Integer(string="# Calls", readonly=True)
    call_minutes = fields.Float(
        string="Contact Minutes",
        readonly=True,
        help="Minutes of the calls, and of the appointments and visits held when the calendar is used.",
    )
    call_cost = fields.Monetary(
        string="Cost of Contact Time", readonly=True, help="Contact minutes at the company's hourly cost."
    )
    defect_count = fields.Integer(string="# Warranty Defects", readonly=True)
    defect_cost = fields.Monetary(string="Cost of Defects", readonly=True)
    cost_to_serve = fields.Monetary(string="Cost to Serve", readonly=True)
    net_margin = fields.Monetary(
        string="Margin after Cost to Serve", readonly=True, help="Margin minus the cost to serve."
    )
    payment_delay = fields.Float(
        string="Payment Delay (days)",
        readonly=True,
        aggregator="avg",
        help="Days from the invoice date to its payment, on average over the paid invoices.",
    )
    open_balance = fields.Monetary(readonly=True)
    overdue_balance = fields.Monetary(readonly=True)

    _depends = frozendict(
        {
            "account.move": [
                "name",
                "state",
                "move_type",
                "invoice_date",
                "invoice_date_due",
                "commercial_partner_id",
                "company_id",
                "amount_untaxed_signed",
                "amount_residual_signed",
                "payment_state",
            ],
            "account.move.line": ["move_id", "product_id", "quantity", "product_uom_id", "display_type"],
            "account.partial.reconcile": ["debit_move_id", "max_date"],
            "account.payment": ["date", "state", "invoice_ids"],
            "stock.picking": [
                "name",
                "partner_id",
                "picking_type_id",
                "return_id",
                "state",
                "date_done",
                "company_id",
            ],
            "crm.relationship.call": ["subject", "partner_id", "company_id", "date_start", "duration"],
            "res.partner": ["commercial_partner_id", "user_id", "crm_segment_id", "country_id"],
            "res.company": ["crm_call_hourly_cost", "crm_warranty_defect_cost"],
            "crm.relationship.defect": [
                "name",
                "partner_id",
                "company_id",
                "date_reported",
                "warranty_state",
                "state",
            ],
        }
    )

    @api.model
    def _select(self):
        return SQL(
            """%s,
                   c.currency_id,
                   p.user_id,
                   p.crm_segment_id AS segment_id,
                   p.country_id,
                   b.revenue - b.product_cost AS margin,
                   100.0 * (b.revenue - b.product_cost) / NULLIF(b.revenue, 0) AS margin_percent,
                   b.call_minutes / 60.0 * COALESCE(c.crm_call_hourly_cost, 0) AS call_cost,
                   b.defect_count * COALESCE(c.crm_warranty_defect_cost, 0) AS defect_cost,
                   b.call_minutes / 60.0 * COALESCE(c.crm_call_hourly_cost, 0)
                       + b.defect_count * COALESCE(c.crm_warranty_defect_cost, 0) AS cost_to_serve,
                   b.revenue - b.product_cost - b.call_minutes / 60.0 * COALESCE(c.crm_call_hourly_cost, 0)
                       - b.defect_count * COALESCE(c.crm_warranty_defect_cost, 0) AS net_margin""",
            super()._select(),
        )

    @api.model
    def _from(self):
        return SQL(
            """%s
              JOIN res_partner p ON p.id = b.partner_id
              JOIN res_company c ON c.id = b.company_id""",
            super()._from(),
        )

    @api.model
    def _get_percentages(self):
        """The margin percentage of a group is its margin over its revenue, not an average of rows."""
        return super()._get_percentages() | {"margin_percent": ("margin", "revenue")}

    @api.model
    def _get_branch_columns(self):
        """A document (its customer and company), then its figures; the
        payment delay is NULL where there is none, so that averages skip it."""
        figures = (
            "revenue",
            "invoiced_amount",
            "refund_amount",
            "product_cost",
            "invoice_count",
            "refund_count",
            "return_count",
            "call_count",
            "call_minutes",
            "defect_count",
        )
        return (
            super()._get_branch_columns()
            | dict.fromkeys(("source", "name", "date", "partner_id", "company_id"))
            | dict.fromkeys(figures, SQL("0"))
            | {"payment_delay": SQL("NULL::numeric"), "open_balance": SQL("0"), "overdue_balance": SQL("0")}
        )

    @api.model
    def _get_branches(self):
        """The ``SELECT`` of each kind of document; override to add a cost or revenue source
        (see ``crm.relationship.report.mixin``).

        Branch numbers of the row ids: 1 invoices and credit notes, 2 returns,
        3 calls, 4 defects; 1-99 are kept for this add-on, 100-999 are free."""
        return [
            self._get_invoice_branch(),
            self._get_return_branch(),
            self._get_call_branch(),
            self._get_defect_branch(),
        ]

    @api.model
    def _get_invoice_branch(self):
        today = fields.Date.context_today(self)
        is_refund = SQL("m.move_type = 'out_refund'")
        return self._branch(
            {
                "id": row_id(1, SQL("m.id")),
                "source": SQL("CASE WHEN %s THEN 'refund' ELSE 'invoice' END", is_refund),
                "name": SQL("m.name"),
                "date": SQL("m.invoice_date"),
                "partner_id": SQL("m.commercial_partner_id"),
                "company_id": SQL("m.company_id"),
                "revenue": SQL("m.amount_untaxed_signed"),
                "invoiced_amount": SQL("CASE WHEN %s THEN 0 ELSE m.amount_untaxed_signed END", is_refund),
                "refund_amount": SQL("CASE WHEN %s THEN -m.amount_untaxed_signed ELSE 0 END", is_refund),
                "product_cost": SQL("COALESCE(cost.amount, 0)"),
                "invoice_count": SQL("CASE WHEN %s THEN 0 ELSE 1 END", is_refund),
                "refund_count": SQL("CASE WHEN %s THEN 1 ELSE 0 END", is_refund),
                # A credit note is paid back, not paid: the delay is the invoices' only.
                "payment_delay": SQL(
                    """CASE WHEN m.move_type = 'out_invoice' AND m.payment_state IN ('paid', 'in_payment')
                            THEN COALESCE(pay.date, rec.date) - m.invoice_date END"""
                ),
                "open_balance": SQL("m.amount_residual_signed"),
                "overdue_balance": SQL(
                    """CASE WHEN m.payment_state IN ('not_paid', 'partial') AND m.invoice_date_due < %s
                            THEN m.amount_residual_signed ELSE 0 END""",
                    today,
                ),
            },
            SQL(
                """
                account_move m
           LEFT JOIN LATERAL (
                    SELECT SUM(
                               CASE WHEN %(is_refund)s THEN -1 ELSE 1 END
                               * l.quantity * COALESCE(uom_line.factor, 1)
                               / NULLIF(COALESCE(uom_product.factor, 1), 0)
                               * COALESCE((pp.standard_price ->> m.company_id::text)::numeric, 0)
                           ) AS amount
                      FROM account_move_line l
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 LEFT JOIN uom_uom uom_line ON uom_line.id = l.product_uom_id
                 LEFT JOIN uom_uom uom_product ON uom_product.id = pt.uom_id
                     WHERE l.move_id = m.id AND l.display_type = 'product'
                ) cost ON TRUE
           LEFT JOIN LATERAL (
                    SELECT MAX(apr.max_date) AS date
                      FROM account_move_line l
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                     WHERE l.move_id = m.id AND l.display_type = 'payment_term'
                ) rec ON m.payment_state IN ('paid', 'in_payment')
           LEFT JOIN LATERAL (
                    SELECT MAX(ap.date) AS date
                      FROM account_move__account_payment rel
                      JOIN account_payment ap ON ap.id = rel.payment_id
                     WHERE rel.invoice_id = m.id AND ap.state IN ('in_process', 'paid')
                ) pay ON m.payment_state IN ('paid', 'in_payment')
                """,
                is_refund=is_refund,
            ),
            self.env["account.move"]._crm_customer_document_sql("m"),
        )

    @api.model
    def _get_return_branch(self):
        return self._branch(
            {
                "id": row_id(2, SQL("sp.id")),
                "source": SQL("'return'"),
                "name": SQL("sp.name"),
                "date": SQL("COALESCE(sp.date_done, sp.scheduled_date)::date"),
                "partner_id": SQL("rp.commercial_partner_id"),
                "company_id": SQL("sp.company_id"),
                "return_count": SQL("1"),
            },
            SQL(
                """
                stock_picking sp
                JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                JOIN res_partner rp ON rp.id = sp.partner_id
                """
            ),
            # Of the customer's pickings, the returns not cancelled: a return costs, a delivery does not.
            SQL(
                "%s AND spt.code = 'incoming' AND sp.state != 'cancel'",
                self.env["stock.picking"]._crm_customer_document_sql("sp"),
            ),
        )

    @api.model
    def _get_call_branch(self):
        return self._branch(self._get_call_branch_select(), SQL("crm_relationship_call call"))

    @api.model
    def _get_call_branch_select(self):
        """Columns of the calls' branch, on the call ``call``; override to give a call a new figure."""
        return {
            "id": row_id(3, SQL("call.id")),
            "source": SQL("'call'"),
            "name": SQL("call.subject"),
            "date": SQL("call.date_start::date"),
            "partner_id": SQL("call.partner_id"),
            "company_id": SQL("call.company_id"),
            "call_count": SQL("1"),
            "call_minutes": SQL("COALESCE(call.duration, 0)"),
        }

    @api.model
    def _get_defect_branch(self):
        """Defects handled under warranty (rejected reports cost nothing)."""
        return self._branch(
            {
                "id": row_id(4, SQL("d.id")),
                "source": SQL("'defect'"),
                "name": SQL("d.name"),
                "date": SQL("d.date_reported::date"),
                "partner_id": SQL("d.partner_id"),
                "company_id": SQL("d.company_id"),
                "defect_count": SQL("1"),
            },
            SQL("crm_relationship_defect d"),
            SQL("d.warranty_state = 'warranty' AND d.state != 'rejected' AND d.partner_id IS NOT NULL"),
        )
