from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.crm_relationship.tests.common import CrmRelationshipCase


class CrmRelationshipCrmCase(CrmRelationshipCase):
    """A customer with two contacts, a salesperson who is also a Relationship
    User, stages and lost reasons of the test's own, and lead factories.

    Termoidraulica Rossi S.r.l. (company, salesperson Sara) has Marco Rossi
    (e-mail ``Marco.Rossi@Rossi-Impianti.example``, phone ``+39 02 1234 5678``)
    and Anna Rossi; Caldaie Verdi S.p.A. is another customer, with Luca Verdi
    (phone ``+39 06 9876 5432``).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.salesman = new_test_user(
            cls.env,
            login="crm_salesman",
            name="Sara Venditrice",
            email="sara.sales@example.com",
            groups="sales_team.group_sale_salesman,crm_relationship.crm_relationship_group_user",
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Termoidraulica Rossi S.r.l.", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.contact = Partner.create(
            {
                "name": "Marco Rossi",
                "parent_id": cls.customer.id,
                "email": "Marco.Rossi@Rossi-Impianti.example",
                "phone": "+39 02 1234 5678",
            }
        )
        cls.other_contact = Partner.create({"name": "Anna Rossi", "parent_id": cls.customer.id})
        cls.other_customer = Partner.create({"name": "Caldaie Verdi S.p.A.", "is_company": True})
        cls.other_customer_contact = Partner.create(
            {"name": "Luca Verdi", "parent_id": cls.other_customer.id, "phone": "+39 06 9876 5432"}
        )
        # Created in the reverse order of their sequence: the card orders them by sequence.
        Stage = cls.env["crm.stage"]
        cls.stage_negotiation = Stage.create({"name": "Trattativa", "sequence": 20})
        cls.stage_first_contact = Stage.create({"name": "Primo contatto", "sequence": 10})
        LostReason = cls.env["crm.lost.reason"]
        cls.reason_price = LostReason.create({"name": "Prezzo troppo alto"})
        cls.reason_competitor = LostReason.create({"name": "Scelto un concorrente"})
        cls.web_context = {"allowed_company_ids": [cls.company.id], "lang": "en_US", "tz": "Europe/Rome"}

    @classmethod
    def _create_lead(cls, name, lead_type="opportunity", **values):
        """A lead or an opportunity of the company, in the first stage of this test's pipeline."""
        return cls.env["crm.lead"].create(
            dict(
                {
                    "name": name,
                    "type": lead_type,
                    "stage_id": cls.stage_first_contact.id,
                    "company_id": cls.company.id,
                    "user_id": cls.salesman.id,
                },
                **values,
            )
        )

    @classmethod
    def _lose(cls, lead, reason=None, days_ago=0):
        """Mark ``lead`` lost with ``reason``, ``days_ago`` days ago."""
        lead.action_set_lost(lost_reason_id=reason.id if reason else False)
        if days_ago:
            lead.sudo().write({"date_closed": fields.Datetime.now() - timedelta(days=days_ago)})
        return lead

    @classmethod
    def _win(cls, lead, days_ago=0):
        lead.action_set_won()
        if days_ago:
            lead.sudo().write({"date_closed": fields.Datetime.now() - timedelta(days=days_ago)})
        return lead

    def _as(self, user, records, **context):
        """``records`` as ``user`` in the web client (the main company active)."""
        return records.with_user(user).with_context(**dict(self.web_context, **context))

    def _schedule(self, record, summary, days=3, user=None, xmlid="mail.mail_activity_data_call"):
        return record.activity_schedule(
            xmlid,
            date_deadline=self.today + timedelta(days=days),
            summary=summary,
            user_id=(user or self.salesman).id,
        )

    def _timeline(self, user, customer, **context):
        """The timeline rows of leads and opportunities of ``customer``, as ``user`` reads them."""
        self.env.flush_all()
        Timeline = self._as(user, self.env["crm.relationship.timeline"], **context)
        return Timeline.search([("commercial_partner_id", "=", customer.id), ("res_model", "=", "crm.lead")])

    @classmethod
    def _link_users_to(cls, company, users):
        for user in users:
            user.write({"company_ids": [Command.link(company.id)]})
