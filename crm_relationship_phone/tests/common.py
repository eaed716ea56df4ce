import json
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user

from odoo.addons.bus.models.bus import channel_with_db, json_dump
from odoo.addons.crm_relationship.tests.common import CrmRelationshipCase
from odoo.addons.crm_relationship_phone.models.crm_relationship_pbx import hash_key

PBX_KEY = "test-key-Ju4lq0p2Xr5xVn8mB6cT1yZ3sW9eK7aD"
NOTIFICATION_TYPE = "crm_relationship_phone/call"
T0 = datetime(2026, 11, 30, 9, 0, 0)


class CrmRelationshipPhoneCase(CrmRelationshipCase):
    """A switchboard: a PBX with a key, the operators' extensions and a queue, and
    customers whose numbers are stored in one format and reported in another."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # National numbers are read in the country of the PBX's company.
        cls.env.company.country_id = cls.env.ref("base.it")
        cls.rel_user.group_ids |= cls.env.ref("base.group_partner_manager")
        cls.queue_member = cls.env["res.users"].create(
            {
                "name": "Luca Centralinista",
                "login": "queue_member",
                "group_ids": [Command.link(cls.env.ref("crm_relationship.crm_relationship_group_user").id)],
            }
        )
        cls.pbx = cls.env["crm.relationship.pbx"].create(
            {
                "name": "Centralino Prova",
                "kind": "asterisk",
                "responsible_id": cls.rel_manager.id,
                "extension_ids": [
                    Command.create({"name": "201", "user_id": cls.rel_user.id}),
                    Command.create({"name": "202", "user_id": cls.rel_manager.id}),
                    Command.create({"name": "203", "user_id": cls.queue_member.id}),
                    Command.create({"name": "209", "user_id": cls.internal_user.id}),
                ],
            }
        )
        cls.pbx.sudo().key_hash = hash_key(PBX_KEY)
        cls.queue = cls.env["crm.relationship.pbx.queue"].create(
            {
                "pbx_id": cls.pbx.id,
                "code": "600",
                "name": "Assistenza tecnica",
                "user_ids": [Command.set((cls.rel_user | cls.queue_member).ids)],
                "responsible_id": cls.queue_member.id,
                "department": "call_center",
            }
        )
        cls.rossi = cls._create_call_customer(
            "Rossi Impianti S.r.l.",
            phone="+39 02 7731 5120",
            contacts=[("Marco Rossi", "+39 338 701 2245"), ("Giulia Bianchi", "02 7731 5135")],
        )
        cls.marco = cls.rossi.child_ids.filtered(lambda contact: contact.name == "Marco Rossi")
        cls.verdi = cls._create_call_customer("Verdi Ristorazione", phone="+39 011 498 2271")
        # A number shared by two customers (a building's switchboard).
        cls.bianchi = cls._create_call_customer("Bianchi Serramenti", phone="+39 02 4000 1000")
        cls.neri = cls._create_call_customer("Neri Arredamenti", phone="0039 02 4000 1000")

    def _event(self, call_id, event, minutes=0.0, **values):
        """A normalised event of the PBX, ``minutes`` after 9:00."""
        item = {
            "call_id": call_id,
            "event": event,
            "timestamp": (T0 + timedelta(minutes=minutes)).isoformat() + "Z",
            **values,
        }
        return self.env["crm.relationship.phone.call"]._crm_normalize_event(item)

    def _send(self, *events, pbx=None):
        """The events handled as the endpoint does; returns the phone calls touched."""
        PhoneCall = self.env["crm.relationship.phone.call"]
        results = PhoneCall._crm_handle_events(pbx or self.pbx, list(events))
        return PhoneCall.browse([call.id for call, __ in results]).with_env(self.env)

    def _popups(self, user):
        """Payloads of the pop-up notifications sent to ``user`` in this transaction."""
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, user.partner_id))
        messages = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        return [
            message["payload"]
            for message in (json.loads(record.message) for record in messages)
            if message["type"] == NOTIFICATION_TYPE
        ]


class CrmRelationshipPhoneHttpCase(CrmRelationshipCase, HttpCase):
    """A switchboard of an Italian company, as a PBX of kind ``_pbx_kind`` reaches it over HTTP:
    two operators on extensions 201 and 202, both members of the support queue 600 whose
    responsible plans the call-backs, and customers whose numbers the tests call from."""

    _pbx_kind = "generic"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # National numbers (02 ...) are read in the country of the PBX's company.
        cls.company.country_id = cls.env.ref("base.it")
        cls.operator = cls.rel_user
        cls.supervisor = cls.rel_manager
        cls.operator_2 = new_test_user(
            cls.env,
            login="phone_operator_2",
            name="Luca Commerciale",
            groups="crm_relationship.crm_relationship_group_user",
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
