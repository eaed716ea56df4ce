from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_contract_count = fields.Integer(
        string="Service Contracts",
        compute="_compute_crm_contract_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_contract_active_amount = fields.Monetary(
        string="Active Contracts Amount",
        currency_field="crm_currency_id",
        compute="_compute_crm_contract_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_contract_figures(self):
        self._crm_compute_figures("test.crm.relationship.contract", "contracts")
