from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipDefectRouting(CrmRelationshipDefectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.quality = new_test_user(
            cls.env,
            login="defect_quality",
            name="Quirino Qualità",
            email="quality@example.com",
            groups="base.group_user",
        )
        cls.team_member = new_test_user(
            cls.env,
            login="defect_team",
            name="Teresa Team",
            email="teresa@example.com",
            groups="base.group_user",
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "After-sales", "member_ids": [fields.Command.link(cls.team_member.id)]}
        )

    def _routed(self, defect):
        return {
            department: (entry["partners"], entry["emails"])
            for department, entry in defect._get_routed_recipients()[defect].items()
        }

    def test_defaults_without_rules(self):
        routed = self._routed(self._create_defect(user=self.rel_user))
        self.assertEqual(routed["sales"], (self.salesperson.partner_id, []), "the customer's salesperson")
        self.assertEqual(
            routed["call_center"][0],
            (self.rel_user | self.call_center_user).partner_id,
            "the report's operator and the company's call center",
        )
        self.assertEqual(routed["production"], (self.production_user.partner_id, []))

    def test_rule_by_category_includes_sub_categories(self):
        self.Route.create(
            {
                "name": "Heating quality",
                "department": "production",
                "product_category_ids": [fields.Command.link(self.heating.id)],
                "user_ids": [fields.Command.link(self.quality.id)],
                "team_id": self.team.id,
                "email_addresses": "lab@supplier.example.com",
            }
        )
        routed = self._routed(self._create_defect())
        self.assertEqual(
            routed["production"],
            (
                (self.quality | self.team_member | self.production_user).partner_id,
                ["lab@supplier.example.com"],
            ),
        )
        self.assertEqual(
            routed["sales"][0], self.salesperson.partner_id, "other departments keep their defaults"
        )
        pump_defect = self._create_defect(product_id=self.pump.id, lot_id=self.pump_lot.id)
        self.assertEqual(self._routed(pump_defect)["production"], (self.production_user.partner_id, []))

    def test_rule_by_product_and_minimum_severity(self):
        self.Route.create(
            {
                "name": "Critical pumps",
                "department": "sales",
                "product_ids": [fields.Command.link(self.pump.id)],
                "severity_min": "high",
                "user_ids": [fields.Command.link(self.quality.id)],
            }
        )
        values = {"product_id": self.pump.id, "lot_id": self.pump_lot.id}
        for severity, expected in (
            ("low", self.salesperson.partner_id),
            ("normal", self.salesperson.partner_id),
            ("high", (self.quality | self.salesperson).partner_id),
            ("critical", (self.quality | self.salesperson).partner_id),
        ):
            defect = self._create_defect(severity=severity, **values)
            self.assertEqual(self._routed(defect)["sales"][0], expected, severity)
        boiler_defect = self._create_defect(severity="critical")
        self.assertEqual(self._routed(boiler_defect)["sales"][0], self.salesperson.partner_id)

    def test_rule_by_company(self):
        other_company = self.env["res.company"].create({"name": "Filiale Napoli"})
        self.quality.write(
            {"company_ids": [fields.Command.link(other_company.id)], "company_id": other_company.id}
        )
        self.Route.create(
            {
                "name": "Napoli only",
                "department": "call_center",
                "company_id": other_company.id,
                "user_ids": [fields.Command.link(self.quality.id)],
            }
        )
        self.Route.create(
            {
                "name": "Every company",
                "department": "call_center",
                "email_addresses": "hotline@example.com",
            }
        )
        routed = self._routed(self._create_defect(user=self.rel_user))
        self.assertEqual(routed["call_center"], (self.rel_user.partner_id, ["hotline@example.com"]))
        self.assertNotIn(self.quality.partner_id, routed["call_center"][0])

    def test_archived_rules_and_confirmation_assigns_responsibles(self):
        rule = self.Route.create(
            {"name": "Off", "department": "production", "user_ids": [fields.Command.link(self.quality.id)]}
        )
        rule.action_archive()
        self.company.crm_defect_production_user_id = False
        defect = self._create_defect()
        self.assertFalse(defect.user_production_id)
        rule.action_unarchive()
        defect.action_confirm()
        self.assertEqual(defect.user_production_id, self.quality, "first routed user of the department")

    def test_invalid_email_addresses(self):
        with self._assert_raises_message(ValidationError, "invalid e-mail address"):
            self.Route.create({"name": "Bad", "department": "sales", "email_addresses": "not an address"})

    def test_many_reports_routed_at_once(self):
        self.Route.create(
            [
                {
                    "name": "Heating quality",
                    "department": "production",
                    "product_category_ids": [fields.Command.link(self.heating.id)],
                    "team_id": self.team.id,
                    "email_addresses": "lab@supplier.example.com",
                },
                {
                    "name": "Critical pumps",
                    "department": "sales",
                    "product_ids": [fields.Command.link(self.pump.id)],
                    "severity_min": "critical",
                    "user_ids": [fields.Command.link(self.quality.id)],
                },
            ]
        )
        self.company.crm_defect_production_user_id = False
        pump = {"product_id": self.pump.id, "lot_id": self.pump_lot.id}
        defects = (
            self._create_defect()
            | self._create_defect(severity="critical", **pump)
            | self._create_defect(severity="low", **pump)
            | self._create_defect(user=self.rel_user, user_production_id=self.quality.id)
        )
        routing = defects._get_routed_recipients()
        for defect in defects:
            self.assertEqual(
                {
                    department: (entry["partners"], entry["emails"])
                    for department, entry in routing[defect].items()
                },
                self._routed(defect),
                "routed together as alone",
            )
        self.assertEqual(routing[defects[0]]["production"]["routes"].name, "Heating quality")
        self.assertEqual(routing[defects[1]]["sales"]["routes"].name, "Critical pumps")
        self.assertFalse(routing[defects[2]]["sales"]["routes"])

        # Confirmed together, each report gets the responsibles it gets alone.
        defects.action_confirm()
        self.assertEqual(defects.mapped("user_production_id"), self.quality, "only the report that had one")
        self.assertEqual(defects[1].user_sales_id, self.salesperson, "the customer's salesperson stays")
        self.assertEqual(defects[:3].user_call_center_id, self.env.user, "whoever reported them")
        for defect in defects:
            self.assertIn(self.salesperson.partner_id, defect.message_partner_ids)
        self.assertIn(self.quality.partner_id, defects[1].message_partner_ids)
        self.assertIn(self.team_member.partner_id, defects[0].message_partner_ids)
        self.assertNotIn(self.team_member.partner_id, defects[1].message_partner_ids)

    def test_routing_reads_the_rules_once_for_all_the_reports(self):
        self.Route.create(
            [
                {
                    "name": f"Heating quality {index}",
                    "department": "production",
                    "product_category_ids": [fields.Command.link(self.heating.id)],
                    "user_ids": [fields.Command.link(self.quality.id)],
                    "team_id": self.team.id,
                }
                for index in range(3)
            ]
        )
        defects = self.Defect.browse()
        for index in range(6):
            customer = self._create_call_customer(f"Cliente {index}", user_id=self.salesperson.id)
            defects |= self._create_defect(partner_id=customer.id, contact_id=False)

        def queries(records):
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            routing = records._get_routed_recipients()
            return self.cr.sql_log_count - start, routing

        queries(defects[:1])
        one, routing = queries(defects[:1])
        six, routing = queries(defects)
        self.assertEqual(len(routing), 6)
        self.assertEqual(six, one, "no query per report")
