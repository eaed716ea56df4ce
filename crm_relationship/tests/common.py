import ast
import re
import time
from contextlib import closing, contextmanager
from datetime import date, timedelta

import polib
from lxml import etree

from odoo import api, fields
from odoo.exceptions import ValidationError
from odoo.fields import Command, Domain
from odoo.modules.module import get_module_path
from odoo.tests import Form, TransactionCase, new_test_user
from odoo.tools import SQL
from odoo.tools.translate import TranslationModuleReader


class CrmRelationshipCase(TransactionCase):
    """Users of every access level and small factories for customer data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_create_nolog=True, mail_notrack=True, tracking_disable=True)
        )
        cls.company = cls.env.company
        cls.rel_user = new_test_user(
            cls.env,
            login="rel_user",
            name="Paola Operatrice",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.rel_manager = new_test_user(
            cls.env,
            login="rel_manager",
            name="Stefano Responsabile",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.internal_user = new_test_user(
            cls.env, login="plain_user", name="Plain Employee", groups="base.group_user"
        )

    @classmethod
    def _create_call_customer(cls, name, phone=False, contacts=(), **values):
        """An Italian company with contacts given as ``(name, phone)`` pairs."""
        customer = cls.env["res.partner"].create(
            dict(
                {"name": name, "is_company": True, "phone": phone, "country_id": cls.env.ref("base.it").id},
                **values,
            )
        )
        for contact_name, contact_phone in contacts:
            cls.env["res.partner"].create(
                {"name": contact_name, "parent_id": customer.id, "phone": contact_phone}
            )
        return customer

    @classmethod
    def _create_call(cls, customer, user=None, **values):
        """A call with ``customer``, logged by ``user`` (the superuser when not given)."""
        Call = cls.env["crm.relationship.call"]
        if user:
            Call = Call.with_user(user)
        return Call.create(dict({"partner_id": customer.id, "subject": "Richiesta informazioni"}, **values))

    @contextmanager
    def _assert_raises_message(self, exception, pattern):
        """``assertRaisesRegex`` that rolls back like ``assertRaises`` (savepoint)."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), pattern)


# Largest integer the web client keeps exact (JavaScript numbers): a larger row
# id is rounded in the browser, which then reads or opens another row.
MAX_SAFE_ID = 2**53 - 1


class IdOverflowMixin:
    """Helpers to read the screens as the web client does, with record ids
    that overflow a 32-bit integer once multiplied."""

    @classmethod
    def _move_id_sequences(cls, next_ids):
        """Make ``next_ids`` (``{table: next id}``) the next ids of those tables.

        Sequences are not rolled back with the test's transaction: they are
        put back when the test class ends (its records are gone by then)."""
        saved = []
        for table, next_id in next_ids.items():
            cls.env.cr.execute(SQL("SELECT pg_get_serial_sequence(%s, 'id')", table))
            sequence = cls.env.cr.fetchone()[0]
            cls.env.cr.execute(
                SQL("SELECT last_value, is_called FROM %s", SQL.identifier(*sequence.split(".")))
            )
            saved.append((sequence, *cls.env.cr.fetchone()))
            cls.env.cr.execute(SQL("SELECT setval(%s, %s, false)", sequence, next_id))

        def restore():
            for sequence, last_value, is_called in saved:
                cls.env.cr.execute(SQL("SELECT setval(%s, %s, %s)", sequence, last_value, is_called))

        cls.addClassCleanup(restore)

    def _web_env(self, user):
        """Environment of ``user`` with the context the web client sends."""
        return self.env(
            user=user,
            context={
                "lang": "en_US",
                "tz": "Europe/Rome",
                "uid": user.id,
                "allowed_company_ids": [self.company.id],
            },
        )

    def _view_spec(self, env, view_xmlid):
        """The ``web_read`` specification the web client builds from a view, for ``env``'s user."""
        view = self.env.ref(view_xmlid)
        Model = env[view.model]
        arch = etree.fromstring(Model.get_view(view.id, view.type)["arch"])
        spec = self._arch_spec(Model, arch)
        if view.type == "kanban":
            # fields used by the card templates (record.<field>) are read too
            for name in re.findall(r"record\.(\w+)", etree.tostring(arch, encoding="unicode")):
                if name in Model._fields:
                    spec.setdefault(
                        name, {"fields": {"display_name": {}}} if Model._fields[name].relational else {}
                    )
        return spec

    def _arch_spec(self, Model, node):
        spec = {}
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag != "field":
                for name, sub_spec in self._arch_spec(Model, child).items():
                    spec.setdefault(name, sub_spec)
                continue
            field = Model._fields[child.get("name")]
            sub_spec = {}
            if field.relational:
                subviews = [n for n in child if isinstance(n.tag, str) and n.tag in ("list", "kanban")]
                if subviews and field.type != "many2one":
                    sub_spec = {"fields": self._arch_spec(Model.env[field.comodel_name], subviews[0])}
                else:
                    sub_spec = {"fields": {"display_name": {}}}
            spec.setdefault(field.name, sub_spec)
        return spec

    def _action_domain(self, env, action_xmlid):
        """Domain of a window action, as ``env``'s user gets it."""
        return ast.literal_eval(env["ir.actions.act_window"]._for_xml_id(action_xmlid)["domain"] or "[]")

    def _filter_domain(self, env, search_view_xmlid, filter_name):
        """Domain of the filter ``filter_name`` of a search view, as ``env``'s user gets it."""
        view = self.env.ref(search_view_xmlid)
        arch = etree.fromstring(env[view.model].get_view(view.id, "search")["arch"])
        node = arch.find(f".//filter[@name='{filter_name}']")
        self.assertIsNotNone(node, f"{filter_name} is a filter of {search_view_xmlid}")
        return ast.literal_eval(node.get("domain"))

    def _assert_row_ids(self, Model):
        """Row ids of a SQL view: bigint, unique, and exact in the web client."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT pg_typeof(id)::text, COUNT(*), COUNT(DISTINCT id), MAX(id) FROM %s AS r GROUP BY 1",
                Model._table_sql,
            )
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 1, f"{Model._name}: one type of row id")
        id_type, count, distinct, max_id = rows[0]
        self.assertEqual(id_type, "bigint", f"{Model._name}: row ids computed in bigint")
        self.assertEqual(count, distinct, f"{Model._name}: row ids are unique")
        self.assertLessEqual(max_id, MAX_SAFE_ID, f"{Model._name}: row ids stay exact in the web client")


class CronJobMixin:
    """Run the add-ons' scheduled actions as Odoo's cron workers do, inside the test transaction.

    For a ``TransactionCase``: the job's commits become savepoints of the test
    (``enter_registry_test_mode``), as in Odoo's own tests of ``ir.cron``.
    """

    def _run_cron(self, xmlid):
        """Run the job once through ``ir.cron._process_job``: progress records, loops, rescheduling.

        Return the progress records of this run, oldest first.
        """
        cron = self.env.ref(xmlid)
        Progress = self.env["ir.cron.progress"].sudo()
        before = Progress.search([("cron_id", "=", cron.id)])
        self.env.flush_all()
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            job = {**cron.sudo().read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
            self.registry["ir.cron"]._process_job(cr, job)
        return Progress.search([("cron_id", "=", cron.id), ("id", "not in", before.ids)], order="id")

    @contextmanager
    def _cron_env_out_of_time(self, xmlid):
        """Yield ``(env, progress)``: the environment of a call of the job whose time budget is spent.

        The job's first ``_commit_progress`` commits its batch and answers 0, as
        when a cron worker must stop, so the job stops after its first batch.
        """
        cron = self.env.ref(xmlid)
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            env = api.Environment(cr, cron.sudo().user_id.id, {"cron_id": cron.id})
            cron, progress = env["ir.cron"].browse(cron.id)._add_progress()
            cron = cron.with_context(cron_end_time=time.monotonic() - 1)
            yield cron.env, progress

    @contextmanager
    def _job_running(self, xmlid):
        """Hold the job's row lock from another database connection, as a cron worker running it does."""
        cron = self.env.ref(xmlid)
        with closing(self.registry.cursor()) as worker_cr:
            worker_cr.execute(
                SQL("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", cron.id)
            )
            self.assertTrue(worker_cr.fetchall(), "the other worker holds the job")
            try:
                yield
            finally:
                worker_cr.rollback()


INCOMING_EMAIL = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.example.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2012 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Date: {date}
Message-ID: {msg_id}
{extra}

{body}
"""


def assert_module_translated(case, module, lang="it"):
    """Every term the module exports is translated in its ``i18n/<lang>.po``."""
    po = polib.pofile(f"{get_module_path(module)}/i18n/{lang}.po")
    translated = {
        entry.msgid for entry in po if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
    }
    terms = {
        source
        for _module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
            case.env.cr, modules=[module]
        )
        if source
    }
    missing = sorted(terms - translated)
    case.assertFalse(
        missing,
        f"{len(missing)} term(s) of {module} are not translated in i18n/{lang}.po, "
        f"export the terms and translate them: {missing[:15]}",
    )


class CrmRelationshipAnalyticsCase(CrmRelationshipCase):
    """A company of its own (scores are relative to a company's customers) and
    factories for invoices, payments, calls and defects."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company_a = cls.env["res.company"].create(
            {"name": "Analitica S.p.A.", "currency_id": cls.env.company.currency_id.id}
        )
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company_a, install_demo=False)
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company_a.id]))
        for user in (cls.rel_user, cls.rel_manager):
            user.write({"company_ids": [Command.link(cls.company_a.id)], "company_id": cls.company_a.id})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Caldaia C-24",
                "type": "consu",
                "list_price": 500.0,
                "standard_price": 300.0,
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _day(cls, days_ago):
        """``days_ago`` days before today, but not before the 1st of January of this year."""
        return max(cls.today - timedelta(days=days_ago), date(cls.today.year, 1, 1))

    @classmethod
    def _create_rfm_customers(cls):
        """Five customers, one per quintile of each RFM score (table in test_crm_relationship_rfm)."""
        today = cls.today
        cls.alfa = cls._create_customer("Alfa Impianti")
        cls.alfa_contact = cls.env["res.partner"].create({"name": "Anna Alfa", "parent_id": cls.alfa.id})
        cls.bravo = cls._create_customer("Bravo Clima")
        cls.carlo = cls._create_customer("Carlo Termica")
        cls.delta = cls._create_customer("Delta Energia")
        cls.eco = cls._create_customer("Eco Riscaldamento")
        # Invoiced to a contact person: counts for the company.
        cls._create_invoice(cls.alfa_contact, today - timedelta(days=10), price=500.0)
        for days in (300, 400, 500, 600, 700):
            cls._create_invoice(cls.bravo, today - timedelta(days=days), price=2000.0)
        for days in (20, 30, 40, 50):
            cls._create_invoice(cls.carlo, today - timedelta(days=days), price=1000.0)
        for days in (50, 60, 70):
            cls._create_invoice(cls.delta, today - timedelta(days=days), price=1000.0)
        cls._create_invoice(cls.delta, today - timedelta(days=55), price=500.0, move_type="out_refund")
        for days in (200, 250):
            cls._create_invoice(cls.eco, today - timedelta(days=days), price=750.0)

    @classmethod
    def _create_customer(cls, name, **values):
        return cls.env["res.partner"].create(
            dict({"name": name, "is_company": True, "company_id": cls.company_a.id}, **values)
        )

    @classmethod
    def _create_invoice(
        cls, partner, invoice_date, quantity=1.0, price=500.0, move_type="out_invoice", **values
    ):
        """A posted invoice (or credit note) without taxes of ``quantity`` × ``price`` of the product."""
        move = cls.env["account.move"].create(
            dict(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "quantity": quantity,
                                "price_unit": price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                },
                **values,
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, payment_date):
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": payment_date}).action_create_payments()

    @classmethod
    def _create_defect(cls, partner, reported, warranty=True, **values):
        """A defect on a unit of the product delivered to ``partner``, in warranty or not."""
        equipment = cls.env["crm.relationship.equipment"].create(
            {
                "partner_id": partner.id,
                "product_id": cls.product.id,
                "warranty_end_date": cls.today + timedelta(days=365 if warranty else -3650),
            }
        )
        return cls.env["crm.relationship.defect"].create(
            dict(
                {
                    "partner_id": partner.id,
                    "product_id": cls.product.id,
                    "equipment_id": equipment.id,
                    "date_reported": fields.Datetime.to_datetime(reported),
                },
                **values,
            )
        )


class CrmRelationshipDefectCase(CrmRelationshipCase):
    """A lot-tracked boiler sold to several customers, the people of the three departments and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Defect = cls.env["crm.relationship.defect"]
        cls.Route = cls.env["crm.relationship.defect.route"]
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.company.partner_id.lang = "en_US"
        cls.salesperson = new_test_user(
            cls.env,
            login="defect_sales",
            name="Sara Venditrice",
            email="sara.sales@example.com",
            groups="sales_team.group_sale_salesman,crm_relationship.crm_relationship_group_user",
        )
        cls.production_user = new_test_user(
            cls.env,
            login="defect_production",
            name="Pietro Produzione",
            email="pietro.production@example.com",
            lang="it_IT",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.call_center_user = new_test_user(
            cls.env,
            login="defect_call_center",
            name="Carla Centralino",
            email="carla.callcenter@example.com",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.rel_user.email = "paola.operator@example.com"
        cls.company.write(
            {
                "crm_defect_production_user_id": cls.production_user.id,
                "crm_defect_call_center_user_ids": [fields.Command.set(cls.call_center_user.ids)],
            }
        )
        cls.heating = cls.env["product.category"].create({"name": "Heating"})
        cls.boilers = cls.env["product.category"].create(
            {"name": "Wall Boilers", "parent_id": cls.heating.id}
        )
        cls.pumps = cls.env["product.category"].create({"name": "Heat Pumps"})
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Boiler CX24",
                "is_storable": True,
                "tracking": "lot",
                "categ_id": cls.boilers.id,
                "crm_register_equipment": True,
                "crm_warranty_months": 24,
            }
        )
        cls.pump = cls.env["product.product"].create(
            {"name": "Heat Pump HP9", "is_storable": True, "tracking": "lot", "categ_id": cls.pumps.id}
        )
        cls.lot = cls._create_lot(cls.boiler, "CX24-L001", 100)
        cls.other_lot = cls._create_lot(cls.boiler, "CX24-L002", 100)
        cls.pump_lot = cls._create_lot(cls.pump, "HP9-L001", 10)
        cls.customer = cls._create_call_customer(
            "Rossi Impianti",
            email="info@rossi.example.com",
            contacts=[("Marco Rossi", "+39 02 1234567")],
            user_id=cls.salesperson.id,
        )
        cls.contact = cls.customer.child_ids
        cls.noise = cls.env.ref("crm_relationship.crm_relationship_defect_category_noise")

    @classmethod
    def _create_lot(cls, product, name, quantity, company=None):
        company = company or cls.company
        lot = cls.env["stock.lot"].create({"name": name, "product_id": product.id, "company_id": company.id})
        location = cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
        cls.env["stock.quant"]._update_available_quantity(product, location, quantity, lot_id=lot)
        return lot

    @classmethod
    def _deliver(cls, customer, product, lot, quantity=1):
        """Sell and deliver ``quantity`` units of ``lot`` to ``customer``; return the delivery."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    fields.Command.create({"product_id": product.id, "product_uom_qty": quantity})
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        for move in picking.move_ids:
            move.move_line_ids.unlink()
            cls.env["stock.move.line"].create(
                {
                    "move_id": move.id,
                    "picking_id": picking.id,
                    "product_id": move.product_id.id,
                    "lot_id": lot.id,
                    "quantity": quantity,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                }
            )
            move.picked = True
        picking.with_context(skip_sms=True, skip_backorder=True).button_validate()
        return picking

    @classmethod
    def _equipment_of(cls, customer, lot=None):
        domain = [("partner_id", "=", customer.id)]
        if lot:
            domain.append(("lot_id", "=", lot.id))
        return cls.env["crm.relationship.equipment"].search(domain)

    @classmethod
    def _create_defect(cls, user=None, **values):
        Defect = cls.env["crm.relationship.defect"]
        if user:
            Defect = Defect.with_user(user)
        return Defect.create(
            dict(
                {
                    "partner_id": cls.customer.id,
                    "contact_id": cls.contact.id,
                    "product_id": cls.boiler.id,
                    "lot_id": cls.lot.id,
                    "severity": "normal",
                    "description": "<p>The boiler makes a loud noise at ignition.</p>",
                },
                **values,
            )
        )

    @classmethod
    def _form_spec(cls, records):
        """The ``web_read`` specification of the form view of ``records``' model for their user, as the
        web client builds it: every field of the form, the display name of the many2one fields, the
        columns of the x2many lists (with their limit)."""
        views = records.get_views([(False, "form")])
        models = views["models"]

        def spec(node, model):
            result = {}
            for field in node.iter("field"):
                if next(field.iterancestors("list", "kanban", "form"), None) is not node:
                    continue  # a column of an x2many list, read with its field
                info = models[model]["fields"][field.get("name")]
                sub = field.find("list")
                if sub is not None:
                    value = {"fields": spec(sub, info["relation"]), "limit": int(sub.get("limit") or 40)}
                elif info["type"] in ("many2one", "one2many", "many2many"):
                    value = {"fields": {"display_name": {}}}
                else:
                    value = {}
                result.setdefault(field.get("name"), value)
            return result

        return spec(etree.fromstring(views["views"]["form"]["arch"]), records._name)


class EquipmentCase(CrmRelationshipCase):
    """Flagged products in stock, customers with sites, and delivery helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Equipment = cls.env["crm.relationship.equipment"]
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.boiler_category = cls.env["crm.relationship.equipment.category"].create(
            {
                "name": "Boilers",
                "properties_definition": [
                    {"name": "power_kw", "string": "Power (kW)", "type": "float"},
                    {
                        "name": "fuel_type",
                        "string": "Fuel",
                        "type": "selection",
                        "selection": [["methane", "Methane"], ["lpg", "LPG"]],
                    },
                ],
            }
        )
        cls.heating = cls.env["product.category"].create(
            {
                "name": "Heating",
                "crm_warranty_months": 12,
                "crm_equipment_category_id": cls.boiler_category.id,
            }
        )
        cls.accessories = cls.env["product.category"].create(
            {"name": "Accessories", "crm_register_equipment": True, "crm_warranty_months": 6}
        )
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Boiler X30",
                "is_storable": True,
                "tracking": "serial",
                "categ_id": cls.heating.id,
                "crm_register_equipment": True,
                "crm_warranty_months": 24,
            }
        )
        cls.thermostat = cls.env["product.product"].create(
            {"name": "Thermostat T1", "is_storable": True, "categ_id": cls.accessories.id}
        )
        cls.pipe = cls.env["product.product"].create({"name": "Copper pipe", "is_storable": True})
        cls.customer = cls.env["res.partner"].create({"name": "Idraulica Bianchi", "is_company": True})
        cls.site = cls.env["res.partner"].create(
            {"name": "Cantiere Monza", "type": "delivery", "parent_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Termotecnica Verdi", "is_company": True})
        cls.other_site = cls.env["res.partner"].create(
            {"name": "Magazzino Verdi", "type": "delivery", "parent_id": cls.other_customer.id}
        )
        cls.lots = cls._create_lots(cls.boiler, ["X30-001", "X30-002", "X30-003", "X30-004"])
        cls.env["stock.quant"]._update_available_quantity(cls.thermostat, cls.stock_location, 20)
        cls.env["stock.quant"]._update_available_quantity(cls.pipe, cls.stock_location, 20)

    @classmethod
    def _create_lots(cls, product, names, company=None):
        company = company or cls.company
        lots = cls.env["stock.lot"].create(
            [{"name": name, "product_id": product.id, "company_id": company.id} for name in names]
        )
        location = cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
        for lot in lots:
            cls.env["stock.quant"]._update_available_quantity(product, location, 1, lot_id=lot)
        return lots

    @classmethod
    def _create_order(cls, lines, partner=None, shipping=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer).id,
                "partner_shipping_id": (shipping or partner or cls.site).id,
                "order_line": [
                    fields.Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in lines
                ],
            }
        )
        order.action_confirm()
        return order

    @classmethod
    def _validate(cls, picking, quantities=None, lots=None):
        """Validate ``picking``, optionally with fewer units (a backorder is made) or given lots."""
        picking.action_assign()
        for move in picking.move_ids:
            if lots and move.product_id.tracking == "serial":
                wanted = lots.filtered(lambda lot, m=move: lot.product_id == m.product_id)
                move.move_line_ids.unlink()
                cls.env["stock.move.line"].create(
                    [
                        {
                            "move_id": move.id,
                            "picking_id": picking.id,
                            "product_id": move.product_id.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": move.location_id.id,
                            "location_dest_id": move.location_dest_id.id,
                        }
                        for lot in wanted
                    ]
                )
            elif quantities and move.product_id in quantities:
                qty = quantities[move.product_id]
                if move.product_id.tracking == "serial":
                    move.move_line_ids[qty:].unlink()
                else:
                    move.quantity = qty
            move.picked = True
        picking.with_context(skip_sms=True, skip_backorder=True).button_validate()
        return picking

    @classmethod
    def _return(cls, picking, quantities, lots=None):
        wizard = Form(
            cls.env["stock.return.picking"].with_context(
                active_ids=picking.ids, active_id=picking.id, active_model="stock.picking"
            )
        ).save()
        for line in wizard.product_return_moves:
            line.quantity = quantities.get(line.product_id, 0)
        return_picking = cls.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return cls._validate(return_picking, lots=lots)

    @contextmanager
    def _assert_error(self, message, exception=ValidationError):
        with self.assertRaises(exception) as caught:
            yield
        self.assertIn(message, str(caught.exception))

    def _equipment(self, *domain):
        return self.Equipment.search(
            [("partner_id", "in", (self.customer | self.other_customer).ids), *domain]
        )


class CustomerHistoryCase(CrmRelationshipCase):
    """A customer with every kind of document a card must summarize.

    Bianchi Termotecnica (company) has a contact, Luca, and a delivery site:
    - offers: a draft, a sent, an expired and a cancelled quotation;
    - order A (placed by Luca): 2 serial-tracked boilers + 1 kit, delivered
      (SN-A1, SN-A2), one boiler (SN-A2) returned, invoiced 40 days ago
      (overdue), partially paid (500);
    - order B: 3 kits, confirmed, not delivered yet;
    - a credit note of 100 and an invoice of 300 dated last January.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.customer = cls.env["res.partner"].create(
            {"name": "Bianchi Termotecnica S.r.l.", "is_company": True, "phone": "+39 02 1234 5678"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Luca Bianchi", "parent_id": cls.customer.id, "phone": "335 987 6543"}
        )
        cls.site = cls.env["res.partner"].create(
            {"name": "Cantiere Monza", "parent_id": cls.customer.id, "type": "delivery"}
        )
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Boiler B-30",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "list_price": 1000.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        cls.kit = cls.env["product.product"].create(
            {
                "name": "Flue kit F-60",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        cls.stock_location = cls.env.user._get_default_warehouse_id().lot_stock_id
        Quant = cls.env["stock.quant"]
        cls.lots = cls.env["stock.lot"].create(
            [{"name": name, "product_id": cls.boiler.id} for name in ("SN-A1", "SN-A2", "SN-A3")]
        )
        for lot in cls.lots:
            Quant._update_available_quantity(cls.boiler, cls.stock_location, 1, lot_id=lot)
        Quant._update_available_quantity(cls.kit, cls.stock_location, 50)

        # Offers
        cls.quotation_draft = cls._create_order(cls.customer, [(cls.kit, 1)], validity=30)
        cls.quotation_sent = cls._create_order(cls.contact, [(cls.kit, 2)], validity=10)
        cls.quotation_sent.state = "sent"
        cls.quotation_expired = cls._create_order(cls.customer, [(cls.kit, 4)], validity=-5)
        cls.quotation_cancel = cls._create_order(cls.customer, [(cls.kit, 8)], validity=30)
        cls.quotation_cancel._action_cancel()

        # Order A: delivered, partly returned, invoiced, partially paid
        cls.order_a = cls._create_order(cls.contact, [(cls.boiler, 2), (cls.kit, 1)], site=cls.site)
        cls.order_a.action_confirm()
        cls.delivery_a = cls.order_a.picking_ids
        cls.delivery_a.move_ids.picked = True
        cls.delivery_a.with_context(skip_sms=True).button_validate()
        cls.invoice_a = cls.order_a._create_invoices()
        cls.invoice_a.write(
            {
                "invoice_date": cls.today - timedelta(days=40),
                "invoice_payment_term_id": False,
                "invoice_date_due": cls.today - timedelta(days=10),
            }
        )
        cls.invoice_a.action_post()
        cls.return_a = cls._return_serial(cls.delivery_a, cls.lots.filtered(lambda lot: lot.name == "SN-A2"))
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice_a.ids
        ).create({"amount": 500.0, "payment_date": cls.today}).action_create_payments()
        cls.payment = cls.env["account.payment"].search([("partner_id", "child_of", cls.customer.id)])

        # Order B: confirmed, waiting for delivery
        cls.order_b = cls._create_order(cls.customer, [(cls.kit, 3)])
        cls.order_b.action_confirm()
        cls.delivery_b = cls.order_b.picking_ids

        # Credit note today, invoice of last year
        cls.refund = cls._create_move("out_refund", 100.0, cls.today)
        cls.old_invoice = cls._create_move("out_invoice", 300.0, date(cls.today.year - 1, 1, 15))

    @classmethod
    def _create_order(cls, partner, lines, validity=None, site=None):
        values = {
            "partner_id": partner.id,
            "order_line": [
                Command.create(
                    {"product_id": product.id, "product_uom_qty": qty, "price_unit": product.list_price}
                )
                for product, qty in lines
            ],
        }
        if validity is not None:
            values["validity_date"] = cls.today + timedelta(days=validity)
        if site:
            values["partner_shipping_id"] = site.id
        return cls.env["sale.order"].create(values)

    @classmethod
    def _return_serial(cls, picking, lot):
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        for line in wizard.product_return_moves:
            line.quantity = 1 if line.product_id == cls.boiler else 0
        action = wizard.action_create_returns()
        return_picking = cls.env["stock.picking"].browse(action["res_id"])
        return_picking.move_ids.move_line_ids.unlink()
        return_picking.move_ids.write(
            {
                "move_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.boiler.id,
                            "picking_id": return_picking.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": return_picking.location_id.id,
                            "location_dest_id": return_picking.location_dest_id.id,
                        }
                    )
                ],
                "picked": True,
            }
        )
        return_picking.with_context(skip_sms=True).button_validate()
        return return_picking

    @classmethod
    def _create_move(cls, move_type, amount, invoice_date):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": cls.customer.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": False,
                "invoice_date_due": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.kit.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move


PORTAL = "portal"
INTERNAL = "internal"
USER = "user"
MANAGER = "manager"
ROLES = (PORTAL, INTERNAL, USER, MANAGER)


class CrmRelationshipTwoCompaniesCase(CrmRelationshipCase):
    """Company A (the main one) and company B, each with a customer and every kind of record
    of the add-ons, users of every role, and a portal user of the customer of A."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta Riservata S.p.A.", "currency_id": cls.company_a.currency_id.id}
        )
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company_b, install_demo=False)
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company_a.id, cls.company_b.id])
        )
        # Users of company A who also work for B: in the web client with only A active.
        for user in (cls.rel_user, cls.rel_manager):
            user.write({"company_ids": [Command.link(cls.company_b.id)]})
        cls.customer_a = cls._create_call_customer("Alfa Clienti", company_id=cls.company_a.id)
        cls.portal_user = new_test_user(
            cls.env, login="portal_alfa", name="Portale Alfa", groups="base.group_portal"
        )
        cls.portal_user.partner_id.parent_id = cls.customer_a
        cls.user_b = new_test_user(
            cls.env,
            login="rel_user_beta",
            name="Operatore Beta",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.users = {
            PORTAL: cls.portal_user,
            INTERNAL: cls.internal_user,
            USER: cls.rel_user,
            MANAGER: cls.rel_manager,
        }
        cls.records_b = cls._create_company_b_records()

    @classmethod
    def _create_company_b_records(cls):
        """``{model: records of company B}`` for every kind of record of the add-ons."""
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company_b.id]))
        company = cls.company_b
        cls.customer_b = env["res.partner"].create(
            {"name": "Cliente Segreto Beta", "is_company": True, "company_id": company.id}
        )
        cls.product = env["product.product"].create(
            {"name": "Caldaia Beta", "type": "consu", "list_price": 900.0, "taxes_id": [Command.clear()]}
        )
        cls.order_b = env["sale.order"].create(
            {
                "partner_id": cls.customer_b.id,
                "company_id": company.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1})],
            }
        )
        cls.invoice_b = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer_b.id,
                "company_id": company.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.product.id, "quantity": 1, "price_unit": 900.0, "tax_ids": []}
                    )
                ],
            }
        )
        cls.invoice_b.action_post()
        cls.call_b = (
            env["crm.relationship.call"]
            .with_user(cls.user_b)
            .with_context(allowed_company_ids=company.ids)
            .create({"partner_id": cls.customer_b.id, "subject": "Chiamata riservata Beta"})
            .sudo()
            .with_env(env)
        )
        equipment_category = env["crm.relationship.equipment.category"].create(
            {"name": "Categoria Beta", "company_id": company.id}
        )
        cls.equipment_b = env["crm.relationship.equipment"].create(
            {
                "partner_id": cls.customer_b.id,
                "product_id": cls.product.id,
                "company_id": company.id,
                "serial_number": "BETA-SN-0001",
                "category_id": equipment_category.id,
            }
        )
        defect_category = env["crm.relationship.defect.category"].create(
            {"name": "Difetto Beta", "company_id": company.id}
        )
        route = env["crm.relationship.defect.route"].create(
            {"name": "Instradamento Beta", "company_id": company.id, "department": "production"}
        )
        cls.defect_b = env["crm.relationship.defect"].create(
            {
                "partner_id": cls.customer_b.id,
                "product_id": cls.product.id,
                "equipment_id": cls.equipment_b.id,
                "company_id": company.id,
                "category_id": defect_category.id,
            }
        )
        cls.event_rule_b = env["crm.relationship.event.rule"].create(
            {
                "name": "Regola Beta",
                "company_id": company.id,
                "rule_type": "no_purchase",
                "days": 30,
                "responsible_type": "user",
                "user_id": cls.user_b.id,
            }
        )
        event_log = env["crm.relationship.event.log"].create(
            {"rule_id": cls.event_rule_b.id, "partner_id": cls.customer_b.id, "period_key": "beta"}
        )
        records = {
            "crm.relationship.call": cls.call_b,
            "crm.relationship.equipment": cls.equipment_b,
            "crm.relationship.equipment.category": equipment_category,
            "crm.relationship.defect": cls.defect_b,
            "crm.relationship.defect.category": defect_category,
            "crm.relationship.defect.route": route,
            "crm.relationship.event.rule": cls.event_rule_b,
            "crm.relationship.event.log": event_log,
        }
        records["crm.relationship.defect.recall.log"] = env["crm.relationship.defect.recall.log"].create(
            {"defect_id": cls.defect_b.id, "user_id": cls.user_b.id, "mode": "call"}
        )
        records["crm.relationship.segment.move"] = (
            env["crm.relationship.segment.move"]
            .sudo()
            .create(
                {
                    "partner_id": cls.customer_b.id,
                    "company_id": company.id,
                    "segment_to_id": env.ref("crm_relationship.crm_relationship_rfm_segment_champions").id,
                    "score_to": 14,
                }
            )
            .sudo(False)
        )
        value_model = (
            env["crm.relationship.value.model"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "date": fields.Date.today(),
                    "state": "done",
                    "line_ids": [
                        Command.create(
                            {
                                "purchases_group": "0",
                                "series": "actual",
                                "customer_count": 1,
                                "purchases": 1.0,
                            }
                        )
                    ],
                }
            )
            .sudo(False)
        )
        records["crm.relationship.value.model"] = value_model
        records["crm.relationship.value.model.line"] = value_model.line_ids
        if "crm.relationship.mailing.audience" in env:
            # a mailing of company B to its customer (e-mail marketing bridge), its audience and effect
            mailing = (
                env["mailing.mailing"]
                .sudo()
                .create(
                    {
                        "subject": "Offerta Beta",
                        "mailing_model_id": env["ir.model"]._get_id("res.partner"),
                        "mailing_domain": repr([("id", "=", cls.customer_b.id)]),
                        "user_id": cls.user_b.id,
                    }
                )
            )
            env["crm.relationship.mailing.audience"].sudo()._snapshot(
                mailing, env["res.partner"]._search([("id", "=", cls.customer_b.id)]), 0, company
            )
            records["crm.relationship.mailing.audience"] = mailing.sudo().crm_audience_ids.sudo(False)
            records["mailing.mailing"] = mailing.sudo(False)
        if "crm.relationship.pbx" in env:
            records.update(cls._create_company_b_phone_records(env))
        if "crm.relationship.satisfaction.report" in env:
            # the customer's answer to company B's satisfaction request (portal add-on)
            records["rating.rating"] = (
                env["rating.rating"]
                .sudo()
                .create(
                    {
                        "res_model_id": env["ir.model"]._get_id("crm.relationship.defect"),
                        "res_id": cls.defect_b.id,
                        "partner_id": cls.customer_b.id,
                        "rating": 5,
                        "consumed": True,
                    }
                )
            )
        if "crm.relationship.conversion.report" in env:
            # an opportunity of company B (CRM bridge), a row of the pipeline conversion
            env["crm.lead"].sudo().create(
                {
                    "name": "Caldaie Beta",
                    "type": "opportunity",
                    "partner_id": cls.customer_b.id,
                    "company_id": company.id,
                    "user_id": cls.user_b.id,
                }
            )
        env.flush_all()
        company_b_domain = Domain("company_id", "=", company.id)
        records["crm.relationship.timeline"] = env["crm.relationship.timeline"].search(
            company_b_domain & Domain("commercial_partner_id", "=", cls.customer_b.id)
        )
        for report in (
            "crm.relationship.profitability.report",
            "crm.relationship.staff.report",
            "crm.relationship.defect.report",
            "crm.relationship.satisfaction.report",
            "crm.relationship.conversion.report",
            "crm.relationship.mailing.effect.report",
        ):
            if report in env:
                records[report] = env[report].search(company_b_domain)
        return records

    @classmethod
    def _create_company_b_phone_records(cls, env):
        """Company B's phone system, extension, queue and a call it reported (telephony add-on)."""
        pbx = env["crm.relationship.pbx"].create(
            {"name": "Centralino Beta", "company_id": cls.company_b.id, "responsible_id": cls.user_b.id}
        )
        extension = env["crm.relationship.pbx.extension"].create(
            {"pbx_id": pbx.id, "name": "301", "user_id": cls.user_b.id}
        )
        queue = env["crm.relationship.pbx.queue"].create(
            {"pbx_id": pbx.id, "code": "900", "name": "Coda Beta", "user_ids": [Command.link(cls.user_b.id)]}
        )
        PhoneCall = env["crm.relationship.phone.call"]
        event = PhoneCall._crm_normalize_event(
            {"call_id": "beta-1", "event": "ringing", "number": "+39 02 1111 2222"}
        )
        ((phone_call, __),) = PhoneCall._crm_handle_events(pbx, [event])
        return {
            "crm.relationship.pbx": pbx,
            "crm.relationship.pbx.extension": extension,
            "crm.relationship.pbx.queue": queue,
            "crm.relationship.phone.call": phone_call.sudo(False).with_env(env),
        }

    def _as(self, role, *companies):
        """An environment of the user of ``role`` in the web client with ``companies`` active."""
        user = self.users[role]
        companies = companies or (user.company_id,)
        return self.env(
            user=user, context=dict(self.env.context, allowed_company_ids=[c.id for c in companies])
        )
