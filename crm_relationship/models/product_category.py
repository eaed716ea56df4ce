from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    crm_register_equipment = fields.Boolean(
        string="Register as Customer Equipment",
        help="Every product of this category delivered to a customer is registered as customer equipment, "
        "one record per serial number or per unit.",
        groups="base.group_user",
    )
    crm_warranty_months = fields.Integer(
        string="Warranty (months)",
        help="Warranty granted on the products of this category, counted from the delivery date. "
        "A duration set on the product wins; subcategories without a duration use their parent's.",
        groups="base.group_user",
    )
    crm_equipment_category_id = fields.Many2one(
        "crm.relationship.equipment.category",
        string="Equipment Category",
        help="Category given to the equipment registered for the products of this category.",
        groups="base.group_user",
    )

    def _get_crm_warranty_months(self):
        """Warranty duration of the nearest category (self or a parent) that defines one."""
        category = self[:1]
        while category:
            if category.crm_warranty_months:
                return category.crm_warranty_months
            category = category.parent_id
        return 0
