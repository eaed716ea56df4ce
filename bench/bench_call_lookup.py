#!/usr/bin/env python3
"""Caller lookup and call logging benchmark for crm_relationship.

Usage (from the repository root, on a database where crm_relationship is installed):

    .venv/bin/python bench/bench_call_lookup.py --db calls_bench

1. Seeds (once, committed) 100,000 contacts through SQL: 20,000 Italian companies
   and 80,000 people, with landline and mobile numbers written in mixed formats
   (+39, 0039, spaces, dashes, dots, parentheses).
2. Looks numbers up, each typed in another format than the stored one, through the
   ORM (``res.partner._crm_search_by_phone``) and through a raw indexed exact-match
   query on the normalized column; prints ms per lookup, their ratio, queries per
   lookup and the query plan of the ORM query.
3. Logs 1,000 calls through the ORM (rolled back) and prints calls per second and
   SQL queries per call, per batch, to show they do not grow with the calls logged.
"""

import argparse
import io
import random
import time

import odoo
from odoo.modules.registry import Registry
from odoo.tools import SQL

BENCH_REF = "crm-bench"
FORMATS = (
    "+39 {a} {b} {c}",
    "0039 {a} {b} {c}",
    "{a} {b} {c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "({a}) {b}{c}",
    "+39-{a}-{b}{c}",
    "{a}{b}{c}",
)


def random_number(rng, index):
    """A unique Italian landline (0 + area code) or mobile (3xx) number, as three parts."""
    if index % 2:
        area = rng.choice(("02", "06", "011", "051", "081", "055", "041", "010"))
    else:
        area = rng.choice(("335", "347", "333", "339", "320", "348", "366", "380"))
    subscriber = f"{index:07d}"
    return area, subscriber[:3], subscriber[3:]


def seed(env, count, rng):
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE ref = %s", [BENCH_REF])
    existing = cr.fetchone()[0]
    if existing >= count:
        print(f"Seed: {existing:,} bench contacts already present")
        return
    started = time.perf_counter()
    italy = env.ref("base.it")
    env.company.country_id = italy
    Partner = env["res.partner"]
    cr.execute("SELECT nextval('res_partner_id_seq') FROM generate_series(1, %s)", [count])
    ids = [row[0] for row in cr.fetchall()]
    companies = ids[: count // 5]
    buffer = io.StringIO()
    for index, partner_id in enumerate(ids):
        is_company = index < len(companies)
        parent_id = "" if is_company else str(companies[index % len(companies)])
        commercial_id = partner_id if is_company else companies[index % len(companies)]
        area, mid, end = random_number(rng, index)
        phone = rng.choice(FORMATS).format(a=area, b=mid, c=end)
        normalized = Partner._crm_normalize_phone(phone, italy.phone_code)
        name = f"Bench {'Company' if is_company else 'Contact'} {index}"
        buffer.write(
            "\t".join(
                [
                    str(partner_id),
                    name,
                    name,
                    phone,
                    normalized,
                    "t" if is_company else "f",
                    parent_id or "\\N",
                    str(commercial_id),
                    str(italy.id),
                    str(env.company.id),
                    "contact",
                    "t",
                    "t",
                    "ask",
                    BENCH_REF,
                ]
            )
            + "\n"
        )
    buffer.seek(0)
    cr.copy_expert(
        "COPY res_partner (id, name, complete_name, phone, crm_phone_normalized, is_company, parent_id, "
        "commercial_partner_id, country_id, company_id, type, active, partner_share, autopost_bills, ref) "
        "FROM STDIN",
        buffer,
    )
    cr.execute("ANALYZE res_partner")
    cr.commit()
    print(f"Seed: {count:,} contacts inserted through COPY in {time.perf_counter() - started:.1f} s")


def bench_lookup(env, lookups, rng):
    cr = env.cr
    Partner = env["res.partner"]
    cr.execute(
        "SELECT id, phone FROM res_partner WHERE ref = %s ORDER BY random() LIMIT %s", [BENCH_REF, lookups]
    )
    samples = cr.fetchall()
    queries = []
    for partner_id, phone in samples:
        digits = "".join(ch for ch in phone if ch.isdigit())
        national = digits[2:] if digits.startswith("39") and phone.startswith("+") else digits
        national = national.removeprefix("0039")
        typed = rng.choice(FORMATS).format(a=national[:3], b=national[3:6], c=national[6:])
        queries.append((partner_id, typed))

    phone_code = env.company.country_id.phone_code
    # warm-up
    for _partner_id, typed in queries[:50]:
        Partner._crm_search_by_phone(typed)

    normalized = [Partner._crm_normalize_phone(typed, phone_code) for _id, typed in queries]

    def run_orm():
        misses = 0
        for partner_id, typed in queries:
            if partner_id not in Partner._crm_search_by_phone(typed).ids:
                misses += 1
        return misses

    def run_sql():
        for value in normalized:
            cr.execute(SQL("SELECT id FROM res_partner WHERE crm_phone_normalized = %s", value))
            cr.fetchall()

    # best of 5 alternated rounds, so both sides see the same machine load
    orm_seconds = sql_seconds = float("inf")
    for _round in range(5):
        count_before = cr.sql_log_count
        started = time.perf_counter()
        misses = run_orm()
        orm_seconds = min(orm_seconds, time.perf_counter() - started)
        orm_queries = cr.sql_log_count - count_before
        count_before = cr.sql_log_count
        started = time.perf_counter()
        run_sql()
        sql_seconds = min(sql_seconds, time.perf_counter() - started)
        sql_queries = cr.sql_log_count - count_before

    orm_ms = orm_seconds * 1000 / len(queries)
    sql_ms = sql_seconds * 1000 / len(queries)
    print(
        f"\nCaller lookup among {Partner.search_count([]):,} active partners, "
        f"{len(queries):,} lookups, best of 5 rounds"
    )
    print(f"  numbers typed in another format than stored, not found: {misses}")
    print(
        f"  ORM  res.partner._crm_search_by_phone: {orm_ms:.3f} ms/lookup, {orm_queries / len(queries):.1f} queries"
    )
    print(
        f"  SQL  indexed exact match (normalized): {sql_ms:.3f} ms/lookup, {sql_queries / len(queries):.1f} queries"
    )
    print(f"  ratio ORM / SQL: {orm_ms / sql_ms:.2f}x (target <= 3x)")

    # the statements the lookup sends, captured from the cursor
    statements = []
    execute = cr.execute

    def capture(query, params=None, log_exceptions=True):
        statements.append((query, params))
        return execute(query, params, log_exceptions)

    cr.execute = capture
    try:
        Partner._crm_search_by_phone(queries[0][1])
    finally:
        del cr.execute
    lookup_sql = next(SQL(q, *(p or ())) for q, p in statements if "crm_phone_normalized" in str(q))
    plan = env.execute_query(SQL("EXPLAIN ANALYZE %s", lookup_sql))
    print(f"  statements per lookup: {len(statements)}")
    print("  query plan of the lookup:")
    for (line,) in plan:
        print(f"    {line}")
    if "Seq Scan on res_partner" in "\n".join(line for (line,) in plan):
        print("  WARNING: sequential scan of res_partner")


def bench_logging(env, calls, rng):
    cr = env.cr
    Call = env["crm.relationship.call"]
    cr.execute("SELECT id FROM res_partner WHERE ref = %s AND parent_id IS NOT NULL LIMIT 5000", [BENCH_REF])
    contacts = [row[0] for row in cr.fetchall()]
    channels = env["crm.relationship.call.channel"].search([]).ids
    batch = 250
    print(f"\nLogging {calls:,} calls through the ORM (create + flush, one call at a time)")
    total_seconds = 0.0
    total_queries = 0
    for start in range(0, calls, batch):
        count_before = cr.sql_log_count
        started = time.perf_counter()
        for _i in range(batch):
            Call.create(
                {
                    "contact_id": rng.choice(contacts),
                    "subject": "Richiesta informazioni",
                    "channel_id": rng.choice(channels),
                    "direction": rng.choice(("inbound", "outbound")),
                    "duration": rng.randint(1, 30),
                }
            )
            env.flush_all()
        seconds = time.perf_counter() - started
        queries = cr.sql_log_count - count_before
        total_seconds += seconds
        total_queries += queries
        print(
            f"  calls {start + 1:>5}-{start + batch:>5}: {batch / seconds:7.1f} calls/s, "
            f"{queries / batch:.1f} queries/call"
        )
    print(f"  total: {calls / total_seconds:.1f} calls/s, {total_queries / calls:.1f} queries/call")
    cr.rollback()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="calls_bench")
    parser.add_argument("--config", default=".state/odoo.conf")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=1_000)
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    rng = random.Random(42)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "crm.relationship.call" not in env:
            raise SystemExit(f"crm_relationship is not installed in {args.db}")
        admin = env.ref("base.user_admin")
        # seeded in the company the measured user (the administrator) works in
        seed(env(context={"allowed_company_ids": admin.company_id.ids}), args.contacts, rng)
        user_env = odoo.api.Environment(cr, admin.id, {"lang": "en_US", "tz": "Europe/Rome"})
        bench_lookup(user_env, args.lookups, rng)
        bench_logging(user_env, args.calls, rng)
        cr.rollback()


if __name__ == "__main__":
    main()
