"""Customer equipment benchmark.

1. Lookup by exact serial number among ``--rows`` equipment records (default
   1,000,000), as the Serial Lookup screen does it: a non-admin Relationship
   User with the web client's context (``allowed_company_ids``), on a cold ORM
   cache. The add-on's serial lookup and a generic ORM search (record rules
   included) against a raw indexed SQL baseline written from the definition
   (active equipment of the user's companies with exactly that serial number),
   with the query plan. All three must find the same equipment for every serial
   (the benchmark stops otherwise).
2. Validation of one delivery of ``--units`` serial-tracked units (default 500):
   time and SQL queries, and queries of the registration alone for 10% of the
   units and for all of them (must not grow with the number of units). The
   registered equipment is checked against the delivered serial numbers, read
   from the move lines in SQL: one unit per serial, at the customer.

Usage: .venv/bin/python bench/bench_equipment_lookup.py --db equip_bench
The database must have crm_relationship installed; seeding is done once, with
SQL, and kept; the measured user and the delivery part are rolled back.
"""

import argparse
import os
import random
import statistics
import time

import odoo
from odoo import api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "BENCH-"


def ms(seconds):
    return f"{seconds * 1000:.3f} ms"


def seed(env, rows):
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_relationship_equipment WHERE serial_number LIKE %s", [PREFIX + "%"])
    existing = cr.fetchone()[0]
    if existing >= rows:
        print(f"Seed: {existing:,} bench equipment rows already present")
        return
    start = time.perf_counter()
    product = env["product.product"].create(
        {"name": "Bench boiler", "is_storable": True, "tracking": "serial", "crm_register_equipment": True}
    )
    customer = env["res.partner"].create({"name": "Bench customer", "is_company": True})
    company = env.company
    env.flush_all()
    env.execute_query(
        SQL(
            """INSERT INTO stock_lot (name, product_id, company_id, create_uid, write_uid, create_date, write_date)
               SELECT %(prefix)s || lpad(g::text, 8, '0'), %(product)s, %(company)s, 1, 1, now(), now()
                 FROM generate_series(%(first)s, %(last)s) g""",
            prefix=PREFIX,
            product=product.id,
            company=company.id,
            first=existing + 1,
            last=rows,
        )
    )
    env.execute_query(
        SQL(
            """INSERT INTO crm_relationship_equipment
                   (name, partner_id, site_id, product_id, product_tracking, lot_id, serial_number, quantity,
                    state, company_id, active, delivery_date, warranty_end_date,
                    create_uid, write_uid, create_date, write_date)
               SELECT 'Bench boiler (' || lot.name || ')', %(customer)s, %(customer)s, lot.product_id, 'serial',
                      lot.id, lot.name, 1, 'in_service', lot.company_id, true,
                      CURRENT_DATE - (lot.id %% 1500), CURRENT_DATE - (lot.id %% 1500) + 730,
                      1, 1, now(), now()
                 FROM stock_lot lot
                WHERE lot.product_id = %(product)s""",
            customer=customer.id,
            product=product.id,
        )
    )
    cr.commit()
    cr.execute("ANALYZE stock_lot")
    cr.execute("ANALYZE crm_relationship_equipment")
    cr.commit()
    print(
        f"Seed: {rows - existing:,} equipment rows and lots inserted in {time.perf_counter() - start:.1f} s"
    )


def bench_lookup(env, samples):
    """Lookups as ``env``'s user, each on a cold ORM cache."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_relationship_equipment")
    total = cr.fetchone()[0]
    cr.execute(
        "SELECT serial_number FROM crm_relationship_equipment WHERE serial_number LIKE %s ORDER BY random() LIMIT %s",
        [PREFIX + "%", samples],
    )
    serials = [row[0] for row in cr.fetchall()]
    Equipment = env["crm.relationship.equipment"]
    companies = env.companies.ids

    def orm_search(serial):
        return Equipment.search([("serial_number", "=", serial)]).ids

    def serial_lookup(serial):
        return Equipment._crm_lookup_serial(serial).ids

    def raw_sql(serial):
        """The baseline: active equipment of the user's companies with exactly this serial number."""
        cr.execute(
            SQL(
                """SELECT id FROM crm_relationship_equipment
                    WHERE serial_number = %s AND active AND company_id = ANY(%s)
                 ORDER BY id""",
                serial,
                companies,
            )
        )
        return [row[0] for row in cr.fetchall()]

    def run(lookup):
        """(seconds, queries, sorted ids found) per serial, each on a cold ORM cache."""
        lookup(serials[0])  # warm-up: registry caches, prepared plans
        times, queries, found = [], [], []
        for serial in serials:
            env.invalidate_all()
            count_before = cr.sql_log_count
            start = time.perf_counter()
            ids = lookup(serial)
            times.append(time.perf_counter() - start)
            queries.append(cr.sql_log_count - count_before)
            found.append(sorted(ids))
        return times, queries, found

    orm_times, orm_queries, orm_found = run(orm_search)
    sql_times, _sql_queries, sql_found = run(raw_sql)
    lookup_times, lookup_queries, lookup_found = run(serial_lookup)
    differing = [
        (serial, orm_ids, lookup_ids, sql_ids)
        for serial, orm_ids, lookup_ids, sql_ids in zip(
            serials, orm_found, lookup_found, sql_found, strict=True
        )
        if not sql_ids or orm_ids != sql_ids or lookup_ids != sql_ids
    ]

    orm_ms, sql_ms = statistics.median(orm_times), statistics.median(sql_times)
    lookup_ms = statistics.median(lookup_times)
    print(
        f"\n== Lookup by exact serial number ({total:,} equipment rows, {samples} random serials, "
        f"as {env.user.login} (Relationship User), cold ORM cache) =="
    )
    print(
        f"ORM search (record rules): median {ms(orm_ms)}, mean {ms(statistics.mean(orm_times))}, "
        f"{max(orm_queries)} SQL query per search"
    )
    print(f"Raw indexed SQL:           median {ms(sql_ms)}, mean {ms(statistics.mean(sql_times))}")
    print(
        f"ORM serial lookup (_crm_lookup_serial, record rules): median {ms(lookup_ms)}, "
        f"{max(lookup_queries)} SQL query per lookup"
    )
    print(f"Ratio ORM search() / raw SQL (median): {orm_ms / sql_ms:.2f}x")
    print(f"Ratio serial lookup / raw SQL (median): {lookup_ms / sql_ms:.2f}x (target <= 2x)")
    if differing:
        raise SystemExit(
            f"{len(differing)} serials found differently from the baseline (serial: search, lookup, baseline): "
            + "; ".join(f"{serial}: {o}, {lk}, {sq}" for serial, o, lk, sq in differing[:10])
        )
    print(f"Equipment found: the same as the baseline's for all {len(serials)} serials")

    query = Equipment._search([("serial_number", "=", serials[0])])
    cr.execute(SQL("EXPLAIN ANALYZE %s", query.select()))
    print("\nEXPLAIN ANALYZE of the ORM query:")
    for (line,) in cr.fetchall():
        print("   ", line)
    cr.execute(
        SQL(
            "EXPLAIN ANALYZE SELECT id FROM crm_relationship_equipment WHERE serial_number ILIKE %s",
            "%0004242%",
        )
    )
    print("EXPLAIN ANALYZE of a partial serial search (ILIKE '%0004242%'):")
    for (line,) in cr.fetchall():
        print("   ", line)


def bench_delivery(env, units):
    cr = env.cr
    company = env.company
    product = env["product.product"].create(
        {
            "name": "Bench delivery boiler",
            "is_storable": True,
            "tracking": "serial",
            "crm_register_equipment": True,
        }
    )
    customer = env["res.partner"].create({"name": "Bench delivery customer", "is_company": True})
    stock = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
    lots = env["stock.lot"].create(
        [{"name": f"DLV-{i:05d}-{random.randint(0, 10**9)}", "product_id": product.id} for i in range(units)]
    )
    for lot in lots:
        env["stock.quant"]._update_available_quantity(product, stock, 1, lot_id=lot)
    order = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "order_line": [odoo.fields.Command.create({"product_id": product.id, "product_uom_qty": units})],
        }
    )
    order.action_confirm()
    picking = order.picking_ids
    picking.action_assign()
    picking.move_ids.picked = True
    env.flush_all()

    count_before = cr.sql_log_count
    start = time.perf_counter()
    picking.with_context(skip_sms=True).button_validate()
    env.flush_all()
    elapsed = time.perf_counter() - start
    queries = cr.sql_log_count - count_before
    equipment = env["crm.relationship.equipment"].search([("picking_id", "=", picking.id)])
    check_registered(env, picking, customer, units)
    print(f"\n== Validation of one delivery of {units} serial-tracked units ==")
    print(
        f"button_validate: {elapsed:.2f} s, {queries} SQL queries (whole validation, core included), "
        f"{len(equipment)} equipment created"
    )

    Equipment = env["crm.relationship.equipment"]
    move_lines = picking.move_line_ids
    for subset in (move_lines[: max(units // 10, 1)], move_lines):
        equipment.unlink()
        env.flush_all()
        env.invalidate_all()
        subset = subset.browse(subset.ids)
        count_before = cr.sql_log_count
        start = time.perf_counter()
        equipment = subset._crm_register_equipment()
        env.flush_all()
        print(
            f"registration alone, {len(subset):>4} units: {time.perf_counter() - start:.2f} s, "
            f"{cr.sql_log_count - count_before} SQL queries"
        )
        check_registered(env, picking, customer, len(subset))
        equipment = Equipment.search([("picking_id", "=", picking.id)])
    print(f"registered equipment: one unit per delivered serial number, at the customer ({units} units)")


def check_registered(env, picking, customer, units):
    """The equipment of ``picking`` is one unit per serial number it delivered, at ``customer``."""
    env.flush_all()
    delivered = {
        name
        for (name,) in env.execute_query(
            SQL(
                """SELECT lot.name FROM stock_move_line ml JOIN stock_lot lot ON lot.id = ml.lot_id
                    WHERE ml.picking_id = %s AND ml.state = 'done'""",
                picking.id,
            )
        )
    }
    registered = env.execute_query(
        SQL(
            "SELECT serial_number, partner_id FROM crm_relationship_equipment WHERE picking_id = %s",
            picking.id,
        )
    )
    serials = [serial for serial, _partner in registered]
    wrong_partner = [serial for serial, partner in registered if partner != customer.commercial_partner_id.id]
    if len(serials) != units or len(set(serials)) != units or not set(serials) <= delivered or wrong_partner:
        raise SystemExit(
            f"registered equipment differs from the delivery: {len(serials)} units for {units} expected, "
            f"{len(serials) - len(set(serials))} duplicates, {len(set(serials) - delivered)} serials not "
            f"delivered, {len(wrong_partner)} at another partner"
        )


def relationship_user(env, company):
    """A non-admin Relationship User working in ``company`` only (rolled back with the measures)."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Relationship User",
                "login": "bench_equipment_relationship_user",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([env.ref("crm_relationship.crm_relationship_group_user").id])],
                "tz": "Europe/Rome",
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--units", type=int, default=500)
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        # seeded in the company the administrator works in, where the measured user works too
        company = env.ref("base.user_admin").company_id
        env = env(context={"allowed_company_ids": company.ids})
        seed(env, args.rows)
        user = relationship_user(env, company)
        context = {"lang": "en_US", "tz": "Europe/Rome", "uid": user.id, "allowed_company_ids": company.ids}
        bench_lookup(api.Environment(cr, user.id, context), args.samples)
        bench_delivery(env, args.units)
        cr.rollback()


if __name__ == "__main__":
    main()
