"""Customer equipment benchmark.

1. Lookup by exact serial number among ``--rows`` equipment records (default
   1,000,000): ORM search (as the admin user, record rules included) against a
   raw indexed SQL query, with the query plan.
2. Validation of one delivery of ``--units`` serial-tracked units (default 500):
   time and SQL queries, and queries of the registration alone for 10% of the
   units and for all of them (must not grow with the number of units).

Usage: .venv/bin/python bench/bench_equipment_lookup.py --db equip_bench
The database must have crm_relationship installed; seeding is done once, with
SQL, and kept; the delivery part is rolled back.
"""

import argparse
import random
import statistics
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

CONFIG = "/work/main/.state/odoo.conf"
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
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_relationship_equipment")
    total = cr.fetchone()[0]
    cr.execute(
        "SELECT serial_number FROM crm_relationship_equipment WHERE serial_number LIKE %s ORDER BY random() LIMIT %s",
        [PREFIX + "%", samples],
    )
    serials = [row[0] for row in cr.fetchall()]
    admin = env(user=env.ref("base.user_admin").id)
    Equipment = admin["crm.relationship.equipment"]

    # warm-up: caches, prepared plans, registry
    Equipment.search([("serial_number", "=", serials[0])])
    cr.execute("SELECT id FROM crm_relationship_equipment WHERE serial_number = %s", [serials[0]])

    orm_times, orm_queries = [], []
    for serial in serials:
        count_before = cr.sql_log_count
        start = time.perf_counter()
        found = Equipment.search([("serial_number", "=", serial)])
        orm_times.append(time.perf_counter() - start)
        orm_queries.append(cr.sql_log_count - count_before)
        assert len(found) == 1, serial

    sql_times = []
    for serial in serials:
        start = time.perf_counter()
        cr.execute("SELECT id FROM crm_relationship_equipment WHERE serial_number = %s", [serial])
        rows = cr.fetchall()
        sql_times.append(time.perf_counter() - start)
        assert len(rows) == 1, serial

    lookup_times, lookup_queries = [], []
    Equipment._crm_lookup_serial(serials[0])
    for serial in serials:
        count_before = cr.sql_log_count
        start = time.perf_counter()
        found = Equipment._crm_lookup_serial(serial)
        lookup_times.append(time.perf_counter() - start)
        lookup_queries.append(cr.sql_log_count - count_before)
        assert len(found) == 1, serial

    orm_ms, sql_ms = statistics.median(orm_times), statistics.median(sql_times)
    lookup_ms = statistics.median(lookup_times)
    print(f"\n== Lookup by exact serial number ({total:,} equipment rows, {samples} random serials) ==")
    print(
        f"ORM search (admin, record rules): median {ms(orm_ms)}, mean {ms(statistics.mean(orm_times))}, "
        f"{max(orm_queries)} SQL query per search"
    )
    print(f"Raw indexed SQL:                  median {ms(sql_ms)}, mean {ms(statistics.mean(sql_times))}")
    print(
        f"ORM serial lookup (_crm_lookup_serial, record rules): median {ms(lookup_ms)}, "
        f"{max(lookup_queries)} SQL query per lookup"
    )
    print(f"Ratio ORM search() / raw SQL (median): {orm_ms / sql_ms:.2f}x")
    print(f"Ratio serial lookup / raw SQL (median): {lookup_ms / sql_ms:.2f}x (target <= 2x)")

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
    assert len(equipment) == units, len(equipment)
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
        equipment = Equipment._register_from_move_lines(subset)
        env.flush_all()
        print(
            f"registration alone, {len(subset):>4} units: {time.perf_counter() - start:.2f} s, "
            f"{cr.sql_log_count - count_before} SQL queries"
        )
        equipment = Equipment.search([("picking_id", "=", picking.id)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--units", type=int, default=500)
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", CONFIG, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        # seeded in the company the measured user (the administrator) works in
        env = env(context={"allowed_company_ids": env.ref("base.user_admin").company_id.ids})
        seed(env, args.rows)
        bench_lookup(env, args.samples)
        bench_delivery(env, args.units)
        cr.rollback()


if __name__ == "__main__":
    main()
