import base64

from odoo.tests import HttpCase, tagged

from .common import PBX_KEY, CrmRelationshipPhoneCase

EVENT_URL = "/crm_relationship_phone/event"
LOOKUP_URL = "/crm_relationship_phone/lookup"
LOGGER = "odoo.addons.crm_relationship_phone.controllers.main"


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneEndpoint(CrmRelationshipPhoneCase, HttpCase):
    """The PBX's side: HTTP requests with and without the key, good and bad bodies."""

    def _post(self, body, key=PBX_KEY, url=EVENT_URL, headers=None, raw=None):
        headers = dict({"X-Odoo-Database": self.env.cr.dbname}, **(headers or {}))
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return self.url_open(url, data=raw, headers=headers)
        return self.url_open(url, json=body, headers=headers)

    def _phone_calls(self):
        return self.env["crm.relationship.phone.call"].search([("pbx_id", "=", self.pbx.id)])

    def test_generic_json_event_records_the_call_and_names_the_caller(self):
        response = self._post(
            {
                "call_id": "http-1",
                "event": "ringing",
                "number": "338 701 2245",
                "extension": "201",
                "queue": "600",
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        result = response.json()
        self.assertEqual(result["name"], "Marco Rossi (Rossi Impianti S.r.l.)")
        self.assertEqual(result["match_count"], 1)
        (contact,) = result["contacts"]
        self.assertEqual((contact["id"], contact["customer_id"]), (self.marco.id, self.rossi.id))
        self.assertTrue(contact["url"].endswith(f"/odoo/customer-relationship/{self.rossi.id}"))
        (call,) = result["calls"]
        phone_call = self._phone_calls()
        self.assertEqual((call["id"], call["state"], call["created"]), (phone_call.id, "ringing", True))
        self.assertEqual(call["customer_call_id"], phone_call.call_ids.id)
        self.assertEqual(sorted(call["notified_user_ids"]), sorted((self.rel_user | self.queue_member).ids))
        # A list of events, the same ringing again among them: one record.
        response = self._post(
            [
                {"call_id": "http-1", "event": "ringing", "number": "338 701 2245"},
                {"call_id": "http-1", "event": "answered", "extension": "201", "timestamp": 1795000000},
                {"call_id": "http-1", "event": "hangup", "timestamp": "2026-11-18T08:30:00+01:00"},
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual([call["created"] for call in response.json()["calls"]], [False, False, False])
        self.assertEqual(len(self._phone_calls()), 1)

    def test_key_in_basic_auth_or_own_header_is_accepted(self):
        basic = base64.b64encode(f"pbx:{PBX_KEY}".encode()).decode()
        for number, headers in (
            ("1", {"Authorization": f"Basic {basic}"}),
            ("2", {"X-Crm-Pbx-Key": PBX_KEY}),
        ):
            response = self._post(
                {"call_id": f"auth-{number}", "event": "ringing"}, key=None, headers=headers
            )
            self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self._phone_calls()), 2)

    def test_missing_or_wrong_key_is_refused_logged_and_creates_nothing(self):
        body = {"call_id": "intruder", "event": "ringing", "number": "+39 338 701 2245"}
        archived = self.pbx.copy({"name": "Centralino Dismesso", "active": False})
        archived.sudo().key_hash = self.pbx.sudo().key_hash[::-1]
        for key in (None, "wrong-key", PBX_KEY[:-1], "x" * 500):
            with self.subTest(key=key), self.assertLogs(LOGGER, "WARNING") as logs:
                response = self._post(body, key=key)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json()["error"], "unauthorized")
                self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
            self.assertIn("missing or wrong key", logs.output[0])
            self.assertIn("/crm_relationship_phone/event", logs.output[0])
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(
                self._post({}, key="wrong-key", url=f"{LOOKUP_URL}?number=3387012245").status_code, 401
            )
        self.assertFalse(self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "intruder")]))

    def test_archived_pbx_key_is_refused(self):
        self.pbx.action_archive()
        with self.assertLogs(LOGGER, "WARNING"):
            response = self._post({"call_id": "archived", "event": "ringing"})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._phone_calls())

    def test_malformed_body_is_a_clear_400_and_creates_nothing(self):
        cases = [
            (b"{not json", "not JSON"),
            (b'{"event": "ringing"}', "no call_id"),
            (b'{"call_id": "m1", "event": "ring"}', "Unknown event"),
            (
                (
                    b'[{"call_id": "m2", "event": "ringing"}, '
                    b'{"call_id": "m3", "event": "ringing", "timestamp": "soon"}]'
                ),
                "not a date",
            ),
            (b"[]", "between 1 and 100"),
            (b'"ringing"', "JSON object"),
        ]
        for raw, message in cases:
            with self.subTest(raw=raw):
                response = self._post(None, raw=raw)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertEqual(response.json()["error"], "bad_request")
                self.assertIn(message, response.json()["message"])
        self.assertFalse(self._phone_calls(), "a bad event in a list refuses the whole list")
        response = self._post(None, raw=b"[" + b'{"call_id": "x", "event": "ringing"},' * 300 + b"{}]")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._phone_calls())

    def test_lookup_returns_every_contact_of_a_shared_number(self):
        headers = {"Authorization": f"Bearer {PBX_KEY}", "X-Odoo-Database": self.env.cr.dbname}
        result = self.url_open(f"{LOOKUP_URL}?number=02 4000 1000", headers=headers).json()
        self.assertEqual(result["match_count"], 2)
        self.assertEqual(
            sorted(contact["name"] for contact in result["contacts"]),
            ["Bianchi Serramenti", "Neri Arredamenti"],
        )
        self.assertEqual(result["name"], "Bianchi Serramenti / Neri Arredamenti")
        unknown = self.url_open(f"{LOOKUP_URL}?number=+41 91 000 00 00", headers=headers).json()
        self.assertEqual((unknown["match_count"], unknown["contacts"], unknown["name"]), (0, [], ""))
        self.assertEqual(self.url_open(LOOKUP_URL, headers=headers).status_code, 400)
        self.assertFalse(self._phone_calls(), "a lookup records nothing")
