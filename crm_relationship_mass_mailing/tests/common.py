import hashlib

from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.crm_relationship.tests.common import CrmRelationshipAnalyticsCase, CronJobMixin
from odoo.addons.mass_mailing.tests.common import MassMailCase


class CrmMailingCase(CrmRelationshipAnalyticsCase, MassMailCase, CronJobMixin):
    """Customers in segments, and a marketing user who also works with the customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketing_user = new_test_user(
            cls.env,
            login="crm_marketing",
            name="Giulia Marketing",
            email="giulia.marketing@example.com",
            groups="mass_mailing.group_mass_mailing_user,crm_relationship.crm_relationship_group_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.marketing_only_user = new_test_user(
            cls.env,
            login="crm_marketing_only",
            name="Marco Newsletter",
            groups="mass_mailing.group_mass_mailing_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.Segment = cls.env["crm.relationship.rfm.segment"]
        cls.segment_gold = cls.Segment.create({"name": "Clienti Oro", "sequence": 1})
        cls.segment_silver = cls.Segment.create({"name": "Clienti Argento", "sequence": 2})
        cls.partner_model = cls.env["ir.model"]._get("res.partner")

    @classmethod
    def _create_segment_customers(cls, segment, count, prefix="Cliente", **values):
        """``count`` customers with an e-mail address in ``segment``."""
        customers = cls.env["res.partner"].create(
            [
                dict(
                    {
                        "name": f"{prefix} {segment.name} {index}",
                        "is_company": True,
                        "company_id": cls.company_a.id,
                        "email": f"{prefix.lower()}.{segment.id}.{index}@example.com",
                    },
                    **values,
                )
                for index in range(count)
            ]
        )
        customers.write({"crm_segment_id": segment.id})
        return customers

    def _mailing_env(self, user=None):
        user = user or self.marketing_user
        return self.env(user=user, context=dict(self.env.context, allowed_company_ids=self.company_a.ids))

    def _create_mailing(self, domain, user=None, **values):
        """A draft mailing to the partners of ``domain``, created by ``user`` (the marketing user)."""
        values = dict(
            {
                "subject": "Offerta di primavera",
                "body_html": "<p>Buongiorno, ecco le nostre offerte.</p>",
                "mailing_model_id": self.partner_model.id,
            },
            **values,
        )
        if domain is not None:
            values["mailing_domain"] = repr(list(domain))
        return self._mailing_env(user)["mailing.mailing"].create(values)

    @staticmethod
    def _expected_held_back(mailing, customers, share):
        """The customers held back: the first round(n × share) of ``customers`` by md5 of
        '<mailing id>:<partner id>', rounded half up, computed here without SQL."""
        ranked = sorted(
            customers, key=lambda c: (hashlib.md5(f"{mailing.id}:{c.id}".encode()).hexdigest(), c.id)
        )
        held = int(len(customers) * share / 100 + 0.5)
        return {c.id for c in ranked[:held]}

    def _sent_partner_ids(self, mailing):
        """Partners a mail of ``mailing`` went to (traces not cancelled)."""
        return set(mailing.mailing_trace_ids.filtered(lambda t: t.trace_status != "cancel").mapped("res_id"))
