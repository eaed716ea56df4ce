from odoo import api, fields, models
from odoo.fields import Domain


class ProductTemplate(models.Model):
    _inherit = "product.template"

    crm_register_equipment = fields.Boolean(
        string="Register as Customer Equipment",
        help="Deliveries of this product to a customer create customer equipment, one record per serial "
        "number or per unit. Can also be set on the product category.",
        groups="base.group_user",
    )
    crm_warranty_months = fields.Integer(
        string="Warranty (months)",
        help="Warranty granted on this product, counted from the delivery date of each unit. "
        "Leave 0 to use the duration of the product category.",
        groups="base.group_user",
    )
    crm_equipment_category_id = fields.Many2one(
        "crm.relationship.equipment.category",
        string="Equipment Category",
        help="Category of the equipment registered for this product; "
        "defaults to the one of the product category.",
        groups="base.group_user",
    )

    @api.model
    def _get_crm_equipment_domain(self):
        """Products whose deliveries are registered as customer equipment: flagged
        themselves or by their category. Override to register other products."""
        return Domain("crm_register_equipment", "=", True) | Domain(
            "categ_id.crm_register_equipment", "=", True
        )

    def _get_crm_warranty_months(self):
        """Warranty duration of this product: its own, else its category's."""
        self.ensure_one()
        return self.crm_warranty_months or self.categ_id._get_crm_warranty_months()

    def _get_crm_equipment_category(self):
        """Equipment category given to new equipment of this product."""
        self.ensure_one()
        return self.crm_equipment_category_id or self.categ_id.crm_equipment_category_id
