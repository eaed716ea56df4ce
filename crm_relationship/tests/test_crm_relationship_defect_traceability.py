from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectTraceability(CrmRelationshipDefectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bianchi = cls._create_call_customer("Bianchi Clima", email="info@bianchi.example.com")
        cls.verdi = cls._create_call_customer("Verdi Termo", email=False)
        cls.neri = cls._create_call_customer("Neri Caldaie", email="neri@example.com", lang="it_IT")
        cls.picking_rossi = cls._deliver(cls.customer, cls.boiler, cls.lot)
        cls.picking_bianchi = cls._deliver(cls.bianchi, cls.boiler, cls.lot, quantity=2)
        cls.picking_verdi = cls._deliver(cls.verdi, cls.boiler, cls.lot)
        cls.picking_neri = cls._deliver(cls.neri, cls.boiler, cls.other_lot)

    @staticmethod
    def _affected(defect):
        """``(customers, equipment)`` affected by ``defect``, from a fresh lookup."""
        trace = defect._get_traceability()[defect]
        return trace["customers"], trace["equipment"]

    def test_deliveries_and_affected_customers(self):
        defect = self._create_defect(equipment_id=self._equipment_of(self.customer, self.lot).id)
        self.assertEqual(defect.traced_lot_ids, self.lot)
        self.assertEqual(defect.delivery_ids, self.picking_rossi | self.picking_bianchi | self.picking_verdi)
        customers, equipment = self._affected(defect)
        self.assertEqual(customers, self.bianchi | self.verdi, "other customers of the same lot only")
        self.assertEqual(equipment, self._equipment_of(self.bianchi) | self._equipment_of(self.verdi))
        self.assertEqual(len(equipment), 3)
        self.assertEqual(defect.affected_partner_ids, customers)
        self.assertEqual(defect.affected_partner_count, 2)
        self.assertEqual(set(defect.action_view_affected_equipment()["domain"][0][2]), set(equipment.ids))
        self.assertEqual(
            defect.with_user(self.rel_user).affected_partner_ids, customers, "a call-center user sees them"
        )

        returned = self._equipment_of(self.verdi)
        returned.action_set_returned()
        self.assertEqual(self._affected(defect)[1], self._equipment_of(self.bianchi))
        self.assertIn(self.verdi, self._affected(defect)[0], "still received the lot")

        without_lot = self._create_defect(lot_id=False)
        self.assertEqual(
            self._affected(without_lot),
            (self.env["res.partner"], self.env["crm.relationship.equipment"]),
        )
        with self._assert_raises_message(UserError, "Set the serial/lot number"):
            without_lot.action_open_recall()

    def _count_queries(self, defect):
        """Queries of ``_get_traceability`` with a cold ORM cache (the environment warmed up)."""
        self._affected(defect)
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        customers, _equipment = self._affected(defect)
        return self.cr.sql_log_count - start, customers

    def test_affected_customers_query_count_does_not_grow(self):
        defect = self._create_defect()
        small, customers = self._count_queries(defect)
        self.assertEqual(len(customers), 2)
        for index in range(6):
            customer = self._create_call_customer(f"Cliente {index}", email=f"c{index}@example.com")
            self._deliver(customer, self.boiler, self.lot)
        large, customers = self._count_queries(defect)
        self.assertEqual(len(customers), 8)
        self.assertEqual(large, small, "no query per customer")

    def _form_load(self, defect, user):
        """Open the form of ``defect`` as ``user`` in the web client, with a cold ORM cache (the
        environment warmed up): ``(queries, traceability lookups, values read)``."""
        defect = defect.with_user(user).with_context(allowed_company_ids=self.company.ids)
        spec = self._form_spec(defect)
        self.env.flush_all()
        self.env.invalidate_all()
        defect.web_read(spec)  # warm up: the user's access rules, read once per registry
        self.env.invalidate_all()
        Defect = type(defect)
        with patch.object(
            Defect, "_get_traceability", autospec=True, side_effect=Defect._get_traceability
        ) as lookup:
            start = self.cr.sql_log_count
            values = defect.web_read(spec)[0]
            queries = self.cr.sql_log_count - start
        return queries, lookup.call_count, values

    def test_form_load_traces_once_whatever_the_number_of_customers(self):
        stock_operator = new_test_user(
            self.env,
            login="defect_stock_operator",
            groups="crm_relationship.crm_relationship_group_user,stock.group_stock_user",
        )
        defect = self._create_defect()
        small = {}
        for user in (self.rel_user, stock_operator):
            queries, lookups, values = self._form_load(defect, user)
            self.assertEqual(lookups, 1, "one lookup for every traceability field of the form")
            self.assertEqual(values["affected_partner_count"], 2)
            self.assertEqual(len(values["affected_partner_ids"]), 2)
            self.assertEqual(len(values["affected_equipment_ids"]), 3, "two units at Bianchi")
            self.assertEqual("delivery_ids" in values, user == stock_operator)
            small[user] = queries
        self.assertEqual(len(self._form_load(defect, stock_operator)[2]["delivery_ids"]), 3)

        for index in range(6):
            customer = self._create_call_customer(f"Cliente {index}", email=f"c{index}@example.com")
            self._deliver(customer, self.boiler, self.lot)
        for user in (self.rel_user, stock_operator):
            queries, lookups, values = self._form_load(defect, user)
            self.assertEqual(lookups, 1)
            self.assertEqual(values["affected_partner_count"], 8)
            self.assertEqual(len(values["affected_partner_ids"]), 8)
            self.assertEqual(len(values["affected_equipment_ids"]), 9)
            self.assertEqual(queries, small[user], "no query per affected customer, unit or delivery")
            self.assertLessEqual(queries, 30)

    def test_recall_calls(self):
        defect = self._create_defect(user=self.rel_user)
        defect.action_confirm()
        action = defect.action_open_recall()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.rel_user).with_context(**action["context"])
        )
        self.assertEqual(wizard.partner_count, 2)
        wizard.user_id = self.call_center_user
        result = wizard.save().action_apply()
        calls = self.env["crm.relationship.call"].search([("defect_id", "=", defect.id)])
        self.assertEqual(calls.partner_id, self.bianchi | self.verdi)
        self.assertEqual(set(calls.mapped("direction")), {"outbound"})
        self.assertEqual(set(calls.mapped("state")), {"open"})
        self.assertEqual(calls.user_id, self.call_center_user)
        self.assertEqual(
            calls.filtered(lambda c: c.partner_id == self.verdi).equipment_id, self._equipment_of(self.verdi)
        )
        self.assertFalse(
            calls.filtered(lambda c: c.partner_id == self.bianchi).equipment_id, "two units: none"
        )
        self.assertIn(defect.name, calls[0].subject)
        self.assertEqual(result["domain"], [("defect_id", "=", defect.id)])
        self.assertEqual(defect.call_count, 2)
        wizard = self.env["crm.relationship.defect.recall"].create({"defect_id": defect.id, "mode": "call"})
        again = wizard._create_recall_calls(self.bianchi | self.verdi)
        self.assertFalse(again, "no second open call to the same customer")

    def test_recall_mails_in_each_customer_language(self):
        neri_defect = self._create_defect(lot_id=self.other_lot.id)
        self.bianchi.lang = "it_IT"
        defect = self._create_defect()
        defect.action_confirm()
        self.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["it_IT"], overwrite=True)
        wizard = self.env["crm.relationship.defect.recall"].create({"defect_id": defect.id, "mode": "email"})
        self.assertEqual(wizard.partner_without_email_count, 1)
        wizard.action_apply()
        log = defect.recall_log_ids
        self.assertEqual(log.pending_partner_ids, self.bianchi, "customers without e-mail are left out")
        log._send_pending_mails(log._get_batch_size())
        mails = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", (self.bianchi | self.verdi).ids)]
        )
        self.assertEqual(len(mails), 1, "Verdi has no e-mail address")
        self.assertEqual(mails.recipient_ids, self.bianchi)
        self.assertEqual(mails.state, "outgoing")
        self.assertIn("CX24-L001", mails.body_html)
        self.assertIn(defect.name, mails.body_html)
        self.assertEqual(mails.subject, "Avviso importante sul vostro Boiler CX24")
        self.assertIn("Recall e-mail queued for 1 customers.", defect.message_ids[0].body)
        self.assertEqual(self._affected(neri_defect)[0], self.neri)
