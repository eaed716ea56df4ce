from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_call_hourly_cost = fields.Monetary(
        string="Call Center Hourly Cost",
        help="Cost of one hour of call-center time, for the cost to serve of the customers.",
        groups="crm_relationship.crm_relationship_group_manager",
    )
    crm_warranty_defect_cost = fields.Monetary(
        string="Average Cost of a Warranty Defect",
        help="Average cost of handling a defect under warranty, for the cost to serve of the customers.",
        groups="crm_relationship.crm_relationship_group_manager",
    )
    crm_defect_production_user_id = fields.Many2one(
        "res.users",
        string="Production Responsible for Defects",
        domain="[('share', '=', False)]",
        help="Involved in every defect report of the company when no routing rule names production people.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_defect_call_center_user_ids = fields.Many2many(
        "res.users",
        "res_company_crm_defect_call_center_rel",
        "company_id",
        "user_id",
        string="Call Center for Defects",
        domain="[('share', '=', False)]",
        help="Call-center users involved in every defect report of the company when no routing rule names "
        "call-center people.",
        groups="crm_relationship.crm_relationship_group_user",
    )
