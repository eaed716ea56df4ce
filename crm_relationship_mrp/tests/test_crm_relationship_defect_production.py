from unittest.mock import patch

from odoo import fields
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectProduction(CrmRelationshipDefectCase):
    """Three boilers made by three production orders; two share the burner lot BRN-01."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.burner = cls.env["product.product"].create(
            {"name": "Burner B1", "is_storable": True, "tracking": "lot", "categ_id": cls.boilers.id}
        )
        cls.case = cls.env["product.product"].create({"name": "Steel case", "is_storable": True})
        cls.mx = cls.env["product.product"].create(
            {
                "name": "Boiler MX",
                "is_storable": True,
                "tracking": "serial",
                "categ_id": cls.boilers.id,
                "crm_register_equipment": True,
                "crm_warranty_months": 24,
            }
        )
        cls.bom = cls.env["mrp.bom"].create(
            {
                "product_id": cls.mx.id,
                "product_tmpl_id": cls.mx.product_tmpl_id.id,
                "product_qty": 1.0,
                "bom_line_ids": [
                    fields.Command.create({"product_id": cls.burner.id, "product_qty": 1}),
                    fields.Command.create({"product_id": cls.case.id, "product_qty": 1}),
                ],
            }
        )
        cls.env["stock.quant"]._update_available_quantity(cls.case, cls.stock_location, 10)
        cls.burner_lot_1 = cls._create_lot(cls.burner, "BRN-01", 10)
        cls.burner_lot_2 = cls._create_lot(cls.burner, "BRN-02", 10)
        cls.mo_1, cls.mx_1 = cls._produce(cls.burner_lot_1, "MX-001")
        cls.mo_2, cls.mx_2 = cls._produce(cls.burner_lot_1, "MX-002")
        cls.mo_3, cls.mx_3 = cls._produce(cls.burner_lot_2, "MX-003")
        cls.bianchi = cls._create_call_customer("Bianchi Clima", email="info@bianchi.example.com")
        cls.verdi = cls._create_call_customer("Verdi Termo", email="info@verdi.example.com")
        cls.neri = cls._create_call_customer("Neri Caldaie", email="info@neri.example.com")
        cls.picking_rossi = cls._deliver(cls.customer, cls.mx, cls.mx_1)
        cls.picking_bianchi = cls._deliver(cls.bianchi, cls.mx, cls.mx_2)
        cls.picking_verdi = cls._deliver(cls.verdi, cls.mx, cls.mx_3)

    @classmethod
    def _produce(cls, burner_lot, serial):
        """Manufacture one boiler ``serial`` with a burner of ``burner_lot``; return the order and the lot."""
        mo_form = Form(cls.env["mrp.production"])
        mo_form.product_id = cls.mx
        mo_form.bom_id = cls.bom
        mo_form.product_qty = 1
        production = mo_form.save()
        production.action_confirm()
        production.action_assign()
        lot = cls.env["stock.lot"].create(
            {"name": serial, "product_id": cls.mx.id, "company_id": cls.company.id}
        )
        production.lot_producing_ids = lot
        production.qty_producing = 1
        production.set_qty_producing()
        burner_move = production.move_raw_ids.filtered(lambda m: m.product_id == cls.burner)
        burner_move.move_line_ids.unlink()
        cls.env["stock.move.line"].create(
            {
                "move_id": burner_move.id,
                "product_id": cls.burner.id,
                "lot_id": burner_lot.id,
                "quantity": 1,
                "location_id": burner_move.location_id.id,
                "location_dest_id": burner_move.location_dest_id.id,
            }
        )
        production.move_raw_ids.picked = True
        production.button_mark_done()
        return production, lot

    @staticmethod
    def _affected(defect):
        """``(customers, equipment)`` affected by ``defect``, from a fresh lookup."""
        trace = defect._get_traceability()[defect]
        return trace["customers"], trace["equipment"]

    def test_production_order_and_component_lots(self):
        self.assertEqual(self.mo_1.state, "done")
        defect = self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id)
        self.assertEqual(defect.production_ids, self.mo_1)
        self.assertEqual(defect.component_lot_ids, self.burner_lot_1)
        self.assertEqual(defect.batch_lot_ids, self.mx_2, "built with the same burner lot")
        self.assertEqual(defect.traced_lot_ids, self.mx_1 | self.mx_2)
        self.assertEqual(defect.delivery_ids, self.picking_rossi | self.picking_bianchi)
        self.assertEqual(defect.action_view_productions()["domain"], [("id", "in", self.mo_1.ids)])

    def test_affected_customers_share_the_component_lot(self):
        defect = self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id)
        customers, equipment = self._affected(defect)
        self.assertEqual(customers, self.bianchi, "Verdi's boiler has another burner lot")
        self.assertEqual(equipment, self._equipment_of(self.bianchi, self.mx_2))
        self.assertEqual(len(equipment), 1)
        unrelated = self._create_defect(
            partner_id=self.verdi.id, contact_id=False, product_id=self.mx.id, lot_id=self.mx_3.id
        )
        self.assertFalse(self._affected(unrelated)[0], "nobody else has a BRN-02 burner")
        self.assertEqual(unrelated.component_lot_ids, self.burner_lot_2)

    def test_defect_of_a_component_lot_reaches_the_units_built_with_it(self):
        defect = self._create_defect(
            partner_id=self.neri.id, contact_id=False, product_id=self.burner.id, lot_id=self.burner_lot_1.id
        )
        self.assertEqual(defect.batch_lot_ids, self.mx_1 | self.mx_2)
        customers, equipment = self._affected(defect)
        self.assertEqual(customers, self.customer | self.bianchi)
        self.assertEqual(equipment.lot_id, self.mx_1 | self.mx_2)

    def test_recall_reaches_the_batch(self):
        defect = self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id)
        defect.action_confirm()
        wizard = self.env["crm.relationship.defect.recall"].create({"defect_id": defect.id, "mode": "call"})
        calls = wizard._create_recall_calls(defect.affected_partner_ids)
        self.assertEqual(calls.partner_id, self.bianchi)
        self.assertEqual(calls.equipment_id, self._equipment_of(self.bianchi, self.mx_2))

    def _count_queries(self, defect):
        """Queries of ``_get_traceability`` with a cold ORM cache (the environment warmed up)."""
        self._affected(defect)
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        customers, _equipment = self._affected(defect)
        return self.cr.sql_log_count - start, customers

    def test_query_count_does_not_grow_with_the_batch(self):
        defect = self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id)
        small, customers = self._count_queries(defect)
        self.assertEqual(len(customers), 1)
        for index in range(4):
            _production, lot = self._produce(self.burner_lot_1, f"MX-1{index}")
            customer = self._create_call_customer(f"Cliente {index}")
            self._deliver(customer, self.mx, lot)
        large, customers = self._count_queries(defect)
        self.assertEqual(len(customers), 5)
        self.assertEqual(large, small, "no query per customer or per unit")
        self.assertLessEqual(large, 10)

    def test_lots_traced_together_as_alone(self):
        lots = self.mx_1 | self.mx_3 | self.burner_lot_1 | self.burner_lot_2
        together = lots._crm_get_origin_trace()
        for lot in lots:
            alone = lot._crm_get_origin_trace()[lot]
            self.assertEqual(together[lot].keys(), alone.keys())
            for key, records in alone.items():
                self.assertEqual(together[lot][key], records, f"{lot.name}: {key}")
        self.assertEqual(together[self.mx_1]["lots"], self.mx_1 | self.mx_2)
        self.assertEqual(together[self.mx_3]["lots"], self.mx_3)
        self.assertEqual(together[self.burner_lot_1]["lots"], self.burner_lot_1 | self.mx_1 | self.mx_2)
        self.assertEqual(together[self.burner_lot_2]["productions"], self.env["mrp.production"])
        deliveries = (self.mx_1 | self.mx_2 | self.mx_3)._crm_get_customer_deliveries()
        self.assertEqual(deliveries[self.mx_2]["deliveries"], self.picking_bianchi)
        self.assertEqual(deliveries[self.mx_3]["customers"], self.verdi)

    def test_form_load_traces_production_once(self):
        planner = new_test_user(
            self.env,
            login="defect_mrp_planner",
            groups="crm_relationship.crm_relationship_group_user,mrp.group_mrp_user",
        )
        defect = self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id).with_user(planner)
        defect = defect.with_context(allowed_company_ids=self.company.ids)
        spec = self._form_spec(defect)
        self.assertIn("production_ids", spec)
        self.env.invalidate_all()
        Lot = type(self.env["stock.lot"])
        with patch.object(
            Lot, "_crm_get_production_trace", autospec=True, side_effect=Lot._crm_get_production_trace
        ) as production_trace:
            values = defect.web_read(spec)[0]
        self.assertEqual(production_trace.call_count, 1, "one lookup for every traceability field")
        self.assertEqual(values["production_ids"], [{"id": self.mo_1.id, "display_name": self.mo_1.name}])
        self.assertEqual([lot["id"] for lot in values["batch_lot_ids"]], self.mx_2.ids)
        self.assertEqual(values["affected_partner_count"], 1)

    def test_defect_rate_per_component_lot(self):
        self._create_defect(product_id=self.mx.id, lot_id=self.mx_1.id)
        rejected = self._create_defect(
            partner_id=self.verdi.id, contact_id=False, product_id=self.mx.id, lot_id=self.mx_3.id
        )
        rejected.action_reject()
        Report = self.env["crm.relationship.defect.component.report"].with_user(self.rel_manager)
        groups = {
            lot: (defects, delivered, rate)
            for lot, defects, delivered, rate in Report._read_group(
                [("component_product_id", "=", self.burner.id)],
                ["component_lot_id"],
                ["defect_count:sum", "delivered_qty:sum", "defect_rate:avg"],
            )
        }
        self.assertEqual(groups[self.burner_lot_1], (1, 2.0, 50.0), "1 defect over the 2 boilers with BRN-01")
        self.assertEqual(groups[self.burner_lot_2], (0, 1.0, 0.0), "a rejected report is not a defect")
        action = self.env.ref("crm_relationship_mrp.crm_relationship_defect_component_report_action")
        self.assertEqual(action.res_model, Report._name)
        self.assertIn("'graph_groupbys': ['component_lot_id']", action.context)
