import re
from datetime import timedelta

from markupsafe import Markup

from odoo import fields
from odoo.tests import tagged

from .common import CustomerHistoryCase


@tagged("post_install", "-at_install")
class TestCustomerTimeline(CustomerHistoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.message = cls.contact.message_post(
            body=Markup("<p>Asked for the boiler manuals</p>"), subject="Manuali", message_type="comment"
        )
        cls.Timeline = cls.env["crm.relationship.timeline"].with_user(cls.rel_user)

    def _entries(self, *domain, **kwargs):
        return self.Timeline.search([("commercial_partner_id", "=", self.customer.id), *domain], **kwargs)

    def test_every_document_is_an_entry(self):
        entries = self._entries()
        got = {(e.entry_type, e.res_model, e.res_id) for e in entries}
        expected = {
            ("quotation", "sale.order", self.quotation_draft.id),
            ("quotation", "sale.order", self.quotation_sent.id),
            ("quotation", "sale.order", self.quotation_expired.id),
            ("quotation", "sale.order", self.quotation_cancel.id),
            ("order", "sale.order", self.order_a.id),
            ("order", "sale.order", self.order_b.id),
            ("delivery", "stock.picking", self.delivery_a.id),
            ("delivery", "stock.picking", self.delivery_b.id),
            ("return", "stock.picking", self.return_a.id),
            ("invoice", "account.move", self.invoice_a.id),
            ("invoice", "account.move", self.old_invoice.id),
            ("refund", "account.move", self.refund.id),
            ("payment", "account.payment", self.payment.id),
            ("message", "mail.message", self.message.id),
        }
        self.assertEqual(got, expected)
        self.assertEqual(len(entries), len(expected))

    def test_entries_labels_departments_and_amounts(self):
        by_key = {(e.res_model, e.res_id): e for e in self._entries()}
        invoice = by_key["account.move", self.invoice_a.id]
        self.assertEqual(invoice.department, "administration")
        self.assertEqual(invoice.amount, 2100.0)
        self.assertEqual(invoice.state_label, "Partially Paid")
        self.assertTrue(invoice.is_alert, "an overdue invoice needs attention")
        self.assertIn("Due", invoice.summary)
        self.assertEqual(by_key["account.move", self.refund.id].amount, -100.0)
        self.assertEqual(by_key["account.payment", self.payment.id].amount, 500.0)
        expired = by_key["sale.order", self.quotation_expired.id]
        self.assertTrue(expired.is_alert)
        self.assertIn("expired", expired.summary)
        self.assertEqual(expired.department, "sales")
        self.assertFalse(by_key["sale.order", self.quotation_draft.id].is_alert)
        self.assertEqual(by_key["sale.order", self.quotation_cancel.id].state, "cancel")
        delivery = by_key["stock.picking", self.delivery_a.id]
        self.assertEqual(delivery.department, "logistics")
        self.assertEqual(delivery.summary, "SN-A1, SN-A2")
        self.assertEqual(delivery.partner_id, self.site)
        self.assertTrue(by_key["stock.picking", self.return_a.id].is_alert)
        message = by_key["mail.message", self.message.id]
        self.assertEqual(message.name, "Manuali")
        self.assertEqual(message.summary, "Asked for the boiler manuals")
        order = by_key["sale.order", self.order_a.id]
        self.assertEqual(order.partner_id, self.contact)
        self.assertEqual(order.commercial_partner_id, self.customer)

    def test_newest_first_and_paginated(self):
        entries = self._entries()
        dates = entries.mapped("date")
        self.assertEqual(dates, sorted(dates, reverse=True))
        page_1 = self._entries(limit=5)
        page_2 = self._entries(limit=5, offset=5)
        self.assertEqual(page_1 | page_2, entries[:10])
        self.assertFalse(page_1 & page_2)
        self.assertEqual(self.Timeline.search_count([("commercial_partner_id", "=", self.customer.id)]), 14)

    def test_card_shows_latest_entries(self):
        card = self.contact.with_user(self.rel_user)
        self.assertEqual(card.crm_timeline_ids, self._entries(limit=10))

    def test_filter_by_type_and_period(self):
        self.assertEqual(
            set(self._entries(("entry_type", "in", ("invoice", "refund"))).mapped("res_id")),
            set((self.invoice_a | self.refund | self.old_invoice).ids),
        )
        last_year = self._entries(
            ("date", "<", fields.Datetime.to_datetime(self.today - timedelta(days=300)))
        )
        self.assertEqual(last_year.mapped("name"), [self.old_invoice.name])

    def test_filter_by_product(self):
        boiler_docs = self._entries(("product_id", "=", self.boiler.id))
        self.assertEqual(
            {(e.res_model, e.res_id) for e in boiler_docs},
            {
                ("sale.order", self.order_a.id),
                ("stock.picking", self.delivery_a.id),
                ("stock.picking", self.return_a.id),
                ("account.move", self.invoice_a.id),
            },
        )
        by_name = self._entries(("product_id", "ilike", "Boiler B-30"))
        self.assertEqual(by_name, boiler_docs)
        self.assertNotIn(
            self.order_a.id, self._entries(("product_id", "not in", [self.boiler.id])).mapped("res_id")
        )

    def test_filter_by_serial_number(self):
        returned = self._entries(("lot_name", "ilike", "SN-A2"))
        self.assertEqual(
            {(e.res_model, e.res_id) for e in returned},
            {
                ("sale.order", self.order_a.id),
                ("stock.picking", self.delivery_a.id),
                ("stock.picking", self.return_a.id),
            },
        )
        self.assertFalse(self._entries(("lot_name", "ilike", "SN-A3")))
        self.assertEqual(len(self._entries(("lot_name", "ilike", "sn-a"))), 3)

    def test_branch_registry_rejects_unknown_columns(self):
        with self.assertRaises(ValueError):
            self.env["crm.relationship.timeline"]._branch(
                99, "FROM res_partner p", res_id="p.id", colour="'red'"
            )
        branches = self.env["crm.relationship.timeline"]._get_sources()
        self.assertTrue(
            all(re.match(r"SELECT \(.+?\)::bigint \* %s \+ %s AS id", branch.code) for branch in branches)
        )
        self.assertEqual({branch.params[0] for branch in branches}, {1000})
        codes = [branch.params[1] for branch in branches]
        self.assertEqual(len(codes), len(set(codes)), "one branch per document type, unique codes")
        self.assertLessEqual(set(range(1, 9)), set(codes), "every core document type has its branch")
        Documents = self.env["crm.relationship.customer.document"]
        self.assertEqual(
            codes, [self.env[name]._crm_timeline_code for name in Documents._crm_get_timeline_models()]
        )
