from odoo import fields, models


class StockLot(models.Model):
    _inherit = "stock.lot"

    crm_equipment_ids = fields.One2many(
        "crm.relationship.equipment",
        "lot_id",
        string="Customer Equipment",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_equipment_count = fields.Integer(
        string="Customer Equipment Count",
        compute="_compute_crm_equipment_count",
        groups="crm_relationship.crm_relationship_group_user",
    )

    def _compute_crm_equipment_count(self):
        counts = dict(
            self.env["crm.relationship.equipment"]
            .sudo()
            ._read_group([("lot_id", "in", self.ids)], ["lot_id"], ["__count"])
        )
        for lot in self:
            lot.crm_equipment_count = counts.get(lot, 0)

    def action_view_crm_equipment(self):
        self.ensure_one()
        self.env["crm.relationship.equipment"].check_access("read")
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("lot_id", "=", self.id)]
        action["context"] = {"default_lot_id": self.id, "default_product_id": self.product_id.id}
        return action
