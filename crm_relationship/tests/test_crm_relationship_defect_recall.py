from ast import literal_eval

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CrmRelationshipDefectCase, CronJobMixin

RECALL_CRON = "crm_relationship.ir_cron_crm_relationship_defect_recall_mail"


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectRecall(CronJobMixin, CrmRelationshipDefectCase):
    """The recall as a Relationship User, in the web client's company context."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bianchi = cls._create_call_customer("Bianchi Clima", email="info@bianchi.example.com")
        cls.verdi = cls._create_call_customer("Verdi Termo", email="verdi@example.com")
        cls.neri = cls._create_call_customer("Neri Caldaie", email="neri@example.com")
        for customer in (cls.customer, cls.bianchi, cls.verdi, cls.neri):
            cls._deliver(customer, cls.boiler, cls.lot)
        cls.strangers = cls.env["res.partner"].create(
            [
                {"name": f"Estraneo {index}", "is_company": True, "email": f"stranger{index}@example.com"}
                for index in range(20)
            ]
        )
        cls.defect = cls._create_defect()
        cls.defect.action_confirm()
        cls.template = cls.env.ref("crm_relationship.crm_relationship_defect_mail_template_recall")

    def _as_user(self, record, user=None, companies=None):
        companies = companies or self.company
        return record.with_user(user or self.rel_user).with_context(allowed_company_ids=companies.ids)

    def _wizard(self, mode="email", user=None, **values):
        Wizard = self._as_user(self.env["crm.relationship.defect.recall"], user)
        return Wizard.create(dict({"defect_id": self.defect.id, "mode": mode}, **values))

    def _recall_mails(self, partners):
        return self.env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "in", partners.ids)])

    def _logs(self):
        return self.env["crm.relationship.defect.recall.log"].search([("defect_id", "=", self.defect.id)])

    def test_recall_cannot_add_customers(self):
        affected = self.bianchi | self.verdi | self.neri
        wizard = self._wizard()
        self.assertEqual(wizard.partner_ids, affected)
        wizard.partner_ids = affected | self.strangers
        with self._assert_raises_message(UserError, "Only the customers affected"):
            wizard.action_apply()
        wizard = self._wizard(partner_ids=[(6, 0, self.strangers.ids)])
        with self._assert_raises_message(UserError, "Only the customers affected"):
            wizard.action_apply()
        self.assertFalse(self._logs())
        self.assertFalse(self._recall_mails(affected | self.strangers), "nothing queued")

        # The list may be narrowed.
        wizard = self._wizard()
        wizard.partner_ids = self.bianchi
        wizard.action_apply()
        self.assertEqual(self._logs().partner_ids, self.bianchi)

    def test_recall_needs_write_access_to_the_defect(self):
        other_company = self.env["res.company"].create({"name": "Altra Azienda S.p.A."})
        outsider = self.env["res.users"].create(
            {
                "name": "Olga Esterna",
                "login": "recall_outsider",
                "company_id": other_company.id,
                "company_ids": [(6, 0, other_company.ids)],
                "group_ids": [(6, 0, self.rel_user.group_ids.ids)],
            }
        )
        with self.assertRaises(AccessError):
            wizard = self._wizard(user=outsider)
            wizard.action_apply()
        with self.assertRaises(AccessError):
            self._as_user(self.defect, outsider, other_company).action_open_recall()
        self.assertFalse(self._logs())

        # A user who belongs to both companies but works in the other one cannot either.
        self.rel_user.company_ids |= other_company
        with self.assertRaises(AccessError):
            Wizard = self._as_user(self.env["crm.relationship.defect.recall"], companies=other_company)
            Wizard.create({"defect_id": self.defect.id, "mode": "email"}).action_apply()
        self.assertFalse(self._logs())

    def test_recall_of_a_new_defect_is_refused(self):
        new_defect = self._create_defect()
        with self._assert_raises_message(UserError, "Confirm the defect report"):
            self._as_user(new_defect).action_open_recall()

    def test_recall_by_email_recorded_queued_in_batches_and_not_repeated(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_relationship.recall_mail_batch_size", "2")
        wizard = self._wizard()
        self.assertEqual(wizard.partner_count, 3)
        wizard.action_apply()

        log = self._logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.rel_user)
        self.assertEqual(log.mode, "email")
        self.assertTrue(log.date)
        self.assertEqual(log.partner_ids, self.bianchi | self.verdi | self.neri)
        self.assertEqual(log.state, "queued")
        self.assertFalse(self._recall_mails(log.partner_ids), "nothing rendered in the user's request")
        self.assertIn("Recall e-mail queued for 3 customers.", self.defect.message_ids[0].body)
        self.assertEqual(self.defect.recall_count, 1)

        # The scheduled action renders them in batches.
        self.assertEqual(log._send_pending_mails(log._get_batch_size()), 2)
        self.assertEqual(log.state, "queued")
        self.assertEqual(len(log.pending_partner_ids), 1)
        self.assertEqual(log._send_pending_mails(log._get_batch_size()), 1)
        self.assertEqual(log.state, "done")
        mails = self._recall_mails(log.partner_ids)
        self.assertEqual(len(mails), 3)
        self.assertEqual(log.mail_count, 3)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertEqual(mails.author_id, self.rel_user.partner_id)
        self.assertIn(self.defect.name, mails[0].body_html)

        # Running it again reaches nobody twice.
        wizard = self._wizard()
        self.assertFalse(wizard.partner_ids)
        self.assertEqual(wizard.reached_partner_count, 3)
        with self._assert_raises_message(UserError, "No customer to recall"):
            wizard.action_apply()
        wizard = self._wizard(partner_ids=[(6, 0, self.bianchi.ids)])
        with self._assert_raises_message(UserError, "already reached"):
            wizard.action_apply()

        # A customer who received the lot since then is the only one reached by the next run.
        rossi_bis = self._create_call_customer("Rossi Bis", email="bis@example.com")
        self._deliver(rossi_bis, self.boiler, self.lot)
        wizard = self._wizard()
        self.assertEqual(wizard.partner_ids, rossi_bis)
        wizard.action_apply()
        second = self._logs() - log
        self.assertEqual(second.partner_ids, rossi_bis)
        progress = self._run_cron(RECALL_CRON)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(second.state, "done")
        self.assertEqual(len(self._recall_mails(rossi_bis)), 1)
        self.assertEqual(len(self._recall_mails(log.partner_ids)), 3, "no second e-mail")

    def test_recall_mails_resume_after_the_job_stopped(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_relationship.recall_mail_batch_size", "2")
        self._wizard().action_apply()
        log = self._logs()
        with self._cron_env_out_of_time(RECALL_CRON) as (env, progress):
            env["crm.relationship.defect.recall.log"]._cron_send_recall_mails()
            self.assertEqual((progress.done, progress.remaining), (2, 1))
        self.assertEqual(len(self._recall_mails(log.partner_ids)), 2, "one batch committed, then stopped")
        self.assertEqual(len(log.pending_partner_ids), 1)
        self.assertEqual(log.state, "queued")

        progress = self._run_cron(RECALL_CRON)
        self.assertEqual(progress.mapped("done"), [1], "resumed with the customer left")
        self.assertEqual(log.state, "done")
        mails = self._recall_mails(log.partner_ids)
        self.assertEqual(len(mails), 3)
        self.assertEqual(mails.recipient_ids, self.bianchi | self.verdi | self.neri, "one e-mail each")
        self.assertEqual(log.mail_count, 3)
        self.assertEqual(self._run_cron(RECALL_CRON).mapped("done"), [0])
        self.assertEqual(len(self._recall_mails(log.partner_ids)), 3, "nobody e-mailed twice")

    def test_recall_by_calls_recorded(self):
        wizard = Form(self._wizard(mode="call"))
        wizard.user_id = self.call_center_user
        wizard.save().action_apply()
        calls = self.env["crm.relationship.call"].search([("defect_id", "=", self.defect.id)])
        self.assertEqual(calls.partner_id, self.bianchi | self.verdi | self.neri)
        self.assertEqual(calls.user_id, self.call_center_user)
        log = self._logs()
        self.assertEqual(
            (log.mode, log.operator_id, log.user_id), ("call", self.call_center_user, self.rel_user)
        )
        self.assertEqual(log.partner_ids, calls.partner_id)
        self.assertFalse(self._wizard(mode="call").partner_ids, "already called")

    def test_recall_log_is_read_only_for_users(self):
        self._wizard().action_apply()
        log = self._as_user(self._logs())
        self.assertEqual(log.partner_count, 3)
        with self.assertRaises(AccessError):
            log.write({"pending_partner_ids": [(6, 0, self.strangers.ids)]})
        with self.assertRaises(AccessError):
            self._as_user(self.env["crm.relationship.defect.recall.log"]).create(
                {
                    "defect_id": self.defect.id,
                    "mode": "email",
                    "template_id": self.template.id,
                    "state": "queued",
                    "pending_partner_ids": [(6, 0, self.strangers.ids)],
                }
            )

    def test_recall_template_writes_to_each_customer(self):
        template = self.template.copy({"use_default_to": False, "partner_to": str(self.neri.id)})
        wizard = self._wizard(template_id=template.id)
        with self._assert_raises_message(UserError, "Default Recipients"):
            wizard.action_apply()
        self.assertFalse(self._logs())
        choices = self.env["mail.template"].search(literal_eval(wizard._fields["template_id"].domain))
        self.assertIn(self.template, choices)
        self.assertNotIn(template, choices, "not proposed")
