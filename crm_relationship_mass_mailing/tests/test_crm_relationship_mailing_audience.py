import ast

from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tests import Form, tagged

from .common import CrmMailingCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipMailingAudience(CrmMailingCase):
    def test_segment_filter_follows_the_segment(self):
        Filter = self.env["mailing.filter"]
        segment = self.Segment.create({"name": "Da riattivare"})
        mailing_filter = Filter.search([("crm_segment_id", "=", segment.id)])
        self.assertEqual(mailing_filter.name, "Da riattivare")
        self.assertEqual(mailing_filter.mailing_model_id, self.partner_model)
        self.assertEqual(mailing_filter.mailing_domain, f"[('crm_segment_id', '=', {segment.id})]")

        segment.name = "Dormienti"
        self.assertEqual(mailing_filter.name, "Dormienti")

        mailing = self._create_mailing(None, mailing_filter_id=mailing_filter.id)
        self.assertEqual(mailing.mailing_domain, f"[('crm_segment_id', '=', {segment.id})]")
        segment.action_archive()
        self.assertFalse(mailing_filter.exists())
        self.assertFalse(Filter.search([("crm_segment_id", "=", segment.id)]))
        mailing.invalidate_recordset()
        self.assertFalse(mailing.mailing_filter_id)
        self.assertEqual(
            mailing.mailing_domain,
            f"[('crm_segment_id', '=', {segment.id})]",
            "the mailing keeps its audience",
        )

        segment.action_unarchive()
        restored = Filter.search([("crm_segment_id", "=", segment.id)])
        self.assertEqual(restored.name, "Dormienti")

        segment.unlink()
        self.assertFalse(restored.exists())

    def test_send_mailing_from_segment(self):
        customers = self._create_segment_customers(self.segment_gold, 3)
        self._create_segment_customers(self.segment_silver, 2)
        segment = self.segment_gold.with_env(self._mailing_env())
        action = segment.action_crm_send_mailing()
        self.assertEqual(action["res_model"], "mailing.mailing")
        mailing_form = Form(self._mailing_env()["mailing.mailing"].with_context(**action["context"]))
        mailing = mailing_form.save()
        self.assertEqual(mailing.mailing_model_id, self.partner_model)
        self.assertEqual(mailing.mailing_filter_id, self.segment_gold.sudo().mailing_filter_ids)
        self.assertEqual(mailing.subject, "Clienti Oro")
        self.assertEqual(
            set(self.env["res.partner"].search(mailing._get_recipients_domain()).ids), set(customers.ids)
        )
        self.assertEqual(mailing.crm_audience_count, 3)
        self.assertTrue(mailing.crm_audience_date)

    def test_send_mailing_from_customer_list(self):
        gold = self._create_segment_customers(self.segment_gold, 4)
        Partner = self._mailing_env()["res.partner"]
        list_domain = [("crm_segment_id", "=", self.segment_gold.id)]
        # Every customer of the list selected: the list's filter is the audience.
        action = Partner.with_context(
            active_ids=gold.ids, active_domain=list_domain
        ).action_crm_send_mailing()
        self.assertEqual(action["context"]["default_mailing_domain"], repr(list(Domain(list_domain))))
        # Some customers ticked: those customers.
        action = Partner.with_context(
            active_ids=gold[:2].ids, active_domain=list_domain
        ).action_crm_send_mailing()
        domain = Domain(ast.literal_eval(action["context"]["default_mailing_domain"]))
        self.assertEqual(set(self.env["res.partner"].search(domain).ids), set(gold[:2].ids))

    def test_send_mailing_needs_marketing_rights(self):
        self._create_segment_customers(self.segment_gold, 1)
        rel_env = self.env(
            user=self.rel_manager, context=dict(self.env.context, allowed_company_ids=self.company_a.ids)
        )
        with self.assertRaises(AccessError):
            self.segment_gold.with_env(rel_env).action_crm_send_mailing()
        with self.assertRaises(AccessError):
            rel_env["res.partner"].with_context(active_ids=[], active_domain=[]).action_crm_send_mailing()
        # Marketing without access to the customer segments: the segment cannot be read.
        with self.assertRaises(AccessError):
            self.segment_gold.with_env(self._mailing_env(self.marketing_only_user)).action_crm_send_mailing()
        action = self.env.ref("crm_relationship_mass_mailing.res_partner_action_send_mailing")
        self.assertEqual(action.group_ids, self.env.ref("mass_mailing.group_mass_mailing_user"))

    def test_segment_mailing_skips_blacklisted_without_email_and_held_back(self):
        customers = self._create_segment_customers(self.segment_gold, 10)
        blacklisted, no_email = customers[0], customers[1]
        self.env["mail.blacklist"].create({"email": blacklisted.email})
        no_email.email = False
        self._create_segment_customers(self.segment_silver, 3)
        mailing = self._create_mailing([("crm_segment_id", "=", self.segment_gold.id)], crm_control_share=20)
        self.assertEqual(mailing.crm_audience_count, 10)
        with self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        held_back = self._expected_held_back(mailing, customers, 20)
        self.assertEqual(len(held_back), 2)
        audience = mailing.crm_audience_ids
        self.assertEqual(set(audience.partner_id.ids), set(customers.ids))
        self.assertEqual(set(audience.filtered("held_back").partner_id.ids), held_back)
        expected = set(customers.ids) - {blacklisted.id, no_email.id} - held_back
        self.assertEqual(self._sent_partner_ids(mailing), expected)
        self.assertEqual(
            {email for mail in self._mails for email in mail["email_to"]},
            {f'"{p.name}" <{p.email}>' for p in self.env["res.partner"].browse(expected)},
        )
        self.assertFalse(set(mailing.mailing_trace_ids.mapped("res_id")) & held_back)
        self.assertEqual(mailing.state, "done")
