from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrmRelationshipAnalyticsCase, CronJobMixin

RFM_CRON = "crm_relationship.ir_cron_crm_relationship_rfm"


@tagged("post_install", "-at_install")
class TestCrmRelationshipRfm(CronJobMixin, CrmRelationshipAnalyticsCase):
    """Five customers of one company, one per quintile of each score:

    ========  ===========  ========  ===================  =====  ================
    customer  last bought  invoices  net invoiced         R F M  segment
    ========  ===========  ========  ===================  =====  ================
    Alfa      10 days ago  1         500                  5 1 1  New Customers
    Carlo     20 days      4         4 × 1,000 = 4,000    4 4 4  Champions
    Delta     50 days      3         3 × 1,000 - 500      3 3 3  Need Attention
    Eco       200 days     2         2 × 750 = 1,500      2 2 2  Lost
    Bravo     300 days     5         5 × 2,000 = 10,000   1 5 5  At Risk
    ========  ===========  ========  ===================  =====  ================
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.today
        cls._create_rfm_customers()
        cls.nobody = cls._create_customer("Nessun Acquisto")
        # A draft invoice is not a purchase.
        cls.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": cls.nobody.id, "invoice_date": today}
        )
        cls.Segment = cls.env["crm.relationship.rfm.segment"]

    def _scores(self, partner):
        return (
            partner.crm_rfm_recency,
            partner.crm_rfm_frequency,
            partner.crm_rfm_monetary,
            partner.crm_rfm_score,
        )

    def test_scores_and_segments(self):
        changed = self.Segment._recompute_rfm()
        self.assertGreaterEqual(changed, 5)
        expected = {
            self.alfa: ((5, 1, 1, 7), "crm_relationship_rfm_segment_new"),
            self.carlo: ((4, 4, 4, 12), "crm_relationship_rfm_segment_champions"),
            self.delta: ((3, 3, 3, 9), "crm_relationship_rfm_segment_others"),
            self.eco: ((2, 2, 2, 6), "crm_relationship_rfm_segment_lost"),
            self.bravo: ((1, 5, 5, 11), "crm_relationship_rfm_segment_at_risk"),
        }
        for partner, (scores, segment_xmlid) in expected.items():
            with self.subTest(partner=partner.name):
                self.assertEqual(self._scores(partner), scores)
                self.assertEqual(partner.crm_segment_id, self.env.ref(f"crm_relationship.{segment_xmlid}"))
        self.assertEqual(self._scores(self.nobody), (0, 0, 0, 0), "no posted invoice, no score")
        self.assertFalse(self.nobody.crm_segment_id)
        self.assertFalse(self.alfa_contact.crm_segment_id, "scores live on the commercial entity")

    def test_second_run_changes_nothing_and_resets_former_customers(self):
        self.Segment._recompute_rfm()
        self.assertEqual(self.Segment._recompute_rfm(), 0, "unchanged scores are not rewritten")
        self.eco.invoice_ids.button_draft()
        self.Segment._recompute_rfm()
        self.assertEqual(self._scores(self.eco), (0, 0, 0, 0))
        self.assertFalse(self.eco.crm_segment_id)
        # Four customers left: the quintiles spread over them again.
        self.assertEqual(self._scores(self.bravo)[:1], (1,))

    def test_segment_sequence_and_custom_ranges(self):
        vip = self.Segment.create({"name": "VIP", "sequence": 1, "score_min": 11, "monetary_min": 4})
        self.Segment._recompute_rfm()
        self.assertEqual(self.carlo.crm_segment_id, vip)
        self.assertEqual(self.bravo.crm_segment_id, vip, "the first matching segment by sequence wins")
        self.assertEqual(self.alfa.crm_segment_id.name, "New Customers")
        vip_customers = self.env["res.partner"].search(
            [("crm_segment_id", "=", vip.id), ("company_id", "=", self.company_a.id)]
        )
        self.assertEqual(vip_customers, self.carlo | self.bravo)
        self.assertGreaterEqual(vip.partner_count, 2)
        vip.action_archive()
        self.Segment._recompute_rfm()
        self.assertEqual(self.carlo.crm_segment_id.name, "Champions")

    def test_recompute_is_set_based(self):
        self.Segment._recompute_rfm()
        self.env.cr.execute("UPDATE res_partner SET crm_rfm_score = NULL, crm_rfm_recency = NULL")
        with self.assertQueryCount(1):
            self.Segment._recompute_rfm()

    def test_segment_ranges_are_checked(self):
        with self.assertRaises(ValidationError):
            self.Segment.create({"name": "Impossible", "recency_max": 1, "frequency_max": 1, "score_min": 12})

    def test_recompute_now_for_managers_only(self):
        action = self.Segment.with_user(self.rel_manager).action_recompute_rfm()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self.carlo.crm_rfm_score, 12)
        with self.assertRaises(AccessError):
            self.Segment.with_user(self.rel_user).action_recompute_rfm()

    def test_segment_filter_not_contacted_in_60_days(self):
        """'Champions not contacted in 60 days': segment and last contact are searchable."""
        self.Segment._recompute_rfm()
        self._create_call(self.carlo, date_start=self.today - timedelta(days=90))
        self._create_call(self.bravo, date_start=self.today - timedelta(days=5))
        Partner = self.env["res.partner"]
        customers = self.alfa | self.bravo | self.carlo | self.delta | self.eco
        not_contacted = Partner.search(
            [
                ("id", "in", customers.ids),
                "|",
                ("crm_last_contact_date", "<", "-60d"),
                ("crm_last_contact_date", "=", False),
            ]
        )
        self.assertEqual(not_contacted, customers - self.bravo)
        champions = Partner.search(
            [
                ("id", "in", customers.ids),
                (
                    "crm_segment_id",
                    "=",
                    self.env.ref("crm_relationship.crm_relationship_rfm_segment_champions").id,
                ),
                "|",
                ("crm_last_contact_date", "<", "-60d"),
                ("crm_last_contact_date", "=", False),
            ]
        )
        self.assertEqual(champions, self.carlo)
        self.assertEqual(
            Partner.search([("id", "in", customers.ids), ("crm_last_contact_date", ">=", "-60d")]), self.bravo
        )

    def _stored_scores(self):
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                """SELECT id, crm_rfm_recency, crm_rfm_frequency, crm_rfm_monetary, crm_rfm_score,
                          crm_segment_id
                     FROM res_partner
                    WHERE crm_rfm_score IS NOT NULL
                 ORDER BY id"""
            )
        )

    def _pending_changes(self):
        return len(self.env.execute_query(self.Segment._get_rfm_query()))

    def test_job_writes_batches_and_resumes_where_it_stopped(self):
        savepoint = self.env.cr.savepoint()
        self.Segment._recompute_rfm()
        single_run = self._stored_scores()
        savepoint.close(rollback=True)
        self.env.invalidate_all()
        self.assertFalse(self.carlo.crm_rfm_score)

        self.env["ir.config_parameter"].set_param("crm_relationship.rfm_batch_size", "2")
        changes = self._pending_changes()
        self.assertGreaterEqual(changes, 5)
        with self._cron_env_out_of_time(RFM_CRON) as (env, progress):
            env["crm.relationship.rfm.segment"]._cron_recompute_rfm()
            self.assertEqual((progress.done, progress.remaining), (2, changes - 2))
        self.assertEqual(self._pending_changes(), changes - 2, "the first batch is committed, then it stops")

        progress = self._run_cron(RFM_CRON)
        self.assertEqual(progress.mapped("done"), [changes - 2], "resumed: only the customers left")
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(self._stored_scores(), single_run, "the result of a single run")
        self.assertEqual(self.carlo.crm_segment_id.name, "Champions")
        self.assertEqual(self._run_cron(RFM_CRON).mapped("done"), [0], "nothing left to write")

    def test_recompute_now_beside_the_running_job(self):
        Trigger = self.env["ir.cron.trigger"].sudo()
        cron = self.env.ref(RFM_CRON)
        with self._job_running(RFM_CRON):
            action = self.Segment.with_user(self.rel_manager).action_recompute_rfm()
        self.assertEqual(action["params"]["type"], "info")
        self.assertFalse(self.carlo.crm_rfm_score, "nothing written beside the job")
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]), "the job runs again after")
        # The job is not running any more: the button recomputes in the request.
        self.Segment.with_user(self.rel_manager).action_recompute_rfm()
        self.assertEqual(self.carlo.crm_rfm_score, 12)
