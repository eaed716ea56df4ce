from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL, frozendict


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ("account.payment", "crm.relationship.customer.document")

    _crm_timeline_code = 4
    _crm_card_figures = frozendict(payments=frozendict(crm_last_payment_date=False))
    _crm_next_action_documents = True

    # The card and the timeline read the payments of a customer's partners.
    _crm_partner_idx = models.Index("(partner_id)")
    # The timeline reads the payments of a period by date.
    _crm_timeline_date_idx = models.Index("((date::timestamp)) WHERE partner_type = 'customer'")

    @api.model
    def _crm_get_customer_document_domain(self):
        """Customer payments (and refunds to customers) in process or paid."""
        return Domain("partner_type", "=", "customer") & Domain("state", "in", ("in_process", "paid"))

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL(
            "(%s = 'customer' AND %s IN ('in_process', 'paid'))",
            SQL.identifier(alias, "partner_type"),
            SQL.identifier(alias, "state"),
        )

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("payment", self.env._("Payment"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "account.payment": [
                "date",
                "name",
                "partner_id",
                "company_id",
                "amount_company_currency_signed",
                "state",
                "partner_type",
            ],
            "res.company": ["currency_id"],
        }

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL(
            """JOIN res_partner rp ON rp.id = doc.partner_id
               JOIN res_company rc ON rc.id = doc.company_id"""
        )

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date::timestamp",
            "entry_type": "'payment'",
            "department": "'administration'",
            "amount": "doc.amount_company_currency_signed",
            "currency_id": "rc.currency_id",
        }

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Date of the last payment received."""
        result = defaultdict(dict)
        for partner, last in self._read_group(
            self._crm_get_documents_domain(customers) & Domain("payment_type", "=", "inbound"),
            ["partner_id"],
            ["date:max"],
        ):
            values = result[partner.commercial_partner_id.id]
            if not values.get("crm_last_payment_date") or last > values["crm_last_payment_date"]:
                values["crm_last_payment_date"] = last
        return result
