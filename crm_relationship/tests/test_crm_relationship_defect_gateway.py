from email.message import EmailMessage
from email.utils import make_msgid
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crm_relationship.models import crm_relationship_defect as defect_module
from odoo.addons.mail.tests.common import MailCase

from .common import INCOMING_EMAIL, CrmRelationshipDefectCase

DEFECT_LOGGER = "odoo.addons.crm_relationship.models.crm_relationship_defect"


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectGateway(CrmRelationshipDefectCase, MailCase):
    """Replies reach a defect report through the catchall, from the people involved only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.company.write({"email": "service@mycompany.example.com"})
        cls.env.user.email = "admin@mycompany.example.com"
        cls.stranger_email = "Mallory <mallory@evil.example.com>"
        cls.defect = cls._create_defect()
        cls.defect.with_user(cls.rel_user).with_context(allowed_company_ids=cls.company.ids).action_confirm()
        cls.sent = cls.env["mail.mail"].search(
            [("model", "=", cls.Defect._name), ("res_id", "=", cls.defect.id)], limit=1
        )
        cls.catchall = f"{cls.alias_catchall}@{cls.alias_domain}"

    def _reply(self, email_from, body, to=None):
        """Process a reply to the confirmation e-mail of the report from ``email_from``."""
        with self.mock_mail_gateway():
            self.format_and_process(
                INCOMING_EMAIL,
                email_from,
                to or self.catchall,
                return_path=email_from,
                subject=f"Re: {self.sent.subject}",
                extra=f"In-Reply-To: {self.sent.message_id}\nReferences: {self.sent.message_id}",
                target_model=self.Defect._name,
                body=body,
            )

    def _bounces_to(self, email):
        return [mail for mail in self._mails if any(email in to for to in mail["email_to"])]

    def test_follower_and_customer_replies_land_on_the_report(self):
        self._reply(self.production_user.email_formatted, "Fan blades cracked.")
        self.assertIn("Fan blades cracked.", self.defect.message_ids[0].body)
        self.assertEqual(self.defect.message_ids[0].author_id, self.production_user.partner_id)

        self.contact.email = "marco@rossi.example.com"
        self._reply("Marco Rossi <marco@rossi.example.com>", "It stopped again this morning.")
        self.assertIn("It stopped again this morning.", self.defect.message_ids[0].body)
        self.assertFalse(self._bounces_to("marco@rossi.example.com"))

    def test_unknown_sender_is_bounced_and_logged(self):
        messages = self.defect.message_ids
        with patch.object(defect_module._logger, "info") as log:
            self._reply(self.stranger_email, "Please pay the attached invoice to a new IBAN.")
        self.assertEqual(self.defect.message_ids, messages, "nothing reaches the internal thread")
        self.assertFalse(self._new_mails.filtered(lambda m: m.model == self.Defect._name), "nobody notified")
        bounce = self._bounces_to("mallory@evil.example.com")
        self.assertEqual(len(bounce), 1)
        self.assertIn("could not be delivered", bounce[0]["body"])
        self.assertIn("service@mycompany.example.com", bounce[0]["body"])
        self.assertNotIn(self.defect.name, bounce[0]["body"], "the bounce names no report")
        log.assert_called_once()
        self.assertIn("mallory@evil.example.com", log.call_args.args[1])
        self.assertEqual(log.call_args.args[3], self.defect.id)

    def test_old_per_report_address_routes_nothing(self):
        """No alias is left for the reports: their old addresses are unknown, and reports are never
        created from e-mails, even by an incoming server set to create them."""
        self.assertFalse(self.env["mail.alias"].search([("alias_model_id.model", "=", self.Defect._name)]))
        messages = self.defect.message_ids
        for model in (None, self.Defect._name):
            with (
                self.subTest(model=model),
                mute_logger("odoo.addons.mail.models.mail_thread"),
                self.mock_mail_gateway(),
                self.assertRaises(ValueError),
            ):
                self.format_and_process(
                    INCOMING_EMAIL,
                    self.stranger_email,
                    f"def-2026-0001@{self.alias_domain}",
                    subject="Invoice",
                    model=model,
                    target_model=self.Defect._name,
                    body="Please pay the attached invoice.",
                )
        self.assertEqual(self.defect.message_ids, messages)
        self.assertEqual(self.Defect.search_count([("name", "=", "Invoice")]), 0, "no report created")

    def test_alias_fields_cannot_be_written(self):
        defect = self.defect.with_user(self.rel_user).with_context(allowed_company_ids=self.company.ids)
        with self.assertRaises(ValueError):
            defect.write({"alias_name": "billing"})
        self.assertFalse(self.env["mail.alias"].search([("alias_name", "=", "billing")]))

    def _process_with_attachments(self, email_from, count, size=10):
        message = EmailMessage()
        message["From"] = email_from
        message["Return-Path"] = email_from
        message["To"] = self.catchall
        message["Subject"] = f"Re: {self.sent.subject}"
        message["Message-ID"] = make_msgid(domain="example.com")
        message["In-Reply-To"] = self.sent.message_id
        message["References"] = self.sent.message_id
        message.set_content("Photos of the boiler attached.")
        for index in range(count):
            message.add_attachment(
                b"x" * size, maintype="application", subtype="octet-stream", filename=f"photo{index}.bin"
            )
        with self.mock_mail_gateway(), mute_logger(DEFECT_LOGGER):
            self.env["mail.thread"].sudo().message_process(None, message.as_string())

    def test_inbound_size_and_attachment_count_are_bounded(self):
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("crm_relationship.defect_mail_max_attachments", "2")
        ICP.set_param("crm_relationship.defect_mail_max_size_mb", "1")
        messages = self.defect.message_ids

        self._process_with_attachments(self.production_user.email_formatted, 3)
        self.assertEqual(self.defect.message_ids, messages, "too many attachments")
        self.assertIn("more than 2 attachments", self._bounces_to(self.production_user.email)[0]["body"])

        self._process_with_attachments(self.production_user.email_formatted, 1, size=2 * 1024 * 1024)
        self.assertEqual(self.defect.message_ids, messages, "too large")
        self.assertIn("larger than 1 MB", self._bounces_to(self.production_user.email)[0]["body"])

        self._process_with_attachments(self.production_user.email_formatted, 2)
        self.assertEqual(len(self.defect.message_ids[0].attachment_ids), 2, "within the bounds")

    def test_bounce_in_the_company_language(self):
        self.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["it_IT"], overwrite=True)
        self.company.partner_id.lang = "it_IT"
        with mute_logger(DEFECT_LOGGER):
            self._reply(self.stranger_email, "Fattura in allegato.")
        body = self._bounces_to("mallory@evil.example.com")[0]["body"]
        self.assertIn("Buongiorno,", body)
        self.assertIn("non è stato possibile recapitare il suo messaggio", body)
        self.assertIn("accetta solo risposte dalle persone coinvolte", body)
