from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import CrmRelationshipCase

# Numbers of several countries, each in the formats an operator may type:
# (country of the contact, by its xml id in base; national formats; international formats).
NUMBERS = (
    ("it", ("02 8945 1177", "(02) 8945-1177"), ("+39 02 8945 1177", "0039 0289451177")),
    ("it", ("347 555 0101", "347.555.0101"), ("+39 347 555 0101", "0039 347-555-0101")),
    ("sm", ("0549 886377",), ("+378 0549 886377", "00378 0549 886 377")),
    (
        "ch",
        ("044 668 18 00", "044-668-1800"),
        ("+41 44 668 18 00", "0041 44 668 18 00", "+41 (0)44 668 18 00"),
    ),
    ("de", ("030 901820", "(030) 90 18 20"), ("+49 30 901820", "0049 30 901820", "+49 (0)30 901820")),
    ("uk", ("020 7946 0958",), ("+44 20 7946 0958", "0044 20 7946 0958", "+44 (0)20 7946 0958")),
    ("us", ("(212) 555-0100", "212.555.0100"), ("+1 212 555 0100", "+1 (212) 555-0100", "001 212 555 0100")),
)


@tagged("post_install", "-at_install")
class TestCrmRelationshipCallLookup(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.it")
        # One company per country of NUMBERS besides Italy; the operator works in all of them.
        cls.companies = {"it": cls.company}
        for code in ("sm", "ch", "de", "uk", "us"):
            company = cls.env["res.company"].create({"name": f"Filiale {code.upper()}"})
            company.country_id = cls.env.ref(f"base.{code}")
            cls.companies[code] = company
        cls.rel_user.company_ids = [Command.link(company.id) for company in cls.companies.values()]
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

    def _as_operator(self, *codes):
        """``res.partner`` for the Relationship User working in the companies of the
        countries ``codes`` (Italy when none), as the web client calls it."""
        companies = [self.companies[code].id for code in codes or ("it",)]
        return self.env["res.partner"].with_user(self.rel_user).with_context(allowed_company_ids=companies)

    def _lookup(self, number, *codes):
        return self._as_operator(*codes)._crm_search_by_phone(number)

    def test_phone_keys_of_every_format(self):
        keys = self._as_operator("it")._crm_phone_keys
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
            self.assertEqual(keys(number), {"+390289451120"}, number)
        for number in ("+39 335 612 4478", "0039 335 6124478", "335/612.44.78", "335 612 4478"):
            self.assertEqual(keys(number), {"+393356124478"}, number)
        self.assertEqual(
            self._as_operator("ch")._crm_phone_keys("091 922 11 22"),
            {"+41919221122"},
            "Trunk 0 dropped outside Italy",
        )
        self.assertEqual(keys("+41 (0)91 922 11 22"), {"+41919221122"})
        self.assertFalse(keys(""))
        self.assertFalse(keys("n/a"))

    def test_stored_sanitized_phone(self):
        self.assertEqual(self.customer.phone_sanitized, "+390244556600")
        self.assertEqual(self.marco.phone_sanitized, "+393357001122")
        self.assertEqual(self.swiss.phone_sanitized, "+41919221123")
        self.marco.phone = "0039-347-555-0001"
        self.assertEqual(self.marco.phone_sanitized, "+393475550001")

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
            "EXPLAIN SELECT id FROM res_partner WHERE active AND phone_sanitized = ANY(%s)",
            [["+393356124478"]],
        )
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("res_partner_phone_sanitized_idx", plan)

    def test_lookup_queries(self):
        """The companies' countries for a national number, then the match: on a cold record
        cache, as every incoming call; an international number needs no country."""
        self._lookup("+39 335 700 1122", "it", "ch")
        self.env.invalidate_all()
        with self.assertQueryCount(2):
            self.assertEqual(self._lookup("335 700 1122", "it", "ch"), self.marco)
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            self.assertEqual(self._lookup("+39 335 700 1122", "it", "ch"), self.marco)

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

    def test_lookup_numbers_of_several_countries(self):
        """Stored in any of its formats, a number is found typed in any other: a national
        format by an operator of a company of that country, an international one by anyone."""
        contact = self.env["res.partner"].create({"name": "Contatto Estero"})
        for code, national, international in NUMBERS:
            contact.country_id = self.env.ref(f"base.{code}")
            for stored in national + international:
                contact.phone = stored
                for typed, companies in [(number, (code,)) for number in national + international] + [
                    (number, ("it",)) for number in international
                ]:
                    with self.subTest(stored=stored, typed=typed, companies=companies):
                        self.assertEqual(self._lookup(typed, *companies), contact)

    def test_phone_keys_of_several_countries(self):
        """The trunk 0 is part of Italian and San Marino landlines, dropped elsewhere."""
        keys = {
            (code, number): self._as_operator(code)._crm_phone_keys(number)
            for code, number in (
                ("it", "02 8945 1120"),
                ("it", "347 555 0101"),
                ("it", "+378 0549 886377"),
                ("ch", "044 668 18 00"),
                ("de", "030 901820"),
                ("uk", "020 7946 0958"),
            )
        }
        self.assertEqual(
            keys,
            {
                ("it", "02 8945 1120"): {"+390289451120"},
                ("it", "347 555 0101"): {"+393475550101"},
                ("it", "+378 0549 886377"): {"+3780549886377"},
                ("ch", "044 668 18 00"): {"+41446681800"},
                ("de", "030 901820"): {"+4930901820"},
                ("uk", "020 7946 0958"): {"+442079460958"},
            },
        )

    def test_ambiguous_number_returns_every_candidate(self):
        palermo = self._create_call_customer("Impianti Palermo S.r.l.", "+39 091 922 1123")
        self.assertEqual(self._lookup("091 922 11 23", "ch"), self.swiss)
        self.assertEqual(self._lookup("091 922 11 23", "it"), palermo)
        self.assertEqual(
            self._lookup("091 922 11 23", "it", "ch"),
            palermo | self.swiss,
            "an operator of an Italian and a Swiss company gets the number of both countries",
        )
        self.assertEqual(self._lookup("+41 91 922 11 23", "it", "ch"), self.swiss)
        switchboard = self.env["res.partner"].create(
            {"name": "Centralino Rossi", "parent_id": self.customer.id, "phone": "02 4455 6600"}
        )
        self.assertEqual(
            self._lookup("+39 02 4455 6600"), self.customer | switchboard, "contacts sharing a number"
        )

    def test_garbage_finds_nothing(self):
        for number in (
            "",
            " ",
            False,
            "n/a",
            "abc",
            "+",
            "0",
            "00",
            "+39",
            "12345678901234567890123",
            "+999 123 456",
            "'; DELETE FROM res_partner; --",
            "02 8945 1120 ' OR 1=1",
        ):
            with self.subTest(number=number):
                self.assertFalse(self._lookup(number, "it", "ch", "us"))
        wizard = self.env["crm.relationship.call.lookup"].with_user(self.rel_user).create({"phone": "n/a"})
        self.assertEqual((wizard.match_count, wizard.contact_id), (0, self.env["res.partner"]))
