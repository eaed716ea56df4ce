"""Web-level benchmark of the customer screens, timed as the web client loads them.

Usage (from the repository root, on a database made by ``generate_company.py``)::

    .venv/bin/python bench/bench_web_screens.py --db crm_relationship_bench [--runs 5] [--explain]
        [--only card,kanban,...]

Each screen is loaded the way the web client loads it: the field
specification is built from the real view (``get_views`` as the user, the
inline x2many sub-views with their limits, the fields the widgets add), and the
same RPC methods are called with the web client's context (``lang``, ``tz``,
``uid``, ``allowed_company_ids``, ``bin_size``): ``web_read`` for a form,
``web_search_read`` for a kanban page of 40 or a list page of 80 (with the
action's domain and the search view's default filters), plus
``search_panel_select_multi_range`` for the timeline's search panels. The
chatter, loaded by separate requests, is left out (both the customer card and
the partner form have the same one).

Everything runs as the benchmark user (login ``crm_bench``: Relationship User,
Sales "own documents only", Billing) in the Italian company, with PostgreSQL's
default settings. Before each run the ORM record cache is emptied
(``env.invalidate_all()``); the registry caches (access rights, rules, views)
stay warm, as in a running server, after one warm-up run. The runs of a
screen and of its equivalent alternate, so a change of the machine's load
weighs on both; the load average is printed with the results.

Each screen is compared with Odoo's own equivalent on the same data when
there is one (the standard partner form, the contacts kanban and list with the
same domain, the sale order form without the alert field) and with the
target of issue 12. The card figures are also compared with a raw-SQL
baseline written from the business definitions (posted customer invoices and
credit notes of the commercial partner, and so on), independently of the
add-on's code; their values are checked to agree.

For every screen it reports the median and p95 time, the SQL queries of a
run, the ratio to the equivalent, PASS/FAIL against the target, the heaviest
query with its ``EXPLAIN (ANALYZE, BUFFERS)`` summary, and any sequential scan
of a table above 10,000 rows in any query of the screen (found with
``EXPLAIN`` of each of them). ``--explain`` prints the full plans. A Markdown
table for the README closes the output.
"""

import argparse
import os
import re
import statistics
import time
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from lxml import etree

import odoo
import odoo.api
import odoo.modules.registry
from odoo.tools import SQL
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_LOGIN = "crm_bench"
BIG_TABLE_ROWS = 10_000
TYPICAL_DOCUMENTS = 21
KANBAN_LIMIT = 40
LIST_LIMIT = 80
COUNT_LIMIT = 10_001
SEARCH_PANEL_LIMIT = 200
CALLER_NUMBERS = 200


def widget_related_fields(widget, options):
    """Fields the web client's x2many widget reads on the related records (its
    ``relatedFields``): the tag widgets (``many2many_tags`` and the widgets
    extending it) read the name and the color, or None for other widgets."""
    if not widget:
        return None
    if "tags" in widget:
        related = ["display_name"]
        if options.get("color_field"):
            related.append(options["color_field"])
        if widget == "many2many_tags_email":
            related.append("email")
        return related
    if widget == "x2many_buttons":
        return ["display_name"]
    return None


# Fields the web client's widgets add to the record (fieldDependencies).
WIDGET_DEPENDENCIES = {
    "image": ["write_date"],
    "list_activity": [
        "activity_exception_decoration",
        "activity_exception_icon",
        "activity_state",
        "activity_summary",
        "activity_type_icon",
        "activity_type_id",
    ],
    "kanban_activity": [
        "activity_exception_decoration",
        "activity_exception_icon",
        "activity_state",
        "activity_summary",
        "activity_type_icon",
        "activity_type_id",
    ],
}

# The card figures compared with the raw-SQL baseline.
CARD_FIGURES = [
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
]


EXPLAIN_OPTIONS = {
    "plan": SQL("FORMAT JSON"),
    "analyze": SQL("ANALYZE, BUFFERS, FORMAT JSON"),
    "text": SQL("ANALYZE, BUFFERS"),
}


def log(message="", *args):
    print(message % args if args else message, flush=True)


def percentile(values, fraction):
    """Linear-interpolated percentile of ``values`` (``fraction`` in 0..1)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def is_true(expression):
    return expression in ("True", "1", "true")


# ----------------------------------------------------------------------
# Field specifications, as the web client builds them from the views
# ----------------------------------------------------------------------


def field_options(field):
    """The ``options`` of a field node (a JavaScript object literal), or ``{}``."""
    try:
        return safe_eval(field.get("options") or "{}", {"true": True, "false": False, "null": None})
    except ValueError:
        return {}


def field_nodes(node):
    """``<field>`` nodes under ``node``, not descending into fields (their sub-views)."""
    for child in node.iterchildren(tag=etree.Element):
        if child.tag == "field":
            yield child
        else:
            yield from field_nodes(child)


def fields_spec(node, model, models, force_invisible=False):
    """The ``specification`` of ``web_read`` / ``web_search_read`` for the fields under ``node``."""
    infos = models[model]["fields"]
    occurrences = {}
    for field in field_nodes(node):
        if field.get("name") in infos:
            occurrences.setdefault(field.get("name"), []).append(field)
    spec = {}
    properties = []
    for name, nodes in occurrences.items():
        info = infos[name]
        invisible = force_invisible or all(
            is_true(n.get("invisible")) or is_true(n.get("column_invisible")) for n in nodes
        )
        field = nodes[0]
        widget = field.get("widget")
        options = field_options(field)
        if info["type"] in ("one2many", "many2many"):
            spec[name] = x2many_spec(field, info, models, invisible, widget, options)
        elif info["type"] in ("many2one", "reference"):
            spec[name] = {"fields": {} if invisible else {"display_name": {}}}
        else:
            spec[name] = {}
        if info["type"] == "properties" and info.get("definition_record"):
            properties.append(info["definition_record"])
        for dependency in WIDGET_DEPENDENCIES.get(widget, ()):
            if dependency in infos and dependency not in spec:
                dependency_type = infos[dependency]["type"]
                spec[dependency] = {"fields": {"display_name": {}}} if dependency_type == "many2one" else {}
    for definition in properties:
        # The web client reads the name of the record holding the properties definition.
        if definition in spec:
            spec[definition].setdefault("fields", {})["display_name"] = {}
    return spec


def x2many_spec(field, info, models, invisible, widget, options):
    comodel = info["relation"]
    views = {
        child.tag: child
        for child in field.iterchildren(tag=etree.Element)
        if child.tag in ("list", "kanban", "form")
    }
    mode = field.get("mode")
    if mode and "," in mode:
        mode = "list"
    elif not mode:
        mode = "list" if "list" in views else "kanban" if "kanban" in views else None
    if invisible:
        return {}
    related = widget_related_fields(widget, options)
    if related and not views:
        return {"fields": {name: {} for name in related}}
    if mode not in views:
        return {}
    sub = fields_spec(views[mode], comodel, models)
    if "form" in views:
        for name, value in fields_spec(views["form"], comodel, models, force_invisible=True).items():
            sub.setdefault(name, value)
    spec = {"fields": sub, "limit": int(views[mode].get("limit") or 40)}
    if views[mode].get("default_order"):
        spec["order"] = views[mode].get("default_order")
    return spec


class View:
    """A view as the web client receives it: arch, fields of the models, spec."""

    def __init__(self, env, model, view_id, view_type, search_view_id=None):
        views = [(view_id, view_type)]
        if search_view_id is not False:
            views.append((search_view_id, "search"))
        result = env[model].get_views(views)
        self.model = model
        self.models = result["models"]
        self.arch = etree.fromstring(result["views"][view_type]["arch"])
        self.search = (
            etree.fromstring(result["views"]["search"]["arch"]) if "search" in result["views"] else None
        )
        self.spec = fields_spec(self.arch, model, self.models)
        if view_type == "form":
            self.spec.setdefault("display_name", {})
        self.order = self.arch.get("default_order") or ""

    def filter_domain(self, env, name):
        """Domain of the search view's filter ``name``, evaluated as the web client does."""
        node = self.search.xpath(f"//filter[@name='{name}']")
        if not node:
            return []
        return safe_eval(
            node[0].get("domain") or "[]",
            {
                "uid": env.uid,
                "context_today": lambda: safe_datetime.date.today(),
                "datetime": safe_datetime,
                "relativedelta": relativedelta,
                "context": env.context,
            },
        )

    def default_filters_domain(self, env, context):
        domain = []
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                domain += self.filter_domain(env, key[len("search_default_") :])
        return domain

    def search_panel_fields(self):
        if self.search is None:
            return []
        return self.search.xpath("//searchpanel/field")


# ----------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------


class QueryRecorder:
    """Records (duration, query, params) of every query the cursor executes."""

    def __init__(self, cr):
        self.cr = cr
        self.queries = []

    def __enter__(self):
        original = self.original = self.cr.execute
        queries = self.queries

        def execute(query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return original(query, params, log_exceptions)
            finally:
                queries.append((time.perf_counter() - start, query, params))

        self.cr.execute = execute
        return self

    def __exit__(self, *exc):
        del self.cr.execute


class Measure:
    def __init__(self, times, queries, last_queries):
        self.times = times
        self.queries = queries
        self.last_queries = last_queries

    @property
    def median(self):
        return statistics.median(self.times) * 1000

    @property
    def p95(self):
        return percentile(self.times, 0.95) * 1000


class Result:
    def __init__(self, label, ours, equivalent=None, equivalent_label="", target=None, kind="ratio", note=""):
        self.label = label
        self.ours = ours
        self.equivalent = equivalent
        self.equivalent_label = equivalent_label
        self.target = target
        self.kind = kind  # "ratio": ours / equivalent <= target; "ms": median <= target; "p95": p95 <= target
        self.note = note
        self.heaviest = None
        self.big_seq_scans = []
        self.seq_scan_queries = []

    @property
    def ratio(self):
        if self.equivalent is None:
            return None
        return self.ours.median / self.equivalent.median if self.equivalent.median else None

    @property
    def passed(self):
        if self.target is None:
            return None
        if self.kind == "ratio":
            return self.ratio is not None and self.ratio <= self.target
        if self.kind == "p95":
            return self.ours.p95 <= self.target
        return self.ours.median <= self.target

    @property
    def target_label(self):
        if self.target is None:
            return "—"
        if self.kind == "ratio":
            return f"≤ {self.target:g}x"
        if self.kind == "p95":
            return f"p95 ≤ {self.target:g} ms"
        return f"≤ {self.target:g} ms"


class Bench:
    def __init__(self, env, runs, explain):
        self.env = env
        self.cr = env.cr
        self.runs = runs
        self.explain = explain
        self.results = []
        [(self.today,)] = env.execute_query(SQL("SELECT CURRENT_DATE"))
        self.table_rows = dict(
            env.execute_query(SQL("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'"))
        )

    def run_cold(self, func):
        """Duration and queries of ``func`` on an empty ORM record cache."""
        self.env.invalidate_all()
        with QueryRecorder(self.cr) as recorder:
            start = time.perf_counter()
            func()
            duration = time.perf_counter() - start
        return duration, recorder.queries

    def measure(self, *funcs):
        """One Measure (median/p95 over the runs, after one warm-up) per function.

        The runs of several functions alternate, so that a change of the
        machine's load during the measure weighs on all of them alike."""
        for func in funcs:
            func()
        runs = [[] for _func in funcs]
        for _i in range(self.runs):
            for func, func_runs in zip(funcs, runs, strict=True):
                func_runs.append(self.run_cold(func))
        measures = [
            Measure([d for d, _q in func_runs], [len(q) for _d, q in func_runs], func_runs[-1][1])
            for func_runs in runs
        ]
        return measures[0] if len(funcs) == 1 else measures

    def add(self, result):
        self.analyze(result)
        self.results.append(result)
        ours = result.ours
        line = (
            f"  {result.label:58} {ours.median:9.1f} ms (p95 {ours.p95:8.1f}) {max(ours.queries):4d} queries"
        )
        if result.equivalent is not None:
            eq = result.equivalent
            line += f" | {result.equivalent_label}: {eq.median:8.1f} ms, {max(eq.queries):3d} queries, ratio {result.ratio:5.2f}x"
        verdict = {True: "PASS", False: "FAIL", None: ""}[result.passed]
        log("%s | target %s %s", line, result.target_label, verdict)
        if result.heaviest:
            duration, summary, _text = result.heaviest
            log("      heaviest query %.1f ms: %s", duration, summary)
        if result.big_seq_scans:
            log(
                "      seq scans on tables > %s rows: %s",
                f"{BIG_TABLE_ROWS:,}",
                ", ".join(result.big_seq_scans),
            )
        if result.note:
            log("      %s", result.note)

    # -- query plans -----------------------------------------------------

    def explainable(self, query):
        text = query.code if isinstance(query, SQL) else query
        if isinstance(text, bytes):
            text = text.decode()
        return text.lstrip().upper().startswith(("SELECT", "WITH"))

    def run_explain(self, query, params, options):
        """Rows of ``EXPLAIN (options)`` of a recorded query, in a savepoint rolled back."""
        if not isinstance(query, SQL):
            query = SQL(query, **params) if isinstance(params, dict) else SQL(query, *(params or ()))
        with self.cr.savepoint(flush=False):
            return self.env.execute_query(SQL("EXPLAIN (%s) %s", EXPLAIN_OPTIONS[options], query))

    def scans(self, plan, found):
        node_type = plan.get("Node Type", "")
        if node_type == "Seq Scan":
            found.append(plan.get("Relation Name"))
        for child in plan.get("Plans", ()):
            self.scans(child, found)
        return found

    def analyze(self, result):
        """Heaviest query of the last run with its plan, and sequential scans of big tables."""
        queries = [q for q in result.ours.last_queries if self.explainable(q[1])]
        if not queries:
            return
        seen, big = set(), set()
        for _duration, query, params in queries:
            key = (
                (query.code, tuple(map(repr, query.params)))
                if isinstance(query, SQL)
                else (query, repr(params))
            )
            if key in seen:
                continue
            seen.add(key)
            [(plan,)] = self.run_explain(query, params, "plan")
            tables = [
                t for t in self.scans(plan[0]["Plan"], []) if self.table_rows.get(t, 0) > BIG_TABLE_ROWS
            ]
            big.update(tables)
            if tables and self.explain:
                result.seq_scan_queries.append((tables, self.query_text(query, params)))
        result.big_seq_scans = [f"{table} ({self.table_rows[table]:,} rows)" for table in sorted(big)]
        duration, query, params = max(queries, key=lambda q: q[0])
        [(plan,)] = self.run_explain(query, params, "analyze")
        root = plan[0]
        nodes = []

        def walk(node):
            relation = node.get("Relation Name") or node.get("Index Name") or ""
            nodes.append(
                f"{node['Node Type']}{' ' + relation if relation else ''} "
                f"(rows {node.get('Actual Rows', 0) * node.get('Actual Loops', 1):,})"
            )
            for child in node.get("Plans", ()):
                walk(child)

        walk(root["Plan"])
        scans = [n for n in nodes if "Scan" in n]
        summary = (
            f"executes in {root['Execution Time']:.1f} ms, "
            f"{root['Plan'].get('Shared Hit Blocks', 0) + root['Plan'].get('Shared Read Blocks', 0):,} buffers; "
            + "; ".join(scans[:6])
            + (f"; … {len(scans) - 6} more scans" if len(scans) > 6 else "")
        )
        text = ""
        if self.explain:
            rows = self.run_explain(query, params, "text")
            text = self.query_text(query, params) + "\n" + "\n".join(row[0] for row in rows)
        result.heaviest = (duration * 1000, summary, text)

    def query_text(self, query, params):
        if isinstance(query, SQL):
            return self.cr.mogrify(query.code, query.params).decode()
        return self.cr.mogrify(query, params).decode()

    # -- markdown ------------------------------------------------------------

    def markdown(self):
        lines = [
            (
                "| screen | this add-on: median (p95) | queries | Odoo's equivalent: median, queries | ratio "
                "| target | result | heaviest query | seq. scans > 10k rows |"
            ),
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.results:
            equivalent = (
                f"{r.equivalent_label}: {r.equivalent.median:,.1f} ms, {max(r.equivalent.queries)}"
                if r.equivalent is not None
                else "—"
            )
            ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "—"
            verdict = {True: "PASS", False: "**FAIL**", None: "—"}[r.passed]
            heaviest = f"{r.heaviest[0]:,.1f} ms" if r.heaviest else "—"
            scans = ", ".join(name.split(" ")[0] for name in r.big_seq_scans) or "none"
            lines.append(
                f"| {r.label} | {r.ours.median:,.1f} ms ({r.ours.p95:,.1f}) | {max(r.ours.queries)} | {equivalent} "
                f"| {ratio} | {r.target_label} | {verdict} | {heaviest} | {scans} |"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------
# The data: customers and documents of the benchmark user
# ----------------------------------------------------------------------


def document_counts(env):
    """``{customer id: documents}``: sale orders, delivery notes, invoices and credit notes."""
    rows = env.execute_query(
        SQL(
            """SELECT c.commercial_partner_id, count(*) FROM (
                   SELECT partner_id FROM sale_order
                   UNION ALL SELECT partner_id FROM stock_picking
                   UNION ALL SELECT partner_id FROM account_move WHERE move_type IN ('out_invoice', 'out_refund')
               ) d JOIN res_partner c ON c.id = d.partner_id
               GROUP BY c.commercial_partner_id"""
        )
    )
    return dict(rows)


def pick_customers(env, user):
    counts = document_counts(env)
    mine = {
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE is_company AND user_id = %s AND customer_rank > 0",
                user.id,
            )
        )
    }
    biggest = max(counts, key=counts.get)
    typical = min(
        (cid for cid in counts if cid in mine and cid != biggest),
        key=lambda cid: (abs(counts[cid] - TYPICAL_DOCUMENTS), cid),
    )
    return typical, counts[typical], biggest, counts[biggest]


# ----------------------------------------------------------------------
# Raw-SQL baseline of the card figures, written from the business definitions
# ----------------------------------------------------------------------


def raw_card_figures(env, customer_id, company_ids, today):
    """The card figures of customer ``customer_id`` in hand-written SQL.

    - Documents of the customer: those whose partner (contact, address) belongs
      to the commercial entity, in the companies the user works in; amounts in
      the company's currency.
    - Quotations: sale orders in draft or sent; expired when their validity is
      past. Orders: confirmed sale orders; first/last purchase: their dates.
    - Deliveries: outgoing delivery notes not cancelled (open: not done);
      returns: incoming pickings that return a delivery.
    - Invoices: posted customer invoices and credit notes; amount due: their
      residual; overdue: residual of those not paid whose due date is past.
    - Last payment: latest customer payment received.
    - Last contact: latest call with the customer or message (comment,
      e-mail) on the customer or one of its people.
    - Next action: earliest open activity on the customer, its people, or its
      sale orders, delivery notes, invoices and payments.
    """
    params = {"customer": customer_id, "companies": company_ids, "today": today}
    figures = {}

    def one(query):
        cr = env.cr
        cr.execute(query, params)
        return cr.dictfetchone()

    figures.update(
        one(
            """SELECT count(*) FILTER (WHERE so.state IN ('draft', 'sent')) AS crm_quotation_count,
                      COALESCE(sum(so.amount_total / so.currency_rate) FILTER (WHERE so.state IN ('draft', 'sent')), 0)
                          AS crm_quotation_amount,
                      count(*) FILTER (WHERE so.state IN ('draft', 'sent') AND so.validity_date < %(today)s)
                          AS crm_quotation_expired_count,
                      count(*) FILTER (WHERE so.state = 'sale') AS crm_order_count,
                      COALESCE(sum(so.amount_total / so.currency_rate) FILTER (WHERE so.state = 'sale'), 0)
                          AS crm_order_amount,
                      count(*) FILTER (WHERE so.state = 'sale' AND so.delivery_status IN ('pending', 'started', 'partial'))
                          AS crm_order_to_deliver_count,
                      count(*) FILTER (WHERE so.state = 'sale' AND so.invoice_status = 'to invoice')
                          AS crm_order_to_invoice_count,
                      min(so.date_order) FILTER (WHERE so.state = 'sale')::date AS crm_first_purchase_date,
                      max(so.date_order) FILTER (WHERE so.state = 'sale')::date AS crm_last_purchase_date
                 FROM sale_order so
                 JOIN res_partner p ON p.id = so.partner_id
                WHERE p.commercial_partner_id = %(customer)s AND so.company_id = ANY(%(companies)s)"""
        )
    )
    figures.update(
        one(
            """SELECT count(*) FILTER (WHERE t.code = 'outgoing') AS crm_delivery_count,
                      count(*) FILTER (WHERE t.code = 'outgoing' AND sp.state != 'done') AS crm_delivery_open_count,
                      count(*) FILTER (WHERE t.code = 'incoming' AND sp.return_id IS NOT NULL) AS crm_return_count,
                      max(sp.date_done) FILTER (WHERE t.code = 'outgoing' AND sp.state = 'done')
                          AS crm_last_delivery_date
                 FROM stock_picking sp
                 JOIN stock_picking_type t ON t.id = sp.picking_type_id
                 JOIN res_partner p ON p.id = sp.partner_id
                WHERE p.commercial_partner_id = %(customer)s AND sp.company_id = ANY(%(companies)s)
                  AND sp.state != 'cancel'"""
        )
    )
    figures.update(
        one(
            """SELECT count(*) FILTER (WHERE m.move_type = 'out_invoice') AS crm_invoice_count,
                      count(*) FILTER (WHERE m.move_type = 'out_refund') AS crm_refund_count,
                      COALESCE(sum(m.amount_total_signed), 0) AS crm_invoiced_amount,
                      COALESCE(sum(m.amount_untaxed_signed)
                               FILTER (WHERE m.invoice_date >= date_trunc('year', %(today)s::date)), 0)
                          AS crm_invoiced_this_year,
                      COALESCE(sum(m.amount_untaxed_signed)
                               FILTER (WHERE m.invoice_date >= date_trunc('year', %(today)s::date) - interval '1 year'
                                         AND m.invoice_date < date_trunc('year', %(today)s::date)), 0)
                          AS crm_invoiced_last_year,
                      COALESCE(sum(m.amount_residual_signed), 0) AS crm_amount_due,
                      COALESCE(sum(m.amount_residual_signed)
                               FILTER (WHERE m.payment_state IN ('not_paid', 'partial')
                                         AND m.invoice_date_due < %(today)s), 0) AS crm_amount_overdue
                 FROM account_move m
                WHERE m.commercial_partner_id = %(customer)s AND m.company_id = ANY(%(companies)s)
                  AND m.move_type IN ('out_invoice', 'out_refund') AND m.state = 'posted'"""
        )
    )
    figures.update(
        one(
            """SELECT max(pay.date) AS crm_last_payment_date
                 FROM account_payment pay
                 JOIN res_partner p ON p.id = pay.partner_id
                WHERE p.commercial_partner_id = %(customer)s AND pay.company_id = ANY(%(companies)s)
                  AND pay.partner_type = 'customer' AND pay.payment_type = 'inbound'
                  AND pay.state IN ('in_process', 'paid')"""
        )
    )
    figures.update(
        one(
            """SELECT max(d) AS crm_last_contact_date FROM (
                   SELECT max(c.date_start) AS d FROM crm_relationship_call c
                    WHERE c.partner_id = %(customer)s AND c.company_id = ANY(%(companies)s)
                   UNION ALL
                   SELECT max(mm.date) FROM mail_message mm
                     JOIN res_partner p ON p.id = mm.res_id
                    WHERE mm.model = 'res.partner' AND p.commercial_partner_id = %(customer)s
                      AND mm.message_type IN ('comment', 'email', 'email_outgoing')
                      AND (p.company_id IS NULL OR p.company_id = ANY(%(companies)s))
               ) s"""
        )
    )
    figures.update(
        one(
            """SELECT min(d) AS crm_next_action_date FROM (
                   SELECT a.date_deadline AS d FROM res_partner p
                     JOIN mail_activity a ON a.res_model = 'res.partner' AND a.res_id = p.id
                    WHERE a.active AND p.commercial_partner_id = %(customer)s
                   UNION ALL
                   SELECT a.date_deadline FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id
                     JOIN mail_activity a ON a.res_model = 'sale.order' AND a.res_id = so.id
                    WHERE a.active AND p.commercial_partner_id = %(customer)s AND so.company_id = ANY(%(companies)s)
                   UNION ALL
                   SELECT a.date_deadline FROM stock_picking sp
                     JOIN res_partner p ON p.id = sp.partner_id
                     JOIN mail_activity a ON a.res_model = 'stock.picking' AND a.res_id = sp.id
                    WHERE a.active AND p.commercial_partner_id = %(customer)s AND sp.company_id = ANY(%(companies)s)
                   UNION ALL
                   SELECT a.date_deadline FROM account_move m
                     JOIN mail_activity a ON a.res_model = 'account.move' AND a.res_id = m.id
                    WHERE a.active AND m.commercial_partner_id = %(customer)s AND m.company_id = ANY(%(companies)s)
                   UNION ALL
                   SELECT a.date_deadline FROM account_payment pay
                     JOIN res_partner p ON p.id = pay.partner_id
                     JOIN mail_activity a ON a.res_model = 'account.payment' AND a.res_id = pay.id
                    WHERE a.active AND p.commercial_partner_id = %(customer)s AND pay.company_id = ANY(%(companies)s)
               ) s"""
        )
    )
    return figures


def compare_figures(orm_values, raw_values):
    """Figures on which the add-on and the baseline disagree."""
    differences = []
    for name in CARD_FIGURES:
        if name not in orm_values or name not in raw_values:
            continue
        orm = None if orm_values[name] is False else orm_values[name]
        raw = raw_values[name]
        if isinstance(orm, (int, float)) or isinstance(raw, (int, float, Decimal)):
            # Amounts converted per document or per group differ by rounding only.
            orm, raw = float(orm or 0), float(raw or 0)
            equal = abs(orm - raw) <= max(0.01, 1e-6 * abs(raw))
        else:
            equal = orm == raw
        if not equal:
            differences.append(f"{name} {orm} != {raw}")
    return differences


# ----------------------------------------------------------------------
# Screens
# ----------------------------------------------------------------------


class Screens:
    def __init__(self, bench, env, only):
        self.bench = bench
        self.env = env
        self.only = only
        self.user = env.user
        self.company = env.company

    def wanted(self, key):
        return not self.only or key in self.only

    def customer_card(self, typical, typical_docs, biggest, biggest_docs):
        env = self.env
        card = View(
            env, "res.partner", env.ref("crm_relationship.res_partner_view_form_customer_card").id, "form"
        )
        standard = View(env, "res.partner", env.ref("base.view_partner_form").id, "form")
        Partner = env["res.partner"].with_context(bin_size=True)
        for label, customer_id, docs in (
            ("typical", typical, typical_docs),
            ("biggest", biggest, biggest_docs),
        ):
            record = Partner.browse(customer_id)
            # The action the card is opened with (its context, if any).
            action = env["res.partner"].browse(customer_id).action_open_crm_card()
            card_record = record.with_context(**(action.get("context") or {}))
            ours, equivalent = self.bench.measure(
                lambda r=card_record: r.web_read(card.spec), lambda r=record: r.web_read(standard.spec)
            )
            self.bench.add(
                Result(
                    f"Customer card, {label} customer ({docs:,} documents)",
                    ours,
                    equivalent,
                    "partner form",
                    1.5,
                )
            )

    def customer_list_views(self):
        env = self.env
        action = env["ir.actions.act_window"]._for_xml_id("crm_relationship.res_partner_action_customer")
        context = safe_eval(action.get("context") or "{}", {"uid": env.uid})
        domain = safe_eval(action.get("domain") or "[]", {"uid": env.uid})
        views = {mode: view_id for view_id, mode in action["views"]}
        search_view_id = action["search_view_id"][0] if action.get("search_view_id") else None
        Partner = env["res.partner"].with_context(bin_size=True, **context)
        results = {}
        for mode, limit, standard_xmlid, label in (
            ("kanban", KANBAN_LIMIT, "base.res_partner_kanban_view", "contacts kanban"),
            ("list", LIST_LIMIT, "base.view_partner_tree", "contacts list"),
        ):
            ours = View(env, "res.partner", views[mode], mode, search_view_id)
            standard = View(env, "res.partner", env.ref(standard_xmlid).id, mode)
            full_domain = domain + ours.default_filters_domain(env, context)
            results[mode] = (ours, full_domain, Partner)
            if not self.wanted(mode):
                continue
            ours_measure, equivalent = self.bench.measure(
                lambda v=ours, lim=limit, d=full_domain: Partner.web_search_read(
                    d, v.spec, limit=lim, order=v.order, count_limit=COUNT_LIMIT
                ),
                lambda v=standard, lim=limit, d=full_domain: Partner.web_search_read(
                    d, v.spec, limit=lim, order=v.order, count_limit=COUNT_LIMIT
                ),
            )
            self.bench.add(
                Result(
                    f"Customer {mode}, page of {limit}",
                    ours_measure,
                    equivalent,
                    label,
                    1.5,
                    note=f"domain {full_domain}",
                )
            )
        return results

    def filters(self, list_views):
        ours, domain, Partner = list_views["list"]
        for name, label in (
            ("crm_no_next_action", 'Filter "No Next Action Planned", list of 80'),
            ("crm_not_contacted_60_days", 'Filter "Not Contacted in 60 Days", list of 80'),
        ):
            filter_domain = ours.filter_domain(self.env, name)
            if not filter_domain:
                log("  %s: filter %s not in the search view", label, name)
                continue
            full = domain + filter_domain
            measure = self.bench.measure(
                lambda d=full: Partner.web_search_read(
                    d, ours.spec, limit=LIST_LIMIT, order=ours.order, count_limit=COUNT_LIMIT
                )
            )
            [(count,)] = [(Partner.search_count(full),)]
            self.bench.add(Result(label, measure, target=200, kind="ms", note=f"{count:,} customers match"))

    def sale_order_form(self, typical, biggest):
        env = self.env
        view = View(env, "sale.order", env.ref("sale.view_order_form").id, "form")
        if "crm_alert_message" not in view.spec:
            log("  sale order form: no crm_alert_message field in the view")
            return
        without = {name: spec for name, spec in view.spec.items() if name != "crm_alert_message"}
        SaleOrder = env["sale.order"].with_context(bin_size=True)
        for label, customer_id, states in (
            ("quotation of the typical customer", typical, ("draft", "sent")),
            ("sale order of the biggest customer", biggest, ("sale",)),
        ):
            order = SaleOrder.search(
                [("partner_id", "child_of", customer_id), ("state", "in", states), ("user_id", "=", env.uid)],
                order="date_order desc",
                limit=1,
            )
            if not order:
                order = SaleOrder.search(
                    [("state", "in", states), ("user_id", "=", env.uid)], order="date_order desc", limit=1
                )
            ours, equivalent = self.bench.measure(
                lambda o=order: o.web_read(view.spec), lambda o=order: o.web_read(without)
            )
            self.bench.add(
                Result(
                    f"Sale order form with the alert banner, {label}",
                    ours,
                    equivalent,
                    "same form without the banner",
                    1.2,
                    note=f"{order.name} ({order.state}, {len(order.order_line)} lines)",
                )
            )

    def timeline(self, customers):
        env = self.env
        global_action = env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_timeline_action"
        )
        actions = [("global", global_action, 300)]
        for label, customer_id, docs in customers:
            actions.append(
                (
                    f"{label} customer ({docs:,} documents)",
                    env["res.partner"].browse(customer_id).action_view_crm_timeline(),
                    150,
                )
            )
        for label, action, target in actions:
            domain = action.get("domain") or []
            if isinstance(domain, str):
                domain = safe_eval(domain, {"uid": env.uid})
            context = action.get("context") or {}
            if isinstance(context, str):
                context = safe_eval(context, {"uid": env.uid})
            list_view = next((vid for vid, mode in action.get("views", []) if mode == "list"), False)
            search_view_id = action["search_view_id"][0] if action.get("search_view_id") else None
            view = View(env, "crm.relationship.timeline", list_view, "list", search_view_id)
            Timeline = env["crm.relationship.timeline"].with_context(bin_size=True, **context)
            defaults = view.default_filters_domain(env, context)
            variants = [(label, domain + defaults, target, "")]
            if defaults:
                # The same page once the user removes the filters the action opens with.
                variants.append((f"{label}, default filters removed", domain, None, f"without {defaults}"))
            for variant_label, search_domain, variant_target, note in variants:
                self.bench.add(
                    Result(
                        f"Timeline page of {LIST_LIMIT} + search panels, {variant_label}",
                        self.bench.measure(
                            lambda T=Timeline, v=view, d=search_domain: self.load_list(T, v, d)
                        ),
                        target=variant_target,
                        kind="ms",
                        note=note or (f"with {defaults}" if defaults else ""),
                    )
                )

    def load_list(self, Model, view, search_domain):
        """A list page of 80 and the search panels of ``view``, as the web client loads them."""
        Model.web_search_read(
            search_domain, view.spec, limit=LIST_LIMIT, order=view.order, count_limit=COUNT_LIMIT
        )
        for panel in view.search_panel_fields():
            method = (
                "search_panel_select_multi_range"
                if panel.get("select") == "multi"
                else "search_panel_select_range"
            )
            kwargs = {
                "category_domain": [],
                "comodel_domain": safe_eval(panel.get("domain") or "[]", {"uid": self.env.uid}),
                "enable_counters": is_true(panel.get("enable_counters")),
                "filter_domain": [],
                "expand": is_true(panel.get("expand")),
                "limit": int(panel.get("limit") or SEARCH_PANEL_LIMIT),
                "search_domain": search_domain,
            }
            if method == "search_panel_select_multi_range":
                kwargs.update({"group_by": panel.get("groupby") or False, "group_domain": {}})
            getattr(Model, method)(panel.get("name"), **kwargs)

    def caller_lookup(self):
        env = self.env
        rows = env.execute_query(
            SQL(
                """SELECT id, phone FROM res_partner
                    WHERE active AND phone IS NOT NULL AND parent_id IS NOT NULL
                      AND country_id = (SELECT id FROM res_country WHERE code = 'IT')
                    ORDER BY md5(id::text) LIMIT %s""",
                CALLER_NUMBERS,
            )
        )
        Partner = env["res.partner"]
        numbers = [(partner_id, retyped(phone)) for partner_id, phone in rows]
        for _partner_id, number in numbers[:10]:
            Partner._crm_search_by_phone(number)
        times, counts, last, missed = [], [], [], 0
        for partner_id, number in numbers:
            env.invalidate_all()
            with QueryRecorder(env.cr) as recorder:
                start = time.perf_counter()
                found = Partner._crm_search_by_phone(number)
                times.append(time.perf_counter() - start)
            counts.append(len(recorder.queries))
            last = recorder.queries
            if partner_id not in found.ids:
                missed += 1
        self.bench.add(
            Result(
                f"Caller lookup, {len(numbers)} numbers typed in another format, cold cache",
                Measure(times, counts, last),
                target=10,
                kind="p95",
                note=f"res.partner._crm_search_by_phone; {missed} numbers not found",
            )
        )
        # The same lookups as the web client makes them: the wizard's onchange on the number.
        Lookup = env["crm.relationship.call.lookup"]
        view = View(env, "crm.relationship.call.lookup", False, "form", False)
        [defaults] = [Lookup.onchange({}, [], view.spec)["value"]]
        times, counts = [], []
        for _partner_id, number in numbers:
            env.invalidate_all()
            values = dict(defaults, phone=number)
            with QueryRecorder(env.cr) as recorder:
                start = time.perf_counter()
                Lookup.onchange(values, ["phone"], view.spec)
                times.append(time.perf_counter() - start)
            counts.append(len(recorder.queries))
            last = recorder.queries
        self.bench.add(
            Result(
                f"Caller lookup wizard (onchange of the number), {len(numbers)} numbers",
                Measure(times, counts, last),
                note="crm.relationship.call.lookup form, as the web client calls it",
            )
        )

    def card_figures(self, customers):
        env = self.env
        Partner = env["res.partner"]
        figures = [name for name in CARD_FIGURES if name in Partner._fields]
        for label, customer_id, docs in customers:
            record = Partner.browse(customer_id)
            orm, raw = self.bench.measure(
                lambda r=record: r.read(figures),
                lambda c=customer_id: raw_card_figures(env, c, env.companies.ids, self.bench.today),
            )
            [values] = record.read(figures)
            differences = compare_figures(
                values, raw_card_figures(env, customer_id, env.companies.ids, self.bench.today)
            )
            self.bench.add(
                Result(
                    f"Card figures, {label} customer ({docs:,} documents)",
                    orm,
                    raw,
                    "raw SQL baseline",
                    2,
                    note="values agree with the baseline"
                    if not differences
                    else "values differ from the baseline: " + "; ".join(differences),
                )
            )


def retyped(phone):
    """``phone`` typed in another common format (the caller's number as the operator types it)."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+"):
        national = digits.removeprefix("39")
        return f"{national[:3]} {national[3:6]} {national[6:]}"
    if digits.startswith("0039"):
        national = digits[4:]
        return f"+39 {national}"
    return f"+39-{digits[:3]}-{digits[3:]}"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the full plans of the heaviest queries")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated screens: card,kanban,list,filters,sale,timeline,caller,figures",
    )
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", BENCH_LOGIN)])
        if not user:
            raise SystemExit(f"No user {BENCH_LOGIN}: make the database with bench/generate_company.py")
        [(jit, version)] = env.execute_query(
            SQL("SELECT current_setting('jit'), current_setting('server_version')")
        )
        context = dict(user.context_get(), allowed_company_ids=[user.company_id.id])
        env = odoo.api.Environment(cr, user.id, context)
        bench = Bench(env, args.runs, args.explain)
        typical, typical_docs, biggest, biggest_docs = pick_customers(env, user)
        customers = [("typical", typical, typical_docs), ("biggest", biggest, biggest_docs)]
        log(
            "Database %s, PostgreSQL %s (jit=%s), %d cores, load average %.1f, user %s (%s), company %s, "
            "%d runs after a warm-up",
            args.db,
            version,
            jit,
            os.cpu_count(),
            os.getloadavg()[0],
            user.login,
            ", ".join(user.group_ids.filtered(lambda g: g.privilege_id).mapped("full_name")),
            user.company_id.name,
            args.runs,
        )
        log(
            "Typical customer: %s (%d documents); biggest: %s (%d documents)\n",
            env["res.partner"].browse(typical).name,
            typical_docs,
            env["res.partner"].browse(biggest).name,
            biggest_docs,
        )
        screens = Screens(bench, env, only)
        if screens.wanted("card"):
            screens.customer_card(typical, typical_docs, biggest, biggest_docs)
        list_views = (
            screens.customer_list_views()
            if screens.wanted("kanban") or screens.wanted("list") or screens.wanted("filters")
            else None
        )
        if screens.wanted("filters"):
            screens.filters(list_views)
        if screens.wanted("sale"):
            screens.sale_order_form(typical, biggest)
        if screens.wanted("timeline"):
            screens.timeline(customers)
        if screens.wanted("caller"):
            screens.caller_lookup()
        if screens.wanted("figures"):
            screens.card_figures(customers)
        if args.explain:
            for result in bench.results:
                if result.heaviest and result.heaviest[2]:
                    log(
                        "\n### %s: heaviest query (%.1f ms)\n%s",
                        result.label,
                        result.heaviest[0],
                        result.heaviest[2],
                    )
                for tables, text in result.seq_scan_queries:
                    log("\n### %s: sequential scan of %s in\n%s", result.label, ", ".join(tables), text)
        log("\n%s", bench.markdown())
        cr.rollback()


if __name__ == "__main__":
    main()
