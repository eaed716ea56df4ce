"""RFM segmentation benchmark.

Seeds 100,000 customers and 250,000 posted invoices of 4 lines each
(1,000,000 invoice lines) by default, then reports for the RFM recompute
(``crm.relationship.rfm.segment._recompute_rfm``, the nightly job, run as
superuser): wall time, SQL queries, and the ratio to a raw SQL baseline
computing and storing the same scores (one ``UPDATE ... FROM (SELECT ...
ntile(5) OVER ...)`` without segments).

The baseline is hand-written from the definition of the scores and calls
nothing of the add-on: a customer is a commercial partner with at least one
posted customer invoice; recency ranks its last invoice date, frequency its
number of posted invoices, monetary its untaxed amount of posted invoices net
of credit notes; each score splits the customers of one company, ranked with
ties broken by partner id, into five groups of equal size (the first ones one
larger when they cannot be equal), 1 the lowest. A customer counts the
documents of its own company when it has one, otherwise it is scored in the
company it was invoiced the most by. Its segment is the first active segment,
by sequence, whose four ranges contain its scores. The scores and segments
stored by the add-on, and the baseline's scores, are checked against the same
figures computed in plain Python from the invoices: the benchmark stops on any
difference.

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


def seed_template(env, label):
    """A customer, a product and a posted invoice of one line made through the ORM, named ``label``:
    the rows the seeding copies, so that every column is realistic."""
    customer = env["res.partner"].create({"name": f"{label} customer", "is_company": True})
    product = env["product.product"].create(
        {"name": f"{label} product", "type": "consu", "list_price": 100.0, "taxes_id": [Command.clear()]}
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
    return customer, invoice


def seed_customers(env, customer, count, table):
    """``count`` copies of ``customer``, each its own commercial partner, numbered 1..count in the
    temporary ``table`` (n, id)."""
    name = customer.name
    clone(
        env,
        "res_partner",
        customer.id,
        SQL("SELECT g FROM generate_series(1, %s) g", count),
        {"name": f"'{name} ' || s.g", "complete_name": f"'{name} ' || s.g"},
    )
    env.execute_query(
        SQL(
            """CREATE TEMP TABLE %s AS
               SELECT row_number() OVER (ORDER BY id) AS n, id FROM res_partner
                WHERE name LIKE %s AND commercial_partner_id = %s AND id != %s""",
            SQL.identifier(table),
            f"{name} %",
            customer.id,
            customer.id,
        )
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner p SET commercial_partner_id = p.id FROM %s b WHERE b.id = p.id",
            SQL.identifier(table),
        )
    )


def seed_invoices(env, invoice, source, table):
    """Copies of the posted ``invoice``, one per row ``(g, partner_id, day, amount)`` of the SQL
    ``source``, with LINES_PER_INVOICE lines each; their ids in the temporary ``table`` (id, partner_id)."""
    clone(
        env,
        "account_move",
        invoice.id,
        source,
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
            """CREATE TEMP TABLE %s AS
               SELECT m.id, m.partner_id FROM account_move m WHERE m.name LIKE %s AND m.id != %s""",
            SQL.identifier(table),
            f"{invoice.name}-%",
            invoice.id,
        )
    )
    clone(
        env,
        "account_move_line",
        invoice.invoice_line_ids.id,
        SQL(
            "SELECT m.id AS move_id, m.partner_id, l FROM %s m, generate_series(1, %s) l",
            SQL.identifier(table),
            LINES_PER_INVOICE,
        ),
        {"move_id": "s.move_id", "partner_id": "s.partner_id"},
    )
    env.execute_query(SQL("ANALYZE res_partner; ANALYZE account_move; ANALYZE account_move_line"))
    return env.execute_query(
        SQL(
            """SELECT count(*), (SELECT count(*) FROM account_move_line l JOIN %s m ON m.id = l.move_id)
                 FROM %s""",
            SQL.identifier(table),
            SQL.identifier(table),
        )
    )[0]


def seed(env, customers, invoices):
    """``customers`` companies, ``invoices`` posted invoices spread unevenly among them, 4 lines each."""
    customer, invoice = seed_template(env, "Bench RFM")
    env.execute_query(SQL("SELECT setseed(0.42)"))
    seed_customers(env, customer, customers, "bench_rfm_customer")
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
    moves, lines = seed_invoices(env, invoice, SQL("SELECT * FROM bench_rfm_invoice"), "bench_rfm_move")
    return customers, moves, lines


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
                         FROM (SELECT partner_id, company_id, last_date, frequency, monetary,
                                      row_number() OVER (PARTITION BY partner_id
                                                             ORDER BY monetary DESC, company_id) AS choice
                                 FROM (SELECT am.commercial_partner_id AS partner_id, am.company_id,
                                              max(am.invoice_date) FILTER (WHERE am.move_type = 'out_invoice')
                                                  AS last_date,
                                              count(*) FILTER (WHERE am.move_type = 'out_invoice') AS frequency,
                                              sum(am.amount_untaxed_signed) AS monetary
                                         FROM account_move am
                                         JOIN res_partner customer ON customer.id = am.commercial_partner_id
                                        WHERE am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
                                          AND (customer.company_id IS NULL OR customer.company_id = am.company_id)
                                     GROUP BY am.commercial_partner_id, am.company_id
                                       HAVING count(*) FILTER (WHERE am.move_type = 'out_invoice') > 0
                                      ) per_company
                              ) candidates
                        WHERE choice = 1) s
                WHERE p.id = s.partner_id"""
        )
    )


def ntile5(ranked):
    """``{item: group}``: ``ranked`` split in 5 groups of equal size, the first ones one larger
    when they cannot be equal, numbered 1 (first items) to 5."""
    size, larger = divmod(len(ranked), 5)
    groups, start = {}, 0
    for group in range(1, 6):
        end = start + size + (1 if group <= larger else 0)
        groups.update(dict.fromkeys(ranked[start:end], group))
        start = end
    return groups


def python_rfm(env):
    """``{partner id: (recency, frequency, monetary, segment id)}`` in plain Python from the invoices."""
    totals = env.execute_query(
        SQL(
            """SELECT am.commercial_partner_id, customer.company_id, am.company_id,
                      max(am.invoice_date) FILTER (WHERE am.move_type = 'out_invoice'),
                      count(*) FILTER (WHERE am.move_type = 'out_invoice'),
                      sum(am.amount_untaxed_signed)
                 FROM account_move am
                 JOIN res_partner customer ON customer.id = am.commercial_partner_id
                WHERE am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
             GROUP BY am.commercial_partner_id, customer.company_id, am.company_id"""
        )
    )
    chosen = {}
    for partner_id, own_company, company_id, last_date, frequency, monetary in totals:
        if not frequency or (own_company and own_company != company_id):
            continue
        best = chosen.get(partner_id)
        if best is None or (monetary, -company_id) > (best[3], -best[0]):
            chosen[partner_id] = (company_id, last_date, frequency, monetary)
    by_company = {}
    for partner_id, values in chosen.items():
        by_company.setdefault(values[0], []).append((partner_id, *values[1:]))
    scores = {}
    for rows in by_company.values():
        recency, frequency, monetary = (
            ntile5([row[0] for row in sorted(rows, key=lambda row, i=i: (row[i], row[0]))]) for i in (1, 2, 3)
        )
        for partner_id, *_values in rows:
            scores[partner_id] = (recency[partner_id], frequency[partner_id], monetary[partner_id])
    segments = env.execute_query(
        SQL(
            """SELECT id, recency_min, recency_max, frequency_min, frequency_max, monetary_min, monetary_max,
                      score_min, score_max
                 FROM crm_relationship_rfm_segment WHERE active ORDER BY sequence, id"""
        )
    )
    result = {}
    for partner_id, (r, f, m) in scores.items():
        segment_id = next(
            (
                segment[0]
                for segment in segments
                if segment[1] <= r <= segment[2]
                and segment[3] <= f <= segment[4]
                and segment[5] <= m <= segment[6]
                and segment[7] <= r + f + m <= segment[8]
            ),
            None,
        )
        result[partner_id] = (r, f, m, segment_id)
    return result


def differences(expected, stored, with_segment=True):
    """Customers whose stored (recency, frequency, monetary[, segment]) are not the expected ones."""
    size = 4 if with_segment else 3
    return sorted(
        partner_id
        for partner_id in expected.keys() | stored.keys()
        if (expected.get(partner_id) or ())[:size] != (stored.get(partner_id) or ())[:size]
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


def snapshot(env):
    """``{partner id: (recency, frequency, monetary, segment id)}`` of the scored customers."""
    return {
        partner_id: (r, f, m, segment_id)
        for partner_id, r, f, m, segment_id in env.execute_query(
            SQL(
                "SELECT id, crm_rfm_recency, crm_rfm_frequency, crm_rfm_monetary, crm_segment_id "
                "FROM res_partner WHERE crm_rfm_score IS NOT NULL"
            )
        )
    }


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
        expected = python_rfm(env)
        orm_t, orm_q = measure(env, Segment._recompute_rfm, args.repeat)
        orm_wrong = differences(expected, snapshot(env))
        raw_t, raw_q = measure(env, lambda: raw_rfm(env), args.repeat)
        raw_wrong = differences(expected, snapshot(env), with_segment=False)
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
        print(
            f"scored customers: {len(expected)}, scores or segments differing from the plain Python "
            f"computation: {len(orm_wrong)} (baseline's scores: {len(raw_wrong)})"
        )
        print("customers per segment: " + ", ".join(f"{name} {count}" for name, count in segments))
        print(f"within 2x of the baseline: {'yes' if orm_t <= 2 * raw_t else 'NO'}")
        if orm_wrong or raw_wrong:
            raise SystemExit(
                f"RFM scores differ from the definition: {len(orm_wrong)} customers stored by the add-on "
                f"(e.g. {orm_wrong[:10]}), {len(raw_wrong)} stored by the baseline (e.g. {raw_wrong[:10]})"
            )
        cr.rollback()


if __name__ == "__main__":
    main()
