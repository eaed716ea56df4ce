from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import CustomerHistoryCase


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
