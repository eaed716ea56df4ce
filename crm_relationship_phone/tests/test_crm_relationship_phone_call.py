import random
from datetime import timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import T0, CrmRelationshipPhoneCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneCall(CrmRelationshipPhoneCase):
    def test_ringing_known_number_records_the_customer_call(self):
        phone_call = self._send(
            self._event("c1", "ringing", number="338 7012245", extension="201", queue="600")
        )
        self.assertEqual(phone_call.state, "ringing")
        self.assertEqual(phone_call.contact_id, self.marco)
        self.assertEqual(phone_call.partner_id, self.rossi)
        self.assertEqual(phone_call.queue_id, self.queue)
        call = phone_call.call_ids
        self.assertEqual(len(call), 1)
        self.assertEqual(call.partner_id, self.rossi)
        self.assertEqual(call.contact_id, self.marco)
        self.assertEqual(call.direction, "inbound")
        self.assertEqual(
            call.user_id, self.rel_user, "the extension that rings is the operator until someone answers"
        )
        self.assertEqual(call.department, "call_center", "the queue's department")
        self.assertEqual(call.date_start, T0)
        self.assertEqual(
            call.channel_id, self.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        )
        self.assertEqual(call.state, "open")
        self.assertIn(call, self.rossi.crm_call_ids)
        self.assertEqual(phone_call.notified_user_ids, self.rel_user | self.queue_member)

    def test_answer_and_hang_up_complete_the_call(self):
        self._send(self._event("c2", "ringing", number="+393387012245", queue="600"))
        self._send(self._event("c2", "answered", 0.5, extension="202"))
        phone_call = self._send(self._event("c2", "hangup", 6.5))
        self.assertEqual(phone_call.state, "done")
        self.assertEqual(phone_call.user_id, self.rel_manager)
        self.assertEqual(phone_call.wait_seconds, 30)
        self.assertEqual(phone_call.talk_seconds, 360)
        call = phone_call.call_ids
        self.assertEqual(call.user_id, self.rel_manager)
        self.assertEqual(call.date_start, T0 + timedelta(seconds=30))
        self.assertEqual(call.duration, 6.0)
        self.assertEqual(call.date_end, T0 + timedelta(minutes=6.5))
        self.assertEqual(call.state, "open", "the operator still gives the outcome and the next action")

    def test_events_twice_and_out_of_order_make_one_record(self):
        events = [
            self._event("c3", "ringing", 0, number="02 7731 5135", queue="600"),
            self._event("c3", "answered", 0.25, extension="201"),
            self._event("c3", "transferred", 2, extension="202"),
            self._event("c3", "hangup", 5),
        ]
        replay = events * 2
        for seed in range(5):
            with self.subTest(seed=seed):
                random.Random(seed).shuffle(replay)
                self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "c3")]).call_ids.unlink()
                self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "c3")]).unlink()
                self._send(*replay)
                phone_call = self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "c3")])
                self.assertEqual(len(phone_call), 1)
                self.assertEqual(len(phone_call.call_ids), 1)
                self.assertEqual(phone_call.state, "done")
                self.assertEqual(
                    (phone_call.date_ring, phone_call.date_answer, phone_call.date_end),
                    (T0, T0 + timedelta(seconds=15), T0 + timedelta(minutes=5)),
                )
                self.assertEqual(phone_call.talk_seconds, 285)
                self.assertEqual(phone_call.user_id, self.rel_manager, "transferred to 202")
                self.assertEqual(phone_call.call_ids.user_id, self.rel_manager)
                self.assertEqual(phone_call.call_ids.duration, 4.8)

    def test_hang_up_stamped_before_the_answer_never_makes_a_negative_duration(self):
        phone_call = self._send(
            self._event("c4", "ringing", 1, number="+39 011 498 2271"),
            self._event("c4", "hangup", 1.5),
            self._event("c4", "answered", 2, extension="201"),
        )[:1]
        self.assertEqual(phone_call.state, "done")
        self.assertEqual(phone_call.talk_seconds, 0)
        self.assertGreaterEqual(phone_call.date_end, phone_call.date_answer)
        self.assertEqual(phone_call.call_ids.duration, 0.0)

    def test_missed_call_of_a_customer_plans_the_call_back_as_its_next_action(self):
        phone_call = self._send(
            self._event("c5", "ringing", number="011 4982271", queue="600"),
            self._event("c5", "missed", 0.75, queue="600"),
        )[:1]
        self.assertEqual(phone_call.state, "missed")
        self.assertEqual(phone_call.wait_seconds, 45)
        activity = phone_call.callback_activity_id
        self.assertEqual(activity.res_model, "res.partner")
        self.assertEqual(activity.res_id, self.verdi.id)
        self.assertEqual(activity.user_id, self.queue_member, "the queue's responsible calls back")
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIn("011 4982271", activity.summary)
        call = phone_call.call_ids
        self.assertEqual(call.state, "done")
        self.assertEqual(call.next_action_activity_id, activity)
        self.assertEqual(
            call.outcome_id, self.env.ref("crm_relationship.crm_relationship_call_outcome_call_back")
        )
        self.verdi.invalidate_recordset()
        self.assertEqual(self.verdi.crm_next_activity_id, activity)
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("message_type", "=", "user_notification"),
                    ("partner_ids", "in", self.queue_member.partner_id.ids),
                ]
            ),
            "no e-mail per missed call: the call-back is among the responsible's activities",
        )
        # The same missed event again plans nothing more.
        self._send(self._event("c5", "missed", 0.75))
        self.assertEqual(self.env["mail.activity"].search_count([("summary", "=", activity.summary)]), 1)

    def test_missed_call_of_an_unknown_number_is_called_back_from_the_phone_call(self):
        phone_call = self._send(
            self._event("c6", "ringing", number="+39 06 4521 7788"),
            self._event("c6", "hangup", 0.5),
        )[:1]
        self.assertEqual(phone_call.state, "missed")
        self.assertFalse(phone_call.partner_id)
        self.assertFalse(phone_call.call_ids)
        activity = phone_call.callback_activity_id
        self.assertEqual((activity.res_model, activity.res_id), (phone_call._name, phone_call.id))
        self.assertEqual(activity.user_id, self.rel_manager, "no queue: the PBX's responsible")

    def test_answer_reported_after_the_hang_up_cancels_the_call_back(self):
        phone_call = self._send(
            self._event("c7", "ringing", number="+39 011 498 2271"),
            self._event("c7", "hangup", 3),
        )[:1]
        activity = phone_call.callback_activity_id
        self.assertTrue(activity)
        self._send(self._event("c7", "answered", 0.5, extension="201"))
        self.assertEqual(phone_call.state, "done")
        self.assertFalse(activity.exists())
        self.assertEqual(phone_call.call_ids.state, "open")
        self.assertFalse(phone_call.call_ids.outcome_id)
        self.assertFalse(phone_call.call_ids.next_action_activity_id)
        self.assertEqual(phone_call.call_ids.user_id, self.rel_user)

    def test_hang_up_reported_before_the_ring_still_finds_the_customer(self):
        phone_call = self._send(self._event("c14", "missed", 1))
        self.assertFalse(phone_call.partner_id)
        self.assertEqual(phone_call.callback_activity_id.res_model, "crm.relationship.phone.call")
        self._send(self._event("c14", "ringing", 0, number="011 4982271", queue="600"))
        self.assertEqual(phone_call.partner_id, self.verdi)
        self.assertEqual(phone_call.queue_id, self.queue)
        self.assertEqual(phone_call.state, "missed")
        activity = phone_call.callback_activity_id
        self.assertEqual((activity.res_model, activity.res_id), ("res.partner", self.verdi.id))
        self.assertEqual(self.env["mail.activity"].search_count([("summary", "ilike", "011 4982271")]), 1)
        self.assertEqual(phone_call.call_ids.state, "done")
        self.assertEqual(phone_call.call_ids.next_action_activity_id, activity)

    def test_number_of_two_customers_returns_both_and_guesses_none(self):
        phone_call = self._send(self._event("c8", "ringing", number="02 40001000", extension="201"))
        self.assertEqual(phone_call.match_count, 2)
        self.assertEqual(phone_call.candidate_ids, self.bianchi | self.neri)
        self.assertFalse(phone_call.contact_id)
        self.assertFalse(phone_call.partner_id)
        self.assertFalse(phone_call.call_ids, "no customer call until the operator says who it is")
        (popup,) = self._popups(self.rel_user)
        self.assertEqual(
            sorted(customer["name"] for customer in popup["customers"]),
            ["Bianchi Serramenti", "Neri Arredamenti"],
        )
        self.assertEqual(popup["match_count"], 2)

    def test_number_of_two_contacts_of_one_customer_is_that_customer(self):
        self.env["res.partner"].create(
            {"name": "Centralino Rossi", "parent_id": self.rossi.id, "phone": "02 77315120"}
        )
        phone_call = self._send(self._event("c9", "ringing", number="+39 02 7731 5120"))
        self.assertEqual(phone_call.match_count, 2)
        self.assertEqual(phone_call.partner_id, self.rossi)
        self.assertFalse(phone_call.contact_id)
        self.assertEqual(phone_call.call_ids.partner_id, self.rossi)
        self.assertFalse(phone_call.call_ids.contact_id)

    def test_unknown_number_is_recorded_and_pops_up_with_no_customer(self):
        phone_call = self._send(self._event("c10", "ringing", number="+39 0471 000 000", extension="201"))
        self.assertEqual(phone_call.match_count, 0)
        self.assertFalse(phone_call.call_ids)
        (popup,) = self._popups(self.rel_user)
        self.assertEqual((popup["customers"], popup["contacts"], popup["call_id"]), ([], [], False))
        self.assertEqual(popup["number"], "+39 0471 000 000")
        with self._assert_raises_message(UserError, "Nobody is known with this number"):
            phone_call.with_user(self.rel_user).action_open_crm_card()
        # The operator creates the contact from the pop-up: the lookup is pre-filled and the call links back.
        action = phone_call.with_user(self.rel_user).action_log_call()
        self.assertEqual(action["res_model"], "crm.relationship.call.lookup")
        lookup = (
            self.env["crm.relationship.call.lookup"]
            .with_user(self.rel_user)
            .with_context(**action["context"])
            .create({"new_contact_name": "Anna Gialli"})
        )
        self.assertEqual(lookup.phone, "+39 0471 000 000")
        form_action = lookup.action_create_contact()
        call = (
            self.env["crm.relationship.call"]
            .with_user(self.rel_user)
            .with_context(**form_action["context"])
            .create({"subject": "Richiesta preventivo"})
        )
        self.assertEqual(call.phone_call_id, phone_call)
        self.assertEqual(phone_call.partner_id.name, "Anna Gialli")

    def test_pop_up_shows_the_card_alerts_to_the_operators_of_the_call(self):
        self._send(self._event("c11", "ringing", number="+39 338 701 2245", extension="201", queue="600"))
        (popup,) = self._popups(self.rel_user)
        self.assertEqual(popup["state"], "ringing")
        self.assertEqual(
            popup["contacts"], [{"id": self.marco.id, "name": "Marco Rossi", "customer_id": self.rossi.id}]
        )
        (customer,) = popup["customers"]
        self.assertEqual(customer["id"], self.rossi.id)
        self.assertIn("No next action is planned with this customer.", customer["alerts"])
        self.assertEqual((customer["equipment_count"], customer["open_defect_count"]), (0, 0))
        self.assertTrue(popup["can_open_card"])
        self.assertEqual(
            popup["call_id"],
            self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "c11")]).call_ids.id,
        )
        self.assertEqual(len(self._popups(self.queue_member)), 1)
        self.assertEqual(self._popups(self.rel_manager), [], "not on the queue, not ringing")
        # Answered at 203: every screen that showed the call learns who took it.
        self._send(self._event("c11", "answered", 0.2, extension="203"))
        for user in (self.rel_user, self.queue_member):
            update = self._popups(user)[-1]
            self.assertEqual((update["state"], update["operator"]), ("answered", "Luca Centralinista"))
            self.assertEqual(update["mine"], user == self.queue_member)

    def test_pop_up_of_an_employee_without_the_group_names_the_caller_only(self):
        self._send(self._event("c12", "ringing", number="+39 338 701 2245", extension="209"))
        (popup,) = self._popups(self.internal_user)
        self.assertFalse(popup["can_open_card"])
        self.assertFalse(popup["call_id"])
        self.assertEqual([contact["name"] for contact in popup["contacts"]], ["Marco Rossi"])
        self.assertEqual([customer["alerts"] for customer in popup["customers"]], [[]])
        self.assertFalse(popup["customers"][0]["equipment_count"])

    def test_contacts_of_another_company_are_not_matched(self):
        company_b = self.env["res.company"].create({"name": "Filiale Svizzera"})
        self.env["res.partner"].create(
            {
                "name": "Cliente Filiale",
                "is_company": True,
                "phone": "+39 011 498 2271",
                "company_id": company_b.id,
            }
        )
        phone_call = self._send(self._event("c13", "ringing", number="011 4982271"))
        self.assertEqual(phone_call.candidate_ids, self.verdi)

    def test_test_call_records_and_pops_up_without_customer_call(self):
        wizard = (
            self.env["crm.relationship.pbx.test.call"]
            .with_user(self.rel_manager)
            .with_context(default_pbx_id=self.pbx.id)
            .create({"number": "+39 338 701 2245"})
        )
        self.assertEqual(wizard.extension, "202", "the manager's own extension")
        action = wizard.action_send()
        self.assertEqual(action["params"]["type"], "success")
        phone_call = self.env["crm.relationship.phone.call"].search([("is_test", "=", True)])
        self.assertEqual(phone_call.contact_id, self.marco)
        self.assertFalse(phone_call.call_ids)
        (popup,) = self._popups(self.rel_manager)
        self.assertTrue(popup["is_test"])

    def test_test_call_nobody_would_see_is_refused(self):
        wizard = (
            self.env["crm.relationship.pbx.test.call"]
            .with_user(self.rel_manager)
            .create({"pbx_id": self.pbx.id, "number": "+39 338 701 2245", "extension": "999"})
        )
        with self._assert_raises_message(UserError, "Nobody would see this call"):
            wizard.action_send()
        self.assertFalse(self.env["crm.relationship.phone.call"].search([("is_test", "=", True)]))

    def test_malformed_events_are_refused_with_the_reason(self):
        PhoneCall = self.env["crm.relationship.phone.call"]
        cases = [
            ({"event": "ringing"}, "has no call_id"),
            ({"call_id": "x", "event": "ringed"}, "Unknown event"),
            ({"call_id": "x", "event": "ringing", "direction": "sideways"}, "inbound or outbound"),
            ({"call_id": "x", "event": "ringing", "timestamp": "yesterday"}, "not a date and time"),
            ({"call_id": "x" * 129, "event": "ringing"}, "longer than 128"),
            ({"call_id": ["x"], "event": "ringing"}, "must be a string"),
            ("ringing", "must be a JSON object"),
        ]
        for item, message in cases:
            with self.subTest(item=item), self._assert_raises_message(ValidationError, message):
                PhoneCall._crm_normalize_event(item)

    def test_3cx_report_becomes_the_events_it_sums_up(self):
        events = self.pbx._crm_parse_events(
            {
                "call_type": "Inbound",
                "number": "+393387012245",
                "agent": "201",
                "duration": "00:02:30",
                "start": "2026-11-30T09:00:00Z",
                "end": "2026-11-30T09:03:00Z",
                "call_id": "3cx-77",
            },
            "3cx",
        )
        phone_call = self._send(*events)[:1]
        self.assertEqual(phone_call.state, "done")
        self.assertEqual((phone_call.wait_seconds, phone_call.talk_seconds), (30, 150))
        self.assertEqual(phone_call.user_id, self.rel_user)
        with self._assert_raises_message(ValidationError, "Unknown 3CX call type"):
            self.pbx._crm_parse_events({"call_type": "Sideways", "start": "2026-11-30T09:00:00Z"}, "3cx")
