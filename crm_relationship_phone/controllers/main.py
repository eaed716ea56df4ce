import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.exceptions import ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

# A call event is a few hundred bytes; a request of 100 events stays far below.
MAX_BODY_BYTES = 256 * 1024
# The routes of call events: a PBX posts them without session, and they write.
EVENT_ROUTE = {
    "type": "http",
    "auth": "none",
    "methods": ["POST"],
    "csrf": False,
    "save_session": False,
    "readonly": False,
}


class CrmRelationshipPhoneController(http.Controller):
    """The PBX's endpoint: call events in, who is calling out.

    Routes with ``auth="none"`` are read-only unless told otherwise: the events
    write (``readonly=False``), the lookup reads and may be served by a replica.

    Every route authenticates the PBX by its key (``Authorization: Bearer <key>``,
    HTTP Basic with the key as password, or ``X-Crm-Pbx-Key``) before reading
    the body; a missing or wrong key is answered 401 and logged, and nothing is
    written. Behind several databases, the PBX names its database with Odoo's
    ``X-Odoo-Database`` header.
    """

    # ------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------

    @http.route("/crm_relationship_phone/event", **EVENT_ROUTE)
    def crm_phone_event(self, **kwargs):
        """Call events in the generic JSON format (one object or a list)."""
        return self._crm_serve_events("generic")

    @http.route("/crm_relationship_phone/3cx/journal", **EVENT_ROUTE)
    def crm_phone_3cx_journal(self, **kwargs):
        """The call report of 3CX's CRM integration (scenario ``ReportCall``)."""
        return self._crm_serve_events("3cx")

    @http.route(
        "/crm_relationship_phone/lookup",
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def crm_phone_lookup(self, number=None, **kwargs):
        """Who a number belongs to: every matching contact (never only "the first"),
        and the name the PBX shows on the phones."""
        pbx = self._crm_authenticate()
        if not pbx:
            return self._crm_refuse()
        number = (number or "").strip()
        if not number or len(number) > 64:
            return self._crm_error(400, "A number of 1 to 64 characters is required.")
        PhoneCall = request.env["crm.relationship.phone.call"].sudo().with_company(pbx.company_id)
        values = PhoneCall._crm_prepare_match_values(pbx, number)
        contacts = request.env["res.partner"].sudo().browse(values["candidate_ids"][0][2])
        return self._crm_json(pbx._crm_get_lookup_result(contacts))

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _crm_serve_events(self, body_format):
        pbx = self._crm_authenticate()
        if not pbx:
            return self._crm_refuse()
        if (request.httprequest.content_length or 0) > MAX_BODY_BYTES:
            return self._crm_error(413, "The body is larger than %s bytes." % MAX_BODY_BYTES)
        # Cached: a request Odoo retries (concurrent update of the same call) reads it again.
        raw = request.httprequest.get_data()
        if len(raw) > MAX_BODY_BYTES:
            return self._crm_error(413, "The body is larger than %s bytes." % MAX_BODY_BYTES)
        try:
            body = json.loads(raw or b"null")
        except (UnicodeDecodeError, ValueError):
            return self._crm_error(400, "The body is not JSON.")
        try:
            events = pbx._crm_parse_events(body, body_format)
        except ValidationError as error:
            return self._crm_error(400, error.args[0])
        results = request.env["crm.relationship.phone.call"]._crm_handle_events(pbx, events)
        return self._crm_json(pbx._crm_get_event_result(results))

    def _crm_authenticate(self):
        """The PBX whose key the request carries, as superuser in its company, or None."""
        if not request.db:
            return None
        headers = request.httprequest.headers
        key = headers.get("X-Crm-Pbx-Key")
        authorization = request.httprequest.authorization
        if not key and authorization:
            key = authorization.token if authorization.type == "bearer" else authorization.password
        request.update_env(user=SUPERUSER_ID)
        pbx = request.env["crm.relationship.pbx"]._crm_authenticate(key)
        return pbx.sudo().with_company(pbx.company_id) if pbx else None

    def _crm_refuse(self):
        _logger.warning(
            "PBX request refused (%s): %s %s from %s",
            "no database" if not request.db else "missing or wrong key",
            request.httprequest.method,
            request.httprequest.path,
            request.httprequest.remote_addr,
        )
        if not request.db:
            return self._crm_error(400, "No database: name it with the X-Odoo-Database header.")
        return self._crm_error(401, "Missing or wrong PBX key.", headers=[("WWW-Authenticate", "Bearer")])

    def _crm_error(self, status, message, headers=None):
        error = {400: "bad_request", 401: "unauthorized", 413: "too_large"}[status]
        return self._crm_json({"error": error, "message": message}, status=status, headers=headers)

    def _crm_json(self, values, status=200, headers=None):
        return request.make_json_response(values, headers=headers, status=status)
