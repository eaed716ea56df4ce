"""RFM segmentation benchmark.

Seeds 100,000 customers and 250,000 posted invoices of 4 lines each
(1,000,000 invoice lines) by default, then reports for the RFM recompute
(``crm.relationship.rfm.segment._recompute_rfm``): wall time, SQL queries,
and the ratio to a raw SQL baseline computing and storing the same scores
(one ``UPDATE ... FROM (SELECT ... ntile(5) OVER ...)`` without segments);
the scores of both are compared.

Usage (the database must have crm_relationship installed)::

    .venv/bin/python bench/bench_rfm.py --db DB [--config .state/odoo.conf] [--customers N] [--invoices N]

Customers, invoices and lines are bulk-copied in SQL from one real posted
invoice made through the ORM, so every column is realistic; the seeding is
rolled back at the end.
"""

import argparse
import os
import statistics
import time

import odoo
from odoo.fields import Command
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINES_PER_INVOICE = 4
SCORE_COLUMNS = ("crm_rfm_recency", "crm_rfm_frequency", "crm_rfm_monetary")


def columns_of(env, table):
    return [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'",
                table,
            )
        )
    ]


def clone(env, table, template_id, source, overrides):
    """Copy row ``template_id`` of ``table`` once per row of the SQL ``source`` (aliased ``s``),
    with SQL ``overrides`` per column (``t`` is the template row)."""
    columns = columns_of(env, table)
    select = [SQL(overrides[c]) if c in overrides else SQL.identifier("t", c) for c in columns]
    env.execute_query(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s t, (%s) s WHERE t.id = %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL(", ").join(select),
            SQL.identifier(table),
            source,
            template_id,
        )
    )


def seed(env, customers, invoices):
    """``customers`` companies, ``invoices`` posted invoices spread unevenly among them, 4 lines each."""
    Partner = env["res.partner"]
    customer = Partner.create({"name": "Bench RFM customer", "is_company": True})
    product = env["product.product"].create(
        {"name": "Bench RFM product", "type": "consu", "list_price": 100.0, "taxes_id": [Command.clear()]}
    )
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_line_ids": [Command.create({"product_id": product.id, "tax_ids": [Command.clear()]})],
        }
    )
    invoice.action_post()
    env.flush_all()
    line = invoice.invoice_line_ids
    env.execute_query(SQL("SELECT setseed(0.42)"))
    clone(
        env,
        "res_partner",
        customer.id,
        SQL("SELECT g FROM generate_series(1, %s) g", customers),
        {"name": "'Bench RFM customer ' || s.g", "complete_name": "'Bench RFM customer ' || s.g"},
    )
    env.execute_query(
        SQL(
            """CREATE TEMP TABLE bench_rfm_customer AS
               SELECT row_number() OVER (ORDER BY id) AS n, id FROM res_partner
                WHERE name LIKE 'Bench RFM customer %%' AND commercial_partner_id = %s AND id != %s""",
            customer.id,
            customer.id,
        )
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner p SET commercial_partner_id = p.id FROM bench_rfm_customer b WHERE b.id = p.id"
        )
    )
    # Uneven: a few customers buy a lot, most buy little (random()^3 skews toward the first ones).
    env.execute_query(
        SQL(
            """CREATE TEMP TABLE bench_rfm_invoice AS
               SELECT r.g, c.id AS partner_id, (current_date - (random() * 1000)::int) AS day,
                      round((50 + random() * 5000)::numeric, 2) AS amount
                 FROM (SELECT g, 1 + floor(%s * power(random(), 3))::int AS n
                         FROM generate_series(1, %s) g) r
                 JOIN bench_rfm_customer c ON c.n = r.n""",
            customers,
            invoices,
        )
    )
    clone(
        env,
        "account_move",
        invoice.id,
        SQL("SELECT * FROM bench_rfm_invoice"),
        {
            "name": "t.name || '-' || s.g",
            "partner_id": "s.partner_id",
            "commercial_partner_id": "s.partner_id",
            "invoice_date": "s.day",
            "date": "s.day",
            "amount_untaxed": "s.amount",
            "amount_untaxed_signed": "s.amount",
            "amount_total": "s.amount",
            "amount_total_signed": "s.amount",
            "amount_residual": "s.amount",
            "amount_residual_signed": "s.amount",
        },
    )
    env.execute_query(
        SQL(
            """CREATE TEMP TABLE bench_rfm_move AS
               SELECT m.id, m.partner_id FROM account_move m
                WHERE m.name LIKE %s AND m.id != %s""",
            f"{invoice.name}-%",
            invoice.id,
        )
    )
    clone(
        env,
        "account_move_line",
        line.id,
        SQL(
            "SELECT m.id AS move_id, m.partner_id, l FROM bench_rfm_move m, generate_series(1, %s) l",
            LINES_PER_INVOICE,
        ),
        {"move_id": "s.move_id", "partner_id": "s.partner_id"},
    )
    env.execute_query(SQL("ANALYZE res_partner; ANALYZE account_move; ANALYZE account_move_line"))
    return env.execute_query(
        SQL(
            """SELECT (SELECT count(*) FROM bench_rfm_customer), (SELECT count(*) FROM bench_rfm_move),
                      (SELECT count(*) FROM account_move_line l JOIN bench_rfm_move m ON m.id = l.move_id)"""
        )
    )[0]


def reset_scores(env):
    env.execute_query(
        SQL(
            """UPDATE res_partner SET crm_rfm_recency = NULL, crm_rfm_frequency = NULL, crm_rfm_monetary = NULL,
                      crm_rfm_score = NULL, crm_segment_id = NULL
                WHERE crm_rfm_score IS NOT NULL"""
        )
    )
    env.invalidate_all()


def raw_rfm(env):
    """The baseline: the same scores, stored by one hand-written UPDATE (no segments)."""
    env.cr.execute(
        SQL(
            """UPDATE res_partner p
                  SET crm_rfm_recency = s.r, crm_rfm_frequency = s.f, crm_rfm_monetary = s.m,
                      crm_rfm_score = s.r + s.f + s.m
                 FROM (SELECT partner_id,
                              ntile(5) OVER (PARTITION BY company_id ORDER BY last_date, partner_id) AS r,
                              ntile(5) OVER (PARTITION BY company_id ORDER BY frequency, partner_id) AS f,
                              ntile(5) OVER (PARTITION BY company_id ORDER BY monetary, partner_id) AS m
                         FROM (SELECT commercial_partner_id AS partner_id, company_id,
                                      max(invoice_date) FILTER (WHERE move_type = 'out_invoice') AS last_date,
                                      count(*) FILTER (WHERE move_type = 'out_invoice') AS frequency,
                                      sum(amount_untaxed_signed) AS monetary
                                 FROM account_move
                                WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
                             GROUP BY commercial_partner_id, company_id) a
                        WHERE last_date IS NOT NULL) s
                WHERE p.id = s.partner_id"""
        )
    )


def measure(env, func, repeat):
    """Return (median seconds, max queries) of ``func`` run on customers without scores."""
    times, queries = [], []
    for _i in range(repeat):
        reset_scores(env)
        start_count = env.cr.sql_log_count
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        queries.append(env.cr.sql_log_count - start_count)
    return statistics.median(times), max(queries)


def snapshot(env, table):
    env.execute_query(
        SQL(
            "CREATE TEMP TABLE %s AS SELECT id, crm_rfm_recency r, crm_rfm_frequency f, crm_rfm_monetary m "
            "FROM res_partner WHERE crm_rfm_score IS NOT NULL",
            SQL.identifier(table),
        )
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--invoices", type=int, default=250000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Segment = env["crm.relationship.rfm.segment"]
        start = time.perf_counter()
        customers, invoices, lines = seed(env, args.customers, args.invoices)
        print(
            f"seeded {customers} customers, {invoices} posted invoices, {lines} invoice lines "
            f"in {time.perf_counter() - start:.1f}s"
        )
        orm_t, orm_q = measure(env, Segment._recompute_rfm, args.repeat)
        snapshot(env, "bench_rfm_orm")
        raw_t, raw_q = measure(env, lambda: raw_rfm(env), args.repeat)
        snapshot(env, "bench_rfm_raw")
        differences, scored = env.execute_query(
            SQL(
                """SELECT count(*) FILTER (WHERE o.id IS NULL OR r.id IS NULL OR (o.r, o.f, o.m) != (r.r, r.f, r.m)),
                          count(*)
                     FROM bench_rfm_orm o FULL JOIN bench_rfm_raw r ON r.id = o.id"""
            )
        )[0]
        Segment._recompute_rfm()
        start_count, start = env.cr.sql_log_count, time.perf_counter()
        changed = Segment._recompute_rfm()
        again_t, again_q = time.perf_counter() - start, env.cr.sql_log_count - start_count
        segments = env.execute_query(
            SQL(
                """SELECT s.name->>'en_US', count(p.id) FROM res_partner p
                     JOIN crm_relationship_rfm_segment s ON s.id = p.crm_segment_id
                 GROUP BY s.name, s.sequence ORDER BY s.sequence"""
            )
        )
        print(f"{'measure':48} {'ms':>9} {'queries':>8} {'baseline ms':>12} {'ratio':>6}")
        print(
            f"{'RFM recompute, scores + segments, all changed':48} {orm_t * 1000:9.1f} {orm_q:8d} "
            f"{raw_t * 1000:12.1f} {orm_t / raw_t:6.2f}"
        )
        print(
            f"{'RFM recompute again, nothing changed':48} {again_t * 1000:9.1f} {again_q:8d}   ({changed} rows)"
        )
        print(f"raw baseline queries: {raw_q}")
        print(f"scored customers: {scored}, scores differing from the baseline: {differences}")
        print("customers per segment: " + ", ".join(f"{name} {count}" for name, count in segments))
        print(f"within 2x of the baseline: {'yes' if orm_t <= 2 * raw_t else 'NO'}")
        cr.rollback()


if __name__ == "__main__":
    main()
