"""Load test of the call center: simulated operators against a running Odoo, over HTTP.

Usage (from the repository root)::

    make run-cluster                       # in another terminal, or: tools/dev.sh run-cluster --detach
    .venv/bin/python bench/load_operators.py [--db crm_relationship_demo] [--operators 1,10,30]
        [--duration 120] [--saturation 1,2,4,8] [--faults] [--smoke] [--label cluster]

Every simulated person is a browser session of its own (its own login,
``/web/session/authenticate``) that calls the web client's JSON-RPC routes
(``/web/dataset/call_kw/<model>.<method>`` and ``/web/dataset/call_button``)
with the web client's context (``lang``, ``tz``, ``uid``,
``allowed_company_ids``) and the field specifications the web client builds
from the real views (``get_views`` as the user, see
``bench_web_screens.fields_spec``):

- **operators** (Relationship Users) answer calls. One call: the caller lookup
  (the lookup wizard's ``onchange`` on the number, typed in another format),
  the customer card (``web_read`` of the card form), the customer's timeline
  (``web_search_read`` of a page of 80 and its search panels), then the call is
  logged and closed with a next action (``web_save`` of the call,
  ``action_close``, the closing wizard's ``onchange``, ``web_save`` and
  ``action_confirm``). One call in ten reports a defect on one of the
  customer's units (``web_save`` of the report), one in fifty confirms it
  (``action_confirm``: routing, e-mails queued);
- a **warehouse** clerk validates delivery notes of serial-tracked products
  (``button_validate``: the units become equipment at the customer), one every
  few seconds;
- a **manager** opens the dashboards (the graphs of the profitability, defect
  and staff reports, ``formatted_read_group``) and runs the event rules, every
  ten seconds or so (``--manager-interval``).

Pace. *Realistic* runs (``--operators``): a call reaches an operator on
average every 30 seconds (exponential waits), and the operator spends 2 to 5
seconds on each screen before the next one, so a call lasts 10 to 20 seconds;
a run lasts ``--duration`` seconds and at least ``--min-calls`` calls
(within twice ``--duration``).
*Saturation* runs (``--saturation``): the operators work in a closed loop
without waiting, for each concurrency given, until the throughput (calls per
second) stops growing. *Faults* (``--faults``, on a cluster started with
``tools/dev.sh run-cluster --detach``): a closed-loop run during which the
replica is stopped, then one HTTP worker is killed (SIGKILL), then the
cluster's Odoo is restarted; what each client saw in each phase (by the time
its request failed) is reported.

Each run reports, per operation, the count, errors, p50/p95/p99 latency as the
client measures it, the throughput; from Odoo's request log
(``.state/logs/odoo-cluster.log``): the share of the read requests served by
the replica (``ro``) and the server time each operation takes; then the
integrity checks, on the primary: every call and defect report the clients
were told was saved exists exactly once (and a closed call has its next
action), each serial delivered became exactly one unit of equipment, no
event rule fired twice for a customer and period, every confirmed report has
its routing e-mails queued once per recipient, and Odoo's retried
serialization conflicts (counted) never reached a user.

The test data (operator, warehouse and manager users, password = login;
serial-numbered units in stock and delivery notes ready to validate) are
prepared on the database directly before the run, through the ORM.
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

import requests
from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_web_screens import SEARCH_PANEL_LIMIT, fields_spec, is_true, percentile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR_LOGIN = "crm_load_op%02d"
WAREHOUSE_LOGIN = "crm_load_warehouse"
MANAGER_LOGIN = "crm_load_manager"
LOAD_RULE = "Load test: a defect in 12 months"
MAX_OPERATORS = 40
RUN_PREFIX = "[load %s %s]"
TOKEN_RE = r"\[load (\S+) (\S+)\]"
OPERATIONS = (
    ("lookup", "Caller lookup"),
    ("card", "Customer card"),
    ("timeline", "Timeline page"),
    ("log_call", "Log a call + next action"),
    ("report_defect", "Report a defect"),
    ("confirm_defect", "Confirm the defect"),
    ("validate_delivery", "Validate a delivery (warehouse)"),
    ("dashboard", "Dashboard reports (manager)"),
    ("event_rules", "Run the event rules (manager)"),
)
READ_OPERATIONS = ("lookup", "card", "timeline", "dashboard")
# The share of read requests the replica must serve in a run without faults.
MIN_REPLICA_SHARE = 0.8
TARGETS_MS = {"lookup": 150, "card": 400, "log_call": 400}
# Which operation each request of Odoo's log belongs to: (model, method).
REQUEST_OPERATIONS = {
    ("crm.relationship.call.lookup", "onchange"): "lookup",
    ("res.partner", "web_read"): "card",
    ("crm.relationship.timeline", "web_search_read"): "timeline",
    ("crm.relationship.timeline", "search_panel_select_range"): "timeline",
    ("crm.relationship.timeline", "search_panel_select_multi_range"): "timeline",
    ("crm.relationship.call", "web_save"): "log_call",
    ("crm.relationship.call", "action_close"): "log_call",
    ("crm.relationship.call.close", "onchange"): "log_call",
    ("crm.relationship.call.close", "web_save"): "log_call",
    ("crm.relationship.call.close", "action_confirm"): "log_call",
    ("crm.relationship.defect", "web_save"): "report_defect",
    ("crm.relationship.defect", "action_confirm"): "confirm_defect",
    ("stock.picking", "button_validate"): "validate_delivery",
    ("crm.relationship.profitability.report", "formatted_read_group"): "dashboard",
    ("crm.relationship.defect.report", "formatted_read_group"): "dashboard",
    ("crm.relationship.staff.report", "formatted_read_group"): "dashboard",
    ("crm.relationship.event.rule", "action_run"): "event_rules",
}
DASHBOARDS = (
    ("crm.relationship.profitability.report", ["partner_id"], ["net_margin:sum"]),
    ("crm.relationship.defect.report", ["product_id"], ["defect_count:sum"]),
    ("crm.relationship.staff.report", ["user_id"], ["call_count:sum"]),
)
LOG_LINE_RE = re.compile(
    r'^(?P<date>\S+ \S+) \d+ INFO \S+ werkzeug: .*"POST /web/dataset/call_(?:kw|button)/'
    r'(?P<model>[\w.]+)\.(?P<method>\w+) HTTP/[\d.]+" (?P<status>\d+) - '
    r"(?P<queries>\d+) (?P<query_time>[\d.]+) (?P<other_time>[\d.]+)(?: (?P<mode>\S+))?$"
)
RETRY_RE = re.compile(r"odoo\.service\.model: (\S+), \d+ tries left, try again in")


def log(message="", *args):
    print(message % args if args else message, flush=True)


# ----------------------------------------------------------------------
# Test data, prepared on the primary through the ORM
# ----------------------------------------------------------------------


def open_registry(db, conf):
    import odoo  # noqa: PLC0415
    import odoo.modules.registry  # noqa: PLC0415

    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    return odoo.modules.registry.Registry(db)


def prepare(db, conf, operators, deliveries, run_id):
    """Users, customers to call about and delivery notes ready to validate; returns the plan of the run."""
    import odoo.api  # noqa: PLC0415

    registry = open_registry(db, conf)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        company = env.ref("base.user_admin").company_id
        logins = prepare_users(env, company, operators)
        rule = prepare_event_rule(env, company)
        customers = customer_pool(env, company)
        pickings = prepare_deliveries(env, company, customers, deliveries, run_id)
        cr.commit()
        return {
            "company_id": company.id,
            "operators": logins,
            "customers": customers,
            "pickings": pickings,
            "card_view_id": env.ref("crm_relationship.res_partner_view_form_customer_card").id,
            "rules": rule.ids,
        }


def prepare_event_rule(env, company, active=True):
    """The rule the manager runs during the load: a customer with a defect reported in 12 months."""
    Rule = env["crm.relationship.event.rule"].with_context(active_test=False)
    rule = Rule.search([("name", "=", LOAD_RULE), ("company_id", "=", company.id)], limit=1)
    if not rule:
        rule = Rule.create(
            {
                "name": LOAD_RULE,
                "company_id": company.id,
                "rule_type": "defect_count",
                "defect_count": 1,
                "responsible_type": "user",
                "user_id": env["res.users"].search([("login", "=", MANAGER_LOGIN)]).id,
            }
        )
    rule.active = active
    return rule


def retire_event_rule(db, conf):
    """Archive the load test's rule, so the nightly job leaves the database alone."""
    import odoo.api  # noqa: PLC0415

    with open_registry(db, conf).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        prepare_event_rule(env, env.ref("base.user_admin").company_id, active=False)


def prepare_users(env, company, operators):
    Users = env["res.users"].with_context(no_reset_password=True, mail_create_nosubscribe=True)

    def group(xmlid):
        return env.ref(xmlid).id

    roles = {
        OPERATOR_LOGIN % (number + 1): [
            group("crm_relationship.crm_relationship_group_user"),
            group("sales_team.group_sale_salesman"),
        ]
        for number in range(max(operators, MAX_OPERATORS))
    }
    roles[WAREHOUSE_LOGIN] = [
        group("stock.group_stock_user"),
        group("crm_relationship.crm_relationship_group_user"),
    ]
    roles[MANAGER_LOGIN] = [
        group("crm_relationship.crm_relationship_group_manager"),
        group("sales_team.group_sale_salesman_all_leads"),
    ]
    existing = {
        user.login for user in Users.with_context(active_test=False).search([("login", "in", list(roles))])
    }
    for login, groups in roles.items():
        if login in existing:
            continue
        Users.create(
            {
                "name": login.replace("crm_load_", "Load ").title(),
                "login": login,
                "password": login,
                "company_id": company.id,
                "company_ids": [(6, 0, [company.id])],
                "group_ids": [(6, 0, [group("base.group_user"), *groups])],
                "email": f"{login}@example.com",
            }
        )
    return [OPERATOR_LOGIN % (number + 1) for number in range(operators)]


def customer_pool(env, company, size=400):
    """Contacts with a phone number at customers of the company, with the customers' units."""
    rows = env.execute_query_dict(
        odoo_sql(
            """
            SELECT contact.id AS contact_id, contact.phone AS phone,
                   contact.commercial_partner_id AS customer_id,
                   ARRAY(SELECT equipment.id FROM crm_relationship_equipment equipment
                          WHERE equipment.partner_id = contact.commercial_partner_id
                            AND equipment.company_id = %(company)s
                          ORDER BY equipment.id LIMIT 5) AS equipment_ids
              FROM res_partner contact
             WHERE contact.active AND contact.phone_sanitized IS NOT NULL
               AND (contact.company_id IS NULL OR contact.company_id = %(company)s)
               AND EXISTS (SELECT 1 FROM sale_order so
                             JOIN res_partner buyer ON buyer.id = so.partner_id
                            WHERE buyer.commercial_partner_id = contact.commercial_partner_id
                              AND so.company_id = %(company)s)
             ORDER BY md5(contact.id::text)
             LIMIT %(size)s
            """,
            company=company.id,
            size=size,
        )
    )
    if not rows:
        raise SystemExit("No customer contact with a phone number and orders in the database.")
    return rows


def odoo_sql(query, **params):
    from odoo.tools import SQL  # noqa: PLC0415

    return SQL(query, **params)


def prepare_deliveries(env, company, customers, count, run_id):
    """``count`` delivery notes of one serial-numbered unit each, reserved and picked, ready to validate."""
    if not count:
        return []
    Product = env["product.product"]
    equipment_domain = [
        ("tracking", "=", "serial"),
        ("is_storable", "=", True),
        ("company_id", "in", (company.id, False)),
    ]
    product = Product.search(
        equipment_domain + [("product_tmpl_id", "any", env["product.template"]._get_crm_equipment_domain())],
        limit=1,
    )
    if not product:
        raise SystemExit("No serial-tracked product registered as equipment in the database.")
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    lots = env["stock.lot"].create(
        [
            {"name": f"LOAD-{run_id}-{number:04d}", "product_id": product.id, "company_id": company.id}
            for number in range(count)
        ]
    )
    # One inventory adjustment for all the units, as a stock count would do.
    env["stock.quant"].with_company(company).with_context(inventory_mode=True).create(
        [
            {
                "product_id": product.id,
                "location_id": warehouse.lot_stock_id.id,
                "lot_id": lot.id,
                "inventory_quantity": 1.0,
            }
            for lot in lots
        ]
    ).action_apply_inventory()
    customers_ids = [row["customer_id"] for row in customers]
    Picking = env["stock.picking"].with_company(company)
    pickings = Picking.create(
        [
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": customers_ids[number % len(customers_ids)],
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "origin": RUN_PREFIX % (run_id, f"delivery-{number}"),
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1.0,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": env.ref("stock.stock_location_customers").id,
                        },
                    )
                ],
            }
            for number in range(count)
        ]
    )
    pickings.action_confirm()
    pickings.action_assign()
    pickings.move_ids.picked = True
    not_ready = pickings.filtered(lambda picking: picking.state != "assigned")
    if not_ready:
        raise SystemExit(f"{len(not_ready)} delivery notes could not be reserved.")
    return pickings.ids


# ----------------------------------------------------------------------
# The web client's JSON-RPC
# ----------------------------------------------------------------------


class RpcError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Session:
    """One browser session: login, then the web client's calls with its context."""

    def __init__(self, url, db, login, company_id, timeout=120):
        self.url = url
        self.db = db
        self.login = login
        self.company_id = company_id
        self.timeout = timeout
        self.http = requests.Session()
        self.context = {}
        self.uid = None
        self.views = {}

    def authenticate(self):
        result = self._post(
            "/web/session/authenticate", {"db": self.db, "login": self.login, "password": self.login}
        )
        self.uid = result["uid"]
        self.context = dict(result["user_context"], allowed_company_ids=[self.company_id])

    def _post(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "id": random.randrange(1 << 30), "params": params}
        try:
            response = self.http.post(self.url + path, json=payload, timeout=self.timeout)
        except requests.ConnectionError as error:
            raise RpcError("connection", str(error)) from error
        except requests.Timeout as error:
            raise RpcError("timeout", str(error)) from error
        if response.status_code != 200:
            raise RpcError(f"http {response.status_code}", response.text[:200])
        body = response.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            name = data.get("name") or body["error"].get("message")
            raise RpcError(name.rsplit(".", 1)[-1], data.get("message") or body["error"].get("message"))
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        kwargs["context"] = dict(self.context, **kwargs.get("context", {}))
        return self._post(
            f"/web/dataset/call_kw/{model}.{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def button(self, model, method, ids, context=None):
        return self._post(
            f"/web/dataset/call_button/{model}.{method}",
            {
                "model": model,
                "method": method,
                "args": [ids],
                "kwargs": {"context": dict(self.context, **(context or {}))},
            },
        )

    def view(self, model, view_id, view_type, search=False):
        """Arch, spec and search panels of a view, as the web client gets it (cached per session)."""
        key = (model, view_id, view_type)
        if key not in self.views:
            views = [[view_id, view_type]] + ([[False, "search"]] if search else [])
            result = self.call(model, "get_views", views, options={"load_filters": False, "toolbar": False})
            arch = etree.fromstring(result["views"][view_type]["arch"])
            spec = fields_spec(arch, model, result["models"])
            if view_type == "form":
                spec.setdefault("display_name", {})
            panels = []
            if search:
                search_arch = etree.fromstring(result["views"]["search"]["arch"])
                panels = search_arch.xpath("//searchpanel/field")
            self.views[key] = {"spec": spec, "order": arch.get("default_order") or "", "panels": panels}
        return self.views[key]


def command_ids(commands):
    """Ids of the records an x2many value of ``onchange`` holds (its commands)."""
    ids = []
    for command in commands:
        if command[0] == 6:
            ids = list(command[2])
        elif command[0] in (1, 4):
            ids.append(command[1])
    return ids


def retyped(phone):
    """The number as a caller gives it: digits only, national format, or with 00 for +."""
    digits = re.sub(r"\D", "", phone or "")
    if phone.strip().startswith("+39"):
        return random.choice([digits[2:], "00" + digits, "+" + digits[:2] + " " + digits[2:]])
    return random.choice([digits, phone])


# ----------------------------------------------------------------------
# What the people do
# ----------------------------------------------------------------------


class Recorder:
    """Latencies, errors and acknowledged writes of a run, shared by the clients' threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)  # operation -> [(start, seconds)]
        self.errors = defaultdict(Counter)  # operation -> Counter(kind)
        self.error_times = []  # (time it failed, client, operation, kind, message)
        self.acknowledged = defaultdict(dict)  # kind -> {token or id: id}
        self.calls = 0

    def timed(self, client, operation, func):
        start = time.monotonic()
        try:
            result = func()
        except RpcError as error:
            with self.lock:
                self.errors[operation][error.kind] += 1
                self.error_times.append((time.monotonic(), client, operation, error.kind, str(error)[:160]))
            raise
        with self.lock:
            self.samples[operation].append((start, time.monotonic() - start))
        return result

    def ack(self, kind, key, value):
        with self.lock:
            self.acknowledged[kind][key] = value


class Pace:
    def __init__(self, think=(0.0, 0.0), call_interval=0.0):
        self.think_range = think
        self.call_interval = call_interval

    def think(self, stop):
        if self.think_range[1]:
            stop.wait(random.uniform(*self.think_range))

    def next_call(self, stop):
        if self.call_interval:
            stop.wait(random.expovariate(1.0 / self.call_interval))


REALISTIC = Pace(think=(2.0, 5.0), call_interval=30.0)
CLOSED_LOOP = Pace()


class Operator:
    def __init__(self, session, plan, recorder, pace, rng):
        self.session = session
        self.plan = plan
        self.recorder = recorder
        self.pace = pace
        self.run_id = plan["run_id"]
        self.rng = rng

    def timed(self, operation, func):
        return self.recorder.timed(self.session.login, operation, func)

    def run(self, stop, deadline, min_calls, hard_deadline):
        while not stop.is_set():
            now = time.monotonic()
            if now >= hard_deadline or (now >= deadline and self.recorder.calls >= min_calls):
                return
            self.pace.next_call(stop)
            if stop.is_set():
                return
            try:
                self.one_call(stop)
            except RpcError:
                # What a person does after an error: start again with the next call.
                stop.wait(1.0)
            with self.recorder.lock:
                self.recorder.calls += 1

    def one_call(self, stop):
        session = self.session
        customer = self.rng.choice(self.plan["customers"])
        # The caller lookup: the wizard's onchange on the number typed in.
        lookup = session.view("crm.relationship.call.lookup", False, "form")
        number = retyped(customer["phone"])
        result = self.timed(
            "lookup",
            lambda: session.call(
                "crm.relationship.call.lookup",
                "onchange",
                [],
                {"phone": number, "direction": "inbound"},
                ["phone"],
                lookup["spec"],
            ),
        )
        matches = command_ids(result["value"].get("match_ids") or [])
        if customer["contact_id"] not in matches:
            self.recorder.errors["lookup"]["caller not found"] += 1
        self.pace.think(stop)
        # The customer card.
        card = session.view("res.partner", self.plan["card_view_id"], "form")
        self.timed(
            "card",
            lambda: session.call(
                "res.partner", "web_read", [customer["customer_id"]], card["spec"], context={"bin_size": True}
            ),
        )
        self.pace.think(stop)
        self.open_timeline(customer["customer_id"])
        self.pace.think(stop)
        call_id = self.log_call(customer)
        if customer["equipment_ids"] and self.rng.random() < 0.10:
            self.pace.think(stop)
            defect_id = self.report_defect(customer, call_id)
            if self.rng.random() < 0.20:
                self.timed(
                    "confirm_defect",
                    lambda: session.button("crm.relationship.defect", "action_confirm", [defect_id]),
                )
                self.recorder.ack("confirmed", defect_id, session.uid)

    def open_timeline(self, customer_id):
        session = self.session
        view = session.view("crm.relationship.timeline", False, "list", search=True)
        domain = [("partner_id", "child_of", customer_id)]

        def load():
            session.call(
                "crm.relationship.timeline",
                "web_search_read",
                domain,
                view["spec"],
                limit=80,
                order=view["order"],
                count_limit=10001,
            )
            for panel in view["panels"]:
                multi = panel.get("select") == "multi"
                kwargs = {
                    "category_domain": [],
                    "enable_counters": is_true(panel.get("enable_counters")),
                    "filter_domain": [],
                    "expand": is_true(panel.get("expand")),
                    "limit": int(panel.get("limit") or SEARCH_PANEL_LIMIT),
                    "search_domain": domain,
                }
                if multi:
                    kwargs.update({"group_by": panel.get("groupby") or False, "group_domain": {}})
                method = "search_panel_select_multi_range" if multi else "search_panel_select_range"
                session.call("crm.relationship.timeline", method, panel.get("name"), **kwargs)

        self.timed("timeline", load)

    def log_call(self, customer):
        session = self.session
        token = uuid.uuid4().hex[:12]
        subject = f"{RUN_PREFIX % (self.run_id, token)} Chiamata di {session.login}"
        form = session.view("crm.relationship.call", False, "form")
        close_form = session.view("crm.relationship.call.close", False, "form")

        def save_and_close():
            [call] = session.call(
                "crm.relationship.call",
                "web_save",
                [],
                {
                    "subject": subject,
                    "partner_id": customer["customer_id"],
                    "contact_id": customer["contact_id"],
                    "direction": "inbound",
                    "duration": 3.0,
                    "notes": "<p>Richiesta di informazioni sull'impianto.</p>",
                },
                specification=form["spec"],
            )
            self.recorder.ack("call", token, call["id"])
            action = session.button("crm.relationship.call", "action_close", [call["id"]])
            context = action.get("context") or {}
            defaults = session.call(
                "crm.relationship.call.close", "onchange", [], {}, [], close_form["spec"], context=context
            )["value"]
            values = {
                key: (value["id"] if isinstance(value, dict) else value)
                for key, value in defaults.items()
                if key in ("call_id", "follow_up", "activity_type_id", "date_deadline", "user_id")
            }
            values.update(
                call_id=call["id"],
                summary="Richiamare per il preventivo",
                date_deadline=(date.today() + timedelta(days=7)).isoformat(),
            )
            [wizard] = session.call(
                "crm.relationship.call.close", "web_save", [], values, specification={}, context=context
            )
            session.button("crm.relationship.call.close", "action_confirm", [wizard["id"]], context=context)
            self.recorder.ack("closed", call["id"], token)
            return call["id"]

        return self.timed("log_call", save_and_close)

    def report_defect(self, customer, call_id):
        session = self.session
        token = uuid.uuid4().hex[:12]
        form = session.view("crm.relationship.defect", False, "form")
        equipment_id = self.rng.choice(customer["equipment_ids"])
        severity = self.rng.choice(("normal", "high"))

        def save():
            [defect] = session.call(
                "crm.relationship.defect",
                "web_save",
                [],
                {
                    "partner_id": customer["customer_id"],
                    "contact_id": customer["contact_id"],
                    "equipment_id": equipment_id,
                    "call_id": call_id,
                    "severity": severity,
                    "description": f"<p>{RUN_PREFIX % (self.run_id, token)} La caldaia va in blocco.</p>",
                },
                specification=form["spec"],
            )
            self.recorder.ack("defect", token, defect["id"])
            return defect["id"]

        return self.timed("report_defect", save)


class Warehouse(Operator):
    def run(self, stop, deadline, min_calls, hard_deadline):
        pickings = list(self.plan["pickings"])
        while pickings and not stop.is_set() and time.monotonic() < deadline:
            stop.wait(self.rng.uniform(2.0, 4.0) if self.pace.call_interval else 0.5)
            picking_id = pickings.pop()
            try:
                self.timed(
                    "validate_delivery",
                    lambda picking_id=picking_id: self.session.button(
                        "stock.picking", "button_validate", [picking_id]
                    ),
                )
                self.recorder.ack("validated", picking_id, picking_id)
            except RpcError:
                stop.wait(1.0)


class Manager(Operator):
    def run(self, stop, deadline, min_calls, hard_deadline):
        interval = self.plan["manager_interval"]
        while not stop.wait(self.rng.uniform(0.8 * interval, 1.2 * interval)) and time.monotonic() < deadline:
            try:
                self.timed("dashboard", self.dashboards)
                if self.plan["rules"]:
                    self.timed(
                        "event_rules",
                        lambda: self.session.button(
                            "crm.relationship.event.rule", "action_run", self.plan["rules"]
                        ),
                    )
            except RpcError:
                pass

    def dashboards(self):
        for model, groupby, aggregates in DASHBOARDS:
            self.session.call(model, "formatted_read_group", [], groupby, aggregates, limit=80)


# ----------------------------------------------------------------------
# A run
# ----------------------------------------------------------------------


def start_sessions(args, plan, logins):
    sessions = {}
    for login in logins:
        session = Session(args.url, args.db, login, plan["company_id"])
        session.authenticate()
        sessions[login] = session
    return sessions


def warm_up(sessions, plan):
    """Load the views once per session, as the web client does when it opens the app."""
    for session in sessions.values():
        session.view("crm.relationship.call.lookup", False, "form")
        session.view("res.partner", plan["card_view_id"], "form")
        session.view("crm.relationship.timeline", False, "list", search=True)
        session.view("crm.relationship.call", False, "form")
        session.view("crm.relationship.call.close", False, "form")
        session.view("crm.relationship.defect", False, "form")


class OdooLog:
    """The part of Odoo's log written during a run."""

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if path and os.path.exists(path) else None

    def lines(self):
        if self.offset is None:
            return []
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            return handle.read().splitlines()


def run_load(args, plan, label, operators, pace, duration, min_calls, faults=None, warehouse=True):
    logins = plan["operators"][:operators]
    extra = ([WAREHOUSE_LOGIN] if warehouse else []) + [MANAGER_LOGIN]
    sessions = start_sessions(args, plan, logins + extra)
    warm_up(sessions, plan)
    recorder = Recorder()
    odoo_log = OdooLog(args.odoo_log)
    stop = threading.Event()
    start = time.monotonic()
    deadline = start + duration
    hard_deadline = start + 2 * duration
    people = [Operator(sessions[login], plan, recorder, pace, random.Random(login)) for login in logins]
    if warehouse:
        people.append(Warehouse(sessions[WAREHOUSE_LOGIN], plan, recorder, pace, random.Random(1)))
    people.append(Manager(sessions[MANAGER_LOGIN], plan, recorder, pace, random.Random(2)))
    threads = [
        threading.Thread(target=person.run, args=(stop, deadline, min_calls, hard_deadline), daemon=True)
        for person in people
    ]
    for thread in threads:
        thread.start()
    phases = faults(start, stop) if faults else [("whole run", start)]
    # The end of the run interrupts the waits; the calls under way are finished.
    while time.monotonic() < hard_deadline and (time.monotonic() < deadline or recorder.calls < min_calls):
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    return {
        "label": label,
        "operators": operators,
        "elapsed": elapsed,
        "recorder": recorder,
        "log": odoo_log.lines(),
        "phases": phases,
    }


def report(result):
    recorder = result["recorder"]
    elapsed = result["elapsed"]
    log("")
    log(
        "## %s: %d operator(s), %.0f s, %d calls (%.2f calls/s)",
        result["label"],
        result["operators"],
        elapsed,
        recorder.calls,
        recorder.calls / elapsed,
    )
    server = server_figures(result["log"])
    log("")
    log(
        "| Operation | Count | Errors | p50 ms | p95 ms | p99 ms | Per second | Target p95 | Server ms/op | Server share |"
    )
    log("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    rows = {}
    for operation, name in OPERATIONS:
        times = [seconds * 1000 for _start, seconds in recorder.samples.get(operation, [])]
        errors = sum(recorder.errors[operation].values())
        if not times and not errors:
            continue
        p50 = percentile(times, 0.5) if times else None
        p95 = percentile(times, 0.95) if times else None
        p99 = percentile(times, 0.99) if times else None
        target = TARGETS_MS.get(operation)
        verdict = ""
        if target and p95 is not None:
            verdict = f"≤ {target} ({'PASS' if p95 <= target else 'FAIL'})"
        # Server time of an operation: all its requests, per operation the clients made.
        server_seconds, share = server["per_operation"].get(operation, (None, None))
        server_ms = 1000 * server_seconds / len(times) if times and server_seconds is not None else None
        rows[operation] = {"count": len(times), "errors": errors, "p50": p50, "p95": p95, "p99": p99}
        log(
            "| %s | %d | %d | %s | %s | %s | %.2f | %s | %s | %s |",
            name,
            len(times),
            errors,
            fmt(p50),
            fmt(p95),
            fmt(p99),
            len(times) / elapsed,
            verdict,
            fmt(server_ms),
            f"{share:.0%}" if share is not None else "",
        )
    examples = {(operation, kind): text for _start, _client, operation, kind, text in recorder.error_times}
    for operation, counter in recorder.errors.items():
        for kind, count in counter.items():
            log("  errors of %s: %d x %s %s", operation, count, kind, examples.get((operation, kind), ""))
    if server["requests"]:
        log("")
        log(
            "Odoo's log: %d requests, %d read requests of which %d (%.0f%%) on the replica ('ro'), "
            "%d read-only requests retried read/write ('ro->rw'); conflicts retried by Odoo: %s",
            server["requests"],
            server["reads"],
            server["reads_ro"],
            100.0 * server["reads_ro"] / max(server["reads"], 1),
            server["ro_rw"],
            ", ".join(f"{count} x {kind}" for kind, count in server["retries"].items()) or "none",
        )
    result["rows"] = rows
    result["server"] = server
    return result


def fmt(value):
    return "" if value is None else f"{value:.0f}"


def server_figures(lines):
    """Requests, their cursor ('ro' on the replica, 'rw', 'ro->rw') and server time, from Odoo's log."""
    per_operation = defaultdict(list)
    requests_count = reads = reads_ro = ro_rw = 0
    retries = Counter()
    for line in lines:
        retry = RETRY_RE.search(line)
        if retry:
            retries[retry.group(1)] += 1
        match = LOG_LINE_RE.match(line)
        if not match:
            continue
        requests_count += 1
        operation = REQUEST_OPERATIONS.get((match["model"], match["method"]))
        seconds = float(match["query_time"]) + float(match["other_time"])
        if operation:
            per_operation[operation].append(seconds)
        mode = match["mode"]
        if mode == "ro->rw":
            ro_rw += 1
        if operation in READ_OPERATIONS:
            reads += 1
            reads_ro += mode == "ro"
    total = sum(sum(values) for values in per_operation.values()) or 1.0
    return {
        "requests": requests_count,
        "reads": reads,
        "reads_ro": reads_ro,
        "ro_rw": ro_rw,
        "retries": retries,
        "per_operation": {
            operation: (sum(values), sum(values) / total) for operation, values in per_operation.items()
        },
    }


# ----------------------------------------------------------------------
# Integrity, checked on the primary
# ----------------------------------------------------------------------


def check_integrity(args, plan, recorders):
    import odoo.api  # noqa: PLC0415

    acknowledged = defaultdict(dict)
    for recorder in recorders:
        for kind, values in recorder.acknowledged.items():
            acknowledged[kind].update(values)
    registry = open_registry(args.db, args.conf)
    checks = []
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        run_id = plan["run_id"]

        def rows(query, **params):
            return env.execute_query(odoo_sql(query, **params))

        # Calls: exactly once per token; closed ones have their next action.
        calls = rows(
            """SELECT substring(call.subject from %(re)s), array_agg(call.id), bool_and(call.state = 'done'),
                      bool_and(activity.id IS NOT NULL)
                 FROM crm_relationship_call call
            LEFT JOIN mail_activity activity ON activity.id = call.next_action_activity_id
                WHERE call.subject LIKE %(prefix)s
             GROUP BY 1""",
            re=r"^\[load \S+ (\S+)\]",
            prefix=f"[load {run_id} %",
        )
        by_token = {token: (ids, done, activity) for token, ids, done, activity in calls}
        duplicates = sum(1 for ids, _done, _activity in by_token.values() if len(ids) > 1)
        missing = [token for token in acknowledged["call"] if token not in by_token]
        closed_ids = set(acknowledged["closed"])
        closed_broken = [
            token
            for token, (ids, done, activity) in by_token.items()
            if ids[0] in closed_ids and not (done and activity)
        ]
        unacknowledged = len(set(by_token) - set(acknowledged["call"]))
        checks.append(
            (
                "Calls saved exactly once",
                not duplicates and not missing,
                (
                    f"{len(acknowledged['call'])} acknowledged, {len(by_token)} in the database, {duplicates} duplicated, "
                    f"{len(missing)} missing, {unacknowledged} saved without the client knowing"
                ),
            )
        )
        checks.append(
            (
                "Closed calls have their next action",
                not closed_broken,
                f"{len(closed_ids)} closed, {len(closed_broken)} without a done state and an activity",
            )
        )
        # Defect reports: exactly once per token; confirmed ones are confirmed with their e-mails.
        defects = rows(
            """SELECT substring(description from %(re)s), array_agg(id), array_agg(state)
                 FROM crm_relationship_defect
                WHERE description LIKE %(prefix)s
             GROUP BY 1""",
            re=r"\[load \S+ (\S+)\]",
            prefix=f"%[load {run_id} %",
        )
        by_token = {token: (ids, states) for token, ids, states in defects}
        duplicates = sum(1 for ids, _states in by_token.values() if len(ids) > 1)
        missing = [token for token in acknowledged["defect"] if token not in by_token]
        checks.append(
            (
                "Defect reports saved exactly once",
                not duplicates and not missing,
                (
                    f"{len(acknowledged['defect'])} acknowledged, {len(by_token)} in the database, "
                    f"{duplicates} duplicated, {len(missing)} missing"
                ),
            )
        )
        checks.append(check_defect_mails(env, acknowledged["confirmed"]))
        # Deliveries: one unit of equipment per serial delivered.
        validated = sorted(acknowledged["validated"])
        equipment = rows(
            """SELECT picking.id, picking.state, lot.id, count(equipment.id)
                 FROM stock_picking picking
                 JOIN stock_move_line line ON line.picking_id = picking.id
                 JOIN stock_lot lot ON lot.id = line.lot_id
            LEFT JOIN crm_relationship_equipment equipment ON equipment.lot_id = lot.id
                WHERE picking.id = ANY(%(ids)s)
             GROUP BY 1, 2, 3""",
            ids=plan["pickings"] or [0],
        )
        done = {picking for picking, state, _lot, _count in equipment if state == "done"}
        bad = [row for row in equipment if (row[1] == "done") != (row[3] == 1)]
        not_done = [picking for picking in validated if picking not in done]
        checks.append(
            (
                "Each serial delivered is one unit of equipment",
                not bad and not not_done,
                (
                    f"{len(validated)} validated, {len(done)} done in the database, {len(not_done)} acknowledged "
                    f"but not done, {len(bad)} serials with a wrong equipment count"
                ),
            )
        )
        fired_twice = rows(
            """SELECT rule_id, partner_id, period_key, count(*) FROM crm_relationship_event_log
             GROUP BY 1, 2, 3 HAVING count(*) > 1"""
        )
        checks.append(
            (
                "No event rule fired twice for a customer and period",
                not fired_twice,
                f"{len(fired_twice)} twice",
            )
        )
    surfaced = sum(
        count
        for recorder in recorders
        for counter in recorder.errors.values()
        for kind, count in counter.items()
        if "Serializ" in kind or "serializ" in kind or "concurrent" in kind.lower()
    )
    checks.append(("No serialization conflict reached a user", not surfaced, f"{surfaced} surfaced"))
    log("")
    log("| Integrity check | Result | Detail |")
    log("|---|---|---|")
    for name, passed, detail in checks:
        log("| %s | %s | %s |", name, "PASS" if passed else "FAIL", detail)
    return all(passed for _name, passed, _detail in checks)


def check_defect_mails(env, confirmed):
    """Each confirmed report is confirmed and its routing e-mail reached each routed person once.

    The routed people are found again by the routing rules (as the superuser,
    on the reports as they are now); the person who confirmed only follows.
    """
    Defect = env["crm.relationship.defect"]
    defects = Defect.browse(sorted(confirmed))
    not_confirmed = defects.filtered(lambda defect: defect.state != "confirmed")
    routing = defects._get_routed_recipients()
    users = env["res.users"].browse(set(confirmed.values()))
    confirmer = {defect_id: users.browse(uid).partner_id.id for defect_id, uid in confirmed.items()}
    received = defaultdict(Counter)
    addressed = defaultdict(str)
    for defect_id, partner_id, email_to in env.execute_query(
        odoo_sql(
            """SELECT message.res_id, rel.res_partner_id, mail.email_to
                 FROM mail_mail mail
                 JOIN mail_message message ON message.id = mail.mail_message_id
            LEFT JOIN mail_mail_res_partner_rel rel ON rel.mail_mail_id = mail.id
                WHERE message.model = 'crm.relationship.defect' AND message.res_id = ANY(%(ids)s)
                  AND message.message_type = 'email_outgoing'""",
            ids=defects.ids or [0],
        )
    ):
        if partner_id:
            received[defect_id][partner_id] += 1
        addressed[defect_id] += f",{email_to or ''}"
    wrong = twice = mails = 0
    for defect in defects - not_confirmed:
        routed = routing[defect].values()
        expected = {partner.id for entry in routed for partner in entry["partners"]} - {confirmer[defect.id]}
        emails = {email for entry in routed for email in entry["emails"]}
        got = received[defect.id]
        mails += sum(got.values())
        twice += sum(1 for count in got.values() if count > 1)
        if set(got) != expected or any(email not in addressed[defect.id] for email in emails):
            wrong += 1
    return (
        "Confirmed reports: routing e-mails queued once per routed person",
        not not_confirmed and not wrong and not twice,
        (
            f"{len(defects)} confirmed, {len(not_confirmed)} not confirmed in the database, "
            f"{wrong} with missing or extra recipients, {twice} recipients mailed twice, {mails} recipients mailed"
        ),
    )


# ----------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------


def cluster_pid():
    with open(os.path.join(ROOT, ".state", "odoo-cluster.pid")) as handle:
        return int(handle.read().strip())


def http_workers(master):
    workers = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                title = handle.read().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if parent == master and "WorkerHTTP" in title:
            workers.append(int(pid))
    return workers


def dev(*command):
    subprocess.run([os.path.join(ROOT, "tools", "dev.sh"), *command], check=True, cwd=ROOT)


def fault_schedule(duration):
    def faults(start, stop):
        phases = [("normal", start)]

        def at(fraction):
            delay = start + duration * fraction - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            return time.monotonic()

        phases.append(("replica stopped", at(0.2)))
        dev("stop-replica")
        worker_time = at(0.45)
        workers = http_workers(cluster_pid())
        if not workers:
            raise SystemExit("No HTTP worker of the cluster's Odoo found (is setproctitle installed?).")
        victim = random.choice(workers)
        os.kill(victim, signal.SIGKILL)
        phases.append((f"HTTP worker {victim} killed", worker_time))
        phases.append(("Odoo restarting", at(0.65)))
        master = cluster_pid()
        os.kill(master, signal.SIGTERM)
        for _ in range(120):
            if not os.path.exists(f"/proc/{master}"):
                break
            time.sleep(0.5)
        dev("run-cluster", "--detach", "--no-update")
        phases.append(("after the restart", time.monotonic()))
        return phases

    return faults


def report_phases(result):
    recorder = result["recorder"]
    phases = result["phases"]
    if len(phases) < 2:
        return
    bounds = [
        (name, begin, phases[index + 1][1] if index + 1 < len(phases) else float("inf"))
        for index, (name, begin) in enumerate(phases)
    ]
    log("")
    log(
        "| Phase | Start s | Operations OK | Failed | Failed within 1 s of the fault | What the clients saw |"
    )
    log("|---|---:|---:|---:|---:|---|")
    base = phases[0][1]
    for name, begin, end in bounds:
        ok = sum(
            1 for samples in recorder.samples.values() for start, _seconds in samples if begin <= start < end
        )
        errors = [entry for entry in recorder.error_times if begin <= entry[0] < end]
        at_fault = sum(1 for entry in errors if entry[0] < begin + 1.0)
        kinds = Counter(f"{operation}: {kind}" for _start, _client, operation, kind, _text in errors)
        log(
            "| %s | %.0f | %d | %d | %d | %s |",
            name,
            begin - base,
            ok,
            len(errors),
            at_fault,
            ", ".join(f"{count} x {kind}" for kind, count in kinds.most_common()) or "nothing",
        )


# ----------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("CRM_DB", "crm_relationship_demo"))
    parser.add_argument("--url", default="http://127.0.0.1:%s" % os.environ.get("CRM_HTTP_PORT", "8069"))
    parser.add_argument("--conf", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--odoo-log", default=os.path.join(ROOT, ".state", "logs", "odoo-cluster.log"))
    parser.add_argument("--label", default="cluster")
    parser.add_argument("--operators", default="1,10,30", help="operator counts of the realistic runs")
    parser.add_argument("--duration", type=float, default=120, help="seconds of each realistic run")
    parser.add_argument("--min-calls", type=int, default=20, help="calls each realistic run makes at least")
    parser.add_argument(
        "--saturation", default="", help="concurrencies of the closed-loop runs, e.g. 1,2,4,8"
    )
    parser.add_argument("--saturation-duration", type=float, default=45)
    parser.add_argument(
        "--faults", action="store_true", help="the closed-loop run with faults (cluster only)"
    )
    parser.add_argument("--fault-operators", type=int, default=10)
    parser.add_argument("--fault-duration", type=float, default=120)
    parser.add_argument(
        "--manager-interval", type=float, default=10, help="seconds between the manager's dashboards"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="3 operators for 20 s, closed loop: no failed request, integrity, reads on the replica",
    )
    args = parser.parse_args()
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("the load test runs against loopback only")

    run_id = time.strftime("%m%d%H%M%S")
    realistic = [int(n) for n in args.operators.split(",") if n] if not args.smoke else []
    saturation = [int(n) for n in args.saturation.split(",") if n] if not args.smoke else []
    most = max(realistic + saturation + [args.fault_operators if args.faults else 0, 3])
    runs = len(realistic) + len(saturation) + args.faults + args.smoke
    plan = prepare(args.db, args.conf, most, 40 * runs, run_id)
    plan["run_id"] = run_id
    plan["manager_interval"] = args.manager_interval
    log(
        "Load test %s on %s (%s), run %s: %d customers to call about, %d delivery notes to validate",
        args.label,
        args.db,
        args.url,
        run_id,
        len(plan["customers"]),
        len(plan["pickings"]),
    )
    results = []
    per_run = 40

    def take_pickings():
        """The plan of the next run: its own delivery notes, its own tag on what it saves."""
        taken, plan["pickings"] = plan["pickings"][:per_run], plan["pickings"][per_run:]
        return dict(plan, pickings=taken, run_id=f"{run_id}-{len(results) + 1}")

    if args.smoke:
        run_plan = take_pickings()
        result = report(run_load(args, run_plan, "smoke", 3, CLOSED_LOOP, 20, 0))
        ok = check_integrity(args, run_plan, [result["recorder"]])
        retire_event_rule(args.db, args.conf)
        errors = sum(sum(counter.values()) for counter in result["recorder"].errors.values())
        if errors:
            log("%d request(s) failed: a run without faults has none.", errors)
        server = result["server"]
        replica_share = server["reads_ro"] / server["reads"] if server["reads"] else None
        if replica_share is not None and replica_share < MIN_REPLICA_SHARE:
            log("Only %.0f%% of the read requests were served by the replica.", 100 * replica_share)
            ok = False
        return 0 if ok and not errors else 1
    for operators in realistic:
        run_plan = take_pickings()
        results.append(
            report(
                run_load(
                    args,
                    run_plan,
                    f"{args.label}, realistic pace",
                    operators,
                    REALISTIC,
                    args.duration,
                    args.min_calls,
                )
            )
        )
        results[-1]["integrity"] = check_integrity(args, run_plan, [results[-1]["recorder"]])
    best = None
    for concurrency in saturation:
        run_plan = take_pickings()
        result = report(
            run_load(
                args,
                run_plan,
                f"{args.label}, closed loop",
                concurrency,
                CLOSED_LOOP,
                args.saturation_duration,
                0,
            )
        )
        result["integrity"] = check_integrity(args, run_plan, [result["recorder"]])
        results.append(result)
        throughput = result["recorder"].calls / result["elapsed"]
        if best and throughput < best * 1.05:
            log(
                "Throughput stopped growing: %.2f calls/s at %d operators (best %.2f)",
                throughput,
                concurrency,
                best,
            )
            break
        best = max(best or 0, throughput)
    if args.faults:
        run_plan = take_pickings()
        result = run_load(
            args,
            run_plan,
            f"{args.label}, faults",
            args.fault_operators,
            Pace(think=(0.2, 0.5)),
            args.fault_duration,
            0,
            faults=fault_schedule(args.fault_duration),
        )
        report(result)
        report_phases(result)
        result["integrity"] = check_integrity(args, run_plan, [result["recorder"]])
        results.append(result)
    retire_event_rule(args.db, args.conf)
    summary(results)
    return 0 if all(result.get("integrity") for result in results) else 1


def summary(results):
    log("")
    log("## Summary")
    log("")
    log(
        "| Run | Operators | Calls/s | Lookup p95 | Card p95 | Timeline p95 | Log call p95 | Errors | Reads on replica | Integrity |"
    )
    log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for result in results:
        rows = result["rows"]
        server = result["server"]
        errors = sum(sum(counter.values()) for counter in result["recorder"].errors.values())
        log(
            "| %s | %d | %.2f | %s | %s | %s | %s | %d | %s | %s |",
            result["label"],
            result["operators"],
            result["recorder"].calls / result["elapsed"],
            *(
                fmt(rows.get(operation, {}).get("p95"))
                for operation in ("lookup", "card", "timeline", "log_call")
            ),
            errors,
            f"{server['reads_ro'] / server['reads']:.0%}" if server["reads"] else "n/a",
            "PASS" if result.get("integrity") else "FAIL",
        )
    log("")
    log(json.dumps({"generated": time.strftime("%Y-%m-%d %H:%M")}))


if __name__ == "__main__":
    sys.exit(main())
