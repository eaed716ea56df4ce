"""Customer card and timeline benchmark.

Seeds one customer with a large history (10,000 sale orders, 10,000 delivery
notes, 10,000 invoices and 50,000 calls by default) and a small one (10 of
each), both with a payment, a message and open activities on the customer, a
contact, an order and an invoice; then reports for the card figures and for
the first timeline page: wall time, SQL queries, and the ratio to a raw SQL
baseline computing the same figures (aggregates, and one ``UNION ALL ...
LIMIT``).

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
  calls, equipment and defect reports, newest first.

Every figure is restricted to the companies active for the user.

Usage (the database must have crm_relationship installed)::

    .venv/bin/python bench/bench_customer_card.py --db DB [--config .state/odoo.conf]

Documents are bulk-copied in SQL from one real document made through the ORM,
so every column is realistic; the seeding is rolled back at the end.
"""

import argparse
import datetime
import os
import statistics
import time
from zoneinfo import ZoneInfo

import odoo
from odoo.fields import Command
from odoo.tools import SQL

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
PAGE = 40
MESSAGE_TYPES = ["comment", "email", "email_outgoing"]


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
    a message and open activities (the earliest on an order)."""
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
    if calls and "crm.relationship.call" in env:
        call = env["crm.relationship.call"].create({"partner_id": customer.id, "subject": "Seed call"})
        env.flush_all()
        clone(env, "crm_relationship_call", call.id, calls - 1, {"date_start": day})
    contact.message_post(body="Asked for a call back next week.", message_type="comment")
    env.flush_all()
    env.execute_query(SQL("ANALYZE"))
    return customer


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


def orm_card(customer):
    values = customer.read(CARD_FIELDS)[0]
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
                             AND ap.partner_type = 'customer' AND ap.state IN ('in_process', 'paid'))))
             ORDER BY a.date_deadline, a.id
                LIMIT 1""",
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
               ) entries
             ORDER BY date DESC, res_model, res_id DESC
                LIMIT %(limit)s""",
            partner=customer_id,
            companies=companies,
            message_types=MESSAGE_TYPES,
            limit=limit,
        )
    )


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
        rows = len(raw_timeline(env, big.id, companies, limit=None))
        print(f"seeded {rows} timeline entries for the big customer in {seed_time:.1f}s")
        print(
            f"measured as {user_env.user.login} (Relationship User) in {user_env.company.name}, cold ORM cache"
        )
        print(f"{'measure':40} {'ms':>9} {'queries':>8} {'baseline ms':>12} {'ratio':>6}")
        results = {}
        for label, seeded in (("10 documents", small), (f"{args.documents} documents", big)):
            customer = seeded.with_env(user_env)
            check_card(label, orm_card(customer), raw_card(user_env, customer.id, companies, currency))
            check_timeline(
                label,
                orm_timeline(user_env, customer),
                web_timeline(user_env, customer),
                raw_timeline(user_env, customer.id, companies, limit=None),
            )
            card_t, card_q = measure(user_env, lambda c=customer: orm_card(c))
            raw_t, _raw_q = measure(
                user_env, lambda c=customer: raw_card(user_env, c.id, companies, currency)
            )
            line_t, line_q = measure(user_env, lambda c=customer: orm_timeline(user_env, c))
            rawl_t, _rawl_q = measure(user_env, lambda c=customer: raw_timeline(user_env, c.id, companies))
            web_t, web_q = measure(user_env, lambda c=customer: web_timeline(user_env, c))
            results[label] = (card_q, line_q, web_q)
            print(
                f"{'card figures, ' + label:40} {card_t * 1000:9.1f} {card_q:8d} {raw_t * 1000:12.1f} "
                f"{card_t / raw_t:6.2f}"
            )
            print(
                f"{'timeline first page, ' + label:40} {line_t * 1000:9.1f} {line_q:8d} {rawl_t * 1000:12.1f} "
                f"{line_t / rawl_t:6.2f}"
            )
            print(
                f"{'web list page (+count, names, details), ' + label:40} {web_t * 1000:9.1f} {web_q:8d} "
                f"{rawl_t * 1000:12.1f} {web_t / rawl_t:6.2f}"
            )
        print("card figures and first pages equal to the baseline's for both customers")
        small_q, big_q = results.values()
        print(
            "queries with 10 vs many documents (card, timeline page, web page): "
            f"{small_q} -> {big_q}: {'constant' if small_q == big_q else 'NOT CONSTANT'}"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
