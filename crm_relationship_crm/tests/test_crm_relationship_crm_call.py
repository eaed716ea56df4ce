from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.service.model import call_kw
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCrmCase


@tagged("post_install", "-at_install")
class TestCrmCallOpportunity(CrmRelationshipCrmCase):
    """A call asking to buy becomes an opportunity of its customer in one click."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)

    def _create_inbound_call(self, user, subject="Sostituzione caldaia", customer=None, **values):
        return self._create_call(
            customer or self.customer,
            user=user,
            **dict(
                {
                    "subject": subject,
                    "contact_id": self.contact.id,
                    "direction": "inbound",
                    "notes": "<p>Vuole sostituire la caldaia della sala termica entro marzo.</p>",
                },
                **values,
            ),
        )

    def test_salesman_turns_an_inbound_call_into_an_opportunity(self):
        call = self._as(self.salesman, self._create_inbound_call(self.salesman))
        action = call.action_crm_create_opportunity()
        opportunities = self.Lead.search([("name", "=", "Sostituzione caldaia")])
        self.assertEqual(len(opportunities), 1)
        opportunity = opportunities
        self.assertEqual(
            action,
            {
                "type": "ir.actions.act_window",
                "res_model": "crm.lead",
                "res_id": opportunity.id,
                "views": [(False, "form")],
                "target": "current",
                "context": {},
            },
        )
        self.assertEqual(opportunity.type, "opportunity")
        self.assertEqual(opportunity.partner_id, self.contact)
        self.assertEqual(opportunity.crm_customer_id, self.customer)
        self.assertEqual(opportunity.user_id, self.salesman, "the customer's salesperson")
        self.assertEqual(opportunity.company_id, call.company_id)
        self.assertIn("sala termica entro marzo", str(opportunity.description))
        self.assertEqual(call.crm_lead_id, opportunity)
        self.assertEqual(self._as(self.salesman, opportunity).crm_call_ids, call)
        self.assertEqual(self._as(self.salesman, opportunity).crm_call_count, 1)
        links = opportunity.message_ids.filtered(
            lambda message: (
                f"data-oe-id='{call.id}'" in str(message.body).replace('"', "'")
                and "crm.relationship.call" in str(message.body)
            )
        )
        self.assertEqual(len(links), 1, "a message on the opportunity links the call")
        self.assertIn("Opportunity created from the call", str(links.body))
        # the salesman opens the calls of the opportunity
        calls_action = self._as(self.salesman, opportunity).action_view_crm_calls()
        self.assertEqual(self.env["crm.relationship.call"].search(calls_action["domain"]), call)

        with self._assert_raises_message(
            UserError, "already linked to the opportunity 'Sostituzione caldaia'"
        ):
            call.action_crm_create_opportunity()
        self.assertEqual(len(self.Lead.search([("name", "=", "Sostituzione caldaia")])), 1)

    def test_opportunity_goes_to_the_customers_salesperson(self):
        colleague = new_test_user(
            self.env,
            login="crm_colleague",
            name="Giorgio Commerciale",
            groups="sales_team.group_sale_salesman",
        )
        self.customer.user_id = colleague
        all_leads = new_test_user(
            self.env,
            login="crm_all_leads",
            name="Carla Capoarea",
            groups="sales_team.group_sale_salesman_all_leads,crm_relationship.crm_relationship_group_user",
        )
        call = self._as(all_leads, self._create_inbound_call(all_leads, subject="Offerta manutenzione"))
        call.action_crm_create_opportunity()
        self.assertEqual(call.crm_lead_id.user_id, colleague)

        # a salesman of his own documents only may not give it to a colleague: it is his
        call = self._as(self.salesman, self._create_inbound_call(self.salesman, subject="Offerta caldaia"))
        action = call.action_crm_create_opportunity()
        self.assertEqual(call.crm_lead_id.user_id, self.salesman)
        self.assertEqual(self._as(self.salesman, self.Lead.browse(action["res_id"])).name, "Offerta caldaia")

        # a customer without salesperson: the user's opportunity
        self.other_customer.user_id = False
        call = self._as(
            all_leads,
            self._create_inbound_call(
                all_leads,
                subject="Pompe di calore",
                customer=self.other_customer,
                contact_id=self.other_customer_contact.id,
            ),
        )
        call.action_crm_create_opportunity()
        self.assertEqual(call.crm_lead_id.user_id, all_leads)
        self.assertEqual(call.crm_lead_id.partner_id, self.other_customer_contact)

    def test_call_without_contact_gives_the_customer(self):
        call = self._as(self.salesman, self._create_inbound_call(self.salesman, contact_id=False))
        call.action_crm_create_opportunity()
        self.assertEqual(call.crm_lead_id.partner_id, self.customer)
        self.assertEqual(call.crm_lead_id.crm_customer_id, self.customer)

    def test_relationship_user_without_sales_cannot_create_an_opportunity(self):
        self.assertFalse(self.rel_user.has_group("sales_team.group_sale_salesman"))
        call = self._create_inbound_call(self.rel_user, subject="Richiesta listino")
        Call = self.env["crm.relationship.call"].with_user(self.rel_user)
        with self.assertRaises(AccessError):
            call_kw(Call, "action_crm_create_opportunity", [call.ids], {"context": self.web_context})
        self.assertFalse(self.Lead.search([("name", "=", "Richiesta listino")]))
        self.assertFalse(call.sudo().crm_lead_id)
        # the field and the button are the salespeople's
        with self.assertRaises(AccessError):
            call.with_user(self.rel_user).read(["crm_lead_id"])
        arch = Call.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("action_crm_create_opportunity", arch)
        arch = Call.with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_crm_create_opportunity"', arch)

    def test_salesman_links_a_call_to_an_opportunity(self):
        opportunity = self._create_lead("Caldaia sala termica", partner_id=self.contact.id)
        call = self._as(self.salesman, self._create_inbound_call(self.salesman, subject="Sollecito offerta"))
        call.crm_lead_id = opportunity
        self.assertEqual(opportunity.crm_call_ids, call)
        with self.assertRaises(UserError):
            call.action_crm_create_opportunity()


@tagged("post_install", "-at_install")
class TestCrmPresaleCost(CrmRelationshipCrmCase):
    """At 60 an hour, the time spent on opportunities before the sale:

    - a 30-minute call about the boiler room opportunity, a 20-minute call about nothing;
    - a 45-minute meeting held for the opportunity (``opportunity_id``), a
      15-minute one planned from the opportunity's chatter (``res_model``),
      and a 30-minute visit about nothing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crm_call_hourly_cost = 60.0
        cls.opportunity = cls._create_lead("Caldaia sala termica", partner_id=cls.contact.id)
        now = fields.Datetime.now()
        # held today, or on the 1st of January just after midnight when the test runs then
        cls.start = max(now - timedelta(hours=2), datetime(now.year, 1, 1))
        cls.call_presale = cls._create_call(
            cls.customer, subject="Domande sull'offerta", duration=30.0, date_start=cls.start
        )
        cls.call_presale.crm_lead_id = cls.opportunity
        cls.call_other = cls._create_call(
            cls.customer, subject="Richiesta fattura", duration=20.0, date_start=cls.start
        )
        cls.meeting_opportunity = cls._create_event(
            "Presentazione offerta", 45, opportunity_id=cls.opportunity.id
        )
        cls.meeting_chatter = cls._create_event(
            "Chiarimenti tecnici",
            15,
            res_model_id=cls.env["ir.model"]._get_id("crm.lead"),
            res_id=cls.opportunity.id,
        )
        cls.visit = cls._create_event("Visita di cortesia", 30, crm_contact_kind="visit")

    @classmethod
    def _create_event(cls, name, minutes, **values):
        return cls.env["calendar.event"].create(
            dict(
                {
                    "name": name,
                    "start": cls.start,
                    "stop": cls.start + timedelta(minutes=minutes),
                    "user_id": cls.salesman.id,
                    "partner_ids": [Command.set((cls.salesman.partner_id | cls.contact).ids)],
                },
                **values,
            )
        )

    def _rows(self):
        self.env.flush_all()
        Report = self._as(self.rel_manager, self.env["crm.relationship.profitability.report"])
        return {row.name: row for row in Report.search([("partner_id", "=", self.customer.id)])}

    def test_fixture(self):
        self.assertEqual(self.meeting_chatter.res_model, "crm.lead")
        self.assertFalse(
            self.meeting_chatter.opportunity_id, "planned from the chatter: only res_model says it"
        )
        for event in (self.meeting_opportunity, self.meeting_chatter, self.visit):
            self.assertEqual(event.crm_customer_id, self.customer)
            self.assertEqual(event.crm_company_id, self.company)

    def test_presale_minutes_and_cost(self):
        rows = self._rows()
        expected = {
            # name: (source, contact minutes, pre-sale minutes)
            "Domande sull'offerta": ("call", 30.0, 30.0),
            "Richiesta fattura": ("call", 20.0, 0.0),
            "Presentazione offerta": ("appointment", 45.0, 45.0),
            "Chiarimenti tecnici": ("appointment", 15.0, 15.0),
            "Visita di cortesia": ("appointment", 30.0, 0.0),
        }
        self.assertEqual(set(rows), set(expected))
        for name, (source, minutes, presale) in expected.items():
            row = rows[name]
            with self.subTest(row=name):
                self.assertEqual(row.source, source)
                self.assertAlmostEqual(row.call_minutes, minutes)
                self.assertAlmostEqual(row.presale_minutes, presale)
                self.assertAlmostEqual(row.presale_cost, presale / 60.0 * 60.0)
                self.assertAlmostEqual(row.call_cost, minutes)
                self.assertAlmostEqual(
                    row.cost_to_serve, minutes, msg="the pre-sale time is in the cost to serve"
                )

    def test_presale_totals_and_the_card(self):
        Report = self._as(self.rel_manager, self.env["crm.relationship.profitability.report"])
        self.env.flush_all()
        [(presale_minutes, presale_cost, cost_to_serve)] = Report._read_group(
            [("partner_id", "=", self.customer.id)],
            [],
            ["presale_minutes:sum", "presale_cost:sum", "cost_to_serve:sum"],
        )
        self.assertAlmostEqual(presale_minutes, 90.0)
        self.assertAlmostEqual(presale_cost, 90.0)
        self.assertAlmostEqual(cost_to_serve, 140.0)
        card = self._as(self.rel_manager, self.customer)
        self.assertAlmostEqual(card.crm_cost_to_serve_this_year, 140.0)

    def test_presale_follows_the_link_to_the_opportunity(self):
        self.call_other.crm_lead_id = self.opportunity
        self.call_presale.crm_lead_id = False
        self.visit.opportunity_id = self.opportunity
        rows = self._rows()
        self.assertAlmostEqual(rows["Richiesta fattura"].presale_minutes, 20.0)
        self.assertAlmostEqual(rows["Domande sull'offerta"].presale_minutes, 0.0)
        self.assertAlmostEqual(rows["Visita di cortesia"].presale_minutes, 30.0)
        self.assertAlmostEqual(rows["Visita di cortesia"].presale_cost, 30.0)

    def test_presale_cost_is_for_managers(self):
        Report = self._as(self.rel_user, self.env["crm.relationship.profitability.report"])
        with self.assertRaises(AccessError):
            Report.search_read([("partner_id", "=", self.customer.id)], ["presale_cost"])
