from odoo.tests import tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDemo(CrmRelationshipCase):
    """The demo tells a coherent story: orders delivered with serials and invoiced."""

    def test_demo_customers_have_contacts_and_sites(self):
        rossi = self.env.ref("crm_relationship.res_partner_rossi_demo")
        self.assertTrue(rossi.is_company)
        self.assertEqual(rossi.country_id, self.env.ref("base.it"))
        self.assertEqual(
            set(rossi.child_ids.mapped("name")),
            {"Marco Rossi", "Giulia Bianchi", "Cantiere Bergamo"},
        )
        site = self.env.ref("crm_relationship.res_partner_rossi_site_bergamo_demo")
        self.assertEqual(site.type, "delivery")

    def test_demo_orders_delivered_and_invoiced(self):
        orders = (
            self.env.ref("crm_relationship.sale_order_rossi_demo")
            | self.env.ref("crm_relationship.sale_order_ferraro_demo")
            | self.env.ref("crm_relationship.sale_order_gino_demo")
        )
        for order in orders:
            self.assertEqual(order.state, "sale")
            self.assertEqual(order.picking_ids.mapped("state"), ["done"], order.name)
            self.assertEqual(order.invoice_status, "invoiced", order.name)
            self.assertEqual(order.invoice_ids.mapped("state"), ["posted"], order.name)
            self.assertEqual(order.invoice_ids.amount_total, order.amount_total, order.name)
        rossi_lots = orders[0].picking_ids.move_line_ids.lot_id
        self.assertEqual(len(rossi_lots), 2)
        self.assertTrue(all(name.startswith("CX24-2026-") for name in rossi_lots.mapped("name")))
        self.assertEqual(
            orders[0].picking_ids.partner_id,
            self.env.ref("crm_relationship.res_partner_rossi_site_bergamo_demo"),
        )
        quotation = self.env.ref("crm_relationship.sale_order_esposito_demo")
        self.assertEqual(quotation.state, "draft")
        self.assertFalse(quotation.picking_ids)

    def test_demo_serial_tracked_product(self):
        boiler = self.env.ref("crm_relationship.product_boiler_cx24_demo")
        self.assertEqual(boiler.tracking, "serial")
        self.assertTrue(boiler.is_storable)
        delivered = self.env["stock.lot"].search([("product_id", "=", boiler.id)]).filtered("delivery_ids")
        self.assertEqual(len(delivered), 4)
