import logging
from datetime import UTC, datetime, timedelta

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

EVENTS = ("ringing", "answered", "transferred", "hangup", "missed")
DIRECTIONS = ("inbound", "outbound")
# Bus notification type of the operator's pop-up (static/src/js/phone_service.js).
NOTIFICATION_TYPE = "crm_relationship_phone/call"


class CrmRelationshipPhoneCall(models.Model):
    """A call as the PBX reported it, keyed by the PBX's call id.

    Events (ringing, answered, transferred, hung up, missed) may arrive twice,
    late or out of order, from several workers at once: each only moves the
    record's times one way (the first ring, the first answer, the last
    hang-up), the state follows from the times, and the row is locked while an
    event is applied. So a call has one record whatever the order, and a
    duration never negative.

    When the number belongs to one customer, the call is also a customer call
    (``crm.relationship.call``) that writes itself: created at the first ring,
    given its operator on answer and its duration on hang-up, closed with a
    call-back planned when nobody answered. The operator completes the outcome
    and the next action as for any call.
    """

    _name = "crm.relationship.phone.call"
    _description = "Phone Call"
    _inherit = ("mail.thread", "mail.activity.mixin")
    _order = "date_ring desc, id desc"
    _rec_name = "pbx_call_id"
    _check_company_auto = True

    pbx_id = fields.Many2one("crm.relationship.pbx", string="PBX", required=True, readonly=True, index=True)
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    pbx_call_id = fields.Char(string="PBX Call ID", required=True, readonly=True, copy=False)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")], required=True, default="inbound", readonly=True
    )
    number = fields.Char(readonly=True, help="The other party's number, as the PBX gave it.")
    extension = fields.Char(readonly=True, help="The extension that rang, answered or dialled last.")
    queue_id = fields.Many2one("crm.relationship.pbx.queue", readonly=True, index="btree_not_null")
    state = fields.Selection(
        [("ringing", "Ringing"), ("answered", "In Progress"), ("done", "Ended"), ("missed", "Not Answered")],
        required=True,
        compute="_compute_state",
        store=True,
        precompute=True,
        index=True,
        help="Follows from the times: answered or not, ended or not.",
    )
    date_ring = fields.Datetime(string="Rang At", required=True, readonly=True, default=fields.Datetime.now)
    date_answer = fields.Datetime(string="Answered At", readonly=True)
    date_end = fields.Datetime(string="Ended At", readonly=True)
    date_transfer = fields.Datetime(string="Transferred At", readonly=True)
    talk_seconds = fields.Integer(
        string="Talk Time (s)",
        compute="_compute_talk_seconds",
        store=True,
        aggregator="sum",
        help="From the answer to the hang-up.",
    )
    wait_seconds = fields.Integer(
        string="Wait Time (s)",
        compute="_compute_talk_seconds",
        store=True,
        aggregator="avg",
        help="From the first ring to the answer, or to the hang-up when nobody answered.",
    )
    user_id = fields.Many2one(
        "res.users", string="Operator", readonly=True, index="btree_not_null", help="Who answered or dialled."
    )
    contact_id = fields.Many2one(
        "res.partner",
        readonly=True,
        index="btree_not_null",
        help="The only contact with this number.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        readonly=True,
        index="btree_not_null",
        help="The customer of the contacts with this number, when they all work for the same one.",
    )
    candidate_ids = fields.Many2many(
        "res.partner",
        "crm_relationship_phone_call_candidate_rel",
        "phone_call_id",
        "partner_id",
        string="Matching Contacts",
        readonly=True,
    )
    match_count = fields.Integer(string="Matches", compute="_compute_match_count", store=True)
    notified_user_ids = fields.Many2many(
        "res.users",
        "crm_relationship_phone_call_notified_rel",
        "phone_call_id",
        "user_id",
        string="Shown To",
        readonly=True,
    )
    call_ids = fields.One2many(
        "crm.relationship.call", "phone_call_id", string="Customer Calls", readonly=True
    )
    callback_activity_id = fields.Many2one(
        "mail.activity", string="Call-back", readonly=True, ondelete="set null"
    )
    is_test = fields.Boolean(string="Test Call", readonly=True)

    _pbx_call_uniq = models.Constraint(
        "UNIQUE(pbx_id, pbx_call_id)", "The PBX already reported a call with this id."
    )
    _company_date_idx = models.Index("(company_id, date_ring DESC)")

    @api.depends("date_answer", "date_end")
    def _compute_state(self):
        for call in self:
            if call.date_end:
                call.state = "done" if call.date_answer else "missed"
            else:
                call.state = "answered" if call.date_answer else "ringing"

    @api.depends("date_ring", "date_answer", "date_end")
    def _compute_talk_seconds(self):
        for call in self:
            talk = wait = 0
            if call.date_answer and call.date_end:
                talk = (call.date_end - call.date_answer).total_seconds()
            if call.date_ring and (call.date_answer or call.date_end):
                wait = ((call.date_answer or call.date_end) - call.date_ring).total_seconds()
            call.talk_seconds = max(0, round(talk))
            call.wait_seconds = max(0, round(wait))

    @api.depends("candidate_ids")
    def _compute_match_count(self):
        for call in self:
            call.match_count = len(call.candidate_ids)

    @api.depends("pbx_call_id", "number")
    def _compute_display_name(self):
        for call in self:
            call.display_name = call.number or call.pbx_call_id

    # ------------------------------------------------------------------
    # Reading events
    # ------------------------------------------------------------------

    @api.model
    def _crm_parse_timestamp(self, value, name="timestamp"):
        """A naive UTC datetime from ISO 8601 (with a zone, or UTC) or seconds since the epoch."""
        try:
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, (int, float)):
                moment = datetime.fromtimestamp(value, UTC)
            elif isinstance(value, str):
                moment = datetime.fromisoformat(value.strip())
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
            elif isinstance(value, datetime):
                moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            else:
                raise TypeError
        except (TypeError, ValueError, OverflowError, OSError) as error:
            raise ValidationError(
                self.env._("%(name)s is not a date and time: %(value)r", name=name, value=value)
            ) from error
        return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)

    @api.model
    def _crm_parse_duration(self, value):
        """A duration from seconds or ``[hh:]mm:ss``."""
        try:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                seconds = float(value)
            elif isinstance(value, str) and value.strip():
                seconds = 0.0
                for part in value.strip().split(":"):
                    seconds = seconds * 60 + float(part)
            elif value in (None, ""):
                seconds = 0.0
            else:
                raise TypeError
        except (TypeError, ValueError) as error:
            raise ValidationError(self.env._("The duration is not a number of seconds: %r", value)) from error
        if seconds < 0 or seconds > 7 * 86400:
            raise ValidationError(self.env._("The duration is out of range: %r", value))
        return timedelta(seconds=seconds)

    @api.model
    def _crm_normalize_event(self, item):
        """A checked event ``{call_id, event, direction, number, extension, queue, timestamp}``
        from a generic JSON object; ``ValidationError`` names the first wrong key."""
        if not isinstance(item, dict):
            raise ValidationError(self.env._("An event must be a JSON object."))

        def text(key, max_length, required=False):
            value = item.get(key)
            if value is None or value is False or value == "":
                if required:
                    raise ValidationError(self.env._("The event has no %s.", key))
                return False
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValidationError(self.env._("%s must be a string.", key))
            value = str(value).strip()
            if len(value) > max_length:
                raise ValidationError(
                    self.env._("%(key)s is longer than %(max)s characters.", key=key, max=max_length)
                )
            return value

        event = text("event", 20, required=True).lower()
        if event not in EVENTS:
            raise ValidationError(
                self.env._(
                    "Unknown event %(event)r: one of %(events)s.", event=event, events=", ".join(EVENTS)
                )
            )
        direction = (text("direction", 10) or "inbound").lower()
        if direction not in DIRECTIONS:
            raise ValidationError(self.env._("The direction must be inbound or outbound."))
        timestamp = item.get("timestamp")
        return {
            "call_id": text("call_id", 128, required=True),
            "event": event,
            "direction": direction,
            "number": text("number", 64),
            "extension": text("extension", 32),
            "queue": text("queue", 64),
            "timestamp": self._crm_parse_timestamp(timestamp)
            if timestamp not in (None, "")
            else fields.Datetime.now(),
        }

    # ------------------------------------------------------------------
    # Handling events
    # ------------------------------------------------------------------

    @api.model
    def _crm_handle_events(self, pbx, events, test=False):
        """Apply the normalised ``events`` of ``pbx``; notify the operators after
        the commit; return ``[(phone call, created)]`` in the order of the events.

        Runs as superuser: the PBX authenticated with its own key, and an event
        must reach every operator whatever their rights. The company is the
        PBX's, and only its customers and shared contacts are matched."""
        PhoneCall = (
            self.sudo()
            .with_company(pbx.company_id)
            .with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        )
        results = []
        for event in events:
            call, created = PhoneCall._crm_lock_or_create(pbx, event, test=test)
            before = call.state
            call._crm_apply_event(event)
            call._crm_after_event(event, before, created)
            results.append((call, created))
        return results

    @api.model
    def _crm_lock_or_create(self, pbx, event, test=False):
        """The phone call of ``event``, locked until the end of the transaction,
        created with the caller's lookup if it is the first event of the call.

        Two workers receiving the first two events of a call at once both try to
        create it: the second meets the unique key and raises a concurrency
        error, so Odoo runs its request again and it finds the record."""
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM %s WHERE pbx_id = %s AND pbx_call_id = %s FOR NO KEY UPDATE",
                SQL.identifier(self._table),
                pbx.id,
                event["call_id"],
            )
        )
        if rows:
            return self.browse(rows[0][0]), False
        try:
            with self.env.cr.savepoint():
                call = self.create(self._crm_prepare_phone_call_values(pbx, event, test=test))
                call.flush_recordset()
        except UniqueViolation as error:
            raise ConcurrencyError(f"phone call {event['call_id']} created by another request") from error
        return call, True

    @api.model
    def _crm_prepare_phone_call_values(self, pbx, event, test=False):
        """Values of the phone call opened by the first event of a call; override to record more."""
        values = {
            "pbx_id": pbx.id,
            "pbx_call_id": event["call_id"],
            "direction": event["direction"],
            "number": event["number"],
            "extension": event["extension"],
            "queue_id": pbx._crm_get_queue(event["queue"]).id,
            "date_ring": event["timestamp"],
            "is_test": test,
        }
        if event["direction"] == "outbound" and event["extension"]:
            values["user_id"] = pbx._crm_get_extension_users(event["extension"])[:1].id
        values.update(self._crm_prepare_match_values(pbx, event["number"]))
        return values

    @api.model
    def _crm_prepare_match_values(self, pbx, number):
        """Who the number belongs to, among the contacts of the PBX's company and the shared ones:
        every match is kept; the contact and the customer only when there is no doubt."""
        # Only the columns the match reads, not the contacts' hundred-odd: this runs on every call.
        Partner = (
            self.env["res.partner"]
            .sudo()
            .with_context(allowed_company_ids=pbx.company_id.ids, prefetch_fields=False)
        )
        # Click-to-dial knows whom it called, even when the number is shared.
        matches = Partner.browse(self.env.context.get("crm_phone_dialled_partner_id"))
        if not matches and number:
            matches = Partner._crm_search_by_phone(number).filtered(
                lambda partner: not partner.company_id or partner.company_id == pbx.company_id
            )
        customers = matches.commercial_partner_id
        return {
            "candidate_ids": [fields.Command.set(matches.ids)],
            "contact_id": matches.id if len(matches) == 1 else False,
            "partner_id": customers.id if len(customers) == 1 else False,
        }

    def _crm_apply_event(self, event):
        """Move the call by ``event``: the first ring, the first answer (whose
        extension is the operator's), the latest transfer, the last end."""
        self.ensure_one()
        kind, moment, extension = event["event"], event["timestamp"], event["extension"]
        values = {}
        if moment < self.date_ring:
            values["date_ring"] = moment
        if kind == "ringing" and extension and not self.extension:
            values["extension"] = extension
        elif kind == "answered" and (not self.date_answer or moment < self.date_answer):
            values["date_answer"] = moment
            if extension and not (self.date_transfer and self.date_transfer > moment):
                values.update(self._crm_prepare_operator_values(extension))
        elif kind == "transferred" and extension and moment >= (self.date_transfer or self.date_ring):
            values.update(self._crm_prepare_operator_values(extension), date_transfer=moment)
        elif kind in ("hangup", "missed") and (not self.date_end or moment > self.date_end):
            values["date_end"] = moment
        if event["number"] and not self.number:
            # The first event to arrive did not carry the number (a hang-up before its ring).
            values.update(number=event["number"], direction=event["direction"])
            values.update(self._crm_prepare_match_values(self.pbx_id, event["number"]))
        queue = self.pbx_id._crm_get_queue(event["queue"]) if not self.queue_id else False
        if queue:
            values["queue_id"] = queue.id
        if not values:
            return
        date_answer = values.get("date_answer", self.date_answer)
        date_end = values.get("date_end", self.date_end)
        if date_end and date_answer and date_end < date_answer:
            # A hang-up stamped before the answer (PBX clocks, retries): the call
            # ended when it was answered, never before.
            values["date_end"] = date_answer
        self.write(values)

    def _crm_prepare_operator_values(self, extension):
        """The extension now on the call and its user, the operator of the call."""
        user = self.pbx_id._crm_get_extension_users(extension)[:1]
        return {"extension": extension, "user_id": user.id or self.user_id.id}

    def _crm_after_event(self, event, state_before, created):
        """The customer call, the call-back and the operators' screens follow the new state."""
        self.ensure_one()
        new_customer_call = self.partner_id and not self.call_ids and not self.is_test
        if new_customer_call:
            self.env["crm.relationship.call"].create(self._prepare_crm_call_values())
        elif self.call_ids:
            self.call_ids._crm_sync_phone_call(self)
        if self.state == "missed" and not self.is_test:
            if new_customer_call and self.callback_activity_id:
                # The caller became known after the call-back was planned on the phone
                # call (its hang-up came before its ring): plan it on the customer.
                self.callback_activity_id.unlink()
            if not self.callback_activity_id:
                self._crm_plan_callback()
        elif state_before == "missed" and self.callback_activity_id:
            # The answer arrived after the hang-up: it was not missed after all.
            self.call_ids.filtered(lambda call: call.state == "done").write(
                {"state": "open", "next_action_activity_id": False, "outcome_id": False}
            )
            self.callback_activity_id.unlink()
        if created or self.state != state_before or event["event"] == "transferred":
            self._crm_notify_operators(event)

    # ------------------------------------------------------------------
    # The customer call
    # ------------------------------------------------------------------

    def _crm_get_callback_user(self):
        self.ensure_one()
        return self.queue_id.responsible_id or self.pbx_id.responsible_id

    def _crm_get_default_operator(self):
        """The operator of the customer call before anyone answers: the user of the
        extension that rings, else the call-back responsible."""
        self.ensure_one()
        return (
            self.user_id
            or self.pbx_id._crm_get_extension_users(self.extension)[:1]
            or self._crm_get_callback_user()
        )

    def _prepare_crm_call_values(self):
        """Values of the customer call recording this phone call; override to pre-fill more."""
        self.ensure_one()
        Call = self.env["crm.relationship.call"]
        operator = self._crm_get_default_operator()
        values = Call._prepare_partner_call_values(self.contact_id or self.partner_id)
        lang = operator.lang or self.env.lang
        subject = (
            self.with_context(lang=lang).env._("Incoming call from %s", self.number)
            if self.direction == "inbound"
            else self.with_context(lang=lang).env._("Call to %s", self.number)
        )
        values.update(
            {
                "subject": subject,
                "direction": self.direction,
                "company_id": self.company_id.id,
                "user_id": operator.id,
                "phone_call_id": self.id,
                **self._crm_get_crm_call_times(),
            }
        )
        channel = self.env.ref(
            "crm_relationship.crm_relationship_call_channel_phone", raise_if_not_found=False
        )
        if channel:
            values["channel_id"] = channel.id
        if self.queue_id.department:
            values["department"] = self.queue_id.department
        return values

    def _crm_get_crm_call_times(self):
        """Start and duration of the customer call: from the answer (the ring when unanswered)."""
        self.ensure_one()
        return {
            "date_start": self.date_answer or self.date_ring,
            "duration": round(self.talk_seconds / 60.0, 1),
        }

    def _crm_plan_callback(self):
        """A call-back activity for a call nobody answered: on the customer (its next
        action) when the number is known, else on this record; the customer call is
        closed with the call-back as its next action. The responsible finds it among
        their activities: no "assigned to you" e-mail for each missed call.

        The activity makes its user a follower of the customer: when another worker
        does the same for another call of the customer at the same instant, the one
        that comes second meets the other's follower and raises a concurrency error,
        so that Odoo runs its request again (and then sees the follower)."""
        self.ensure_one()
        user = self._crm_get_callback_user()
        target = self.partner_id or self
        lang = user.lang or self.env.lang
        summary = self.with_context(lang=lang).env._("Call back %s", self.number or self.pbx_call_id)
        try:
            with self.env.cr.savepoint():
                activity = target.with_context(mail_activity_quick_update=True).activity_schedule(
                    "mail.mail_activity_data_call",
                    date_deadline=fields.Date.context_today(self.with_user(user)),
                    summary=summary,
                    user_id=user.id,
                )
        except UniqueViolation as error:
            raise ConcurrencyError(
                f"call-back of phone call {self.pbx_call_id}: follower added by another request"
            ) from error
        self.callback_activity_id = activity
        outcome = self.env.ref(
            "crm_relationship.crm_relationship_call_outcome_call_back"
            if self.direction == "inbound"
            else "crm_relationship.crm_relationship_call_outcome_no_answer",
            raise_if_not_found=False,
        )
        self.call_ids.filtered(lambda call: call.state == "open").write(
            {"state": "done", "next_action_activity_id": activity.id, "outcome_id": outcome.id}
        )

    # ------------------------------------------------------------------
    # The operators' screens
    # ------------------------------------------------------------------

    def _crm_get_target_users(self, event):
        """Users whose screen shows the call: the extension's users and the queue's members."""
        self.ensure_one()
        users = self.pbx_id._crm_get_extension_users(event["extension"] or self.extension)
        if self.state == "ringing":
            users |= self.queue_id.user_ids
        users |= self.user_id
        return users.filtered(lambda user: user.active and not user.share)

    def _crm_notify_operators(self, event):
        """Push the pop-up (or its update) to every user who sees this call, computed
        with each user's own rights; sent by the bus after the commit."""
        self.ensure_one()
        users = self._crm_get_target_users(event)
        if users - self.notified_user_ids:
            self.notified_user_ids |= users
        Bus = self.env["bus.bus"]
        for user in self.notified_user_ids:
            Bus._sendone(user.partner_id, NOTIFICATION_TYPE, self._crm_get_popup_values(user))

    def _crm_get_popup_values(self, user):
        """What ``user``'s pop-up shows: the caller, the customers the number belongs to
        (as far as the user may read them) with the card's alerts, equipment count and
        the customer call to complete."""
        self.ensure_one()
        me = (
            self.with_user(user)
            .with_company(self.company_id)
            .with_context(
                allowed_company_ids=(user.company_ids & self.company_id).ids or user.company_id.ids,
                lang=user.lang,
            )
        )
        contacts = me.sudo().candidate_ids.with_env(me.env)._filtered_access("read")
        customers = contacts.commercial_partner_id._filtered_access("read")
        has_card = user.has_group("crm_relationship.crm_relationship_group_user")
        alerts = customers._crm_get_alerts() if has_card and customers else {}
        calls = (
            me.sudo().call_ids.with_env(me.env)._filtered_access("read")
            if has_card
            else me.env["crm.relationship.call"]
        )
        state_labels = dict(self._fields["state"]._description_selection(me.env))
        return {
            "id": self.id,
            "pbx_call_id": self.pbx_call_id,
            "state": self.state,
            "state_label": state_labels[self.state],
            "direction": self.direction,
            "number": self.number or "",
            "is_test": self.is_test,
            "mine": self.user_id == user,
            "operator": self.user_id.name or False,
            "call_id": calls[:1].id,
            "match_count": self.match_count,
            "contacts": [
                {
                    "id": contact.id,
                    "name": contact.name or contact.display_name,
                    "customer_id": contact.commercial_partner_id.id,
                }
                for contact in contacts
            ],
            "customers": [
                {
                    "id": customer.id,
                    "name": customer.display_name,
                    "alerts": alerts.get(customer.id, []),
                    "equipment_count": customer.crm_equipment_count if has_card else False,
                    "open_defect_count": customer.crm_defect_open_count if has_card else False,
                }
                for customer in customers
            ],
            "can_open_card": has_card,
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.readonly
    def action_open_crm_card(self):
        self.ensure_one()
        self.check_access("read")
        customer = self.partner_id or self.candidate_ids.commercial_partner_id[:1]
        if not customer:
            raise UserError(
                self.env._("Nobody is known with this number: log the call to create the contact.")
            )
        return customer.action_open_crm_card()

    @api.readonly
    def action_log_call(self):
        """The customer call of this phone call, or the caller lookup on its number.
        Only reads: served by a read replica when Odoo has one."""
        self.ensure_one()
        self.check_access("read")
        call = self.call_ids[:1]
        if call:
            return {
                "type": "ir.actions.act_window",
                "res_model": "crm.relationship.call",
                "res_id": call.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Caller Lookup"),
            "res_model": "crm.relationship.call.lookup",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_phone": self.number,
                "default_direction": self.direction,
                "default_phone_call_id": self.id,
            },
        }

    # ------------------------------------------------------------------
    # Demo
    # ------------------------------------------------------------------

    @api.model
    def _crm_load_demo_events(self, pbx_id):
        """Demo: the morning of the switchboard, sent through the same handling as a PBX's events."""
        pbx = self.env["crm.relationship.pbx"].browse(pbx_id)
        start = fields.Datetime.now().replace(hour=8, minute=30, second=0) - timedelta(days=1)

        def at(minutes):
            return (start + timedelta(minutes=minutes)).isoformat()

        calls = [
            # Marco Rossi calls the technical support from his mobile, answered at extension 201.
            ("demo-1001", "+39 335 612 4478", "600", [("ringing", 0), ("answered", 0.3), ("hangup", 6.5)]),
            # An unknown number, nobody answers: a call-back for the queue's responsible.
            ("demo-1002", "+39 06 4521 7788", "600", [("ringing", 22), ("missed", 23)]),
            # The purchasing office of Rossi Impianti calls the sales office.
            ("demo-1003", "0039 02 8945 1135", "700", [("ringing", 41), ("answered", 41.2), ("hangup", 44)]),
        ]
        events = [
            self._crm_normalize_event(
                {
                    "call_id": call_id,
                    "event": kind,
                    "number": number,
                    "queue": queue,
                    "extension": "201" if kind == "answered" else None,
                    "timestamp": at(minutes),
                }
            )
            for call_id, number, queue, steps in calls
            for kind, minutes in steps
        ]
        self._crm_handle_events(pbx, events)
