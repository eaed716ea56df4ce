"""Mailing audience benchmark: the send guard's count and the control group's draw.

Seeds 100,000 customers in one segment (e-mail addresses set, 1% of them
blacklisted, 2% without e-mail), bulk-copied in SQL from one customer made
through the ORM (``bench_rfm.clone``), then reports, for a mailing to the
segment, as a marketing user who also works with the customers:

- the audience count of the send guard (``mailing.mailing._crm_count_audience``),
  the guard's whole check (``_crm_get_audience_guard_trips``) and Odoo's own
  counter ``total`` (``_compute_total``): wall time and SQL queries, and the
  ratio to a raw SQL ``SELECT count(*)`` written from the definition of the
  audience: the active partners of the segment the user may read (no company
  or one of the user's companies). The count of the customers who can
  actually be mailed (e-mail set, not blacklisted) is timed beside it;
- the snapshot of the audience at the first send with a 10% control group
  (``_crm_snapshot_audience``: one ``INSERT ... SELECT``), checked against
  the definition (round(n × 10%) customers held back), and the remaining
  recipients without the control group (``_get_remaining_recipients``).

Usage (the database must have crm_relationship_mass_mailing installed)::

    .venv/bin/python bench/bench_mailing_audience.py --db DB [--config .state/odoo.conf] [--customers N]

The seeding is rolled back at the end.
"""

import argparse
import os
import statistics
import sys
import time

import odoo
from odoo.fields import Command
from odoo.tools import SQL

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_rfm import clone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seed(env, customers):
    """``customers`` companies of a new segment, 1% blacklisted and 2% without e-mail."""
    segment = env["crm.relationship.rfm.segment"].create({"name": "Bench Mailing Segment", "sequence": 0})
    customer = env["res.partner"].create(
        {"name": "Bench mailing customer", "is_company": True, "email": "bench.mailing@example.com"}
    )
    env.flush_all()
    clone(
        env,
        "res_partner",
        customer.id,
        SQL("SELECT g FROM generate_series(1, %s) g", customers),
        {
            "name": "'Bench mailing customer ' || s.g",
            "complete_name": "'Bench mailing customer ' || s.g",
            "email": "CASE WHEN s.g %% 50 = 0 THEN NULL ELSE 'bench.' || s.g || '@example.com' END",
            "email_normalized": "CASE WHEN s.g %% 50 = 0 THEN NULL ELSE 'bench.' || s.g || '@example.com' END",
            "crm_segment_id": str(segment.id),
        },
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id WHERE crm_segment_id = %s",
            segment.id,
        )
    )
    env.execute_query(
        SQL(
            """INSERT INTO mail_blacklist (email, active, create_date, write_date)
               SELECT email_normalized, TRUE, now(), now() FROM res_partner
                WHERE crm_segment_id = %s AND id %% 100 = 7 AND email_normalized IS NOT NULL
               ON CONFLICT DO NOTHING""",
            segment.id,
        )
    )
    env.execute_query(SQL("ANALYZE res_partner; ANALYZE mail_blacklist"))
    env.invalidate_all()
    return segment


def measure(env, func, repeat):
    """Return (median seconds, max queries, last result) of ``func``."""
    times, queries, result = [], [], None
    for _i in range(repeat):
        env.invalidate_all()
        start_count, start = env.cr.sql_log_count, time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
        queries.append(env.cr.sql_log_count - start_count)
    return statistics.median(times), max(queries), result


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        start = time.perf_counter()
        segment = seed(env, args.customers)
        print(f"seeded {args.customers} customers in one segment in {time.perf_counter() - start:.1f}s")
        company = env.company
        user = env["res.users"].create(
            {
                "name": "Bench Marketing",
                "login": "bench_mailing_marketing",
                "email": "bench.marketing@example.com",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [
                    Command.link(env.ref("mass_mailing.group_mass_mailing_user").id),
                    Command.link(env.ref("crm_relationship.crm_relationship_group_user").id),
                ],
            }
        )
        user_env = env(user=user, context={"allowed_company_ids": company.ids})
        mailing = user_env["mailing.mailing"].create(
            {
                "subject": "Bench mailing",
                "body_html": "<p>Bench</p>",
                "mailing_model_id": env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("crm_segment_id", "=", segment.id)]),
                "crm_control_share": 10,
            }
        )
        env.flush_all()

        def raw_count():
            return env.execute_query(
                SQL(
                    """SELECT count(*) FROM res_partner
                        WHERE crm_segment_id = %s AND active AND (company_id IS NULL OR company_id IN %s)""",
                    segment.id,
                    tuple(company.ids),
                )
            )[0][0]

        def raw_mailable():
            return env.execute_query(
                SQL(
                    """SELECT count(*) FROM res_partner p
                        WHERE p.crm_segment_id = %s AND p.active
                          AND (p.company_id IS NULL OR p.company_id IN %s)
                          AND p.email_normalized IS NOT NULL
                          AND NOT EXISTS (SELECT 1 FROM mail_blacklist b
                                           WHERE b.email = p.email_normalized AND b.active)""",
                    segment.id,
                    tuple(company.ids),
                )
            )[0][0]

        def total():
            mailing.invalidate_recordset(["total"])
            return mailing.total

        rows = []
        raw_t, raw_q, raw_n = measure(env, raw_count, args.repeat)
        mail_t, mail_q, mail_n = measure(env, raw_mailable, args.repeat)
        for label, func in (
            ("guard audience count (_crm_count_audience)", lambda: mailing._crm_count_audience()[mailing.id]),
            ("guard check (_crm_get_audience_guard_trips)", mailing._crm_get_audience_guard_trips),
            ("Odoo's counter total (_compute_total)", total),
        ):
            t, q, result = measure(user_env, func, args.repeat)
            rows.append((label, t, q, result))
        print(f"{'measure (as a marketing user)':46} {'ms':>8} {'queries':>8} {'result':>10} {'ratio':>6}")
        for label, t, q, result in rows:
            print(f"{label:46} {t * 1000:8.1f} {q:8d} {result!s:>10} {t / raw_t:6.2f}")
        print(f"{'raw SQL count(*) of the audience':46} {raw_t * 1000:8.1f} {raw_q:8d} {raw_n:>10}")
        print(
            f"{'raw SQL count(*) of the mailable customers':46} {mail_t * 1000:8.1f} {mail_q:8d} {mail_n:>10}"
        )
        counts_ok = all(result == raw_n for label, __, __, result in rows if "check" not in label)
        within = all(t <= 2 * raw_t for __, t, __, __ in rows)
        print(
            f"same figure as the baseline: {'yes' if counts_ok else 'NO'}; within 2x: {'yes' if within else 'NO'}"
        )

        # The control group: snapshot of the audience at the first send.
        start_count, start = env.cr.sql_log_count, time.perf_counter()
        mailing._crm_snapshot_audience()
        env.flush_all()
        snap_t, snap_q = time.perf_counter() - start, env.cr.sql_log_count - start_count
        stored, held = env.execute_query(
            SQL(
                "SELECT count(*), count(*) FILTER (WHERE held_back) FROM crm_relationship_mailing_audience "
                "WHERE mailing_id = %s",
                mailing.id,
            )
        )[0]
        expected_held = int(raw_n * 10 / 100 + 0.5)
        start_count, start = env.cr.sql_log_count, time.perf_counter()
        remaining = mailing._get_remaining_recipients()
        rem_t, rem_q = time.perf_counter() - start, env.cr.sql_log_count - start_count
        print(
            f"snapshot of {stored} customers, 10% control group: {snap_t * 1000:.1f} ms, {snap_q} queries, "
            f"{held} held back (definition: {expected_held})"
        )
        print(
            f"remaining recipients without the control group: {len(remaining)} in {rem_t * 1000:.1f} ms, "
            f"{rem_q} queries"
        )
        if not counts_ok or held != expected_held or len(remaining) != raw_n - held:
            raise SystemExit("figures differ from the definition")
        cr.rollback()


if __name__ == "__main__":
    main()
