from contextlib import contextmanager
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user

from odoo.addons.crm_relationship_phone.models.crm_relationship_pbx import hash_key

PBX_KEY = "k3y-of-the-test-switchboard-0123456789abcdefghijklmnop"


class CrmRelationshipPhoneHttpCase(HttpCase):
    """A switchboard of an Italian company, as a PBX of kind ``_pbx_kind`` reaches it over HTTP:
    two operators on extensions 201 and 202, both members of the support queue 600 whose
    responsible plans the call-backs, and customers whose numbers the tests call from."""

    _pbx_kind = "generic"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_create_nolog=True, mail_notrack=True, tracking_disable=True)
        )
        cls.company = cls.env.company
        # National numbers (02 ...) are read in the country of the PBX's company.
        cls.company.country_id = cls.env.ref("base.it")
        cls.operator = new_test_user(
            cls.env,
            login="phone_operator",
            name="Paola Operatrice",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.operator_2 = new_test_user(
            cls.env,
            login="phone_operator_2",
            name="Luca Commerciale",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.supervisor = new_test_user(
            cls.env,
            login="phone_supervisor",
            name="Stefano Responsabile",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.pbx = cls.env["crm.relationship.pbx"].create(
            {
                "name": "Centralino di prova",
                "kind": cls._pbx_kind,
                "responsible_id": cls.supervisor.id,
                "extension_ids": [
                    Command.create({"name": "201", "user_id": cls.operator.id}),
                    Command.create({"name": "202", "user_id": cls.operator_2.id}),
                ],
                "queue_ids": [
                    Command.create(
                        {
                            "code": "600",
                            "name": "Assistenza tecnica",
                            "user_ids": [Command.set((cls.operator | cls.operator_2).ids)],
                            "responsible_id": cls.supervisor.id,
                        }
                    )
                ],
            }
        )
        cls.pbx.sudo().key_hash = hash_key(PBX_KEY)
        cls.queue = cls.pbx.queue_ids
        cls.rossi = cls._create_customer("Rossi Impianti S.r.l.", "+39 0471 555 000")
        cls.marco = cls._create_contact(
            cls.rossi, "Marco Rossi", "+39 349 771 2045", "marco.rossi@rossi-impianti.it"
        )
        # One switchboard number shared by two customers in the same building.
        cls.bianchi = cls._create_customer("Bianchi Caldaie S.n.c.", False)
        cls.verdi = cls._create_customer("Verdi Clima S.p.A.", False)
        cls.anna = cls._create_contact(cls.bianchi, "Anna Bianchi", "0471 555 012")
        cls.paolo = cls._create_contact(cls.verdi, "Paolo Verdi", "+39 0471 555 012")

    @classmethod
    def _create_customer(cls, name, phone, **values):
        return cls.env["res.partner"].create(
            dict(
                {"name": name, "is_company": True, "phone": phone, "country_id": cls.env.ref("base.it").id},
                **values,
            )
        )

    @classmethod
    def _create_contact(cls, customer, name, phone, email=False):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "parent_id": customer.id,
                "phone": phone,
                "email": email,
                "country_id": cls.env.ref("base.it").id,
            }
        )

    def _phone_calls(self):
        return self.env["crm.relationship.phone.call"].search([("pbx_id", "=", self.pbx.id)])

    @contextmanager
    def _outside_requests(self):
        """Let HTTP clients that do not carry the test's cookie (a script run by
        Asterisk) reach the test server: their requests run in this test's
        transaction, as the test's own requests do."""
        self.env.cr.flush()
        self.env.cr.clear()
        with patch.object(self, "http_request_allow_all", False), self.allow_requests(all_requests=True):
            yield
        self.env.invalidate_all()
