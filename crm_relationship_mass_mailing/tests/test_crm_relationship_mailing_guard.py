from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CrmMailingCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipMailingGuard(CrmMailingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold = cls._create_segment_customers(cls.segment_gold, 10)
        cls.domain = [("crm_segment_id", "=", cls.segment_gold.id)]

    def test_manual_send_refused_when_audience_grew(self):
        mailing = self._create_mailing(self.domain)
        self.assertEqual(mailing.crm_audience_count, 10)
        self._create_segment_customers(self.segment_gold, 2, prefix="Nuovo")  # +20%
        with self._assert_raises_message(UserError, r"10 recipients then, 12 now"):
            mailing.action_launch()
        with self._assert_raises_message(UserError, r"Accept the current audience"):
            mailing.action_schedule()
        self.assertEqual(mailing.state, "draft")
        self.assertFalse(mailing.mailing_trace_ids)

        mailing.action_crm_accept_audience()
        self.assertEqual(mailing.crm_audience_count, 12)
        mailing.action_launch()
        self.assertEqual(mailing.state, "in_queue")

    def test_manual_send_refused_when_audience_shrank(self):
        mailing = self._create_mailing(self.domain)
        self.gold[:2].write({"crm_segment_id": False})
        with self._assert_raises_message(UserError, r"10 recipients then, 8 now"):
            mailing.action_put_in_queue()
        # Saving the audience again counts it again.
        mailing.mailing_domain = repr(self.domain)
        self.assertEqual(mailing.crm_audience_count, 8)
        mailing.action_put_in_queue()
        self.assertEqual(mailing.state, "in_queue")

    def test_change_within_share_is_sent(self):
        mailing = self._create_mailing(self.domain)
        self._create_segment_customers(self.segment_gold, 1, prefix="Nuovo")  # +10%: allowed
        mailing.action_launch()
        self.assertEqual(mailing.state, "in_queue")

    def test_guard_disabled_by_zero_share(self):
        mailing = self._create_mailing(self.domain)
        self.company_a.crm_mailing_guard_share = 0
        self._create_segment_customers(self.segment_gold, 10, prefix="Nuovo")
        mailing.action_launch()
        self.assertEqual(mailing.state, "in_queue")

    def test_queue_puts_guarded_mailing_back_to_draft_and_sends_the_others(self):
        guarded = self._create_mailing(self.domain, subject="Offerta Oro")
        silver = self._create_segment_customers(self.segment_silver, 3)
        other = self._create_mailing(
            [("crm_segment_id", "=", self.segment_silver.id)], subject="Offerta Argento"
        )
        (guarded | other).action_put_in_queue()
        self._create_segment_customers(self.segment_gold, 5, prefix="Nuovo")
        with self.mock_mail_gateway(mail_unlink_sent=False):
            self._run_cron("mass_mailing.ir_cron_mass_mailing_queue")
        self.env.invalidate_all()
        self.assertEqual(guarded.state, "draft")
        self.assertFalse(guarded.mailing_trace_ids)
        self.assertFalse(guarded.crm_audience_ids)
        notes = guarded.message_ids.filtered(lambda m: "10 recipients then, 15 now" in str(m.body))
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        activity = guarded.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.marketing_user)
        self.assertIn("10 recipients then, 15 now", str(activity.note))
        self.assertEqual(other.state, "done")
        self.assertEqual(self._sent_partner_ids(other), set(silver.ids))

    def test_test_mailing_is_not_guarded(self):
        mailing = self._create_mailing(self.domain)
        self._create_segment_customers(self.segment_gold, 5, prefix="Nuovo")
        wizard = self._mailing_env()["mailing.mailing.test"].create(
            {"mass_mailing_id": mailing.id, "email_to": "prova@example.com"}
        )
        with self.mock_mail_gateway():
            wizard.send_mail_test()
        self.assertSentEmail(self.marketing_user.partner_id.email_formatted, ["prova@example.com"])
        self.assertEqual(mailing.state, "draft")
