import hashlib
import logging
import secrets
import uuid
from urllib.parse import quote

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

# Seconds the web client waits for the PBX to accept a call to dial.
ORIGINATE_TIMEOUT = 5


def hash_key(key):
    """The stored form of a PBX key: keys are 256-bit random tokens, so one
    SHA-256 is enough to make the stored value useless to whoever reads it."""
    return hashlib.sha256(key.encode()).hexdigest()


class CrmRelationshipPbx(models.Model):
    """A phone system (PBX) that reports its calls to Odoo and dials for the operators.

    The PBX authenticates with a key of its own (``Authorization: Bearer``),
    generated here and shown once; only its hash is stored. Its extensions
    and queues map to Odoo users (see ``crm.relationship.pbx.extension`` and
    ``crm.relationship.pbx.queue``) so a call pops up on the right screens.
    Its events are handled by ``crm.relationship.phone.call``; the formats it
    speaks are parsed by :meth:`_crm_parse_events`.
    """

    _name = "crm.relationship.pbx"
    _description = "Phone System (PBX)"
    _inherit = ("mail.thread",)
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="Calls of this PBX belong to this company and are matched to its customers.",
    )
    kind = fields.Selection(
        [("generic", "Generic (JSON)"), ("asterisk", "Asterisk / FreePBX"), ("3cx", "3CX")],
        string="Type",
        required=True,
        default="generic",
        tracking=True,
    )
    key_hash = fields.Char(copy=False, index="btree_not_null", groups="base.group_system")
    key_hint = fields.Char(
        string="Key",
        copy=False,
        readonly=True,
        help="The first characters of the key the PBX uses, to recognise it.",
    )
    key_date = fields.Datetime(string="Key Generated On", copy=False, readonly=True, tracking=True)
    responsible_id = fields.Many2one(
        "res.users",
        string="Call-back Responsible",
        required=True,
        default=lambda self: self.env.user,
        check_company=True,
        domain="[('share', '=', False)]",
        tracking=True,
        help="Plans the call-back of a missed call when its queue has no responsible, and is the "
        "operator of a call nobody answered.",
    )
    extension_ids = fields.One2many("crm.relationship.pbx.extension", "pbx_id", string="Extensions")
    queue_ids = fields.One2many("crm.relationship.pbx.queue", "pbx_id", string="Queues")
    originate_method = fields.Selection(
        [
            ("none", "No click-to-dial"),
            ("ari", "Asterisk ARI (POST /channels)"),
            ("3cx", "3CX Call Control (MakeCall)"),
            ("http", "HTTP request (URL template)"),
        ],
        string="Click-to-dial",
        required=True,
        default="none",
        tracking=True,
    )
    originate_url = fields.Char(
        string="Dial URL",
        tracking=True,
        help="Asterisk ARI: the ARI base URL (http://pbx:8088/ari). 3CX: the PBX address "
        "(https://pbx.example.com). HTTP: a URL template with {extension}, {number} and {call_id}.",
    )
    originate_username = fields.Char(
        string="Dial User",
        groups="crm_relationship.crm_relationship_group_manager",
        help="Asterisk ARI: the ARI user. 3CX: the client id of the API client (its secret is the password). "
        "HTTP: the user of HTTP Basic authentication.",
    )
    originate_password = fields.Char(
        string="Dial Password or Token",
        groups="crm_relationship.crm_relationship_group_manager",
        help="The password of the dial user (3CX: the API client's secret; without a client id, a fixed "
        "access token).",
    )
    originate_context = fields.Char(
        string="Dialplan Context",
        default="from-internal",
        help="Asterisk ARI: the context the dialled number is sent to.",
    )
    originate_endpoint = fields.Char(
        string="Operator Endpoint",
        default="PJSIP/{extension}",
        help="Asterisk ARI: the channel of the operator's phone, rung first.",
    )
    phone_call_count = fields.Integer(compute="_compute_phone_call_count")

    _name_company_uniq = models.Constraint(
        "UNIQUE(name, company_id)", "A PBX with this name already exists in this company."
    )

    def _compute_phone_call_count(self):
        counts = dict(
            self.env["crm.relationship.phone.call"]._read_group(
                [("pbx_id", "in", self.ids)], ["pbx_id"], ["__count"]
            )
        )
        for pbx in self:
            pbx.phone_call_count = counts.get(pbx, 0)

    @api.constrains("originate_method", "originate_url")
    def _check_originate_url(self):
        for pbx in self:
            if pbx.originate_method != "none" and not (pbx.originate_url or "").startswith(
                ("http://", "https://")
            ):
                raise ValidationError(
                    self.env._("The dial URL of %(pbx)s must start with http:// or https://.", pbx=pbx.name)
                )

    # ------------------------------------------------------------------
    # Key
    # ------------------------------------------------------------------

    def action_generate_key(self):
        """Replace the PBX's key by a new one, shown once in a dialog."""
        self.ensure_one()
        self.check_access("write")
        key = secrets.token_urlsafe(32)
        self.sudo().write({"key_hash": hash_key(key), "key_hint": key[:6], "key_date": fields.Datetime.now()})
        wizard = self.env["crm.relationship.pbx.key"].create({"pbx_id": self.id, "key": key})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Key of %s", self.name),
            "res_model": "crm.relationship.pbx.key",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _crm_authenticate(self, key):
        """The active PBX whose key is ``key``, or an empty recordset. Called by
        the endpoint before anything else; never raises, so a caller cannot tell
        a wrong key from a revoked one."""
        if not key or len(key) > 200:
            return self.browse()
        # with its company, which every request reads first, in the same query
        return self.sudo().search_fetch(
            [("key_hash", "=", hash_key(key)), ("active", "=", True)], ["company_id"], limit=1
        )

    # ------------------------------------------------------------------
    # Extensions, queues and users
    # ------------------------------------------------------------------

    def _crm_get_extension_users(self, extension):
        """The users of ``extension`` on this PBX (usually one)."""
        self.ensure_one()
        if not extension:
            return self.env["res.users"]
        return self.extension_ids.filtered(lambda ext: ext.name == extension and ext.user_id.active).user_id

    def _crm_get_queue(self, code):
        self.ensure_one()
        if not code:
            return self.env["crm.relationship.pbx.queue"]
        return self.queue_ids.filtered(lambda queue: queue.code == code)[:1]

    def _crm_get_user_extension(self, user):
        """The extension of ``user`` on this PBX, or False."""
        self.ensure_one()
        return self.extension_ids.filtered(lambda ext: ext.user_id == user)[:1].name or False

    @api.model
    def _crm_get_user_pbx(self, user=None):
        """The PBX and extension the user dials from: the first active PBX of the
        current company where the user has an extension."""
        user = user or self.env.user
        extension = (
            self.env["crm.relationship.pbx.extension"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("pbx_id.active", "=", True),
                    ("pbx_id.company_id", "=", self.env.company.id),
                ],
                order="pbx_id, id",
                limit=1,
            )
        )
        return extension.pbx_id, extension.name

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_event_parsers(self):
        """``{format: method name}`` of the body formats the endpoint accepts.
        Override to add the format of another PBX: the method takes the decoded
        body and returns a list of events as :meth:`_crm_parse_generic_event` does."""
        return {"generic": "_crm_parse_generic_events", "3cx": "_crm_parse_3cx_events"}

    def _crm_parse_events(self, body, body_format="generic"):
        """Normalised events of a request body; raise ``ValidationError`` (HTTP 400) on a malformed one."""
        self.ensure_one()
        parser = self._crm_get_event_parsers().get(body_format)
        if not parser:
            raise ValidationError(self.env._("Unknown body format: %s", body_format))
        return getattr(self, parser)(body)

    def _crm_parse_generic_events(self, body):
        """One event of the generic JSON body (see the README, *Telephony*), or a list of them."""
        bodies = body if isinstance(body, list) else [body]
        if not bodies or len(bodies) > 100:
            raise ValidationError(self.env._("Send between 1 and 100 events in one request."))
        return [self.env["crm.relationship.phone.call"]._crm_normalize_event(item) for item in bodies]

    def _crm_parse_3cx_events(self, body):
        """The call journal of 3CX's CRM integration (scenario ``ReportCall``, see
        ``pbx/3cx/``): one report after the call, turned into the events it sums up."""
        PhoneCall = self.env["crm.relationship.phone.call"]
        if not isinstance(body, dict):
            raise ValidationError(self.env._("The 3CX call report must be a JSON object."))
        call_type = str(body.get("call_type") or "").strip().lower()
        kinds = {
            "inbound": ("inbound", True),
            "outbound": ("outbound", True),
            "missed": ("inbound", False),
            "notanswered": ("outbound", False),
        }
        if call_type not in kinds:
            raise ValidationError(
                self.env._(
                    "Unknown 3CX call type %(type)r: Inbound, Outbound, Missed or Notanswered.",
                    type=call_type,
                )
            )
        direction, answered = kinds[call_type]
        start = PhoneCall._crm_parse_timestamp(body.get("start"), "start")
        end = PhoneCall._crm_parse_timestamp(body.get("end"), "end") if body.get("end") else None
        duration = PhoneCall._crm_parse_duration(body.get("duration"))
        if end is None:
            end = start + duration
        call_id = body.get("call_id") or "3cx-{}-{}-{}".format(
            body.get("number") or "", body.get("agent") or "", start.strftime("%Y%m%d%H%M%S")
        )
        common = {
            "call_id": call_id,
            "direction": direction,
            "number": body.get("number"),
            "extension": body.get("agent"),
            "queue": body.get("queue"),
        }
        events = [dict(common, event="ringing", timestamp=start)]
        if answered:
            events.append(dict(common, event="answered", timestamp=max(start, end - duration)))
            events.append(dict(common, event="hangup", timestamp=end))
        else:
            events.append(dict(common, event="missed", timestamp=end))
        return [PhoneCall._crm_normalize_event(event) for event in events]

    # ------------------------------------------------------------------
    # Answers to the PBX
    # ------------------------------------------------------------------

    def _crm_get_caller_name(self, contacts):
        """The name the phones show for a number of ``contacts``: the contact and its
        customer when there is one, the customer when they all work for it, every
        customer when the number is shared."""
        customers = contacts.commercial_partner_id
        if len(contacts) == 1 and contacts != customers:
            return f"{contacts.name} ({customers.name})"
        return " / ".join(customers.mapped("name"))

    def _crm_get_lookup_result(self, contacts):
        """The JSON answer of a lookup: every contact with the number, each with the
        URL of its customer card (3CX opens it on the operator's screen)."""
        self.ensure_one()
        base_url = self.get_base_url()
        # only the columns of the answer, not the partners' hundred-odd: the PBX waits for it
        contacts.fetch(["name", "phone", "email", "commercial_partner_id"])
        contacts.commercial_partner_id.fetch(["name"])
        return {
            "name": self._crm_get_caller_name(contacts),
            "match_count": len(contacts),
            "contacts": [
                {
                    "id": contact.id,
                    "name": contact.name or "",
                    "first_name": (contact.name or "").split(" ", 1)[0],
                    "last_name": (contact.name or "").split(" ", 1)[-1],
                    "company": contact.commercial_partner_id.name or "",
                    "customer_id": contact.commercial_partner_id.id,
                    "phone": contact.phone or "",
                    "email": contact.email or "",
                    "url": f"{base_url}/odoo/customer-relationship/{contact.commercial_partner_id.id}",
                }
                for contact in contacts
            ],
        }

    def _crm_get_event_result(self, results):
        """The JSON answer to events: the state of each call and who is calling."""
        self.ensure_one()
        calls = []
        for call, created in results:
            calls.append(
                {
                    "id": call.id,
                    "call_id": call.pbx_call_id,
                    "state": call.state,
                    "created": created,
                    "customer_call_id": call.call_ids[:1].id or False,
                    "notified_user_ids": call.notified_user_ids.ids,
                }
            )
        last = results[-1][0] if results else self.env["crm.relationship.phone.call"]
        result = self._crm_get_lookup_result(last.candidate_ids)
        result["calls"] = calls
        return result

    # ------------------------------------------------------------------
    # Click-to-dial
    # ------------------------------------------------------------------

    def _crm_prepare_originate_request(self, extension, number, call_id):
        """``requests.request`` keyword arguments asking the PBX to ring ``extension``
        then dial ``number``; override for another PBX API."""
        self.ensure_one()
        pbx = self.sudo()
        auth = (pbx.originate_username, pbx.originate_password or "") if pbx.originate_username else None
        base = (pbx.originate_url or "").rstrip("/")
        if pbx.originate_method == "ari":
            return {
                "method": "POST",
                "url": f"{base}/channels",
                "auth": auth,
                "json": {
                    "endpoint": (pbx.originate_endpoint or "PJSIP/{extension}").format(extension=extension),
                    "extension": number,
                    "context": pbx.originate_context or "from-internal",
                    "priority": 1,
                    "callerId": number,
                    "channelId": call_id,
                    "variables": {"CRM_CALL_ID": call_id},
                },
            }
        if pbx.originate_method == "3cx":
            token = pbx._crm_get_3cx_token() if pbx.originate_username else pbx.originate_password
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return {
                "method": "POST",
                "url": f"{base}/callcontrol/{quote(extension)}/makecall",
                "headers": headers,
                "json": {"destination": number},
            }
        url = base.format(extension=quote(extension), number=quote(number), call_id=quote(call_id))
        return {"method": "POST", "url": url, "auth": auth}

    def _crm_get_3cx_token(self):
        """An access token of 3CX's API client (``originate_username`` is its client id,
        ``originate_password`` its secret): 3CX's tokens expire within the hour, so one is
        asked for each call placed (OAuth client credentials, ``/connect/token``)."""
        self.ensure_one()
        pbx = self.sudo()
        response = requests.post(
            f"{(pbx.originate_url or '').rstrip('/')}/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": pbx.originate_username,
                "client_secret": pbx.originate_password or "",
            },
            timeout=ORIGINATE_TIMEOUT,
        )
        response.raise_for_status()
        try:
            return response.json()["access_token"]
        except (ValueError, KeyError, TypeError) as error:
            raise requests.RequestException("3CX gave no access token") from error

    def _crm_originate(self, extension, number):
        """Ask the PBX to connect ``extension`` to ``number``; return the call id
        the outbound phone call is recorded under."""
        self.ensure_one()
        if self.originate_method == "none":
            raise UserError(self.env._("Click-to-dial is not set up on the PBX %s.", self.name))
        call_id = f"odoo-{uuid.uuid4()}"
        try:
            request_kwargs = self._crm_prepare_originate_request(extension, number, call_id)
            response = requests.request(timeout=ORIGINATE_TIMEOUT, **request_kwargs)
            response.raise_for_status()
        except requests.RequestException as error:
            _logger.warning("PBX %s refused to dial %s from %s: %s", self.id, number, extension, error)
            raise UserError(
                self.env._("The phone system did not place the call: %(error)s", error=error)
            ) from error
        return self._crm_read_originate_call_id(response) or call_id

    def _crm_read_originate_call_id(self, response):
        """The PBX's own id of the call it placed, when its answer gives one
        (3CX: ``result.callid``); its later events use it."""
        if self.originate_method != "3cx":
            return False
        try:
            result = response.json().get("result") or {}
        except (ValueError, AttributeError):
            return False
        return str(result.get("callid") or "") if isinstance(result, dict) else False

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_send_test_call(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send a Test Call"),
            "res_model": "crm.relationship.pbx.test.call",
            "view_mode": "form",
            "target": "new",
            "context": {"default_pbx_id": self.id},
        }

    def action_view_phone_calls(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_phone.crm_relationship_phone_call_action"
        )
        action["domain"] = [("pbx_id", "=", self.id)]
        action["context"] = {"default_pbx_id": self.id}
        return action

    def _crm_get_endpoint_url(self):
        return self.get_base_url() + "/crm_relationship_phone/event"
