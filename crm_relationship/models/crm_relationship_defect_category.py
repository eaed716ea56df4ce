from odoo import api, fields, models


class CrmRelationshipDefectCategory(models.Model):
    """Kind of defect (noise, leak, electronics, ...), to group and report defects."""

    _name = "crm.relationship.defect.category"
    _description = "Defect Category"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to share the category between companies."
    )
    description = fields.Text(translate=True)
    defect_count = fields.Integer(string="Defect Reports", compute="_compute_defect_count")

    def _compute_defect_count(self):
        counts = dict(
            self.env["crm.relationship.defect"]._read_group(
                [("category_id", "in", self.ids)], ["category_id"], ["__count"]
            )
        )
        for category in self:
            category.defect_count = counts.get(category, 0)

    @api.readonly
    def action_view_defects(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_defect_action"
        )
        action["domain"] = [("category_id", "=", self.id)]
        action["context"] = {"default_category_id": self.id}
        return action
