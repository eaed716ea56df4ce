from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.service.model import call_kw
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_relationship.tests.test_crm_relationship_readonly import served_read_only

from .common import CrmRelationshipCrmCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipCrmAccess(CrmRelationshipCrmCase):
    """The figures of the pipeline are for Relationship Users; the leads
    themselves, and what links calls to them, for Sales."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.opportunity = cls._create_lead(
            "Caldaia sala termica", partner_id=cls.contact.id, expected_revenue=5000.0, probability=40.0
        )
        cls.lost = cls._lose(cls._create_lead("Solare termico", partner_id=cls.customer.id), cls.reason_price)
        cls.archived = cls._create_lead("Archiviata", partner_id=cls.customer.id, probability=30.0)
        cls.archived.action_archive()
        cls.other = cls._create_lead("Pompe di calore", partner_id=cls.other_customer.id)
        cls.plain_salesman = new_test_user(
            cls.env,
            login="crm_plain_salesman",
            name="Pino Venditore",
            groups="sales_team.group_sale_salesman_all_leads",
        )

    def test_timeline_opens_the_opportunity_for_sales_only(self):
        row = self._timeline(self.rel_user, self.customer).filtered(lambda r: r.res_id == self.opportunity.id)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.name, row.amount, row.state_label), ("Caldaia sala termica", 5000.0, "Pending"))
        with self.assertRaises(AccessError):
            call_kw(row, "action_open_document", [row.ids], {"context": self.web_context})
        action = call_kw(
            self._as(self.salesman, row), "action_open_document", [row.ids], {"context": self.web_context}
        )
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", self.opportunity.id))

    def test_pipeline_button_of_the_card_is_for_sales(self):
        with self.assertRaises(AccessError):
            self._as(self.rel_user, self.contact).action_view_crm_opportunities()
        action = self._as(self.salesman, self.contact).action_view_crm_opportunities()
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        Leads = self._as(self.salesman, self.env["crm.lead"], **action["context"])
        self.assertEqual(Leads.search(action["domain"]), self.opportunity | self.lost)
        # the card shows the button to salespeople only
        for user, shown in ((self.rel_user, False), (self.salesman, True)):
            arch = self._as(user, self.env["res.partner"]).get_views(
                [(self.env.ref("crm_relationship.res_partner_view_form_customer_card").id, "form")]
            )["views"]["form"]["arch"]
            self.assertEqual('name="action_view_crm_opportunities"' in arch, shown, user.name)
            self.assertIn('name="crm_opportunity_won_count"', arch)

    def test_readers_of_the_bridge_fields(self):
        # the customer of a lead: whoever reads the lead
        for user in (self.salesman, self.plain_salesman):
            lead = self._as(user, self.opportunity)
            self.assertEqual(lead.read(["crm_customer_id"])[0]["crm_customer_id"][0], self.customer.id)
        with self.assertRaises(AccessError):
            self._as(self.rel_user, self.opportunity).read(["crm_customer_id"])
        # its calls: who reads the lead and the calls
        with self.assertRaises(AccessError):
            self._as(self.plain_salesman, self.opportunity).read(["crm_call_ids"])
        self.assertEqual(
            self._as(self.salesman, self.opportunity).read(["crm_call_count"])[0]["crm_call_count"], 0
        )
        # the opportunity of a call: Sales
        call = self._create_call(self.customer, crm_lead_id=self.opportunity.id)
        with self.assertRaises(AccessError):
            self._as(self.rel_user, call).read(["crm_lead_id"])
        self.assertEqual(self._as(self.salesman, call).crm_lead_id, self.opportunity)
        # the figures: Relationship Users, not the salespeople outside the group
        self.assertEqual(self._as(self.rel_user, self.customer).crm_opportunity_count, 1)
        for user in (self.plain_salesman, self.internal_user):
            with self.assertRaises(AccessError):
                self._as(user, self.customer).read(["crm_opportunity_count"])

    def test_read_only_marks(self):
        for model, method in (
            ("res.partner", "action_view_crm_opportunities"),
            ("crm.lead", "action_view_crm_calls"),
        ):
            self.assertTrue(served_read_only(type(self.env[model]), method), method)
        self.assertFalse(
            served_read_only(type(self.env["crm.relationship.call"]), "action_crm_create_opportunity")
        )


@tagged("post_install", "-at_install")
class TestCrmRelationshipCrmMultiCompany(CrmRelationshipCrmCase):
    """Termoidraulica Rossi, a customer of both companies, has an opportunity in
    company A (1,000), one in company B (2,000, with an activity planned) and a
    lead without company (400), visible to both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta Impianti S.r.l.", "currency_id": cls.company_a.currency_id.id}
        )
        cls._link_users_to(cls.company_b, cls.rel_user | cls.salesman)
        cls.user_b = new_test_user(
            cls.env,
            login="crm_rel_user_b",
            name="Operatore Beta",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.opp_a = cls._create_lead("Impianto sede", partner_id=cls.contact.id, expected_revenue=1000.0)
        cls.opp_b = cls._create_lead(
            "Impianto filiale Beta",
            partner_id=cls.contact.id,
            company_id=cls.company_b.id,
            expected_revenue=2000.0,
        )
        cls.lead_shared = cls._create_lead(
            "Richiesta senza azienda", partner_id=cls.contact.id, company_id=False, expected_revenue=400.0
        )
        cls.activity_b = cls.opp_b.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=cls.today + timedelta(days=1),
            summary="Chiamata riservata Beta",
            user_id=cls.salesman.id,
        )

    def _card(self, user, *companies):
        return self.customer.with_user(user).with_context(
            **dict(self.web_context, allowed_company_ids=[company.id for company in companies])
        )

    def test_fixture(self):
        self.assertFalse(self.lead_shared.company_id)
        self.assertEqual(self.opp_b.company_id, self.company_b)

    def test_figures_of_the_active_companies(self):
        card_a = self._card(self.rel_user, self.company_a)
        self.assertEqual(card_a.crm_opportunity_count, 2)
        self.assertEqual(card_a.crm_opportunity_amount, 1400.0)
        self.assertFalse(card_a.crm_opportunity_next_activity, "company B's activity is not shown")
        self.assertEqual(card_a.crm_next_action_summary, "Planned in another company")

        card_b = self._card(self.user_b, self.company_b)
        self.assertEqual(card_b.crm_opportunity_count, 2)
        self.assertEqual(card_b.crm_opportunity_amount, 2400.0)
        self.assertIn("Chiamata riservata Beta (Impianto filiale Beta)", card_b.crm_opportunity_next_activity)

        card_ab = self._card(self.rel_user, self.company_a, self.company_b)
        self.assertEqual(card_ab.crm_opportunity_count, 3)
        self.assertEqual(card_ab.crm_opportunity_amount, 3400.0)

    def test_timeline_of_the_active_companies(self):
        rows_a = self._timeline(self.rel_user, self.customer)
        self.assertEqual(set(rows_a.mapped("res_id")), {self.opp_a.id, self.lead_shared.id})
        self.assertNotIn("Impianto filiale Beta", rows_a.mapped("name"))
        rows_b = self._timeline(self.user_b, self.customer, allowed_company_ids=self.company_b.ids)
        self.assertEqual(set(rows_b.mapped("res_id")), {self.opp_b.id, self.lead_shared.id})
        shared = rows_b.filtered(lambda row: row.res_id == self.lead_shared.id)
        self.assertFalse(shared.company_id)
        self.assertEqual(shared.amount, 400.0)

    def test_lost_opportunities_of_another_company_are_not_counted(self):
        self._lose(self.opp_b, self.reason_competitor)
        card_a = self._card(self.rel_user, self.company_a)
        self.assertEqual(card_a.crm_opportunity_lost_count, 0)
        self.assertFalse(card_a.crm_opportunity_lost_reasons)
        card_b = self._card(self.user_b, self.company_b)
        self.assertEqual(card_b.crm_opportunity_lost_count, 1)
        self.assertEqual(card_b.crm_opportunity_lost_reasons, "Scelto un concorrente 1")
