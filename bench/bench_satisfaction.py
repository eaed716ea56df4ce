#!/usr/bin/env python3
"""Customer satisfaction benchmark for crm_relationship_portal.

Usage (from the repository root, on a database where crm_relationship_portal is installed):

    .venv/bin/python bench/bench_satisfaction.py --db sat_bench

1. Seeds (once, committed) through SQL: 20,000 customers with a contact each,
   200,000 closed calls spread over two years, and 100,000 satisfaction
   requests on them (70% answered: happy, neutral or unhappy) — a larger
   ``--requests`` adds the missing ones.
2. The card's satisfaction figures (last answer, 12-month average, requests,
   answers, response rate) as the card form reads them (``web_read`` with
   those fields), by a non-admin Relationship User with the web client's
   context, on a cold ORM cache: for one customer, and for 80 customers at
   once (a list), against a raw SQL baseline written from the definition
   (not from the add-on): requests of the last 12 months on the customer's
   calls and defect reports of the user's companies, their answers, and the
   latest answer.
3. The dashboard's satisfaction per department and per operator
   (``_read_group`` as a Relationship Manager) against a raw ``GROUP BY``.
4. The *Unhappy customer* rule's matching query.
5. The query plan of the card's grouped read: no sequential scan of the calls
   nor of the ratings.
"""

import argparse
import statistics
import time

import odoo
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL

BENCH_REF = "crm-sat-bench"
FIGURES = [
    "crm_rating_last_text",
    "crm_rating_last_date",
    "crm_rating_last_document",
    "crm_rating_avg",
    "crm_rating_count",
    "crm_rating_request_count",
    "crm_rating_response_rate",
]


def seed(env, customers, calls, requests):
    cr = env.cr
    company = env.company
    cr.execute("SELECT count(*) FROM res_partner WHERE ref = %s AND is_company", [BENCH_REF])
    if cr.fetchone()[0] < customers:
        print(f"Seeding {customers:,} customers with a contact each")
        cr.execute(
            """
            INSERT INTO res_partner (name, complete_name, ref, is_company, active, type, lang, autopost_bills,
                                     create_date, write_date)
            SELECT 'Cliente ' || g, 'Cliente ' || g, %(ref)s, TRUE, TRUE, 'contact', 'it_IT', 'ask', now(), now()
              FROM generate_series(1, %(n)s) g
            """,
            {"ref": BENCH_REF, "n": customers},
        )
        cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE ref = %s AND is_company", [BENCH_REF]
        )
        cr.execute(
            """
            INSERT INTO res_partner (name, complete_name, ref, parent_id, commercial_partner_id, is_company,
                                     active, type, lang, email, autopost_bills, create_date, write_date)
            SELECT 'Referente ' || p.id, p.name || ', Referente ' || p.id, %(ref)s, p.id, p.id, FALSE, TRUE,
                   'contact', 'it_IT', 'referente' || p.id || '@example.it', 'ask', now(), now()
              FROM res_partner p WHERE p.ref = %(ref)s AND p.is_company
            """,
            {"ref": BENCH_REF},
        )
    cr.execute(
        """SELECT count(*) FROM crm_relationship_call c JOIN res_partner p ON p.id = c.partner_id
            WHERE p.ref = %s""",
        [BENCH_REF],
    )
    if cr.fetchone()[0] < calls:
        print(f"Seeding {calls:,} closed calls over two years")
        channel = env.ref("crm_relationship.crm_relationship_call_channel_phone").id
        users = (
            env["res.users"].search([("share", "=", False), ("company_ids", "in", company.ids)], limit=10).ids
        )
        cr.execute(
            """
            WITH customers AS (
                SELECT row_number() OVER (ORDER BY p.id) AS n, p.id, c.id AS contact_id
                  FROM res_partner p JOIN res_partner c ON c.parent_id = p.id
                 WHERE p.ref = %(ref)s AND p.is_company
            )
            INSERT INTO crm_relationship_call (subject, partner_id, contact_id, user_id, company_id, channel_id,
                                               direction, department, state, date_start, duration,
                                               no_followup_reason, create_date, write_date)
            SELECT 'Chiamata ' || g, cu.id, cu.contact_id, (%(users)s::int[])[1 + g %% %(nusers)s],
                   %(company)s, %(channel)s, 'inbound',
                   (ARRAY['call_center', 'sales', 'logistics'])[1 + g %% 3], 'done',
                   now() - (g %% 730) * interval '1 day', 5, 'Risolto', now(), now()
              FROM generate_series(1, %(n)s) g
              JOIN customers cu ON cu.n = 1 + g %% (SELECT count(*) FROM customers)
            """,
            {
                "ref": BENCH_REF,
                "users": users,
                "nusers": len(users),
                "company": company.id,
                "channel": channel,
                "n": calls,
            },
        )
    model_id = env["ir.model"]._get_id("crm.relationship.call")
    cr.execute("SELECT count(*) FROM rating_rating WHERE access_token LIKE %s", [BENCH_REF + "%"])
    done = cr.fetchone()[0]
    if done < requests:
        print(f"Seeding {requests - done:,} satisfaction requests, 70% answered")
        cr.execute(
            """
            WITH calls AS (
                SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, c.contact_id, c.date_start
                  FROM crm_relationship_call c JOIN res_partner p ON p.id = c.partner_id
                 WHERE p.ref = %(ref)s
            )
            INSERT INTO rating_rating (res_model_id, res_model, res_id, partner_id, access_token, consumed,
                                       rating, rating_text, rated_on, is_internal, create_date, write_date)
            SELECT %(model_id)s, 'crm.relationship.call', ca.id, ca.contact_id, %(ref)s || '-' || g,
                   g %% 10 < 7,
                   CASE WHEN g %% 10 < 7 THEN (ARRAY[5, 5, 3, 1])[1 + g %% 4] ELSE 0 END,
                   CASE WHEN g %% 10 < 7 THEN (ARRAY['top', 'top', 'ok', 'ko'])[1 + g %% 4] ELSE 'none' END,
                   CASE WHEN g %% 10 < 7 THEN ca.date_start + interval '1 day' END, FALSE,
                   ca.date_start, ca.date_start
              FROM generate_series(%(start)s, %(n)s) g JOIN calls ca ON ca.n = g
            """,
            {"ref": BENCH_REF, "model_id": model_id, "start": done + 1, "n": requests},
        )
    cr.execute("ANALYZE rating_rating")
    cr.execute("ANALYZE crm_relationship_call")
    cr.execute("ANALYZE res_partner")
    cr.commit()


def baseline(cr, customer_ids, company_ids):
    """The figures from their definition, in raw SQL: ``{customer: (requests, answers, average, last)}``."""
    cr.execute(
        """
        WITH asked AS (
            SELECT c.partner_id, r.consumed, r.rating, r.rated_on, r.create_date
              FROM rating_rating r JOIN crm_relationship_call c ON c.id = r.res_id
             WHERE r.res_model = 'crm.relationship.call' AND c.partner_id = ANY(%(customers)s)
               AND c.company_id = ANY(%(companies)s)
            UNION ALL
            SELECT d.partner_id, r.consumed, r.rating, r.rated_on, r.create_date
              FROM rating_rating r JOIN crm_relationship_defect d ON d.id = r.res_id
             WHERE r.res_model = 'crm.relationship.defect' AND d.partner_id = ANY(%(customers)s)
               AND d.company_id = ANY(%(companies)s)
        )
        SELECT partner_id,
               count(*) FILTER (WHERE create_date >= now() - interval '12 months'),
               count(*) FILTER (WHERE consumed AND create_date >= now() - interval '12 months'),
               avg(rating) FILTER (WHERE consumed AND create_date >= now() - interval '12 months'),
               (array_agg(rating ORDER BY rated_on DESC) FILTER (WHERE consumed))[1]
          FROM asked GROUP BY partner_id
        """,
        {"customers": customer_ids, "companies": company_ids},
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def timed(function, rounds=7):
    """``(best seconds, p95 seconds, queries of one run, result)`` of ``function(env)`` on a cold cache."""
    seconds, result, queries = [], None, 0
    for _round in range(rounds):
        env = function.env
        env.invalidate_all()
        before = env.cr.sql_log_count
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
        queries = env.cr.sql_log_count - before
    p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) > 1 else seconds[0]
    return min(seconds), p95, queries, result


class Measure:
    def __init__(self, env, call):
        self.env = env
        self.call = call

    def __call__(self):
        return self.call()


def bench_card(user_env, customers):
    cr = user_env.cr
    Partner = user_env["res.partner"]
    spec = {key: {} for key in FIGURES}
    companies = user_env.companies.ids
    for label, ids in (("1 customer (the card)", customers[:1]), ("80 customers", customers[:80])):
        records = Partner.browse(ids)
        orm = timed(Measure(user_env, lambda records=records: records.web_read(spec)))
        sql = timed(Measure(user_env, lambda ids=ids: baseline(cr, ids, companies)))
        print(
            f"  {label}: ORM web_read {orm[0] * 1000:.2f} ms (p95 {orm[1] * 1000:.2f} ms, {orm[2]} queries), "
            f"raw SQL {sql[0] * 1000:.2f} ms; ratio {orm[0] / sql[0]:.2f}x"
        )
        expected = sql[3]
        for values in orm[3]:
            requests, answers, average, _last = expected.get(values["id"], (0, 0, None, None))
            got = (values["crm_rating_request_count"], values["crm_rating_count"])
            if got != (requests, answers) or abs(values["crm_rating_avg"] - float(average or 0)) > 1e-6:
                raise SystemExit(
                    f"customer {values['id']}: add-on {got}, {values['crm_rating_avg']}; "
                    f"baseline {(requests, answers)}, {average}"
                )
    print("  figures: the same as the baseline's for every customer")


def bench_dashboard(manager_env):
    cr = manager_env.cr
    Report = manager_env["crm.relationship.satisfaction.report"]
    companies = manager_env.companies.ids
    for groupby in ("department", "user_id"):
        orm = timed(
            Measure(
                manager_env,
                lambda groupby=groupby: Report._read_group(
                    [("date", ">=", "2000-01-01")],
                    [groupby],
                    ["request_count:sum", "answer_count:sum", "rating:avg", "response_rate:avg"],
                ),
            ),
            rounds=5,
        )
        column = "c.department" if groupby == "department" else "c.user_id"
        sql = timed(
            Measure(
                manager_env,
                lambda column=column: cr.execute(
                    SQL(
                        """SELECT %s, count(*), count(*) FILTER (WHERE r.consumed),
                                  avg(r.rating) FILTER (WHERE r.consumed)
                             FROM rating_rating r JOIN crm_relationship_call c ON c.id = r.res_id
                            WHERE r.res_model = 'crm.relationship.call' AND c.company_id = ANY(%s)
                         GROUP BY 1""",
                        SQL(column),
                        companies,
                    )
                ),
            ),
            rounds=5,
        )
        print(
            f"  per {groupby}: ORM _read_group {orm[0] * 1000:.1f} ms ({orm[2]} queries), "
            f"raw SQL {sql[0] * 1000:.1f} ms; ratio {orm[0] / sql[0]:.2f}x"
        )


def bench_rule(env):
    rule = env.ref("crm_relationship_portal.crm_relationship_event_rule_unhappy")
    rule = rule.with_env(env)
    rule.company_id = env.company
    seconds, _p95, queries, rows = timed(
        Measure(env, lambda: env.execute_query(rule._get_matches_query())), rounds=3
    )
    print(
        f"  'Unhappy customer' matches: {len(rows):,} customers in {seconds * 1000:.0f} ms ({queries} queries)"
    )


def explain_card(user_env, customer_id):
    Report = user_env["crm.relationship.satisfaction.report"].sudo()
    statements = []
    cr = user_env.cr
    execute = cr.execute

    def capture(query, params=None, log_exceptions=True):
        statements.append(query if isinstance(query, SQL) else SQL(query, *(params or ())))
        return execute(query, params, log_exceptions)

    user_env.invalidate_all()
    cr.execute = capture
    try:
        user_env["res.partner"].browse(customer_id).web_read({key: {} for key in FIGURES})
    finally:
        del cr.execute
    plans = []
    for statement in statements:
        if Report._table in statement.code or "rating_rating" in statement.code:
            plans.append("\n".join(line for (line,) in user_env.execute_query(SQL("EXPLAIN %s", statement))))
    text = "\n".join(plans)
    for table in ("crm_relationship_call", "rating_rating"):
        verdict = "WARNING: sequential scan" if f"Seq Scan on {table}" in text else "no sequential scan"
        print(f"  {table}: {verdict}")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sat_bench")
    parser.add_argument("--config", default=".state/odoo.conf")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--plan", action="store_true", help="print the query plans of the card")
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "crm.relationship.satisfaction.report" not in env:
            raise SystemExit(f"crm_relationship_portal is not installed in {args.db}")
        company = env.ref("base.user_admin").company_id
        env = env(context={"allowed_company_ids": company.ids})
        seed(env, args.customers, args.calls, args.requests)
        users = {}
        for login, group in (
            ("bench_sat_user", "crm_relationship.crm_relationship_group_user"),
            ("bench_sat_manager", "crm_relationship.crm_relationship_group_manager"),
        ):
            users[login] = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    {
                        "name": login,
                        "login": login,
                        "company_id": company.id,
                        "company_ids": [Command.set(company.ids)],
                        "group_ids": [Command.set([env.ref(group).id])],
                    }
                )
            )
        context = {"lang": "en_US", "tz": "Europe/Rome", "allowed_company_ids": company.ids}
        user_env = odoo.api.Environment(cr, users["bench_sat_user"].id, context)
        manager_env = odoo.api.Environment(cr, users["bench_sat_manager"].id, context)
        cr.execute(
            """SELECT c.partner_id FROM crm_relationship_call c JOIN rating_rating r ON r.res_id = c.id
                WHERE r.res_model = 'crm.relationship.call' AND r.access_token LIKE %s
             GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 80""",
            [BENCH_REF + "%"],
        )
        customers = [row[0] for row in cr.fetchall()]
        cr.execute("SELECT count(*) FROM rating_rating")
        print(
            f"\nSatisfaction among {cr.fetchone()[0]:,} requests, best of 7 runs, cold ORM cache, "
            "as a Relationship User (card) and Manager (dashboard)"
        )
        bench_card(user_env, customers)
        bench_dashboard(manager_env)
        bench_rule(env)
        text = explain_card(user_env, customers[0])
        if args.plan:
            print(text)
        cr.rollback()


if __name__ == "__main__":
    main()
