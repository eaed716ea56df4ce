from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCustomerCardTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the documents belong to the company the tour's user works in
        admin_company = cls.env.ref("base.user_admin").company_id
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=admin_company.ids))
        today = fields.Date.context_today(cls.env["res.partner"])
        customer = cls.env["res.partner"].create({"name": "Caseificio Tour S.r.l.", "is_company": True})
        product = cls.env["product.product"].create(
            {"name": "Tour service", "type": "service", "list_price": 10.0, "taxes_id": [Command.clear()]}
        )
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=20),
                "invoice_payment_term_id": False,
                "invoice_date_due": today - timedelta(days=5),
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": product.id, "price_unit": 1234.0, "tax_ids": [Command.clear()]}
                    )
                ],
            }
        )
        invoice.action_post()
        cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )

    def test_customer_card_tour(self):
        self.start_tour(
            "/odoo/action-crm_relationship.res_partner_action_customer",
            "crm_relationship_customer_card_tour",
            login="admin",
        )


@tagged("post_install", "-at_install")
class TestLogCallTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Latteria Tour S.p.A.", "is_company": True, "customer_rank": 1}
        )

    def test_log_call_tour(self):
        self.start_tour(
            "/odoo/action-crm_relationship.res_partner_action_customer",
            "crm_relationship_log_call_tour",
            login="admin",
        )
        call = self.env["crm.relationship.call"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(call.subject, "Richiesta offerta caldaia")
        self.assertEqual(call.state, "done")
        activity = self.customer.activity_ids
        self.assertEqual(activity.summary, "Inviare offerta CX-24")
        self.assertEqual(call.next_action_activity_id, activity)
