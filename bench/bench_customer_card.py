"""Customer card and timeline benchmark.

Seeds one customer with a large history (10,000 sale orders, 10,000 delivery
notes, 10,000 invoices and 50,000 calls by default) and a small one (10 of
each), then reports for the card figures and for the first timeline page:
wall time, SQL queries, and the ratio to a raw SQL baseline computing the
same figures (aggregates, and one ``UNION ALL ... LIMIT``).

Usage (the database must have crm_relationship installed)::

    .venv/bin/python bench/bench_customer_card.py --db DB [--config .state/odoo.conf]

Documents are bulk-copied in SQL from one real document made through the ORM,
so every column is realistic; the seeding is rolled back at the end.
"""

import argparse
import os
import statistics
import time

import odoo
from odoo.fields import Command
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
    """A customer with ``count`` orders, deliveries and invoices and ``calls`` calls."""
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
    env.flush_all()
    day = "(now() - (g || ' hours')::interval)"
    clone(env, "sale_order", order.id, count - 1, {"name": "t.name || '-' || g", "date_order": day})
    clone(env, "stock_picking", picking.id, count - 1, {"name": "t.name || '-' || g", "date_done": day})
    clone(
        env,
        "account_move",
        invoice.id,
        count - 1,
        {"name": "t.name || '-' || g", "invoice_date": f"({day})::date", "date": f"({day})::date"},
    )
    if calls and "crm.relationship.call" in env:
        call = env["crm.relationship.call"].create({"partner_id": customer.id, "subject": "Seed call"})
        env.flush_all()
        clone(env, "crm_relationship_call", call.id, calls - 1, {"date_start": day})
    env.execute_query(SQL("ANALYZE"))
    return customer


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
    customer.read(CARD_FIELDS)
    customer.crm_alert_message  # noqa: B018


def orm_timeline(env, customer):
    """The page through the ORM: one search_fetch of the displayed columns."""
    Timeline = env["crm.relationship.timeline"]
    return Timeline.search_fetch([("commercial_partner_id", "=", customer.id)], TIMELINE_FIELDS, limit=PAGE)


def web_timeline(env, customer):
    """What the web client asks for a list page: rows, display names, details and the pager count."""
    spec = {name: {} for name in TIMELINE_FIELDS + ["summary", "lot_name"]}
    spec["partner_id"] = spec["user_id"] = {"fields": {"display_name": {}}}
    env["crm.relationship.timeline"].web_search_read(
        [("commercial_partner_id", "=", customer.id)], spec, limit=PAGE
    )


def raw_card(env, customer):
    """The same figures with hand-written aggregates (the baseline)."""
    params = {"partner": customer.id, "companies": env.companies.ids}
    env.execute_query(
        SQL(
            """SELECT count(*) FILTER (WHERE so.state IN ('draft', 'sent')),
                      sum(so.amount_total) FILTER (WHERE so.state IN ('draft', 'sent')),
                      count(*) FILTER (WHERE so.state IN ('draft', 'sent') AND so.validity_date < CURRENT_DATE),
                      count(*) FILTER (WHERE so.state = 'sale'),
                      sum(so.amount_total) FILTER (WHERE so.state = 'sale'),
                      count(*) FILTER (WHERE so.state = 'sale' AND so.invoice_status = 'to invoice'),
                      count(*) FILTER (WHERE so.state = 'sale' AND so.delivery_status IN ('pending', 'partial')),
                      min(so.date_order) FILTER (WHERE so.state = 'sale'),
                      max(so.date_order) FILTER (WHERE so.state = 'sale')
                 FROM sale_order so JOIN res_partner rp ON rp.id = so.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND so.company_id = ANY(%(companies)s)""",
            **params,
        )
    )
    env.execute_query(
        SQL(
            """SELECT count(*) FILTER (WHERE spt.code = 'outgoing'),
                      count(*) FILTER (WHERE spt.code = 'outgoing' AND sp.state != 'done'),
                      count(*) FILTER (WHERE spt.code = 'incoming'),
                      max(sp.date_done) FILTER (WHERE spt.code = 'outgoing')
                 FROM stock_picking sp
                 JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                 JOIN res_partner rp ON rp.id = sp.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND sp.company_id = ANY(%(companies)s)
                  AND sp.state != 'cancel'
                  AND (spt.code = 'outgoing' OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))""",
            **params,
        )
    )
    env.execute_query(
        SQL(
            """SELECT count(*) FILTER (WHERE move_type = 'out_invoice'),
                      count(*) FILTER (WHERE move_type = 'out_refund'),
                      sum(amount_total_signed), sum(amount_residual_signed),
                      sum(amount_residual_signed) FILTER (WHERE payment_state IN ('not_paid', 'partial')
                                                          AND invoice_date_due < CURRENT_DATE),
                      sum(amount_untaxed_signed) FILTER (WHERE invoice_date >= date_trunc('year', now())),
                      sum(amount_untaxed_signed) FILTER (WHERE invoice_date >= date_trunc('year', now()) - interval '1 year'
                                                         AND invoice_date < date_trunc('year', now()))
                 FROM account_move
                WHERE commercial_partner_id = %(partner)s AND company_id = ANY(%(companies)s)
                  AND move_type IN ('out_invoice', 'out_refund') AND state = 'posted'""",
            **params,
        )
    )
    env.execute_query(
        SQL(
            """SELECT max(ap.date) FROM account_payment ap JOIN res_partner rp ON rp.id = ap.partner_id
                WHERE rp.commercial_partner_id = %(partner)s AND ap.partner_type = 'customer'
                  AND ap.payment_type = 'inbound' AND ap.state IN ('in_process', 'paid')""",
            **params,
        )
    )
    env.execute_query(
        SQL(
            """SELECT max(date) FROM crm_relationship_timeline
                WHERE commercial_partner_id = %(partner)s AND entry_type IN ('call', 'message')""",
            **params,
        )
    )
    env.execute_query(env["res.partner"].browse(customer.id)._crm_next_activity_query([customer.id]))


def raw_timeline(env, customer):
    """The first page with one hand-written UNION ALL ... LIMIT (the baseline)."""
    sources = SQL(" UNION ALL ").join(
        SQL("(%s)", source) for source in env["crm.relationship.timeline"]._get_sources()
    )
    return env.execute_query(
        SQL(
            """SELECT t.id, t.date, t.entry_type, t.department, t.name, t.partner_id, t.user_id, t.amount, t.state
                 FROM (%s) t
                WHERE t.commercial_partner_id = %s AND (t.company_id IS NULL OR t.company_id = ANY(%s))
             ORDER BY t.date DESC, t.id DESC LIMIT %s""",
            sources,
            customer.id,
            env.companies.ids,
            PAGE,
        )
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
        small = seed_customer(env, "Bench small customer", 10, 10)
        start = time.perf_counter()
        big = seed_customer(env, "Bench big customer", args.documents, args.calls)
        seed_time = time.perf_counter() - start
        rows = env["crm.relationship.timeline"].search_count([("commercial_partner_id", "=", big.id)])
        print(f"seeded {rows} timeline entries for the big customer in {seed_time:.1f}s")
        print(f"{'measure':40} {'ms':>9} {'queries':>8} {'baseline ms':>12} {'ratio':>6}")
        results = {}
        for label, customer in (("10 documents", small), (f"{args.documents} documents", big)):
            card_t, card_q = measure(env, lambda c=customer: orm_card(c))
            raw_t, _raw_q = measure(env, lambda c=customer: raw_card(env, c))
            line_t, line_q = measure(env, lambda c=customer: orm_timeline(env, c))
            rawl_t, _rawl_q = measure(env, lambda c=customer: raw_timeline(env, c))
            web_t, web_q = measure(env, lambda c=customer: web_timeline(env, c))
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
        small_q, big_q = results.values()
        print(
            "queries with 10 vs many documents (card, timeline page, web page): "
            f"{small_q} -> {big_q}: {'constant' if small_q == big_q else 'NOT CONSTANT'}"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
