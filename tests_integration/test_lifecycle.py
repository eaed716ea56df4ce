"""Install, upgrade and uninstall the add-ons in real databases, as a company would.

Each test works on its own copy of the database that ``make test`` builds with
Odoo's own modules and their demo data but without our add-ons
(``CRM_TEST_BASE_DB``), and drives Odoo in a separate process: installing or
uninstalling a module cannot happen inside the test run's own registry.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

CONF = os.environ.get("CRM_ODOO_CONF")
BASE_DB = os.environ.get("CRM_TEST_BASE_DB")
MODULES = os.environ.get("CRM_MODULES", "crm_relationship")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The add-ons as a database upgraded to 19.0.2.0.0 has them: 19.0.1.3.0, before
# the XML ids followed the style guide.
OLDER_COMMIT = "415266615e323578b5a8ce4192dbf58237bcc010"
# The add-ons that existed at OLDER_COMMIT (later ones are installed new, not upgraded).
OLDER_MODULES = ("crm_relationship", "crm_relationship_mrp")

# XML ids renamed by 19.0.2.0.0: an upgraded database keeps the same records under their new ids.
RENAMED_XMLIDS = {
    "crm_relationship.product_category_view_form": (
        "crm_relationship.product_category_view_form_inherit_crm_relationship"
    ),
    "crm_relationship.product_template_view_form": (
        "crm_relationship.product_template_view_form_inherit_crm_relationship"
    ),
    "crm_relationship.res_config_settings_view_form": (
        "crm_relationship.res_config_settings_view_form_inherit_crm_relationship"
    ),
    "crm_relationship.stock_lot_view_form": "crm_relationship.stock_lot_view_form_inherit_crm_relationship",
    "crm_relationship.res_partner_view_search_customer_card": (
        "crm_relationship.res_partner_view_search_inherit_crm_relationship"
    ),
    "crm_relationship.crm_relationship_call_action_no_next_action": (
        "crm_relationship.res_partner_action_no_next_action"
    ),
    "crm_relationship.crm_relationship_call_action_overdue_next_action": (
        "crm_relationship.mail_activity_action_overdue_next_action"
    ),
    "crm_relationship.crm_relationship_call_menu_no_next_action": (
        "crm_relationship.res_partner_menu_no_next_action"
    ),
    "crm_relationship.crm_relationship_call_menu_overdue_next_action": (
        "crm_relationship.mail_activity_menu_overdue_next_action"
    ),
    "crm_relationship.crm_relationship_settings_menu": (
        "crm_relationship.res_config_settings_menu_crm_relationship"
    ),
    "crm_relationship_mrp.crm_relationship_defect_view_form": (
        "crm_relationship_mrp.crm_relationship_defect_view_form_inherit_crm_relationship_mrp"
    ),
}
UI_MODELS = ("ir.ui.view", "ir.actions.act_window", "ir.ui.menu")


def _db_params():
    import configparser  # noqa: PLC0415

    parser = configparser.ConfigParser()
    parser.read(CONF)
    options = parser["options"]
    return {
        "host": options.get("db_host"),
        "port": options.get("db_port"),
        "user": options.get("db_user"),
        "password": options.get("db_password"),
        "dbname": "postgres",
        "data_dir": options.get("data_dir"),
    }


def _admin(sql):
    import psycopg2  # noqa: PLC0415

    params = _db_params()
    params.pop("data_dir")
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(sql)
    finally:
        connection.close()


@pytest.fixture
def history_db():
    """A copy of the base database (Odoo's modules and data, not ours), dropped afterwards."""
    if not (CONF and BASE_DB):
        pytest.fail(
            "Run through `make test`: CRM_ODOO_CONF and CRM_TEST_BASE_DB must name the base database."
        )
    name = f"crm_it_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{BASE_DB}"')
    filestore = os.path.join(_db_params()["data_dir"], "filestore")
    if os.path.isdir(os.path.join(filestore, BASE_DB)):
        shutil.copytree(os.path.join(filestore, BASE_DB), os.path.join(filestore, name))
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(os.path.join(filestore, name), ignore_errors=True)


def _addons_path_option(addons_path):
    return [f"--addons-path={addons_path}"] if addons_path else []


def odoo(db, *args, addons_path=None):
    """Run Odoo's command line on ``db``; fail the test with its output if it fails."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            CONF,
            *_addons_path_option(addons_path),
            "-d",
            db,
            "--log-level=warn",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def shell(db, script, addons_path=None):
    """Run ``script`` in an Odoo shell on ``db``; it sets ``result``, returned decoded from JSON."""
    wrapped = script + "\nenv.cr.commit()\nprint('@@RESULT@@' + json.dumps(result, default=str))\n"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "shell",
            "-c",
            CONF,
            *_addons_path_option(addons_path),
            "-d",
            db,
            "--no-http",
            "--log-level=warn",
        ],
        input="import json\n" + wrapped,
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            return json.loads(line[len("@@RESULT@@") :])
    raise AssertionError(f"The Odoo shell script failed:\n{result.stdout}\n{result.stderr}")


HISTORY_SCRIPT = """
from odoo import Command
stock = env.user._get_default_warehouse_id().lot_stock_id
customer = env["res.partner"].create({"name": "Cliente Storico S.p.A.", "is_company": True})
contact = env["res.partner"].create({"name": "Mario Storico", "parent_id": customer.id})
product = env["product.product"].create({
    "name": "Storico boiler", "is_storable": True, "tracking": "serial", "list_price": 500.0,
    "invoice_policy": "delivery", "taxes_id": [Command.clear()],
})
lots = env["stock.lot"].create([{"name": n, "product_id": product.id} for n in ("ST-001", "ST-002")])
for lot in lots:
    env["stock.quant"]._update_available_quantity(product, stock, 1, lot_id=lot)
order = env["sale.order"].create({
    "partner_id": contact.id,
    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
})
order.action_confirm()
order.picking_ids.move_ids.picked = True
order.picking_ids.with_context(skip_sms=True).button_validate()
invoice = order._create_invoices()
invoice.action_post()
result = {
    "customer": customer.id, "contact": contact.id, "product": product.id, "order": order.name,
    "picking": order.picking_ids.name, "picking_state": order.picking_ids.state,
    "invoice": invoice.name, "amount": invoice.amount_total,
}
"""


def _odoo_records_script():
    """Ids of the records of Odoo's apps, leaving out the ones our add-ons' data files created."""
    return """
from odoo.tools import SQL
result = {}
for model in ("res.partner", "sale.order", "stock.picking", "stock.move.line", "stock.lot", "account.move"):
    table = env[model]._table
    rows = env.execute_query(SQL(
        "SELECT id FROM %s t WHERE NOT EXISTS (SELECT 1 FROM ir_model_data d WHERE d.model = %s "
        "AND d.res_id = t.id AND d.module LIKE 'crm_relationship%%') ORDER BY id",
        SQL.identifier(table), model,
    ))
    result[model] = [row[0] for row in rows]
"""


def test_install_into_a_database_with_history(history_db):
    history = shell(history_db, HISTORY_SCRIPT)
    assert history["picking_state"] == "done"
    odoo(history_db, "-i", MODULES, "--stop-after-init")
    card = shell(
        history_db,
        f"""
customer = env["res.partner"].browse({history["customer"]})
contact = env["res.partner"].browse({history["contact"]})
product = env["product.product"].browse({history["product"]})
product.crm_register_equipment = True
wizard = env["crm.relationship.equipment.register"].create({{}})
preview = wizard.equipment_to_create_count
wizard.action_register()
equipment = env["crm.relationship.equipment"].search([("partner_id", "=", customer.id)])
result = {{
    "orders": contact.crm_order_count, "deliveries": customer.crm_delivery_count,
    "invoices": customer.crm_invoice_count, "due": customer.crm_amount_due,
    "timeline": [[e.entry_type, e.name] for e in customer.crm_timeline_ids],
    "preview": preview, "serials": sorted(equipment.mapped("serial_number")),
}}
""",
    )
    assert card["orders"] == 1
    assert card["deliveries"] == 1
    assert card["invoices"] == 1
    assert card["due"] == history["amount"] == 1000.0
    names = {name for _entry_type, name in card["timeline"]}
    assert {history["order"], history["picking"], history["invoice"]} <= names, card["timeline"]
    assert all(name for _entry_type, name in card["timeline"]), card["timeline"]
    assert card["preview"] == 2, "the wizard previews one unit per delivered serial"
    assert card["serials"] == ["ST-001", "ST-002"]


def test_uninstall_keeps_odoo_data(history_db):
    shell(history_db, HISTORY_SCRIPT)
    odoo(history_db, "-i", MODULES, "--stop-after-init")
    before = shell(history_db, _odoo_records_script())
    uninstalled = shell(
        history_db,
        """
modules = env["ir.module.module"].search(
    [("name", "=like", "crm_relationship%"), ("state", "=", "installed")]
)
names = sorted(modules.mapped("name"))
modules.button_immediate_uninstall()
result = names
""",
    )
    assert "crm_relationship" in uninstalled
    after = shell(
        history_db,
        _odoo_records_script()
        + """
views = env["res.partner"].get_views([(False, "form"), (False, "list")])
partner = env["res.partner"].search([("name", "=", "Cliente Storico S.p.A.")])
result["partner_form_fields"] = len(views["models"]["res.partner"]["fields"])
result["partner_read"] = partner.read(["name", "sale_order_count"])[0]["sale_order_count"]
result["installed"] = env["ir.module.module"].search_count(
    [("name", "=like", "crm_relationship%"), ("state", "=", "installed")]
)
result["tables"] = env.execute_query(
    __import__("odoo").tools.SQL("SELECT count(*) FROM pg_class WHERE relname LIKE 'crm_relationship%%'")
)[0][0]
""",
    )
    assert after["installed"] == 0
    assert after["tables"] == 0, "our tables and views are gone"
    for model, ids in before.items():
        assert ids, model
        assert not set(ids) - set(after[model]), f"{model} records of Odoo's apps were deleted"
    assert after["partner_form_fields"] > 0
    assert after["partner_read"] == 1


def _manifest(module):
    with open(os.path.join(ROOT, module, "__manifest__.py"), encoding="utf-8") as file:
        return ast.literal_eval(file.read())


def _manifest_version(module):
    return _manifest(module)["version"]


def _manifest_auto_install(module):
    return bool(_manifest(module).get("auto_install"))


@pytest.fixture
def older_addons_path(tmp_path):
    """Odoo's addons path with our add-ons as OLDER_COMMIT has them instead of this checkout's."""
    import configparser  # noqa: PLC0415

    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", OLDER_COMMIT, *OLDER_MODULES],
        capture_output=True,
        check=False,
    )
    assert archive.returncode == 0, (
        f"The add-ons of {OLDER_COMMIT} could not be read: the test needs a clone with the project's history."
        f"\n{archive.stderr.decode()}"
    )
    older = tmp_path / "older"
    older.mkdir()
    subprocess.run(["tar", "-x", "-C", str(older)], input=archive.stdout, check=True)
    parser = configparser.ConfigParser()
    parser.read(CONF)
    paths = parser["options"]["addons_path"].split(",")
    odoo_paths = [path for path in paths if os.path.realpath(path.strip()) != os.path.realpath(ROOT)]
    assert len(odoo_paths) < len(paths), f"{CONF} must serve the add-ons of {ROOT}"
    return ",".join([*odoo_paths, str(older)])


def _xmlids_script(modules):
    """The views, actions and menus of ``modules`` by XML id, and how many of them the database has."""
    return f"""
from odoo.tools import SQL
result = {{"xmlids": {{}}, "totals": {{}}}}
for data in env["ir.model.data"].search([("module", "in", {modules!r}), ("model", "in", {UI_MODELS!r})]):
    result["xmlids"][data.complete_name] = [data.model, data.res_id]
for model in {UI_MODELS!r}:
    query = SQL("SELECT count(*) FROM %s", SQL.identifier(env[model]._table))
    result["totals"][model] = env.execute_query(query)[0][0]
"""


def test_upgrade_from_19_0_1_0_0_runs_the_migrations(history_db, older_addons_path):
    """Install the add-ons of an older commit, then upgrade them to this checkout's code.

    The database claims to come from 19.0.1.0.0, so that every migration runs.
    """
    modules = [module for module in MODULES.split(",") if module in OLDER_MODULES]
    # Bridges to apps the database has (Calendar, CRM) install themselves with the upgrade.
    bridges = [
        module
        for module in MODULES.split(",")
        if module not in OLDER_MODULES and _manifest_auto_install(module)
    ]
    tracked = modules + bridges
    history = shell(history_db, HISTORY_SCRIPT)
    odoo(history_db, "-i", ",".join(modules), "--stop-after-init", addons_path=older_addons_path)
    older = shell(
        history_db,
        _xmlids_script(tracked)
        + """
env.execute_query(SQL(
    "UPDATE ir_module_module SET latest_version = '19.0.1.0.0' WHERE name = 'crm_relationship'"
))
env.execute_query(SQL("UPDATE res_partner SET crm_rfm_score = NULL, crm_segment_id = NULL"))
old_alias = env["mail.alias"].create({
    "alias_name": "def-2026-9999",
    "alias_model_id": env["ir.model"]._get_id("crm.relationship.defect"),
    "alias_contact": "everyone",
})
result["old_alias"] = old_alias.id
""",
        addons_path=older_addons_path,
    )
    renamed = {old: new for old, new in RENAMED_XMLIDS.items() if old.split(".")[0] in modules}
    assert set(renamed) <= set(older["xmlids"]), "the older commit has the XML ids before their renaming"
    odoo(history_db, "-u", ",".join(modules), "--stop-after-init")
    upgraded = shell(
        history_db,
        _xmlids_script(tracked)
        + f"""
from collections import Counter
customer = env["res.partner"].browse({history["customer"]})
installed = env["ir.module.module"].search([("name", "in", {tracked!r}), ("state", "=", "installed")])
result.update({{
    "versions": {{module.name: module.latest_version for module in installed}},
    "score": customer.crm_rfm_score,
    "segment": customer.crm_segment_id.name,
    "old_alias": bool(env["mail.alias"].browse({older["old_alias"]}).exists()),
    "resolved": {{
        new: env.ref(new, raise_if_not_found=False) and env.ref(new).id for new in {list(renamed.values())!r}
    }},
    "old_xmlids_left": [old for old in {list(renamed)!r} if env.ref(old, raise_if_not_found=False)],
    "dangling": [
        name for name, (model, res_id) in result["xmlids"].items() if not env[model].browse(res_id).exists()
    ],
}})
ours = {{model: env[model].browse() for model in {UI_MODELS!r}}}
for model, res_id in result["xmlids"].values():
    ours[model] |= env[model].browse(res_id).exists()
keys = {{
    "ir.ui.view": lambda view: (view.model, view.name),
    "ir.actions.act_window": lambda action: (action.res_model, action.name),
    "ir.ui.menu": lambda menu: (menu.parent_id.id, menu.name),
}}
result["duplicates"] = {{
    model: [str(key) for key, count in Counter(map(keys[model], records)).items() if count > 1]
    for model, records in ours.items()
}}
menu = env.ref("crm_relationship.res_partner_menu_no_next_action")
result["menu_action"] = menu.action == env.ref("crm_relationship.res_partner_action_no_next_action")
search_arch = env["res.partner"].get_views([(False, "search")])["views"]["search"]["arch"]
result["partner_filter"] = 'name="crm_no_next_action"' in search_arch
""",
    )
    for module in tracked:
        assert upgraded["versions"].get(module) == _manifest_version(module), (
            f"{module} is installed and up to date"
        )
    assert upgraded["score"], "the migration scored the customer"
    assert upgraded["segment"], "and gave it its segment"
    assert not upgraded["old_alias"], "the per-report aliases of 19.0.1.1.0 are removed"

    for old, new in renamed.items():
        assert upgraded["resolved"][new] == older["xmlids"][old][1], f"{new} is the record {old} was"
        assert old not in upgraded["xmlids"]
    assert upgraded["old_xmlids_left"] == [], "no XML id of the older names is left"
    assert upgraded["dangling"] == [], "every XML id names a record"
    kept = {tuple(record) for record in older["xmlids"].values()}
    lost = kept - {tuple(record) for record in upgraded["xmlids"].values()}
    assert not lost, f"views, actions or menus were deleted or created again: {sorted(lost)}"
    for model in UI_MODELS:
        created = sum(1 for m, _res_id in upgraded["xmlids"].values() if m == model) - sum(
            1 for m, _res_id in older["xmlids"].values() if m == model
        )
        assert upgraded["totals"][model] - older["totals"][model] == created, (
            f"{model}: the upgrade created records without an XML id of ours (duplicates)"
        )
    assert upgraded["duplicates"] == {model: [] for model in UI_MODELS}
    assert upgraded["menu_action"], "the renamed menu opens the renamed action"
    assert upgraded["partner_filter"], "the renamed extension of the partners' search view still applies"


OLD_PHONES_SCRIPT = """
from odoo.tools import SQL
Partner = env["res.partner"]
partners = Partner.create([
    {"name": "Impianti Milano", "phone": "02 8945 1120", "country_id": env.ref("base.it").id},
    {"name": "Impianti Zurigo", "phone": "044 668 18 00", "country_id": env.ref("base.ch").id},
    {"name": "Numero Sbagliato", "phone": "12", "country_id": env.ref("base.it").id},
    {"name": "Senza Telefono", "country_id": env.ref("base.it").id},
])
# A database of 19.0.1.3.0 run without the phonenumbers library: the add-on's own column, and the
# numbers stored in phone_sanitized as typed.
env.execute_query(SQL(
    "UPDATE ir_module_module SET latest_version = '19.0.1.3.0' WHERE name = 'crm_relationship'"
))
env.execute_query(SQL("ALTER TABLE res_partner ADD COLUMN crm_phone_normalized varchar"))
env.execute_query(SQL(
    "CREATE INDEX res_partner__crm_phone_normalized_index ON res_partner (crm_phone_normalized)"
))
env.execute_query(SQL(
    "UPDATE res_partner SET phone_sanitized = coalesce(phone, '+390200000000'), "
    "crm_phone_normalized = phone WHERE id = ANY(%s)",
    partners.ids,
))
result = partners.ids
"""


def test_upgrade_to_19_0_2_0_0_stores_e164_phones(history_db):
    odoo(history_db, "-i", "crm_relationship", "--stop-after-init")
    milano, zurigo, wrong, without = shell(history_db, OLD_PHONES_SCRIPT)
    odoo(history_db, "-u", "crm_relationship", "--stop-after-init")
    upgraded = shell(
        history_db,
        f"""
from odoo.tools import SQL, sql
partners = env["res.partner"].browse({[milano, zurigo, wrong, without]})
italy = env["res.company"].search([("partner_id.country_id.code", "=", "IT")], limit=1)
result = {{
    "version": env["ir.module.module"].search([("name", "=", "crm_relationship")]).latest_version,
    "column": sql.column_exists(env.cr, "res_partner", "crm_phone_normalized"),
    "sanitized": partners.mapped(lambda partner: partner.phone_sanitized or None),
    "index": env.execute_query(SQL(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'res_partner' "
        "AND indexdef LIKE '%%(phone_sanitized)%%'"
    )),
    "found": env["res.partner"].with_context(allowed_company_ids=italy.ids)
        ._crm_search_by_phone("0039 02 8945 1120").ids,
}}
""",
    )
    assert upgraded["version"] == _manifest_version("crm_relationship")
    assert not upgraded["column"], "the add-on's normalized phones are dropped"
    assert upgraded["sanitized"] == ["+390289451120", "+41446681800", None, None], upgraded["sanitized"]
    assert upgraded["index"] == [["res_partner_phone_sanitized_idx"]]
    assert milano in upgraded["found"]
