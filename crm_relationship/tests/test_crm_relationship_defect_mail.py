from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_mail_server import IrMail_Server, MailDeliveryException
from odoo.addons.mail.tests.common import MailCase

from .common import INCOMING_EMAIL, CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectMail(CrmRelationshipDefectCase, MailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_notrack=False, tracking_disable=False, mail_create_nolog=False)
        )
        cls._init_mail_gateway()
        cls.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["it_IT"], overwrite=True)
        cls.company.write({"email": "service@mycompany.example.com"})
        cls.env.user.email = "admin@mycompany.example.com"
        cls.template_confirmed = cls.env.ref(
            "crm_relationship.crm_relationship_defect_mail_template_confirmed"
        )

    def _mails_to(self, partner=None, email=None):
        """The queued mails of this test to ``partner`` or to the plain address ``email``."""
        if partner:
            return self._new_mails.filtered(lambda m: partner in m.recipient_ids)
        return self._new_mails.filtered(lambda m: email in (m.email_to or ""))

    def _confirm(self, defect, user=None):
        self.flush_tracking()
        with self.mock_mail_gateway():
            defect.with_user(user or self.rel_user).action_confirm()
            self.flush_tracking()
        return defect

    def test_confirmation_mails_recipients_language_subject_link(self):
        defect = self._create_defect(user=self.rel_user, severity="high", category_id=self.noise.id)
        defect.invalidate_recordset()
        self._confirm(defect)

        # Every routed person follows; the operator who confirmed follows but is not e-mailed.
        followers = defect.message_follower_ids.partner_id
        expected = (
            self.salesperson | self.call_center_user | self.production_user | self.rel_user
        ).partner_id
        self.assertEqual(followers & expected, expected)
        self.assertFalse(self._mails_to(self.rel_user.partner_id))

        # One queued mail per language, never sent in the transaction.
        self.assertFalse(self._mails, "nothing is sent inside the user's transaction")
        self.assertEqual(len(self._new_mails), 2)
        self.assertEqual(set(self._new_mails.mapped("state")), {"outgoing"})
        english = self._mails_to(self.salesperson.partner_id)
        italian = self._mails_to(self.production_user.partner_id)
        self.assertEqual(english.recipient_ids, (self.salesperson | self.call_center_user).partner_id)
        self.assertEqual(italian.recipient_ids, self.production_user.partner_id)
        self.assertEqual(
            english.subject, f"{defect.name}: defect on Boiler CX24 at Rossi Impianti", "English subject"
        )
        self.assertEqual(
            italian.subject, f"{defect.name}: difetto su Boiler CX24 presso Rossi Impianti", "Italian subject"
        )
        link = f"/odoo/defect-reports/{defect.id}"
        for mail, words in (
            (english, ["Customer", "Severity", "High", "Chargeable"]),
            (italian, ["Cliente", "Gravità", "Alta", "A pagamento"]),
        ):
            self.assertIn(link, mail.body_html)
            self.assertIn(defect.get_base_url() + link, mail.body_html)
            self.assertIn("CX24-L001", mail.body_html)
            self.assertIn("Marco Rossi", mail.body_html)
            self.assertIn("loud noise at ignition", mail.body_html)
            for word in words:
                self.assertIn(word, mail.body_html)
            self.assertEqual(mail.model, "crm.relationship.defect")
            self.assertEqual(mail.res_id, defect.id)
            self.assertIn(
                f"catchall.test@{self.alias_domain}", mail.reply_to, "replies come back through the catchall"
            )
        self.assertEqual(english.email_from, self.company.email_formatted)

        # The confirmation itself is tracked with who and when, without a second e-mail.
        tracking = defect.sudo().message_ids.filtered(lambda m: m.tracking_value_ids)
        self.assertEqual(tracking[:1].author_id, self.rel_user.partner_id)
        self.assertEqual(
            tracking[:1].subtype_id, self.env.ref("crm_relationship.crm_relationship_defect_mt_confirmed")
        )

    def test_plain_email_addresses_of_rules_get_the_mail(self):
        self.Route.create(
            {
                "name": "Boilers quality",
                "department": "production",
                "product_category_ids": [fields.Command.link(self.heating.id)],
                "email_addresses": "Quality <quality@supplier.example.com>, lab@supplier.example.com",
            }
        )
        defect = self._confirm(self._create_defect(user=self.rel_user))
        mail = self._mails_to(email="quality@supplier.example.com")
        self.assertEqual(len(mail), 1)
        self.assertIn("lab@supplier.example.com", mail.email_to)
        self.assertIn("defect on Boiler CX24", mail.subject, "plain addresses read the company's language")
        self.assertEqual(mail, self._mails_to(self.salesperson.partner_id))
        self.assertIn(self.production_user.partner_id, self._new_mails.recipient_ids, "responsible kept")
        self.assertFalse(defect.message_partner_ids.filtered(lambda p: "supplier" in (p.email or "")))

    def test_state_changes_notify_followers(self):
        defect = self._confirm(self._create_defect(user=self.rel_user))
        defect.message_subscribe(partner_ids=self.rel_manager.partner_id.ids)

        with self.mock_mail_gateway():
            defect.with_user(self.production_user).action_start_analysis()
            self.flush_tracking()
        message = defect.message_ids[0]
        self.assertEqual(
            message.subtype_id, self.env.ref("crm_relationship.crm_relationship_defect_mt_state")
        )
        self.assertEqual(message.author_id, self.production_user.partner_id)
        notified = message.notification_ids.res_partner_id
        self.assertEqual(
            notified,
            (self.salesperson | self.call_center_user | self.rel_user | self.rel_manager).partner_id,
            "every follower but the author",
        )
        self.assertEqual(set(self._new_mails.mapped("state")), {"outgoing"}, "queued, not sent")
        self.assertFalse(self._mails)

        with self.mock_mail_gateway():
            defect.with_user(self.production_user).write(
                {"root_cause": "Cracked fan blade.", "corrective_action": "Fan replaced on the lot."}
            )
            defect.with_user(self.production_user).action_resolve()
            self.flush_tracking()
        resolved = defect.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("crm_relationship.crm_relationship_defect_mt_resolved")
        )
        self.assertEqual(len(resolved), 1)
        self.assertIn("Cracked fan blade.", resolved.body)
        self.assertIn("Fan replaced on the lot.", resolved.body)
        self.assertEqual(resolved.subject, f"{defect.name} resolved: Boiler CX24 at Rossi Impianti")
        self.assertEqual(resolved.author_id, self.production_user.partner_id)
        self.assertEqual(
            resolved.notification_ids.res_partner_id,
            (self.salesperson | self.call_center_user | self.rel_user | self.rel_manager).partner_id,
            "every follower but the resolver; never the customer",
        )
        mails = self._new_mails.filtered(lambda m: m.mail_message_id == resolved)
        self.assertTrue(mails)
        self.assertIn(f"/odoo/defect-reports/{defect.id}", mails[0].body_html)
        with self.mock_mail_gateway():
            defect.with_user(self.salesperson).action_close()
            self.flush_tracking()
        closing = defect.message_ids[0]
        self.assertEqual(
            closing.subtype_id, self.env.ref("crm_relationship.crm_relationship_defect_mt_state")
        )
        self.assertIn(self.production_user.partner_id, closing.notification_ids.res_partner_id)
        self.assertNotIn(self.salesperson.partner_id, closing.notification_ids.res_partner_id)

    def test_incoming_reply_lands_on_the_defect(self):
        defect = self._confirm(self._create_defect(user=self.rel_user))
        sent = self._mails_to(self.production_user.partner_id)
        with self.mock_mail_gateway():
            self.format_and_process(
                INCOMING_EMAIL,
                self.production_user.email_formatted,
                f"catchall.test@{self.alias_domain}",
                subject=f"Re: {sent.subject}",
                extra=f"In-Reply-To: {sent.message_id}\nReferences: {sent.message_id}",
                target_model="crm.relationship.defect",
                body="We checked the lot: the fan blades are cracked.",
            )
        reply = defect.message_ids[0]
        self.assertIn("fan blades are cracked", reply.body)
        self.assertEqual(reply.author_id, self.production_user.partner_id)
        self.assertEqual(reply.message_type, "email")

        self.assertFalse(
            self.env["mail.alias"].search([("alias_model_id.model", "=", "crm.relationship.defect")])
        )

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_mail_server_failure_keeps_the_defect_and_retries(self):
        defect = self._create_defect(user=self.rel_user)
        self.flush_tracking()
        server_down = MailDeliveryException("Connection refused")
        with self.mock_mail_gateway(), patch.object(IrMail_Server, "send_email", side_effect=server_down):
            defect.with_user(self.rel_user).action_confirm()
            self.flush_tracking()
            mails = self._new_mails
            self.assertEqual(set(mails.mapped("state")), {"outgoing"})
            self.env["mail.mail"].sudo().browse(mails.ids).send()
        self.assertEqual(defect.state, "confirmed", "the report is saved whatever the mail server does")
        self.assertTrue(defect.date_confirmed)
        self.assertEqual(set(mails.mapped("state")), {"exception"})
        self.assertIn("Connection refused", mails[0].failure_reason)

        mails.action_retry()
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "back in the queue")
        with self.mock_mail_gateway():
            mails.send()
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self.assertSentEmail(
            mails[0].email_from,
            [self.production_user.partner_id],
            subject=f"{defect.name}: difetto su Boiler CX24 presso Rossi Impianti",
        )
