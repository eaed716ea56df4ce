from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipEquipmentCategory(models.Model):
    """Kind of customer equipment (boilers, heat pumps, ...).

    Each category defines its own extra attributes without code: the
    ``properties_definition`` field holds the definition of the
    ``properties`` shown on every equipment of the category.
    """

    _name = "crm.relationship.equipment.category"
    _description = "Equipment Category"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the category between companies.",
    )
    description = fields.Text(translate=True)
    properties_definition = fields.PropertiesDefinition(string="Equipment Properties")
    equipment_ids = fields.One2many("crm.relationship.equipment", "category_id")
    equipment_count = fields.Integer(compute="_compute_equipment_count")

    def _compute_equipment_count(self):
        counts = dict(
            self.env["crm.relationship.equipment"]._read_group(
                [("category_id", "in", self.ids)], ["category_id"], ["__count"]
            )
        )
        for category in self:
            category.equipment_count = counts.get(category, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if (
            self.env["crm.relationship.equipment"]
            .with_context(active_test=False)
            .search_count([("category_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._("This category is used by customer equipment: archive it instead of deleting it.")
            )

    @api.readonly
    def action_view_equipment(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("category_id", "=", self.id)]
        action["context"] = {"default_category_id": self.id}
        return action
