from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase


class CustomerHistoryCase(CrmRelationshipCase):
    """A customer with every kind of document a card must summarize.

    Bianchi Termotecnica (company) has a contact, Luca, and a delivery site:
    - offers: a draft, a sent, an expired and a cancelled quotation;
    - order A (placed by Luca): 2 serial-tracked boilers + 1 kit, delivered
      (SN-A1, SN-A2), one boiler (SN-A2) returned, invoiced 40 days ago
      (overdue), partially paid (500);
    - order B: 3 kits, confirmed, not delivered yet;
    - a credit note of 100 and an invoice of 300 dated last January.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.customer = cls.env["res.partner"].create(
            {"name": "Bianchi Termotecnica S.r.l.", "is_company": True, "phone": "+39 02 1234 5678"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Luca Bianchi", "parent_id": cls.customer.id, "phone": "335 987 6543"}
        )
        cls.site = cls.env["res.partner"].create(
            {"name": "Cantiere Monza", "parent_id": cls.customer.id, "type": "delivery"}
        )
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Boiler B-30",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "list_price": 1000.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        cls.kit = cls.env["product.product"].create(
            {
                "name": "Flue kit F-60",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        cls.stock_location = cls.env.user._get_default_warehouse_id().lot_stock_id
        Quant = cls.env["stock.quant"]
        cls.lots = cls.env["stock.lot"].create(
            [{"name": name, "product_id": cls.boiler.id} for name in ("SN-A1", "SN-A2", "SN-A3")]
        )
        for lot in cls.lots:
            Quant._update_available_quantity(cls.boiler, cls.stock_location, 1, lot_id=lot)
        Quant._update_available_quantity(cls.kit, cls.stock_location, 50)

        # Offers
        cls.quotation_draft = cls._create_order(cls.customer, [(cls.kit, 1)], validity=30)
        cls.quotation_sent = cls._create_order(cls.contact, [(cls.kit, 2)], validity=10)
        cls.quotation_sent.state = "sent"
        cls.quotation_expired = cls._create_order(cls.customer, [(cls.kit, 4)], validity=-5)
        cls.quotation_cancel = cls._create_order(cls.customer, [(cls.kit, 8)], validity=30)
        cls.quotation_cancel._action_cancel()

        # Order A: delivered, partly returned, invoiced, partially paid
        cls.order_a = cls._create_order(cls.contact, [(cls.boiler, 2), (cls.kit, 1)], site=cls.site)
        cls.order_a.action_confirm()
        cls.delivery_a = cls.order_a.picking_ids
        cls.delivery_a.move_ids.picked = True
        cls.delivery_a.with_context(skip_sms=True).button_validate()
        cls.invoice_a = cls.order_a._create_invoices()
        cls.invoice_a.write(
            {
                "invoice_date": cls.today - timedelta(days=40),
                "invoice_payment_term_id": False,
                "invoice_date_due": cls.today - timedelta(days=10),
            }
        )
        cls.invoice_a.action_post()
        cls.return_a = cls._return_serial(cls.delivery_a, cls.lots.filtered(lambda lot: lot.name == "SN-A2"))
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice_a.ids
        ).create({"amount": 500.0, "payment_date": cls.today}).action_create_payments()
        cls.payment = cls.env["account.payment"].search([("partner_id", "child_of", cls.customer.id)])

        # Order B: confirmed, waiting for delivery
        cls.order_b = cls._create_order(cls.customer, [(cls.kit, 3)])
        cls.order_b.action_confirm()
        cls.delivery_b = cls.order_b.picking_ids

        # Credit note today, invoice of last year
        cls.refund = cls._create_move("out_refund", 100.0, cls.today)
        cls.old_invoice = cls._create_move("out_invoice", 300.0, date(cls.today.year - 1, 1, 15))

    @classmethod
    def _create_order(cls, partner, lines, validity=None, site=None):
        values = {
            "partner_id": partner.id,
            "order_line": [
                Command.create(
                    {"product_id": product.id, "product_uom_qty": qty, "price_unit": product.list_price}
                )
                for product, qty in lines
            ],
        }
        if validity is not None:
            values["validity_date"] = cls.today + timedelta(days=validity)
        if site:
            values["partner_shipping_id"] = site.id
        return cls.env["sale.order"].create(values)

    @classmethod
    def _return_serial(cls, picking, lot):
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        for line in wizard.product_return_moves:
            line.quantity = 1 if line.product_id == cls.boiler else 0
        action = wizard.action_create_returns()
        return_picking = cls.env["stock.picking"].browse(action["res_id"])
        return_picking.move_ids.move_line_ids.unlink()
        return_picking.move_ids.write(
            {
                "move_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.boiler.id,
                            "picking_id": return_picking.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": return_picking.location_id.id,
                            "location_dest_id": return_picking.location_dest_id.id,
                        }
                    )
                ],
                "picked": True,
            }
        )
        return_picking.with_context(skip_sms=True).button_validate()
        return return_picking

    @classmethod
    def _create_move(cls, move_type, amount, invoice_date):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": cls.customer.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": False,
                "invoice_date_due": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.kit.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move


@tagged("post_install", "-at_install")
class TestCustomerCard(CustomerHistoryCase):
    def test_setup_is_what_the_card_must_summarize(self):
        self.assertEqual(self.return_a.move_line_ids.lot_id.name, "SN-A2")
        self.assertEqual(self.invoice_a.invoice_date_due, self.today - timedelta(days=10))
        self.assertEqual(self.old_invoice.payment_state, "not_paid")
        self.assertEqual(self.delivery_a.state, "done")
        self.assertEqual(self.return_a.state, "done")
        self.assertEqual(self.return_a.return_id, self.delivery_a)
        self.assertEqual(self.delivery_b.state, "assigned")
        self.assertEqual(self.invoice_a.amount_total, 2100.0)
        self.assertEqual(self.invoice_a.payment_state, "partial")
        self.assertEqual(self.invoice_a.amount_residual, 1600.0)

    def _assert_card(self, partner):
        card = partner.with_user(self.rel_user)
        expected = {
            "crm_quotation_count": 3,
            "crm_quotation_amount": 100.0 + 200.0 + 400.0,
            "crm_quotation_expired_count": 1,
            "crm_order_count": 2,
            "crm_order_amount": 2100.0 + 300.0,
            "crm_order_to_deliver_count": 1,
            "crm_delivery_count": 2,
            "crm_delivery_open_count": 1,
            "crm_return_count": 1,
            "crm_invoice_count": 2,
            "crm_refund_count": 1,
            "crm_invoiced_amount": 2100.0 + 300.0 - 100.0,
            "crm_invoiced_this_year": 2100.0 - 100.0,
            "crm_invoiced_last_year": 300.0,
            "crm_amount_due": 1600.0 + 300.0 - 100.0,
            "crm_amount_overdue": 1600.0 + 300.0,
            "crm_last_payment_date": self.today,
            "crm_last_delivery_date": self.delivery_a.date_done,
            "crm_first_purchase_date": self.order_a.date_order.date(),
            "crm_last_purchase_date": self.order_b.date_order.date(),
        }
        for field_name, value in expected.items():
            self.assertEqual(card[field_name], value, field_name)

    def test_card_figures_of_the_company(self):
        self._assert_card(self.customer)

    def test_card_figures_opened_from_a_contact(self):
        self._assert_card(self.contact)
        self._assert_card(self.site)
        action = self.contact.with_user(self.rel_user).action_open_crm_card()
        self.assertEqual(action["res_id"], self.customer.id)
        self.assertEqual(action["res_model"], "res.partner")

    def test_card_figures_follow_new_documents(self):
        """A document posted now shows at once: nothing is cached."""
        card = self.customer.with_user(self.rel_user)
        self.assertEqual(card.crm_invoice_count, 2)
        self._create_move("out_invoice", 50.0, self.today)
        card.invalidate_recordset()
        self.assertEqual(card.crm_invoice_count, 3)
        self.assertEqual(card.crm_invoiced_this_year, 2100.0 - 100.0 + 50.0)

    def test_purchase_dates_are_days_of_the_users_time_zone(self):
        night_owl = self.env["res.partner"].create({"name": "Cliente Notturno", "is_company": True})
        order = self._create_order(night_owl, [(self.kit, 1)])
        order.action_confirm()
        order.date_order = datetime(2026, 3, 9, 23, 30)  # 00:30 on 10 March in Rome
        card = night_owl.with_user(self.rel_user).with_context(tz="Europe/Rome")
        self.assertEqual(card.crm_first_purchase_date, date(2026, 3, 10))
        self.assertEqual(card.with_context(tz="UTC").crm_last_purchase_date, date(2026, 3, 9))

    def test_customer_without_documents(self):
        lonely = self.env["res.partner"].create({"name": "Nuovo Cliente", "is_company": True})
        card = lonely.with_user(self.rel_user)
        self.assertEqual(card.crm_invoice_count, 0)
        self.assertEqual(card.crm_amount_due, 0.0)
        self.assertFalse(card.crm_first_purchase_date)
        self.assertFalse(card.crm_timeline_ids)
        self.assertFalse(card.crm_has_next_action)
        self.assertIn("No next action", card.crm_alert_message)

    def test_next_planned_action(self):
        card = self.customer.with_user(self.rel_user)
        self.assertFalse(card.crm_has_next_action)
        self.assertIn("No next action is planned", card.crm_alert_message)
        self.assertIn(self.customer, self.env["res.partner"].search([("crm_has_next_action", "=", False)]))
        # an activity on a document of the customer counts
        self.order_b.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.today + timedelta(days=5),
            summary="Confirm the delivery date",
            user_id=self.rel_manager.id,
        )
        card.invalidate_recordset()
        self.assertTrue(card.crm_has_next_action)
        self.assertEqual(card.crm_next_action_date, self.today + timedelta(days=5))
        self.assertEqual(card.crm_next_action_user_id, self.rel_manager)
        self.assertIn("Confirm the delivery date", card.crm_next_action_summary)
        self.assertIn(self.order_b.name, card.crm_next_action_summary)
        self.assertNotIn("No next action", card.crm_alert_message or "")
        self.assertIn(self.customer, self.env["res.partner"].search([("crm_has_next_action", "=", True)]))
        # the earliest one wins, even on a contact
        self.contact.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self.today - timedelta(days=1),
            summary="Send the manual",
            user_id=self.rel_user.id,
        )
        card.invalidate_recordset()
        self.assertEqual(card.crm_next_action_date, self.today - timedelta(days=1))
        self.assertEqual(card.crm_next_action_user_id, self.rel_user)
        self.assertTrue(card.crm_next_action_overdue)
        self.assertEqual(
            self.contact.with_user(self.rel_user).crm_next_action_summary, card.crm_next_action_summary
        )

    def test_alerts_on_card_and_sale_order(self):
        card = self.customer.with_user(self.rel_user)
        self.assertIn("Overdue invoices", card.crm_alert_message)
        self.assertIn("1,900.00", card.crm_alert_message)
        self.assertEqual(self.quotation_draft.crm_alert_message, card.crm_alert_message)
        self.invoice_a.activity_schedule("mail.mail_activity_data_todo", date_deadline=self.today)
        self.env.invalidate_all()
        self.assertNotIn("No next action", self.quotation_draft.crm_alert_message)
        other = self._create_order(
            self.env["res.partner"].create({"name": "Cliente Puntuale", "is_company": True}), [(self.kit, 1)]
        )
        other.activity_schedule("mail.mail_activity_data_todo", date_deadline=self.today)
        self.assertFalse(other.crm_alert_message)

    def test_last_contact_date(self):
        self.assertFalse(self.customer.crm_last_contact_date)
        self.contact.message_post(body="Called about the second boiler", message_type="comment")
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.crm_last_contact_date)
        self.assertLessEqual(
            fields.Datetime.now() - self.customer.crm_last_contact_date, timedelta(minutes=5)
        )

    def test_click_through_actions(self):
        card = self.customer.with_user(self.rel_manager)
        self.assertEqual(
            self.env["sale.order"].search(card.action_view_crm_quotations()["domain"]),
            self.quotation_draft | self.quotation_sent | self.quotation_expired,
        )
        self.assertEqual(
            self.env["sale.order"].search(card.action_view_crm_orders()["domain"]),
            self.order_a | self.order_b,
        )
        self.assertEqual(
            self.env["stock.picking"].search(card.action_view_crm_deliveries()["domain"]),
            self.delivery_a | self.delivery_b | self.return_a,
        )
        self.assertEqual(
            self.env["account.move"].search(card.action_view_crm_invoices()["domain"]),
            self.invoice_a | self.refund | self.old_invoice,
        )


@tagged("post_install", "-at_install")
class TestCustomerCardRights(CustomerHistoryCase):
    def test_summaries_without_sales_or_invoicing_rights(self):
        self.assertFalse(self.rel_user.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(self.rel_user.has_group("account.group_account_invoice"))
        card = self.customer.with_user(self.rel_user)
        self.assertEqual(card.crm_invoice_count, 2)
        self.assertEqual(card.crm_amount_overdue, 1900.0)
        entries = (
            self.env["crm.relationship.timeline"]
            .with_user(self.rel_user)
            .search([("commercial_partner_id", "=", self.customer.id), ("entry_type", "=", "invoice")])
        )
        self.assertEqual(set(entries.mapped("name")), {self.invoice_a.name, self.old_invoice.name})
        self.assertTrue(all(entries.mapped("summary")))
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.rel_user).browse(self.invoice_a.id).read(["name"])
        with self.assertRaises(AccessError):
            entries[0].action_open_document()

    def test_document_opens_with_the_app_rights(self):
        accountant = new_test_user(
            self.env,
            login="rel_accountant",
            groups="crm_relationship.crm_relationship_group_user,account.group_account_invoice",
        )
        entry = (
            self.env["crm.relationship.timeline"]
            .with_user(accountant)
            .search([("res_model", "=", "account.move"), ("res_id", "=", self.invoice_a.id)])
        )
        action = entry.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", self.invoice_a.id))

    def test_timeline_needs_the_relationship_group(self):
        with self.assertRaises(AccessError):
            self.env["crm.relationship.timeline"].with_user(self.internal_user).search([])

    def test_other_company_documents_are_invisible(self):
        company_b = self.env["res.company"].create({"name": "Filiale Svizzera"})
        order_b2 = (
            self.env["sale.order"]
            .with_company(company_b)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company_b.id,
                    "order_line": [Command.create({"product_id": self.kit.id, "product_uom_qty": 1})],
                }
            )
        )
        order_b2.action_confirm()
        self.rel_user.company_ids = self.company
        user_card = self.customer.with_user(self.rel_user)
        self.assertEqual(user_card.crm_order_count, 2)
        timeline = self.env["crm.relationship.timeline"].with_user(self.rel_user)
        self.assertFalse(timeline.search([("res_model", "=", "sale.order"), ("res_id", "=", order_b2.id)]))
        self.assertNotIn(order_b2.name, user_card.crm_timeline_ids.mapped("name"))
        # a user of both companies sees them when both are active
        self.rel_manager.company_ids = self.company | company_b
        both = self.customer.with_user(self.rel_manager).with_context(
            allowed_company_ids=[self.company.id, company_b.id]
        )
        self.assertEqual(both.crm_order_count, 3)
        self.assertTrue(
            self.env["crm.relationship.timeline"]
            .with_user(self.rel_manager)
            .with_context(allowed_company_ids=[self.company.id, company_b.id])
            .search([("res_model", "=", "sale.order"), ("res_id", "=", order_b2.id)])
        )
