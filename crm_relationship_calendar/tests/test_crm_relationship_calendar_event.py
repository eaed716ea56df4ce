import ast
from datetime import timedelta

import pytz

from odoo.fields import Command, Domain
from odoo.tests import tagged
from odoo.tools.misc import format_datetime, format_time

from .common import TZ, CrmRelationshipCalendarCase

CARD_SPEC = {
    "crm_appointment_count": {},
    "crm_appointment_planned_count": {},
    "crm_last_appointment_date": {},
    "crm_next_appointment": {},
}
NO_APPOINTMENT = {
    "crm_appointment_count": 0,
    "crm_appointment_planned_count": 0,
    "crm_last_appointment_date": False,
    "crm_next_appointment": False,
}
NO_NEXT_ACTION = [("crm_has_next_action", "=", False)]


@tagged("post_install", "-at_install")
class TestCalendarEvent(CrmRelationshipCalendarCase):
    """An appointment or a visit is a customer document: its customer, the
    card figures, the timeline rows, the next planned action."""

    def _card(self, partner, user=None, *companies):
        """The card figures of ``partner`` as ``user`` (the operator) reads them in the web client."""
        env = self._web_env(user or self.rel_user, *companies)
        env.invalidate_all()
        (values,) = partner.with_env(env).web_read(CARD_SPEC)
        return {name: values[name] for name in CARD_SPEC}

    def _rows(self, customer, *domain, user=None, companies=()):
        """The timeline rows of the events of ``customer`` as ``user`` (the operator) reads them."""
        env = self._web_env(user or self.rel_user, *companies)
        return env["crm.relationship.timeline"].search(
            [("commercial_partner_id", "=", customer.id), ("res_model", "=", "calendar.event"), *domain]
        )

    def _when(self, event):
        """The event's start and end in the operator's time zone, as the web client's user reads them."""
        env = self._web_env(self.rel_user)
        start = format_datetime(env, event.start, tz=TZ, dt_format="short")
        return f"{start} - {format_time(env, event.stop, tz=TZ, time_format='short')}"

    def _local_date(self, value):
        return pytz.utc.localize(value).astimezone(pytz.timezone(TZ)).date()

    def _without_next_action(self, *partners):
        """Those of ``partners`` the operator's filter "No next action" lists."""
        Partner = self._web_env(self.rel_user)["res.partner"]
        return Partner.search([("id", "in", [p.id for p in partners]), *NO_NEXT_ACTION])

    # ------------------------------------------------------------------
    # The customer of an event
    # ------------------------------------------------------------------

    def test_customer_is_the_external_attendee(self):
        employees = self.rel_user.partner_id | self.rel_manager.partner_id
        companies = self.company_a.partner_id | self.company_b.partner_id
        event = self._create_event(
            "Visita impianto", self._hours(48), partners=employees | companies | self.contact
        )
        self.assertEqual(
            (event.crm_partner_id, event.crm_customer_id, event.crm_company_id, event.crm_contact_kind),
            (self.contact, self.customer, self.company_a, "appointment"),
        )
        internal = self._create_event("Riunione interna", self._hours(48), partners=employees | companies)
        self.assertEqual((internal.crm_partner_id, internal.crm_customer_id), (self.env["res.partner"],) * 2)

    def test_first_external_attendee_and_second_customer(self):
        event = self._create_event(
            "Due clienti", self._hours(48), partners=self.other_contact | self.second_contact | self.contact
        )
        # the first external attendee: the oldest partner
        self.assertEqual((event.crm_partner_id, event.crm_customer_id), (self.contact, self.customer))
        other = self._create_event("Verdi", self._hours(48), partners=self.other_contact)
        self.assertEqual(
            (other.crm_partner_id, other.crm_customer_id), (self.other_contact, self.other_customer)
        )
        # the customer follows the attendees
        event.partner_ids = [Command.set((self.rel_user.partner_id | self.other_contact).ids)]
        self.assertEqual(
            (event.crm_partner_id, event.crm_customer_id), (self.other_contact, self.other_customer)
        )
        company = self._create_event("Con l'azienda", self._hours(48), partners=self.customer)
        self.assertEqual((company.crm_partner_id, company.crm_customer_id), (self.customer, self.customer))

    def test_planned_from_partner_is_preferred(self):
        event = self._create_event(
            "Dalla scheda di Anna",
            self._hours(48),
            partners=self.contact | self.second_contact,
            res_model_id=self.env["ir.model"]._get_id("res.partner"),
            res_id=self.second_contact.id,
        )
        self.assertEqual((event.crm_partner_id, event.crm_customer_id), (self.second_contact, self.customer))
        # planned from a partner who does not attend: the first external attendee
        absent = self._create_event(
            "Dalla scheda di Luigi",
            self._hours(48),
            partners=self.contact,
            res_model_id=self.env["ir.model"]._get_id("res.partner"),
            res_id=self.other_contact.id,
        )
        self.assertEqual((absent.crm_partner_id, absent.crm_customer_id), (self.contact, self.customer))

    def test_private_event_is_not_on_card_nor_timeline(self):
        private = self._create_event("Pranzo privato", self._hours(-48), privacy="private")
        planned_private = self._create_event("Cena privata", self._hours(48), privacy="private")
        self.assertEqual(private.crm_customer_id, self.customer, "still with the customer's contact")
        self.assertEqual(self._card(self.customer), NO_APPOINTMENT)
        self.assertFalse(self._rows(self.customer))
        public = self._create_event("Visita", self._hours(-24), privacy="public")
        self.assertEqual(self._card(self.customer)["crm_appointment_count"], 1)
        self.assertEqual(self._rows(self.customer).mapped("res_id"), public.ids)
        self.assertEqual(
            (planned_private.res_model, planned_private.activity_ids), (False, self.env["mail.activity"])
        )
        self.assertEqual(self._without_next_action(self.customer), self.customer)

    def test_event_private_by_the_organizers_default_is_not_on_card_nor_timeline(self):
        """An event without privacy of its own takes its organizer's default, as Odoo's calendar reads it."""
        self.rel_user.res_users_settings_id.sudo().calendar_default_privacy = "private"
        held = self._create_event("Pranzo", self._hours(-48), privacy=False)
        planned = self._create_event("Cena", self._hours(48), privacy=False)
        self.assertEqual((held.effective_privacy, planned.effective_privacy), ("private", "private"))
        self.assertEqual(self._card(self.customer), NO_APPOINTMENT)
        self.assertFalse(self._rows(self.customer))
        self.assertFalse(planned.activity_ids, "a private meeting is no one's next action")
        self.assertEqual(self._without_next_action(self.customer), self.customer)
        # Another organizer's event without privacy of its own is public.
        other = self._create_event("Visita", self._hours(-24), privacy=False, user=self.rel_manager)
        self.assertEqual(self._card(self.customer)["crm_appointment_count"], 1)
        self.assertEqual(self._rows(self.customer).mapped("res_id"), other.ids)

    # ------------------------------------------------------------------
    # Card figures
    # ------------------------------------------------------------------

    def test_card_figures(self):
        self._create_event("Primo incontro", self._hours(-24 * 10))
        last = self._create_event("Sopralluogo", self._hours(-24 * 3), crm_contact_kind="visit")
        next_visit = self._create_event(
            "Collaudo caldaia",
            self._hours(24 * 2),
            user=self.rel_manager,
            partners=self.second_contact,
            crm_contact_kind="visit",
            location="Via Roma 1, Milano",
        )
        self._create_event("Offerta", self._hours(24 * 5), location="Sede")
        self._create_event("Verdi", self._hours(-24), partners=self.other_contact)
        expected = {
            "crm_appointment_count": 2,
            "crm_appointment_planned_count": 2,
            "crm_last_appointment_date": last.start,
            "crm_next_appointment": " · ".join(
                (
                    format_datetime(self._web_env(self.rel_user), next_visit.start, tz=TZ, dt_format="short"),
                    "Visit",
                    "Stefano Responsabile",
                    "Via Roma 1, Milano",
                )
            ),
        }
        self.assertEqual(self._card(self.customer), expected)
        self.assertEqual(self._card(self.contact), expected, "a contact's card shows its customer's figures")
        self.assertEqual(
            self._card(self.other_customer),
            dict(NO_APPOINTMENT, crm_appointment_count=1, crm_last_appointment_date=self._hours(-24)),
        )

    def test_next_appointment_without_location(self):
        event = self._create_event("Telefonata video", self._hours(30))
        self.assertEqual(
            self._card(self.customer)["crm_next_appointment"],
            f"{format_datetime(self._web_env(self.rel_user), event.start, tz=TZ, dt_format='short')}"
            " · Appointment · Paola Operatrice",
        )

    # ------------------------------------------------------------------
    # Timeline
    # ------------------------------------------------------------------

    def test_timeline_rows(self):
        visit = self._create_event(
            "Sopralluogo",
            self._hours(-24 * 3),
            minutes=90,
            partners=self.contact | self.second_contact,
            crm_contact_kind="visit",
            location="Via Roma 1, Milano",
        )
        meeting = self._create_event("Presentazione offerta", self._hours(24 * 4), user=self.rel_manager)
        rows = self._rows(self.customer)
        self.assertEqual(len(rows), 2)
        by_event = {row.res_id: row for row in rows}
        values = [
            "date",
            "entry_type",
            "department",
            "name",
            "partner_id",
            "user_id",
            "company_id",
            "state",
            "state_label",
            "summary",
        ]
        self.assertEqual(
            [by_event[visit.id][name] for name in values],
            [
                visit.start,
                "visit",
                "sales",
                "Sopralluogo",
                self.contact,
                self.rel_user,
                self.company_a,
                "held",
                "Held",
                f"{self._when(visit)} · Via Roma 1, Milano · Anna Bianchi, Marco Bianchi, Paola Operatrice",
            ],
        )
        self.assertEqual(
            [by_event[meeting.id][name] for name in values],
            [
                meeting.start,
                "appointment",
                "sales",
                "Presentazione offerta",
                self.contact,
                self.rel_manager,
                self.company_a,
                "planned",
                "Planned",
                f"{self._when(meeting)} · Marco Bianchi, Stefano Responsabile",
            ],
        )
        self.assertEqual(rows.mapped("res_id"), [meeting.id, visit.id], "newest first")
        self.assertEqual(self._rows(self.customer, ("entry_type", "=", "visit")).mapped("res_id"), visit.ids)
        self.assertEqual(
            self._rows(self.customer, ("entry_type", "=", "appointment")).mapped("res_id"), meeting.ids
        )
        self.assertFalse(self._rows(self.other_customer))
        card = self.customer.with_env(self._web_env(self.rel_user))
        self.assertEqual(card.crm_timeline_ids.filtered(lambda r: r.res_model == "calendar.event"), rows)

    def test_times_in_the_time_zone_of_the_web_client(self):
        """A user without a time zone of their own reads start and end in the one the web client sends."""
        self.rel_user.tz = False
        held = self._create_event("Sopralluogo", self._hours(-24 * 2), location="Cantiere")
        planned = self._create_event("Collaudo", self._hours(24 * 2))
        self.assertEqual(
            self._rows(self.customer, ("res_id", "=", held.id)).summary,
            f"{self._when(held)} · Cantiere · Marco Bianchi, Paola Operatrice",
        )
        self.assertEqual(
            self._card(self.customer)["crm_next_appointment"],
            f"{format_datetime(self.env, planned.start, tz=TZ, dt_format='short')} · Appointment · "
            "Paola Operatrice",
        )

    def test_events_of_a_call_are_shown_by_the_call(self):
        call = self._create_call(
            self.customer,
            user=self.rel_user,
            contact_id=self.contact.id,
            channel_id=self.visit.id,
            duration=30,
        )
        call.with_env(self._web_env(self.rel_user)).action_crm_plan_appointment()
        event = call.crm_event_id
        self.assertTrue(event)
        Timeline = self._web_env(self.rel_user)["crm.relationship.timeline"]
        self.assertFalse(self._rows(self.customer), "the event is no row of its own")
        (row,) = Timeline.search([("res_model", "=", "crm.relationship.call"), ("res_id", "=", call.id)])
        self.assertEqual(
            row.summary,
            f"Visit · Inbound · {self._when(event)} · Via Roma 1, Milano 20121, Italy · Marco Bianchi, "
            "Paola Operatrice",
        )
        self.assertEqual(row.entry_type, "call")

    # ------------------------------------------------------------------
    # The next planned action
    # ------------------------------------------------------------------

    def test_upcoming_event_is_the_next_action(self):
        self.assertEqual(
            self._without_next_action(self.customer, self.other_customer), self.customer | self.other_customer
        )
        event = self._create_event("Visita di collaudo", self._hours(24 * 3), user=self.rel_manager)
        self.assertEqual((event.res_model, event.res_id), ("res.partner", self.contact.id))
        activity = event.activity_ids
        self.assertEqual(
            (
                activity.res_model,
                activity.res_id,
                activity.activity_type_id,
                activity.summary,
                activity.user_id,
                activity.date_deadline,
            ),
            (
                "res.partner",
                self.contact.id,
                self.meeting_type,
                "Visita di collaudo",
                self.rel_manager,
                self._local_date(event.start),
            ),
        )
        customer = self.customer.with_env(self._web_env(self.rel_user))
        customer.invalidate_recordset()
        self.assertEqual(
            (
                customer.crm_has_next_action,
                customer.crm_next_activity_id,
                customer.crm_next_action_summary,
                customer.crm_next_action_date,
                customer.crm_next_action_user_id,
            ),
            (
                True,
                activity,
                "Visita di collaudo (Idraulica Bianchi S.r.l., Marco Bianchi)",
                self._local_date(event.start),
                self.rel_manager,
            ),
        )
        self.assertEqual(self._without_next_action(self.customer, self.other_customer), self.other_customer)
        action = self.env.ref("crm_relationship.res_partner_action_no_next_action")
        listed = self._web_env(self.rel_user)["res.partner"].search(
            Domain(ast.literal_eval(action.domain))
            & Domain(NO_NEXT_ACTION)
            & Domain("id", "in", (self.customer | self.other_customer).ids)
        )
        self.assertEqual(listed, self.other_customer)

    def test_moving_the_event_moves_the_next_action(self):
        event = self._create_event("Visita di collaudo", self._hours(24 * 3))
        activity = event.activity_ids
        new_start = self._hours(24 * 9)
        event.with_context(tz=TZ).write({"start": new_start, "stop": new_start + timedelta(hours=1)})
        self.assertEqual(activity.date_deadline, self._local_date(new_start))
        customer = self.customer.with_env(self._web_env(self.rel_user))
        customer.invalidate_recordset()
        self.assertEqual(
            (customer.crm_next_activity_id, customer.crm_next_action_date),
            (activity, self._local_date(new_start)),
        )

    def test_deleting_the_event_removes_the_next_action(self):
        event = self._create_event("Visita di collaudo", self._hours(24 * 3))
        activity = event.activity_ids
        self.assertEqual(self._without_next_action(self.customer), self.env["res.partner"])
        event.unlink()
        self.assertFalse(activity.exists())
        self.assertEqual(self._without_next_action(self.customer), self.customer)
        customer = self.customer.with_env(self._web_env(self.rel_user))
        customer.invalidate_recordset()
        self.assertEqual((customer.crm_has_next_action, customer.crm_next_action_summary), (False, False))

    def test_deleting_the_event_gives_back_the_other_next_action(self):
        later = self.customer.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self._local_date(self._hours(24 * 10)),
            summary="Richiamare per l'offerta",
            user_id=self.rel_user.id,
        )
        event = self._create_event("Visita di collaudo", self._hours(24 * 3))
        customer = self.customer.with_env(self._web_env(self.rel_user))
        customer.invalidate_recordset()
        self.assertEqual(customer.crm_next_activity_id, event.activity_ids)
        event.unlink()
        customer.invalidate_recordset()
        self.assertEqual(
            (customer.crm_next_activity_id, customer.crm_next_action_summary),
            (later, "Richiamare per l'offerta (Idraulica Bianchi S.r.l.)"),
        )

    def test_past_event_gets_no_activity(self):
        event = self._create_event("Visita passata", self._hours(-24 * 2))
        self.assertEqual((event.res_model, event.activity_ids), (False, self.env["mail.activity"]))
        self.assertEqual(self._without_next_action(self.customer), self.customer)

    def test_event_without_customer_gets_no_activity(self):
        event = self._create_event("Riunione interna", self._hours(24), partners=self.rel_manager.partner_id)
        self.assertEqual((event.res_model, event.activity_ids), (False, self.env["mail.activity"]))

    def test_operator_without_rights_on_the_contact(self):
        """The operator may not edit partners: an event planned in the calendar
        is not linked to the contact (a call plans it instead)."""
        env = self._web_env(self.rel_user)
        start = self._hours(24 * 2)
        event = env["calendar.event"].create(
            {
                "name": "Appuntamento",
                "start": start,
                "stop": start + timedelta(hours=1),
                "partner_ids": [Command.set((self.rel_user.partner_id | self.contact).ids)],
            }
        )
        self.assertEqual((event.crm_customer_id, event.user_id), (self.customer, self.rel_user))
        self.assertEqual((event.res_model, event.sudo().activity_ids), (False, self.env["mail.activity"]))
        self.assertEqual(self._card(self.customer)["crm_appointment_planned_count"], 1)

    def test_attendee_added_later_plans_the_activity(self):
        event = self._create_event("Da definire", self._hours(24 * 2), partners=self.rel_manager.partner_id)
        self.assertFalse(event.activity_ids)
        event.partner_ids = [Command.link(self.contact.id)]
        self.assertEqual(
            (event.res_model, event.res_id, event.activity_ids.activity_type_id),
            ("res.partner", self.contact.id, self.meeting_type),
        )

    # ------------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------------

    def test_event_of_another_company(self):
        event_b = self._create_event(
            "Visita Beta", self._hours(-24), user=self.user_b, crm_contact_kind="visit"
        )
        self.assertEqual(event_b.crm_company_id, self.company_b)
        self.assertEqual(self._card(self.customer, self.rel_user, self.company_a), NO_APPOINTMENT)
        self.assertFalse(self._rows(self.customer, companies=(self.company_a,)))
        self.assertEqual(self._card(self.customer, self.rel_manager), NO_APPOINTMENT)
        self.assertFalse(self._rows(self.customer, user=self.rel_manager))
        both = (self.company_a, self.company_b)
        self.assertEqual(
            self._card(self.customer, self.rel_user, *both),
            dict(NO_APPOINTMENT, crm_appointment_count=1, crm_last_appointment_date=event_b.start),
        )
        self.assertEqual(self._rows(self.customer, companies=both).mapped("res_id"), event_b.ids)
        self.assertEqual(self._card(self.customer, self.user_b, self.company_b)["crm_appointment_count"], 1)
