from psycopg2.errors import CheckViolation

from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmMailingCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipMailingControl(CrmMailingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold = cls._create_segment_customers(cls.segment_gold, 20)
        cls.silver = cls._create_segment_customers(cls.segment_silver, 7)
        cls.unsegmented = cls._create_segment_customers(cls.segment_silver, 3, prefix="Senza")
        cls.unsegmented.write({"crm_segment_id": False})
        cls.all_customers = cls.gold | cls.silver | cls.unsegmented
        cls.domain = [("id", "in", cls.all_customers.ids)]

    def _held_back(self, mailing):
        return set(mailing.crm_audience_ids.filtered("held_back").partner_id.ids)

    def test_share_per_segment(self):
        mailing = self._create_mailing(self.domain, crm_control_share=10)
        mailing._crm_snapshot_audience()
        audience = mailing.crm_audience_ids
        self.assertEqual(len(audience), 30)
        self.assertEqual(audience.company_id, self.company_a)
        held = audience.filtered("held_back")
        # round(20 × 10%) = 2, round(7 × 10%) = 1, round(3 × 10%) = 0: drawn within each segment.
        self.assertEqual(len(held.filtered(lambda a: a.segment_id == self.segment_gold)), 2)
        self.assertEqual(len(held.filtered(lambda a: a.segment_id == self.segment_silver)), 1)
        self.assertFalse(held.filtered(lambda a: not a.segment_id))
        self.assertEqual(
            self._held_back(mailing),
            self._expected_held_back(mailing, self.gold, 10)
            | self._expected_held_back(mailing, self.silver, 10),
        )
        self.assertEqual(mailing.crm_held_back_count, 3)

    def test_draw_is_stable(self):
        mailing = self._create_mailing(self.domain, crm_control_share=30)
        mailing._crm_snapshot_audience()
        first = self._held_back(mailing)
        self.assertEqual(len(first), 6 + 2 + 1)
        # Computed again from scratch: the same customers.
        mailing.sudo().crm_audience_ids.unlink()
        mailing._crm_snapshot_audience()
        self.assertEqual(self._held_back(mailing), first)
        # Another mailing draws other customers.
        other = self._create_mailing(self.domain, crm_control_share=30)
        other._crm_snapshot_audience()
        self.assertNotEqual(self._held_back(other), first)

    def test_later_batches_reuse_the_audience(self):
        mailing = self._create_mailing(self.domain, crm_control_share=20)
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail(res_ids=None)
        held = self._held_back(mailing)
        self.assertEqual(self._sent_partner_ids(mailing), set(self.all_customers.ids) - held)
        rows = mailing.crm_audience_ids
        # A restart of the same mailing (new customer meanwhile): no new draw, the control group stays out.
        newcomer = self._create_segment_customers(self.segment_gold, 1, prefix="Nuovo")
        mailing.write(
            {"mailing_domain": repr([("id", "in", (self.all_customers | newcomer).ids)]), "state": "sending"}
        )
        self.assertEqual(mailing._get_remaining_recipients(), newcomer.ids)
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        self.assertEqual(mailing.crm_audience_ids, rows)
        self.assertEqual(self._held_back(mailing), held)
        self.assertEqual(self._sent_partner_ids(mailing), set((self.all_customers | newcomer).ids) - held)

    def test_no_control_group_without_share(self):
        mailing = self._create_mailing(self.domain)
        with self.mock_mail_gateway():
            mailing.action_send_mail()
        self.assertEqual(len(mailing.crm_audience_ids), 30)
        self.assertFalse(mailing.crm_audience_ids.filtered("held_back"))
        self.assertEqual(self._sent_partner_ids(mailing), set(self.all_customers.ids))

    def test_control_share_limits(self):
        with self.assertRaises(ValidationError):
            self._create_mailing(
                None,
                crm_control_share=10,
                mailing_model_id=self.env["ir.model"]._get("mailing.list").id,
            )
        with self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self._create_mailing(self.domain, crm_control_share=60)
        self.assertFalse(self.env["mailing.mailing"].search(Domain("crm_control_share", "=", 60)))
