from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefect(CrmRelationshipDefectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.picking = cls._deliver(cls.customer, cls.boiler, cls.lot)
        cls.equipment = cls._equipment_of(cls.customer, cls.lot)

    def _resolve(self, defect):
        defect.write(
            {"root_cause": "Loose fan screw.", "corrective_action": "Screw tightened, torque checked."}
        )
        defect.action_resolve()

    def test_reference_and_defaults(self):
        defect = self._create_defect(user=self.rel_user)
        self.assertRegex(defect.name, r"^DEF/\d{4}/\d{4,}$")
        self.assertEqual(defect.state, "new")
        self.assertEqual(defect.user_call_center_id, self.rel_user)
        self.assertEqual(defect.user_sales_id, self.salesperson, "the customer's salesperson")
        self.assertEqual(
            defect.user_production_id, self.production_user, "the company's production responsible"
        )
        reported = fields.Date.context_today(defect, defect.date_reported)
        self.assertEqual(defect.date_deadline, reported + timedelta(days=10))
        defect.severity = "critical"
        self.assertEqual(defect.date_deadline, reported + timedelta(days=2))
        self.assertEqual(
            defect.category_id, self.env.ref("crm_relationship.crm_relationship_defect_category_other")
        )
        other = self._create_defect()
        self.assertNotEqual(other.name, defect.name)

    def test_prefilled_from_equipment_and_call(self):
        self.assertEqual(len(self.equipment), 1)
        defect = self.Defect.create({"equipment_id": self.equipment.id, "description": "<p>Noise</p>"})
        self.assertEqual(defect.partner_id, self.customer)
        self.assertEqual(defect.product_id, self.boiler)
        self.assertEqual(defect.lot_id, self.lot)

        outcome = self.env.ref("crm_relationship.crm_relationship_call_outcome_defect")
        call = self._create_call(
            self.customer,
            user=self.rel_user,
            contact_id=self.contact.id,
            equipment_id=self.equipment.id,
            outcome_id=outcome.id,
            notes="<p>It vibrates at ignition.</p>",
        )
        self.assertTrue(call.is_defect_reported)
        action = call.with_user(self.rel_user).action_report_defect()
        self.assertEqual(action["res_model"], "crm.relationship.defect")
        form = Form(self.Defect.with_user(self.rel_user).with_context(**action["context"]))
        from_call = form.save()
        self.assertEqual(from_call.call_id, call)
        self.assertEqual(
            (from_call.partner_id, from_call.contact_id, from_call.equipment_id, from_call.lot_id),
            (self.customer, self.contact, self.equipment, self.lot),
        )
        self.assertIn("vibrates", from_call.description)
        self.assertEqual(call.defect_id, from_call, "the call links to the report it opened")
        self.assertEqual(call.action_report_defect()["res_id"], from_call.id, "a second click opens it")

        plain_call = self._create_call(self.customer)
        self.assertFalse(plain_call.is_defect_reported)

    def test_state_flow_dates_and_durations(self):
        defect = self._create_defect(user=self.rel_user)
        defect.date_reported = fields.Datetime.now() - timedelta(days=4)
        defect.with_user(self.rel_user).action_confirm()
        self.assertEqual(defect.state, "confirmed")
        self.assertTrue(defect.date_confirmed)
        self.assertAlmostEqual(defect.confirmation_days, 4, places=1)
        defect.with_user(self.production_user).action_start_analysis()
        self.assertEqual(defect.state, "analysis")
        self.assertTrue(defect.date_analysis)
        self._resolve(defect.with_user(self.production_user))
        self.assertEqual(defect.state, "resolved")
        self.assertAlmostEqual(defect.resolution_days, 4, places=1)
        self.assertAlmostEqual(defect.analysis_days, 0, places=1)
        defect.with_user(self.salesperson).action_close()
        self.assertEqual(defect.state, "closed")
        self.assertTrue(defect.date_closed)
        with self._assert_raises_message(UserError, "Only new defect reports can be confirmed"):
            defect.action_confirm()
        with self._assert_raises_message(UserError, "Only open defect reports can be rejected"):
            defect.action_reject()

        rejected = self._create_defect()
        rejected.action_reject()
        self.assertEqual(rejected.state, "rejected")
        rejected.action_reset_to_new()
        self.assertEqual(rejected.state, "new")

    def test_bad_input_confirm_without_customer_or_description(self):
        defect = self.Defect.create({"product_id": self.boiler.id, "description": "<p>Noise</p>"})
        with self._assert_raises_message(ValidationError, "Choose the customer before confirming"):
            defect.action_confirm()
        self.assertEqual(defect.state, "new")
        self.assertFalse(defect.date_confirmed, "nothing half-saved")
        self.assertFalse(defect.message_follower_ids.partner_id & self.production_user.partner_id)

        defect = self._create_defect(description="<p><br></p>")
        with self._assert_raises_message(ValidationError, "Describe the defect before confirming"):
            defect.action_confirm()
        self.assertEqual(defect.state, "new")
        self.assertFalse(defect.date_confirmed)

    def test_bad_input_resolve_without_root_cause(self):
        defect = self._create_defect()
        defect.action_confirm()
        defect.action_start_analysis()
        with self._assert_raises_message(
            ValidationError, "To resolve .* fill in: Root Cause, Corrective Action"
        ):
            defect.action_resolve()
        self.assertEqual(defect.state, "analysis")
        self.assertFalse(defect.date_resolved)
        defect.root_cause = "Loose fan screw."
        with self._assert_raises_message(ValidationError, "fill in: Corrective Action"):
            defect.action_resolve()
        with self._assert_raises_message(ValidationError, "fill in: Root Cause"):
            defect.write({"root_cause": "  ", "corrective_action": "Tightened"})
            defect.action_resolve()
        self.assertEqual(defect.state, "analysis")
        with self._assert_raises_message(UserError, "Only resolved defect reports can be closed"):
            defect.action_close()

    def test_bad_input_lot_of_another_product(self):
        with self._assert_raises_message(
            ValidationError, "HP9-L001 is a number of Heat Pump HP9, not of Boiler CX24"
        ):
            self._create_defect(lot_id=self.pump_lot.id)
        defect = self._create_defect()
        with self._assert_raises_message(ValidationError, "is a number of Heat Pump HP9"):
            defect.lot_id = self.pump_lot
        self.assertEqual(defect.lot_id, self.lot)
        with self._assert_raises_message(ValidationError, "is a .*Boiler CX24, not a .*Heat Pump HP9"):
            self.Defect.create(
                {"equipment_id": self.equipment.id, "product_id": self.pump.id, "lot_id": False}
            )

    def test_bad_input_customer_documents(self):
        other = self._create_call_customer("Bianchi Srl", contacts=[("Anna Bianchi", False)])
        with self._assert_raises_message(ValidationError, "Anna Bianchi does not work for Rossi Impianti"):
            self._create_defect(contact_id=other.child_ids.id)
        with self._assert_raises_message(ValidationError, "belongs to Rossi Impianti, not to Bianchi Srl"):
            self._create_defect(partner_id=other.id, contact_id=False, equipment_id=self.equipment.id)
        with self._assert_raises_message(ValidationError, "Marco Rossi is a contact person"):
            self._create_defect(partner_id=self.contact.id, contact_id=False)
        with self._assert_raises_message(ValidationError, "cannot be reported in the future"):
            self._create_defect(date_reported=fields.Datetime.now() + timedelta(days=2))

    def test_warranty_state_from_equipment(self):
        self.assertEqual(
            self.equipment.warranty_end_date, self.equipment.delivery_date + relativedelta(months=24)
        )
        in_warranty = self._create_defect(equipment_id=self.equipment.id)
        self.assertEqual(in_warranty.warranty_state, "warranty")
        self.assertEqual(self._create_defect().warranty_state, "chargeable", "no equipment: chargeable")

        self.equipment.delivery_date = fields.Date.today() - relativedelta(months=25)
        warranty_end = self.equipment.warranty_end_date
        self.assertLess(warranty_end, fields.Date.today())
        self.assertEqual(in_warranty.warranty_state, "chargeable", "follows the equipment's warranty end")
        late = self._create_defect(equipment_id=self.equipment.id)
        self.assertEqual(late.warranty_state, "chargeable")
        reported_in_time = self._create_defect(
            equipment_id=self.equipment.id,
            date_reported=fields.Datetime.to_datetime(warranty_end) - timedelta(days=1),
        )
        self.assertEqual(reported_in_time.warranty_state, "warranty", "judged at the report date")

    def test_card_counts_alerts_timeline_and_equipment_history(self):
        defect = self._create_defect(equipment_id=self.equipment.id)
        solved = self._create_defect()
        solved.action_confirm()
        self._resolve(solved)
        card = self.customer.with_user(self.rel_user)
        self.assertEqual((card.crm_defect_count, card.crm_defect_open_count), (2, 1))
        self.assertIn("1 open defect report.", card.crm_alert_message)
        self._create_defect()
        self.customer.invalidate_recordset()
        self.assertIn("2 open defect reports.", self.customer.crm_alert_message)
        self.assertEqual(self.contact.crm_defect_open_count, 2, "a contact shows its company's figures")
        salesman_only = self.env["res.users"].create(
            {
                "name": "Sales Only",
                "login": "sales_only_defect",
                "group_ids": [fields.Command.set(self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.customer.invalidate_recordset()
        self.assertIn(
            "2 open defect reports.",
            self.customer.with_user(self.salesperson).crm_alert_message,
            "the banner on quotations shows it to salespeople of the Relationship group",
        )
        self.customer.invalidate_recordset()
        with self.assertRaises(AccessError, msg="the customer's alerts are for the Relationship groups"):
            self.customer.with_user(salesman_only).read(["crm_alert_message"])

        self.env.flush_all()
        entries = self.env["crm.relationship.timeline"].search(
            [("commercial_partner_id", "=", self.customer.id), ("entry_type", "=", "defect")]
        )
        self.assertEqual(len(entries), 3)
        entry = entries.filtered(lambda e: e.res_id == defect.id)
        self.assertEqual((entry.department, entry.state_label, entry.is_alert), ("production", "New", True))
        self.assertEqual(entry.partner_id, self.contact)
        self.assertIn("Normal", entry.summary)
        self.assertIn("CX24-L001", entry.summary)
        self.assertFalse(entries.filtered(lambda e: e.res_id == solved.id).is_alert)
        Timeline = self.env["crm.relationship.timeline"]
        self.assertIn(
            defect.id,
            Timeline.search([("lot_name", "ilike", "L001"), ("entry_type", "=", "defect")]).mapped("res_id"),
        )
        self.assertIn(
            defect.id,
            Timeline.search([("product_id", "in", self.boiler.ids), ("entry_type", "=", "defect")]).mapped(
                "res_id"
            ),
        )
        self.assertEqual(entry.action_open_document()["res_model"], "crm.relationship.defect")

        self.assertEqual(self.equipment.defect_ids, defect)
        action = self.equipment.action_crm_report_defect()
        self.assertEqual(action["context"]["default_equipment_id"], self.equipment.id)
        self.assertEqual(
            self.customer.action_view_crm_defects()["domain"], [("partner_id", "=", self.customer.id)]
        )

    def test_reports_group_by_product_lot_category_severity_month(self):
        self._create_defect(category_id=self.noise.id, severity="high")
        self._create_defect(category_id=self.noise.id, severity="high", lot_id=self.other_lot.id)
        self._create_defect(product_id=self.pump.id, lot_id=self.pump_lot.id, severity="low")
        groups = self.Defect._read_group(
            [("partner_id", "=", self.customer.id)],
            ["product_id", "lot_id", "category_id", "severity", "date_reported:month"],
            ["__count"],
        )
        counts = {(p.name, lot.name, c.name, s): n for p, lot, c, s, _month, n in groups}
        self.assertEqual(counts[("Boiler CX24", "CX24-L001", "Noise or Vibration", "high")], 1)
        self.assertEqual(counts[("Boiler CX24", "CX24-L002", "Noise or Vibration", "high")], 1)
        self.assertEqual(counts[("Heat Pump HP9", "HP9-L001", "Other", "low")], 1)

        fast = self._create_defect(date_reported=fields.Datetime.now() - timedelta(days=2))
        slow = self._create_defect(date_reported=fields.Datetime.now() - timedelta(days=6))
        for defect in fast | slow:
            defect.action_confirm()
            self._resolve(defect)
        [(avg_days, avg_confirm)] = self.Defect._read_group(
            [("id", "in", (fast | slow).ids)], [], ["resolution_days:avg", "confirmation_days:avg"]
        )
        self.assertAlmostEqual(avg_days, 4, places=1)
        self.assertAlmostEqual(avg_confirm, 4, places=1)

    def test_rights(self):
        defect = self._create_defect(user=self.rel_user)
        defect.with_user(self.rel_user).action_confirm()
        with self._assert_raises_message(UserError, "Only new or rejected"):
            defect.with_user(self.rel_manager).unlink()
        draft = self._create_defect(user=self.rel_user)
        with self.assertRaises(AccessError):
            draft.with_user(self.rel_user).unlink()
        draft.with_user(self.rel_manager).unlink()
        with self.assertRaises(AccessError):
            self.Route.with_user(self.rel_user).create({"name": "Mine", "department": "sales"})
        with self.assertRaises(AccessError):
            self.Defect.with_user(self.internal_user).search([])


@tagged("post_install", "-at_install")
class TestCrmRelationshipErrorMessages(CrmRelationshipDefectCase):
    """Consistency errors never name a document or partner of a company the user cannot access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Segreta Industrie S.p.A."})
        cls.secret_customer = cls.env["res.partner"].create(
            {"name": "Cliente Riservato Beta", "is_company": True, "company_id": cls.other_company.id}
        )
        cls.secret_contact = cls.env["res.partner"].create(
            {
                "name": "Dott. Nascosto",
                "parent_id": cls.secret_customer.id,
                "company_id": cls.other_company.id,
            }
        )
        cls.secret_equipment = (
            cls.env["crm.relationship.equipment"]
            .with_company(cls.other_company)
            .create(
                {
                    "name": "Caldaia Segreta X1",
                    "partner_id": cls.secret_customer.id,
                    "product_id": cls.pump.id,
                    "company_id": cls.other_company.id,
                }
            )
        )
        cls.secret_order = (
            cls.env["sale.order"]
            .with_company(cls.other_company)
            .create({"partner_id": cls.customer.id, "company_id": cls.other_company.id})
        )
        cls.secret_names = (
            "Cliente Riservato Beta",
            "Dott. Nascosto",
            "Caldaia Segreta X1",
            cls.secret_order.name,
            "Segreta Industrie",
        )

    def _as_user(self, model):
        return self.env[model].with_user(self.rel_user).with_context(allowed_company_ids=self.company.ids)

    def _assert_names_nothing_secret(self, catcher):
        message = str(catcher.exception)
        for name in self.secret_names:
            self.assertNotIn(name, message)

    def test_call_errors(self):
        Call = self._as_user("crm.relationship.call")
        values = {"partner_id": self.customer.id, "subject": "Guasto"}
        for extra in (
            {"equipment_id": self.secret_equipment.id},
            {"contact_id": self.secret_contact.id},
            {"sale_order_id": self.secret_order.id},
            {"partner_id": self.secret_contact.id},
        ):
            with self.subTest(extra=extra), self.assertRaises(UserError) as catcher:
                Call.create(dict(values, **extra))
            self._assert_names_nothing_secret(catcher)

    def test_defect_errors(self):
        Defect = self._as_user("crm.relationship.defect")
        for extra in (
            {"equipment_id": self.secret_equipment.id, "product_id": self.boiler.id},
            {"contact_id": self.secret_contact.id},
        ):
            with self.subTest(extra=extra), self.assertRaises(UserError) as catcher:
                Defect.create(dict({"partner_id": self.customer.id, "description": "<p>Rumore</p>"}, **extra))
            self._assert_names_nothing_secret(catcher)

    def test_equipment_errors(self):
        Equipment = self._as_user("crm.relationship.equipment")
        with self.assertRaises(UserError) as catcher:
            Equipment.create(
                {
                    "partner_id": self.customer.id,
                    "site_id": self.secret_contact.id,
                    "product_id": self.pump.id,
                }
            )
        self._assert_names_nothing_secret(catcher)
        with self.assertRaises(UserError) as catcher:
            Equipment.create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.pump.id,
                    "parent_id": self.secret_equipment.id,
                }
            )
        self._assert_names_nothing_secret(catcher)
