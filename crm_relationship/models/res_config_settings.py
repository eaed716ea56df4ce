from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_call_hourly_cost = fields.Monetary(
        related="company_id.crm_call_hourly_cost",
        readonly=False,
        groups="crm_relationship.crm_relationship_group_manager",
    )
    crm_warranty_defect_cost = fields.Monetary(
        related="company_id.crm_warranty_defect_cost",
        readonly=False,
        groups="crm_relationship.crm_relationship_group_manager",
    )
    crm_defect_production_user_id = fields.Many2one(
        related="company_id.crm_defect_production_user_id",
        readonly=False,
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_defect_call_center_user_ids = fields.Many2many(
        related="company_id.crm_defect_call_center_user_ids",
        readonly=False,
        groups="crm_relationship.crm_relationship_group_user",
    )

    def action_crm_recompute_rfm(self):
        return self.env["crm.relationship.rfm.segment"].action_recompute_rfm()
