from odoo import api, fields, models
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

    @api.readonly
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
        MoveLine = self.env["stock.move.line"]
        domain = (
            MoveLine._crm_get_customer_delivery_domain()
            & Domain("lot_id", "in", self.ids)
            & Domain("picking_id", "!=", False)
            & Domain("company_id", "in", self.env.companies.ids)
        )
        ids = {lot: ({}, {}) for lot in self}  # {lot: ({picking id: None}, {customer id: None})}
        if self:
            groupby = ["lot_id", "picking_id", "picking_id.partner_id.commercial_partner_id"]
            for lot, picking, customer in MoveLine.sudo()._read_group(domain, groupby):
                picking_ids, customer_ids = ids[lot]
                picking_ids[picking.id] = None
                if customer:
                    customer_ids[customer.id] = None
        return {
            lot: {
                "deliveries": self.env["stock.picking"].browse(list(picking_ids)),
                "customers": self.env["res.partner"].browse(list(customer_ids)),
            }
            for lot, (picking_ids, customer_ids) in ids.items()
        }

    def _crm_get_customer_equipment(self):
        """``{lot: crm.relationship.equipment}``: the registered units of each lot of ``self`` still at a
        customer (neither returned nor retired), in the user's companies; one search, with ``sudo()``."""
        Equipment = self.env["crm.relationship.equipment"]
        if not self:
            return {}
        units = Equipment.sudo().search_fetch(
            Domain("lot_id", "in", self.ids)
            & Equipment._get_at_customer_domain()
            & Domain("company_id", "in", self.env.companies.ids),
            ["lot_id", "partner_id"],
        )
        units_by_lot = units.grouped("lot_id")
        return {
            lot: Equipment.browse(units_by_lot[lot].ids) if lot in units_by_lot else Equipment for lot in self
        }
