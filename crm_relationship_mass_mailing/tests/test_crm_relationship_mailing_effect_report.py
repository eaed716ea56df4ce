from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CrmMailingCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipMailingEffectReport(CrmMailingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold = cls._create_segment_customers(cls.segment_gold, 4)

    def _send_mailing(self):
        mailing = self._create_mailing([("crm_segment_id", "=", self.segment_gold.id)], crm_control_share=50)
        with self.mock_mail_gateway():
            mailing.action_send_mail()
        audience = mailing.crm_audience_ids
        held = audience.filtered("held_back").partner_id.sorted("id")
        mailed = (audience.partner_id - held).sorted("id")
        self.assertEqual((len(mailed), len(held)), (2, 2))
        return mailing, mailed, held

    def test_revenue_after_the_mailing(self):
        mailing, mailed, held = self._send_mailing()
        sent = fields.Date.today() - timedelta(days=150)
        mailing.sent_date = fields.Datetime.to_datetime(sent) + timedelta(hours=9)

        def invoice(partner, days, amount, move_type="out_invoice"):
            self._create_invoice(partner, sent + timedelta(days=days), price=amount, move_type=move_type)

        invoice(mailed[0], -5, 1000)  # before the mailing
        invoice(mailed[0], 10, 100)
        invoice(mailed[0], 20, 30, "out_refund")
        invoice(mailed[0], 45, 200)
        invoice(mailed[0], 80, 400)
        invoice(mailed[0], 120, 800)  # after 90 days
        invoice(held[0], 10, 50)
        invoice(held[0], 70, 60)
        # A customer outside the mailing.
        invoice(self._create_customer("Estraneo S.r.l."), 10, 5000)

        Report = self.env["crm.relationship.mailing.effect.report"].with_user(self.rel_manager)
        rows = Report.search([("mailing_id", "=", mailing.id)])
        self.assertEqual(len(rows), 2)
        by_group = {row.audience_group: row for row in rows}
        mailed_row, held_row = by_group["mailed"], by_group["held_back"]
        self.assertEqual(mailed_row.date, sent)
        self.assertEqual(mailed_row.segment_id, self.segment_gold)
        self.assertEqual(mailed_row.currency_id, self.company_a.currency_id)
        self.assertEqual(
            (mailed_row.customer_count, mailed_row.revenue_30, mailed_row.revenue_60, mailed_row.revenue_90),
            (2, 70.0, 270.0, 670.0),
        )
        self.assertEqual(
            (held_row.customer_count, held_row.revenue_30, held_row.revenue_60, held_row.revenue_90),
            (2, 50.0, 50.0, 110.0),
        )
        self.assertEqual(mailed_row.revenue_per_customer_90, 335.0)
        self.assertEqual(held_row.revenue_per_customer_90, 55.0)
        # Uplift per customer mailed: 35 - 25, 135 - 25, 335 - 55; incremental: times 2 customers mailed.
        self.assertEqual(
            (mailed_row.uplift_30, mailed_row.uplift_60, mailed_row.uplift_90), (10.0, 110.0, 280.0)
        )
        self.assertEqual(
            (mailed_row.incremental_revenue_30, mailed_row.incremental_revenue_90), (20.0, 560.0)
        )
        self.assertEqual((held_row.uplift_90, held_row.incremental_revenue_90), (0.0, 0.0))

        # The pivot's figures for the whole mailing: ratios of the sums.
        [(total, uplift, incremental, per_customer)] = Report._read_group(
            [("mailing_id", "=", mailing.id)],
            [],
            [
                "customer_count:sum",
                "uplift_90:avg",
                "incremental_revenue_90:sum",
                "revenue_per_customer_90:avg",
            ],
        )
        self.assertEqual((total, uplift, incremental, per_customer), (4, 280.0, 560.0, 195.0))

    def test_effect_button(self):
        mailing, __, __ = self._send_mailing()
        action = mailing.with_user(self.rel_manager).action_view_crm_effect()
        self.assertEqual(action["res_model"], "crm.relationship.mailing.effect.report")
        rows = self.env[action["res_model"]].with_user(self.rel_manager).search(action["domain"])
        self.assertEqual(rows.mailing_id, mailing)

    def test_report_access(self):
        mailing, __, __ = self._send_mailing()
        manager_report = self.env["crm.relationship.mailing.effect.report"].with_user(self.rel_manager)
        rows = manager_report.with_context(allowed_company_ids=self.company_a.ids).search(
            [("mailing_id", "=", mailing.id)]
        )
        self.assertEqual(len(rows), 2)
        groups = manager_report.formatted_read_group(
            [("mailing_id", "=", mailing.id)], ["mailing_id"], ["customer_count:sum"]
        )
        self.assertEqual(groups[0]["customer_count:sum"], 4)
        # The list as the web client reads it: the mailing's name without rights on mailings.
        records = manager_report.web_search_read(
            [("mailing_id", "=", mailing.id)],
            {"mailing_id": {"fields": {"display_name": {}}}, "customer_count": {}},
        )["records"]
        self.assertEqual({r["mailing_id"]["display_name"] for r in records}, {"Offerta di primavera"})
        self.assertEqual(sum(r["customer_count"] for r in records), 4)
        with self.assertRaises(AccessError):
            self.env["crm.relationship.mailing.effect.report"].with_user(self.rel_user).search([])
        with self.assertRaises(AccessError):
            self.env["crm.relationship.mailing.effect.report"].with_user(self.marketing_user).search([])
        # Another company's manager does not see the mailing's figures.
        other = self.env["res.company"].create({"name": "Altra Azienda"})
        self.rel_manager.write({"company_ids": [(4, other.id)]})
        other_rows = manager_report.with_context(allowed_company_ids=other.ids).search([])
        self.assertFalse(other_rows)
