#!/usr/bin/env python3
"""Defect recall benchmark for crm_relationship.

Usage (from the repository root, on a database where crm_relationship is installed):

    .venv/bin/python bench/bench_defect_recall.py --db defect_bench

1. Seeds (once, committed) a lot-tracked product and two lots: one shipped to
   20 customers, one shipped to 2,000 customers. One delivery (and its
   registered equipment) is validated through the ORM; the other customers,
   deliveries, move lines and equipment are cloned from it through SQL.
2. For each lot, a non-admin Relationship User (the web client's context:
   ``allowed_company_ids``) reports a defect of the first customer; measured
   with a cold ORM cache: the affected customers of ``_get_traceability()``
   (time and SQL queries) against a raw SQL baseline, then the recording of a
   recall by e-mail by the recall wizard (``_queue_recall_mails``: what the
   user's request does, nothing rendered), the rendering and queueing of those
   e-mails as the scheduled action does (``_send_pending_mails`` as superuser,
   in batches of the ``crm_relationship.recall_mail_batch_size`` parameter,
   default 500), and the planning of the recall calls by the wizard
   (``_create_recall_calls``); all rolled back.
3. Prints the figures of the 20-customer and of the 2,000-customer lot side by
   side: the number of queries of the request does not grow with the number
   of customers; the scheduled action adds a fixed number of queries per batch.

The baseline is hand-written SQL from the definition of the affected customers,
calling nothing of the add-on: the commercial entities, other than the
report's customer, that received units of the traced lots (done move lines
from a non-customer location to a customer location, on a transfer, in the
user's companies) or hold active equipment of those lots not returned or
retired (in the user's companies); their equipment is those units. The traced
lots are the defect's lot and, with the manufacturing bridge, the other lots
finished by the production orders that produced it, by the orders that
consumed the components of those orders, or by the orders that consumed the
defect's lot. The add-on's customers and equipment must be the baseline's, and
every affected customer must be recorded, e-mailed and called once (the
benchmark stops otherwise).
"""

import argparse
import time

import odoo
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL

BENCH_PRODUCT = "Bench Recall Boiler"
LOTS = (("BENCH-RECALL-20", 20), ("BENCH-RECALL-2000", 2_000))


def clone_rows(cr, table, template_id, mapping_sql, overrides):
    """Insert copies of row ``template_id`` of ``table``, one per row of ``mapping_sql``.

    ``overrides`` maps column names to SQL expressions on the mapping row ``m``.
    """
    pairs = SQL(", ").join(SQL("%s, %s", name, SQL(expr)) for name, expr in overrides.items())
    cr.execute(
        SQL(
            """INSERT INTO %(table)s
               SELECT (jsonb_populate_record(NULL::%(table)s, to_jsonb(t) || jsonb_build_object(%(pairs)s))).*
                 FROM %(table)s t, (%(mapping)s) m
                WHERE t.id = %(template)s""",
            table=SQL.identifier(table),
            pairs=pairs,
            mapping=mapping_sql,
            template=template_id,
        )
    )


def seed(env):
    cr = env.cr
    Product = env["product.product"]
    product = Product.search([("name", "=", BENCH_PRODUCT)], limit=1)
    if product:
        print(f"Seed: bench lots already present ({', '.join(name for name, _n in LOTS)})")
        return product
    started = time.perf_counter()
    product = Product.create(
        {
            "name": BENCH_PRODUCT,
            "is_storable": True,
            "tracking": "lot",
            "crm_register_equipment": True,
            "crm_warranty_months": 24,
        }
    )
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    for lot_name, count in LOTS:
        lot = env["stock.lot"].create({"name": lot_name, "product_id": product.id})
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, count, lot_id=lot)
        template = env["res.partner"].create(
            {
                "name": f"{lot_name} customer 0",
                "is_company": True,
                "email": f"c0@{lot_name.lower()}.example.com",
            }
        )
        picking = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": template.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": env.ref("stock.stock_location_customers").id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.move_line_ids.write({"lot_id": lot.id, "quantity": 1})
        picking.move_ids.picked = True
        picking.with_context(skip_sms=True, skip_backorder=True).button_validate()
        move = picking.move_ids
        move_line = move.move_line_ids
        equipment = env["crm.relationship.equipment"].search([("move_line_id", "=", move_line.id)])
        assert equipment, "the delivery registers the equipment"
        env.flush_all()
        others = count - 1
        cr.execute(
            SQL(
                """CREATE TEMP TABLE bench_map ON COMMIT DROP AS
                   SELECT n, nextval('res_partner_id_seq') AS partner_id,
                          nextval('stock_picking_id_seq') AS picking_id,
                          nextval('stock_move_id_seq') AS move_id,
                          nextval('stock_move_line_id_seq') AS move_line_id,
                          nextval('crm_relationship_equipment_id_seq') AS equipment_id
                     FROM generate_series(1, %s) AS n""",
                others,
            )
        )
        mapping = SQL("SELECT * FROM bench_map")
        clone_rows(
            cr,
            "res_partner",
            template.id,
            mapping,
            {
                "id": "m.partner_id",
                "commercial_partner_id": "m.partner_id",
                "name": f"'{lot_name} customer ' || m.n",
                "complete_name": f"'{lot_name} customer ' || m.n",
                "email": f"'c' || m.n || '@{lot_name.lower()}.example.com'",
                "email_normalized": f"'c' || m.n || '@{lot_name.lower()}.example.com'",
            },
        )
        clone_rows(
            cr,
            "stock_picking",
            picking.id,
            mapping,
            {"id": "m.picking_id", "partner_id": "m.partner_id", "name": f"'{picking.name}-' || m.n"},
        )
        clone_rows(
            cr,
            "stock_move",
            move.id,
            mapping,
            {"id": "m.move_id", "picking_id": "m.picking_id", "partner_id": "m.partner_id"},
        )
        clone_rows(
            cr,
            "stock_move_line",
            move_line.id,
            mapping,
            {"id": "m.move_line_id", "picking_id": "m.picking_id", "move_id": "m.move_id"},
        )
        clone_rows(
            cr,
            "crm_relationship_equipment",
            equipment.id,
            mapping,
            {
                "id": "m.equipment_id",
                "partner_id": "m.partner_id",
                "site_id": "m.partner_id",
                "picking_id": "m.picking_id",
                "move_line_id": "m.move_line_id",
            },
        )
        cr.execute("DROP TABLE bench_map")
    env.invalidate_all()
    cr.commit()
    print(
        f"Seed: lots shipped to {' and '.join(f'{n:,}' for _l, n in LOTS)} customers in "
        f"{time.perf_counter() - started:.1f}s"
    )
    return product


def measure(env, func):
    """Run ``func`` with a cold ORM cache; return (result, seconds, queries)."""
    env.flush_all()
    env.invalidate_all()
    count_before = env.cr.sql_log_count
    started = time.perf_counter()
    result = func()
    env.flush_all()
    return result, time.perf_counter() - started, env.cr.sql_log_count - count_before


def raw_affected(env, defect_id, with_manufacturing):
    """The baseline: ``(customer ids, equipment ids)`` affected by the defect's lot: one query for
    the traced lots, one for their customers and units."""
    traced = SQL(
        "SELECT defect.lot_id AS id FROM crm_relationship_defect defect WHERE defect.id = %s", defect_id
    )
    if with_manufacturing:
        traced = SQL(
            """WITH defect_lot AS (
                   SELECT lot_id AS id FROM crm_relationship_defect WHERE id = %(defect)s
               ), producing AS (
                   SELECT sm.production_id AS id
                     FROM stock_move_line ml JOIN stock_move sm ON sm.id = ml.move_id
                    WHERE ml.lot_id IN (SELECT id FROM defect_lot) AND ml.state = 'done'
                      AND sm.production_id IS NOT NULL
               ), component_lots AS (
                   SELECT ml.lot_id AS id
                     FROM stock_move_line ml JOIN stock_move sm ON sm.id = ml.move_id
                    WHERE sm.raw_material_production_id IN (SELECT id FROM producing) AND ml.state = 'done'
                      AND ml.lot_id IS NOT NULL
               ), consuming AS (
                   SELECT sm.raw_material_production_id AS id
                     FROM stock_move_line ml JOIN stock_move sm ON sm.id = ml.move_id
                    WHERE (ml.lot_id IN (SELECT id FROM component_lots) OR ml.lot_id IN (SELECT id FROM defect_lot))
                      AND ml.state = 'done' AND sm.raw_material_production_id IS NOT NULL
               )
               SELECT id FROM defect_lot
                UNION
               SELECT ml.lot_id
                 FROM stock_move_line ml JOIN stock_move sm ON sm.id = ml.move_id
                WHERE (sm.production_id IN (SELECT id FROM producing) OR sm.production_id IN (SELECT id FROM consuming))
                  AND ml.state = 'done' AND ml.lot_id IS NOT NULL""",
            defect=defect_id,
        )
    lot_ids, reporter = env.execute_query(
        SQL("SELECT ARRAY(%s), partner_id FROM crm_relationship_defect WHERE id = %s", traced, defect_id)
    )[0]
    rows = env.execute_query(
        SQL(
            """WITH units AS (
                   SELECT eq.id, eq.partner_id
                     FROM crm_relationship_equipment eq
                    WHERE eq.lot_id = ANY(%(lots)s) AND eq.active
                      AND eq.state NOT IN ('returned', 'retired') AND eq.company_id = ANY(%(companies)s)
               ), receivers AS (
                   SELECT rp.commercial_partner_id AS id
                     FROM stock_move_line ml
                     JOIN stock_location source ON source.id = ml.location_id
                     JOIN stock_location destination ON destination.id = ml.location_dest_id
                     JOIN stock_picking picking ON picking.id = ml.picking_id
                     JOIN res_partner rp ON rp.id = picking.partner_id
                    WHERE ml.lot_id = ANY(%(lots)s) AND ml.state = 'done'
                      AND destination.usage = 'customer' AND source.usage != 'customer'
                      AND ml.company_id = ANY(%(companies)s)
                    UNION
                   SELECT partner_id FROM units
               )
               SELECT 'customer', id FROM receivers WHERE id != %(reporter)s
                UNION ALL
               SELECT 'equipment', id FROM units WHERE partner_id != %(reporter)s""",
            lots=lot_ids,
            reporter=reporter,
            companies=env.companies.ids,
        )
    )
    return (
        sorted(record_id for kind, record_id in rows if kind == "customer"),
        sorted(record_id for kind, record_id in rows if kind == "equipment"),
    )


def affected(defect):
    """The add-on's ``(customers, equipment)`` affected by ``defect``."""
    trace = defect._get_traceability()[defect]
    return trace["customers"], trace["equipment"]


def recall_wizard(defect, mode, customers, template=None):
    """The recall wizard of ``defect`` in ``mode`` for ``customers`` (created before the measures)."""
    wizard = defect.env["crm.relationship.defect.recall"].create(
        {
            "defect_id": defect.id,
            "mode": mode,
            "template_id": template.id if template else False,
            "partner_ids": [Command.set(customers.ids)],
        }
    )
    wizard.env.flush_all()
    return wizard


def bench_lot(env, product, lot_name, with_manufacturing):
    lot = env["stock.lot"].search([("name", "=", lot_name), ("product_id", "=", product.id)])
    first = env["res.partner"].search([("name", "=", f"{lot_name} customer 0")], limit=1)
    defect = env["crm.relationship.defect"].create(
        {
            "partner_id": first.id,
            "product_id": product.id,
            "lot_id": lot.id,
            "severity": "high",
            "description": "<p>Bench: burner fails at ignition.</p>",
        }
    )
    defect.action_confirm()
    affected(defect)  # warm the environment (companies, registry caches)
    (customers, equipment), affected_s, affected_q = measure(env, lambda: affected(defect))
    raw_affected(env, defect.id, with_manufacturing)  # warm-up
    (raw_customers, raw_equipment), raw_s, _raw_q = measure(
        env, lambda: raw_affected(env, defect.id, with_manufacturing)
    )
    if customers.ids != raw_customers or sorted(equipment.ids) != raw_equipment:
        raise SystemExit(
            f"affected by the defect of lot {lot_name}: the add-on finds {len(customers)} customers and "
            f"{len(equipment)} units, the baseline {len(raw_customers)} and {len(raw_equipment)}; customers "
            f"only in the add-on's: {sorted(set(customers.ids) - set(raw_customers))[:10]}, only in the "
            f"baseline's: {sorted(set(raw_customers) - set(customers.ids))[:10]}"
        )
    template = env.ref("crm_relationship.crm_relationship_defect_mail_template_recall")
    with env.cr.savepoint(flush=False) as savepoint:
        wizard = recall_wizard(defect, "email", customers, template)
        log, mail_s, mail_q = measure(env, lambda: wizard._queue_recall_mails(customers))
        cron_log = log.sudo()  # the scheduled action renders the e-mails, outside the user's request

        def render():
            rendered = 0
            while cron_log.state == "queued":
                rendered += cron_log._send_pending_mails(cron_log._get_batch_size())
            return cron_log.mail_count

        mails, render_s, render_q = measure(env, render)
        recorded = len(cron_log.partner_ids)
        savepoint.rollback()
    with env.cr.savepoint(flush=False) as savepoint:
        wizard = recall_wizard(defect, "call", customers)
        calls, call_s, call_q = measure(env, lambda: wizard._create_recall_calls(customers))
        called = sorted(call.partner_id.id for call in calls.sudo())
        savepoint.rollback()
    return {
        "customers": len(customers),
        "equipment": len(equipment),
        "affected": (affected_s, affected_q),
        "baseline": raw_s,
        "mails": (recorded, mail_s, mail_q),
        "render": (mails, render_s, render_q),
        "calls": (len(calls), call_s, call_q),
        "called": called == customers.ids,
    }


def relationship_user(env, company):
    """A non-admin Relationship User working in ``company`` only (rolled back with the measures)."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Relationship User",
                "login": "bench_defect_relationship_user",
                "email": "bench.relationship.user@example.com",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([env.ref("crm_relationship.crm_relationship_group_user").id])],
                "tz": "Europe/Rome",
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="defect_bench")
    parser.add_argument("--config", default=".state/odoo.conf")
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "crm.relationship.defect" not in env:
            raise SystemExit(f"crm_relationship is not installed in {args.db}")
        # seeded in the company the administrator works in, where the measured user works too
        company = env.ref("base.user_admin").company_id
        product = seed(env(context={"allowed_company_ids": company.ids}))
        user = relationship_user(env, company)
        user_env = odoo.api.Environment(
            cr,
            user.id,
            {
                "lang": "en_US",
                "tz": "Europe/Rome",
                "uid": user.id,
                "allowed_company_ids": company.ids,
                "mail_create_nolog": True,
            },
        )
        with_manufacturing = "production_ids" in env["crm.relationship.defect"]
        bridge = "with crm_relationship_mrp" if with_manufacturing else "core only"
        print(
            f"Affected customers and recall ({bridge}), as {user.login} (Relationship User), "
            "cold ORM cache, rolled back:"
        )
        header = (
            f"{'lot shipped to':>16} | {'affected: ms':>12} {'queries':>7} {'raw SQL ms':>10} | "
            f"{'record recall: ms':>17} {'queries':>7} | {'cron renders: ms':>16} {'queries':>7} | "
            f"{'plan calls: ms':>14} {'queries':>7}"
        )
        print(header)
        print("-" * len(header))
        results = {}
        for lot_name, count in LOTS:
            res = bench_lot(user_env, product.with_env(user_env), lot_name, with_manufacturing)
            results[count] = res
            print(
                f"{count:>7,} customers | {res['affected'][0] * 1000:>12.1f} {res['affected'][1]:>7} "
                f"{res['baseline'] * 1000:>10.1f} | "
                f"{res['mails'][1] * 1000:>17.1f} {res['mails'][2]:>7} | "
                f"{res['render'][1] * 1000:>16.1f} {res['render'][2]:>7} | "
                f"{res['calls'][1] * 1000:>14.1f} {res['calls'][2]:>7}"
            )
            expected = count - 1
            counts = (res["customers"], res["mails"][0], res["render"][0], res["calls"][0])
            if counts != (expected,) * 4 or not res["called"]:
                raise SystemExit(
                    f"lot shipped to {count} customers: {expected} other customers expected; affected, recorded, "
                    f"e-mailed, called: {counts}; calls to the affected customers: {res['called']}"
                )
        print(
            "affected customers and equipment equal to the baseline's; each recorded, e-mailed and called once"
        )
        small, large = results[LOTS[0][1]], results[LOTS[1][1]]
        extra_customers = LOTS[1][1] - LOTS[0][1]
        for label, key, index in (
            ("affected customers", "affected", 1),
            ("recording the e-mail recall", "mails", 2),
            ("recall calls", "calls", 2),
        ):
            extra = large[key][index] - small[key][index]
            per_customer = extra / extra_customers
            verdict = "no query per customer" if per_customer < 0.05 else "QUERIES GROW PER CUSTOMER"
            print(
                f"Queries for {label}: {small[key][index]} for {LOTS[0][1] - 1} customers, "
                f"{large[key][index]} for {LOTS[1][1] - 1:,} customers: {per_customer:.3f} per extra customer "
                f"({verdict}; the ORM reads and inserts in batches of 1,000)"
            )
        batches = -(-(LOTS[1][1] - 1) // env["crm.relationship.defect.recall.log"]._get_batch_size())
        print(
            f"Scheduled action rendering the e-mails: {small['render'][2]} queries for {LOTS[0][1] - 1} "
            f"customers (1 batch), {large['render'][2]} for {LOTS[1][1] - 1:,} customers ({batches} batches, "
            f"{large['render'][1]:.1f}s outside any user request)"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
