from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, frozendict

from .crm_relationship_customer_document import sql_condition

# A customer's invoices: posted customer invoices and credit notes.
CUSTOMER_INVOICE_TYPES = ("out_invoice", "out_refund")
CUSTOMER_INVOICE_SQL = "{t}move_type IN ('out_invoice', 'out_refund') AND {t}state = 'posted'"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ("account.move", "crm.relationship.customer.document", "crm.relationship.call.source.mixin")
    _crm_call_field = "invoice_id"
    _crm_call_department = "administration"

    _crm_customer_path = "commercial_partner_id"
    _crm_timeline_code = 3
    _crm_timeline_state_field = "payment_state"
    _crm_card_figures = frozendict(
        invoices=frozendict(
            crm_invoice_count=0,
            crm_refund_count=0,
            crm_invoiced_amount=0.0,
            crm_invoiced_this_year=0.0,
            crm_invoiced_last_year=0.0,
        ),
        balance=frozendict(crm_amount_due=0.0, crm_amount_overdue=0.0),
    )
    _crm_next_action_documents = True

    # The card, the timeline and the analyses read the documents of a customer.
    _crm_commercial_partner_idx = models.Index("(commercial_partner_id)")
    # The balance of a customer (card, lists, quotation banner) sums its open invoices.
    _crm_open_balance_idx = models.Index(
        "(commercial_partner_id) WHERE state = 'posted' AND payment_state IN ('not_paid', 'partial')"
    )
    # The timeline reads the posted customer invoices of a period by date.
    _crm_timeline_date_idx = models.Index(
        f"((COALESCE(invoice_date, date)::timestamp)) WHERE {sql_condition(CUSTOMER_INVOICE_SQL, '')}"
    )

    @api.model
    def _crm_get_customer_document_domain(self):
        """Posted customer invoices and credit notes."""
        return Domain("move_type", "in", CUSTOMER_INVOICE_TYPES) & Domain("state", "=", "posted")

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL("(%s)", SQL(sql_condition(CUSTOMER_INVOICE_SQL, alias)))

    @api.model
    def _crm_get_timeline_entry_types(self):
        invoice, refund = self.env._("Invoice"), self.env._("Credit Note")
        return [("invoice", invoice), ("refund", refund)]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "account.move": [
                "invoice_date",
                "date",
                "move_type",
                "name",
                "partner_id",
                "commercial_partner_id",
                "company_id",
                "invoice_user_id",
                "amount_total_signed",
                "payment_state",
                "state",
                "invoice_date_due",
            ],
            "res.company": ["currency_id"],
        }

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL("JOIN res_company rc ON rc.id = doc.company_id")

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "COALESCE(doc.invoice_date, doc.date)::timestamp",
            "entry_type": "CASE WHEN doc.move_type = 'out_invoice' THEN 'invoice' ELSE 'refund' END",
            "department": "'administration'",
            "commercial_partner_id": "doc.commercial_partner_id",
            "user_id": "doc.invoice_user_id",
            "amount": "doc.amount_total_signed",
            "currency_id": "rc.currency_id",
            "is_alert": """doc.payment_state IN ('not_paid', 'partial')
                           AND doc.move_type = 'out_invoice' AND doc.invoice_date_due < CURRENT_DATE""",
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT move_id FROM account_move_line WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """What is still due, and by when."""
        return {
            move.id: self.env._(
                "Due %(amount)s by %(date)s",
                amount=move.currency_id.format(move.amount_residual),
                date=fields.Date.to_string(move.invoice_date_due),
            )
            for move in self.browse(ids)
            if move.amount_residual
        }

    @api.model
    def _crm_get_card_figures(self, customers, group):
        if group == "balance":
            return self._crm_get_balance_figures(customers)
        return self._crm_get_invoice_figures(customers)

    @api.model
    def _crm_get_invoice_figures(self, customers):
        """Counts, total net of credit notes, and the untaxed amounts (net of
        credit notes) of this year and last year."""
        result = defaultdict(lambda: defaultdict(float))
        today = fields.Date.context_today(self)
        this_year, last_year = date(today.year, 1, 1), date(today.year - 1, 1, 1)
        for partner, move_type, year, count, total, untaxed in self._read_group(
            self._crm_get_documents_domain(customers),
            ["commercial_partner_id", "move_type", "invoice_date:year"],
            ["__count", "amount_total_signed:sum", "amount_untaxed_signed:sum"],
        ):
            values = result[partner.id]
            values["crm_invoice_count" if move_type == "out_invoice" else "crm_refund_count"] += count
            values["crm_invoiced_amount"] += total
            if year and year >= this_year:
                values["crm_invoiced_this_year"] += untaxed
            elif year and year >= last_year:
                values["crm_invoiced_last_year"] += untaxed
        return result

    @api.model
    def _crm_get_balance_figures(self, customers):
        """What the customers still owe, and the part of it past its due date."""
        today = fields.Date.context_today(self)
        result = defaultdict(lambda: defaultdict(float))
        for partner, due_date, residual in self._read_group(
            self._crm_get_documents_domain(customers)
            & Domain("payment_state", "in", ("not_paid", "partial")),
            ["commercial_partner_id", "invoice_date_due:day"],
            ["amount_residual_signed:sum"],
        ):
            values = result[partner.id]
            values["crm_amount_due"] += residual
            if due_date and fields.Date.to_date(due_date) < today:
                values["crm_amount_overdue"] += residual
        return result
