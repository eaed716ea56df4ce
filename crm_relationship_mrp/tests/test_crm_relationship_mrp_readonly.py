from odoo import fields
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import CrmRelationshipDefectCase
from odoo.addons.crm_relationship.tests.test_crm_relationship_readonly import (
    ReadReplicaMixin,
    served_read_only,
)


@tagged("post_install", "-at_install")
class TestCrmRelationshipMrpReadOnlyMarks(TransactionCase):
    def test_production_button_is_marked(self):
        self.assertTrue(
            served_read_only(type(self.env["crm.relationship.defect"]), "action_view_productions")
        )


@tagged("post_install", "-at_install")
class TestCrmRelationshipMrpReadReplica(ReadReplicaMixin, CrmRelationshipDefectCase, HttpCase):
    """The production orders of a defect's serial number, opened on a read-only cursor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(
            cls.env,
            login="ro_production",
            name="Pia Produzione",
            groups="crm_relationship.crm_relationship_group_user,mrp.group_mrp_user",
        )
        cls.mx = cls.env["product.product"].create(
            {"name": "Boiler MX", "is_storable": True, "tracking": "serial", "crm_register_equipment": True}
        )
        case = cls.env["product.product"].create({"name": "Steel case", "is_storable": True})
        cls.env["stock.quant"]._update_available_quantity(case, cls.stock_location, 1)
        bom = cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.mx.product_tmpl_id.id,
                "product_qty": 1.0,
                "bom_line_ids": [fields.Command.create({"product_id": case.id, "product_qty": 1})],
            }
        )
        cls.production = cls.env["mrp.production"].create(
            {"product_id": cls.mx.id, "bom_id": bom.id, "product_qty": 1}
        )
        cls.production.action_confirm()
        cls.serial = cls.env["stock.lot"].create(
            {"name": "MX-RO-001", "product_id": cls.mx.id, "company_id": cls.company.id}
        )
        cls.production.lot_producing_ids = cls.serial
        cls.production.qty_producing = 1
        cls.production.set_qty_producing()
        cls.production.move_raw_ids.picked = True
        cls.production.button_mark_done()
        cls._deliver(cls.customer, cls.mx, cls.serial)
        cls.defect = cls._create_defect(product_id=cls.mx.id, lot_id=cls.serial.id)

    def test_production_orders_of_the_serial_number(self):
        self.assertEqual(self.production.state, "done")
        self.authenticate(self.operator.login, self.operator.login)
        action = self._assert_action_served_read_only(self.operator, self.defect, "action_view_productions")
        self.assertEqual(action["res_model"], "mrp.production")
        self.assertEqual(self.env["mrp.production"].search(action["domain"]), self.production)
