from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, frozendict


class TestCrmRelationshipContract(models.Model):
    """A service contract: a document type of a vertical, declared once.

    Inheriting ``crm.relationship.customer.document`` and filling its
    declarations is all it takes to appear on the customer card (figures),
    the timeline (rows, product and serial filters, details) and in the next
    planned action of the customer.
    """

    _name = "test.crm.relationship.contract"
    _description = "Service Contract"
    _inherit = ("mail.thread", "mail.activity.mixin", "crm.relationship.customer.document")
    _check_company_auto = True

    _crm_timeline_code = 50
    _crm_card_figures = frozendict(
        contracts=frozendict(crm_contract_count=0, crm_contract_active_amount=0.0),
    )
    _crm_next_action_documents = True

    name = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, check_company=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user)
    date_start = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(currency_field="currency_id")
    product_id = fields.Many2one("product.product")
    lot_id = fields.Many2one("stock.lot", string="Serial Number")
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("expired", "Expired"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
    )

    @api.model
    def _crm_get_customer_document_domain(self):
        """Contracts of customers, cancelled ones aside."""
        return Domain("state", "!=", "cancel")

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL("%s != 'cancel'", SQL.identifier(alias, "state"))

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("contract", self.env._("Service Contract"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {self._name: ["date_start", "name", "partner_id", "company_id", "user_id", "amount", "state"]}

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL(
            """JOIN res_partner rp ON rp.id = doc.partner_id
               JOIN res_company rc ON rc.id = doc.company_id"""
        )

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date_start::timestamp",
            "entry_type": "'contract'",
            "department": "'sales'",
            "user_id": "doc.user_id",
            "amount": "doc.amount",
            "currency_id": "rc.currency_id",
            "is_alert": "doc.state = 'expired'",
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT id FROM test_crm_relationship_contract WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        return SQL(
            """SELECT ctr.id FROM test_crm_relationship_contract ctr
                 JOIN stock_lot lot ON lot.id = ctr.lot_id
                WHERE lot.name ILIKE %s""",
            pattern,
        )

    @api.model
    def _crm_get_timeline_lot_names(self, ids):
        return {contract.id: [contract.lot_id.name] for contract in self.browse(ids) if contract.lot_id}

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        return {
            contract.id: contract.product_id.display_name
            for contract in self.browse(ids)
            if contract.product_id
        }

    @api.model
    def _crm_get_card_figures(self, customers, group):
        result = defaultdict(lambda: defaultdict(float))
        for partner, state, count, amount in self._read_group(
            self._crm_get_documents_domain(customers), ["partner_id", "state"], ["__count", "amount:sum"]
        ):
            values = result[partner.commercial_partner_id.id]
            values["crm_contract_count"] += count
            if state == "active":
                values["crm_contract_active_amount"] += amount
        return result
