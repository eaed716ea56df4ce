import ast
import re

from lxml import etree

from odoo.tools import SQL

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
