from odoo import api, fields, models
from odoo.fields import Domain


class CrmRelationshipDefect(models.Model):
    """Follow the defect's lot into manufacturing.

    The units sharing the defect's origin are those of the same production
    batch (the other lots finished by the production orders that produced
    the defect's lot), those built with the same component lots, and, when
    the defect's lot is itself a component, the units built with it.
    """

    _inherit = "crm.relationship.defect"

    production_ids = fields.Many2many(
        "mrp.production",
        string="Production Orders",
        compute="_compute_production_traceability",
        groups="mrp.group_mrp_user",
        help="Done production orders that produced the defect's serial/lot number.",
    )
    # Fields of the add-on's own defect model: its access rules already limit them to the
    # Customer Relationship groups, who may read lots.
    # public: readable wherever the defect report is
    component_lot_ids = fields.Many2many(
        "stock.lot",
        string="Component Lots",
        compute="_compute_production_traceability",
        help="Lots of the components consumed by those production orders.",
    )
    # public: readable wherever the defect report is
    batch_lot_ids = fields.Many2many(
        "stock.lot",
        string="Lots of the Same Batch",
        compute="_compute_production_traceability",
        help="Other lots finished by the same production orders, or built with the same component lots.",
    )

    @api.depends("lot_id")
    def _compute_production_traceability(self):
        can_read_productions = self.env.user.has_group("mrp.group_mrp_user")
        for defect in self:
            trace = defect._get_production_trace()
            defect.component_lot_ids = trace["component_lots"]
            defect.batch_lot_ids = trace["batch_lots"] - defect.lot_id
            if can_read_productions:
                defect.production_ids = trace["productions"]

    @api.model
    def _get_produced_lines_domain(self, lots):
        """Done move lines of finished products of production orders, for ``lots``."""
        return (
            Domain("lot_id", "in", lots.ids)
            & Domain("state", "=", "done")
            & Domain("move_id.production_id", "!=", False)
        )

    @api.model
    def _get_consumed_lines_domain(self, lots):
        """Done move lines of components consumed by production orders, for ``lots``."""
        return (
            Domain("lot_id", "in", lots.ids)
            & Domain("state", "=", "done")
            & Domain("move_id.raw_material_production_id", "!=", False)
        )

    def _get_production_trace(self):
        """Return the production side of the defect's lot, set-based.

        ``{"productions": mrp.production, "component_lots": stock.lot,
        "batch_lots": stock.lot}``: the done production orders that produced
        the lot, the lots of the components they consumed, and the lots
        finished by those orders, by the orders that consumed the same
        component lots, or by the orders that consumed the defect's lot. A
        fixed number of grouped queries, whatever the size of the batch.
        """
        self.ensure_one()
        Lot = self.env["stock.lot"]
        Production = self.env["mrp.production"]
        empty = {"productions": Production, "component_lots": Lot, "batch_lots": Lot}
        if not self.lot_id:
            return empty
        MoveLine = self.env["stock.move.line"].sudo()
        productions = Production.sudo().browse(
            [
                move.production_id.id
                for (move,) in MoveLine._read_group(self._get_produced_lines_domain(self.lot_id), ["move_id"])
            ]
        )
        component_lots = Lot.browse(
            [
                lot.id
                for (lot,) in MoveLine._read_group(
                    Domain("move_id.raw_material_production_id", "in", productions.ids)
                    & Domain("state", "=", "done")
                    & Domain("lot_id", "!=", False),
                    ["lot_id"],
                )
            ]
        )
        consuming = Production.sudo().browse(
            [
                move.raw_material_production_id.id
                for (move,) in MoveLine._read_group(
                    self._get_consumed_lines_domain(component_lots | self.lot_id), ["move_id"]
                )
            ]
        )
        batch_lots = Lot.browse(
            [
                lot.id
                for (lot,) in MoveLine._read_group(
                    Domain("move_id.production_id", "in", (productions | consuming).ids)
                    & Domain("state", "=", "done")
                    & Domain("lot_id", "!=", False),
                    ["lot_id"],
                )
            ]
        )
        return {
            "productions": Production.browse(productions.ids),
            "component_lots": component_lots,
            "batch_lots": batch_lots,
        }

    def _get_traced_lots(self):
        lots = super()._get_traced_lots()
        if self.lot_id:
            lots |= self._get_production_trace()["batch_lots"]
        return lots

    def action_view_productions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mrp.mrp_production_action")
        action["domain"] = [("id", "in", self._get_production_trace()["productions"].ids)]
        action["context"] = {"create": False}
        return action
