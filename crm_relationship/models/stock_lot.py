from odoo import fields, models
from odoo.fields import Domain


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

    # ------------------------------------------------------------------
    # Traceability of defects: from a lot to the customers who received it
    # ------------------------------------------------------------------

    def _crm_get_origin_trace(self):
        """The lots whose units share the origin of each lot of ``self``.

        ``{lot: {"lots": stock.lot}}``: each lot alone here;
        ``crm_relationship_mrp`` adds the lots of the same production batch
        and of the same component lots, with what it followed to find them
        (more keys). Override set-based: a fixed number of queries for all
        the lots.
        """
        return {lot: {"lots": lot} for lot in self}

    def _crm_get_customer_deliveries(self):
        """The deliveries of units of the lots to customers, and the customers who received them.

        ``{lot: {"deliveries": stock.picking, "customers": res.partner}}``
        for every lot of ``self``: the transfers with a done move line of the
        lot into a customer location
        (``stock.move.line._crm_get_customer_delivery_domain()``) in the
        user's companies, and the commercial entities of their partners. One
        grouped query for all the lots, with ``sudo()``: whoever may read a
        defect report sees who received its lot, not the stock moves.
        """
        Picking = self.env["stock.picking"]
        Partner = self.env["res.partner"]
        result = {lot: {"deliveries": Picking, "customers": Partner} for lot in self}
        if not self:
            return result
        MoveLine = self.env["stock.move.line"]
        domain = (
            MoveLine._crm_get_customer_delivery_domain()
            & Domain("lot_id", "in", self.ids)
            & Domain("picking_id", "!=", False)
            & Domain("company_id", "in", self.env.companies.ids)
        )
        groups = MoveLine.sudo()._read_group(
            domain, ["lot_id", "picking_id", "picking_id.partner_id.commercial_partner_id"]
        )
        for lot, picking, customer in groups:
            trace = result[lot]
            trace["deliveries"] |= Picking.browse(picking.ids)
            trace["customers"] |= Partner.browse(customer.ids)
        return result

    def _crm_get_customer_equipment(self):
        """``{lot: crm.relationship.equipment}``: the registered units of each lot of ``self`` still at a
        customer (neither returned nor retired), in the user's companies; one search, with ``sudo()``."""
        Equipment = self.env["crm.relationship.equipment"]
        result = dict.fromkeys(self, Equipment)
        if not self:
            return result
        units = Equipment.sudo().search_fetch(
            Domain("lot_id", "in", self.ids)
            & Domain("state", "not in", ("returned", "retired"))
            & Domain("company_id", "in", self.env.companies.ids),
            ["lot_id", "partner_id"],
        )
        for lot, lot_units in units.grouped("lot_id").items():
            result[lot] |= Equipment.browse(lot_units.ids)
        return result
