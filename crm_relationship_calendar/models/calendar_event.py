from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, frozendict
from odoo.tools.misc import format_datetime, format_time

CONTACT_KINDS = [("appointment", "Appointment"), ("visit", "Visit")]


class CalendarEvent(models.Model):
    """An appointment or a visit with a customer, on its card and its timeline.

    The customer of an event is the commercial entity of one of its external
    attendees (``crm_partner_id``): the contact of the document the event was
    planned from when it is one, else the first external attendee. A private
    event stays its organizer's own: it is not a customer document. An event
    planned from a call (``crm_call_id``) shows on the timeline through its
    call, the record of that contact, and closes it with its outcome.
    """

    _name = "calendar.event"
    _inherit = ("calendar.event", "crm.relationship.customer.document")

    _crm_customer_path = "crm_customer_id"
    _crm_company_field = "crm_company_id"
    _crm_timeline_code = 10
    _crm_timeline_state_field = "crm_state"
    _crm_card_figures = frozendict(
        appointments=frozendict(
            crm_appointment_count=0,
            crm_appointment_planned_count=0,
            crm_last_appointment_date=False,
            crm_next_appointment=False,
        )
    )

    # public: the customer's person the event is with, one of its attendees (seen by whoever sees the event).
    crm_partner_id = fields.Many2one(
        "res.partner",
        string="Customer Contact",
        compute="_compute_crm_partner_id",
        store=True,
        index="btree_not_null",
        help="The attendee the appointment is with: the contact it was planned from, else the first attendee "
        "who is neither an employee nor one of the companies.",
    )
    # public: the commercial entity of an attendee, visible to whoever sees the event.
    crm_customer_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_crm_customer_id",
        store=True,
        index="btree_not_null",
        help="The customer (company) whose card shows the appointment.",
    )
    # public: the company of the organizer or of the call, a routing fact and no figure.
    crm_company_id = fields.Many2one(
        "res.company",
        string="Customer Relationship Company",
        compute="_compute_crm_company_id",
        store=True,
        index="btree_not_null",
        help="The company whose users see the appointment on the customer card: the call's, else the "
        "organizer's.",
    )
    # public: whether the meeting takes place at the customer's site, chosen by the organizer.
    crm_contact_kind = fields.Selection(
        CONTACT_KINDS,
        string="Contact Type",
        default="appointment",
        help="A visit takes place at the customer's site; an appointment anywhere else, or online.",
    )
    # public: planned or held, from the event's own start.
    crm_state = fields.Selection(
        [("planned", "Planned"), ("held", "Held")],
        string="Appointment Status",
        compute="_compute_crm_state",
    )
    crm_call_id = fields.Many2one(
        "crm.relationship.call",
        string="Call",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        groups="crm_relationship.crm_relationship_group_user",
        help="The contact with the customer this event plans: its outcome closes the call.",
    )
    crm_call_state = fields.Selection(
        related="crm_call_id.state",
        string="Call Status",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_call_outcome_id = fields.Many2one(
        related="crm_call_id.outcome_id",
        string="Outcome",
        groups="crm_relationship.crm_relationship_group_user",
    )

    _crm_customer_start_idx = models.Index("(crm_customer_id, start DESC) WHERE crm_customer_id IS NOT NULL")

    @api.depends("partner_ids", "partner_ids.partner_share", "res_model", "res_id")
    def _compute_crm_partner_id(self):
        attendees = self.partner_ids
        company_partners = set(
            attendees.sudo()
            .with_context(active_test=False)
            .search([("id", "in", attendees.ids), ("ref_company_ids", "!=", False)])
            .ids
        )
        for event in self:
            external = event.partner_ids.filtered(lambda p: p.partner_share and p.id not in company_partners)
            planned_with = (
                external.filtered(lambda p, event=event: p.id == event.res_id)
                if event.res_model == "res.partner"
                else external.browse()
            )
            event.crm_partner_id = planned_with or external.sorted("id")[:1]

    @api.depends("crm_partner_id.commercial_partner_id")
    def _compute_crm_customer_id(self):
        for event in self:
            event.crm_customer_id = event.crm_partner_id.commercial_partner_id

    @api.depends("crm_call_id.company_id", "user_id.company_id")
    def _compute_crm_company_id(self):
        for event in self.sudo():
            event.crm_company_id = event.crm_call_id.company_id or event.user_id.company_id

    @api.depends("start")
    def _compute_crm_state(self):
        now = fields.Datetime.now()
        for event in self:
            event.crm_state = "planned" if event.start and event.start > now else "held"

    @api.model_create_multi
    def create(self, vals_list):
        self._crm_check_call_access(vals_list)
        events = super().create(vals_list)
        if not self.env.context.get("crm_no_meeting_activity"):
            events._crm_plan_meeting_activities()
        return events

    def write(self, vals):
        self._crm_check_call_access([vals])
        result = super().write(vals)
        if {"partner_ids", "attendee_ids"} & vals.keys() and not self.env.context.get(
            "crm_no_meeting_activity"
        ):
            self._crm_plan_meeting_activities()
        return result

    def unlink(self):
        """The *Meeting* activities of the events go with them (deleted by the
        database): the customers they were the next action of get their next
        earliest activity."""
        Partner = self.env["res.partner"]
        planning = Partner._crm_get_customers_planning(self.sudo().activity_ids.ids)
        result = super().unlink()
        Partner._crm_refresh_relationship_status(planning, last_contact=False)
        return result

    @api.model
    def _crm_check_call_access(self, vals_list):
        """An event planning a call closes it with its date and duration: only
        who may work on the call links an event to it (as when planning it)."""
        call_ids = {vals["crm_call_id"] for vals in vals_list if vals.get("crm_call_id")}
        if call_ids:
            self.env["crm.relationship.call"].browse(call_ids).check_access("write")

    # ------------------------------------------------------------------
    # Planned appointments are the customer's next action
    # ------------------------------------------------------------------

    def _crm_plan_meeting_activities(self, planned_by_call=False):
        """Link the upcoming events with a customer contact, planned without a
        document and not private, to that contact with a *Meeting* activity, as Odoo does for
        a meeting planned from a record: the meeting is then the customer's
        next planned action (card, alert, filters), moves with the event and
        disappears with it.

        The activity is created with the user's rights. An event planned from
        a call (``planned_by_call``) is the operator's own contact with the
        customer: the call proves the right to plan it, as for the next action
        planned when a call is closed, so it is created even when the operator
        may not edit the contact."""
        now = fields.Datetime.now()
        events = self.filtered(
            lambda e: (
                e.crm_partner_id
                and e.effective_privacy != "private"
                and not e.res_model_id
                and not e.activity_ids
                and e.start
                and e.stop > now
            )
        )
        if not events:
            return
        activity_type = self._crm_get_meeting_activity_type()
        if not activity_type:
            return
        if not planned_by_call:
            events = events.filtered(
                lambda e: e.crm_partner_id.has_access(e.crm_partner_id._mail_post_access)
            )
        partner_model_id = self.env["ir.model"]._get_id("res.partner")
        for contact, contact_events in events.grouped("crm_partner_id").items():
            contact_events.with_context(crm_no_meeting_activity=True).write(
                {"res_model_id": partner_model_id, "res_id": contact.id}
            )
        values = [
            event._prepare_meeting_activity_values(activity_type, event.crm_partner_id) for event in events
        ]
        Activity = self.env["mail.activity"].sudo() if planned_by_call else self.env["mail.activity"]
        Activity.create(values)

    @api.model
    def _crm_get_meeting_activity_type(self):
        return self.env["mail.activity.type"].search(
            [("category", "=", "meeting"), ("res_model", "in", (False, "res.partner"))], limit=1
        )

    def _prepare_meeting_activity_values(self, activity_type, contact):
        """Values of the *Meeting* activity of the event on ``contact``; override to add fields."""
        self.ensure_one()
        return {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": contact.id,
            "activity_type_id": activity_type.id,
            "summary": self.name,
            "date_deadline": self._get_activity_deadline_from_start(self.start, self.allday),
            "user_id": self.user_id.id or self.env.uid,
            "calendar_event_id": self.id,
        }

    # ------------------------------------------------------------------
    # The outcome closes the call
    # ------------------------------------------------------------------

    def action_crm_record_outcome(self):
        """Close the call this event plans: its outcome, then the next action."""
        self.ensure_one()
        call = self.crm_call_id
        if not call:
            raise UserError(self.env._("This event was not planned from a call."))
        action = call.action_close()
        action["context"] = dict(action["context"], default_event_id=self.id)
        return action

    # ------------------------------------------------------------------
    # Customer document: appointments on the card and the timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_customer_document_domain(self):
        """Events with a customer among their attendees, except private ones:
        private by their own privacy, or by their organizer's default privacy
        when they have none (as Odoo's calendar reads it)."""
        private_organizers = (
            self.env["res.users.settings"]
            .sudo()
            ._search([("calendar_default_privacy", "=", "private")])
            .select("user_id")
        )
        return Domain("crm_customer_id", "!=", False) & (
            Domain("privacy", "in", ("public", "confidential"))
            | (Domain("privacy", "=", False) & Domain("user_id", "not in", private_organizers))
        )

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL(
            """%(customer)s IS NOT NULL AND %(active)s
               AND (%(privacy)s IN ('public', 'confidential')
                    OR (%(privacy)s IS NULL AND NOT EXISTS (
                            SELECT 1 FROM res_users_settings organizer_settings
                             WHERE organizer_settings.user_id = %(organizer)s
                               AND organizer_settings.calendar_default_privacy = 'private')))""",
            customer=SQL.identifier(alias, "crm_customer_id"),
            active=SQL.identifier(alias, "active"),
            privacy=SQL.identifier(alias, "privacy"),
            organizer=SQL.identifier(alias, "user_id"),
        )

    @api.model
    def _crm_get_recorded_by_call_sql(self, alias):
        """Whether the event's contact is recorded by its call (which then
        shows it on the timeline and counts its time)."""
        return SQL("%s IS NOT NULL", SQL.identifier(alias, "crm_call_id"))

    @api.model
    def _crm_get_timeline_where(self, alias):
        return SQL(
            "%s AND NOT %s", super()._crm_get_timeline_where(alias), self._crm_get_recorded_by_call_sql(alias)
        )

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL()

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.start",
            "entry_type": "doc.crm_contact_kind",
            "department": "'sales'",
            "partner_id": "doc.crm_partner_id",
            "commercial_partner_id": "doc.crm_customer_id",
            "user_id": "doc.user_id",
            "state": "CASE WHEN doc.start > (now() AT TIME ZONE 'UTC') THEN 'planned' ELSE 'held' END",
        }

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("appointment", self.env._("Appointment")), ("visit", self.env._("Visit"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "calendar.event": [
                "start",
                "name",
                "crm_partner_id",
                "crm_customer_id",
                "crm_company_id",
                "user_id",
                "crm_contact_kind",
                "crm_call_id",
                "privacy",
                "active",
            ],
        }

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """When, where and with whom."""
        return {event.id: event._crm_get_appointment_summary() for event in self.browse(ids)}

    def _crm_get_appointment_summary(self):
        """``"05/12/2026 10:00 - 11:00 · Via Roma 1, Milano · Mario Rossi, Anna Verdi"``."""
        self.ensure_one()
        tz = self.env.context.get("tz") or self.env.user.tz
        when = format_datetime(self.env, self.start, tz=tz, dt_format="short")
        if self.stop and not self.allday:
            when = f"{when} - {format_time(self.env, self.stop, tz=tz, time_format='short')}"
        where = self.location or self.videocall_location
        who = ", ".join(self.partner_ids.sorted("name").mapped("name"))
        return " · ".join(part for part in (when, where, who) if part)

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Appointments held (all of them) and planned, the last one and the next one."""
        now = fields.Datetime.now()
        domain = self._crm_get_documents_domain(customers)
        result = {}
        for customer, count, last in self._read_group(
            domain & Domain("start", "<=", now), ["crm_customer_id"], ["__count", "start:max"]
        ):
            result[customer.id] = {"crm_appointment_count": count, "crm_last_appointment_date": last}
        planned = self._read_group(
            domain & Domain("start", ">", now), ["crm_customer_id"], ["__count", "start:min"]
        )
        if planned:
            upcoming = self.search_fetch(
                domain
                & Domain("crm_customer_id", "in", [customer.id for customer, __, __ in planned])
                & Domain("start", "in", list({start for __, __, start in planned})),
                [
                    "crm_customer_id",
                    "start",
                    "stop",
                    "allday",
                    "name",
                    "crm_contact_kind",
                    "user_id",
                    "location",
                ],
                order="start, id",
            )
            next_events = {}
            for event in upcoming:
                next_events.setdefault(event.crm_customer_id.id, event)
            for customer, count, __ in planned:
                result.setdefault(customer.id, {}).update(
                    crm_appointment_planned_count=count,
                    crm_next_appointment=next_events[customer.id]._crm_get_next_appointment_text()
                    if customer.id in next_events
                    else False,
                )
        return result

    def _crm_get_next_appointment_text(self):
        """``"05/12/2026 10:00 · Visit · Marco Bianchi · Via Roma 1"``: when, what, who, where."""
        self.ensure_one()
        kinds = dict(self._fields["crm_contact_kind"]._description_selection(self.env))
        tz = self.env.context.get("tz") or self.env.user.tz
        parts = (
            format_datetime(self.env, self.start, tz=tz, dt_format="short"),
            kinds.get(self.crm_contact_kind),
            self.user_id.name,
            self.location,
        )
        return " · ".join(part for part in parts if part)
