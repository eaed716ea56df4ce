from odoo.fields import Command
from odoo.tests import Form, tagged

from odoo.addons.crm_relationship.tests.common import MAX_SAFE_ID, CrmRelationshipCase, IdOverflowMixin

# Past 2**31 / 4 (see the core add-on's overflow test), far from 2**31.
NEXT_IDS = {
    "stock_move_line": 640_000_000,
    "crm_relationship_defect": 680_000_000,
    "stock_lot": 700_000_000,
}


@tagged("post_install", "-at_install")
class TestCrmRelationshipMrpIdOverflow(IdOverflowMixin, CrmRelationshipCase):
    """Boiler Z-0001, built with burner lot BRN-9 and board lot SCH-3, is
    delivered to Caldaie Longeve S.r.l., which reports a defect on it; every
    move line, lot and defect id is above 600 million."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._move_id_sequences(NEXT_IDS)
        Product = cls.env["product.product"]
        cls.burner = Product.create({"name": "Bruciatore B-2", "is_storable": True, "tracking": "lot"})
        cls.board = Product.create({"name": "Scheda S-5", "is_storable": True, "tracking": "lot"})
        cls.boiler = Product.create({"name": "Caldaia Z-24", "is_storable": True, "tracking": "serial"})
        cls.bom = cls.env["mrp.bom"].create(
            {
                "product_id": cls.boiler.id,
                "product_tmpl_id": cls.boiler.product_tmpl_id.id,
                "product_qty": 1.0,
                "bom_line_ids": [
                    Command.create({"product_id": cls.burner.id, "product_qty": 1}),
                    Command.create({"product_id": cls.board.id, "product_qty": 1}),
                ],
            }
        )
        cls.stock_location = (
            cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1).lot_stock_id
        )
        Lot = cls.env["stock.lot"]
        cls.burner_lot = Lot.create({"name": "BRN-9", "product_id": cls.burner.id})
        cls.board_lot = Lot.create({"name": "SCH-3", "product_id": cls.board.id})
        for lot in cls.burner_lot | cls.board_lot:
            cls.env["stock.quant"]._update_available_quantity(
                lot.product_id, cls.stock_location, 5, lot_id=lot
            )
        cls.serial = cls._produce("Z-0001")
        cls.customer = cls.env["res.partner"].create({"name": "Caldaie Longeve S.r.l.", "is_company": True})
        cls.delivery_line = cls._deliver(cls.customer, cls.serial)
        cls.defect = cls.env["crm.relationship.defect"].create(
            {"partner_id": cls.customer.id, "product_id": cls.boiler.id, "lot_id": cls.serial.id}
        )

    @classmethod
    def _produce(cls, serial_name):
        """Build one boiler ``serial_name`` with a burner of BRN-9 and a board of SCH-3."""
        mo_form = Form(cls.env["mrp.production"])
        mo_form.product_id = cls.boiler
        mo_form.bom_id = cls.bom
        mo_form.product_qty = 1
        production = mo_form.save()
        production.action_confirm()
        serial = cls.env["stock.lot"].create({"name": serial_name, "product_id": cls.boiler.id})
        production.lot_producing_ids = serial
        production.qty_producing = 1
        production.set_qty_producing()
        lots = {lot.product_id: lot for lot in cls.burner_lot | cls.board_lot}
        for move in production.move_raw_ids:
            move.move_line_ids.unlink()
            cls.env["stock.move.line"].create(
                {
                    "move_id": move.id,
                    "product_id": move.product_id.id,
                    "lot_id": lots[move.product_id].id,
                    "quantity": 1,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                }
            )
        production.move_raw_ids.picked = True
        production.button_mark_done()
        return serial

    @classmethod
    def _deliver(cls, customer, serial):
        """Sell and deliver ``serial`` to ``customer``; return the delivered move line."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": cls.boiler.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        move = picking.move_ids
        move.move_line_ids.unlink()
        line = cls.env["stock.move.line"].create(
            {
                "move_id": move.id,
                "picking_id": picking.id,
                "product_id": cls.boiler.id,
                "lot_id": serial.id,
                "quantity": 1,
                "location_id": move.location_id.id,
                "location_dest_id": move.location_dest_id.id,
            }
        )
        move.picked = True
        picking.with_context(skip_sms=True).button_validate()
        return line

    def test_component_report(self):
        env = self._web_env(self.rel_manager)
        Report = env["crm.relationship.defect.component.report"]
        self.assertGreater(self.delivery_line.id * 4, 2**31 - 1)
        self.assertGreater(self.defect.id * 4, 2**31 - 1)
        spec = self._view_spec(env, "crm_relationship_mrp.crm_relationship_defect_component_report_view_list")
        domain = [("partner_id", "=", self.customer.id)]
        result = Report.web_search_read(domain, spec)
        rows = {row["id"]: row for row in result["records"]}
        # The burner lot comes first among the components of Z-0001 (lower id): position 1.
        self.assertLess(self.burner_lot.id, self.board_lot.id)
        positions = {self.burner_lot: 1, self.board_lot: 2}
        expected = {}
        for lot, position in positions.items():
            expected[(self.defect.id * 2**21 + position) * 2] = ("defect", lot.id, 1, 0.0)
            expected[(self.delivery_line.id * 2**21 + position) * 2 + 1] = ("delivery", lot.id, 0, 1.0)
        self.assertEqual(
            {
                row_id: (
                    row["source"],
                    row["component_lot_id"]["id"],
                    row["defect_count"],
                    row["delivered_qty"],
                )
                for row_id, row in rows.items()
            },
            expected,
        )
        self.assertLessEqual(max(rows), MAX_SAFE_ID)
        for row_id, row in rows.items():
            [again] = Report.browse(row_id).web_read(spec)
            self.assertEqual(again, row)
        self._assert_row_ids(Report)

        aggregates = ["defect_count:sum", "delivered_qty:sum", "defect_rate:avg"]
        groups = Report.web_read_group(domain, ["component_lot_id"], aggregates)["groups"]
        self.assertEqual(
            {group["component_lot_id"][0]: [group[agg] for agg in aggregates] for group in groups},
            {self.burner_lot.id: [1, 1.0, 100.0], self.board_lot.id: [1, 1.0, 100.0]},
        )
