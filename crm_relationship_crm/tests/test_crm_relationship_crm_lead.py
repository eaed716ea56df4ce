from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, format_date

from odoo.addons.crm_relationship.tests.common import IdOverflowMixin

from .common import CrmRelationshipCrmCase

CARD_VIEW = "crm_relationship.res_partner_view_form_customer_card"


@tagged("post_install", "-at_install")
class TestCrmLeadCustomer(CrmRelationshipCrmCase):
    """The customer of a lead: the company of its partner, else of the contact
    with its e-mail address, else with its phone number; matched again when
    the contacts change."""

    def test_customer_of_a_lead_with_a_partner(self):
        by_contact = self._create_lead("Caldaia nuova", partner_id=self.contact.id)
        by_company = self._create_lead("Manutenzione annuale", partner_id=self.customer.id)
        self.assertEqual(by_contact.crm_customer_id, self.customer)
        self.assertEqual(by_company.crm_customer_id, self.customer)
        # the partner decides, whatever the e-mail address says
        by_contact.write({"partner_id": self.other_customer_contact.id, "email_from": self.contact.email})
        self.assertEqual(by_contact.crm_customer_id, self.other_customer)

    def test_customer_by_the_email_of_a_contact(self):
        for email in (
            "marco.rossi@rossi-impianti.example",
            "MARCO.ROSSI@ROSSI-IMPIANTI.EXAMPLE",
            '"Marco Rossi" <Marco.Rossi@rossi-impianti.EXAMPLE>',
        ):
            with self.subTest(email=email):
                lead = self._create_lead("Richiesta dal sito", lead_type="lead", email_from=email)
                self.assertFalse(lead.partner_id)
                self.assertEqual(lead.crm_customer_id, self.customer)

    def test_customer_by_phone_when_no_email_matches(self):
        by_phone = self._create_lead(
            "Preventivo pompe",
            lead_type="lead",
            email_from="ufficio@verdi.example",
            phone="+39 (06) 9876-5432",
        )
        self.assertEqual(by_phone.phone_sanitized, "+390698765432")
        self.assertEqual(by_phone.crm_customer_id, self.other_customer)
        national = self._create_lead(
            "Richiesta telefonica",
            lead_type="lead",
            phone="06 9876 5432",
            country_id=self.env.ref("base.it").id,
        )
        self.assertEqual(national.crm_customer_id, self.other_customer)
        # the e-mail address wins over the phone number
        both = self._create_lead(
            "Richiesta doppia", lead_type="lead", email_from=self.contact.email, phone="+39 06 9876 5432"
        )
        self.assertEqual(both.crm_customer_id, self.customer)

    def test_no_customer_when_nothing_matches(self):
        lead = self._create_lead(
            "Richiesta anonima",
            lead_type="lead",
            email_from="sconosciuto@example.com",
            phone="+39 011 555 0000",
        )
        self.assertFalse(lead.crm_customer_id)
        self.assertFalse(self._create_lead("Senza recapiti", lead_type="lead").crm_customer_id)

    def test_matched_again_when_a_contact_with_the_email_is_created(self):
        lead = self._create_lead(
            "Richiesta nuova", lead_type="lead", email_from="nuovo.tecnico@verdi.example"
        )
        self.assertFalse(lead.crm_customer_id)
        self.env["res.partner"].create(
            {
                "name": "Nuovo Tecnico",
                "parent_id": self.other_customer.id,
                "email": "Nuovo.Tecnico@Verdi.example",
            }
        )
        self.assertEqual(lead.crm_customer_id, self.other_customer)

    def test_matched_again_when_the_email_of_a_contact_changes(self):
        old_address = self._create_lead("Vecchio indirizzo", lead_type="lead", email_from=self.contact.email)
        new_address = self._create_lead(
            "Nuovo indirizzo", lead_type="lead", email_from="m.rossi@rossi.example"
        )
        self.assertEqual(old_address.crm_customer_id, self.customer)
        self.assertFalse(new_address.crm_customer_id)
        self.contact.email = "M.Rossi@rossi.example"
        self.assertEqual(new_address.crm_customer_id, self.customer)
        self.assertFalse(old_address.crm_customer_id, "nobody has the old address anymore")

    def test_matched_again_when_the_contact_moves_to_another_company(self):
        by_email = self._create_lead("Richiesta via e-mail", lead_type="lead", email_from=self.contact.email)
        by_phone = self._create_lead("Richiesta telefonica", lead_type="lead", phone="+39 02 1234 5678")
        by_partner = self._create_lead("Richiesta del contatto", partner_id=self.contact.id)
        self.assertEqual((by_email | by_phone | by_partner).crm_customer_id, self.customer)
        self.contact.parent_id = self.other_customer
        for lead in (by_email, by_phone, by_partner):
            self.assertEqual(lead.crm_customer_id, self.other_customer, lead.name)

    def test_an_archived_contact_no_longer_matches(self):
        lead = self._create_lead("Richiesta via e-mail", lead_type="lead", email_from=self.contact.email)
        self.assertEqual(lead.crm_customer_id, self.customer)
        self.contact.action_archive()
        self.assertFalse(lead.crm_customer_id)
        self.contact.action_unarchive()
        self.assertEqual(lead.crm_customer_id, self.customer)

    def test_a_deleted_contact_no_longer_matches(self):
        lead = self._create_lead(
            "Richiesta via e-mail", lead_type="lead", email_from="anna.bianchi@verdi.example"
        )
        contact = self.env["res.partner"].create(
            {
                "name": "Anna Bianchi",
                "parent_id": self.other_customer.id,
                "email": "anna.bianchi@verdi.example",
            }
        )
        self.assertEqual(lead.crm_customer_id, self.other_customer)
        contact.unlink()
        self.assertFalse(lead.crm_customer_id)

    def test_employees_never_match(self):
        employee = new_test_user(
            self.env, login="crm_employee", name="Gino Interno", email="gino.interno@example.com"
        )
        employee.partner_id.phone = "+39 02 7777 8888"
        self.assertFalse(employee.partner_id.partner_share)
        lead = self._create_lead(
            "Richiesta interna",
            lead_type="lead",
            email_from="gino.interno@example.com",
            phone="+39 02 7777 8888",
        )
        self.assertFalse(lead.crm_customer_id)
        by_salesman = self._create_lead("Richiesta della venditrice", email_from=self.salesman.email)
        self.assertFalse(by_salesman.crm_customer_id)


@tagged("post_install", "-at_install")
class TestCrmPipelineCard(IdOverflowMixin, CrmRelationshipCrmCase):
    """Termoidraulica Rossi's pipeline:

    - two open leads: one of Marco (partner), one matched by his e-mail address;
    - three open opportunities: boiler room 10,000 at 20% and valves 1,000 at 10%
      (matched by e-mail) in *Primo contatto*, heat pumps 4,000 at 50% in
      *Trattativa*; the boiler room is past its expected closing;
    - won 20 days ago: offices 6,000; won 400 days ago: warehouse 9,000;
    - lost in the last 12 months: two for the price, one for a competitor;
      lost 13 months ago: one more for a competitor;
    - an opportunity archived without being lost (7,777 at 30%);
    - a call planned on the heat pumps in 2 days, a visit on the boiler room in
      5 days and a call back on the lead matched by e-mail tomorrow.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_with_partner = cls._create_lead(
            "Richiesta di Marco", lead_type="lead", partner_id=cls.contact.id
        )
        cls.lead_by_email = cls._create_lead(
            "Richiesta dal sito", lead_type="lead", email_from="marco.rossi@rossi-impianti.example"
        )
        cls.opp_boiler = cls._create_lead(
            "Caldaia sala termica",
            partner_id=cls.contact.id,
            expected_revenue=10000.0,
            probability=20.0,
            date_deadline=cls.today - timedelta(days=1),
        )
        cls.opp_valves = cls._create_lead(
            "Valvole di zona",
            email_from="marco.rossi@rossi-impianti.example",
            expected_revenue=1000.0,
            probability=10.0,
        )
        cls.opp_pumps = cls._create_lead(
            "Pompe di calore",
            partner_id=cls.other_contact.id,
            stage_id=cls.stage_negotiation.id,
            expected_revenue=4000.0,
            probability=50.0,
            date_deadline=cls.today + timedelta(days=30),
        )
        cls.opp_won = cls._win(
            cls._create_lead("Impianto uffici", partner_id=cls.customer.id, expected_revenue=6000.0), 20
        )
        cls.opp_won_old = cls._win(
            cls._create_lead("Impianto magazzino", partner_id=cls.customer.id, expected_revenue=9000.0), 400
        )
        cls.opp_lost = cls._create_lead(
            "Caldaia a condensazione",
            partner_id=cls.customer.id,
            expected_revenue=3000.0,
            date_deadline=cls.today - timedelta(days=10),
        )
        cls._lose(cls.opp_lost, cls.reason_price, 30)
        cls._lose(cls._create_lead("Boiler", partner_id=cls.customer.id), cls.reason_price, 60)
        cls._lose(cls._create_lead("Solare termico", partner_id=cls.customer.id), cls.reason_competitor, 90)
        cls.opp_lost_old = cls._lose(
            cls._create_lead("Climatizzatori", partner_id=cls.customer.id), cls.reason_competitor
        )
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET date_closed = %s WHERE id = %s",
                fields.Datetime.now() - relativedelta(months=13),
                cls.opp_lost_old.id,
            )
        )
        cls.opp_lost_old.invalidate_recordset(["date_closed"])
        cls.opp_archived = cls._create_lead(
            "Archiviata", partner_id=cls.customer.id, expected_revenue=7777.0, probability=30.0
        )
        cls.opp_archived.action_archive()
        cls.activity_pumps = cls.opp_pumps.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=cls.today + timedelta(days=2),
            summary="Inviare l'offerta",
            user_id=cls.salesman.id,
        )
        cls.opp_boiler.activity_schedule(
            "mail.mail_activity_data_meeting",
            date_deadline=cls.today + timedelta(days=5),
            summary="Sopralluogo",
            user_id=cls.salesman.id,
        )
        cls.activity_lead = cls.lead_by_email.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=cls.today + timedelta(days=1),
            summary="Richiamare",
            user_id=cls.salesman.id,
        )

    def test_fixture(self):
        self.assertEqual(self.lead_by_email.crm_customer_id, self.customer)
        self.assertEqual(self.opp_valves.crm_customer_id, self.customer)
        self.assertEqual(self.opp_won.won_status, "won")
        self.assertEqual(self.opp_lost_old.won_status, "lost")
        self.assertEqual(self.opp_archived.won_status, "pending")
        self.assertFalse(self.opp_archived.active)
        self.assertEqual(self.opp_boiler.probability, 20.0)
        self.assertEqual(self.opp_pumps.prorated_revenue, 2000.0)

    def _expected_next_activity(self, env):
        return (
            f"{format_date(env, self.today + timedelta(days=2))} · Call · Sara Venditrice: "
            "Inviare l'offerta (Pompe di calore)"
        )

    def test_card_figures(self):
        for partner in (self.customer, self.contact):
            card = self._as(self.rel_user, partner)
            with self.subTest(partner=partner.name):
                self.assertEqual(card.crm_lead_count, 2)
                self.assertEqual(card.crm_opportunity_count, 3)
                self.assertEqual(card.crm_opportunity_amount, 15000.0)
                self.assertEqual(card.crm_opportunity_weighted_amount, 2000.0 + 100.0 + 2000.0)
                self.assertEqual(card.crm_opportunity_stages, "Primo contatto 2 · Trattativa 1")
                self.assertEqual(card.crm_opportunity_won_count, 1)
                self.assertEqual(card.crm_opportunity_won_amount, 6000.0)
                self.assertEqual(card.crm_opportunity_lost_count, 3)
                self.assertEqual(
                    card.crm_opportunity_lost_reasons, "Prezzo troppo alto 2 · Scelto un concorrente 1"
                )
                self.assertEqual(card.crm_opportunity_next_activity, self._expected_next_activity(card.env))
        other = self._as(self.rel_user, self.other_customer)
        self.assertEqual(other.crm_opportunity_count, 0)
        self.assertFalse(other.crm_opportunity_stages)
        self.assertFalse(other.crm_opportunity_next_activity)

    def test_figures_follow_the_pipeline(self):
        # the heat pumps are won: the next activity is the visit of the boiler room
        self.opp_pumps.action_set_won()
        card = self._as(self.rel_user, self.customer)
        self.assertEqual(card.crm_opportunity_count, 2)
        self.assertEqual(card.crm_opportunity_stages, "Primo contatto 2")
        self.assertEqual(card.crm_opportunity_won_count, 2)
        self.assertEqual(card.crm_opportunity_won_amount, 10000.0)
        self.assertIn("Sopralluogo (Caldaia sala termica)", card.crm_opportunity_next_activity)
        # the boiler room is lost without a reason
        self._lose(self.opp_boiler)
        card.invalidate_recordset()
        self.assertEqual(
            card.crm_opportunity_lost_reasons,
            "Prezzo troppo alto 2 · No reason given 1 · Scelto un concorrente 1",
        )
        self.assertFalse(card.crm_opportunity_next_activity, "a lost opportunity has no activity left")

    def test_relationship_user_without_sales_reads_the_figures_on_the_card(self):
        self.assertFalse(self.rel_user.has_group("sales_team.group_sale_salesman"))
        env = self._web_env(self.rel_user)
        spec = self._view_spec(env, CARD_VIEW)
        pipeline = [fname for fname in spec if fname.startswith(("crm_lead_", "crm_opportunity_"))]
        self.assertEqual(
            sorted(pipeline),
            sorted(self.env["crm.lead"]._crm_card_figures["pipeline"]),
            "the card shows every pipeline figure",
        )
        values = self.customer.with_env(env).web_read(spec)[0]
        self.assertEqual(values["crm_lead_count"], 2)
        self.assertEqual(values["crm_opportunity_count"], 3)
        self.assertEqual(values["crm_opportunity_amount"], 15000.0)
        self.assertEqual(values["crm_opportunity_weighted_amount"], 4100.0)
        self.assertEqual(values["crm_opportunity_stages"], "Primo contatto 2 · Trattativa 1")
        self.assertEqual(values["crm_opportunity_won_count"], 1)
        self.assertEqual(values["crm_opportunity_won_amount"], 6000.0)
        self.assertEqual(values["crm_opportunity_lost_count"], 3)
        self.assertEqual(
            values["crm_opportunity_lost_reasons"], "Prezzo troppo alto 2 · Scelto un concorrente 1"
        )
        self.assertEqual(values["crm_opportunity_next_activity"], self._expected_next_activity(env))

    def test_timeline_rows(self):
        rows = self._timeline(self.rel_user, self.customer)
        by_lead = {row.res_id: row for row in rows}
        lost_ids = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("crm_customer_id", "=", self.customer.id), ("won_status", "=", "lost")])
        )
        self.assertEqual(len(lost_ids), 4)
        expected = (
            self.lead_with_partner
            | self.lead_by_email
            | self.opp_boiler
            | self.opp_valves
            | self.opp_pumps
            | self.opp_won
            | self.opp_won_old
            | lost_ids
        )
        self.assertEqual(set(by_lead), set(expected.ids))
        self.assertNotIn(self.opp_archived.id, by_lead, "archived without being lost: not on the timeline")
        self.assertEqual(set(rows.mapped("department")), {"sales"})

        lead = by_lead[self.lead_by_email.id]
        self.assertEqual(lead.entry_type, "lead")
        self.assertEqual(lead.partner_id, self.customer, "no partner: the row names the customer")
        self.assertEqual(lead.state_label, "Pending")

        boiler = by_lead[self.opp_boiler.id]
        self.assertEqual(boiler.entry_type, "opportunity")
        self.assertEqual(boiler.name, "Caldaia sala termica")
        self.assertEqual(boiler.partner_id, self.contact)
        self.assertEqual(boiler.user_id, self.salesman)
        self.assertEqual(boiler.amount, 10000.0)
        self.assertEqual(boiler.currency_id, self.company.currency_id)
        self.assertEqual(boiler.state_label, "Pending")
        self.assertEqual(boiler.summary, "Primo contatto · 20%")
        self.assertTrue(boiler.is_alert, "open and past its expected closing")

        pumps = by_lead[self.opp_pumps.id]
        self.assertEqual(pumps.summary, "Trattativa · 50%")
        self.assertFalse(pumps.is_alert)

        won = by_lead[self.opp_won.id]
        self.assertEqual(won.state_label, "Won")
        self.assertEqual(won.amount, 6000.0)
        self.assertEqual(won.summary, self.opp_won.stage_id.name)
        self.assertFalse(won.is_alert)

        lost = by_lead[self.opp_lost.id]
        self.assertEqual(lost.state_label, "Lost")
        self.assertEqual(lost.summary, "Primo contatto · Prezzo troppo alto")
        self.assertEqual(lost.amount, 3000.0)
        self.assertFalse(lost.is_alert, "a lost opportunity past its closing date needs nothing")
        self.assertEqual(lost.date.date(), (fields.Datetime.now() - timedelta(days=30)).date())

        self.assertEqual(
            self._timeline(self.rel_user, self.other_customer), self.env["crm.relationship.timeline"]
        )

    def test_timeline_filters_by_entry_type(self):
        Timeline = self._as(self.rel_user, self.env["crm.relationship.timeline"])
        types = dict(Timeline._fields["entry_type"]._description_selection(Timeline.env))
        self.assertEqual(types["lead"], "Lead")
        self.assertEqual(types["opportunity"], "Opportunity")
        self.env.flush_all()
        leads = Timeline.search(
            [("commercial_partner_id", "=", self.customer.id), ("entry_type", "=", "lead")]
        )
        self.assertEqual(set(leads.mapped("res_id")), {self.lead_with_partner.id, self.lead_by_email.id})

    def test_amounts_of_another_company_are_converted(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        company_b = self.env["res.company"].create({"name": "Filiale Europa S.r.l.", "currency_id": eur.id})
        self.assertNotEqual(self.company.currency_id, eur)
        self.env["res.currency.rate"].search(
            [("currency_id", "in", (eur | self.company.currency_id).ids)]
        ).unlink()
        # 1 unit of the main company's currency = 0.5 EUR: 1 EUR is 2 units
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "rate": 0.5, "name": self.today - timedelta(days=1), "company_id": False}
        )
        self._link_users_to(company_b, self.rel_user | self.salesman)
        opp_b = self._create_lead(
            "Impianto filiale",
            partner_id=self.contact.id,
            company_id=company_b.id,
            expected_revenue=1000.0,
            probability=50.0,
        )
        self._win(
            self._create_lead(
                "Ordine filiale", partner_id=self.contact.id, company_id=company_b.id, expected_revenue=300.0
            )
        )
        self.assertEqual(opp_b.company_currency, eur)
        both = dict(self.web_context, allowed_company_ids=[self.company.id, company_b.id])
        card = self.customer.with_user(self.rel_user).with_context(**both)
        self.assertEqual(card.crm_opportunity_count, 4)
        self.assertEqual(card.crm_opportunity_amount, 15000.0 + 2000.0)
        self.assertEqual(card.crm_opportunity_weighted_amount, 4100.0 + 1000.0)
        self.assertEqual(card.crm_opportunity_won_amount, 6000.0 + 600.0)
        timeline_row = self._timeline(
            self.rel_user, self.customer, allowed_company_ids=both["allowed_company_ids"]
        )
        row = timeline_row.filtered(lambda r: r.res_id == opp_b.id)
        self.assertEqual(
            (row.amount, row.currency_id), (1000.0, eur), "the row keeps the document's currency"
        )


@tagged("post_install", "-at_install")
class TestCrmNextAction(CrmRelationshipCrmCase):
    """Activities planned on leads and opportunities are the customer's next planned action."""

    def _card(self, partner):
        card = self._as(self.rel_user, partner)
        card.invalidate_recordset()
        return card

    def _planned(self, partners=None):
        partners = partners or (self.customer | self.contact | self.other_contact | self.other_customer)
        Partner = self._as(self.rel_user, self.env["res.partner"])
        return Partner.search([("id", "in", partners.ids), ("crm_has_next_action", "=", True)])

    def test_activity_on_an_opportunity_is_the_next_action(self):
        opportunity = self._create_lead("Caldaia sala termica", partner_id=self.contact.id)
        other = self._create_lead("Pompe di calore", partner_id=self.customer.id)
        self.assertFalse(self._planned())

        offer = self._schedule(opportunity, "Inviare l'offerta", days=2)
        card = self._card(self.customer)
        self.assertEqual(card.crm_next_activity_id, offer)
        self.assertEqual(card.crm_next_action_summary, "Inviare l'offerta (Caldaia sala termica)")
        self.assertEqual(card.crm_next_action_user_id, self.salesman)
        self.assertEqual(card.crm_next_action_date, self.today + timedelta(days=2))
        self.assertEqual(self._planned(), self.customer | self.contact | self.other_contact)

        visit = self._schedule(other, "Sopralluogo", days=6, xmlid="mail.mail_activity_data_meeting")
        self.assertEqual(self._card(self.customer).crm_next_activity_id, offer)

        # done: the visit of the other opportunity is next, then nothing
        offer.action_feedback(feedback="Offerta inviata")
        card = self._card(self.customer)
        self.assertEqual(card.crm_next_activity_id, visit)
        self.assertEqual(card.crm_next_action_summary, "Sopralluogo (Pompe di calore)")
        visit.action_feedback(feedback="Fatto")
        self.assertFalse(self._card(self.customer).crm_next_activity_id)
        self.assertFalse(self._planned())
        self.assertIn("No next action", self._card(self.customer).crm_alert_message)

    def test_activity_on_a_lead_matched_by_email_counts(self):
        lead = self._create_lead(
            "Richiesta dal sito", lead_type="lead", email_from="MARCO.ROSSI@rossi-impianti.example"
        )
        self.assertEqual(lead.crm_customer_id, self.customer)
        call_back = self._schedule(lead, "Richiamare", days=1)
        card = self._card(self.customer)
        self.assertEqual(card.crm_next_activity_id, call_back)
        self.assertEqual(card.crm_next_action_summary, "Richiamare (Richiesta dal sito)")
        self.assertEqual(self._planned(), self.customer | self.contact | self.other_contact)

    def test_activity_follows_the_lead_to_the_customer_matched_later(self):
        lead = self._create_lead(
            "Richiesta nuova", lead_type="lead", email_from="nuovo.tecnico@verdi.example"
        )
        call_back = self._schedule(lead, "Richiamare", days=1)
        self.assertFalse(self._card(self.other_customer).crm_next_activity_id)
        self.env["res.partner"].create(
            {
                "name": "Nuovo Tecnico",
                "parent_id": self.other_customer.id,
                "email": "nuovo.tecnico@verdi.example",
            }
        )
        self.assertEqual(self._card(self.other_customer).crm_next_activity_id, call_back)
        # the contact moves to Termoidraulica Rossi: so does the lead and its call back
        self.env["res.partner"].search(
            [("email", "=", "nuovo.tecnico@verdi.example")]
        ).parent_id = self.customer
        self.assertEqual(lead.crm_customer_id, self.customer)
        self.assertEqual(self._card(self.customer).crm_next_activity_id, call_back)
        self.assertFalse(self._card(self.other_customer).crm_next_activity_id)

    def test_activity_follows_the_lead_given_a_partner(self):
        lead = self._create_lead("Richiesta anonima", lead_type="lead", email_from="sconosciuto@example.com")
        call_back = self._schedule(lead, "Richiamare", days=1)
        self.assertFalse(self._card(self.customer).crm_next_activity_id)
        lead.partner_id = self.contact
        self.assertEqual(self._card(self.customer).crm_next_activity_id, call_back)
        lead.partner_id = self.other_customer_contact
        self.assertFalse(self._card(self.customer).crm_next_activity_id)
        self.assertEqual(self._card(self.other_customer).crm_next_activity_id, call_back)

    def test_activity_follows_the_lead_when_its_address_changes(self):
        lead = self._create_lead("Richiesta dal sito", lead_type="lead", email_from=self.contact.email)
        call_back = self._schedule(lead, "Richiamare", days=1)
        self.assertEqual(self._card(self.customer).crm_next_activity_id, call_back)
        lead.write({"email_from": False, "phone": "+39 06 9876 5432"})
        self.assertEqual(lead.crm_customer_id, self.other_customer)
        self.assertFalse(self._card(self.customer).crm_next_activity_id)
        self.assertEqual(self._card(self.other_customer).crm_next_activity_id, call_back)
