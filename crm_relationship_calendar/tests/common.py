from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.crm_relationship.tests.common import CrmRelationshipCase

TZ = "Europe/Rome"


class CrmRelationshipCalendarCase(CrmRelationshipCase):
    """Appointments and visits with customers.

    Company A (the main one) and company B; Idraulica Bianchi (company A's
    customer, in Milan) with two contacts, Marco Bianchi and Anna Bianchi;
    Termotecnica Verdi, a second customer with one contact. The operator
    (Relationship User, no Sales rights, may not edit partners) works for A
    and B, the manager and the plain employee for A, ``user_b`` for B only;
    a portal user belongs to the customer.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_mail_to_attendees=True))
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta Appuntamenti S.p.A.", "currency_id": cls.company_a.currency_id.id}
        )
        cls.rel_user.write({"tz": TZ, "company_ids": [Command.link(cls.company_b.id)]})
        (cls.rel_manager | cls.internal_user).tz = TZ
        cls.user_b = new_test_user(
            cls.env,
            login="rel_user_calendar_b",
            name="Bruno Beta",
            tz=TZ,
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.customer = cls._create_call_customer(
            "Idraulica Bianchi S.r.l.",
            "+39 02 4455 6677",
            street="Via Roma 1",
            zip="20121",
            city="Milano",
        )
        Partner = cls.env["res.partner"]
        cls.contact = Partner.create({"name": "Marco Bianchi", "parent_id": cls.customer.id})
        cls.second_contact = Partner.create({"name": "Anna Bianchi", "parent_id": cls.customer.id})
        cls.other_customer = cls._create_call_customer("Termotecnica Verdi S.p.A.", "+39 011 562 3390")
        cls.other_contact = Partner.create({"name": "Luigi Verdi", "parent_id": cls.other_customer.id})
        cls.portal_user = new_test_user(
            cls.env, login="portal_calendar", name="Portale Bianchi", groups="base.group_portal"
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.phone = cls.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        cls.visit = cls.env.ref("crm_relationship.crm_relationship_call_channel_visit")
        cls.appointment = cls.env.ref("crm_relationship_calendar.crm_relationship_call_channel_appointment")
        cls.meeting_type = cls.env.ref("mail.mail_activity_data_meeting")
        cls.now = fields.Datetime.now().replace(second=0, microsecond=0)

    @classmethod
    def _hours(cls, hours):
        """A whole hour ``hours`` from now (UTC, naive)."""
        return cls.now.replace(minute=0) + timedelta(hours=hours)

    @classmethod
    def _create_event(cls, name, start, minutes=60, partners=None, user=None, **values):
        """An event organized by ``user`` (the operator when not given), created
        by the superuser, with the organizer and ``partners`` (the contact when
        not given) as attendees."""
        user = user or cls.rel_user
        partners = cls.contact if partners is None else partners
        return (
            cls.env["calendar.event"]
            .with_context(tz=TZ)
            .create(
                dict(
                    {
                        "name": name,
                        "start": start,
                        "stop": start + timedelta(minutes=minutes),
                        "user_id": user.id,
                        "partner_ids": [Command.set((user.partner_id | partners).ids)],
                    },
                    **values,
                )
            )
        )

    def _web_env(self, user, *companies):
        """The environment of ``user`` in the web client, with ``companies``
        (company A when not given) active."""
        return self.env(
            user=user,
            context={
                "lang": "en_US",
                "tz": TZ,
                "uid": user.id,
                "allowed_company_ids": [company.id for company in companies or (self.company_a,)],
            },
        )
