from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCrmRelationshipCalendarDemo(TransactionCase):
    """The demo: Hotel Belvedere Lario, a prospect on Lake Como, called for an offer, was visited by the
    salesperson, and has its next appointment planned."""

    def _card(self):
        """The hotel's card as the demo operator sees it, in the company of the demo."""
        admin = self.env.ref("base.user_admin")
        hotel = self.env.ref("crm_relationship_calendar.res_partner_belvedere_demo")
        return hotel.with_user(admin).with_context(allowed_company_ids=admin.company_id.ids)

    def test_demo_visit_planned_from_the_call_closed_it_with_its_outcome(self):
        hotel = self.env.ref("crm_relationship_calendar.res_partner_belvedere_demo")
        laura = self.env.ref("crm_relationship_calendar.res_partner_belvedere_laura_demo")
        offer_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_offer_demo")
        self.assertEqual(
            (offer_call.channel_id, offer_call.direction, offer_call.contact_id, offer_call.partner_id),
            (self.env.ref("crm_relationship.crm_relationship_call_channel_phone"), "inbound", laura, hotel),
        )
        self.assertEqual(offer_call.state, "done")

        visit_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_visit_demo")
        visit = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_visit_demo")
        self.assertEqual(
            visit_call.channel_id, self.env.ref("crm_relationship.crm_relationship_call_channel_visit")
        )
        self.assertEqual(visit_call.crm_event_kind, "visit")
        self.assertEqual(visit_call.crm_event_id, visit)
        self.assertEqual(
            (visit.crm_contact_kind, visit.crm_partner_id, visit.crm_customer_id, visit.crm_state),
            ("visit", laura, hotel, "held"),
        )
        self.assertIn(laura, visit.partner_ids)
        self.assertLess(visit.stop, fields.Datetime.now())
        # The outcome was recorded from the event: its date and length are the visit's.
        self.assertEqual(visit_call.state, "done")
        self.assertEqual(
            visit_call.outcome_id,
            self.env.ref("crm_relationship.crm_relationship_call_outcome_offer_requested"),
        )
        self.assertEqual((visit_call.date_start, visit_call.duration), (visit.start, 90.0))
        next_action = visit_call.next_action_activity_id.with_context(active_test=False)
        self.assertEqual(next_action.res_model, "res.partner")
        self.assertEqual(next_action.res_id, hotel.id)
        self.assertTrue(next_action.summary.startswith("Inviare l'offerta"))
        self.assertFalse(next_action.active, "the offer was sent: the next action is done")
        self.assertIn("Offerta inviata", next_action.feedback)

    def test_demo_card_shows_the_visit_held_and_the_next_appointment(self):
        card = self._card()
        visit = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_visit_demo")
        appointment = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_appointment_demo")
        self.assertEqual((card.crm_appointment_count, card.crm_appointment_planned_count), (1, 1))
        self.assertEqual(card.crm_last_appointment_date, visit.start)
        self.assertEqual(
            card.crm_next_appointment, appointment.with_env(card.env)._crm_get_next_appointment_text()
        )
        self.assertGreater(appointment.start, fields.Datetime.now())
        self.assertEqual((appointment.crm_contact_kind, appointment.crm_state), ("appointment", "planned"))
        # The upcoming appointment is the customer's next planned action.
        self.assertEqual(card.crm_next_activity_id.calendar_event_id, appointment)
        self.assertEqual(card.crm_next_action_summary.split(" (")[0], appointment.name)
        self.assertFalse(card.crm_next_action_overdue)
        self.assertNotIn("No next action", card.crm_alert_message or "")

    def test_demo_timeline_call_visit_appointment(self):
        """The call, the visit (on the row of the call it closed) and the appointment, oldest first."""
        card = self._card()
        offer_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_offer_demo")
        visit_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_visit_demo")
        appointment = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_appointment_demo")
        rows = card.crm_timeline_ids[::-1].filtered(
            lambda row: row.entry_type in ("call", "visit", "appointment")
        )
        self.assertEqual(
            [(row.entry_type, row.res_model, row.res_id) for row in rows],
            [
                ("call", "crm.relationship.call", offer_call.id),
                ("call", "crm.relationship.call", visit_call.id),
                ("appointment", "calendar.event", appointment.id),
            ],
        )
        self.assertEqual(rows[2].state, "planned")
        self.assertIn("Via Valassina 31, 22021 Bellagio CO", rows[1].summary)
