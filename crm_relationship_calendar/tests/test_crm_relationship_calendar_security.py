from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.crm_relationship.tests import common as core_common

from .common import CrmRelationshipCalendarCase

CALL_FIELDS = ("crm_call_id", "crm_call_state", "crm_call_outcome_id")
CARD_FIELDS = (
    "crm_appointment_count",
    "crm_appointment_planned_count",
    "crm_last_appointment_date",
    "crm_next_appointment",
)


@tagged("post_install", "-at_install")
class TestCalendarSecurity(CrmRelationshipCalendarCase):
    """Who sees the call behind an appointment, plans it and reads the figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call = cls._create_call(
            cls.customer,
            user=cls.rel_user,
            contact_id=cls.contact.id,
            channel_id=cls.visit.id,
            subject="Sopralluogo caldaia",
            duration=45.0,
            outcome_id=cls.env.ref("crm_relationship.crm_relationship_call_outcome_call_back").id,
        )
        cls.call.with_context(tz="Europe/Rome").with_user(cls.rel_user).action_crm_plan_appointment()
        cls.event = cls.call.crm_event_id

    def test_employee_reads_events_without_their_call(self):
        env = self._web_env(self.internal_user)
        event = self.event.with_env(env)
        self.assertEqual(
            event.read(["name", "crm_customer_id", "crm_partner_id", "crm_contact_kind", "crm_state"]),
            [
                {
                    "id": self.event.id,
                    "name": "Sopralluogo caldaia",
                    "crm_customer_id": (self.customer.id, "Idraulica Bianchi S.r.l."),
                    "crm_partner_id": (self.contact.id, "Idraulica Bianchi S.r.l., Marco Bianchi"),
                    "crm_contact_kind": "visit",
                    "crm_state": "planned",
                }
            ],
        )
        for field in CALL_FIELDS:
            with self.subTest(field=field), self.assertRaises(AccessError):
                event.read([field])
        with self.assertRaises(AccessError):
            event.write({"crm_call_id": False})
        self.assertEqual(self.event.crm_call_id, self.call)

    def test_event_form_of_an_employee(self):
        env = self._web_env(self.internal_user)
        event = self.event.with_env(env)
        spec = core_common.CrmRelationshipDefectCase._form_spec(event)
        self.assertFalse(set(CALL_FIELDS) & spec.keys(), "the form of an employee has no call")
        self.assertLessEqual({"crm_customer_id", "crm_contact_kind", "name", "partner_ids"}, spec.keys())
        (values,) = event.web_read(spec)
        self.assertEqual(
            (values["name"], values["crm_customer_id"], values["crm_contact_kind"]),
            (
                "Sopralluogo caldaia",
                {"id": self.customer.id, "display_name": "Idraulica Bianchi S.r.l."},
                "visit",
            ),
        )
        # the operator's form shows the call and its outcome
        operator_event = self.event.with_env(self._web_env(self.rel_user))
        spec = core_common.CrmRelationshipDefectCase._form_spec(operator_event)
        self.assertLessEqual(set(CALL_FIELDS), spec.keys())
        (values,) = operator_event.web_read(spec)
        self.assertEqual(
            (values["crm_call_id"], values["crm_call_state"], values["crm_call_outcome_id"]["display_name"]),
            ({"id": self.call.id, "display_name": "Sopralluogo caldaia"}, "open", "Call Back"),
        )

    def test_employee_cannot_record_the_outcome(self):
        event = self.event.with_env(self._web_env(self.internal_user))
        with self._assert_raises_message(AccessError, r'access the field "crm_call_id" on Calendar Event'):
            event.action_crm_record_outcome()
        with self.assertRaises(AccessError):
            Form(
                self._web_env(self.internal_user)["crm.relationship.call.close"].with_context(
                    default_call_id=self.call.id, default_event_id=self.event.id
                )
            )
        self.assertEqual(self.call.state, "open")

    def test_operator_cannot_plan_a_call_of_a_company_not_active(self):
        env_b = self._web_env(self.rel_user, self.company_b)
        call_b = (
            env_b["crm.relationship.call"]
            .create(
                {
                    "partner_id": self.other_customer.id,
                    "contact_id": self.other_contact.id,
                    "channel_id": self.visit.id,
                    "subject": "Visita Beta",
                    "company_id": self.company_b.id,
                }
            )
            .with_env(self._web_env(self.rel_user, self.company_a))
        )
        with self._assert_raises_message(
            AccessError,
            r"(?s)'write' access to:\n- Customer Call.*switching to the company: Beta Appuntamenti",
        ):
            call_b.action_crm_plan_appointment()
        Events = self.env["calendar.event"]
        self.assertFalse(Events.search([("crm_call_id", "=", call_b.id)]))
        # with company B active, the operator plans it: the event belongs to company B
        call_b.with_env(
            self._web_env(self.rel_user, self.company_a, self.company_b)
        ).action_crm_plan_appointment()
        event = Events.search([("crm_call_id", "=", call_b.id)])
        self.assertEqual(
            (len(event), event.crm_company_id, event.user_id), (1, self.company_b, self.rel_user)
        )

    def test_operator_cannot_plan_the_call_of_another_operator(self):
        call_b = self._create_call(
            self.other_customer, user=self.user_b, channel_id=self.visit.id, company_id=self.company_b.id
        ).with_env(self._web_env(self.rel_user, self.company_a, self.company_b))
        with self.assertRaises(AccessError):
            call_b.action_crm_plan_appointment()
        self.assertFalse(self.env["calendar.event"].search([("crm_call_id", "=", call_b.id)]))

    def test_portal_user_reads_no_figure(self):
        customer = self.customer.with_env(self._web_env(self.portal_user))
        for field in CARD_FIELDS:
            with self.subTest(field=field), self.assertRaises(AccessError):
                customer.read([field])
        with self.assertRaises(AccessError):
            customer.web_read({name: {} for name in CARD_FIELDS})

    def test_profitability_is_for_managers(self):
        Report = self._web_env(self.rel_user)["crm.relationship.profitability.report"]
        with self.assertRaises(AccessError):
            Report.search([("source", "=", "appointment")])
