"""Realistic-company generator: ten years of an Italian heating-equipment distributor.

Usage (from the repository root)::

    .venv/bin/python bench/generate_company.py --db crm_relationship_bench [--scale 1.0]
        [--template crm_relationship_test] [--seed 42] [--no-update]

The database ``--db`` is dropped and created again as a copy of ``--template``
(``createdb -T``; the template needs both add-ons installed with the Italian
demo company "Termotecnica Emiliana S.r.l." as the administrator's company; it is
never modified, and its filestore is copied too). The add-ons are then updated
(``-u``) so the copy matches the code in the working tree (skip it with
``--no-update``). At ``--scale 1.0`` it seeds, in about four minutes on two cores:

- 2,000 customer companies and 10,000 contacts with Italian names, addresses,
  provinces, e-mails and phone numbers written in mixed formats; five
  salespeople, two call-center operators and the benchmark user;
- about 100,000 sale orders (quotations, sent offers, orders, cancelled ones),
  100,000 delivery notes (deliveries, backorders, a few returns, direct
  shipments), 100,000 posted customer invoices and credit notes, and ~35,000
  payments (full, grouped, partial; unpaid invoices mostly recent, many overdue);
- a second company ("My Company (San Francisco)", in USD) and a second currency
  (orders and invoices in USD in the Italian company too);
- equipment registered from serial-numbered deliveries, and defect reports;
- 50,000 calls, 30,000 open activities on customers, contacts and documents,
  and 1,000,000 chatter messages (comments, e-mails, notifications) on
  customers and documents, over ten years;
- a long tail: three customers with 5,000-9,000 documents each, the median one
  with about 11.

Method: every kind of document is first made once through the ORM, as a user
would (confirm, deliver, invoice, register a payment, return, refund), in a
*chain* (for example: order -> delivery -> invoice -> payment). The rows each
chain created, in every table, are then copied by bulk SQL (``INSERT ...
SELECT`` over a per-copy plan), so every NOT NULL column, line, stored compute,
reconciliation, follower and tracking message is realistic. Each copy gets new
ids from the sequences, and every foreign key that points inside the chain is
rewritten to the copy's row; the customer, contact and salesperson, the dates
(shifted together) and the amounts (an integer factor, so taxes and balances
stay exact) come from the plan; names (orders, delivery notes, invoices, lots)
are renumbered. Customers and contacts are copies of one company and one
contact made through the ORM, whose stored computed fields the ORM then
recomputes. Before anything is made, the id sequences of ``mail_message``,
``sale_order``, ``account_move``, ``stock_picking``, ``account_payment`` and of
the add-ons' tables are pushed past 2^31/1000, as in a ten-year-old database.
The foreign keys of the tables copied into are dropped for the bulk load and
added back (so checked) before the single transaction commits. The add-ons'
post-install hooks then run once, so what they store from existing data (the
customers' next action and last contact) is computed as when the add-ons are
installed on a company with a history; then the database is ANALYZEd.

The benchmark user (login ``crm_bench``, password ``crm_bench``) is an
internal user of the Italian company with Relationship User, Sales "own
documents only" and Billing; the biggest customer and a share of the others
are assigned to it. ``--scale 0.1`` seeds a tenth of everything in about a
minute, for quick tries.
"""

import argparse
import bisect
import importlib
import io
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from statistics import NormalDist

import odoo
import odoo.api
import odoo.modules.registry
from odoo.fields import Command
from odoo.modules.module import get_manifest
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Ids of these tables start past 2^31 / 1000 (a row id of ``id * 1000 + n``
# overflows a 32-bit integer from there).
OLD_DATABASE_ID = 2_200_000
AGED_TABLES = ("mail_message", "sale_order", "account_move", "stock_picking", "account_payment")
AGED_TABLE_PREFIXES = ("crm_relationship_",)

BENCH_LOGIN = "crm_bench"
ADDONS = ("crm_relationship", "crm_relationship_mrp")

# Tables whose rows a chain may create but that are never copied: stock levels,
# sequences, logs, queues, master data, and the customers themselves.
UNCOPIED_TABLES = {
    "stock_quant",
    "stock_valuation_layer",
    "res_partner",
    "res_users",
    "res_users_log",
    "res_company",
    "product_product",
    "product_template",
    "res_currency_rate",
    "ir_sequence",
    "ir_sequence_date_range",
    "ir_attachment",
    "ir_model_data",
    "ir_cron_trigger",
    "ir_cron_progress",
    "bus_bus",
    "bus_presence",
    "mail_mail",
    "mail_message_reaction",
    "res_partner_bank",
}

# (model column, res_id column) of the tables pointing at any record.
REFERENCE_COLUMNS = {
    "mail_message": ("model", "res_id"),
    "mail_followers": ("res_model", "res_id"),
    "mail_activity": ("res_model", "res_id"),
}

# Columns repeating the name of a parent row, copied from the parent's copy:
# (table, column) -> (foreign key, parent table, parent column).
REPEATED_NAMES = {
    ("account_move_line", "move_name"): ("move_id", "account_move", "name"),
    ("account_payment", "name"): ("move_id", "account_move", "name"),
    ("stock_move", "reference"): ("picking_id", "stock_picking", "name"),
    ("stock_move_line", "reference"): ("picking_id", "stock_picking", "name"),
    ("stock_picking", "origin"): ("sale_id", "sale_order", "name"),
    ("crm_relationship_equipment", "serial_number"): ("lot_id", "stock_lot", "name"),
}

# Float (not monetary) columns holding amounts: scaled with the copy's factor.
AMOUNT_FLOAT_FIELDS = {"price_unit", "technical_price_unit", "price_reduce_taxexcl", "price_reduce_taxinc"}

# Counts at scale 1.0 and date spread of each chain (see Generator._build_chains).
# Spread: "life" = anywhere in the customer's history, ("recent", days) = in the last days.
CHAINS = [
    # key, copies, spread
    ("quotation", 16_000, "life"),
    ("quotation_sent", 10_500, "life"),
    ("order_cancelled", 5_000, "life"),
    ("order_to_deliver", 2_000, ("recent", 45)),
    ("order_delivered", 3_000, ("recent", 60)),
    ("order_backorder_paid", 9_000, "life"),
    ("orders_grouped_payment", 9_000, "life"),
    ("order_paid", 4_000, "life"),
    ("order_unpaid", 6_000, ("recent", 100)),
    ("order_unpaid_old", 400, "life"),
    ("order_partial", 2_000, ("recent", 200)),
    ("order_returned", 1_500, "life"),
    ("order_equipment", 1_200, "life"),
    ("order_equipment_defect", 300, ("recent", 400)),
    ("order_usd", 1_000, "life"),
    ("order_company2", 1_500, "life"),
    ("order_company2_unpaid", 300, ("recent", 90)),
    ("maintenance_invoices", 5_500, "life"),
    ("maintenance_unpaid", 2_500, ("recent", 90)),
    ("direct_delivery", 15_000, "life"),
    ("call_closed", 42_000, "life"),
    ("call_followup", 6_000, "life"),
    ("call_open", 2_000, ("recent", 30)),
]

CUSTOMERS = 2_000
CONTACTS = 10_000
MESSAGES = 1_000_000
ACTIVITIES = 30_000
BIG_CUSTOMERS = (8_600, 7_000, 5_400)  # documents of the three biggest customers
MEDIAN_DOCUMENTS = 11
YEARS = 10

FIRST_NAMES = (  # noqa: SIM905
    "Marco Giulia Luca Francesca Alessandro Chiara Andrea Sara Matteo Valentina Lorenzo Elena Davide "
    "Martina Simone Federica Stefano Silvia Roberto Laura Giuseppe Anna Paolo Elisa Francesco "
    "Alessia Riccardo Giorgia Fabio Claudia Massimo Paola Antonio Roberta Giovanni Monica Daniele "
    "Cristina Emanuele Ilaria Nicola Barbara Michele Serena Filippo Veronica Tommaso Beatrice Pietro "
    "Camilla"
).split()
SURNAMES = (  # noqa: SIM905
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti "
    "Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso "
    "Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola Marchetti "
    "Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala Gatti "
    "Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi "
    "Pellegrino Carbone Giuliani"
).split()
COMPANY_PATTERNS = (
    "{s} Impianti S.r.l.",
    "Termoidraulica {s} S.n.c.",
    "{s} & {s2} S.r.l.",
    "Idrotermica {c} S.r.l.",
    "{s} Caldaie S.p.A.",
    "Clima {c} S.r.l.",
    "Impianti Termici {s} S.a.s.",
    "{s} Riscaldamento S.r.l.",
    "Edil {s} Costruzioni S.r.l.",
    "Hotel {s2} {c}",
    "{s} Energia S.r.l.",
    "Studio Tecnico {s}",
    "Ristorante Da {f}",
    "Condominio {st}, {c}",
    "{s} Service S.r.l.",
    "Officine {s} S.p.A.",
)
STREETS = (
    "Via Roma",
    "Via Garibaldi",
    "Via Mazzini",
    "Corso Italia",
    "Via Dante Alighieri",
    "Via Verdi",
    "Via Emilia",
    "Viale della Repubblica",
    "Via Matteotti",
    "Piazza della Libertà",
    "Via Marconi",
    "Via Cavour",
    "Via dell'Industria",
    "Via dell'Artigianato",
    "Via Gramsci",
    "Via Galileo Galilei",
    "Via Leonardo da Vinci",
    "Via XX Settembre",
    "Via IV Novembre",
    "Via San Francesco",
)
# city, zip, province code, telephone area code; Emilia-Romagna (the company's
# region) is listed twice so most customers are near Bologna.
CITIES = [
    ("Milano", "20121", "MI", "02"),
    ("Roma", "00184", "RM", "06"),
    ("Torino", "10121", "TO", "011"),
    ("Napoli", "80133", "NA", "081"),
    ("Firenze", "50123", "FI", "055"),
    ("Venezia", "30121", "VE", "041"),
    ("Genova", "16121", "GE", "010"),
    ("Verona", "37121", "VR", "045"),
    ("Padova", "35121", "PD", "049"),
    ("Brescia", "25121", "BS", "030"),
    ("Bergamo", "24121", "BG", "035"),
    ("Trento", "38122", "TN", "0461"),
    ("Udine", "33100", "UD", "0432"),
    ("Treviso", "31100", "TV", "0422"),
    ("Vicenza", "36100", "VI", "0444"),
    ("Mantova", "46100", "MN", "0376"),
    ("Cremona", "26100", "CR", "0372"),
    ("Como", "22100", "CO", "031"),
    ("Ancona", "60121", "AN", "071"),
    ("Perugia", "06121", "PG", "075"),
    ("Pescara", "65121", "PE", "085"),
    ("Bari", "70121", "BA", "080"),
    ("Palermo", "90133", "PA", "091"),
    ("Cagliari", "09124", "CA", "070"),
    ("Pisa", "56121", "PI", "050"),
] + 2 * [
    ("Bologna", "40121", "BO", "051"),
    ("Modena", "41121", "MO", "059"),
    ("Parma", "43121", "PR", "0521"),
    ("Reggio Emilia", "42121", "RE", "0522"),
    ("Piacenza", "29121", "PC", "0523"),
    ("Ferrara", "44121", "FE", "0532"),
    ("Ravenna", "48121", "RA", "0544"),
    ("Rimini", "47921", "RN", "0541"),
    ("Imola", "40026", "BO", "0542"),
    ("Carpi", "41012", "MO", "059"),
    ("Sassuolo", "41049", "MO", "0536"),
    ("Faenza", "48018", "RA", "0546"),
    ("Cesena", "47521", "FC", "0547"),
]
PARTNER_TAGS = ("Installatori", "Rivenditori", "Condomini", "Alberghi e ristoranti", "Imprese edili")
MOBILE_PREFIXES = ("335", "347", "333", "339", "320", "348", "366", "380", "328", "340")
PHONE_FORMATS = (
    "+39 {a} {b} {c}",
    "0039 {a} {b} {c}",
    "{a} {b} {c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "({a}) {b}{c}",
    "+39-{a}-{b}{c}",
    "{a}{b}{c}",
    "+39{a}{b}{c}",
)
FUNCTIONS = (
    "Titolare",
    "Ufficio acquisti",
    "Amministrazione",
    "Responsabile tecnico",
    "Capo cantiere",
    "Manutentore",
    "Direttore",
    "Segreteria",
)
COMMENTS = (
    "<p>Il cliente chiede la disponibilità della caldaia CX-24 entro fine mese.</p>",
    "<p>Sollecitato il pagamento della fattura scaduta, promette bonifico in settimana.</p>",
    "<p>Sopralluogo in cantiere fissato con il capo cantiere.</p>",
    "<p>Inviato il listino aggiornato e le condizioni per l'installatore.</p>",
    "<p>Lamenta un ritardo nella consegna: verificare con il magazzino.</p>",
    "<p>Richiesta offerta per la manutenzione annuale di tre impianti.</p>",
)
EMAIL_SUBJECTS = (
    "Richiesta di offerta",
    "Conferma d'ordine",
    "Documenti di trasporto",
    "Sollecito di pagamento",
    "Problema sulla caldaia installata",
    "Appuntamento per la manutenzione",
)
CALL_SUBJECTS = (
    "Richiesta informazioni prezzi",
    "Stato della consegna",
    "Sollecito pagamento",
    "Guasto segnalato dal cliente",
    "Appuntamento manutenzione",
    "Richiesta documenti",
    "Reclamo ritardo consegna",
    "Nuovo cantiere",
)
ACTIVITY_SUMMARIES = (
    "Richiamare per l'offerta",
    "Sollecitare il pagamento",
    "Fissare il sopralluogo",
    "Inviare il listino",
    "Verificare la consegna",
    "Proporre il contratto di manutenzione",
)


def log(message, *args):
    print(message % args if args else message, flush=True)


class Timer:
    """Named phases and their durations, printed at the end."""

    def __init__(self):
        self.start = time.perf_counter()
        self.phases = []

    def __call__(self, name):
        timer = self

        class Phase:
            def __enter__(self):
                self.started = time.perf_counter()
                log("- %s ...", name)

            def __exit__(self, *exc):
                duration = time.perf_counter() - self.started
                timer.phases.append((name, duration))
                log("  %s: %.1f s", name, duration)

        return Phase()


# ----------------------------------------------------------------------
# Database copy
# ----------------------------------------------------------------------


def pg_environ():
    config = odoo.tools.config
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": config["db_host"] or "",
            "PGPORT": str(config["db_port"] or ""),
            "PGUSER": config["db_user"] or "",
            "PGPASSWORD": config["db_password"] or "",
        }
    )
    return env


def recreate_database(db, template, attempts=30):
    """Drop ``db`` and copy ``template`` into it (with its filestore)."""
    environ = pg_environ()
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True, env=environ)
    for attempt in range(attempts):
        result = subprocess.run(
            ["createdb", "-T", template, db], check=False, env=environ, capture_output=True, text=True
        )
        if result.returncode == 0:
            break
        if "is being accessed by other users" not in result.stderr or attempt == attempts - 1:
            sys.exit(result.stderr)
        log("  template %s is busy, retrying in 10 s", template)
        time.sleep(10)
    filestore = odoo.tools.config.filestore
    if os.path.isdir(filestore(template)):
        shutil.rmtree(filestore(db), ignore_errors=True)
        shutil.copytree(filestore(template), filestore(db))


def update_addons(db, config):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            config,
            "-d",
            db,
            "-u",
            ",".join(ADDONS),
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
        cwd=ROOT,
    )


# ----------------------------------------------------------------------
# Schema: sequences, foreign keys, column kinds
# ----------------------------------------------------------------------


class Schema:
    """What the bulk copy needs to know about the tables."""

    def __init__(self, env):
        self.env = env
        rows = env.execute_query(
            SQL(
                """SELECT c.table_name, pg_get_serial_sequence(quote_ident(c.table_name), 'id')
                     FROM information_schema.columns c
                     JOIN information_schema.tables t USING (table_schema, table_name)
                    WHERE c.table_schema = 'public' AND c.column_name = 'id'
                      AND t.table_type = 'BASE TABLE'"""
            )
        )
        self.sequences = {table: seq for table, seq in rows if seq}
        self.columns = defaultdict(list)
        for table, column, data_type in env.execute_query(
            SQL(
                """SELECT table_name, column_name, data_type FROM information_schema.columns
                    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"""
            )
        ):
            self.columns[table].append((column, data_type))
        self.foreign_keys = defaultdict(list)  # table -> [(column, target table, not null)]
        for table, column, target, notnull in env.execute_query(
            SQL(
                """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, a.attnotnull
                     FROM pg_constraint c
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1"""
            )
        ):
            self.foreign_keys[table].append((column, target, notnull))
        self.relation_tables = {
            table
            for table, columns in self.columns.items()
            if table not in self.sequences and self.foreign_keys.get(table) and "id" not in dict(columns)
        }
        self.model_tables = {}
        amounts = defaultdict(set)
        transient = set()
        for model in env.registry.values():
            if model._abstract or not model._auto:
                continue
            if model._transient:
                transient.add(model._table)
                continue
            self.model_tables.setdefault(model._name, model._table)
            for field in model._fields.values():
                if (
                    field.store
                    and field.column_type
                    and (
                        field.type == "monetary"
                        or (field.type == "float" and field.name in AMOUNT_FLOAT_FIELDS)
                    )
                ):
                    amounts[model._table].add(field.name)
        self.amount_columns = amounts
        self.uncopied = UNCOPIED_TABLES | transient
        self.rows = {}
        self.analyzed = {}

    def last_ids(self):
        """``{table: last id given by its sequence}``."""
        last = dict(
            self.env.execute_query(
                SQL("SELECT schemaname || '.' || sequencename, coalesce(last_value, 0) FROM pg_sequences")
            )
        )
        return {table: last.get(seq, 0) for table, seq in self.sequences.items()}

    def reserve(self, table, count):
        """Reserve ``count`` ids of ``table``'s sequence; return the first one."""
        if not count:
            return 0
        seq = self.sequences[table]
        [(first,)] = self.env.execute_query(SQL("SELECT nextval(%s)", seq))
        self.env.execute_query(SQL("SELECT setval(%s, %s)", seq, first + count - 1))
        return first

    def grown(self, table, inserted):
        """Refresh the statistics of ``table`` once it has doubled since they were taken.

        The foreign-key checks of the bulk inserts run plans cached while the
        tables were small; new statistics make PostgreSQL plan them again
        (index lookups instead of scans of a table grown in this transaction)."""
        rows = self.rows.setdefault(table, 0) + inserted
        self.rows[table] = rows
        if rows > 2 * self.analyzed.get(table, 0) + 1000:
            self.env.execute_query(SQL("ANALYZE %s", SQL.identifier(table)))
            self.analyzed[table] = rows

    def drop_foreign_keys(self, tables):
        """Drop the foreign keys of ``tables`` for the bulk load; return what restores them.

        Checking each inserted row costs more than the insert itself; the
        constraints are added back (and so checked in one pass each) before
        the transaction commits."""
        saved = self.env.execute_query(
            SQL(
                """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2""",
                sorted(tables),
            )
        )
        for table, name, _definition in saved:
            self.env.execute_query(
                SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table), SQL.identifier(name))
            )
        return saved

    def restore_foreign_keys(self, saved):
        for table, name, definition in saved:
            self.env.execute_query(
                SQL(
                    "ALTER TABLE %s ADD CONSTRAINT %s %s",
                    SQL.identifier(table),
                    SQL.identifier(name),
                    SQL(definition.replace("%", "%%")),
                )
            )

    def push_sequences(self, value):
        """Move the id sequences of the aged tables to at least ``value``."""
        pushed = []
        for table, seq in sorted(self.sequences.items()):
            if table in AGED_TABLES or table.startswith(AGED_TABLE_PREFIXES):
                self.env.execute_query(
                    SQL(
                        "SELECT setval(%s, greatest(%s, (SELECT coalesce(max(id), 0) FROM %s)))",
                        seq,
                        value,
                        SQL.identifier(table),
                    )
                )
                pushed.append(table)
        return pushed


# ----------------------------------------------------------------------
# Chains: rows made through the ORM, copied in bulk
# ----------------------------------------------------------------------


class Chain:
    """The rows one ORM scenario created, in every table, and their bulk copies.

    ``members`` maps each table to the ids of the rows created by the scenario.
    A copy ``g`` (1..n) of row ``i`` (its rank among the chain's rows of the
    table) gets id ``base + (g - 1) * len(rows) + i``; foreign keys to chain
    rows are rewritten the same way, those to the template customer, contact
    and user are taken from the plan.
    """

    def __init__(self, key, schema, before, after):
        self.key = key
        self.schema = schema
        self.members = {}
        for table, last in after.items():
            if table in schema.uncopied or last <= before.get(table, 0):
                continue
            ids = [
                row[0]
                for row in schema.env.execute_query(
                    SQL(
                        "SELECT id FROM %s WHERE id > %s AND id <= %s ORDER BY id",
                        SQL.identifier(table),
                        before.get(table, 0),
                        last,
                    )
                )
            ]
            if table == "mail_followers" and ids:
                # Followers of the customer itself would repeat for each copy.
                ids = [
                    row[0]
                    for row in schema.env.execute_query(
                        SQL(
                            "SELECT id FROM mail_followers WHERE id = ANY(%s) AND res_model != 'res.partner'",
                            ids,
                        )
                    )
                ]
            if ids:
                self.members[table] = ids
        self.rank = {
            table: {old: index for index, old in enumerate(ids)} for table, ids in self.members.items()
        }
        self.bases = {}

    def count(self, table):
        return len(self.members.get(table, ()))

    # SQL expressions over the template row ``t`` and the plan row ``p``

    def new_id(self, table, column_sql):
        """Id of the copy of the chain row whose id is ``column_sql`` (NULL if not a chain row)."""
        ranks = self.rank[table]
        cases = SQL(" ").join(SQL("WHEN %s THEN %s", old, index) for old, index in ranks.items())
        return SQL("(%s + (p.g - 1) * %s + CASE %s %s END)", self.bases[table], len(ranks), column_sql, cases)

    def mapped(self, target, column_sql, actors):
        """Expression of a foreign key to ``target`` in the copy."""
        if target in self.rank:
            return SQL("COALESCE(%s, %s)", self.new_id(target, column_sql), column_sql)
        if target == "res_partner":
            return SQL(
                "CASE %s WHEN %s THEN p.customer_id WHEN %s THEN p.contact_id WHEN %s THEN p.user_partner_id "
                "ELSE %s END",
                column_sql,
                actors["customer"],
                actors["contact"],
                actors["user_partner"],
                column_sql,
            )
        if target == "res_users":
            return SQL("CASE %s WHEN %s THEN p.user_id ELSE %s END", column_sql, actors["user"], column_sql)
        return column_sql

    def reference(self, model_column, id_column, actors):
        """Expression of a (model, res_id) reference in the copy."""
        cases = [
            SQL(
                "WHEN %s = 'res.partner' THEN %s",
                model_column,
                self.mapped("res_partner", id_column, actors),
            )
        ]
        for model, table in self.schema.model_tables.items():
            if table in self.rank:
                cases.append(
                    SQL(
                        "WHEN %s = %s THEN COALESCE(%s, %s)",
                        model_column,
                        model,
                        self.new_id(table, id_column),
                        id_column,
                    )
                )
        return SQL("CASE %s ELSE %s END", SQL(" ").join(cases), id_column)

    def insert_order(self):
        """Tables in an order satisfying their foreign keys, and the columns filled afterwards."""
        remaining = set(self.members)
        order, deferred = [], defaultdict(set)
        while remaining:
            ready = [
                table
                for table in sorted(remaining)
                if all(
                    target not in remaining or target == table
                    for _column, target, _nn in self.schema.foreign_keys[table]
                )
            ]
            if not ready:
                # A cycle: insert the table whose pending references are all nullable,
                # with those references filled afterwards.
                table = next(
                    table
                    for table in sorted(remaining)
                    if all(
                        not notnull
                        for _column, target, notnull in self.schema.foreign_keys[table]
                        if target in remaining and target != table
                    )
                )
                for column, target, _notnull in self.schema.foreign_keys[table]:
                    if target in remaining and target != table:
                        deferred[table].add(column)
                ready = [table]
            for table in ready:
                order.append(table)
                remaining.discard(table)
        return order, deferred

    def copy(self, plan_table, copies, actors, rules):
        """Insert ``copies`` copies of the chain (plan rows ``g`` = 1..copies)."""
        env = self.schema.env
        for table, ids in self.members.items():
            self.bases[table] = self.schema.reserve(table, len(ids) * copies)
        order, deferred = self.insert_order()
        inserted = {}
        for table in order:
            columns = [column for column, _type in self.schema.columns[table]]
            # Names repeated from a parent copied before: read from the parent's copy.
            joins, repeated = [], {}
            for (child, column), (key, parent, parent_column) in REPEATED_NAMES.items():
                if child == table and parent in inserted and key not in deferred.get(table, ()):
                    alias = SQL.identifier(f"parent_{column}")
                    joins.append(
                        SQL(
                            "LEFT JOIN %s %s ON %s.id = %s",
                            SQL.identifier(parent),
                            alias,
                            alias,
                            self.new_id(parent, SQL.identifier("t", key)),
                        )
                    )
                    repeated[column] = SQL(
                        "COALESCE(%s.%s, %s)",
                        alias,
                        SQL.identifier(parent_column),
                        SQL.identifier("t", column),
                    )
            exprs = [
                repeated.get(column) or self.column_expr(table, column, actors, rules, deferred)
                for column in columns
            ]
            env.execute_query(
                SQL(
                    """INSERT INTO %(table)s (%(columns)s)
                       SELECT %(exprs)s FROM %(plan)s p CROSS JOIN %(table)s t %(joins)s
                        WHERE t.id = ANY(%(ids)s)""",
                    table=SQL.identifier(table),
                    columns=SQL(", ").join(SQL.identifier(c) for c in columns),
                    exprs=SQL(", ").join(exprs),
                    plan=SQL.identifier(plan_table),
                    joins=SQL(" ").join(joins),
                    ids=self.members[table],
                )
            )
            inserted[table] = len(self.members[table]) * copies
            self.schema.grown(table, inserted[table])
        for table, columns in deferred.items():
            env.execute_query(
                SQL(
                    """UPDATE %(table)s n SET %(sets)s
                         FROM %(plan)s p CROSS JOIN %(table)s t
                        WHERE t.id = ANY(%(ids)s) AND n.id = %(new_id)s""",
                    table=SQL.identifier(table),
                    sets=SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(column), self.column_expr(table, column, actors, rules))
                        for column in sorted(columns)
                    ),
                    plan=SQL.identifier(plan_table),
                    ids=self.members[table],
                    new_id=self.new_id(table, SQL("t.id")),
                )
            )
        for relation in sorted(self.schema.relation_tables):
            keys = self.schema.foreign_keys[relation]
            if any(target in self.schema.uncopied for _c, target, _n in keys):
                continue
            linked = [(column, target) for column, target, _n in keys if target in self.rank]
            if not linked:
                continue
            columns = [column for column, _type in self.schema.columns[relation]]
            targets = {column: target for column, target, _n in keys}
            exprs = [
                self.mapped(targets[column], SQL.identifier("t", column), actors)
                if column in targets
                else SQL.identifier("t", column)
                for column in columns
            ]
            count = env.execute_query(
                SQL(
                    """INSERT INTO %(table)s (%(columns)s)
                       SELECT %(exprs)s FROM %(plan)s p CROSS JOIN %(table)s t WHERE %(where)s
                       ON CONFLICT DO NOTHING RETURNING 1""",
                    table=SQL.identifier(relation),
                    columns=SQL(", ").join(SQL.identifier(c) for c in columns),
                    exprs=SQL(", ").join(exprs),
                    plan=SQL.identifier(plan_table),
                    where=SQL(" OR ").join(
                        SQL("%s = ANY(%s)", SQL.identifier("t", column), self.members[target])
                        for column, target in linked
                    ),
                )
            )
            if count:
                inserted[relation] = len(count)
                self.schema.grown(relation, len(count))
        return inserted

    def column_expr(self, table, column, actors, rules, deferred=None):
        t_column = SQL.identifier("t", column)
        if deferred and column in deferred.get(table, ()):
            return SQL("NULL")
        if column == "id":
            return self.new_id(table, t_column)
        rule = rules.get((table, column))
        if rule is not None:
            return rule(self, t_column)
        reference = REFERENCE_COLUMNS.get(table)
        if reference and column == reference[1]:
            return self.reference(SQL.identifier("t", reference[0]), t_column, actors)
        for fk_column, target, _notnull in self.schema.foreign_keys[table]:
            if fk_column == column:
                return self.mapped(target, t_column, actors)
        data_type = dict(self.schema.columns[table])[column]
        if data_type == "date":
            return SQL("%s + p.days", t_column)
        if data_type.startswith("timestamp"):
            return SQL("%s + p.days * interval '1 day' + p.seconds * interval '1 second'", t_column)
        if column in self.schema.amount_columns.get(table, ()):
            return SQL("%s * p.factor", t_column)
        return t_column


def renumbered(chain, column_sql, table, width=7):
    """``column`` with its trailing number replaced by the copy's id."""
    return SQL(
        "regexp_replace(%s, '[0-9]+$', '') || lpad((%s)::text, %s, '0')",
        column_sql,
        chain.new_id(table, SQL("t.id")),
        width,
    )


def move_prefix(column_sql):
    """Sequence prefix of a journal entry with the year of its (shifted) date."""
    return SQL(
        "regexp_replace(%s, '[0-9]{4}', to_char(t.date + p.days, 'YYYY'))",
        column_sql,
    )


COPY_RULES = {
    ("sale_order", "name"): lambda chain, col: renumbered(chain, col, "sale_order"),
    ("stock_picking", "name"): lambda chain, col: renumbered(chain, col, "stock_picking"),
    ("stock_lot", "name"): lambda chain, col: renumbered(chain, col, "stock_lot", 8),
    ("crm_relationship_defect", "name"): lambda chain, col: renumbered(chain, col, "crm_relationship_defect"),
    ("account_move", "name"): lambda chain, col: SQL(
        "CASE WHEN t.sequence_prefix IS NULL THEN %s ELSE %s || lpad((%s)::text, 7, '0') END",
        col,
        move_prefix(SQL("t.sequence_prefix")),
        chain.new_id("account_move", SQL("t.id")),
    ),
    ("account_move", "sequence_prefix"): lambda chain, col: move_prefix(col),
    ("account_move", "sequence_number"): lambda chain, col: SQL(
        "CASE WHEN t.sequence_prefix IS NULL THEN %s ELSE %s END",
        col,
        chain.new_id("account_move", SQL("t.id")),
    ),
    ("account_move", "payment_reference"): lambda chain, col: SQL(
        "CASE WHEN %s = t.name AND t.sequence_prefix IS NOT NULL THEN %s || lpad((%s)::text, 7, '0') ELSE %s END",
        col,
        move_prefix(SQL("t.sequence_prefix")),
        chain.new_id("account_move", SQL("t.id")),
        col,
    ),
    ("mail_message", "message_id"): lambda chain, col: SQL(
        "CASE WHEN %s IS NULL THEN NULL ELSE '<' || (%s) || '.crm-bench@termotecnica.example.it>' END",
        col,
        chain.new_id("mail_message", SQL("t.id")),
    ),
}


# ----------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------


class Generator:
    def __init__(self, env, scale, seed, timer):
        self.env = env
        self.scale = scale
        self.rng = random.Random(seed)
        self.timer = timer
        self.schema = Schema(env)
        self.now = datetime.now().replace(microsecond=0)
        self.created = defaultdict(int)

    def scaled(self, count):
        return max(1, round(count * self.scale))

    # -- master data -------------------------------------------------------

    def setup(self):
        env = self.env
        self.company = env.ref("base.user_admin").company_id
        self.company2 = env.ref("base.main_company")
        if self.company2 == self.company:
            self.company2 = env["res.company"].search([("id", "!=", self.company.id)], limit=1)
        self.eur = self.company.currency_id
        self.usd = env.ref("base.USD")
        self.usd.active = True
        env["res.currency.rate"].create(
            {
                "currency_id": self.usd.id,
                "company_id": self.company.id,
                "name": (self.now - timedelta(days=365 * YEARS + 30)).date(),
                "rate": 1.08,
            }
        )
        self.italy = env.ref("base.it")
        self.states = {
            state.code: state
            for state in env["res.country.state"].search([("country_id", "=", self.italy.id)])
        }
        companies = self.company | self.company2
        group = env.ref
        sales_groups = [
            group("sales_team.group_sale_salesman").id,
            group("account.group_account_invoice").id,
            group("crm_relationship.crm_relationship_group_user").id,
        ]
        Users = env["res.users"].with_context(no_reset_password=True, mail_create_nosubscribe=True)

        def user(name, login, groups):
            return Users.create(
                {
                    "name": name,
                    "login": login,
                    "email": f"{login}@termotecnica.example.it",
                    "company_id": self.company.id,
                    "company_ids": [Command.set(companies.ids)],
                    "group_ids": [Command.set(groups)],
                    "tz": "Europe/Rome",
                    "lang": "en_US",
                }
            )

        self.template_user = user(
            "Ufficio Commerciale",
            "crm_bench_office",
            [
                group("sales_team.group_sale_manager").id,
                group("account.group_account_manager").id,
                group("stock.group_stock_manager").id,
                group("crm_relationship.crm_relationship_group_manager").id,
                group("base.group_multi_company").id,
                group("base.group_multi_currency").id,
            ],
        )
        self.bench_user = Users.create(
            {
                "name": "Marta Colombo",
                "login": BENCH_LOGIN,
                "password": BENCH_LOGIN,
                "email": "marta.colombo@termotecnica.example.it",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "group_ids": [
                    Command.set(
                        [
                            group("base.group_user").id,
                            group("crm_relationship.crm_relationship_group_user").id,
                            group("sales_team.group_sale_salesman").id,
                            group("account.group_account_invoice").id,
                        ]
                    )
                ],
                "tz": "Europe/Rome",
                "lang": "it_IT" if env["res.lang"]._lang_get("it_IT") else "en_US",
            }
        )
        self.salespeople = self.bench_user | (
            user("Luca Ferri", "crm_bench_luca", sales_groups)
            + user("Sara Conti", "crm_bench_sara", sales_groups)
            + user("Paolo Greco", "crm_bench_paolo", sales_groups)
            + user("Elena Marino", "crm_bench_elena", sales_groups)
        )
        self.operators = user(
            "Giorgia Santoro", "crm_bench_giorgia", [group("crm_relationship.crm_relationship_group_user").id]
        ) + user(
            "Davide Rinaldi", "crm_bench_davide", [group("crm_relationship.crm_relationship_group_user").id]
        )
        # One catalogue per company, priced in its currency.
        self.catalog = {}
        for company in (self.company, self.company2):
            Product = env["product.product"].with_company(company).with_context(tracking_disable=True)

            def product(name, price, Product=Product, company=company, **values):
                # Goods are invoiced once delivered, services when ordered.
                policy = "delivery" if values.get("is_storable") else "order"
                return Product.create(
                    {
                        "name": name,
                        "company_id": company.id,
                        "list_price": price,
                        "standard_price": round(price * 0.6),
                        "taxes_id": [Command.set(company.account_sale_tax_id.ids)],
                        "invoice_policy": policy,
                    }
                    | values
                )

            self.catalog[company] = {
                "boiler": product(
                    "Caldaia murale a condensazione 28 kW", 1650, type="consu", is_storable=True
                ),
                "radiator": product("Radiatore in alluminio 8 elementi", 120, type="consu", is_storable=True),
                "valve": product("Valvola termostatica", 35, type="consu", is_storable=True),
                "pump": product("Pompa di circolazione", 240, type="consu", is_storable=True),
                "flue": product("Kit scarico fumi coassiale", 90, type="consu", is_storable=True),
                "heat_pump": product(
                    "Pompa di calore aria-acqua 12 kW",
                    6800,
                    type="consu",
                    is_storable=True,
                    tracking="serial",
                    crm_register_equipment=True,
                ),
                "maintenance": product("Manutenzione annuale impianto", 180, type="service"),
                "installation": product("Installazione e collaudo", 450, type="service"),
            }
        self.warehouses = {
            company: env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
            for company in (self.company, self.company2)
        }
        Quant = env["stock.quant"].with_context(inventory_mode=True)
        for company, warehouse in self.warehouses.items():
            for item in self.catalog[company].values():
                if item.is_storable and item.tracking == "none":
                    Quant.with_company(company)._update_available_quantity(
                        item, warehouse.lot_stock_id, 1_000_000
                    )
        self.usd_pricelist = env["product.pricelist"].create(
            {"name": "Listino USD", "currency_id": self.usd.id, "company_id": self.company.id}
        )
        self.categories = env["res.partner.category"].create([{"name": name} for name in PARTNER_TAGS])
        self.channels = env["crm.relationship.call.channel"].search([])
        self.outcomes = env["crm.relationship.call.outcome"].search([])
        self.activity_types = env["mail.activity.type"].search(
            [("res_model", "=", False), ("category", "in", ("default", "phonecall"))]
        )
        self.subtype_note = env.ref("mail.mt_note")
        self.subtype_comment = env.ref("mail.mt_comment")
        env.flush_all()

    # -- customers ---------------------------------------------------------

    def phone(self, area, index):
        """A unique number (``index`` < 10^6) on a landline of ``area`` or a mobile, in a random format."""
        if self.rng.random() < 0.4:
            area = self.rng.choice(MOBILE_PREFIXES)
        subscriber = f"{index:08d}"[-(10 - len(area)) :]
        return self.rng.choice(PHONE_FORMATS).format(a=area, b=subscriber[:3], c=subscriber[3:])

    def create_customers(self):
        """Customer companies and their contacts.

        One company and one contact are made through the ORM; the others are
        SQL copies of them with their own name, address, phone, e-mail and
        salesperson, then the ORM recomputes the stored computed fields
        (commercial entity, complete name, E.164 phone, normalized e-mail, ...).
        """
        rng = self.rng
        count = self.scaled(CUSTOMERS)
        contacts_total = max(count, self.scaled(CONTACTS))
        weights = self.customer_weights(count)
        Partner = self.env["res.partner"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )
        names = set()
        companies = []
        phone_index = 0
        for index in range(count):
            while True:
                city, zip_code, province, area = rng.choice(CITIES)
                name = rng.choice(COMPANY_PATTERNS).format(
                    s=rng.choice(SURNAMES),
                    s2=rng.choice(SURNAMES),
                    c=city,
                    f=rng.choice(FIRST_NAMES),
                    st=rng.choice(STREETS),
                )
                if name not in names:
                    names.add(name)
                    break
            phone_index += rng.randint(1, 80)
            slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")[:30]
            companies.append(
                {
                    "name": name,
                    "street": f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
                    "zip": zip_code,
                    "city": city,
                    "state_id": self.states[province].id if province in self.states else None,
                    "phone": self.phone(area, phone_index),
                    "email": f"info@{slug}.example.it",
                    "area": area,
                    "user": self.salespeople[index % len(self.salespeople)],
                }
            )
        # The biggest customer is followed by the benchmark user.
        companies[0]["user"] = self.bench_user
        # Contacts: bigger customers have more people; every customer has one at least.
        per_company = [1] * count
        total_weight = sum(math.sqrt(w) for w in weights)
        for index, weight in enumerate(weights):
            per_company[index] += int((contacts_total - count) * math.sqrt(weight) / total_weight)
        for index in rng.sample(range(count), max(0, contacts_total - sum(per_company))):
            per_company[index] += 1
        contacts = []
        for index, (company, people) in enumerate(zip(companies, per_company, strict=True)):
            domain = company["email"].split("@")[1]
            for _i in range(people):
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                phone_index += rng.randint(1, 80)
                contacts.append(
                    {
                        "company": index,
                        "name": f"{first} {last}",
                        "function": rng.choice(FUNCTIONS),
                        "phone": self.phone(company["area"], phone_index) if rng.random() < 0.9 else None,
                        "email": f"{first}.{last}@{domain}".lower().replace("'", ""),
                    }
                )
        span = timedelta(days=365 * YEARS)
        for index, company in enumerate(companies):
            if index < len(BIG_CUSTOMERS):
                company["since"] = self.now - span
            else:
                company["since"] = self.now - span * rng.random() ** 0.7 - timedelta(days=30)

        # The first company and its first contact through the ORM, the others copied.
        first = companies[0]
        template_company = Partner.create(
            {
                "name": first["name"],
                "is_company": True,
                "street": first["street"],
                "zip": first["zip"],
                "city": first["city"],
                "state_id": first["state_id"],
                "country_id": self.italy.id,
                "phone": first["phone"],
                "email": first["email"],
                "customer_rank": 1,
                "lang": "it_IT",
                "user_id": first["user"].id,
                "category_id": [Command.set(self.categories[:1].ids)],
            }
        )
        template_contact = Partner.create(
            {
                "name": contacts[0]["name"],
                "parent_id": template_company.id,
                "function": contacts[0]["function"],
                "phone": contacts[0]["phone"],
                "email": contacts[0]["email"],
                "lang": "it_IT",
            }
        )
        self.env.flush_all()
        first_company_id = self.schema.reserve("res_partner", count - 1)
        company_ids = [template_company.id] + list(range(first_company_id, first_company_id + count - 1))
        first_contact_id = self.schema.reserve("res_partner", len(contacts) - 1)
        contact_ids = [template_contact.id] + list(
            range(first_contact_id, first_contact_id + len(contacts) - 1)
        )
        columns = {
            "id": "int",
            "name": "varchar",
            "parent_id": "int",
            "commercial_partner_id": "int",
            "street": "varchar",
            "zip": "varchar",
            "city": "varchar",
            "state_id": "int",
            "phone": "varchar",
            "email": "varchar",
            "function": "varchar",
            "user_id": "int",
            "create_date": "timestamp",
        }
        company_rows = [
            (
                company_ids[index],
                company["name"],
                None,
                company_ids[index],
                company["street"],
                company["zip"],
                company["city"],
                company["state_id"],
                company["phone"],
                company["email"],
                None,
                company["user"].id,
                company["since"],
            )
            for index, company in enumerate(companies)
        ][1:]
        contact_rows = [
            (
                contact_ids[index],
                contact["name"],
                company_ids[contact["company"]],
                company_ids[contact["company"]],
                companies[contact["company"]]["street"],
                companies[contact["company"]]["zip"],
                companies[contact["company"]]["city"],
                companies[contact["company"]]["state_id"],
                contact["phone"],
                contact["email"],
                contact["function"],
                companies[contact["company"]]["user"].id,
                companies[contact["company"]]["since"],
            )
            for index, contact in enumerate(contacts)
        ][1:]
        # Stored computed fields are recomputed below; the others come from the plan or the template.
        recomputed = [
            field
            for field in Partner._fields.values()
            if field.store and field.compute and field.readonly and field.type != "binary"
        ]
        for template, rows in ((template_company, company_rows), (template_contact, contact_rows)):
            self.write_plan("bench_partner", columns, rows)
            table_columns = [c for c, _t in self.schema.columns["res_partner"]]
            exprs = []
            for column in table_columns:
                if column in columns:
                    exprs.append(SQL.identifier("p", column))
                elif column == "write_date":
                    exprs.append(SQL("p.create_date"))
                elif column in {f.name for f in recomputed}:
                    exprs.append(SQL("NULL"))
                else:
                    exprs.append(SQL.identifier("t", column))
            self.env.execute_query(
                SQL(
                    """INSERT INTO res_partner (%s)
                       SELECT %s FROM bench_partner p CROSS JOIN res_partner t WHERE t.id = %s""",
                    SQL(", ").join(SQL.identifier(c) for c in table_columns),
                    SQL(", ").join(exprs),
                    template.id,
                )
            )
        # Tags: one customer out of three has one or two.
        tag_rows = []
        for company_id in company_ids[1:]:
            if rng.random() < 0.33:
                for category in rng.sample(list(self.categories), rng.randint(1, 2)):
                    tag_rows.append((company_id, category.id))
        if tag_rows:
            self.env.execute_query(
                SQL(
                    """INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
                       SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING""",
                    [r[0] for r in tag_rows],
                    [r[1] for r in tag_rows],
                )
            )
        new_partners = Partner.browse(company_ids[1:] + contact_ids[1:])
        for field in recomputed:
            self.env.add_to_compute(field, new_partners)
        self.env.flush_all()
        self.env.invalidate_all()

        by_company = defaultdict(list)
        for index, contact in enumerate(contacts):
            by_company[contact["company"]].append(contact_ids[index])
        self.customers = [
            {
                "id": company_ids[index],
                "contacts": by_company[index],
                "user": company["user"],
                "weight": weight,
                "since": company["since"],
            }
            for index, (company, weight) in enumerate(zip(companies, weights, strict=True))
        ]
        self.template_customer = template_company
        self.template_contact = template_contact
        self.customer_cumweights = list(
            itertools_accumulate(customer["weight"] for customer in self.customers)
        )
        self.created["customer companies"] = len(companies)
        self.created["contacts"] = len(contacts)

    def documents_per_chain(self):
        """Sale orders + delivery notes + invoices made by all chains at this scale."""
        return sum(self.scaled(copies) * DOCUMENTS_PER_CHAIN.get(key, 0) for key, copies, _spread in CHAINS)

    def customer_weights(self, count):
        """Expected documents of each customer (the three biggest first)."""
        total = self.documents_per_chain()
        big = [round(d * self.scale) for d in BIG_CUSTOMERS]
        rest = max(1, total - sum(big))
        n = count - len(big)
        cap = min(big) * 0.6
        quantiles = [statistics_normal_quantile((i + 0.5) / n) for i in range(n)]
        median = MEDIAN_DOCUMENTS

        def tail(sigma):
            return [min(cap, median * math.exp(sigma * q)) for q in quantiles]

        low, high = 0.01, 10.0
        for _i in range(60):
            sigma = (low + high) / 2
            if sum(tail(sigma)) < rest:
                low = sigma
            else:
                high = sigma
        weights = tail((low + high) / 2)
        self.rng.shuffle(weights)
        return [float(b) for b in big] + weights

    def pick_customer(self):
        index = bisect.bisect_left(self.customer_cumweights, self.rng.random() * self.customer_cumweights[-1])
        return self.customers[min(index, len(self.customers) - 1)]

    # -- chains made through the ORM -------------------------------------------

    def template_env(self, company=None):
        company = company or self.company
        return self.env(
            user=self.template_user,
            context=dict(
                self.env.context,
                allowed_company_ids=[company.id],
                tracking_disable=False,
                mail_notify_force_send=False,
                mail_auto_subscribe_no_notify=True,
            ),
        )

    def sale(self, env, lines, days_ago, pricelist=None):
        products = self.catalog[env.company]
        values = {
            "partner_id": self.template_contact.id,
            "user_id": self.template_user.id,
            "date_order": self.now - timedelta(days=days_ago),
            "order_line": [
                Command.create({"product_id": products[key].id, "product_uom_qty": qty}) for key, qty in lines
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        return env["sale.order"].create(values)

    def confirm(self, order, days_ago):
        order.action_confirm()
        order.date_order = self.now - timedelta(days=days_ago)
        order.picking_ids.write({"scheduled_date": self.now - timedelta(days=days_ago - 2)})

    def deliver(self, picking, days_ago, ratio=1.0, lots=None):
        for move in picking.move_ids:
            if lots and move.product_id.tracking == "serial":
                move.move_line_ids.unlink()
                for lot in lots:
                    picking.env["stock.move.line"].create(
                        {
                            "move_id": move.id,
                            "picking_id": picking.id,
                            "product_id": move.product_id.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": move.location_id.id,
                            "location_dest_id": move.location_dest_id.id,
                        }
                    )
            else:
                move.quantity = max(1, round(move.product_uom_qty * ratio))
            move.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        picking.date_done = self.now - timedelta(days=days_ago)
        return picking

    def invoice(self, orders, days_ago):
        invoices = orders._create_invoices()
        invoices.invoice_date = (self.now - timedelta(days=days_ago)).date()
        invoices.action_post()
        return invoices

    def pay(self, invoices, days_ago, amount=None):
        values = {"payment_date": (self.now - timedelta(days=days_ago)).date(), "group_payment": True}
        if amount is not None:
            values["amount"] = amount
        wizard = (
            self.env["account.payment.register"]
            .with_env(invoices.env)
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(values)
        )
        wizard._create_payments()

    def direct_invoice(self, env, lines, days_ago):
        products = self.catalog[env.company]
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.template_contact.id,
                "invoice_user_id": self.template_user.id,
                "invoice_date": (self.now - timedelta(days=days_ago)).date(),
                "invoice_payment_term_id": self.env.ref("account.account_payment_term_30days").id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": products[key].id,
                            "quantity": qty,
                            "price_unit": products[key].list_price,
                        }
                    )
                    for key, qty in lines
                ],
            }
        )
        invoice.action_post()
        return invoice

    def serial_lots(self, env, company, count):
        product = self.catalog[company]["heat_pump"]
        warehouse = self.warehouses[company]
        lots = env["stock.lot"].create(
            [
                {
                    "name": f"HP-TPL-{self.rng.randint(0, 10**9)}",
                    "product_id": product.id,
                    "company_id": company.id,
                }
                for _i in range(count)
            ]
        )
        for lot in lots:
            env["stock.quant"].with_context(inventory_mode=True)._update_available_quantity(
                product, warehouse.lot_stock_id, 1, lot_id=lot
            )
        return lots

    def chain_order(self, env, days_ago=30, lines=None, pricelist=None, state="invoice", payment="full"):
        lines = lines or [("boiler", 1), ("radiator", 6), ("valve", 6), ("installation", 1)]
        order = self.sale(env, lines, days_ago, pricelist)
        self.confirm(order, days_ago)
        self.deliver(order.picking_ids, days_ago - 3)
        if state == "delivered":
            return order
        invoice = self.invoice(order, days_ago - 4)
        if payment == "full":
            self.pay(invoice, days_ago - 30)
        elif payment == "partial":
            self.pay(invoice, days_ago - 30, amount=round(invoice.amount_total * 0.4))
        return order

    def build_chain(self, key):
        env = self.template_env()
        if key == "quotation":
            self.sale(env, [("boiler", 1), ("flue", 1), ("installation", 1)], 5)
        elif key == "quotation_sent":
            order = self.sale(env, [("radiator", 10), ("valve", 10)], 10)
            order.action_quotation_sent()
        elif key == "order_cancelled":
            order = self.sale(env, [("pump", 2)], 20)
            self.confirm(order, 20)
            order._action_cancel()
        elif key == "order_to_deliver":
            order = self.sale(env, [("boiler", 1), ("pump", 1)], 6)
            self.confirm(order, 6)
        elif key == "order_delivered":
            self.chain_order(env, 12, state="delivered")
        elif key == "order_backorder_paid":
            order = self.sale(env, [("radiator", 12), ("valve", 12), ("flue", 2)], 70)
            self.confirm(order, 70)
            self.deliver(order.picking_ids, 66, ratio=0.5)
            first = self.invoice(order, 65)
            self.deliver(order.picking_ids.filtered(lambda p: p.state != "done"), 50)
            second = self.invoice(order, 49)
            self.pay(first | second, 20)
        elif key == "orders_grouped_payment":
            orders = env["sale.order"]
            invoices = env["account.move"]
            for index, days in enumerate((95, 80, 65, 50)):
                order = self.sale(env, [("radiator", 3 + index), ("valve", 4), ("pump", 1)], days)
                self.confirm(order, days)
                self.deliver(order.picking_ids, days - 2)
                invoices |= self.invoice(order, days - 3)
                orders |= order
            self.pay(invoices, 15)
        elif key == "order_paid":
            self.chain_order(env, 45)
        elif key == "order_unpaid":
            self.chain_order(env, 8, payment=None)
        elif key == "order_unpaid_old":
            self.chain_order(env, 8, lines=[("pump", 3), ("installation", 1)], payment=None)
        elif key == "order_partial":
            self.chain_order(env, 40, payment="partial")
        elif key == "order_returned":
            order = self.chain_order(env, 60, lines=[("boiler", 2), ("flue", 2)])
            picking = order.picking_ids
            wizard = (
                env["stock.return.picking"]
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({})
            )
            for line in wizard.product_return_moves:
                line.quantity = 1 if line.product_id == self.catalog[self.company]["boiler"] else 0
            returned = wizard._create_return()
            self.deliver(returned, 25)
            invoice = order.invoice_ids
            reversal = (
                env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create(
                    {
                        "reason": "Caldaia resa per difetto",
                        "journal_id": invoice.journal_id.id,
                        "date": (self.now - timedelta(days=24)).date(),
                    }
                )
            )
            refund = env["account.move"].browse(reversal.refund_moves()["res_id"])
            refund.invoice_line_ids.filtered(
                lambda line: line.product_id != self.catalog[self.company]["boiler"]
            ).unlink()
            refund.invoice_line_ids.quantity = 1
            refund.action_post()
        elif key in ("order_equipment", "order_equipment_defect"):
            lots = self.serial_lots(env, self.company, 1)
            order = self.sale(env, [("heat_pump", 1), ("installation", 1)], 100)
            self.confirm(order, 100)
            self.deliver(order.picking_ids, 95, lots=lots)
            invoice = self.invoice(order, 94)
            self.pay(invoice, 70)
            if key == "order_equipment_defect":
                equipment = env["crm.relationship.equipment"].search([("lot_id", "in", lots.ids)])
                env["crm.relationship.defect"].create(
                    {
                        "partner_id": self.template_customer.id,
                        "contact_id": self.template_contact.id,
                        "equipment_id": equipment.id,
                        "description": "<p>La pompa di calore va in blocco con temperature sotto zero.</p>",
                        "severity": "high",
                        "date_reported": self.now - timedelta(days=10),
                    }
                )
        elif key == "order_usd":
            self.chain_order(env, 50, pricelist=self.usd_pricelist)
        elif key in ("order_company2", "order_company2_unpaid"):
            env2 = self.template_env(self.company2)
            self.chain_order(
                env2,
                40 if key == "order_company2" else 8,
                payment="full" if key == "order_company2" else None,
            )
        elif key == "maintenance_invoices":
            invoices = env["account.move"]
            for days in (300, 210, 120, 30):
                invoices |= self.direct_invoice(env, [("maintenance", 1)], days)
            self.pay(invoices, 5)
        elif key == "maintenance_unpaid":
            self.direct_invoice(env, [("maintenance", 2)], 10)
        elif key == "direct_delivery":
            warehouse = self.warehouses[self.company]
            picking = env["stock.picking"].create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": self.template_contact.id,
                    "user_id": self.template_user.id,
                    "origin": "Ricambi in garanzia",
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": self.catalog[self.company]["valve"].id,
                                "product_uom_qty": 2,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                            }
                        )
                    ],
                }
            )
            picking.action_confirm()
            self.deliver(picking, 3)
        elif key.startswith("call_"):
            Call = env["crm.relationship.call"]
            call = Call.create(
                {
                    "partner_id": self.template_customer.id,
                    "contact_id": self.template_contact.id,
                    "subject": "Richiesta informazioni",
                    "direction": "inbound",
                    "duration": 6,
                    "date_start": self.now - timedelta(days=2),
                }
            )
            if key == "call_closed":
                call.write({"state": "done", "no_followup_reason": "Risposto al telefono, nessun seguito."})
            elif key == "call_followup":
                wizard = env["crm.relationship.call.close"].create(
                    {"call_id": call.id, "summary": "Richiamare il cliente"}
                )
                wizard.date_deadline = (self.now - timedelta(days=1)).date()
                wizard.action_confirm()
                # The planned action was done since: only its trace stays in the history.
                call.next_action_activity_id.sudo().action_feedback(feedback="Fatto")
        else:
            raise ValueError(key)

    def make_chains(self):
        """Create one chain of each kind through the ORM and record its rows."""
        self.chains = {}
        for key, _copies, _spread in CHAINS:
            self.env.flush_all()
            before = self.schema.last_ids()
            self.build_chain(key)
            self.env.flush_all()
            self.chains[key] = Chain(key, self.schema, before, self.schema.last_ids())
        self.env.invalidate_all()

    def bulk_tables(self):
        """Tables the bulk copies insert into."""
        tables = {"mail_message", "mail_tracking_value", "mail_notification", "mail_activity"}
        for chain in self.chains.values():
            tables.update(chain.members)
        tables.update(
            relation
            for relation in self.schema.relation_tables
            if any(target in tables for _c, target, _n in self.schema.foreign_keys[relation])
        )
        return tables

    # -- plans and copies --------------------------------------------------

    def write_plan(self, name, columns, rows):
        """Create temporary table ``name`` (``columns``: name -> SQL type) and COPY ``rows`` in it."""
        env = self.env
        env.execute_query(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))
        env.execute_query(
            SQL(
                "CREATE TEMPORARY TABLE %s (%s)",
                SQL.identifier(name),
                SQL(", ").join(SQL("%s %s", SQL.identifier(c), SQL(t)) for c, t in columns.items()),
            )
        )
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        buffer.seek(0)
        env.cr.copy_from(buffer, name, columns=list(columns))
        env.execute_query(SQL("ANALYZE %s", SQL.identifier(name)))

    def chain_date(self, customer, spread):
        if spread == "life":
            start = customer["since"]
            moment = start + (self.now - start) * self.rng.random()
        else:
            moment = self.now - timedelta(days=spread[1] * self.rng.random())
        return moment

    def copy_chains(self):
        actors = {
            "customer": self.template_customer.id,
            "contact": self.template_contact.id,
            "user": self.template_user.id,
            "user_partner": self.template_user.partner_id.id,
        }
        columns = {
            "g": "int PRIMARY KEY",
            "customer_id": "int",
            "contact_id": "int",
            "user_id": "int",
            "user_partner_id": "int",
            "days": "int",
            "seconds": "int",
            "factor": "int",
            "channel_id": "int",
            "outcome_id": "int",
            "direction": "varchar",
            "subject": "varchar",
            "department": "varchar",
        }
        totals = defaultdict(int)
        for key, copies, spread in CHAINS:
            chain = self.chains[key]
            copies = self.scaled(copies)
            is_call = key.startswith("call_")
            rows = []
            for g in range(1, copies + 1):
                customer = self.pick_customer()
                contact = self.rng.choice(customer["contacts"]) if customer["contacts"] else customer["id"]
                moment = self.chain_date(customer, spread)
                shift = moment - self.now
                user = (
                    self.rng.choice(self.operators)
                    if is_call and self.rng.random() < 0.7
                    else customer["user"]
                )
                rows.append(
                    (
                        g,
                        customer["id"],
                        contact,
                        user.id,
                        user.partner_id.id,
                        shift.days,
                        self.rng.randint(-8 * 3600, 3600),
                        self.rng.randint(1, 12),
                        self.rng.choice(self.channels).id,
                        self.rng.choice(self.outcomes).id if self.outcomes else None,
                        "outbound" if self.rng.random() < 0.35 else "inbound",
                        self.rng.choice(CALL_SUBJECTS),
                        "call_center" if user in self.operators else "sales",
                    )
                )
            self.write_plan("bench_plan", columns, rows)
            rules = dict(COPY_RULES)
            if is_call:
                for column in ("channel_id", "outcome_id", "direction", "subject", "department"):
                    if key != "call_open" or column != "outcome_id":
                        rules[("crm_relationship_call", column)] = lambda chain, col, c=column: SQL(
                            "p.%s", SQL.identifier(c)
                        )
            started = time.perf_counter()
            inserted = chain.copy("bench_plan", copies, actors, rules)
            for table, count in inserted.items():
                totals[table] += count
            log(
                "  %-26s x%-7d %6.1f s  %s",
                key,
                copies,
                time.perf_counter() - started,
                ", ".join(f"{t} {c}" for t, c in sorted(inserted.items()) if t in REPORTED_TABLES),
            )
        return totals

    def fix_derived_names(self, since):
        """Write the renumbered names where the rows made last repeat them through many2many links."""
        self.env.execute_query(
            SQL(
                """UPDATE account_move m SET invoice_origin = o.names
                     FROM (SELECT l.move_id, string_agg(DISTINCT s.name, ', ') AS names
                             FROM account_move_line l
                             JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
                             JOIN sale_order_line sl ON sl.id = r.order_line_id
                             JOIN sale_order s ON s.id = sl.order_id
                            WHERE l.move_id > %s
                         GROUP BY l.move_id) o
                    WHERE m.id = o.move_id""",
                since.get("account_move", 0),
            )
        )
        self.env.execute_query(
            SQL(
                """UPDATE stock_reference r SET name = s.name
                     FROM stock_reference_sale_rel rel JOIN sale_order s ON s.id = rel.sale_id
                    WHERE rel.reference_id = r.id AND r.id > %s""",
                since.get("stock_reference", 0),
            )
        )
        Equipment = self.env["crm.relationship.equipment"]
        if Equipment._fields["name"].store and Equipment._fields["name"].compute:
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT id FROM crm_relationship_equipment WHERE id > %s",
                        since.get("crm_relationship_equipment", 0),
                    )
                )
            ]
            records = Equipment.browse(ids)
            self.env.add_to_compute(Equipment._fields["name"], records)
            records.flush_recordset(["name"])

    # -- chatter, activities -------------------------------------------------

    def document_targets(self, since):
        """(model, id, customer id) of the generated documents, for messages and activities."""
        targets = []
        for model, table, partner in (
            ("sale.order", "sale_order", "partner_id"),
            ("stock.picking", "stock_picking", "partner_id"),
            ("account.move", "account_move", "partner_id"),
        ):
            extra = (
                SQL("AND d.move_type IN ('out_invoice', 'out_refund')") if table == "account_move" else SQL()
            )
            rows = self.env.execute_query(
                SQL(
                    """SELECT d.id, rp.commercial_partner_id, d.create_date FROM %s d
                         JOIN res_partner rp ON rp.id = d.%s
                        WHERE d.id > %s %s""",
                    SQL.identifier(table),
                    SQL.identifier(partner),
                    since.get(table, 0),
                    extra,
                )
            )
            targets.extend((model, res_id, customer, created) for res_id, customer, created in rows)
        return targets

    def message_templates(self):
        """A comment, an e-mail and a notification with tracking on the template customer."""
        env = self.template_env()
        customer = env["res.partner"].browse(self.template_customer.id)
        self.env.flush_all()
        before = self.schema.last_ids()
        templates = {}
        for index, body in enumerate(COMMENTS):
            message = customer.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
            templates[("comment", index)] = message.id
        for index, subject in enumerate(EMAIL_SUBJECTS):
            message = customer.with_user(self.template_user).message_post(
                body=f"<p>Buongiorno,</p><p>{subject.lower()}: vi scriviamo in merito.</p><p>Cordiali saluti</p>",
                subject=subject,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                author_id=self.template_contact.id,
                email_from=self.template_contact.email_formatted,
            )
            templates[("email", index)] = message.id
        customer.with_context(tracking_disable=False).write({"user_id": self.salespeople[1].id})
        self.env.flush_all()
        tracked = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("message_type", "=", "notification"),
            ],
            order="id desc",
            limit=1,
        )
        if tracked:
            templates[("notification", 0)] = tracked.id
        self.env.flush_all()
        after = self.schema.last_ids()
        chains = {}
        for key, message_id in templates.items():
            chain = Chain(key, self.schema, before, after)
            # Only the message and its own rows (tracking values, notifications).
            keep = {"mail_message": [message_id]}
            for table in ("mail_tracking_value", "mail_notification"):
                if table in chain.members:
                    keep[table] = [
                        row[0]
                        for row in self.env.execute_query(
                            SQL(
                                "SELECT id FROM %s WHERE mail_message_id = %s ORDER BY id",
                                SQL.identifier(table),
                                message_id,
                            )
                        )
                    ]
            chain.members = {t: ids for t, ids in keep.items() if ids}
            chain.rank = {t: {old: i for i, old in enumerate(ids)} for t, ids in chain.members.items()}
            chains[key] = chain
        return chains

    def add_messages(self, since):
        [(existing,)] = self.env.execute_query(SQL("SELECT count(*) FROM mail_message"))
        missing = self.scaled(MESSAGES) - existing
        if missing <= 0:
            return 0
        chains = self.message_templates()
        documents = self.document_targets(since)
        by_customer = {c["id"]: c for c in self.customers}
        kinds = list(chains)
        weights = [
            0.45 / len(COMMENTS)
            if kind[0] == "comment"
            else 0.35 / len(EMAIL_SUBJECTS)
            if kind[0] == "email"
            else 0.2
            for kind in kinds
        ]
        plans = defaultdict(list)
        for _i in range(missing):
            kind = self.rng.choices(kinds, weights)[0]
            if self.rng.random() < 0.45:
                model, res_id, customer_id, created = self.rng.choice(documents)
                customer = by_customer.get(customer_id)
                moment = created + timedelta(days=self.rng.random() * 40) if created else self.now
            else:
                customer = self.pick_customer()
                model = "res.partner"
                res_id = customer["id"]
                if customer["contacts"] and self.rng.random() < 0.3:
                    res_id = self.rng.choice(customer["contacts"])
                moment = self.chain_date(customer, "life")
            moment = min(moment, self.now)
            customer = customer or self.customers[0]
            contact = self.rng.choice(customer["contacts"]) if customer["contacts"] else customer["id"]
            user = customer["user"] if self.rng.random() < 0.7 else self.rng.choice(self.operators)
            plans[kind].append((model, res_id, customer["id"], contact, user, moment))
        columns = {
            "g": "int PRIMARY KEY",
            "customer_id": "int",
            "contact_id": "int",
            "user_id": "int",
            "user_partner_id": "int",
            "days": "int",
            "seconds": "int",
            "factor": "int",
            "res_model": "varchar",
            "res_id": "int",
        }
        actors = {
            "customer": self.template_customer.id,
            "contact": self.template_contact.id,
            "user": self.template_user.id,
            "user_partner": self.template_user.partner_id.id,
        }
        rules = dict(COPY_RULES)
        rules[("mail_message", "model")] = lambda chain, col: SQL("p.res_model")
        rules[("mail_message", "res_id")] = lambda chain, col: SQL("p.res_id")
        rules[("mail_message", "record_name")] = lambda chain, col: SQL("NULL")
        total = 0
        for kind, rows in plans.items():
            chain = chains[kind]
            [(template_moment,)] = self.env.execute_query(
                SQL("SELECT date FROM mail_message WHERE id = %s", chain.members["mail_message"][0])
            )
            plan_rows = []
            for g, (model, res_id, customer_id, contact, user, moment) in enumerate(rows, 1):
                shift = moment - template_moment
                plan_rows.append(
                    (
                        g,
                        customer_id,
                        contact,
                        user.id,
                        user.partner_id.id,
                        shift.days,
                        shift.seconds,
                        1,
                        model,
                        res_id,
                    )
                )
            self.write_plan("bench_plan", columns, plan_rows)
            inserted = chain.copy("bench_plan", len(rows), actors, rules)
            total += inserted.get("mail_message", 0)
        return total

    def add_activities(self, since):
        count = self.scaled(ACTIVITIES)
        env = self.template_env()
        customer = env["res.partner"].browse(self.template_customer.id)
        self.env.flush_all()
        before = self.schema.last_ids()
        activity = customer.activity_schedule(
            activity_type_id=self.activity_types[:1].id,
            summary="Richiamare",
            user_id=self.template_user.id,
            date_deadline=self.now.date(),
        )
        self.env.flush_all()
        chain = Chain("activity", self.schema, before, self.schema.last_ids())
        chain.members = {"mail_activity": [activity.id]}
        chain.rank = {"mail_activity": {activity.id: 0}}
        documents = self.document_targets(since)
        # Open activities on about two customers out of three, bigger ones more often.
        planned = [
            c for c in self.customers if self.rng.random() < 0.45 + 0.3 * (c["weight"] > MEDIAN_DOCUMENTS)
        ]
        doc_by_customer = defaultdict(list)
        for model, res_id, customer_id, _created in documents:
            if model != "stock.picking":
                doc_by_customer[customer_id].append((model, res_id))
        model_ids = {
            m.model: m.id
            for m in self.env["ir.model"].search(
                [("model", "in", ["res.partner", "sale.order", "account.move"])]
            )
        }
        rows = []
        for g in range(1, count + 1):
            customer = self.rng.choice(planned)
            choice = self.rng.random()
            if choice < 0.5 or not doc_by_customer[customer["id"]]:
                model = "res.partner"
                res_id = (
                    customer["id"]
                    if choice < 0.3 or not customer["contacts"]
                    else self.rng.choice(customer["contacts"])
                )
            else:
                model, res_id = self.rng.choice(doc_by_customer[customer["id"]])
            deadline = self.now + timedelta(days=self.rng.randint(-45, 60))
            user = customer["user"] if self.rng.random() < 0.75 else self.rng.choice(self.operators)
            shift = deadline.date() - self.now.date()
            rows.append(
                (
                    g,
                    customer["id"],
                    customer["contacts"][0] if customer["contacts"] else customer["id"],
                    user.id,
                    user.partner_id.id,
                    shift.days,
                    0,
                    1,
                    model,
                    model_ids[model],
                    res_id,
                    self.rng.choice(self.activity_types).id,
                    self.rng.choice(ACTIVITY_SUMMARIES),
                )
            )
        self.write_plan(
            "bench_plan",
            {
                "g": "int PRIMARY KEY",
                "customer_id": "int",
                "contact_id": "int",
                "user_id": "int",
                "user_partner_id": "int",
                "days": "int",
                "seconds": "int",
                "factor": "int",
                "res_model": "varchar",
                "res_model_id": "int",
                "res_id": "int",
                "activity_type_id": "int",
                "summary": "varchar",
            },
            rows,
        )
        rules = dict(COPY_RULES)
        for column in ("res_model", "res_model_id", "res_id", "activity_type_id", "summary"):
            rules[("mail_activity", column)] = lambda chain, col, c=column: SQL("p.%s", SQL.identifier(c))
        rules[("mail_activity", "res_name")] = lambda chain, col: SQL("NULL")
        rules[("mail_activity", "create_date")] = lambda chain, col: SQL("%s - interval '10 days'", col)
        actors = {
            "customer": self.template_customer.id,
            "contact": self.template_contact.id,
            "user": self.template_user.id,
            "user_partner": self.template_user.partner_id.id,
        }
        chain.copy("bench_plan", count, actors, rules)
        # Display names of the records, as the ORM stores them.
        self.env.execute_query(
            SQL(
                """UPDATE mail_activity a SET res_name = COALESCE(d.name, '')
                     FROM (SELECT 'res.partner' AS model, id, complete_name AS name FROM res_partner
                           UNION ALL SELECT 'sale.order', id, name FROM sale_order
                           UNION ALL SELECT 'account.move', id, name FROM account_move) d
                    WHERE a.id > %s AND d.model = a.res_model AND d.id = a.res_id""",
                activity.id,
            )
        )
        return count

    # -- finishing ---------------------------------------------------------

    def refresh_customer_status(self):
        """Run the add-ons' post-install hooks: what they store from the data already in a
        database (the customers' next action and last contact) is computed from the seeded
        documents as when the add-ons are installed on an existing company."""
        hooks = []
        for module in ADDONS:
            hook = get_manifest(module).get("post_init_hook")
            if hook:
                getattr(importlib.import_module(f"odoo.addons.{module}"), hook)(self.env)
                hooks.append(f"{module}.{hook}")
        self.env.flush_all()
        return hooks

    def counts(self):
        queries = {
            "customer companies (with the demo ones)": """SELECT count(*) FROM res_partner
                WHERE is_company AND customer_rank > 0""",
            "contacts (with the demo ones)": "SELECT count(*) FROM res_partner WHERE parent_id IS NOT NULL",
            "sale orders": "SELECT count(*) FROM sale_order",
            "  quotations": "SELECT count(*) FROM sale_order WHERE state IN ('draft', 'sent')",
            "  confirmed": "SELECT count(*) FROM sale_order WHERE state = 'sale'",
            "  cancelled": "SELECT count(*) FROM sale_order WHERE state = 'cancel'",
            "  in USD": "SELECT count(*) FROM sale_order WHERE currency_id = %(usd)s",
            "  in the second company": "SELECT count(*) FROM sale_order WHERE company_id = %(company2)s",
            "delivery notes (outgoing)": """SELECT count(*) FROM stock_picking p JOIN stock_picking_type t
                ON t.id = p.picking_type_id WHERE t.code = 'outgoing'""",
            "returns": "SELECT count(*) FROM stock_picking WHERE return_id IS NOT NULL",
            "posted invoices": "SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'",
            "posted credit notes": "SELECT count(*) FROM account_move WHERE move_type = 'out_refund' AND state = 'posted'",
            "  not paid, overdue": """SELECT count(*) FROM account_move WHERE move_type = 'out_invoice'
                AND state = 'posted' AND payment_state IN ('not_paid', 'partial') AND invoice_date_due < now()""",
            "  partially paid": "SELECT count(*) FROM account_move WHERE payment_state = 'partial'",
            "payments": "SELECT count(*) FROM account_payment",
            "open activities": "SELECT count(*) FROM mail_activity WHERE active",
            "chatter messages": "SELECT count(*) FROM mail_message",
            "  per type": """SELECT string_agg(message_type || ' ' || c, ', ' ORDER BY c DESC) FROM (
                SELECT message_type, count(*) c FROM mail_message GROUP BY message_type) s""",
            "calls": "SELECT count(*) FROM crm_relationship_call",
            "equipment": "SELECT count(*) FROM crm_relationship_equipment",
            "defect reports": "SELECT count(*) FROM crm_relationship_defect",
            "highest mail_message id": "SELECT max(id) FROM mail_message",
        }
        params = {"usd": self.usd.id, "company2": self.company2.id}
        result = {}
        for label, query in queries.items():
            [(result[label],)] = self.env.execute_query(SQL(query, **params))
        # Documents per customer (sale orders + delivery notes + invoices/credit notes).
        rows = self.env.execute_query(
            SQL(
                """SELECT n FROM (
                   SELECT rp.commercial_partner_id AS cid, count(*) AS n FROM (
                       SELECT partner_id FROM sale_order
                       UNION ALL SELECT partner_id FROM stock_picking
                       UNION ALL SELECT partner_id FROM account_move WHERE move_type IN ('out_invoice', 'out_refund')
                   ) d JOIN res_partner rp ON rp.id = d.partner_id GROUP BY 1) s
               ORDER BY n DESC"""
            )
        )
        per_customer = [row[0] for row in rows]
        per_customer += [0] * max(0, len(self.customers) - len(per_customer))
        result["documents of the 3 biggest customers"] = ", ".join(str(n) for n in per_customer[:3])
        result["median documents per customer"] = sorted(per_customer)[len(per_customer) // 2]
        return result


# Sale orders + delivery notes + invoices each chain makes.
DOCUMENTS_PER_CHAIN = {
    "quotation": 1,
    "quotation_sent": 1,
    "order_cancelled": 2,
    "order_to_deliver": 2,
    "order_delivered": 2,
    "order_backorder_paid": 5,
    "orders_grouped_payment": 12,
    "order_paid": 3,
    "order_unpaid": 3,
    "order_unpaid_old": 3,
    "order_partial": 3,
    "order_returned": 5,
    "order_equipment": 3,
    "order_equipment_defect": 3,
    "order_usd": 3,
    "order_company2": 3,
    "order_company2_unpaid": 3,
    "maintenance_invoices": 4,
    "maintenance_unpaid": 1,
    "direct_delivery": 1,
}
REPORTED_TABLES = {
    "sale_order",
    "stock_picking",
    "account_move",
    "account_payment",
    "mail_message",
    "crm_relationship_call",
    "crm_relationship_equipment",
    "crm_relationship_defect",
    "mail_activity",
}


def itertools_accumulate(values):
    total = 0.0
    for value in values:
        total += value
        yield total


def statistics_normal_quantile(p):
    return NormalDist().inv_cdf(p)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--template", default="crm_relationship_test")
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-update", action="store_true", help="do not update the add-ons in the copy")
    args = parser.parse_args()
    if args.db == args.template:
        sys.exit("--db must differ from --template")

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    timer = Timer()
    with timer(f"copy {args.template} to {args.db}"):
        recreate_database(args.db, args.template)
    if not args.no_update:
        with timer("update the add-ons in the copy"):
            update_addons(args.db, args.config)
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tz": "Europe/Rome"})
        generator = Generator(env, args.scale, args.seed, timer)
        with timer("push the id sequences past 2^31/1000"):
            pushed = generator.schema.push_sequences(OLD_DATABASE_ID)
            log("  %s", ", ".join(pushed))
        with timer("users, products, stock, currency rate"):
            generator.setup()
        with timer("customers and contacts (ORM)"):
            generator.create_customers()
        start_ids = generator.schema.last_ids()
        with timer("one chain of each kind (ORM)"):
            generator.make_chains()
        foreign_keys = generator.schema.drop_foreign_keys(generator.bulk_tables())
        with timer("bulk copies of the chains"):
            generator.copy_chains()
        with timer("renumbered names in the columns repeating them"):
            generator.fix_derived_names(start_ids)
        with timer("chatter messages"):
            generator.add_messages(start_ids)
        with timer("open activities"):
            generator.add_activities(start_ids)
        with timer(f"{len(foreign_keys)} foreign keys added back (checked)"):
            generator.schema.restore_foreign_keys(foreign_keys)
        with timer("post-install hooks of the add-ons"):
            log("  %s", ", ".join(generator.refresh_customer_status()) or "(no hook)")
        env.invalidate_all()
        cr.commit()
        counts = generator.counts()
    with timer("ANALYZE"), registry.cursor() as cr:
        cr.execute("ANALYZE")
    log("\nCreated in %s (scale %s):", args.db, args.scale)
    for label, value in counts.items():
        log("  %-40s %s", label, f"{value:,}" if isinstance(value, int) else value)
    log(
        "Benchmark user: login %s, password %s (Relationship User, Sales own documents, Billing)",
        BENCH_LOGIN,
        BENCH_LOGIN,
    )
    log("\nTimings:")
    for name, duration in timer.phases:
        log("  %-50s %7.1f s", name, duration)
    log("  %-50s %7.1f s", "total", time.perf_counter() - timer.start)


if __name__ == "__main__":
    main()
