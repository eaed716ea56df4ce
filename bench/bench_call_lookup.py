#!/usr/bin/env python3
"""Caller lookup and call logging benchmark for crm_relationship.

Usage (from the repository root, on a database where crm_relationship is installed):

    .venv/bin/python bench/bench_call_lookup.py --db calls_bench

1. Seeds (once, committed) 100,000 contacts through SQL: 20,000 Italian companies
   and 80,000 people, with landline and mobile numbers written in mixed formats
   (+39, 0039, spaces, dashes, dots, parentheses); a larger ``--contacts`` adds
   the missing ones to those already seeded.
   Their E.164 numbers (``phone_sanitized``) are stored by Odoo's phone_validation
   (the stored computed field is recomputed through the ORM after the copy).
2. Looks numbers up, each typed in another format than the stored one, as the
   Caller Lookup screen does: a non-admin Relationship User with the web client's
   context (``allowed_company_ids``), on a cold ORM cache. Once through the add-on
   (``res.partner._crm_search_by_phone``) and once through the baseline: the typed
   number turned into E.164 by phonenumbers itself, in Italy (the plain Python below,
   written from the definition, not from the add-on), then a raw indexed exact-match
   query on ``phone_sanitized``, restricted to the active contacts of the user's
   companies.
   Both must find the same contacts, the one whose number was typed among them (the
   benchmark stops otherwise); prints ms per lookup (mean and p95), their ratio,
   queries per lookup and the query plan of the add-on's query.
3. Logs 1,000 calls through the ORM as that user (rolled back) and prints calls per
   second and SQL queries per call, per batch, to show they do not grow with the
   calls logged.
"""

import argparse
import io
import random
import statistics
import time

import phonenumbers

import odoo
from odoo.fields import Command
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


def e164(number, region="IT"):
    """``number`` in E.164 as phonenumbers reads it in ``region``: ``+39 02 8945 1120``,
    ``0039-02-89451120`` and ``(02) 89451120`` are all ``+390289451120``."""
    return phonenumbers.format_number(phonenumbers.parse(number, region), phonenumbers.PhoneNumberFormat.E164)


def random_number(rng, index):
    """A unique Italian landline (0 + area code) or mobile (3xx) number, as three parts."""
    if index % 2:
        area = rng.choice(("02", "06", "011", "051", "081", "055", "041", "010"))
    else:
        area = rng.choice(("335", "347", "333", "339", "320", "348", "366", "380"))
    subscriber = f"{index:07d}"
    return area, subscriber[:3], subscriber[3:]


def retype(phone, rng):
    """``phone`` (an Italian number as seeded) typed in another of the ``FORMATS``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    national = digits[2:] if digits.startswith("39") and phone.startswith("+") else digits
    national = national.removeprefix("0039")
    for _attempt in range(10):
        typed = rng.choice(FORMATS).format(a=national[:3], b=national[3:6], c=national[6:])
        if typed != phone:
            break
    return typed


def seed(env, count, rng):
    """``count`` bench contacts in all: the ones already there are kept, the missing ones added."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE ref = %s", [BENCH_REF])
    existing = cr.fetchone()[0]
    if existing >= count:
        print(f"Seed: {existing:,} bench contacts already present")
        return
    missing = count - existing
    started = time.perf_counter()
    italy = env.ref("base.it")
    env.company.country_id = italy
    Partner = env["res.partner"]
    cr.execute("SELECT nextval('res_partner_id_seq') FROM generate_series(1, %s)", [missing])
    ids = [row[0] for row in cr.fetchall()]
    companies = ids[: max(1, missing // 5)]
    buffer = io.StringIO()
    for offset, partner_id in enumerate(ids):
        # numbered after the contacts already there, so that every number stays unique
        index = existing + offset
        is_company = offset < len(companies)
        parent_id = "" if is_company else str(companies[offset % len(companies)])
        commercial_id = partner_id if is_company else companies[offset % len(companies)]
        area, mid, end = random_number(rng, index)
        phone = rng.choice(FORMATS).format(a=area, b=mid, c=end)
        name = f"Bench {'Company' if is_company else 'Contact'} {index}"
        buffer.write(
            "\t".join(
                [
                    str(partner_id),
                    name,
                    name,
                    phone,
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
        "COPY res_partner (id, name, complete_name, phone, is_company, parent_id, "
        "commercial_partner_id, country_id, company_id, type, active, partner_share, autopost_bills, ref) "
        "FROM STDIN",
        buffer,
    )
    # the E.164 numbers are Odoo's: phone_validation's stored computed field, recomputed through the ORM
    field = Partner._fields["phone_sanitized"]
    for start in range(0, len(ids), 10_000):
        partners = Partner.browse(ids[start : start + 10_000])
        env.add_to_compute(field, partners)
        partners.flush_recordset(["phone_sanitized"])
        env.invalidate_all()
    cr.execute("ANALYZE res_partner")
    cr.commit()
    print(
        f"Seed: {missing:,} contacts inserted through COPY ({count:,} in all), sanitized by "
        f"phone_validation, in {time.perf_counter() - started:.1f} s"
    )


def bench_lookup(env, lookups, rng):
    cr = env.cr
    Partner = env["res.partner"]
    cr.execute(
        "SELECT id, phone FROM res_partner WHERE ref = %s ORDER BY random() LIMIT %s", [BENCH_REF, lookups]
    )
    samples = cr.fetchall()
    queries = []
    for partner_id, phone in samples:
        queries.append((partner_id, retype(phone, rng)))

    # warm-up
    for _partner_id, typed in queries[:50]:
        Partner._crm_search_by_phone(typed)

    companies = env.companies.ids

    def orm_lookup(typed):
        return Partner._crm_search_by_phone(typed).ids

    def sql_lookup(typed):
        cr.execute(
            SQL(
                """SELECT id FROM res_partner
                    WHERE phone_sanitized = %s AND active
                      AND (company_id IS NULL OR company_id = ANY(%s))
                 ORDER BY id""",
                e164(typed),
                companies,
            )
        )
        return [row[0] for row in cr.fetchall()]

    def run(lookup):
        """One round on a cold ORM cache per lookup: (seconds per lookup, queries, results)."""
        seconds, results = [], []
        count = 0
        for _partner_id, typed in queries:
            env.invalidate_all()
            count_before = cr.sql_log_count
            started = time.perf_counter()
            results.append(lookup(typed))
            seconds.append(time.perf_counter() - started)
            count += cr.sql_log_count - count_before
        return seconds, count, results

    # best of 5 alternated rounds, so both sides see the same machine load
    orm_rounds, sql_rounds = [], []
    for _round in range(5):
        orm_rounds.append(run(orm_lookup))
        sql_rounds.append(run(sql_lookup))
    orm_found, sql_found = orm_rounds[0][2], sql_rounds[0][2]
    misses = sum(
        partner_id not in found for (partner_id, _typed), found in zip(queries, orm_found, strict=True)
    )
    differing = [
        (typed, orm_ids, sql_ids)
        for (_partner_id, typed), orm_ids, sql_ids in zip(queries, orm_found, sql_found, strict=True)
        if orm_ids != sql_ids
    ]

    def figures(rounds):
        best = min(rounds, key=lambda result: sum(result[0]))
        samples = [value for result in rounds for value in result[0]]
        p95 = statistics.quantiles(samples, n=20)[-1]
        return sum(best[0]) * 1000 / len(queries), p95 * 1000, best[1] / len(queries)

    orm_ms, orm_p95, orm_queries = figures(orm_rounds)
    sql_ms, sql_p95, sql_queries = figures(sql_rounds)
    print(
        f"\nCaller lookup among {Partner.search_count([]):,} active partners, "
        f"{len(queries):,} lookups, best of 5 rounds, cold ORM cache, as {env.user.login} (Relationship User)"
    )
    print(f"  numbers typed in another format than stored, not found: {misses}")
    print(
        f"  ORM  res.partner._crm_search_by_phone: {orm_ms:.3f} ms/lookup (p95 {orm_p95:.3f} ms), "
        f"{orm_queries:.1f} queries"
    )
    print(
        f"  SQL  indexed exact match (E.164): {sql_ms:.3f} ms/lookup (p95 {sql_p95:.3f} ms), "
        f"{sql_queries:.1f} queries"
    )
    print(f"  ratio ORM / SQL: {orm_ms / sql_ms:.2f}x (target <= 3x)")
    if misses or differing:
        raise SystemExit(
            f"the add-on's lookup missed {misses} typed numbers and found other contacts than the baseline "
            f"for {len(differing)}: "
            + "; ".join(
                f"{typed!r}: add-on {orm_ids}, baseline {sql_ids}"
                for typed, orm_ids, sql_ids in differing[:10]
            )
        )
    print("  contacts found: the same as the baseline's for every number")

    # the statements the lookup sends, captured from the cursor
    statements = []
    execute = cr.execute

    def capture(query, params=None, log_exceptions=True):
        if isinstance(query, SQL):
            statements.append((query.code, tuple(query.params)))
        else:
            statements.append((query, tuple(params or ())))
        return execute(query, params, log_exceptions)

    env.invalidate_all()
    cr.execute = capture
    try:
        Partner._crm_search_by_phone(queries[0][1])
    finally:
        del cr.execute
    typed_key = e164(queries[0][1])
    lookup_sql = next(
        SQL(code, *params)
        for code, params in statements
        if any(param == typed_key or (isinstance(param, tuple) and typed_key in param) for param in params)
    )
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


def relationship_user(env, company):
    """A non-admin Relationship User working in ``company`` only (rolled back with the measures)."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Relationship User",
                "login": "bench_call_relationship_user",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([env.ref("crm_relationship.crm_relationship_group_user").id])],
                "tz": "Europe/Rome",
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="calls_bench")
    parser.add_argument("--config", default=".state/odoo.conf")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=1_000, help="calls to log; 0 measures the lookup only")
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    rng = random.Random(42)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "crm.relationship.call" not in env:
            raise SystemExit(f"crm_relationship is not installed in {args.db}")
        # seeded in the company the administrator works in, where the measured user works too
        company = env.ref("base.user_admin").company_id
        seed(env(context={"allowed_company_ids": company.ids}), args.contacts, rng)
        user = relationship_user(env, company)
        context = {"lang": "en_US", "tz": "Europe/Rome", "uid": user.id, "allowed_company_ids": company.ids}
        user_env = odoo.api.Environment(cr, user.id, context)
        bench_lookup(user_env, args.lookups, rng)
        if args.calls:
            bench_logging(user_env, args.calls, rng)
        cr.rollback()


if __name__ == "__main__":
    main()
