import json
import logging
import threading

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import CrmRelationshipDefectCase

# The buttons of the customer card (res.partner) that open the customer's records.
CARD_BUTTONS = (
    "action_open_crm_card",
    "action_view_crm_quotations",
    "action_view_crm_orders",
    "action_view_crm_deliveries",
    "action_view_crm_invoices",
    "action_view_crm_timeline",
    "action_view_crm_calls",
    "action_view_crm_equipment",
    "action_view_crm_event_logs",
    "action_view_crm_profitability",
    "action_view_crm_defects",
)

# Methods the web client calls that only read: served on a read-only cursor (a read replica when
# Odoo has one).
READ_ONLY_METHODS = [
    # the customer card and its timeline
    *(("res.partner", method) for method in CARD_BUTTONS),
    ("crm.relationship.timeline", "action_open_document"),
    # search panels of the lists
    ("crm.relationship.timeline", "search_panel_select_multi_range"),
    ("crm.relationship.call", "search_panel_select_range"),
    ("crm.relationship.defect", "search_panel_select_range"),
    # traceability of a defect
    ("crm.relationship.defect", "action_view_calls"),
    ("crm.relationship.defect", "action_view_recalls"),
    ("crm.relationship.defect", "action_view_affected_equipment"),
    ("crm.relationship.defect", "action_view_deliveries"),
    # previews computed by the wizards' onchange: the lookups, the recall, the registration
    ("crm.relationship.call.lookup", "onchange"),
    ("crm.relationship.equipment.lookup", "onchange"),
    ("crm.relationship.defect.recall", "onchange"),
    ("crm.relationship.equipment.register", "onchange"),
    # other smart buttons
    ("crm.relationship.equipment", "action_view_components"),
    ("crm.relationship.equipment.category", "action_view_equipment"),
    ("crm.relationship.defect.category", "action_view_defects"),
    ("crm.relationship.event.rule", "action_view_logs"),
    ("crm.relationship.rfm.segment", "action_view_partners"),
    ("stock.lot", "action_view_crm_equipment"),
]

# Methods the web client calls that stay on a read/write cursor.
READ_WRITE_METHODS = [
    # they write
    ("crm.relationship.call", "web_save"),
    ("crm.relationship.call.lookup", "action_create_contact"),
    ("crm.relationship.call.close", "action_confirm"),
    ("crm.relationship.call", "action_reopen"),
    *(
        ("crm.relationship.defect", method)
        for method in (
            "action_confirm",
            "action_start_analysis",
            "action_resolve",
            "action_close",
            "action_reject",
            "action_reset_to_new",
        )
    ),
    ("crm.relationship.defect.recall", "action_apply"),
    ("crm.relationship.equipment.register", "action_register"),
    *(
        ("crm.relationship.equipment", method)
        for method in (
            "action_set_in_service",
            "action_set_under_repair",
            "action_set_returned",
            "action_retire",
        )
    ),
    ("crm.relationship.event.rule", "action_run"),
    ("crm.relationship.rfm.segment", "action_recompute_rfm"),
    ("res.config.settings", "action_crm_recompute_rfm"),
    ("stock.picking", "button_validate"),
    # buttons of a wizard, called right after the web client saved it on the primary: a lagging
    # replica would not have the wizard yet
    ("crm.relationship.call.lookup", "action_log_call"),
    ("crm.relationship.equipment.lookup", "action_find"),
    # they open a new document, or the wizard writing it, pre-filled from a record the web client
    # may have just saved on the primary
    ("res.partner", "action_crm_log_call"),
    ("crm.relationship.equipment", "action_crm_log_call"),
    ("res.partner", "action_crm_report_defect"),
    ("crm.relationship.equipment", "action_crm_report_defect"),
    ("crm.relationship.call", "action_report_defect"),
    ("crm.relationship.call", "action_close"),
    ("crm.relationship.defect", "action_open_recall"),
]


def served_read_only(model_class, method_name):
    """Whether the web client's ``/web/dataset/call_kw`` and ``call_button`` (and ``/json/2``) serve
    ``method_name`` on a read-only cursor: the first method along the class's MRO carrying the
    ``@api.readonly`` flag decides, as in ``DataSet._call_kw_readonly``."""
    for cls in model_class.mro():
        method = getattr(cls, method_name, None)
        if method is not None and hasattr(method, "_readonly"):
            return method._readonly
    return False


def as_json(value):
    """``value`` as it comes back from a JSON-RPC response (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


class ReadReplicaMixin:
    """Call methods through the web client's routes and tell which cursor Odoo served them on."""

    def _web_context(self, user, **values):
        return {
            "lang": "en_US",
            "tz": "Europe/Rome",
            "uid": user.id,
            "allowed_company_ids": user.company_id.ids,
            **values,
        }

    def _serve(self, route, model, method, args, kwargs=None, context=None):
        """``(result, cursor mode)`` of ``model.method`` called by the authenticated user through
        ``/web/dataset/<route>``. The mode is the one Odoo's request log shows with a read replica:
        ``ro`` (read-only cursor), ``rw``, or ``ro->rw`` (it wrote on the read-only cursor and
        was served again on a read/write one)."""
        path = f"/web/dataset/{route}/{model}.{method}"
        params = {
            "model": model,
            "method": method,
            "args": args,
            "kwargs": dict(kwargs or {}, context=context),
        }
        modes = []

        def log_cursor_mode(record):
            # the request's log line is written by the thread that served it, after serving it
            if path in record.getMessage():
                modes.append(getattr(threading.current_thread(), "cursor_mode", None))
            return True

        werkzeug = logging.getLogger("werkzeug")
        werkzeug.addFilter(log_cursor_mode)
        try:
            with self.assertLogs("werkzeug", logging.INFO):
                result = self.make_jsonrpc_request(path, params)
        finally:
            werkzeug.removeFilter(log_cursor_mode)
        self.assertEqual(len(modes), 1, f"{path}: one request served")
        return result, modes[0]

    def _assert_served_read_only(self, route, model, method, args, kwargs=None, context=None):
        """Result of the call, served on a read-only cursor from start to end."""
        with self.assertNoLogs("odoo.http", "WARNING"):
            result, mode = self._serve(route, model, method, args, kwargs, context)
        self.assertEqual(mode, "ro", f"{model}.{method} is served on a read-only cursor")
        return result

    def _assert_action_served_read_only(self, user, records, method):
        """The action of the button ``method`` of ``records``, served read-only, the same as the one
        returned to ``user`` in the test's transaction."""
        context = self._web_context(user)
        expected = getattr(records.with_user(user).with_context(**context), method)()
        action = self._assert_served_read_only(
            "call_button", records._name, method, [records.ids], context=context
        )
        for key in ("type", "res_model", "res_id", "domain"):
            self.assertEqual(action.get(key), as_json(expected.get(key)), f"{records._name}.{method}: {key}")
        return action

    @staticmethod
    def _linked_ids(commands):
        """Ids of the records an x2many value of an onchange result links."""
        return sorted(command[1] for command in commands if command[0] == fields.Command.LINK)


@tagged("post_install", "-at_install")
class TestCrmRelationshipReadOnlyMarks(TransactionCase):
    def test_read_only_methods_are_marked(self):
        for model, method in READ_ONLY_METHODS:
            with self.subTest(model=model, method=method):
                self.assertTrue(served_read_only(type(self.env[model]), method))

    def test_write_paths_stay_read_write(self):
        for model, method in READ_WRITE_METHODS:
            with self.subTest(model=model, method=method):
                self.assertTrue(callable(getattr(self.env[model], method, None)), "the method exists")
                self.assertFalse(served_read_only(type(self.env[model]), method))


@tagged("post_install", "-at_install")
class TestCrmRelationshipReadReplica(ReadReplicaMixin, CrmRelationshipDefectCase, HttpCase):
    """A Relationship User's screens, served through the web client's routes: the reads on a
    read-only cursor (``SET TRANSACTION READ ONLY`` in tests, where a write fails), the writes on
    a read/write one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.it")
        cls.operator = new_test_user(
            cls.env,
            login="ro_operator",
            name="Rita Replica",
            groups="crm_relationship.crm_relationship_group_user,stock.group_stock_user",
        )
        cls.contact.phone = "+39 02 7704 4321"
        cls.bianchi = cls._create_call_customer("Bianchi Clima")
        cls.picking_rossi = cls._deliver(cls.customer, cls.boiler, cls.lot)
        cls.picking_bianchi = cls._deliver(cls.bianchi, cls.boiler, cls.lot, quantity=2)
        cls.unit = cls._equipment_of(cls.customer, cls.lot)
        cls.defect = cls._create_defect()
        cls.call = cls._create_call(cls.customer, defect_id=cls.defect.id)
        cls.quotation = cls.env["sale.order"].create({"partner_id": cls.customer.id})

    def setUp(self):
        super().setUp()
        self.authenticate(self.operator.login, self.operator.login)

    # ------------------------------------------------------------------
    # The customer card and its timeline
    # ------------------------------------------------------------------

    def test_customer_card_buttons(self):
        """The card's buttons, from a person of the customer: they open the customer's records."""
        actions = {}
        # the profitability is the managers' button: test_profitability_button_of_the_managers
        for method in sorted(set(CARD_BUTTONS) - {"action_view_crm_profitability"}):
            with self.subTest(method=method):
                actions[method] = self._assert_action_served_read_only(self.operator, self.contact, method)
        card = actions["action_open_crm_card"]
        self.assertEqual((card["res_model"], card["res_id"]), ("res.partner", self.customer.id))
        found = {
            method: self.env[actions[method]["res_model"]].search(actions[method]["domain"])
            for method in actions
            if method != "action_open_crm_card"
        }
        self.assertEqual(found["action_view_crm_quotations"], self.quotation)
        self.assertEqual(found["action_view_crm_orders"], self.picking_rossi.sale_id)
        self.assertEqual(found["action_view_crm_deliveries"], self.picking_rossi)
        self.assertFalse(found["action_view_crm_invoices"])
        timeline = found["action_view_crm_timeline"]
        self.assertEqual(timeline.commercial_partner_id, self.customer)
        self.assertIn(("crm.relationship.call", self.call.id), {(e.res_model, e.res_id) for e in timeline})
        self.assertEqual(found["action_view_crm_calls"], self.call)
        self.assertEqual(found["action_view_crm_equipment"], self.unit)
        self.assertEqual(found["action_view_crm_defects"], self.defect)

    def test_profitability_button_of_the_managers(self):
        self.authenticate(self.rel_manager.login, self.rel_manager.login)
        action = self._assert_action_served_read_only(
            self.rel_manager, self.customer, "action_view_crm_profitability"
        )
        self.assertEqual(action["res_model"], "crm.relationship.profitability.report")
        self.assertEqual(action["domain"], [["partner_id", "=", self.customer.id]])

    def test_timeline_opens_the_document(self):
        entry = (
            self.env["crm.relationship.timeline"]
            .with_user(self.operator)
            .search([("res_model", "=", "crm.relationship.call"), ("res_id", "=", self.call.id)])
        )
        self.assertEqual(len(entry), 1)
        action = self._assert_action_served_read_only(self.operator, entry, "action_open_document")
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.relationship.call", self.call.id))

    def test_search_panels(self):
        context = self._web_context(self.operator)
        customer_domain = [("commercial_partner_id", "=", self.customer.id)]
        timeline = self._assert_served_read_only(
            "call_kw",
            "crm.relationship.timeline",
            "search_panel_select_multi_range",
            ["entry_type"],
            {"search_domain": customer_domain, "enable_counters": True, "expand": True},
            context,
        )
        counts = {value["id"]: value["__count"] for value in timeline["values"]}
        self.assertEqual((counts["call"], counts["defect"], counts["delivery"]), (1, 1, 1))
        calls = self._assert_served_read_only(
            "call_kw",
            "crm.relationship.call",
            "search_panel_select_range",
            ["channel_id"],
            {"search_domain": [("partner_id", "=", self.customer.id)], "enable_counters": True},
            context,
        )
        self.assertEqual(
            [(value["id"], value["__count"]) for value in calls["values"] if value["__count"]],
            [(self.call.channel_id.id, 1)],
        )
        defects = self._assert_served_read_only(
            "call_kw",
            "crm.relationship.defect",
            "search_panel_select_range",
            ["state"],
            {"search_domain": [("partner_id", "=", self.customer.id)], "enable_counters": True},
            context,
        )
        self.assertEqual(
            [(value["id"], value["__count"]) for value in defects["values"] if value["__count"]], [("new", 1)]
        )

    # ------------------------------------------------------------------
    # Lookups while the customer is on the phone
    # ------------------------------------------------------------------

    def _onchange(self, model, values, field_names, context):
        """The onchange of a new ``model`` record, as the web client sends it from the form view."""
        spec = self._form_spec(self.env[model].with_user(self.operator).with_context(**context))
        return self._assert_served_read_only(
            "call_kw", model, "onchange", [[], values, field_names, spec], context=context
        )

    def test_caller_lookup(self):
        context = self._web_context(self.operator)
        Lookup = "crm.relationship.call.lookup"
        opened = self._onchange(Lookup, {}, [], context)
        self.assertEqual(opened["value"]["direction"], "inbound")
        typed = self._onchange(Lookup, {"phone": "02 7704-4321", "direction": "inbound"}, ["phone"], context)
        self.assertEqual(self._linked_ids(typed["value"]["match_ids"]), self.contact.ids)
        self.assertEqual(typed["value"]["match_count"], 1)
        self.assertEqual(typed["value"]["contact_id"]["id"], self.contact.id)

    def test_serial_lookup(self):
        context = self._web_context(self.operator)
        Lookup = "crm.relationship.equipment.lookup"
        opened = self._onchange(Lookup, {}, [], context)
        self.assertEqual(opened["value"]["match_count"], 0)
        units = self._equipment_of(self.customer, self.lot) | self._equipment_of(self.bianchi, self.lot)
        self.assertEqual(len(units), 3)
        # the web client sends the whole form each time, the matches of the previous number included
        exact = self._onchange(
            Lookup,
            {"serial_number": " CX24-L001 ", "match_count": 0, "match_ids": []},
            ["serial_number"],
            context,
        )
        self.assertEqual(self._linked_ids(exact["value"]["match_ids"]), sorted(units.ids))
        self.assertEqual(exact["value"]["match_count"], 3)
        partial = self._onchange(
            Lookup, {"serial_number": "L001", "match_count": 0, "match_ids": []}, ["serial_number"], context
        )
        self.assertEqual(self._linked_ids(partial["value"]["match_ids"]), sorted(units.ids))
        missing = self._onchange(
            Lookup,
            {"serial_number": "ZZ-404", "match_count": 3, "match_ids": [fields.Command.set(units.ids)]},
            ["serial_number"],
            context,
        )
        self.assertEqual(missing["value"]["match_count"], 0)
        self.assertEqual(
            sorted(missing["value"]["match_ids"]),
            [as_json(fields.Command.unlink(unit_id)) for unit_id in sorted(units.ids)],
        )

    # ------------------------------------------------------------------
    # Traceability of a defect
    # ------------------------------------------------------------------

    def test_traceability_buttons(self):
        defect = self.defect
        affected = self._assert_action_served_read_only(
            self.operator, defect, "action_view_affected_equipment"
        )
        self.assertEqual(
            self.env["crm.relationship.equipment"].search(affected["domain"]),
            self._equipment_of(self.bianchi, self.lot),
        )
        deliveries = self._assert_action_served_read_only(self.operator, defect, "action_view_deliveries")
        self.assertEqual(
            self.env["stock.picking"].search(deliveries["domain"]), self.picking_rossi | self.picking_bianchi
        )
        calls = self._assert_action_served_read_only(self.operator, defect, "action_view_calls")
        self.assertEqual(self.env["crm.relationship.call"].search(calls["domain"]), self.call)
        recalls = self._assert_action_served_read_only(self.operator, defect, "action_view_recalls")
        self.assertEqual(recalls["res_model"], "crm.relationship.defect.recall.log")

    def test_recall_preview(self):
        context = self._web_context(self.operator, default_defect_id=self.defect.id)
        preview = self._onchange("crm.relationship.defect.recall", {}, [], context)
        self.assertEqual(self._linked_ids(preview["value"]["partner_ids"]), self.bianchi.ids)
        self.assertEqual(preview["value"]["partner_count"], 1)
        self.assertEqual(preview["value"]["partner_without_email_count"], 1, "Bianchi has no e-mail")

    def test_registration_preview_of_the_managers(self):
        self.authenticate(self.rel_manager.login, self.rel_manager.login)
        context = self._web_context(self.rel_manager)
        Register = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager)
        expected = Register.with_context(**context).new({"company_id": self.company.id})
        spec = self._form_spec(Register.with_context(**context))
        preview = self._assert_served_read_only(
            "call_kw", Register._name, "onchange", [[], {}, [], spec], context=context
        )
        self.assertEqual(preview["value"]["move_line_count"], expected.move_line_count)
        self.assertEqual(preview["value"]["move_line_count"], 2, "the deliveries to Rossi and Bianchi")

    # ------------------------------------------------------------------
    # Other smart buttons
    # ------------------------------------------------------------------

    def test_smart_buttons(self):
        category = self.env["crm.relationship.equipment.category"].create({"name": "Caldaie murali"})
        segment = self.env["crm.relationship.rfm.segment"].create({"name": "Clienti fedeli"})
        rule = self.env["crm.relationship.event.rule"].create(
            {
                "name": "Nessun acquisto",
                "rule_type": "no_purchase",
                "days": 30,
                "responsible_type": "salesperson",
            }
        )
        buttons = [
            (self.unit, "action_view_components", [["parent_id", "=", self.unit.id]]),
            (category, "action_view_equipment", [["category_id", "=", category.id]]),
            (self.noise, "action_view_defects", [["category_id", "=", self.noise.id]]),
            (rule, "action_view_logs", [["rule_id", "=", rule.id]]),
            (segment, "action_view_partners", [["crm_segment_id", "=", segment.id]]),
            (self.lot, "action_view_crm_equipment", [["lot_id", "=", self.lot.id]]),
        ]
        for records, method, domain in buttons:
            with self.subTest(model=records._name, method=method):
                action = self._assert_action_served_read_only(self.operator, records, method)
                self.assertEqual(action["domain"], domain)

    # ------------------------------------------------------------------
    # The writes stay on the primary, and a write on the replica shows
    # ------------------------------------------------------------------

    def test_writes_are_served_read_write(self):
        context = self._web_context(self.operator)
        with self.assertNoLogs("odoo.http", "WARNING"):
            saved, mode = self._serve(
                "call_kw",
                "crm.relationship.call",
                "web_save",
                [[], {"partner_id": self.customer.id, "subject": "Richiamata"}],
                {"specification": {"subject": {}}},
                context,
            )
        self.assertEqual(mode, "rw")
        self.assertEqual(self.env["crm.relationship.call"].browse(saved[0]["id"]).subject, "Richiamata")
        with self.assertNoLogs("odoo.http", "WARNING"):
            __, mode = self._serve(
                "call_button", "crm.relationship.defect", "action_confirm", [self.defect.ids], context=context
            )
        self.assertEqual(mode, "rw")
        self.defect.invalidate_recordset(["state"])
        self.assertEqual(self.defect.state, "confirmed")

    def test_a_write_on_the_read_only_cursor_is_detected(self):
        """What the checks above would see if a marked method wrote: the retry on the primary."""
        Category = type(self.env["crm.relationship.equipment.category"])
        view_equipment = Category.action_view_equipment

        def writing_view_equipment(self):
            self.write({"name": "Scritto"})
            return view_equipment(self)

        writing_view_equipment._readonly = True
        self.patch(Category, "action_view_equipment", writing_view_equipment)
        category = self.env["crm.relationship.equipment.category"].create({"name": "Caldaie murali"})
        self.authenticate(self.rel_manager.login, self.rel_manager.login)
        with (
            self.assertLogs("odoo.http", "WARNING") as retried,
            self.assertLogs("odoo.sql_db", "ERROR"),
        ):
            __, mode = self._serve(
                "call_button",
                category._name,
                "action_view_equipment",
                [category.ids],
                context=self._web_context(self.rel_manager),
            )
        self.assertEqual(mode, "ro->rw")
        self.assertIn("retrying with a read/write cursor", retried.output[0])
        category.invalidate_recordset(["name"])
        self.assertEqual(category.name, "Scritto")
