"""Customer card and timeline benchmark.

Seeds one customer with a large history (10,000 sale orders, 10,000 delivery
notes, 10,000 invoices and 50,000 calls by default) and a small one (10 of
each), both with a payment, a message and open activities on the customer, a
contact, an order and an invoice; with the pre-sale bridges, also 10,000 (10)
leads and opportunities and 10,000 (10) calendar events. Then reports for the
card figures and for the first timeline page: wall time, SQL queries, and the
ratio to a raw SQL baseline computing the same figures (aggregates, and one
``UNION ALL ... LIMIT``), and the sequential scans in the query plans.

Measured as the web client does it: a non-admin Relationship User working in
the company of the documents, with the web client's context
(``allowed_company_ids``, language, time zone), on a cold ORM cache.

The baseline is hand-written from the definitions of the card and of the
timeline, on the documents' own tables; it calls nothing of the add-on (no
method, domain, view or SQL of it), so a bug in the add-on cannot also be in
its baseline. Before timing, the add-on's figures and first page are compared
with the baseline's: the benchmark stops on any difference.

- offers: draft and sent quotations of the customer's contacts (expired: valid
  until before today); sale orders: confirmed ones (to deliver: not fully
  delivered; to invoice: invoice status "to invoice"; first and last purchase:
  their order dates, in the user's time zone); amounts in the card currency;
- delivery notes: outgoing transfers not cancelled (in progress: not done;
  last delivery: latest done one); returns: incoming transfers returning a
  delivery, not cancelled;
- posted customer invoices and credit notes of the commercial partner:
  counts, invoiced amount net of credit notes, open balance, overdue balance
  (not or partially paid, due before today), untaxed amounts dated this year
  and last year; last payment: latest posted or paid inbound customer payment;
- last contact: the latest call of the customer or message on the customer or
  one of its contacts; next action: the earliest open activity on the
  customer, a contact or one of the documents on its timeline;
- timeline: quotations and orders, deliveries and returns, posted invoices
  and credit notes, customer payments, messages on the customer's partners,
  calls, equipment and defect reports, newest first;
- with crm_relationship_crm: the leads and opportunities of the customer (of
  its contacts, or without partner but with the e-mail address of one),
  active or lost: open ones (count, expected and weighted revenue, count per
  stage in the stages' order), won and lost ones closed in the last 12 months
  (count, won revenue, count per lost reason), the earliest activity on an
  open opportunity; their activities are next actions too; on the timeline;
- with crm_relationship_calendar: the calendar events with the customer's
  contacts, not private nor archived: held (started) and planned, the last
  start and the next one; on the timeline unless planned from a call.

Every figure is restricted to the companies active for the user (a lead
without company is every company's).

Usage (the database must have crm_relationship installed)::

    .venv/bin/python bench/bench_customer_card.py --db DB [--config .state/odoo.conf]

Documents are bulk-copied in SQL from one real document made through the ORM,
so every column is realistic (stored computed columns, such as the customer
of a lead or an event, its won status and prorated revenue, are copied
consistently); the seeding is rolled back at the end.
"""

import argparse
import datetime
import os
import re
import statistics
import threading
import time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

import odoo
from odoo.fields import Command
from odoo.tools import SQL, format_date, format_datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TZ = "Europe/Rome"
CARD_FIELDS = [
    "crm_quotation_count",
    "crm_quotation_amount",
    "crm_quotation_expired_count",
    "crm_order_count",
    "crm_order_amount",
    "crm_order_to_deliver_count",
    "crm_order_to_invoice_count",
    "crm_first_purchase_date",
    "crm_last_purchase_date",
    "crm_delivery_count",
    "crm_delivery_open_count",
    "crm_return_count",
    "crm_last_delivery_date",
    "crm_invoice_count",
    "crm_refund_count",
    "crm_invoiced_amount",
    "crm_invoiced_this_year",
    "crm_invoiced_last_year",
    "crm_amount_due",
    "crm_amount_overdue",
    "crm_last_payment_date",
    "crm_last_contact_date",
    "crm_next_action_date",
    "crm_next_action_summary",
    "crm_has_next_action",
]
TIMELINE_FIELDS = [
    "date",
    "entry_type",
    "department",
    "name",
    "partner_id",
    "user_id",
    "amount",
    "state_label",
]
# With crm_relationship_crm: the pipeline of leads and opportunities.
PIPELINE_FIELDS = [
    "crm_lead_count",
    "crm_opportunity_count",
    "crm_opportunity_amount",
    "crm_opportunity_weighted_amount",
    "crm_opportunity_stages",
    "crm_opportunity_won_count",
    "crm_opportunity_won_amount",
    "crm_opportunity_lost_count",
    "crm_opportunity_lost_reasons",
    "crm_opportunity_next_activity",
]
# With crm_relationship_calendar: appointments and visits.
APPOINTMENT_FIELDS = [
    "crm_appointment_count",
    "crm_appointment_planned_count",
    "crm_last_appointment_date",
    "crm_next_appointment",
]
CONTACT_KINDS = {"appointment": "Appointment", "visit": "Visit"}
PAGE = 40
MESSAGE_TYPES = ["comment", "email", "email_outgoing"]
# The tables the big history fills: a sequential scan of them by the card or the page of a
# customer with a short history would read every other customer's documents.
SCANNED_TABLES = [
    "sale_order",
    "stock_picking",
    "account_move",
    "crm_relationship_call",
    "crm_lead",
    "calendar_event",
    "calendar_event_res_partner_rel",
]


def has_pipeline(env):
    """Whether leads and opportunities are customer documents (crm_relationship_crm)."""
    return "crm.lead" in env and "crm_customer_id" in env["crm.lead"]._fields


def has_appointments(env):
    """Whether calendar events are customer documents (crm_relationship_calendar)."""
    return "calendar.event" in env and "crm_customer_id" in env["calendar.event"]._fields


def card_fields(env):
    """The card figures measured: the core's and those of the installed bridges."""
    return (
        CARD_FIELDS
        + (PIPELINE_FIELDS if has_pipeline(env) else [])
        + (APPOINTMENT_FIELDS if has_appointments(env) else [])
    )


def presale_fields(env):
    """The card figures of the pre-sale bridges installed."""
    return [name for name in card_fields(env) if name not in CARD_FIELDS]


def utc_now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def clone(env, table, template_id, count, overrides):
    """Copy row ``template_id`` of ``table`` ``count`` times, with SQL overrides (``g`` is 1..count)."""
    columns = [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'",
                table,
            )
        )
    ]
    select = [SQL(overrides[c]) if c in overrides else SQL.identifier("t", c) for c in columns]
    env.execute_query(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s t, generate_series(1, %s) g WHERE t.id = %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL(", ").join(select),
            SQL.identifier(table),
            count,
            template_id,
        )
    )


def seed_customer(env, name, count, calls):
    """A customer with ``count`` orders, deliveries and invoices, ``calls`` calls, a payment,
    a message and open activities (the earliest on an order); with the pre-sale bridges,
    ``count`` leads and opportunities and ``count`` calendar events too."""
    Partner = env["res.partner"]
    customer = Partner.create({"name": name, "is_company": True})
    contact = Partner.create({"name": f"{name} contact", "parent_id": customer.id})
    product = env["product.product"].create(
        {"name": f"{name} product", "type": "consu", "list_price": 100.0, "taxes_id": [Command.clear()]}
    )
    order = env["sale.order"].create(
        {"partner_id": contact.id, "order_line": [Command.create({"product_id": product.id})]}
    )
    order.action_confirm()
    picking = order.picking_ids
    picking.move_ids.quantity = 1
    picking.move_ids.picked = True
    picking.with_context(skip_sms=True).button_validate()
    invoice = order._create_invoices()
    invoice.action_post()
    payment = env["account.payment"].create(
        {
            "partner_id": contact.id,
            "partner_type": "customer",
            "payment_type": "inbound",
            "amount": 40.0,
            "date": datetime.date.today() - datetime.timedelta(days=3),
        }
    )
    payment.action_post()
    today = datetime.date.today()
    todo = "mail.mail_activity_data_todo"
    customer.activity_schedule(todo, date_deadline=today + datetime.timedelta(days=9), summary="Visit")
    contact.activity_schedule(todo, date_deadline=today + datetime.timedelta(days=6), summary="Call back")
    order.activity_schedule(todo, date_deadline=today + datetime.timedelta(days=2), summary="Delivery date")
    invoice.activity_schedule(todo, date_deadline=today + datetime.timedelta(days=4), summary="Reminder")
    env.flush_all()
    # Every kind of figure gets documents: offers (some expired), orders to deliver or to invoice,
    # deliveries in progress, returns, credit notes, paid, partly paid and overdue invoices.
    day = "(now() - (g || ' hours')::interval)"
    clone(
        env,
        "sale_order",
        order.id,
        count - 1,
        {
            "name": "t.name || '-' || g",
            "date_order": day,
            "state": "CASE mod(g, 10) WHEN 1 THEN 'draft' WHEN 2 THEN 'sent' ELSE t.state END",
            "validity_date": "CASE WHEN mod(g, 20) = 1 THEN current_date - 5 ELSE current_date + 30 END",
            "invoice_status": "CASE WHEN mod(g, 3) = 0 THEN 'to invoice' ELSE t.invoice_status END",
            "delivery_status": "CASE mod(g, 4) WHEN 0 THEN 'partial' WHEN 3 THEN 'started' ELSE t.delivery_status END",
        },
    )
    outgoing = picking.picking_type_id
    return_type = outgoing.return_picking_type_id or outgoing.warehouse_id.in_type_id
    clone(
        env,
        "stock_picking",
        picking.id,
        count - 1,
        {
            "name": "t.name || '-' || g",
            "state": "CASE WHEN mod(g, 7) = 3 THEN 'assigned' ELSE t.state END",
            "date_done": f"CASE WHEN mod(g, 7) = 3 THEN NULL ELSE {day} END",
            "scheduled_date": day,
            "picking_type_id": f"CASE WHEN mod(g, 25) = 4 THEN {return_type.id} ELSE t.picking_type_id END",
            "return_id": "CASE WHEN mod(g, 25) = 4 THEN t.id END",
        },
    )
    refund = "mod(g, 10) = 5"
    sign = f"(CASE WHEN {refund} THEN -1 ELSE 1 END)"
    paid_part = "(CASE mod(g, 6) WHEN 2 THEN 0 WHEN 4 THEN 0.5 ELSE 1 END)"
    clone(
        env,
        "account_move",
        invoice.id,
        count - 1,
        {
            "name": "t.name || '-' || g",
            "move_type": f"CASE WHEN {refund} THEN 'out_refund' ELSE t.move_type END",
            "invoice_date": f"({day})::date",
            "date": f"({day})::date",
            "invoice_date_due": f"({day})::date + 30 - mod(g, 3) * 20",
            "payment_state": "CASE mod(g, 6) WHEN 2 THEN 'paid' WHEN 4 THEN 'partial' ELSE t.payment_state END",
            "amount_untaxed_signed": f"{sign} * t.amount_untaxed",
            "amount_total_signed": f"{sign} * t.amount_total",
            "amount_residual": f"{paid_part} * t.amount_total",
            "amount_residual_signed": f"{sign} * {paid_part} * t.amount_total",
        },
    )
    call = None
    if calls and "crm.relationship.call" in env:
        call = env["crm.relationship.call"].create({"partner_id": customer.id, "subject": "Seed call"})
        env.flush_all()
        clone(env, "crm_relationship_call", call.id, calls - 1, {"date_start": day})
    if has_pipeline(env) or has_appointments(env):
        slug = name.lower().replace(" ", "-")
        buyer = Partner.create(
            {"name": f"{name} buyer", "parent_id": customer.id, "email": f"buyer@{slug}.example.com"}
        )
        if has_pipeline(env):
            seed_pipeline(env, customer, buyer, count)
        if has_appointments(env):
            seed_appointments(env, customer, contact | buyer, count, call)
    contact.message_post(body="Asked for a call back next week.", message_type="comment")
    env.flush_all()
    env.execute_query(SQL("ANALYZE"))
    return customer


def seed_pipeline(env, customer, buyer, count):
    """``count`` leads and opportunities of ``customer``, from one opportunity of its buyer.

    Open opportunities in every open stage (some past their expected closing,
    a few without company), leads of the buyer and leads without partner found
    by the buyer's e-mail address, won ones and lost ones (with each reason,
    and none) closed over 3 years, and some that are not the card's: archived
    without being lost, or of another company. Activities are planned on a few
    open opportunities, the earliest one overdue (the customer's next action).
    """
    company = env.company
    admin = env.ref("base.user_admin")
    Stage = env["crm.stage"]
    open_stages = Stage.search([("is_won", "=", False)], order="sequence, id").ids
    won_stage = Stage.search([("is_won", "=", True)], order="sequence, id", limit=1)
    if not open_stages or not won_stage:
        raise SystemExit("the database has no open or no won CRM stage")
    reasons = [str(reason_id) for reason_id in env["crm.lost.reason"].search([], order="id", limit=3).ids]
    other_company = env["res.company"].search([("id", "!=", company.id)], limit=1) or company
    today = datetime.date.today()
    opportunity = env["crm.lead"].create(
        {
            "name": f"{customer.name} boiler room renewal",
            "type": "opportunity",
            "partner_id": buyer.id,
            "stage_id": open_stages[0],
            "expected_revenue": 1000.0,
            "probability": 10.0,
            "user_id": admin.id,
            "company_id": company.id,
            "date_deadline": today + datetime.timedelta(days=30),
        }
    )
    env.flush_all()
    if opportunity.crm_customer_id != customer:
        raise SystemExit(f"the opportunity of {buyer.name} is not on the card of {customer.name}")
    # mod(g, 10): 0-3 open opportunities, 4 leads of the buyer, 5 leads without partner, 6-7 won,
    # 8 lost, 9 lost without company, archived without being lost, or of another company.
    kind = "mod(g, 10)"
    lead = f"{kind} IN (4, 5)"
    won = f"{kind} IN (6, 7)"
    lost = f"({kind} = 8 OR mod(g, 30) = 29)"
    archived = "mod(g, 30) = 9"
    elsewhere = "mod(g, 30) = 19"
    stage = f"(ARRAY{open_stages})[1 + mod(g, {len(open_stages)})]"
    reason = f"(ARRAY[{', '.join([*reasons, 'NULL'])}]::int[])[1 + mod(g / 10, {len(reasons) + 1})]"
    probability = (
        f"(CASE WHEN {won} THEN 100 WHEN {lost} THEN 0 ELSE 10 + mod(g, 3) * 25 + mod(g, 5) * 2 END)"
    )
    revenue = "(1000 + mod(g * 37, 50) * 100)"
    hour = "date_trunc('hour', now() AT TIME ZONE 'UTC')"
    opened = f"({hour} - g * interval '157 minutes')"
    closed = f"({hour} - mod(g * 37, 1095) * interval '1 day' - interval '3 hours')"
    clone(
        env,
        "crm_lead",
        opportunity.id,
        count - 1,
        {
            "name": "t.name || ' ' || g",
            "type": f"CASE WHEN {lead} THEN 'lead' ELSE 'opportunity' END",
            # the customer of a lead without partner: the contact with its e-mail address
            "partner_id": f"CASE WHEN {kind} = 5 THEN NULL ELSE t.partner_id END",
            "partner_name": f"CASE WHEN {kind} = 5 THEN (SELECT name FROM res_partner WHERE id = {customer.id}) "
            "ELSE t.partner_name END",
            "stage_id": f"CASE WHEN {won} THEN {won_stage.id} ELSE {stage} END",
            "probability": probability,
            "automated_probability": probability,
            "expected_revenue": revenue,
            "prorated_revenue": f"round(({revenue} * {probability} / 100.0)::numeric, 2)",
            "won_status": f"CASE WHEN {won} THEN 'won' WHEN {lost} THEN 'lost' ELSE 'pending' END",
            "active": f"NOT ({lost} OR {archived})",
            "lost_reason_id": f"CASE WHEN {lost} THEN {reason} END",
            "date_closed": f"CASE WHEN {won} OR {lost} THEN {closed} END",
            "date_conversion": f"CASE WHEN {lead} THEN NULL ELSE {opened} END",
            "create_date": opened,
            "date_open": opened,
            "date_last_stage_update": opened,
            "date_deadline": "current_date + mod(g, 120) - 20",
            "company_id": f"CASE WHEN {elsewhere} THEN {other_company.id} "
            f"WHEN mod(g, 40) = 10 OR mod(g, 30) = 29 THEN NULL ELSE t.company_id END",
        },
    )
    open_ids = [
        row[0]
        for row in env.execute_query(
            SQL(
                """SELECT id FROM crm_lead
                    WHERE crm_customer_id = %s AND company_id = %s
                      AND type = 'opportunity' AND active AND won_status = 'pending'
                 ORDER BY id LIMIT %s""",
                customer.id,
                company.id,
                5 if count > 10 else 2,
            )
        )
    ]
    env.invalidate_all()
    for index, lead in enumerate(env["crm.lead"].browse(open_ids)):
        lead.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=today + datetime.timedelta(days=3 * index - 1),
            summary="" if index % 2 else "Send the revised offer",
            user_id=admin.id,
        )


def seed_appointments(env, customer, contacts, count, call):
    """``count`` appointments and visits with ``contacts`` of ``customer`` over 3 years.

    One in 1,000 is still to come; one in 10 was planned from one of the
    customer's calls (``call`` and the following ones: on the timeline through
    its call); some are not the card's: private, archived, or of another company.
    The organizer and the contact attend each of them.
    """
    company = env.company
    admin = env.ref("base.user_admin")
    other_company = env["res.company"].search([("id", "!=", company.id)], limit=1) or company
    start = utc_now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=3)
    event = (
        env["calendar.event"]
        .with_context(dont_notify=True, no_mail_to_attendees=True)
        .create(
            {
                "name": f"{customer.name} maintenance review",
                "start": start,
                "stop": start + datetime.timedelta(hours=1),
                "user_id": admin.id,
                "partner_ids": [Command.set([admin.partner_id.id, contacts[0].id])],
                "crm_contact_kind": "appointment",
                "location": "Online",
            }
        )
    )
    env.flush_all()
    if event.crm_customer_id != customer or event.crm_company_id != company:
        raise SystemExit(f"the appointment with {contacts[0].name} is not on the card of {customer.name}")
    hour = "date_trunc('hour', now() AT TIME ZONE 'UTC')"
    start = (
        f"(CASE WHEN mod(g, 1000) = 1 THEN {hour} + (g / 1000 + 1) * interval '1 day' + interval '2 hours' "
        f"ELSE {hour} - g * interval '157 minutes' - interval '1 hour' END)"
    )
    visit = "mod(g, 3) = 0"
    call_id = (
        f"(SELECT c.id FROM crm_relationship_call c WHERE c.id = {call.id} + g AND c.partner_id = {customer.id})"
        if call
        else "NULL"
    )
    clone(
        env,
        "calendar_event",
        event.id,
        count - 1,
        {
            "name": "t.name || ' ' || g",
            "start": start,
            "stop": f"{start} + interval '1 hour'",
            "crm_contact_kind": f"CASE WHEN {visit} THEN 'visit' ELSE 'appointment' END",
            "location": f"CASE WHEN {visit} THEN 'Via Emilia Est 1450, Modena' ELSE t.location END",
            "crm_partner_id": f"CASE WHEN mod(g, 2) = 0 THEN {contacts[1].id} ELSE t.crm_partner_id END",
            "crm_call_id": f"CASE WHEN mod(g, 10) = 3 THEN {call_id} END",
            "privacy": "CASE WHEN mod(g, 50) = 7 THEN 'private' ELSE t.privacy END",
            "active": "mod(g, 50) != 17",
            "crm_company_id": f"CASE WHEN mod(g, 50) = 27 THEN {other_company.id} ELSE t.crm_company_id END",
            "access_token": "NULL",
        },
    )
    env.execute_query(
        SQL(
            """INSERT INTO calendar_event_res_partner_rel (res_partner_id, calendar_event_id)
               SELECT p.id, e.id
                 FROM calendar_event e, unnest(ARRAY[%s, e.crm_partner_id]) AS p(id)
                WHERE e.crm_customer_id = %s AND e.id != %s""",
            admin.partner_id.id,
            customer.id,
            event.id,
        )
    )
    env.execute_query(
        SQL(
            """INSERT INTO calendar_attendee (event_id, partner_id, common_name, state, access_token,
                                              create_uid, create_date, write_uid, write_date)
               SELECT e.id, p.id, p.name, 'accepted', md5(e.id || '-' || p.id), %s, e.create_date, %s,
                      e.write_date
                 FROM calendar_event e
                 JOIN calendar_event_res_partner_rel r ON r.calendar_event_id = e.id
                 JOIN res_partner p ON p.id = r.res_partner_id
                WHERE e.crm_customer_id = %s AND e.id != %s""",
            env.uid,
            env.uid,
            customer.id,
            event.id,
        )
    )


def relationship_user(env, company):
    """A non-admin Relationship User working in ``company`` only."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Relationship User",
                "login": "bench_card_relationship_user",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([env.ref("crm_relationship.crm_relationship_group_user").id])],
                "tz": TZ,
            }
        )
    )


def web_client_env(env, user, company):
    """The environment of a web client request of ``user`` with ``company`` selected."""
    context = {"lang": "en_US", "tz": TZ, "uid": user.id, "allowed_company_ids": company.ids}
    return odoo.api.Environment(env.cr, user.id, context)


def measure(env, func, repeat=5):
    """Return (median seconds, queries) of ``func`` on a cold ORM cache."""
    times, queries = [], []
    func()  # warm-up: one-time loads (translations, currencies) are not part of the figures
    for _i in range(repeat):
        env.invalidate_all()
        start_count = env.cr.sql_log_count
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        queries.append(env.cr.sql_log_count - start_count)
    return statistics.median(times), max(queries)


def orm_card(customer, fields):
    values = customer.read(fields)[0]
    customer.crm_alert_message  # noqa: B018
    return values


def orm_timeline(env, customer):
    """The page through the ORM: one search_fetch of the displayed columns."""
    Timeline = env["crm.relationship.timeline"]
    return Timeline.search_fetch([("commercial_partner_id", "=", customer.id)], TIMELINE_FIELDS, limit=PAGE)


def web_timeline(env, customer):
    """What the web client asks for a list page: rows, display names, details and the pager count."""
    spec = {name: {} for name in TIMELINE_FIELDS + ["summary", "lot_name"]}
    spec["partner_id"] = spec["user_id"] = {"fields": {"display_name": {}}}
    return env["crm.relationship.timeline"].web_search_read(
        [("commercial_partner_id", "=", customer.id)], spec, limit=PAGE
    )


# ----------------------------------------------------------------------
# Baseline: hand-written SQL on the documents' tables
# ----------------------------------------------------------------------


# Leads and opportunities of the customer ``%(partner)s`` on its card and timeline: its own
# (``crm_customer_id``: the commercial entity of the lead's partner, or of the contact with the
# lead's e-mail address or phone when it has no partner), in the user's companies or in none,
# active or lost (Odoo archives lost ones). ``{t}`` is the table alias and a dot, or nothing.
LEADS_OF_CUSTOMER = """{t}crm_customer_id = %(partner)s
                      AND ({t}company_id IS NULL OR {t}company_id = ANY(%(companies)s))
                      AND ({t}active OR {t}won_status = 'lost')"""
# Appointments and visits with the customer ``%(partner)s``: its events (``crm_customer_id``:
# the commercial entity of the contact attending), of the user's companies, not archived, not private.
EVENTS_OF_CUSTOMER = """e.crm_customer_id = %(partner)s AND e.crm_company_id = ANY(%(companies)s)
                      AND e.active AND e.privacy IS DISTINCT FROM 'private'"""


def raw_card(env, customer_id, companies, currency):
    """The card figures with hand-written aggregates (the baseline).

    Returns ``{card field: value}``; amounts in ``currency`` (a ``res.currency``).
    """
    today = datetime.datetime.now(ZoneInfo(TZ)).date()
    params = {
        "partner": customer_id,
        "companies": companies,
        "today": today,
        "this_year": today.replace(month=1, day=1),
        "last_year": today.replace(year=today.year - 1, month=1, day=1),
        "tz": TZ,
    }
    figures = dict.fromkeys(
        [
            "crm_quotation_count",
            "crm_quotation_expired_count",
            "crm_order_count",
            "crm_order_to_deliver_count",
            "crm_order_to_invoice_count",
        ],
        0,
    )
    figures.update(crm_quotation_amount=0.0, crm_order_amount=0.0)
    first_dates, last_dates = [], []
    for (
        currency_id,
        quotations,
        quotation_amount,
        expired,
        orders,
        order_amount,
        to_deliver,
        to_invoice,
        first,
        last,
    ) in env.execute_query(
        SQL(
            """SELECT so.currency_id,
                      count(*) FILTER (WHERE so.state IN ('draft', 'sent')),
                      COALESCE(sum(so.amount_total) FILTER (WHERE so.state IN ('draft', 'sent')), 0),
                      count(*) FILTER (WHERE so.state IN ('draft', 'sent') AND so.validity_date < %(today)s),
                      count(*) FILTER (WHERE so.state = 'sale'),
                      COALESCE(sum(so.amount_total) FILTER (WHERE so.state = 'sale'), 0),
                      count(*) FILTER (WHERE so.state = 'sale'
                                         AND so.delivery_status IN ('pending', 'started', 'partial')),
                      count(*) FILTER (WHERE so.state = 'sale' AND so.invoice_status = 'to invoice'),
                      min(so.date_order) FILTER (WHERE so.state = 'sale'),
                      max(so.date_order) FILTER (WHERE so.state = 'sale')
                 FROM sale_order so
                 JOIN res_partner rp ON rp.id = so.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND so.company_id = ANY(%(companies)s)
             GROUP BY so.currency_id""",
            **params,
        )
    ):
        rate = 1.0
        if currency_id != currency.id:
            Currency = env["res.currency"]
            rate = Currency._get_conversion_rate(Currency.browse(currency_id), currency, env.company, today)
        figures["crm_quotation_count"] += quotations
        figures["crm_quotation_amount"] += float(quotation_amount) * rate
        figures["crm_quotation_expired_count"] += expired
        figures["crm_order_count"] += orders
        figures["crm_order_amount"] += float(order_amount) * rate
        figures["crm_order_to_deliver_count"] += to_deliver
        figures["crm_order_to_invoice_count"] += to_invoice
        first_dates += [first] if first else []
        last_dates += [last] if last else []

    def local_date(utc):
        return utc.replace(tzinfo=datetime.UTC).astimezone(ZoneInfo(TZ)).date()

    figures["crm_first_purchase_date"] = local_date(min(first_dates)) if first_dates else False
    figures["crm_last_purchase_date"] = local_date(max(last_dates)) if last_dates else False

    (
        figures["crm_delivery_count"],
        figures["crm_delivery_open_count"],
        figures["crm_return_count"],
        figures["crm_last_delivery_date"],
    ) = env.execute_query(
        SQL(
            """SELECT count(*) FILTER (WHERE spt.code = 'outgoing'),
                      count(*) FILTER (WHERE spt.code = 'outgoing' AND sp.state != 'done'),
                      count(*) FILTER (WHERE spt.code = 'incoming'),
                      max(sp.date_done) FILTER (WHERE spt.code = 'outgoing' AND sp.state = 'done')
                 FROM stock_picking sp
                 JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                 JOIN res_partner rp ON rp.id = sp.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND sp.company_id = ANY(%(companies)s)
                  AND sp.state != 'cancel'
                  AND (spt.code = 'outgoing' OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))""",
            **params,
        )
    )[0]

    (
        figures["crm_invoice_count"],
        figures["crm_refund_count"],
        figures["crm_invoiced_amount"],
        figures["crm_amount_due"],
        figures["crm_amount_overdue"],
        figures["crm_invoiced_this_year"],
        figures["crm_invoiced_last_year"],
    ) = (
        value if isinstance(value, int) else float(value)
        for value in env.execute_query(
            SQL(
                """SELECT count(*) FILTER (WHERE move_type = 'out_invoice'),
                          count(*) FILTER (WHERE move_type = 'out_refund'),
                          COALESCE(sum(amount_total_signed), 0),
                          COALESCE(sum(amount_residual_signed), 0),
                          COALESCE(sum(amount_residual_signed) FILTER (
                              WHERE payment_state IN ('not_paid', 'partial') AND invoice_date_due < %(today)s), 0),
                          COALESCE(sum(amount_untaxed_signed) FILTER (WHERE invoice_date >= %(this_year)s), 0),
                          COALESCE(sum(amount_untaxed_signed) FILTER (
                              WHERE invoice_date >= %(last_year)s AND invoice_date < %(this_year)s), 0)
                     FROM account_move
                    WHERE commercial_partner_id = %(partner)s AND company_id = ANY(%(companies)s)
                      AND move_type IN ('out_invoice', 'out_refund') AND state = 'posted'""",
                **params,
            )
        )[0]
    )

    figures["crm_last_payment_date"] = env.execute_query(
        SQL(
            """SELECT max(ap.date)
                 FROM account_payment ap
                 JOIN res_partner rp ON rp.id = ap.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND ap.company_id = ANY(%(companies)s)
                  AND ap.partner_type = 'customer' AND ap.payment_type = 'inbound'
                  AND ap.state IN ('in_process', 'paid')""",
            **params,
        )
    )[0][0]

    figures["crm_last_contact_date"] = env.execute_query(
        SQL(
            """SELECT max(contact_date) FROM (
                   SELECT max(call.date_start) AS contact_date
                     FROM crm_relationship_call call
                    WHERE call.partner_id = %(partner)s AND call.company_id = ANY(%(companies)s)
                UNION ALL
                   SELECT max(mm.date)
                     FROM mail_message mm
                     JOIN res_partner rp ON mm.model = 'res.partner' AND rp.id = mm.res_id
                    WHERE rp.commercial_partner_id = %(partner)s
                      AND (rp.company_id IS NULL OR rp.company_id = ANY(%(companies)s))
                      AND mm.message_type = ANY(%(message_types)s)
               ) contacts""",
            message_types=MESSAGE_TYPES,
            **params,
        )
    )[0][0]

    activity = env.execute_query(
        SQL(
            """SELECT a.date_deadline, COALESCE(NULLIF(a.summary, ''), mat.name->>'en_US'), a.res_name
                 FROM mail_activity a
            LEFT JOIN mail_activity_type mat ON mat.id = a.activity_type_id
                WHERE a.active AND (
                      (a.res_model = 'res.partner' AND a.res_id IN (
                          SELECT id FROM res_partner WHERE commercial_partner_id = %(partner)s))
                   OR (a.res_model = 'sale.order' AND a.res_id IN (
                          SELECT so.id FROM sale_order so JOIN res_partner rp ON rp.id = so.partner_id
                           WHERE rp.commercial_partner_id = %(partner)s AND so.company_id = ANY(%(companies)s)))
                   OR (a.res_model = 'stock.picking' AND a.res_id IN (
                          SELECT sp.id FROM stock_picking sp
                            JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                            JOIN res_partner rp ON rp.id = sp.partner_id
                           WHERE rp.commercial_partner_id = %(partner)s AND sp.company_id = ANY(%(companies)s)
                             AND (spt.code = 'outgoing' OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))))
                   OR (a.res_model = 'account.move' AND a.res_id IN (
                          SELECT id FROM account_move
                           WHERE commercial_partner_id = %(partner)s AND company_id = ANY(%(companies)s)
                             AND move_type IN ('out_invoice', 'out_refund') AND state = 'posted'))
                   OR (a.res_model = 'account.payment' AND a.res_id IN (
                          SELECT ap.id FROM account_payment ap JOIN res_partner rp ON rp.id = ap.partner_id
                           WHERE rp.commercial_partner_id = %(partner)s AND ap.company_id = ANY(%(companies)s)
                             AND ap.partner_type = 'customer' AND ap.state IN ('in_process', 'paid')))
                      %(lead_activities)s)
             ORDER BY a.date_deadline, a.id
                LIMIT 1""",
            lead_activities=SQL(
                f"""OR (a.res_model = 'crm.lead' AND a.res_id IN (
                          SELECT id FROM crm_lead
                           WHERE {LEADS_OF_CUSTOMER.format(t="")}))""",
                **params,
            )
            if has_pipeline(env)
            else SQL(),
            **params,
        )
    )
    if activity:
        deadline, summary, record_name = activity[0]
        figures["crm_next_action_date"] = deadline
        figures["crm_next_action_summary"] = f"{summary} ({record_name})" if record_name else summary
        figures["crm_has_next_action"] = True
    else:
        figures.update(crm_next_action_date=False, crm_next_action_summary=False, crm_has_next_action=False)
    figures.update(raw_presale(env, customer_id, companies, currency))
    return figures


def raw_presale(env, customer_id, companies, currency):
    """The baseline of :func:`presale_fields`."""
    figures = {}
    if has_pipeline(env):
        figures.update(raw_pipeline(env, customer_id, companies, currency))
    if has_appointments(env):
        figures.update(raw_appointments(env, customer_id, companies))
    return figures


def in_card_currency(env, currency_id, amount, currency):
    """``amount`` (numeric) of ``currency_id`` in the card currency ``currency``."""
    if currency_id == currency.id or not amount:
        return float(amount)
    Currency = env["res.currency"]
    rate = Currency._get_conversion_rate(
        Currency.browse(currency_id), currency, env.company, datetime.datetime.now(ZoneInfo(TZ)).date()
    )
    return float(amount) * rate


def raw_pipeline(env, customer_id, companies, currency):
    """The pipeline figures with hand-written aggregates (the baseline).

    Open: active and neither won nor lost; leads and opportunities counted
    apart, the opportunities' expected revenue, weighted revenue (the sum of
    the prorated revenues, expected revenue x probability) and count per stage
    (in the stages' order); won and lost: closed in the last 12 months, with
    the count per lost reason (most frequent first); the earliest activity on
    an open opportunity. Amounts in ``currency``, a lead without company in
    the user's company's currency.
    """
    params = {
        "partner": customer_id,
        "companies": companies,
        "card_currency": currency.id,
        "lang": env.lang or "en_US",
        "since": utc_now() - relativedelta(months=12),
    }
    leads = LEADS_OF_CUSTOMER.format(t="l.")
    figures = dict.fromkeys(
        [
            "crm_lead_count",
            "crm_opportunity_count",
            "crm_opportunity_won_count",
            "crm_opportunity_lost_count",
        ],
        0,
    )
    figures.update(
        crm_opportunity_amount=0.0, crm_opportunity_weighted_amount=0.0, crm_opportunity_won_amount=0.0
    )
    stages = {}
    for lead_type, currency_id, stage_id, stage_name, sequence, count, amount, weighted in env.execute_query(
        SQL(
            f"""SELECT l.type, COALESCE(c.currency_id, %(card_currency)s), s.id,
                       COALESCE(s.name->>%(lang)s, s.name->>'en_US'), s.sequence, count(*),
                       COALESCE(sum(l.expected_revenue), 0), COALESCE(sum(l.prorated_revenue), 0)
                  FROM crm_lead l
             LEFT JOIN res_company c ON c.id = l.company_id
             LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE {leads} AND l.active AND l.won_status = 'pending'
              GROUP BY l.type, 2, s.id""",
            **params,
        )
    ):
        if lead_type == "lead":
            figures["crm_lead_count"] += count
            continue
        figures["crm_opportunity_count"] += count
        figures["crm_opportunity_amount"] += in_card_currency(env, currency_id, amount, currency)
        figures["crm_opportunity_weighted_amount"] += in_card_currency(env, currency_id, weighted, currency)
        key = (sequence or 0, stage_id or 0, stage_name or "No stage")
        stages[key] = stages.get(key, 0) + count
    # "New 12 · Qualified 4 · Proposition 2": open opportunities per stage, in the stages' order
    figures["crm_opportunity_stages"] = (
        " · ".join(f"{name} {count}" for (__, __, name), count in sorted(stages.items())) or False
    )
    reasons = {}
    for status, currency_id, reason, count, amount in env.execute_query(
        SQL(
            f"""SELECT l.won_status, COALESCE(c.currency_id, %(card_currency)s),
                       COALESCE(r.name->>%(lang)s, r.name->>'en_US'), count(*), COALESCE(sum(l.expected_revenue), 0)
                  FROM crm_lead l
             LEFT JOIN res_company c ON c.id = l.company_id
             LEFT JOIN crm_lost_reason r ON r.id = l.lost_reason_id
                 WHERE {leads} AND l.won_status IN ('won', 'lost') AND l.date_closed >= %(since)s
              GROUP BY 1, 2, 3""",
            **params,
        )
    ):
        if status == "won":
            figures["crm_opportunity_won_count"] += count
            figures["crm_opportunity_won_amount"] += in_card_currency(env, currency_id, amount, currency)
        else:
            figures["crm_opportunity_lost_count"] += count
            reason = reason or "No reason given"
            reasons[reason] = reasons.get(reason, 0) + count
    # "Too expensive 7 · No reason given 3": lost opportunities per reason, the most frequent first
    figures["crm_opportunity_lost_reasons"] = (
        " · ".join(
            f"{reason} {count}" for reason, count in sorted(reasons.items(), key=lambda r: (-r[1], r[0]))
        )
        or False
    )
    activity = env.execute_query(
        SQL(
            f"""SELECT a.date_deadline, a.summary, COALESCE(t.name->>%(lang)s, t.name->>'en_US'), up.name,
                       a.res_name
                  FROM mail_activity a
                  JOIN crm_lead l ON l.id = a.res_id
             LEFT JOIN mail_activity_type t ON t.id = a.activity_type_id
             LEFT JOIN res_users u ON u.id = a.user_id
             LEFT JOIN res_partner up ON up.id = u.partner_id
                 WHERE a.res_model = 'crm.lead' AND a.active
                   AND {leads} AND l.type = 'opportunity' AND l.active AND l.won_status = 'pending'
              ORDER BY a.date_deadline, a.id
                 LIMIT 1""",
            **params,
        )
    )
    figures["crm_opportunity_next_activity"] = False
    if activity:
        # "05/12/2026 · Call · Marco Bianchi: Send the offer (Boiler room renewal)": when, the type
        # when there is a summary, who and what, on which opportunity.
        deadline, summary, type_name, user_name, res_name = activity[0]
        what = summary or type_name or ""
        parts = (
            format_date(env, deadline),
            type_name if summary else None,
            f"{user_name}: {what}" if user_name else what,
        )
        text = " · ".join(part for part in parts if part)
        figures["crm_opportunity_next_activity"] = f"{text} ({res_name})" if res_name else text
    return figures


def raw_appointments(env, customer_id, companies):
    """The appointment figures with hand-written aggregates (the baseline).

    Held: started by now (all of them) and the latest start; planned: still to
    start, and the earliest one ("05/12/2026 10:00 · Visit · Marco Bianchi ·
    Via Roma 1": when in the user's time zone, what, who organizes it, where).
    Events planned from a call count as well.
    """
    params = {"partner": customer_id, "companies": companies, "now": utc_now()}
    figures = dict(
        zip(
            ["crm_appointment_count", "crm_last_appointment_date", "crm_appointment_planned_count"],
            env.execute_query(
                SQL(
                    f"""SELECT count(*) FILTER (WHERE e.start <= %(now)s),
                               max(e.start) FILTER (WHERE e.start <= %(now)s),
                               count(*) FILTER (WHERE e.start > %(now)s)
                          FROM calendar_event e
                         WHERE {EVENTS_OF_CUSTOMER}""",
                    **params,
                )
            )[0],
            strict=True,
        )
    )
    upcoming = env.execute_query(
        SQL(
            f"""SELECT e.start, e.crm_contact_kind, up.name, e.location
                  FROM calendar_event e
             LEFT JOIN res_users u ON u.id = e.user_id
             LEFT JOIN res_partner up ON up.id = u.partner_id
                 WHERE {EVENTS_OF_CUSTOMER} AND e.start > %(now)s
              ORDER BY e.start, e.id
                 LIMIT 1""",
            **params,
        )
    )
    figures["crm_next_appointment"] = False
    if upcoming:
        start, kind, user_name, location = upcoming[0]
        parts = (
            format_datetime(env, start, tz=TZ, dt_format="short"),
            CONTACT_KINDS.get(kind),
            user_name,
            location,
        )
        figures["crm_next_appointment"] = " · ".join(part for part in parts if part)
    return figures


def raw_timeline(env, customer_id, companies, limit=PAGE):
    """The first page with one hand-written UNION ALL ... LIMIT (the baseline).

    Rows are ``(date, res_model, res_id, entry_type, name, partner_id, user_id, amount, state)``."""
    return env.execute_query(
        SQL(
            """SELECT * FROM (
                   SELECT so.date_order AS date, 'sale.order' AS res_model, so.id AS res_id,
                          CASE WHEN so.state = 'sale' THEN 'order' ELSE 'quotation' END AS entry_type,
                          so.name AS name, so.partner_id AS partner_id, so.user_id AS user_id,
                          so.amount_total AS amount, so.state::varchar AS state
                     FROM sale_order so
                     JOIN res_partner rp ON rp.id = so.partner_id
                    WHERE rp.commercial_partner_id = %(partner)s AND so.company_id = ANY(%(companies)s)
                UNION ALL
                   SELECT COALESCE(sp.date_done, sp.scheduled_date), 'stock.picking', sp.id,
                          CASE WHEN spt.code = 'outgoing' THEN 'delivery' ELSE 'return' END,
                          sp.name, sp.partner_id, sp.user_id, NULL, sp.state
                     FROM stock_picking sp
                     JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                     JOIN res_partner rp ON rp.id = sp.partner_id
                    WHERE rp.commercial_partner_id = %(partner)s AND sp.company_id = ANY(%(companies)s)
                      AND (spt.code = 'outgoing' OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))
                UNION ALL
                   SELECT COALESCE(am.invoice_date, am.date)::timestamp, 'account.move', am.id,
                          CASE WHEN am.move_type = 'out_invoice' THEN 'invoice' ELSE 'refund' END,
                          am.name, am.partner_id, am.invoice_user_id, am.amount_total_signed, am.payment_state
                     FROM account_move am
                    WHERE am.commercial_partner_id = %(partner)s AND am.company_id = ANY(%(companies)s)
                      AND am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
                UNION ALL
                   SELECT ap.date::timestamp, 'account.payment', ap.id, 'payment',
                          ap.name, ap.partner_id, NULL, ap.amount_company_currency_signed, ap.state
                     FROM account_payment ap
                     JOIN res_partner rp ON rp.id = ap.partner_id
                    WHERE rp.commercial_partner_id = %(partner)s AND ap.company_id = ANY(%(companies)s)
                      AND ap.partner_type = 'customer' AND ap.state IN ('in_process', 'paid')
                UNION ALL
                   SELECT mm.date, 'mail.message', mm.id, 'message',
                          COALESCE(NULLIF(mm.subject, ''), rp.name), rp.id, ru.id, NULL, mm.message_type
                     FROM mail_message mm
                     JOIN res_partner rp ON mm.model = 'res.partner' AND rp.id = mm.res_id
                LEFT JOIN res_users ru ON ru.partner_id = mm.author_id
                    WHERE rp.commercial_partner_id = %(partner)s
                      AND (rp.company_id IS NULL OR rp.company_id = ANY(%(companies)s))
                      AND mm.message_type = ANY(%(message_types)s)
                UNION ALL
                   SELECT call.date_start, 'crm.relationship.call', call.id, 'call',
                          call.subject, COALESCE(call.contact_id, call.partner_id), call.user_id, NULL, call.state
                     FROM crm_relationship_call call
                    WHERE call.partner_id = %(partner)s AND call.company_id = ANY(%(companies)s)
                UNION ALL
                   SELECT COALESCE(eq.delivery_date::timestamp, eq.create_date), 'crm.relationship.equipment',
                          eq.id, 'equipment', eq.name, eq.site_id, NULL, NULL, eq.state
                     FROM crm_relationship_equipment eq
                    WHERE eq.partner_id = %(partner)s AND eq.company_id = ANY(%(companies)s)
                UNION ALL
                   SELECT defect.date_reported, 'crm.relationship.defect', defect.id, 'defect', defect.name,
                          COALESCE(defect.contact_id, defect.partner_id),
                          COALESCE(defect.user_production_id, defect.user_call_center_id), NULL, defect.state
                     FROM crm_relationship_defect defect
                    WHERE defect.partner_id = %(partner)s AND defect.company_id = ANY(%(companies)s)
                %(bridges)s
               ) entries
             ORDER BY date DESC, res_model, res_id DESC
                LIMIT %(limit)s""",
            partner=customer_id,
            companies=companies,
            message_types=MESSAGE_TYPES,
            limit=limit,
            bridges=SQL(" ").join(raw_timeline_bridges(env, customer_id, companies)),
        )
    )


def raw_timeline_bridges(env, customer_id, companies):
    """The ``UNION ALL`` branches of the pre-sale bridges: leads and
    opportunities (dated by their closing, else their conversion to an
    opportunity, else their creation), and appointments and visits not
    planned from a call (the call's row stands for them)."""
    params = {"partner": customer_id, "companies": companies}
    branches = []
    if has_pipeline(env):
        branches.append(
            SQL(
                f"""UNION ALL
                   SELECT COALESCE(l.date_closed, l.date_conversion, l.create_date), 'crm.lead', l.id,
                          CASE WHEN l.type = 'lead' THEN 'lead' ELSE 'opportunity' END, l.name,
                          COALESCE(l.partner_id, l.crm_customer_id), l.user_id, l.expected_revenue, l.won_status
                     FROM crm_lead l
                    WHERE {LEADS_OF_CUSTOMER.format(t="l.")}""",
                **params,
            )
        )
    if has_appointments(env):
        branches.append(
            SQL(
                """UNION ALL
                   SELECT e.start, 'calendar.event', e.id, e.crm_contact_kind, e.name, e.crm_partner_id,
                          e.user_id, NULL,
                          CASE WHEN e.start > (now() AT TIME ZONE 'UTC') THEN 'planned' ELSE 'held' END
                     FROM calendar_event e
                    WHERE e.crm_customer_id = %(partner)s
                      AND (e.crm_company_id IS NULL OR e.crm_company_id = ANY(%(companies)s))
                      AND e.active AND e.privacy IS DISTINCT FROM 'private' AND e.crm_call_id IS NULL""",
                **params,
            )
        )
    return branches


# ----------------------------------------------------------------------
# Correctness: the add-on's results are the baseline's
# ----------------------------------------------------------------------


def same_value(got, expected):
    if isinstance(expected, float) or isinstance(got, float):
        return abs((got or 0.0) - float(expected or 0.0)) < 0.005
    if isinstance(expected, datetime.datetime) and isinstance(got, datetime.datetime):
        return got.replace(microsecond=0) == expected.replace(microsecond=0)
    return (got or False) == (expected or False)


def check_card(label, orm_values, raw_values):
    differences = [
        f"{name}: add-on {orm_values[name]!r}, baseline {expected!r}"
        for name, expected in raw_values.items()
        if not same_value(orm_values[name], expected)
    ]
    if differences:
        raise SystemExit(f"card figures of {label} differ from the baseline:\n  " + "\n  ".join(differences))


def check_timeline(label, page, web, all_entries):
    """The page holds the newest entries of the baseline (in any order among equal dates),
    the web page the same rows, and the pager count every entry."""
    if web["length"] != len(all_entries):
        raise SystemExit(f"timeline of {label}: web pager count {web['length']}, baseline {len(all_entries)}")
    if [record["id"] for record in web["records"]] != page.ids:
        raise SystemExit(f"timeline of {label}: the web page shows other rows than the ORM page")
    got = [(entry.date.replace(microsecond=0), entry.res_model, entry.res_id) for entry in page]
    expected = [(row[0].replace(microsecond=0), row[1], row[2]) for row in all_entries]
    if len(got) != min(PAGE, len(expected)):
        raise SystemExit(f"timeline of {label}: {len(got)} rows on the page, baseline {len(expected)}")
    if not got:
        return
    oldest = min(entry[0] for entry in got)
    newer = {entry for entry in expected if entry[0] > oldest}
    boundary = {entry for entry in expected if entry[0] == oldest}
    got_newer = {entry for entry in got if entry[0] > oldest}
    got_boundary = {entry for entry in got if entry[0] == oldest}
    if got_newer != newer or not got_boundary <= boundary or len(got) != len(set(got)):
        raise SystemExit(
            f"timeline of {label} differs from the baseline:\n"
            f"  only on the page: {sorted(got_newer - newer) + sorted(got_boundary - boundary)}\n"
            f"  missing from the page: {sorted(newer - got_newer)}"
        )


def sequential_scans(env, funcs, tables=SCANNED_TABLES):
    """``{table: count}`` of the sequential scans on ``tables`` in the plans
    (``EXPLAIN``, with their parameters) of the queries run by ``funcs``, each
    on a cold ORM cache."""
    queries = []
    thread = threading.current_thread()
    hooks = getattr(thread, "query_hooks", None)
    thread.query_hooks = [
        *(hooks or ()),
        lambda cr, query, params, start, delay: queries.append((query, params)),
    ]
    try:
        for func in funcs:
            env.invalidate_all()
            func()
    finally:
        if hooks is None:
            del thread.query_hooks
        else:
            thread.query_hooks = hooks
    scans = {}
    for query, params in queries:
        if not query.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        env.cr.execute(f"EXPLAIN {query}", params)
        for (line,) in env.cr.fetchall():
            match = re.search(r"Seq Scan on (\w+)", line)
            if match and match[1] in tables:
                scans[match[1]] = scans.get(match[1], 0) + 1
    return scans


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--calls", type=int, default=50000)
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # seeded in the company the administrator works in, where the measured user works too
        company = env.ref("base.user_admin").company_id
        env = env(context={"allowed_company_ids": company.ids, "tz": TZ})
        small = seed_customer(env, "Bench small customer", 10, 10)
        start = time.perf_counter()
        big = seed_customer(env, "Bench big customer", args.documents, args.calls)
        seed_time = time.perf_counter() - start
        user_env = web_client_env(env, relationship_user(env, company), company)
        companies = user_env.companies.ids
        currency = user_env.company.currency_id
        fields, presale = card_fields(user_env), presale_fields(user_env)
        rows = len(raw_timeline(env, big.id, companies, limit=None))
        print(f"seeded {rows} timeline entries for the big customer in {seed_time:.1f}s")
        if presale:
            print(f"with the pre-sale bridges: {len(presale)} more card figures ({', '.join(presale)})")
        print(
            f"measured as {user_env.user.login} (Relationship User) in {user_env.company.name}, cold ORM cache"
        )
        print(f"{'measure':40} {'ms':>9} {'queries':>8} {'baseline ms':>12} {'ratio':>6}")
        results = {}
        for label, seeded in (("10 documents", small), (f"{args.documents} documents", big)):
            customer = seeded.with_env(user_env)
            check_card(
                label, orm_card(customer, fields), raw_card(user_env, customer.id, companies, currency)
            )
            page = orm_timeline(user_env, customer)
            check_timeline(
                label,
                page,
                web_timeline(user_env, customer),
                raw_timeline(user_env, customer.id, companies, limit=None),
            )
            card_t, card_q = measure(user_env, lambda c=customer: orm_card(c, fields))
            raw_t, _raw_q = measure(
                user_env, lambda c=customer: raw_card(user_env, c.id, companies, currency)
            )
            line_t, line_q = measure(user_env, lambda c=customer: orm_timeline(user_env, c))
            rawl_t, _rawl_q = measure(user_env, lambda c=customer: raw_timeline(user_env, c.id, companies))
            web_t, web_q = measure(user_env, lambda c=customer: web_timeline(user_env, c))
            results[label] = [card_q, line_q, web_q]
            print(
                f"{'card figures, ' + label:40} {card_t * 1000:9.1f} {card_q:8d} {raw_t * 1000:12.1f} "
                f"{card_t / raw_t:6.2f}"
            )
            if presale:
                pre_t, pre_q = measure(user_env, lambda c=customer: c.read(presale))
                rawp_t, _rawp_q = measure(
                    user_env, lambda c=customer: raw_presale(user_env, c.id, companies, currency)
                )
                results[label].append(pre_q)
                print(
                    f"{'  of which pre-sale, ' + label:40} {pre_t * 1000:9.1f} {pre_q:8d} "
                    f"{rawp_t * 1000:12.1f} {pre_t / rawp_t:6.2f}"
                )
            print(
                f"{'timeline first page, ' + label:40} {line_t * 1000:9.1f} {line_q:8d} {rawl_t * 1000:12.1f} "
                f"{line_t / rawl_t:6.2f}"
            )
            print(
                f"{'web list page (+count, names, details), ' + label:40} {web_t * 1000:9.1f} {web_q:8d} "
                f"{rawl_t * 1000:12.1f} {web_t / rawl_t:6.2f}"
            )
            kinds = {}
            for entry in page:
                kinds[entry.entry_type] = kinds.get(entry.entry_type, 0) + 1
            print(f"  first page: {', '.join(f'{count} {kind}' for kind, count in kinds.items())}")
        print("card figures and first pages equal to the baseline's for both customers")
        small_q, big_q = results.values()
        print(
            "queries with 10 vs many documents (card, timeline page, web page"
            f"{', pre-sale figures' if presale else ''}): "
            f"{small_q} -> {big_q}: {'constant' if small_q == big_q else 'NOT CONSTANT'}"
        )
        scans = []
        for label, seeded in (("10 documents", small), (f"{args.documents} documents", big)):
            customer = seeded.with_env(user_env)
            found = sequential_scans(
                user_env,
                [
                    lambda c=customer: orm_card(c, fields),
                    lambda c=customer: orm_timeline(user_env, c),
                    lambda c=customer: web_timeline(user_env, c),
                ],
            )
            scans.append(f"{label}: {', '.join(f'{t} {n}' for t, n in sorted(found.items())) or 'none'}")
        print(f"sequential scans of the filled tables (card, page, web page): {'; '.join(scans)}")
        shares = []
        for table, installed in (("crm_lead", has_pipeline(env)), ("calendar_event", has_appointments(env))):
            if installed:
                share = env.execute_query(
                    SQL(
                        "SELECT count(*) FILTER (WHERE crm_customer_id = %s)::float / count(*) FROM %s",
                        big.id,
                        SQL.identifier(table),
                    )
                )[0][0]
                shares.append(f"{table} {share:.0%}")
        if shares:
            print(
                f"the big customer's rows in their tables (a sequential scan reads them best): {', '.join(shares)}"
            )
        cr.rollback()


if __name__ == "__main__":
    main()
