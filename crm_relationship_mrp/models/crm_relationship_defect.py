from odoo import api, fields, models


class CrmRelationshipDefect(models.Model):
    """Show the production side of the defect's lot.

    The lots sharing the defect's origin follow the lot into manufacturing
    (``stock.lot._crm_get_origin_trace()``); the report shows what was
    followed, from the same lookup as its other traceability fields.
    """

    _inherit = "crm.relationship.defect"

    production_ids = fields.Many2many(
        "mrp.production",
        string="Production Orders",
        compute="_compute_traceability",
        groups="mrp.group_mrp_user",
        help="Done production orders that produced the defect's serial/lot number.",
    )
    # Fields of the add-on's own defect model: its access rules already limit them to the
    # Customer Relationship groups, who may read lots.
    # public: readable wherever the defect report is
    component_lot_ids = fields.Many2many(
        "stock.lot",
        string="Component Lots",
        compute="_compute_traceability",
        help="Lots of the components consumed by those production orders.",
    )
    # public: readable wherever the defect report is
    batch_lot_ids = fields.Many2many(
        "stock.lot",
        string="Lots of the Same Batch",
        compute="_compute_traceability",
        help="Other lots finished by the same production orders, or built with the same component lots.",
    )

    def _get_traceability_values(self, trace):
        values = super()._get_traceability_values(trace)
        Lot = self.env["stock.lot"]
        values["component_lot_ids"] = trace.get("component_lots", Lot)
        values["batch_lot_ids"] = trace.get("batch_lots", Lot) - self.lot_id
        if self.env.user.has_group("mrp.group_mrp_user"):
            values["production_ids"] = trace.get("productions", self.env["mrp.production"])
        return values

    @api.readonly
    def action_view_productions(self):
        """The production orders traced from the report's lot. Only reads: served by a read
        replica when Odoo has one."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mrp.mrp_production_action")
        productions = self.lot_id._crm_get_production_trace().get(self.lot_id, {}).get("productions")
        action["domain"] = [("id", "in", productions.ids if productions else [])]
        action["context"] = {"create": False}
        return action
