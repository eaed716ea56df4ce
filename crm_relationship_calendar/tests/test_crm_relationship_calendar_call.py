from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TZ, CrmRelationshipCalendarCase

VISIT_LOCATION = "Via Roma 1, Milano 20121, Italy"


@tagged("post_install", "-at_install")
class TestCalendarCall(CrmRelationshipCalendarCase):
    """A visit or appointment call planned in the calendar, closed with the
    outcome of its event, and the time of appointments in the cost to serve."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.information = cls.env.ref("crm_relationship.crm_relationship_call_outcome_information")
        cls.offer_requested = cls.env.ref("crm_relationship.crm_relationship_call_outcome_offer_requested")

    def _call(self, channel, **values):
        """A call of ``channel`` with the contact, logged by the operator, in the operator's web client."""
        call = self._create_call(
            self.customer,
            user=self.rel_user,
            **dict(
                {
                    "contact_id": self.contact.id,
                    "channel_id": channel.id,
                    "subject": "Sopralluogo caldaia",
                    "duration": 45.0,
                },
                **values,
            ),
        )
        return call.with_env(self._web_env(self.rel_user))

    def _events_of(self, call):
        return self.env["calendar.event"].search([("crm_call_id", "=", call.id)])

    def _local(self, value):
        return pytz.utc.localize(value).astimezone(pytz.timezone(TZ))

    def _close_from_event(self, event, **values):
        """Record the outcome of ``event`` as the operator does: the button, then the wizard."""
        event = event.with_env(self._web_env(self.rel_user))
        action = event.action_crm_record_outcome()
        with Form(
            self._web_env(self.rel_user)[action["res_model"]].with_context(**action["context"])
        ) as form:
            for name, value in values.items():
                setattr(form, name, value)
        form.record.action_confirm()
        return form.record

    def _move(self, event, start, minutes):
        """The operator moves (and lengthens) the event in the calendar view, which saves its start,
        its end and its duration (in hours)."""
        event.with_env(self._web_env(self.rel_user)).write(
            {"start": start, "stop": start + timedelta(minutes=minutes), "duration": minutes / 60.0}
        )

    # ------------------------------------------------------------------
    # Planning the call in the calendar
    # ------------------------------------------------------------------

    def test_plan_a_visit(self):
        call = self._call(self.visit, notes="<p>Portare il manuale</p>")
        self.assertFalse(
            self.contact.with_user(self.rel_user).has_access("write"), "operator edits no partner"
        )
        action = call.action_crm_plan_appointment()
        event = self._events_of(call)
        self.assertEqual(len(event), 1)
        self.assertEqual(
            action,
            {
                "type": "ir.actions.act_window",
                "res_model": "calendar.event",
                "res_id": event.id,
                "views": [(False, "form")],
                "target": "current",
                "context": {},
            },
        )
        today = fields.Date.context_today(call)
        local_start = self._local(event.start)
        self.assertEqual(
            (local_start.date(), local_start.hour, local_start.minute), (today + timedelta(days=1), 9, 0)
        )
        self.assertEqual(
            (
                event.name,
                event.stop - event.start,
                event.user_id,
                event.partner_ids,
                event.location,
                event.crm_contact_kind,
                event.crm_call_id,
                event.crm_partner_id,
                event.crm_customer_id,
                event.crm_company_id,
                call.crm_event_id,
            ),
            (
                "Sopralluogo caldaia",
                timedelta(minutes=45),
                self.rel_user,
                self.rel_user.partner_id | self.contact,
                VISIT_LOCATION,
                "visit",
                call,
                self.contact,
                self.customer,
                self.company_a,
                event,
            ),
        )
        self.assertIn("Portare il manuale", event.description)
        activity = event.sudo().activity_ids
        self.assertEqual(
            (
                activity.res_model,
                activity.res_id,
                activity.activity_type_id,
                activity.user_id,
                activity.summary,
                activity.date_deadline,
            ),
            (
                "res.partner",
                self.contact.id,
                self.meeting_type,
                self.rel_user,
                "Sopralluogo caldaia",
                today + timedelta(days=1),
            ),
        )
        customer = self.customer.with_env(call.env)
        self.assertEqual(
            (customer.crm_next_activity_id, customer.crm_next_action_summary),
            (activity, "Sopralluogo caldaia (Idraulica Bianchi S.r.l., Marco Bianchi)"),
        )
        message = call.message_ids[0]
        self.assertEqual(
            (message.author_id, message.body),
            (
                self.rel_user.partner_id,
                f"<p>Planned in the calendar: {event.with_env(call.env)._crm_get_appointment_summary()}</p>",
            ),
        )
        self.assertIn(f"· {VISIT_LOCATION} · Marco Bianchi, Paola Operatrice", message.body)

        # Again: the same event opens, nothing new is planned
        messages = call.message_ids
        self.assertEqual(call.action_crm_plan_appointment()["res_id"], event.id)
        self.assertEqual(self._events_of(call), event)
        self.assertEqual(call.message_ids, messages)
        self.assertEqual(event.sudo().activity_ids, activity)

    def test_plan_at_the_start_of_a_future_call(self):
        start = self._hours(24 * 3 + 5)
        call = self._call(self.visit, date_start=start, duration=0.0)
        call.action_crm_plan_appointment()
        event = self._events_of(call)
        self.assertEqual((event.start, event.stop), (start, start + timedelta(hours=1)))

    def test_phone_call_is_not_planned(self):
        call = self._call(self.phone)
        with self._assert_raises_message(
            UserError, r"^Calls of the channel 'Phone' are not planned in the calendar\.$"
        ):
            call.action_crm_plan_appointment()
        self.assertFalse(self._events_of(call))

    def test_closed_call_is_not_planned(self):
        call = self._call(self.visit)
        call.write({"state": "done", "no_followup_reason": "Risolto al telefono"})
        with self._assert_raises_message(UserError, r"^This call is already closed\.$"):
            call.action_crm_plan_appointment()
        self.assertFalse(self._events_of(call))

    def test_plan_an_appointment(self):
        call = self._call(self.appointment, subject="Presentazione offerta", duration=30.0)
        call.action_crm_plan_appointment()
        event = self._events_of(call)
        self.assertEqual(
            (event.name, event.crm_contact_kind, event.location, event.stop - event.start, event.partner_ids),
            (
                "Presentazione offerta",
                "appointment",
                False,
                timedelta(minutes=30),
                self.rel_user.partner_id | self.contact,
            ),
        )
        self.assertEqual(event.sudo().activity_ids.activity_type_id, self.meeting_type)

    def test_plan_with_the_customer_without_contact(self):
        call = self._call(self.visit, contact_id=False)
        call.action_crm_plan_appointment()
        event = self._events_of(call)
        self.assertEqual(
            (event.partner_ids, event.crm_partner_id, event.location),
            (self.rel_user.partner_id | self.customer, self.customer, VISIT_LOCATION),
        )

    # ------------------------------------------------------------------
    # The outcome of the event closes the call
    # ------------------------------------------------------------------

    def test_record_outcome_without_follow_up(self):
        call = self._call(self.visit)
        call.action_crm_plan_appointment()
        event = call.crm_event_id
        meeting = event.sudo().activity_ids
        # the visit took place yesterday afternoon and lasted longer
        held = self._hours(-24 - 3)
        self._move(event, held, 80)
        action = event.with_env(call.env).action_crm_record_outcome()
        self.assertEqual(
            (action["res_model"], action["target"], action["context"]),
            (
                "crm.relationship.call.close",
                "new",
                {"default_call_id": call.id, "default_event_id": event.id},
            ),
        )
        wizard = self._close_from_event(
            event, outcome_id=self.information, follow_up="none", no_followup_reason="Caldaia a norma"
        )
        self.assertEqual(wizard.event_id, event)
        self.assertEqual(
            (
                call.state,
                call.outcome_id,
                call.date_start,
                call.duration,
                call.date_end,
                call.no_followup_reason,
                call.next_action_activity_id,
            ),
            (
                "done",
                self.information,
                held,
                80.0,
                held + timedelta(minutes=80),
                "Caldaia a norma",
                self.env["mail.activity"],
            ),
        )
        self.assertEqual(event.crm_call_outcome_id, self.information)
        self.assertEqual(
            (meeting.active, meeting.feedback), (False, "Information Given"), "the meeting is done"
        )
        customer = self.customer.with_env(call.env)
        self.assertEqual((customer.crm_has_next_action, customer.crm_next_action_overdue), (False, False))

    def test_record_outcome_and_plan_the_next_action(self):
        call = self._call(self.visit)
        call.action_crm_plan_appointment()
        event = call.crm_event_id
        held = self._hours(-5)
        self._move(event, held, 45)
        deadline = fields.Date.context_today(call) + timedelta(days=7)
        self._close_from_event(
            event,
            outcome_id=self.offer_requested,
            follow_up="activity",
            activity_type_id=self.env.ref("mail.mail_activity_data_call"),
            date_deadline=deadline,
            summary="Inviare l'offerta",
        )
        activity = call.next_action_activity_id
        self.assertEqual(
            (call.state, call.outcome_id, call.date_start, call.duration),
            ("done", self.offer_requested, held, 45.0),
        )
        self.assertEqual(
            (
                activity.res_model,
                activity.res_id,
                activity.activity_type_id,
                activity.date_deadline,
                activity.user_id,
                activity.summary,
            ),
            (
                "res.partner",
                self.customer.id,
                self.env.ref("mail.mail_activity_data_call"),
                deadline,
                self.rel_user,
                "Inviare l'offerta",
            ),
        )
        customer = self.customer.with_env(call.env)
        self.assertEqual(
            (
                customer.crm_next_activity_id,
                customer.crm_next_action_summary,
                customer.crm_next_action_overdue,
            ),
            (activity, "Inviare l'offerta (Idraulica Bianchi S.r.l.)", False),
        )

    def test_closing_before_the_appointment_keeps_the_meeting(self):
        call = self._call(self.visit)
        call.action_crm_plan_appointment()
        event = call.crm_event_id
        meeting = event.sudo().activity_ids
        self._close_from_event(event, follow_up="none", no_followup_reason="Appuntamento fissato")
        self.assertEqual((call.state, call.date_start, call.duration), ("done", event.start, 45.0))
        self.assertTrue(meeting.active, "the visit is still to come")
        self.assertEqual(self.customer.with_env(call.env).crm_next_activity_id, meeting)

    def test_outcome_of_an_event_without_call(self):
        event = self._create_event("Visita senza chiamata", self._hours(-2))
        with self._assert_raises_message(UserError, r"^This event was not planned from a call\.$"):
            event.with_env(self._web_env(self.rel_user)).action_crm_record_outcome()

    # ------------------------------------------------------------------
    # Profitability: the time of appointments is part of the cost to serve
    # ------------------------------------------------------------------

    def _profitability(self, customer):
        env = self._web_env(self.rel_manager)
        return env["crm.relationship.profitability.report"].search(
            [("partner_id", "=", customer.id), ("source", "in", ("call", "appointment"))], order="id"
        )

    def test_appointment_time_in_the_cost_to_serve(self):
        self.company_a.crm_call_hourly_cost = 60.0
        held_start = max(self._hours(-3), datetime(self.now.year, 1, 1))
        held = self._create_event("Sopralluogo", held_start, minutes=90, crm_contact_kind="visit")
        self._create_event("Collaudo", self._hours(24 * 2), minutes=120)
        self._create_event("Pranzo", held_start, minutes=60, privacy="private")
        call = self._call(
            self.appointment, subject="Presentazione offerta", date_start=held_start, duration=30.0
        )
        call.action_crm_plan_appointment()
        # the appointment of the call took place and lasted 40 minutes
        self._move(call.crm_event_id, held_start, 40)
        self._close_from_event(call.crm_event_id, follow_up="none", no_followup_reason="Offerta consegnata")
        rows = self._profitability(self.customer)
        self.assertEqual(
            sorted(
                (
                    row.source,
                    row.name,
                    row.date,
                    row.company_id,
                    row.call_count,
                    row.call_minutes,
                    row.call_cost,
                )
                for row in rows
            ),
            [
                ("appointment", "Sopralluogo", held_start.date(), self.company_a, 0, 90.0, 90.0),
                ("call", "Presentazione offerta", held_start.date(), self.company_a, 1, 40.0, 40.0),
            ],
        )
        appointment = rows.filtered(lambda row: row.source == "appointment")
        self.assertEqual(
            (appointment.cost_to_serve, appointment.net_margin, appointment.currency_id),
            (90.0, -90.0, self.company_a.currency_id),
        )
        self.assertEqual(held.crm_company_id, self.company_a)
        customer = self.customer.with_env(self._web_env(self.rel_manager))
        self.assertEqual(customer.crm_cost_to_serve_this_year, 130.0)

    def test_appointment_of_another_company_costs_there(self):
        self.company_b.crm_call_hourly_cost = 30.0
        held_start = max(self._hours(-3), datetime(self.now.year, 1, 1))
        self._create_event("Visita Beta", held_start, minutes=60, user=self.user_b)
        self.assertFalse(self._profitability(self.customer))
        self.rel_manager.company_ids |= self.company_b
        Report = self._web_env(self.rel_manager, self.company_a, self.company_b)[
            "crm.relationship.profitability.report"
        ]
        (row,) = Report.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (row.source, row.company_id, row.call_minutes, row.cost_to_serve),
            ("appointment", self.company_b, 60.0, 30.0),
        )
