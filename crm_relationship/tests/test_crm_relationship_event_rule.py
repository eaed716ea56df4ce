from contextlib import closing
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import CrmRelationshipAnalyticsCase, CronJobMixin

EVENT_CRON = "crm_relationship.ir_cron_crm_relationship_event_rule"


@tagged("post_install", "-at_install")
class TestCrmRelationshipEventRule(CronJobMixin, CrmRelationshipAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.rel_user
        cls.big = cls._create_customer("Grande Cliente S.p.A.", user_id=cls.salesperson.id)
        cls.medium = cls._create_customer("Medio Cliente S.r.l.")
        cls.silent = cls._create_customer("Cliente Silenzioso")
        cls._create_invoice(cls.big, cls._day(30), quantity=100, price=400.0)  # 40,000
        cls._create_invoice(cls.big, cls._day(10), quantity=30, price=400.0)  # 12,000
        cls._create_invoice(cls.medium, cls._day(10), quantity=10, price=400.0)  # 4,000
        cls._create_invoice(cls.silent, cls.today - timedelta(days=400), price=400.0)
        cls._create_invoice(cls.silent, cls.today - timedelta(days=200), price=400.0)
        cls.Rule = cls.env["crm.relationship.event.rule"]
        cls.Log = cls.env["crm.relationship.event.log"]
        cls.activity_type = cls.env.ref("mail.mail_activity_data_call")

    def _create_rule(self, **values):
        return self.Rule.create(
            dict(
                {
                    "name": "Rule",
                    "company_id": self.company_a.id,
                    "user_id": self.rel_manager.id,
                    "activity_type_id": self.activity_type.id,
                },
                **values,
            )
        )

    def _activities(self, partner):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def test_invoiced_this_year_fires_once_per_year(self):
        rule = self._create_rule(name="Oltre 50.000", rule_type="invoiced_year", amount=50000.0)
        logs = rule._evaluate()
        self.assertEqual(logs.partner_id, self.big)
        self.assertEqual(logs.period_key, str(self.today.year))
        self.assertEqual(logs.value, 52000.0)
        activity = self._activities(self.big)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesperson, "the customer's salesperson is responsible")
        self.assertEqual(activity.activity_type_id, self.activity_type)
        self.assertEqual(logs.activity_id, activity)
        # Second run, even with more invoices: same year, no new event.
        self._create_invoice(self.big, self._day(1), quantity=10, price=400.0)
        self.assertFalse(rule._evaluate())
        self.assertEqual(len(self._activities(self.big)), 1)
        self.assertEqual(rule.log_count, 1)
        self.assertEqual(self.big.crm_event_count, 1)
        self.assertEqual(self.big.crm_event_log_ids, logs)
        # A customer passing the threshold later fires on its own.
        self._create_invoice(self.medium, self._day(1), quantity=120, price=400.0)
        self.assertEqual(rule._evaluate().partner_id, self.medium)
        self.assertEqual(
            self._activities(self.medium).user_id, self.rel_manager, "no salesperson: fallback user"
        )

    def test_no_purchase_fires_once_per_silence(self):
        rule = self._create_rule(name="Nessun acquisto da 180 giorni", rule_type="no_purchase", days=180)
        logs = rule._evaluate()
        self.assertEqual(logs.partner_id, self.silent)
        self.assertEqual(logs.value, 200)
        self.assertEqual(logs.period_key, str(self.today - timedelta(days=200)))
        self.assertFalse(rule._evaluate())
        # Buys again, then goes silent again: a new period.
        self._create_invoice(self.silent, self.today - timedelta(days=190), price=400.0)
        self.assertEqual(rule._evaluate().period_key, str(self.today - timedelta(days=190)))
        self.assertEqual(len(self.Log.search([("rule_id", "=", rule.id)])), 2)
        self.assertEqual(len(self._activities(self.silent)), 2)

    def test_third_defect_in_12_months(self):
        rule = self._create_rule(name="Terzo difetto", rule_type="defect_count", defect_count=3)
        self._create_defect(self.medium, self.today - timedelta(days=400))  # too old
        self._create_defect(self.medium, self.today - timedelta(days=100))
        self._create_defect(self.medium, self.today - timedelta(days=50))
        self._create_defect(self.medium, self.today - timedelta(days=40)).state = "rejected"
        self.assertFalse(rule._evaluate(), "two defects in 12 months (the rejected one does not count)")
        self._create_defect(self.medium, self.today - timedelta(days=2))
        logs = rule._evaluate()
        self.assertEqual(logs.partner_id, self.medium)
        self.assertEqual(logs.value, 3)
        self.assertFalse(rule._evaluate())
        self._create_defect(self.medium, self.today - timedelta(days=1))
        self.assertFalse(rule._evaluate(), "the fourth defect does not make a new series")
        self._create_defect(self.medium, self.today)
        self._create_defect(self.medium, self.today)
        self.assertEqual(rule._evaluate().value, 3, "three new defects: fires again")

    def test_mail_template_and_fixed_responsible(self):
        template = self.env["mail.template"].create(
            {
                "name": "Grazie",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Grazie {{ object.name }}",
                "email_to": "{{ object.email }}",
                "body_html": "<p>Grazie per la fiducia</p>",
            }
        )
        self.big.email = "acquisti@grande.example.com"
        rule = self._create_rule(
            name="Oltre 50.000",
            rule_type="invoiced_year",
            amount=50000.0,
            responsible_type="user",
            mail_template_id=template.id,
        )
        logs = rule._evaluate()
        self.assertTrue(logs.mail_sent)
        self.assertEqual(logs.user_id, self.rel_manager)
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.big.id), ("subject", "like", "Grazie")]
        )
        self.assertEqual(mail.subject, "Grazie Grande Cliente S.p.A.")
        recipients = mail.recipient_ids.mapped("email") + [mail.email_to]
        self.assertIn("acquisti@grande.example.com", recipients)

    def test_cron_checks_active_rules_only(self):
        active = self._create_rule(name="Attiva", rule_type="invoiced_year", amount=50000.0)
        self._create_rule(name="Spenta", rule_type="no_purchase", days=180, active=False)
        self._run_cron(EVENT_CRON)
        self.assertEqual(
            self.Log.search([("partner_id", "in", (self.big | self.silent).ids)]).rule_id, active
        )
        self.assertTrue(active.last_run)

    def test_unique_per_rule_customer_and_period(self):
        rule = self._create_rule(name="Oltre 50.000", rule_type="invoiced_year", amount=50000.0)
        rule._evaluate()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Log.create(
                {"rule_id": rule.id, "partner_id": self.big.id, "period_key": str(self.today.year)}
            )

    def test_thresholds_are_required(self):
        with self.assertRaises(ValidationError):
            self._create_rule(rule_type="invoiced_year", amount=0.0)
        with self.assertRaises(ValidationError):
            self._create_rule(rule_type="no_purchase", days=0)

    def test_history_visible_from_rule_and_card(self):
        rule = self._create_rule(name="Oltre 50.000", rule_type="invoiced_year", amount=50000.0)
        rule.action_run()
        action = rule.action_view_logs()
        self.assertEqual(self.Log.search(action["domain"]).partner_id, self.big)
        card_action = self.big.action_view_crm_event_logs()
        self.assertEqual(self.Log.search(card_action["domain"]).rule_id, rule)

    def _silent_customers(self, count):
        """``count`` customers whose last purchase was 100 days ago or more."""
        customers = self.env["res.partner"]
        for index in range(count):
            customer = self._create_customer(f"Cliente Dormiente {index}")
            self._create_invoice(customer, self.today - timedelta(days=100 + index), price=100.0)
            customers |= customer
        return customers

    def _firings(self, rule):
        return {
            (log.partner_id, log.period_key, log.value, log.activity_id.user_id)
            for log in self.Log.search([("rule_id", "=", rule.id)])
        }

    def test_job_fires_in_batches_and_resumes_without_firing_twice(self):
        rule = self._create_rule(name="Nessun acquisto da 90 giorni", rule_type="no_purchase", days=90)
        self.Rule.sudo().search([("id", "!=", rule.id)]).action_archive()
        customers = self._silent_customers(4) | self.silent
        savepoint = self.env.cr.savepoint()
        rule._evaluate()
        single_run = self._firings(rule)
        savepoint.close(rollback=True)
        self.env.invalidate_all()
        self.assertEqual({partner for partner, *_rest in single_run}, set(customers))

        self.env["ir.config_parameter"].set_param("crm_relationship.event_rule_batch_size", "2")
        with self._cron_env_out_of_time(EVENT_CRON) as (env, progress):
            env["crm.relationship.event.rule"]._cron_evaluate()
            self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(len(self.Log.search([("rule_id", "=", rule.id)])), 2, "stopped after one batch")
        self.assertFalse(rule.last_run, "the check is not complete")

        progress = self._run_cron(EVENT_CRON)
        self.assertEqual(progress.mapped("done"), [3], "resumed with the three customers left")
        self.assertEqual(self._firings(rule), single_run, "the result of a single run")
        for customer in customers:
            self.assertEqual(len(self._activities(customer)), 1, "one activity per customer")
        self.assertTrue(rule.last_run)
        self.assertEqual(self._run_cron(EVENT_CRON).mapped("done"), [0], "nobody fires twice")
        self.assertEqual(len(self.Log.search([("rule_id", "=", rule.id)])), 5)

    def test_job_undoes_a_batch_that_meets_an_operator_update(self):
        """An operator changes a customer of the batch while the job runs: the batch is undone, alone,
        and the job hands the rest back to the scheduler instead of failing."""
        # The demo company's customers: there before the job's snapshot, seen by other connections.
        admin = self.env.ref("base.user_admin")
        rule = self._create_rule(
            name="Nessun acquisto da 1 giorno",
            rule_type="no_purchase",
            days=1,
            company_id=admin.company_id.id,
            user_id=admin.id,
        )
        self.Rule.sudo().search([("id", "!=", rule.id)]).action_archive()
        self.env.flush_all()
        pending = sorted(rule._get_pending_matches()[rule])
        # Another connection (an operator's request) updates a customer of the batch, one whose next
        # action the rule's activity becomes, and commits.
        with closing(self.registry.cursor()) as operator_cr:
            operator_cr.execute(
                SQL(
                    """SELECT id FROM res_partner WHERE id = ANY(%s) AND crm_next_activity_id IS NULL
                        ORDER BY id LIMIT 1""",
                    pending,
                )
            )
            [(customer_id,)] = operator_cr.fetchall()
            operator_cr.execute(SQL("UPDATE res_partner SET id = id WHERE id = %s", customer_id))
            operator_cr.commit()
        with self.assertNoLogs("odoo.addons.base.models.ir_cron", "ERROR"):
            progress = self._run_cron(EVENT_CRON)
        self.assertEqual((progress.done, progress.remaining), (0, len(pending)), "handed back whole")
        self.assertFalse(self.Log.search([("rule_id", "=", rule.id)]), "the batch is undone")
        self.assertFalse(
            self._activities(self.env["res.partner"].browse(customer_id)).filtered(
                lambda activity: activity.activity_type_id == self.activity_type
            )
        )
        self.assertFalse(rule.last_run)

    def test_check_now_hands_many_customers_to_the_job(self):
        rule = self._create_rule(name="Nessun acquisto da 90 giorni", rule_type="no_purchase", days=90)
        customers = self._silent_customers(2) | self.silent
        self.env["ir.config_parameter"].set_param("crm_relationship.event_rule_batch_size", "2")
        Trigger = self.env["ir.cron.trigger"].sudo()
        cron = self.env.ref(EVENT_CRON)
        action = rule.with_user(self.rel_manager).action_run()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("3 new customer events", action["params"]["message"])
        self.assertFalse(self.Log.search([("rule_id", "=", rule.id)]), "nothing fired in the request")
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]))
        self._run_cron(EVENT_CRON)
        self.assertEqual(self.Log.search([("rule_id", "=", rule.id)]).partner_id, customers)

    def test_check_now_beside_the_running_job(self):
        rule = self._create_rule(name="Oltre 50.000", rule_type="invoiced_year", amount=50000.0)
        with self._job_running(EVENT_CRON):
            action = rule.with_user(self.rel_manager).action_run()
        self.assertEqual(action["params"]["type"], "info")
        self.assertFalse(rule.log_ids, "nothing fired beside the job")
        action = rule.with_user(self.rel_manager).action_run()
        self.assertEqual(rule.log_ids.partner_id, self.big, "fired in the request once the job is done")
