#!/usr/bin/env python3
"""Telephony benchmark: a PBX's call events against a running Odoo, over HTTP and the websocket.

Usage (from the repository root; Odoo started with ``odoo-bin``, not ``python -m odoo``, with 2 HTTP
workers and its websocket (gevent) process, its log written to a file)::

    odoo-bin -c CONF -d DB --workers=2 --max-cron-threads=0 >odoo.log 2>&1 &
    .venv/bin/python bench/bench_phone.py --db DB --conf CONF --url http://127.0.0.1:8069 \\
        --gevent-url http://127.0.0.1:8072 --odoo-log odoo.log [all|webhook|lookup|replay]

What it sets up first, on the database through the ORM (committed, the same records at every run):
a PBX (*Bench PBX*) whose key is ``--key`` (a new one at each run when not given; only its hash is
stored), a Relationship User operator (``crm_bench_phone_op``, password = login) with extension 201 and
member and call-back responsible of queue 600, and 500 contacts at 100 customers with phones in mixed
formats (``+39 0432 7..``, ``0039 ...``, ``(0432) ...``). Then:

1. **webhook** (webhook to screen): the operator logs in (``/web/session/authenticate``), opens the
   websocket on the gevent port with that session and subscribes as the web client's worker does (the
   server adds the user's partner channel, where the pop-up ``crm_relationship_phone/call`` arrives).
   After a warm-up, the PBX (its own HTTP session, ``Authorization: Bearer``) sends ``--events`` ringing
   events one after the other; for each, the time from the POST being sent to the pop-up of that call
   (its id as the POST answered it) received on the websocket, and the POST alone (client round trip,
   and server time from Odoo's log). The calls are then answered and hung up (not measured).
2. **lookup**: ``--contacts`` contacts with phones in mixed formats (``bench_call_lookup.seed``, topped
   up when fewer), ``--lookups`` numbers each typed in another format than stored, looked up through
   ``GET /crm_relationship_phone/lookup`` (the contact must be among the answer's), then the endpoint's
   lookup query on its own, its ``EXPLAIN (ANALYZE, BUFFERS)`` printed: the benchmark stops if it reads
   ``res_partner`` by a sequential scan.
3. **replay**: ``--calls`` calls of two events each (answered + hang-up, ringing + missed, ringing +
   hang-up), every event sent twice, all of them shuffled and posted one per request from ``--threads``
   client threads at once, against customers the operator does not follow yet (``--customers`` of the
   100 take the calls: fewer make their calls meet more often). Then: exactly one phone call per call
   id, the states, times, talk and wait times and the operator the events make, every call ended, one
   customer call each, a call-back for each unanswered call and none left for an answered one, no
   failed request, and the conflicts Odoo retried (from its log).

The exit status is 1 when a check fails (a notification missing, a failed request, a sequential scan,
a wrong record); the latency targets are printed PASS or FAIL beside the figures.
"""

import argparse
import json
import os
import queue
import random
import re
import secrets
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import requests
import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_call_lookup import BENCH_REF, e164, retype, seed
from bench_web_screens import percentile
from load_operators import OdooLog, Session, log, open_registry

import odoo
import odoo.api
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PBX_NAME = "Bench PBX"
OPERATOR_LOGIN = "crm_bench_phone_op"
EXTENSION = "201"
QUEUE = "600"
CUSTOMER_REF = "crm-bench-phone"
CONTACTS = 500
CONTACTS_PER_CUSTOMER = 5
PHONE_FORMATS = (
    "+39 0432 {a} {b}",
    "0039 0432 {a}{b}",
    "0432 {a} {b}",
    "0432-{a}{b}",
    "(0432) {a} {b}",
    "+39-0432-{a}-{b}",
)
EVENT_PATH = "/crm_relationship_phone/event"
LOOKUP_PATH = "/crm_relationship_phone/lookup"
NOTIFICATION_TYPE = "crm_relationship_phone/call"
# The version the web client's websocket worker announces (addons/bus/websocket.py, _VERSION).
WEBSOCKET_VERSION = "19.0-2"
TARGET_WEBHOOK_P95_MS = 300
TARGET_LOOKUP_P95_MS = 15
REQUEST_LINE_RE = re.compile(
    r'werkzeug: .*"(?P<method>[A-Z]+) (?P<path>[^ ?"]+)\S* HTTP/[\d.]+" (?P<status>\d+) - '
    r"(?P<queries>\d+) (?P<query_time>[\d.]+) (?P<other_time>[\d.]+)"
)
RETRY_LINE_RE = re.compile(r"odoo\.service\.model: (?P<error>.+?), \d+ tries left, try again in")


def ms(seconds):
    return seconds * 1000.0


def figures(values):
    """p50, p95 and max of ``values`` (ms)."""
    return percentile(values, 0.5), percentile(values, 0.95), max(values)


def fmt_ms(values):
    p50, p95, top = figures(values)
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms"


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------
# Set-up, on the database through the ORM
# ----------------------------------------------------------------------


def prepare(args):
    """The PBX (with the run's key), the operator, the queue and the customers; committed."""
    with open_registry(args.db, args.conf).cursor() as cr:
        from odoo.addons.crm_relationship_phone.models.crm_relationship_pbx import hash_key  # noqa: PLC0415

        env = odoo.api.Environment(
            cr, odoo.SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
        )
        if "crm.relationship.pbx" not in env:
            raise SystemExit(f"crm_relationship_phone is not installed in {args.db}")
        company = env.ref("base.user_admin").company_id
        # the numbers are Italian, read in the country of the PBX's company
        company.country_id = env.ref("base.it")
        Users = env["res.users"].with_context(no_reset_password=True, active_test=False)
        operator = Users.search([("login", "=", OPERATOR_LOGIN)])
        if not operator:
            operator = Users.create(
                {
                    "name": "Bench Phone Operator",
                    "login": OPERATOR_LOGIN,
                    "password": OPERATOR_LOGIN,
                    "email": f"{OPERATOR_LOGIN}@example.com",
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "group_ids": [
                        (
                            6,
                            0,
                            [
                                env.ref("base.group_user").id,
                                env.ref("crm_relationship.crm_relationship_group_user").id,
                            ],
                        )
                    ],
                    "tz": "Europe/Rome",
                }
            )
        operator.active = True
        Pbx = env["crm.relationship.pbx"].with_context(active_test=False)
        pbx = Pbx.search([("name", "=", PBX_NAME), ("company_id", "=", company.id)])
        if not pbx:
            pbx = Pbx.create({"name": PBX_NAME, "company_id": company.id, "responsible_id": operator.id})
        pbx.write({"active": True, "key_hash": hash_key(args.key), "key_hint": args.key[:6]})
        extension = pbx.extension_ids.filtered(lambda ext: ext.name == EXTENSION)
        if not extension:
            env["crm.relationship.pbx.extension"].create(
                {"pbx_id": pbx.id, "name": EXTENSION, "user_id": operator.id}
            )
        elif extension.user_id != operator:
            extension.user_id = operator
        bench_queue = pbx.queue_ids.filtered(lambda queue: queue.code == QUEUE)
        queue_values = {"user_ids": [(6, 0, operator.ids)], "responsible_id": operator.id}
        if not bench_queue:
            env["crm.relationship.pbx.queue"].create(
                dict(queue_values, pbx_id=pbx.id, code=QUEUE, name="Bench support")
            )
        else:
            bench_queue.write(queue_values)
        contacts = prepare_customers(env, company)
        # The first call-back on a customer makes its responsible a follower of the customer: the
        # replay starts from customers the operator does not follow, as the first day would.
        env["res.partner"].browse({contact["customer_id"] for contact in contacts}).message_unsubscribe(
            partner_ids=operator.partner_id.ids
        )
        cr.commit()
        return {
            "company_id": company.id,
            "pbx_id": pbx.id,
            "operator_id": operator.id,
            "customers": contacts,
        }


def customer_phone(index):
    """The national number of bench contact ``index`` and the way it is stored."""
    subscriber = f"7{index:05d}"
    stored = PHONE_FORMATS[index % len(PHONE_FORMATS)].format(a=subscriber[:3], b=subscriber[3:])
    return "0432" + subscriber, stored


def prepare_customers(env, company):
    """``CONTACTS`` contacts, ``CONTACTS_PER_CUSTOMER`` per customer company, each with a number of its own."""
    Partner = env["res.partner"]
    bench = Partner.search([("ref", "=", CUSTOMER_REF)], order="id")
    companies = {partner.name: partner for partner in bench if partner.is_company}
    contacts = {partner.name: partner for partner in bench if not partner.is_company}
    company_names = [
        f"Bench Phone Customer {number:03d}" for number in range(CONTACTS // CONTACTS_PER_CUSTOMER)
    ]
    contact_names = [f"Bench Phone Contact {index:03d}" for index in range(CONTACTS)]
    missing = [name for name in company_names if name not in companies]
    for partner in Partner.create(
        [
            {
                "name": name,
                "is_company": True,
                "ref": CUSTOMER_REF,
                "company_id": company.id,
                "country_id": company.country_id.id,
            }
            for name in missing
        ]
    ):
        companies[partner.name] = partner
    created = Partner.create(
        [
            {
                "name": name,
                "parent_id": companies[company_names[index // CONTACTS_PER_CUSTOMER]].id,
                "phone": customer_phone(index)[1],
                "ref": CUSTOMER_REF,
                "company_id": company.id,
                "country_id": company.country_id.id,
            }
            for index, name in enumerate(contact_names)
            if name not in contacts
        ]
    )
    contacts.update((partner.name, partner) for partner in created)
    if created:
        log("Set-up: %d contacts with phones in mixed formats, at %d customers", len(created), len(companies))
    return [
        {
            "contact_id": contacts[name].id,
            "customer_id": contacts[name].commercial_partner_id.id,
            "national": customer_phone(index)[0],
            "phone": contacts[name].phone,
        }
        for index, name in enumerate(contact_names)
    ]


def dialled_number(customer, index):
    """The number as the PBX sends it: E.164 without spaces, or the national digits."""
    return "+39" + customer["national"] if index % 2 else customer["national"]


# ----------------------------------------------------------------------
# Clients: the PBX and the operator's websocket
# ----------------------------------------------------------------------


class Pbx:
    """The PBX's HTTP client, authenticated by its key."""

    def __init__(self, url, db, key, timeout=120):
        self.url = url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers.update(
            {
                "Authorization": f"Bearer {key}",
                "X-Odoo-Database": db,
                "Content-Type": "application/json",
            }
        )

    def post_events(self, events):
        return self.http.post(self.url + EVENT_PATH, data=json.dumps(events), timeout=self.timeout)

    def lookup(self, number):
        return self.http.get(self.url + LOOKUP_PATH, params={"number": number}, timeout=self.timeout)


class BusListener:
    """The operator's websocket, as the web client's worker opens it: the pop-ups the server pushes,
    by PBX call id, with the time each arrived."""

    def __init__(self, gevent_url, session_id, last):
        ws_url = gevent_url.replace("http", "ws", 1) + f"/websocket?version={WEBSOCKET_VERSION}"
        self.ws = websocket.create_connection(
            ws_url, cookie=f"session_id={session_id}", origin=gevent_url, timeout=30
        )
        self.ws.settimeout(None)
        self.condition = threading.Condition()
        self.arrivals = defaultdict(list)  # pbx_call_id -> [(perf_counter, payload)]
        self.other = Counter()
        self.closed = False
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()
        self.ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": last}}))

    def _receive(self):
        while True:
            try:
                message = self.ws.recv()
            except (websocket.WebSocketException, OSError):
                break
            arrived = time.perf_counter()
            if not message:
                continue
            with self.condition:
                for notification in json.loads(message):
                    content = notification.get("message") or {}
                    if content.get("type") == NOTIFICATION_TYPE:
                        payload = content["payload"]
                        self.arrivals[payload["pbx_call_id"]].append((arrived, payload))
                    else:
                        self.other[content.get("type")] += 1
                self.condition.notify_all()
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def wait(self, pbx_call_id, timeout):
        """The first pop-up of ``pbx_call_id``: (arrival time, payload), or None after ``timeout``."""
        with self.condition:
            self.condition.wait_for(lambda: self.arrivals.get(pbx_call_id) or self.closed, timeout)
            arrivals = self.arrivals.get(pbx_call_id)
            return arrivals[0] if arrivals else None

    def close(self):
        self.ws.close()
        self.thread.join(5)


def server_requests(lines, method, path):
    """(status, queries, server seconds) of each ``method path`` request in Odoo's log lines."""
    found = []
    for line in lines:
        match = REQUEST_LINE_RE.search(line)
        if match and match["method"] == method and match["path"] == path:
            seconds = float(match["query_time"]) + float(match["other_time"])
            found.append((int(match["status"]), int(match["queries"]), seconds))
    return found


def log_window_lines(odoo_log, wait=0.5):
    """The lines Odoo wrote since ``odoo_log`` was opened (its request lines come after the answer)."""
    time.sleep(wait)
    return odoo_log.lines()


# ----------------------------------------------------------------------
# 1. Webhook to screen
# ----------------------------------------------------------------------


def bench_webhook(args, plan, run_id, results):
    log("")
    log("## Webhook to screen: ringing event POSTed by the PBX -> pop-up on the operator's websocket")
    session = Session(args.url, args.db, OPERATOR_LOGIN, plan["company_id"])
    session.authenticate()
    session_id = session.http.cookies.get("session_id")
    with open_registry(args.db, args.conf).cursor() as cr:
        cr.execute("SELECT COALESCE(max(id), 0) FROM bus_bus")
        last = cr.fetchone()[0]
    listener = BusListener(args.gevent_url, session_id, last)
    pbx = Pbx(args.url, args.db, args.key)
    customers = plan["customers"]
    checks = []

    def ring(label, index):
        call_id = f"bench-ws-{run_id}-{label}-{index:03d}"
        event = {
            "call_id": call_id,
            "event": "ringing",
            "direction": "inbound",
            "number": dialled_number(customers[index % len(customers)], index),
            "extension": EXTENSION,
            "queue": QUEUE,
            "timestamp": iso(datetime.now(UTC)),
        }
        sent = time.perf_counter()
        response = pbx.post_events(event)
        answered = time.perf_counter()
        if response.status_code != 200:
            raise SystemExit(
                f"the PBX's ringing event was refused: {response.status_code} {response.text[:300]}"
            )
        answer = response.json()
        call = answer["calls"][0]
        arrival = listener.wait(call_id, args.notification_timeout)
        if arrival is None:
            return call_id, call, sent, answered, None, None
        return call_id, call, sent, answered, arrival[0], arrival[1]

    try:
        warm_up = []
        started = time.perf_counter()
        for index in range(args.warm_up):
            call_id, call, sent, _answered, arrived, payload = ring("warm", index)
            warm_up.append(call_id)
            if arrived is None:
                raise SystemExit(
                    f"warm-up: no pop-up on the websocket within {args.notification_timeout} s for {call_id} "
                    f"(is the gevent process up on {args.gevent_url}? other messages: {dict(listener.other)})"
                )
            if index == 0:
                log("Warm-up: first pop-up after %.0f ms (subscription, caches)", ms(arrived - sent))
        log(
            "Warm-up: %d ringing events, each popped up (not measured, %.1f s)",
            args.warm_up,
            time.perf_counter() - started,
        )

        odoo_log = OdooLog(args.odoo_log)
        measured, latencies, posts, after_answer, missing, wrong = [], [], [], [], [], []
        for index in range(args.events):
            call_id, call, sent, answered, arrived, payload = ring("run", index)
            measured.append(call_id)
            posts.append(ms(answered - sent))
            if arrived is None:
                missing.append(call_id)
                continue
            if payload["id"] != call["id"] or plan["operator_id"] not in call["notified_user_ids"]:
                wrong.append((call_id, payload["id"], call["id"], call["notified_user_ids"]))
            latencies.append(ms(arrived - sent))
            after_answer.append(ms(arrived - answered))
            time.sleep(args.pause)
        lines = log_window_lines(odoo_log)
    finally:
        listener.close()

    server = server_requests(lines, "POST", EVENT_PATH)
    log("")
    log(
        "%d ringing events, one at a time (%.0f ms apart), each a new call of a known customer",
        args.events,
        ms(args.pause),
    )
    if latencies:
        p95 = figures(latencies)[1]
        verdict = "PASS" if p95 <= TARGET_WEBHOOK_P95_MS else "FAIL"
        log(
            "  POST sent -> pop-up received:   %s (target p95 <= %d ms: %s)",
            fmt_ms(latencies),
            TARGET_WEBHOOK_P95_MS,
            verdict,
        )
        log("  POST round trip (client):       %s", fmt_ms(posts))
        log("  pop-up after the POST's answer: %s", fmt_ms(after_answer))
        results["webhook"] = {"latency": figures(latencies), "post": figures(posts), "verdict": verdict}
    if server:
        server_ms = [ms(seconds) for _status, _queries, seconds in server]
        queries = [count for _status, count, _seconds in server]
        log(
            "  POST server time (Odoo's log):  %s, %.1f queries per event (%d requests)",
            fmt_ms(server_ms),
            sum(queries) / len(queries),
            len(server),
        )
        results.setdefault("webhook", {})["server"] = figures(server_ms)
        results["webhook"]["queries"] = sum(queries) / len(queries)
    else:
        log("  POST server time: no request line found in %s", args.odoo_log)
    checks.append(("every ringing event popped up on the operator's websocket", not missing, missing[:5]))
    checks.append(("each pop-up carries the id of the call the POST answered", not wrong, wrong[:5]))

    # Answer and hang up the calls, so that none stays ringing (not measured).
    now = datetime.now(UTC)
    cleanup = [
        {
            "call_id": call_id,
            "event": kind,
            "extension": EXTENSION,
            "timestamp": iso(now + timedelta(seconds=delay)),
        }
        for call_id in warm_up + measured
        for kind, delay in (("answered", 0), ("hangup", 1))
    ]
    for start in range(0, len(cleanup), 100):
        response = pbx.post_events(cleanup[start : start + 100])
        if response.status_code != 200:
            raise SystemExit(f"ending the calls failed: {response.status_code} {response.text[:300]}")
    results.setdefault("checks", []).extend(checks)
    report_checks(checks)


# ----------------------------------------------------------------------
# 2. Lookup
# ----------------------------------------------------------------------


def bench_lookup(args, plan, results):
    log("")
    log("## Lookup: GET %s among %s contacts with phones", LOOKUP_PATH, f"{args.contacts:,}")
    rng = random.Random(42)
    with open_registry(args.db, args.conf).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env["res.company"].browse(plan["company_id"])
        seed(env(context={"allowed_company_ids": company.ids}), args.contacts, rng)
        cr.execute(
            "SELECT id, phone FROM res_partner WHERE ref = %s ORDER BY md5(id::text) LIMIT %s",
            [BENCH_REF, args.lookups],
        )
        samples = [(partner_id, retype(phone, rng)) for partner_id, phone in cr.fetchall()]
        cr.execute("SELECT count(*), count(phone_sanitized) FROM res_partner WHERE active")
        partners, with_phone = cr.fetchone()
        query = endpoint_query(env, plan, samples)
    log(
        "%s active partners, %s with a phone; %d numbers typed in another format than stored",
        f"{partners:,}",
        f"{with_phone:,}",
        len(samples),
    )

    pbx = Pbx(args.url, args.db, args.key)
    for _partner_id, typed in samples[:50]:
        pbx.lookup(typed)
    log("Warm-up: 50 lookups (not measured)")
    odoo_log = OdooLog(args.odoo_log)
    latencies, errors, misses = [], [], []
    for partner_id, typed in samples:
        started = time.perf_counter()
        response = pbx.lookup(typed)
        latencies.append(ms(time.perf_counter() - started))
        if response.status_code != 200:
            errors.append((typed, response.status_code, response.text[:200]))
            continue
        answer = response.json()
        if partner_id not in [contact["id"] for contact in answer["contacts"]] or not answer["name"]:
            misses.append((typed, partner_id, answer))
    lines = log_window_lines(odoo_log)
    server = server_requests(lines, "GET", LOOKUP_PATH)
    p95 = figures(latencies)[1]
    verdict = "PASS" if p95 <= TARGET_LOOKUP_P95_MS else "FAIL"
    log("")
    log("%d lookups over HTTP, one at a time, the PBX's key", len(samples))
    log(
        "  HTTP round trip (client):   %s (target p95 <= %d ms: %s)",
        fmt_ms(latencies),
        TARGET_LOOKUP_P95_MS,
        verdict,
    )
    results["lookup"] = {"http": figures(latencies), "verdict": verdict, "partners": partners}
    if server:
        server_ms = [ms(seconds) for _status, _queries, seconds in server]
        queries = [count for _status, count, _seconds in server]
        log(
            "  server time (Odoo's log):   %s, %.1f queries per lookup",
            fmt_ms(server_ms),
            sum(queries) / len(queries),
        )
        results["lookup"]["server"] = figures(server_ms)
        results["lookup"]["queries"] = sum(queries) / len(queries)
    log("  the lookup's query alone:   %s (from the bench, over the same numbers)", fmt_ms(query["times"]))
    log(
        "  the endpoint's match (ORM, cold cache): %s, %.1f queries",
        fmt_ms(query["orm_times"]),
        query["orm_queries"],
    )
    log("  query plan of the lookup (EXPLAIN ANALYZE, BUFFERS):")
    for line in query["plan"]:
        log("    %s", line)
    results["lookup"]["query"] = figures(query["times"])
    results["lookup"]["plan"] = query["scan"]
    results["lookup"]["execution"] = query["execution"]
    checks = [
        ("every lookup answered 200", not errors, errors[:5]),
        ("the contact of every typed number is in the answer, with a caller name", not misses, misses[:3]),
        ("the lookup reads res_partner through an index", not query["seq_scan"], query["scan"]),
    ]
    results.setdefault("checks", []).extend(checks)
    report_checks(checks)
    if query["seq_scan"]:
        raise SystemExit("FAIL: the lookup reads res_partner by a sequential scan (plan above)")


def endpoint_query(env, plan, samples):
    """The query the endpoint's lookup sends, captured from the cursor for each number: its times,
    the ORM call's times and queries, and the plan of the first one."""
    cr = env.cr
    pbx = env["crm.relationship.pbx"].browse(plan["pbx_id"])
    pbx = pbx.sudo().with_company(pbx.company_id)
    PhoneCall = env["crm.relationship.phone.call"].sudo().with_company(pbx.company_id)
    execute = cr.execute
    statements = []

    def capture(query, params=None, log_exceptions=True):
        started = time.perf_counter()
        try:
            return execute(query, params, log_exceptions)
        finally:
            elapsed = time.perf_counter() - started
            if isinstance(query, SQL):
                statements.append((query.code, tuple(query.params), elapsed))
            else:
                statements.append((query, tuple(params or ()), elapsed))

    times, orm_times, counts, first = [], [], [], None
    cr.execute = capture
    try:
        for _partner_id, typed in samples:
            key = e164(typed)
            env.invalidate_all()
            statements.clear()
            started = time.perf_counter()
            PhoneCall._crm_prepare_match_values(pbx, typed)
            orm_times.append(ms(time.perf_counter() - started))
            counts.append(len(statements))
            lookup = [
                (code, params, elapsed)
                for code, params, elapsed in statements
                if any(param == key or (isinstance(param, tuple) and key in param) for param in params)
            ]
            if not lookup:
                raise SystemExit(f"no query of the lookup of {typed!r} carries its E.164 key {key}")
            times.append(ms(lookup[0][2]))
            first = first or lookup[0]
    finally:
        del cr.execute
    plan_rows = env.execute_query(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", SQL(first[0], *first[1])))
    lines = [line for (line,) in plan_rows]
    text = "\n".join(lines)
    scans = re.findall(r"((?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)[^(]*)", text)
    execution = re.search(r"Execution Time: ([\d.]+) ms", text)
    return {
        "times": times,
        "orm_times": orm_times,
        "orm_queries": sum(counts) / len(counts),
        "plan": lines,
        "scan": "; ".join(scan.strip() for scan in scans),
        "seq_scan": "Seq Scan on res_partner" in text,
        "execution": float(execution.group(1)) if execution else None,
    }


# ----------------------------------------------------------------------
# 3. Replay
# ----------------------------------------------------------------------

KINDS = (
    # (kind, events, state): answered then hung up, or rung then missed / hung up unanswered
    ("answered", ("answered", "hangup"), "done"),
    ("missed", ("ringing", "missed"), "missed"),
    ("unanswered", ("ringing", "hangup"), "missed"),
)


def replay_plan(plan, run_id, calls, customers_count, rng):
    """The calls of the run, with what their events must make of them."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    customers = plan["customers"][: customers_count * CONTACTS_PER_CUSTOMER]
    expected = {}
    events = []
    for index in range(calls):
        kind, (first, last), state = KINDS[index % len(KINDS)]
        call_id = f"bench-replay-{run_id}-{index:04d}"
        customer = customers[index % len(customers)]
        start = base + timedelta(seconds=10 * index)
        length = rng.randint(5, 600) if kind == "answered" else rng.randint(5, 60)
        number = dialled_number(customer, index)
        common = {"call_id": call_id, "direction": "inbound", "number": number, "queue": QUEUE}
        events.append(dict(common, event=first, extension=EXTENSION, timestamp=iso(start)))
        events.append(dict(common, event=last, timestamp=iso(start + timedelta(seconds=length))))
        expected[call_id] = {
            "kind": kind,
            "state": state,
            "number": number,
            "contact_id": customer["contact_id"],
            "customer_id": customer["customer_id"],
            "start": start.replace(tzinfo=None),
            "end": (start + timedelta(seconds=length)).replace(tzinfo=None),
            "talk": length if kind == "answered" else 0,
            "wait": 0 if kind == "answered" else length,
        }
    return expected, events


def bench_replay(args, plan, run_id, results):
    log("")
    rng = random.Random(run_id)
    expected, events = replay_plan(plan, run_id, args.calls, args.customers, rng)
    sends = events * 2
    rng.shuffle(sends)
    log(
        "## Replay: %d calls of %d contacts at %d customers, %d events each sent twice (%d requests, "
        "shuffled), %d client threads",
        len(expected),
        len({want["contact_id"] for want in expected.values()}),
        len({want["customer_id"] for want in expected.values()}),
        len(events),
        len(sends),
        args.threads,
    )
    work = queue.Queue()
    for event in sends:
        work.put(event)
    lock = threading.Lock()
    latencies, failures = [], []
    statuses = Counter()

    def client():
        pbx = Pbx(args.url, args.db, args.key)
        while True:
            try:
                event = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                response = pbx.post_events(event)
                status, text = response.status_code, response.text[:300]
            except requests.RequestException as error:
                status, text = type(error).__name__, str(error)[:300]
            elapsed = ms(time.perf_counter() - started)
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if status != 200:
                    failures.append((event["call_id"], event["event"], status, text))

    odoo_log = OdooLog(args.odoo_log)
    run_start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(seconds=1)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _number in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    lines = log_window_lines(odoo_log)
    server = server_requests(lines, "POST", EVENT_PATH)
    retries = Counter()
    for line in lines:
        match = RETRY_LINE_RE.search(line)
        if match:
            error = match["error"]
            if error.startswith("ConcurrencyError"):
                error = (
                    "ConcurrencyError (call-back: follower added by another request)"
                    if "follower" in error
                    else "ConcurrencyError (call created by another request)"
                )
            retries[error] += 1
    # a conflict is logged as a failed query ("bad query") before Odoo runs the request again
    failed_queries = [line for line in lines if " ERROR " in line and "odoo.sql_db: bad query" in line]
    errors_logged = [
        line
        for line in lines
        if (" ERROR " in line or " CRITICAL " in line or "maximum number of tries" in line)
        and line not in failed_queries
    ]
    http_errors = sum(count for status, count in statuses.items() if status != 200)

    log("")
    log("  %.1f s, %.0f requests/s; client round trip %s", elapsed, len(sends) / elapsed, fmt_ms(latencies))
    log(
        "  answers: %s",
        ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items(), key=str)),
    )
    for call_id, kind, status, text in failures[:10]:
        log("    %s %s: %s %s", call_id, kind, status, text)
    if server:
        server_ms = [ms(seconds) for _status, _queries, seconds in server]
        log(
            "  server time (Odoo's log): %s, %.1f queries per event; %d requests logged",
            fmt_ms(server_ms),
            sum(count for _status, count, _seconds in server) / len(server),
            len(server),
        )
    if args.odoo_log and os.path.exists(args.odoo_log):
        log(
            "  conflicts retried by Odoo: %s",
            ", ".join(f"{count} x {error}" for error, count in retries.items()) or "none",
        )
        log("  failed queries logged by Odoo (the conflicts it retried): %d", len(failed_queries))
        log("  other errors in Odoo's log: %d", len(errors_logged))
        for line in errors_logged[:5]:
            log("    %s", line[:300])
    checks = check_replay(args, plan, run_id, expected, run_start)
    checks.insert(0, ("no failed request (HTTP errors)", not http_errors, failures[:5]))
    if args.odoo_log and os.path.exists(args.odoo_log):
        checks.append(("no error in Odoo's log", not errors_logged, errors_logged[:3]))
    results["replay"] = {
        "calls": len(expected),
        "customers": len({want["customer_id"] for want in expected.values()}),
        "requests": len(sends),
        "threads": args.threads,
        "seconds": elapsed,
        "http": figures(latencies),
        "http_errors": http_errors,
        "retries": sum(retries.values()),
        "retry_kinds": dict(retries),
        "ok": all(ok for _name, ok, _detail in checks),
    }
    results.setdefault("checks", []).extend(checks)
    report_checks(checks)


def check_replay(args, plan, run_id, expected, run_start):
    """What the events must have made, read back from the database."""
    prefix = f"bench-replay-{run_id}-"
    with open_registry(args.db, args.conf).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"active_test": False})
        cr.execute(
            "SELECT count(*), count(DISTINCT pbx_call_id) FROM crm_relationship_phone_call "
            "WHERE pbx_id = %s AND pbx_call_id LIKE %s",
            [plan["pbx_id"], prefix + "%"],
        )
        rows, distinct = cr.fetchone()
        calls = env["crm.relationship.phone.call"].search(
            [("pbx_id", "=", plan["pbx_id"]), ("pbx_call_id", "=like", prefix + "%")]
        )
        by_id = {call.pbx_call_id: call for call in calls}
        negative = calls.filtered(lambda call: call.talk_seconds < 0 or call.wait_seconds < 0)
        not_ended = calls.filtered(lambda call: not call.date_end)
        wrong = []
        for call_id, want in expected.items():
            call = by_id.get(call_id)
            if not call:
                continue
            got = {
                "state": call.state,
                "end": call.date_end,
                "talk": call.talk_seconds,
                "wait": call.wait_seconds,
                "operator": call.user_id.id if want["kind"] == "answered" else None,
                "contact": call.contact_id.id,
                "customer": call.partner_id.id,
                "customer_calls": len(call.call_ids),
                "customer_call_state": call.call_ids[:1].state,
                "customer_call_outcome": call.call_ids[:1].outcome_id.id
                if want["kind"] == "answered"
                else None,
                "callback": bool(call.callback_activity_id),
            }
            must = {
                "state": want["state"],
                "end": want["end"],
                "talk": want["talk"],
                "wait": want["wait"],
                "operator": plan["operator_id"] if want["kind"] == "answered" else None,
                "contact": want["contact_id"],
                "customer": want["customer_id"],
                "customer_calls": 1,
                # an answered call waits for the operator's outcome; an unanswered one is closed
                # with its call-back as the next action
                "customer_call_state": "open" if want["kind"] == "answered" else "done",
                "customer_call_outcome": False if want["kind"] == "answered" else None,
                "callback": want["kind"] != "answered",
            }
            diff = {key: (got[key], must[key]) for key in must if got[key] != must[key]}
            if diff:
                wrong.append((call_id, want["kind"], diff))
        # one call-back per unanswered call, none left behind by an answer that came after the hang-up
        activities = env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", list({want["customer_id"] for want in expected.values()})),
                ("summary", "=like", "Call back %"),
                ("create_date", ">=", run_start),
            ]
        )
        callbacks = calls.callback_activity_id
        unanswered = sum(1 for want in expected.values() if want["kind"] != "answered")
        states = Counter(call.state for call in calls)
    log("")
    log("  phone calls of the run: %d rows, %d call ids; states: %s", rows, distinct, dict(states))
    log(
        "  call-back activities made during the run: %d, %d of them the call-backs of the run's calls",
        len(activities),
        len(callbacks & activities),
    )
    for call_id, kind, diff in wrong[:10]:
        log("    %s (%s): %s", call_id, kind, diff)
    return [
        (
            f"exactly {len(expected)} phone calls for the run's prefix",
            rows == len(expected) == distinct,
            (rows, distinct),
        ),
        ("no negative talk or wait time", not negative, negative.mapped("pbx_call_id")[:5]),
        ("every call has its end (no hang-up lost)", not not_ended, not_ended.mapped("pbx_call_id")[:5]),
        ("states, times, operator, customer call and call-back as the events say", not wrong, wrong[:3]),
        (
            "one call-back per unanswered call, none left for an answered one",
            len(activities) == len(callbacks) == unanswered and callbacks <= activities,
            (len(activities), len(callbacks), unanswered),
        ),
    ]


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def report_checks(checks):
    log("  load average (1 minute) at the end of the measure: %.2f", os.getloadavg()[0])
    for name, ok, detail in checks:
        log("  [%s] %s%s", "PASS" if ok else "FAIL", name, "" if ok else f": {detail}")


def summary(args, results):
    log("")
    log("## Summary")
    log("")
    log("| Measure | Result | Target |")
    log("|---|---|---|")
    webhook = results.get("webhook")
    if webhook and "latency" in webhook:
        p50, p95, top = webhook["latency"]
        log(
            "| Webhook to screen: ringing POST sent -> pop-up on the websocket (%d events, after %d warm-up) "
            "| p50 %.0f ms, p95 %.0f ms, max %.0f ms | p95 <= %d ms: %s |",
            args.events,
            args.warm_up,
            p50,
            p95,
            top,
            TARGET_WEBHOOK_P95_MS,
            webhook["verdict"],
        )
        p50, p95, top = webhook["post"]
        server = webhook.get("server")
        log(
            "| ... the POST alone: client round trip; server time (Odoo's log) | p50 %.0f ms, p95 %.0f ms%s | |",
            p50,
            p95,
            f"; server p50 {server[0]:.0f} ms, p95 {server[1]:.0f} ms, {webhook['queries']:.0f} queries"
            if server
            else "",
        )
    lookup = results.get("lookup")
    if lookup:
        p50, p95, top = lookup["http"]
        log(
            "| Lookup over HTTP among %s partners (%d numbers typed in another format) "
            "| p50 %.1f ms, p95 %.1f ms, max %.1f ms | p95 <= %d ms: %s |",
            f"{lookup['partners']:,}",
            args.lookups,
            p50,
            p95,
            top,
            TARGET_LOOKUP_P95_MS,
            lookup["verdict"],
        )
        server = lookup.get("server")
        if server:
            log(
                "| ... server time (Odoo's log) | p50 %.1f ms, p95 %.1f ms, %.0f queries | |",
                server[0],
                server[1],
                lookup["queries"],
            )
        p50, p95, _top = lookup["query"]
        log(
            "| ... the lookup query | p50 %.2f ms, p95 %.2f ms; %s%s | index scan |",
            p50,
            p95,
            lookup["plan"],
            f" ({lookup['execution']:.3f} ms in PostgreSQL)" if lookup["execution"] is not None else "",
        )
    replay = results.get("replay")
    if replay:
        p50, p95, _top = replay["http"]
        log(
            "| Replay: %d calls at %d customers, %d requests (each event twice, shuffled), %d threads "
            "| %.1f s, p50 %.0f ms, p95 %.0f ms; %d HTTP errors; conflicts retried by Odoo: %s; checks %s "
            "| 0 errors, exact records |",
            replay["calls"],
            replay["customers"],
            replay["requests"],
            replay["threads"],
            replay["seconds"],
            p50,
            p95,
            replay["http_errors"],
            ", ".join(f"{count} x {kind}" for kind, count in replay["retry_kinds"].items()) or "none",
            "PASS" if replay["ok"] else "FAIL",
        )
    failed = [name for name, ok, _detail in results.get("checks", []) if not ok]
    log("")
    log("Checks: %s", "all passed" if not failed else "FAILED: " + "; ".join(failed))
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="all", choices=("all", "webhook", "lookup", "replay"))
    parser.add_argument("--db", default=os.environ.get("CRM_DB", "crm_relationship_demo"))
    parser.add_argument("--conf", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--url", default="http://127.0.0.1:%s" % os.environ.get("CRM_HTTP_PORT", "8069"))
    parser.add_argument(
        "--gevent-url", default="http://127.0.0.1:%s" % os.environ.get("CRM_GEVENT_PORT", "8072")
    )
    parser.add_argument("--odoo-log", default=os.path.join(ROOT, ".state", "logs", "odoo-cluster.log"))
    parser.add_argument("--key", help="the bench PBX's key (default: a new one, set on the PBX for this run)")
    parser.add_argument("--events", type=int, default=100, help="webhook: ringing events measured")
    parser.add_argument("--warm-up", type=int, default=10, help="webhook: ringing events before measuring")
    parser.add_argument("--pause", type=float, default=0.05, help="webhook: seconds between two events")
    parser.add_argument("--notification-timeout", type=float, default=10.0)
    parser.add_argument("--contacts", type=int, default=200_000, help="lookup: contacts with phones")
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=500, help="replay: calls of two events each")
    parser.add_argument("--threads", type=int, default=8, help="replay: concurrent clients")
    parser.add_argument(
        "--customers",
        type=int,
        default=CONTACTS // CONTACTS_PER_CUSTOMER,
        help="replay: customers called (5 contacts each); fewer make their calls meet more often",
    )
    args = parser.parse_args()
    for url in (args.url, args.gevent_url):
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            parser.error("the benchmark runs against loopback only")
    args.key = args.key or secrets.token_urlsafe(32)
    run_id = time.strftime("%m%d%H%M%S")
    plan = prepare(args)
    log(
        "Telephony benchmark on %s (%s, websocket %s), run %s; %d cores, load average %.2f",
        args.db,
        args.url,
        args.gevent_url,
        run_id,
        os.cpu_count(),
        os.getloadavg()[0],
    )
    results = {}
    if args.command in ("all", "webhook"):
        bench_webhook(args, plan, run_id, results)
    if args.command in ("all", "lookup"):
        bench_lookup(args, plan, results)
    if args.command in ("all", "replay"):
        bench_replay(args, plan, run_id, results)
    ok = summary(args, results)
    log("")
    log(json.dumps({"generated": time.strftime("%Y-%m-%d %H:%M"), "load_average": os.getloadavg()}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
