import base64
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CrmRelationshipPhoneCase


class FakePbx(ThreadingHTTPServer):
    """A PBX API on a local port that records the requests it gets."""

    def __init__(self, status=200, answer=None):
        super().__init__(("127.0.0.1", 0), PbxRequestHandler)
        self.status = status
        self.answer = answer or {}
        self.requests = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class PbxRequestHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        is_json = self.headers.get("Content-Type") == "application/json"
        self.server.requests.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "json": json.loads(body) if body and is_json else None,
                "form": body.decode() if body and not is_json else None,
            }
        )
        answer = self.server.answer
        payload = json.dumps(answer.get(self.path, answer) if isinstance(answer, dict) else answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        return


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneDial(CrmRelationshipPhoneCase):
    @contextmanager
    def _fake_pbx(self, **kwargs):
        server = FakePbx(**kwargs)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()

    def _dial(self, partner, user=None):
        return (
            partner.with_user(user or self.rel_user)
            .with_context(allowed_company_ids=self.env.company.ids)
            .action_crm_dial()
        )

    def test_asterisk_ari_rings_the_operator_then_dials_and_records_the_call(self):
        with self._fake_pbx() as pbx_api:
            self.pbx.sudo().write(
                {
                    "originate_method": "ari",
                    "originate_url": f"{pbx_api.url}/ari",
                    "originate_username": "odoo",
                    "originate_password": "s3cret",
                }
            )
            action = self._dial(self.marco)
        self.assertEqual(action["params"]["type"], "info")
        (request,) = pbx_api.requests
        self.assertEqual(request["path"], "/ari/channels")
        self.assertEqual(
            request["headers"]["Authorization"], "Basic " + base64.b64encode(b"odoo:s3cret").decode()
        )
        body = request["json"]
        self.assertEqual(body["endpoint"], "PJSIP/201")
        self.assertEqual(
            (body["extension"], body["context"], body["priority"]), ("+39 338 701 2245", "from-internal", 1)
        )
        phone_call = self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", body["channelId"])])
        self.assertEqual(body["variables"], {"CRM_CALL_ID": body["channelId"]})
        self.assertEqual(phone_call.direction, "outbound")
        self.assertEqual(phone_call.user_id, self.rel_user)
        self.assertEqual(phone_call.contact_id, self.marco)
        call = phone_call.call_ids
        self.assertEqual(
            (call.direction, call.partner_id, call.contact_id, call.user_id),
            ("outbound", self.rossi, self.marco, self.rel_user),
        )
        self.assertIn("+39 338 701 2245", call.subject)
        # The PBX's events about the call it placed complete the same record.
        self._send(self._event(body["channelId"], "answered", 0.5, direction="outbound", extension="201"))
        self._send(self._event(body["channelId"], "hangup", 3.5, direction="outbound"))
        self.assertEqual(
            len(self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", body["channelId"])])), 1
        )
        self.assertEqual((phone_call.state, phone_call.talk_seconds, call.duration), ("done", 180, 3.0))

    def test_dialled_contact_is_the_one_recorded_even_when_its_number_is_shared(self):
        with self._fake_pbx() as pbx_api:
            self.pbx.sudo().write(
                {
                    "originate_method": "http",
                    "originate_url": f"{pbx_api.url}/dial?from={{extension}}&to={{number}}&id={{call_id}}",
                }
            )
            self._dial(self.neri)
        (request,) = pbx_api.requests
        self.assertTrue(request["path"].startswith("/dial?from=201&to=0039%2002%204000%201000&id=odoo-"))
        phone_call = self.env["crm.relationship.phone.call"].search(
            [("pbx_call_id", "=", request["path"].split("id=")[1])]
        )
        self.assertEqual(phone_call.partner_id, self.neri)
        self.assertEqual(phone_call.call_ids.partner_id, self.neri)

    def test_3cx_make_call_records_the_call_under_the_pbx_call_id(self):
        with self._fake_pbx(answer={"finalstatus": "Success", "result": {"callid": 4711}}) as pbx_api:
            self.pbx.sudo().write(
                {"originate_method": "3cx", "originate_url": pbx_api.url, "originate_password": "tok"}
            )
            self._dial(self.verdi)
        (request,) = pbx_api.requests
        self.assertEqual(request["path"], "/callcontrol/201/makecall")
        self.assertEqual(request["headers"]["Authorization"], "Bearer tok")
        self.assertEqual(request["json"], {"destination": "+39 011 498 2271"})
        phone_call = self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "4711")])
        self.assertEqual((phone_call.partner_id, phone_call.direction), (self.verdi, "outbound"))

    def test_3cx_api_client_gets_a_fresh_token_for_each_call(self):
        answers = {
            "/connect/token": {"access_token": "fresh-token", "expires_in": 3600},
            "/callcontrol/201/makecall": {"result": {"callid": 4712}},
        }
        with self._fake_pbx(answer=answers) as pbx_api:
            self.pbx.sudo().write(
                {
                    "originate_method": "3cx",
                    "originate_url": pbx_api.url,
                    "originate_username": "odoo-client",
                    "originate_password": "client-secret",
                }
            )
            self._dial(self.verdi)
        token_request, call_request = pbx_api.requests
        self.assertEqual(token_request["path"], "/connect/token")
        self.assertIn("grant_type=client_credentials", token_request["form"])
        self.assertIn("client_id=odoo-client", token_request["form"])
        self.assertEqual(call_request["headers"]["Authorization"], "Bearer fresh-token")
        self.assertTrue(self.env["crm.relationship.phone.call"].search([("pbx_call_id", "=", "4712")]))

    def test_pbx_refusing_the_call_records_nothing(self):
        with self._fake_pbx(status=503) as pbx_api:
            self.pbx.sudo().write({"originate_method": "ari", "originate_url": f"{pbx_api.url}/ari"})
            with self._assert_raises_message(UserError, "did not place the call"):
                self._dial(self.marco)
        self.assertFalse(self.env["crm.relationship.phone.call"].search([("direction", "=", "outbound")]))

    def test_dialling_needs_an_extension_a_number_and_click_to_dial(self):
        with self._assert_raises_message(UserError, "Click-to-dial is not set up"):
            self._dial(self.marco)
        self.pbx.sudo().write({"originate_method": "ari", "originate_url": "http://127.0.0.1:9/ari"})
        without_phone = self.env["res.partner"].create({"name": "Senza Telefono", "parent_id": self.rossi.id})
        with self._assert_raises_message(UserError, "has no phone number"):
            self._dial(without_phone)
        self.pbx.extension_ids.filtered(lambda ext: ext.user_id == self.rel_user).unlink()
        with self._assert_raises_message(UserError, "You have no extension"):
            self._dial(self.marco)

    def test_pbx_in_another_company_does_not_dial_for_this_one(self):
        company_b = self.env["res.company"].create({"name": "Filiale Torino"})
        for user in self.pbx.extension_ids.user_id | self.pbx.responsible_id | self.queue.user_ids:
            user.company_ids |= company_b
        self.pbx.company_id = company_b
        with self._assert_raises_message(UserError, "You have no extension"):
            self._dial(self.marco)

    def test_dial_url_must_be_http(self):
        with self._assert_raises_message(ValidationError, "must start with http"):
            self.pbx.write({"originate_method": "ari", "originate_url": "file:///etc/passwd"})
