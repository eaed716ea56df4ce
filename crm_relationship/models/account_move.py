from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

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
