"""Customer value benchmark: fit and score 100,000 customers.

Seeds 100,000 customers whose purchases follow the BG/NBD model with known
parameters (simulated here with numpy, independently of the add-on: each
customer buys at a Poisson rate drawn from a gamma distribution and may leave
after each purchase with a probability drawn from a beta distribution) and
whose spend per purchase follows the Gamma-Gamma model; every purchase is a
posted invoice of 4 lines, about 1,000,000 invoice lines in all. Then it
reports, as superuser:

* the extraction of the customers' histories (the add-on's one grouped query)
  against a raw SQL baseline written here from the definitions (a purchase is
  a day with a posted customer invoice; x = purchase days - 1, t_x and T in
  weeks from the first purchase, a first purchase today counting as one day),
  and checks both give the same summaries;
* fitting both models and scoring every customer (``_fit_all``: extraction,
  the two fits, the check on the last 90 days, the scores), its SQL queries,
  and storing the predictions (``_store_predictions`` + ``_finish``);
* how close the fitted parameters are to the simulated ones.

Usage (the database must have crm_relationship installed)::

    .venv/bin/python bench/bench_customer_value.py --db DB [--config .state/odoo.conf] [--customers N]

Everything is rolled back at the end.
"""

import argparse
import os
import time
from datetime import timedelta

import numpy as np
from bench_rfm import seed_customers, seed_invoices, seed_template

import odoo
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Simulated parameters, time in weeks: rate ~ Gamma(r, alpha), drop-out ~ Beta(a, b); spend ~ Gamma-Gamma(p, q, g).
TRUE_BGNBD = {"r": 0.6, "alpha": 15.0, "a": 0.7, "b": 3.0}
TRUE_GG = {"p": 4.0, "q": 5.0, "gamma": 300.0}
HISTORY_WEEKS = 156


def simulate(customers, rng):
    """``[(customer index, days ago, amount)]`` of every purchase, and the number of customers."""
    r, alpha, a, b = (TRUE_BGNBD[k] for k in ("r", "alpha", "a", "b"))
    rate = rng.gamma(r, 1.0 / alpha, customers)
    dropout = rng.beta(a, b, customers)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], customers)
    start = rng.uniform(0, HISTORY_WEEKS, customers)  # weeks ago of the first purchase
    rows = []
    for index in range(customers):
        # the first purchase, then repeat purchases until the end or the drop-out after one of them
        times = [start[index]]
        t = 0.0
        while True:
            t += rng.exponential(1.0 / rate[index])
            if t > start[index]:
                break
            times.append(start[index] - t)
            if rng.random() < dropout[index]:
                break
        for weeks_ago in times:
            amount = rng.gamma(TRUE_GG["p"], 1.0 / nu[index])
            rows.append((index + 1, round(float(weeks_ago) * 7), round(float(amount), 2)))
    return rows


def seed(env, customers):
    """Create the customers and their invoices; return (customers, invoices, invoice lines)."""
    customer, invoice = seed_template(env, "Bench CLV")
    seed_customers(env, customer, customers, "bench_clv_customer")
    purchases = simulate(customers, np.random.default_rng(42))
    index, days, amounts = zip(*purchases, strict=True)
    env.execute_query(
        SQL(
            """CREATE TEMP TABLE bench_clv_invoice AS
               SELECT row_number() OVER () AS g, c.id AS partner_id, current_date - s.days AS day,
                      s.amount::numeric AS amount
                 FROM unnest(%s::int[], %s::int[], %s::float8[]) s(n, days, amount)
                 JOIN bench_clv_customer c ON c.n = s.n""",
            list(index),
            list(days),
            list(amounts),
        )
    )
    moves, lines = seed_invoices(env, invoice, SQL("SELECT * FROM bench_clv_invoice"), "bench_clv_move")
    return customers, moves, lines


def raw_summaries(env):
    """``{partner id: (x, t_x, T)}`` (weeks) of the seeded customers, from the definitions."""
    rows = env.execute_query(
        SQL(
            """SELECT partner_id, count(*) - 1, (max(day) - min(day)) / 7.0,
                      GREATEST(current_date - min(day), 1) / 7.0
                 FROM (SELECT DISTINCT m.commercial_partner_id AS partner_id, m.invoice_date AS day
                         FROM account_move m
                        WHERE m.state = 'posted' AND m.move_type = 'out_invoice'
                          AND m.commercial_partner_id IN (SELECT id FROM bench_clv_customer)) d
             GROUP BY partner_id"""
        )
    )
    return {pid: (float(x), float(t_x), float(T)) for pid, x, t_x, T in rows}


def timed(env, func):
    count, start = env.cr.sql_log_count, time.perf_counter()
    result = func()
    return result, time.perf_counter() - start, env.cr.sql_log_count - count


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--customers", type=int, default=100000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Model = env["crm.relationship.value.model"]
        start = time.perf_counter()
        customers, invoices, lines = seed(env, args.customers)
        company = env.company
        print(
            f"seeded {customers} customers, {invoices} posted invoices, {lines} invoice lines "
            f"in {time.perf_counter() - start:.1f}s"
        )
        env.flush_all()
        today = odoo.fields.Date.context_today(Model)
        query = Model._get_history_query(today, today - timedelta(days=90))
        history, extract_t, extract_q = timed(env, lambda: env.execute_query(query))
        baseline, raw_t, _raw_q = timed(env, lambda: raw_summaries(env))
        seeded = {row for row in history if row[0] in baseline}
        data = Model._history_arrays(sorted(seeded))
        mismatches = [
            pid
            for pid, x, t_x, T in zip(data["partner_ids"], data["x"], data["t_x"], data["T"], strict=True)
            if np.abs(np.array((x, t_x, T)) - np.array(baseline[int(pid)])).max() > 1e-9
        ]
        (models, rows), fit_t, fit_q = timed(env, Model._fit_all)
        _count, store_t, store_q = timed(env, lambda: (models._store_predictions(rows), models._finish(rows)))
        model = models.filtered(lambda m: m.company_id == company)
        print(f"{'measure':58} {'s':>7} {'queries':>8}")
        print(f"{'history of every customer, one grouped query':58} {extract_t:7.2f} {extract_q:8d}")
        print(f"{'  raw SQL baseline (x, t_x, T only)':58} {raw_t:7.2f}   ratio {extract_t / raw_t:.2f}")
        print(f"{'fit + score (extraction, 2 fits, 90-day check, scores)':58} {fit_t:7.2f} {fit_q:8d}")
        print(f"{'store the predictions on the customers':58} {store_t:7.2f} {store_q:8d}")
        print(f"customers scored: {len(rows)}; summaries differing from the baseline: {len(mismatches)}")
        fitted = {
            "r": model.bgnbd_r,
            "alpha": model.bgnbd_alpha,
            "a": model.bgnbd_a,
            "b": model.bgnbd_b,
            "p": model.gg_p,
            "q": model.gg_q,
            "gamma": model.gg_gamma,
        }
        truth = {**TRUE_BGNBD, **TRUE_GG}
        print(
            "parameters (simulated -> fitted): "
            + ", ".join(
                f"{k} {truth[k]:g} -> {fitted[k]:.3f} ({fitted[k] / truth[k] - 1:+.1%})" for k in truth
            )
        )
        print(
            f"90-day check: {model.holdout_customer_count} customers, actual {model.holdout_actual:.0f}, "
            f"predicted {model.holdout_predicted:.0f}, naive {model.holdout_naive:.0f}; error per customer "
            f"model {model.holdout_error:.3f} vs naive {model.holdout_naive_error:.3f}"
        )
        print(f"fit + score within 10 s: {'yes' if fit_t <= 10 else 'NO'}")
        cr.rollback()
        if mismatches:
            raise SystemExit(
                f"{len(mismatches)} customer summaries differ from the baseline: {mismatches[:10]}"
            )


if __name__ == "__main__":
    main()
