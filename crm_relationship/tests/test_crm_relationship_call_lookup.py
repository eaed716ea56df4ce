from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipCallLookup(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.it")
        cls.customer = cls._create_call_customer(
            "Rossi Impianti S.r.l.",
            "+39 02 4455 6600",
            contacts=[("Marco Rossi", "+39 335 700 1122"), ("Giulia Bianchi", "02 4455 6677")],
        )
        cls.giulia, cls.marco = cls.customer.child_ids.sorted("name")
        cls.swiss = cls.env["res.partner"].create(
            {
                "name": "Bernasconi SA",
                "is_company": True,
                "phone": "091 922 11 23",
                "country_id": cls.env.ref("base.ch").id,
            }
        )

    def test_normalize_formats(self):
        normalize = self.env["res.partner"]._crm_normalize_phone
        for number in (
            "+39 02 8945 1120",
            "0039 02 8945 1120",
            "02 8945 1120",
            "02-8945-1120",
            "02.8945.1120",
            "(02) 89451120",
            "+39 (02) 8945-1120",
            " 0289451120 ",
        ):
            self.assertEqual(normalize(number, "39"), "390289451120", number)
        for number in ("+39 335 612 4478", "0039 335 6124478", "335/612.44.78", "335 612 4478"):
            self.assertEqual(normalize(number, "39"), "393356124478", number)
        self.assertEqual(normalize("091 922 11 22", "41"), "41919221122", "Trunk 0 dropped outside Italy")
        self.assertEqual(normalize("+41 (0)91 922 11 22", "39"), "41919221122")
        self.assertFalse(normalize("", "39"))
        self.assertFalse(normalize("n/a", "39"))

    def test_stored_normalized_phone(self):
        self.assertEqual(self.customer.crm_phone_normalized, "390244556600")
        self.assertEqual(self.marco.crm_phone_normalized, "393357001122")
        self.assertEqual(self.swiss.crm_phone_normalized, "41919221123")
        self.marco.phone = "0039-347-555-0001"
        self.assertEqual(self.marco.crm_phone_normalized, "393475550001")

    def test_lookup_in_every_format(self):
        Partner = self.env["res.partner"]
        for number, expected in (
            ("+39 335 700 1122", self.marco),
            ("0039 335 700 1122", self.marco),
            ("335-700-1122", self.marco),
            ("335.700.1122", self.marco),
            ("(02) 4455 6677", self.giulia),
            ("+39 02 4455 6677", self.giulia),
            ("0244556600", self.customer),
            ("+41 91 922 11 23", self.swiss),
            ("0041 91 922 11 23", self.swiss),
        ):
            self.assertEqual(Partner._crm_search_by_phone(number), expected, number)
        self.assertFalse(Partner._crm_search_by_phone("+39 06 9876 0001"))
        self.assertFalse(Partner._crm_search_by_phone(""))

    def test_lookup_opens_prefilled_call(self):
        with Form(self.env["crm.relationship.call.lookup"].with_user(self.rel_user)) as form:
            form.phone = "0039 335-700-1122"
            self.assertEqual(form.match_count, 1)
            self.assertEqual(form.contact_id, self.marco)
            form.direction = "inbound"
        action = form.record.action_log_call()
        context = action["context"]
        self.assertEqual(context["default_partner_id"], self.customer.id)
        self.assertEqual(context["default_contact_id"], self.marco.id)
        self.assertEqual(context["default_direction"], "inbound")
        call = (
            self.env["crm.relationship.call"]
            .with_user(self.rel_user)
            .with_context(**context)
            .create({"subject": "Chiamata in arrivo"})
        )
        self.assertEqual((call.partner_id, call.contact_id), (self.customer, self.marco))
        self.assertEqual(
            call.channel_id, self.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        )

    def test_unknown_number_offers_new_contact(self):
        creator = self.rel_user
        creator.group_ids += self.env.ref("base.group_partner_manager")
        with Form(self.env["crm.relationship.call.lookup"].with_user(creator)) as form:
            form.phone = "+39 06 9876 0001"
            self.assertEqual(form.match_count, 0)
            self.assertFalse(form.contact_id)
            form.new_contact_name = "Paolo Verdi"
            form.new_contact_parent_id = self.customer
        wizard = form.record
        with self._assert_raises_message(UserError, "create the contact first"):
            wizard.action_log_call()
        action = wizard.action_create_contact()
        contact = self.env["res.partner"].search([("name", "=", "Paolo Verdi")])
        self.assertEqual((contact.phone, contact.parent_id), ("+39 06 9876 0001", self.customer))
        self.assertEqual(action["context"]["default_contact_id"], contact.id)
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        self.assertEqual(self.env["res.partner"]._crm_search_by_phone("06 9876 0001"), contact)

    def test_new_contact_needs_a_name(self):
        wizard = self.env["crm.relationship.call.lookup"].create({"phone": "06 9876 0001"})
        with self._assert_raises_message(UserError, "name of the new contact"):
            wizard.action_create_contact()

    def test_lookup_uses_the_index(self):
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(
            "EXPLAIN SELECT id FROM res_partner WHERE crm_phone_normalized = %s", ["393356124478"]
        )
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("res_partner__crm_phone_normalized_index", plan)

    def test_lookup_respects_access_rules(self):
        company_b = self.env["res.company"].create({"name": "Caldaie Sud S.r.l."})
        hidden = self.env["res.partner"].create(
            {"name": "Cliente Sud", "phone": "081 555 0101", "company_id": company_b.id}
        )
        archived = self.env["res.partner"].create({"name": "Archiviato", "phone": "081 555 0101"})
        archived.action_archive()
        Partner = self.env["res.partner"]
        self.assertEqual(Partner._crm_search_by_phone("+39 081 555 0101"), hidden)
        self.assertFalse(Partner.with_user(self.rel_user)._crm_search_by_phone("+39 081 555 0101"))
