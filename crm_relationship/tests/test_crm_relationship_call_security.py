from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipCallSecurity(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_call_customer("Trattoria da Gino S.n.c.", "051 233 4410")
        cls.other_user = new_test_user(
            cls.env,
            login="rel_user_2",
            name="Marta Operatrice",
            groups="crm_relationship.crm_relationship_group_user",
        )

    def test_user_creates_and_edits_own_calls(self):
        call = self._create_call(self.customer, user=self.rel_user)
        call.with_user(self.rel_user).write({"notes": "<p>Richiamare lunedì</p>", "duration": 4})
        self.assertEqual(call.duration, 4)
        with self.assertRaises(AccessError):
            call.with_user(self.rel_user).unlink()

    def test_user_reads_but_cannot_edit_others_calls(self):
        call = self._create_call(self.customer, user=self.other_user)
        self.assertEqual(call.with_user(self.rel_user).subject, call.subject)
        with self.assertRaises(AccessError):
            call.with_user(self.rel_user).write({"subject": "Modificato"})
        call.with_user(self.rel_user).message_post(body="Ho parlato io con il cliente ieri.")

    def test_manager_edits_and_deletes_any_call(self):
        call = self._create_call(self.customer, user=self.rel_user)
        call.with_user(self.rel_manager).write({"subject": "Corretto"})
        call.with_user(self.rel_manager).unlink()
        self.assertFalse(call.exists())

    def test_channels_and_outcomes_configured_by_managers(self):
        for model in ("crm.relationship.call.channel", "crm.relationship.call.outcome"):
            Model = self.env[model]
            self.assertTrue(Model.with_user(self.rel_user).search([]))
            with self.assertRaises(AccessError):
                Model.with_user(self.rel_user).create({"name": "Piccione viaggiatore"})
            record = Model.with_user(self.rel_manager).create({"name": "Piccione viaggiatore"})
            record.with_user(self.rel_manager).write({"name": "Telegramma"})
            record.with_user(self.rel_manager).unlink()

    def test_plain_employee_has_no_access(self):
        call = self._create_call(self.customer)
        with self.assertRaises(AccessError):
            call.with_user(self.internal_user).read(["subject"])
        with self.assertRaises(AccessError):
            self.env["crm.relationship.call"].with_user(self.internal_user).create(
                {"partner_id": self.customer.id, "subject": "No"}
            )

    def test_multi_company(self):
        company_b = self.env["res.company"].create({"name": "Caldaie Sud S.r.l."})
        customer_b = self._create_call_customer("Esposito", company_id=company_b.id)
        self.rel_user.write({"company_ids": [(4, company_b.id)]})
        call_a = self._create_call(self.customer, user=self.rel_user)
        call_b = self._create_call(customer_b, company_id=company_b.id, user_id=self.rel_user.id)
        Call = self.env["crm.relationship.call"].with_user(self.rel_user)
        self.assertEqual(
            Call.with_context(allowed_company_ids=[self.company.id]).search([]) & (call_a | call_b), call_a
        )
        self.assertEqual(
            Call.with_context(allowed_company_ids=[self.company.id, company_b.id]).search([])
            & (call_a | call_b),
            call_a | call_b,
        )
        with self.assertRaises(AccessError):
            call_b.with_user(self.rel_user).with_context(allowed_company_ids=[self.company.id]).read(
                ["subject"]
            )
        outsider = new_test_user(
            self.env,
            login="rel_user_b",
            name="Operatrice Sud",
            groups="crm_relationship.crm_relationship_group_user",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        self.assertFalse(
            self.env["crm.relationship.call"].with_user(outsider).search([("id", "=", call_a.id)])
        )
        self.assertEqual(customer_b.with_user(outsider).crm_call_count, 1)
        with self.assertRaises(UserError):
            self._create_call(customer_b, company_id=self.company.id)
