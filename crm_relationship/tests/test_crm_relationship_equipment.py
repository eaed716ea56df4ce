from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import EquipmentCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipEquipment(EquipmentCase):
    def test_delivery_creates_one_equipment_per_serial(self):
        order = self._create_order([(self.boiler, 2), (self.pipe, 3)])
        picking = self._validate(order.picking_ids, lots=self.lots[:2])
        equipment = self._equipment()
        self.assertEqual(len(equipment), 2, "one unit per serial, nothing for the unflagged pipe")
        self.assertEqual(equipment.lot_id, self.lots[:2])
        self.assertEqual(set(equipment.mapped("serial_number")), {"X30-001", "X30-002"})
        for unit in equipment:
            self.assertEqual(unit.partner_id, self.customer)
            self.assertEqual(unit.site_id, self.site)
            self.assertEqual(unit.product_id, self.boiler)
            self.assertEqual(unit.quantity, 1)
            self.assertEqual(unit.picking_id, picking)
            self.assertEqual(
                unit.sale_line_id, order.order_line.filtered(lambda line: line.product_id == self.boiler)
            )
            self.assertEqual(unit.sale_order_id, order)
            self.assertEqual(unit.move_line_id.lot_id, unit.lot_id)
            self.assertEqual(unit.state, "in_service")
            self.assertEqual(unit.company_id, self.company)
            self.assertEqual(
                unit.category_id, self.boiler_category, "category taken from the product category"
            )
            self.assertEqual(unit.delivery_date, fields.Date.context_today(unit, picking.date_done))
            self.assertEqual(unit.warranty_end_date, unit.delivery_date + relativedelta(months=24))
            self.assertEqual(unit.name, f"{self.boiler.display_name} ({unit.serial_number})")
        self.assertEqual(self.lots[0].crm_equipment_count, 1)

    def test_untracked_product_one_equipment_per_unit(self):
        order = self._create_order([(self.thermostat, 3)])
        self._validate(order.picking_ids)
        equipment = self._equipment()
        self.assertEqual(len(equipment), 3)
        self.assertEqual(equipment.mapped("quantity"), [1.0, 1.0, 1.0])
        self.assertFalse(equipment.lot_id)
        self.assertEqual(len(equipment.move_line_id), 1)
        self.assertEqual(equipment[0].warranty_end_date, equipment[0].delivery_date + relativedelta(months=6))
        # applying the same move lines again registers nothing
        order.picking_ids.move_line_ids._crm_register_equipment()
        self.assertEqual(len(self._equipment()), 3)

    def test_partial_delivery_and_backorder(self):
        order = self._create_order([(self.boiler, 3), (self.thermostat, 4)])
        first = self._validate(order.picking_ids, quantities={self.boiler: 2, self.thermostat: 1})
        self.assertEqual(len(self._equipment(("product_id", "=", self.boiler.id))), 2)
        self.assertEqual(len(self._equipment(("product_id", "=", self.thermostat.id))), 1)
        backorder = order.picking_ids - first
        self.assertEqual(len(backorder), 1)
        self._validate(backorder)
        boilers = self._equipment(("product_id", "=", self.boiler.id))
        self.assertEqual(len(boilers), 3)
        self.assertEqual(len(boilers.lot_id), 3, "three different serials, no duplicate")
        self.assertEqual(boilers.picking_id, first | backorder)
        self.assertEqual(len(self._equipment(("product_id", "=", self.thermostat.id))), 4)

    def test_cancel_and_revalidate(self):
        order = self._create_order([(self.boiler, 1)])
        order.picking_ids.action_cancel()
        self.assertFalse(self._equipment())
        order._action_cancel()
        order.action_draft()
        order.action_confirm()
        picking = order.picking_ids.filtered(lambda p: p.state != "cancel")
        self._validate(picking, lots=self.lots[:1])
        picking.with_context(skip_sms=True).button_validate()  # validating a done picking again is a no-op
        order.picking_ids.move_line_ids._crm_register_equipment()
        self.assertEqual(len(self._equipment()), 1)

    def test_stock_user_delivery_registers_and_lines_apply_once(self):
        """A warehouse user without Customer Relationship rights feeds the registry by validating;
        move lines applied again (deliveries and returns) register nothing new."""
        stock_user = new_test_user(self.env, login="magazziniere", groups="stock.group_stock_user")
        self.assertFalse(stock_user.has_group("crm_relationship.crm_relationship_group_user"))
        with self.assertRaises(AccessError):
            self.Equipment.with_user(stock_user).search([])
        order = self._create_order([(self.boiler, 1), (self.thermostat, 2), (self.pipe, 1)])
        picking = self._validate(order.picking_ids.with_user(stock_user), lots=self.lots[:1])
        self.assertEqual(picking.state, "done")
        picking = picking.with_env(self.env)
        equipment = self._equipment()
        self.assertEqual(len(equipment), 3, "the boiler and two thermostats, not the unflagged pipe")
        boiler = equipment.filtered(lambda unit: unit.product_id == self.boiler)
        self.assertEqual(boiler.lot_id, self.lots[0])
        self.assertEqual((boiler.partner_id, boiler.site_id), (self.customer, self.site))
        self.assertEqual(boiler.move_line_id, picking.move_line_ids.filtered("lot_id"))
        self.assertEqual(set(equipment.mapped("state")), {"in_service"})
        thermostat_line = picking.move_line_ids.filtered(lambda ml: ml.product_id == self.thermostat)
        self.assertEqual((equipment - boiler).move_line_id, thermostat_line)

        self.assertEqual(picking.move_line_ids._crm_get_equipment_registration_plan(), ([], {}, {}))
        self.assertFalse(picking.move_line_ids._crm_register_equipment(), "nothing created or updated")
        self.assertEqual(self._equipment(), equipment)
        self.assertEqual(set(equipment.mapped("state")), {"in_service"})

        return_picking = self._return(picking, {self.boiler: 1, self.thermostat: 1}, lots=self.lots[:1])
        returned = self._equipment(("state", "=", "returned"))
        self.assertEqual(len(returned), 2)
        self.assertEqual(returned.return_move_line_id, return_picking.move_line_ids)
        lines = (picking | return_picking).move_line_ids
        self.assertEqual(lines._crm_get_equipment_registration_plan(), ([], {}, {}))
        self.assertFalse(lines._crm_register_equipment(), "nothing created or updated")
        self.assertEqual(self._equipment(), equipment)
        self.assertEqual(self._equipment(("state", "=", "returned")), returned)
        self.assertEqual(returned.return_move_line_id, return_picking.move_line_ids)

    def test_return_marks_returned_and_redelivery_reuses_unit(self):
        order = self._create_order([(self.boiler, 2), (self.thermostat, 2)])
        picking = self._validate(order.picking_ids, lots=self.lots[:2])
        return_picking = self._return(picking, {self.boiler: 1, self.thermostat: 1}, lots=self.lots[:1])
        returned = self._equipment(("state", "=", "returned"))
        self.assertEqual(len(returned), 2)
        self.assertIn(self.lots[0], returned.lot_id)
        self.assertEqual(returned.return_picking_id, return_picking)
        self.assertEqual(
            self._equipment(("lot_id", "=", self.lots[1].id)).state, "in_service", "the other serial stays"
        )
        self.assertEqual(
            len(self._equipment(("product_id", "=", self.thermostat.id), ("state", "=", "in_service"))), 1
        )
        # the returned boiler is sold again to another customer: same record, moved
        order2 = self._create_order([(self.boiler, 1)], partner=self.other_customer, shipping=self.other_site)
        self._validate(order2.picking_ids, lots=self.lots[:1])
        unit = self.Equipment.search([("lot_id", "=", self.lots[0].id)])
        self.assertEqual(len(unit), 1)
        self.assertEqual(unit.partner_id, self.other_customer)
        self.assertEqual(unit.site_id, self.other_site)
        self.assertEqual(unit.state, "in_service")
        self.assertEqual(unit.sale_order_id, order2)

    def test_manual_creation_and_properties(self):
        unit = self.Equipment.with_user(self.rel_user).create(
            {
                "partner_id": self.site.id,
                "product_id": self.boiler.id,
                "serial_number": "OLD-1999",
                "delivery_date": "2020-03-15",
                "category_id": self.boiler_category.id,
            }
        )
        self.assertEqual(unit.partner_id, self.customer, "the commercial entity is the customer")
        self.assertEqual(unit.site_id, self.site, "the contact given becomes the site")
        self.assertEqual(unit.warranty_end_date, fields.Date.to_date("2022-03-15"))
        self.assertEqual(unit.warranty_state, "expired")
        unit.properties = {"power_kw": 30.0, "fuel_type": "lpg"}
        values = {prop["name"]: prop["value"] for prop in unit.read(["properties"])[0]["properties"]}
        self.assertEqual(values, {"power_kw": 30.0, "fuel_type": "lpg"})
        found = self.Equipment.search([("properties.fuel_type", "=", "lpg")])
        self.assertEqual(found, unit)

    def test_warranty_product_category_and_override(self):
        self.boiler.crm_warranty_months = 0
        unit = self.Equipment.create(
            {"partner_id": self.customer.id, "product_id": self.boiler.id, "delivery_date": "2026-01-31"}
        )
        self.assertEqual(unit.warranty_end_date, fields.Date.to_date("2027-01-31"), "category: 12 months")
        unit.warranty_end_date = "2030-06-30"
        self.assertEqual(unit.warranty_end_date, fields.Date.to_date("2030-06-30"), "overridable per unit")
        self.boiler.crm_warranty_months = 36
        unit.delivery_date = "2026-02-28"
        self.assertEqual(unit.warranty_end_date, fields.Date.to_date("2029-02-28"), "product wins")
        child_category = self.env["product.category"].create(
            {"name": "Wall boilers", "parent_id": self.heating.id}
        )
        self.assertEqual(child_category._get_crm_warranty_months(), 12, "inherited from the parent category")
        self.assertEqual(self.pipe.product_tmpl_id._get_crm_warranty_months(), 0)

    def test_warranty_filters(self):
        today = fields.Date.context_today(self.Equipment)
        values = {
            "partner_id": self.customer.id,
            "product_id": self.thermostat.id,
            "delivery_date": "2020-01-01",
        }
        covered, expiring, expired, none = self.Equipment.create(
            [
                dict(values, warranty_end_date=today + timedelta(days=90)),
                dict(values, warranty_end_date=today + timedelta(days=10)),
                dict(values, warranty_end_date=today - timedelta(days=1)),
                dict(values, delivery_date=False),
            ]
        )
        self.assertFalse(none.warranty_end_date)
        self.assertEqual(covered.warranty_state, "in_warranty")
        self.assertEqual(expiring.warranty_state, "expiring")
        self.assertEqual(expired.warranty_state, "expired")
        self.assertEqual(none.warranty_state, "none")
        self.assertEqual(self._equipment(("warranty_state", "in", ["in_warranty"])), covered | expiring)
        self.assertEqual(self._equipment(("warranty_state", "=", "expiring")), expiring)
        self.assertEqual(self._equipment(("warranty_state", "=", "expired")), expired)
        self.assertEqual(self._equipment(("warranty_state", "=", "none")), none)
        self.assertEqual(self._equipment(("warranty_state", "!=", "expired")), covered | expiring | none)

    def test_serial_lookup(self):
        order = self._create_order([(self.boiler, 2)])
        self._validate(order.picking_ids, lots=self.lots[1:3])
        self.assertEqual(self.Equipment.search([("serial_number", "=", "X30-002")]).lot_id, self.lots[1])
        self.assertEqual(len(self.Equipment.search([("serial_number", "ilike", "30-00")])), 2)
        self.assertEqual(len(self.Equipment.search([("site_id", "=", self.site.id)])), 2)

    def test_serial_lookup_wizard(self):
        order = self._create_order([(self.boiler, 2)])
        self._validate(order.picking_ids, lots=self.lots[1:3])
        units = self.Equipment.search([("lot_id", "in", self.lots[1:3].ids)])
        Lookup = self.env["crm.relationship.equipment.lookup"].with_user(self.rel_user)
        exact = Lookup.create({"serial_number": " X30-002 "}).action_find()
        self.assertEqual(exact["res_id"], units.filtered(lambda u: u.lot_id == self.lots[1]).id)
        self.assertEqual(exact["res_model"], "crm.relationship.equipment")
        partial = Lookup.create({"serial_number": "30-00"}).action_find()
        self.assertEqual(self.Equipment.search(partial["domain"]), units)
        with self._assert_raises_message(UserError, "No equipment has a serial number matching"):
            Lookup.create({"serial_number": "ZZ-404"}).action_find()
        units.filtered(lambda u: u.lot_id == self.lots[1]).action_archive()
        self.assertFalse(self.Equipment._crm_lookup_serial("X30-002"), "archived units are not found")

    def test_parent_move_cascades_to_components(self):
        main = self.Equipment.create(
            {"partner_id": self.customer.id, "site_id": self.site.id, "product_id": self.boiler.id}
        )
        component = self.Equipment.create(
            {"partner_id": self.customer.id, "product_id": self.thermostat.id, "parent_id": main.id}
        )
        sub_component = self.Equipment.create(
            {"partner_id": self.customer.id, "product_id": self.thermostat.id, "parent_id": component.id}
        )
        main.site_id = self.customer
        self.assertEqual((component | sub_component).site_id, self.customer)
        main.write({"partner_id": self.other_customer.id, "site_id": self.other_site.id})
        self.assertEqual((component | sub_component).partner_id, self.other_customer)
        self.assertEqual((component | sub_component).site_id, self.other_site)
        self.assertEqual(main.child_count, 1)
        with self.assertRaises(ValidationError):
            main.parent_id = sub_component

    def test_bad_inputs(self):
        unit = self.Equipment.create(
            {"partner_id": self.customer.id, "product_id": self.boiler.id, "lot_id": self.lots[0].id}
        )
        with self._assert_error("already registered to Idraulica Bianchi"):
            self.Equipment.create(
                {
                    "partner_id": self.other_customer.id,
                    "product_id": self.boiler.id,
                    "lot_id": self.lots[0].id,
                }
            )
        with self._assert_error("does not belong to the customer"):
            unit.site_id = self.other_site
        with self._assert_error("before the unit was delivered"):
            unit.write({"delivery_date": "2026-05-01", "warranty_end_date": "2026-04-30"})
        with self._assert_error("not a serial number of"):
            self.Equipment.create(
                {"partner_id": self.customer.id, "product_id": self.thermostat.id, "lot_id": self.lots[1].id}
            )
        with self._assert_error("quantity of 1"):
            self.Equipment.create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.boiler.id,
                    "lot_id": self.lots[1].id,
                    "quantity": 2,
                }
            )
        # a retired (archived) registration frees the serial number
        unit.action_archive()
        self.Equipment.create(
            {"partner_id": self.other_customer.id, "product_id": self.boiler.id, "lot_id": self.lots[0].id}
        )

    def test_state_buttons(self):
        unit = self.Equipment.create({"partner_id": self.customer.id, "product_id": self.boiler.id})
        unit.action_set_under_repair()
        self.assertEqual(unit.state, "under_repair")
        unit.action_set_in_service()
        unit.action_set_returned()
        self.assertEqual(unit.state, "returned")
        unit.action_retire()
        self.assertEqual(unit.state, "retired")


@tagged("post_install", "-at_install")
class TestCrmRelationshipEquipmentAccess(EquipmentCase):
    def test_rights_per_group(self):
        unit = self.Equipment.with_user(self.rel_user).create(
            {"partner_id": self.customer.id, "product_id": self.boiler.id, "serial_number": "MAN-1"}
        )
        unit.with_user(self.rel_user).write({"installation_date": "2026-02-01"})
        self.assertEqual(unit.with_user(self.rel_user).display_name, f"{self.boiler.display_name} (MAN-1)")
        with self.assertRaises(AccessError):
            unit.with_user(self.rel_user).unlink()
        with self.assertRaises(AccessError):
            self.env["crm.relationship.equipment.category"].with_user(self.rel_user).create({"name": "Pumps"})
        with self.assertRaises(AccessError):
            self.Equipment.with_user(self.internal_user).search([])
        self.env["crm.relationship.equipment.category"].with_user(self.rel_manager).create({"name": "Pumps"})
        unit.with_user(self.rel_manager).unlink()

    def test_multi_company(self):
        company_b = self.env["res.company"].create({"name": "Filiale Sud"})
        lot_b = self._create_lots(self.boiler, ["X30-001"], company=company_b)
        unit_b = self.Equipment.with_company(company_b).create(
            {
                "partner_id": self.customer.id,
                "product_id": self.boiler.id,
                "lot_id": lot_b.id,
                "company_id": company_b.id,
            }
        )
        unit_a = self.Equipment.create(
            {"partner_id": self.customer.id, "product_id": self.boiler.id, "lot_id": self.lots[0].id}
        )
        visible = self.Equipment.with_user(self.rel_user).search([("serial_number", "=", "X30-001")])
        self.assertEqual(visible, unit_a, "the equipment of another company is invisible")
        self.assertEqual(self.Equipment.with_user(self.rel_user)._crm_lookup_serial("X30-001"), unit_a)
        self.rel_user.write({"company_ids": [fields.Command.link(company_b.id)]})
        visible = (
            self.Equipment.with_user(self.rel_user)
            .with_context(allowed_company_ids=[self.company.id, company_b.id])
            .search([("serial_number", "=", "X30-001")])
        )
        self.assertEqual(visible, unit_a | unit_b)
        both = self.Equipment.with_user(self.rel_user).with_context(
            allowed_company_ids=[self.company.id, company_b.id]
        )
        self.assertEqual(both._crm_lookup_serial("X30-001"), unit_a | unit_b)


@tagged("post_install", "-at_install")
class TestCrmRelationshipEquipmentRegister(EquipmentCase):
    def test_register_past_deliveries_twice(self):
        self.boiler.crm_register_equipment = False
        self.accessories.crm_register_equipment = False
        order = self._create_order([(self.boiler, 3), (self.thermostat, 2)])
        picking = self._validate(order.picking_ids, lots=self.lots[:3])
        self._return(picking, {self.boiler: 1}, lots=self.lots[2])
        self.assertFalse(self._equipment(), "products not flagged yet: nothing registered")
        self.boiler.crm_register_equipment = True
        self.accessories.crm_register_equipment = True

        wizard = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager).create({})
        self.assertEqual(wizard.equipment_to_create_count, 5, "3 boilers and 2 thermostats")
        wizard.action_register()
        equipment = self._equipment()
        self.assertEqual(len(equipment), 5)
        self.assertEqual(equipment.filtered(lambda e: e.state == "returned").lot_id, self.lots[2])
        self.assertEqual(equipment.sale_order_id, order)

        wizard = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager).create({})
        self.assertEqual(wizard.equipment_to_create_count, 0)
        self.assertEqual(wizard.equipment_to_update_count, 0)
        with self._assert_error("already registered", UserError):
            wizard.action_register()
        self.assertEqual(len(self._equipment()), 5)

    def _mail_counts(self, equipment):
        """Numbers of followers and of messages of ``equipment``."""
        model, ids = "crm.relationship.equipment", equipment.ids
        Followers, Message = self.env["mail.followers"].sudo(), self.env["mail.message"].sudo()
        return (
            Followers.search_count([("res_model", "=", model), ("res_id", "in", ids)]),
            Message.search_count([("model", "=", model), ("res_id", "in", ids)]),
        )

    def test_registration_creates_no_follower_nor_message(self):
        """Neither a delivery nor the wizard subscribes, logs or notifies anybody per unit."""
        tracking = {"tracking_disable": False, "mail_create_nolog": False, "mail_notrack": False}
        stock_user = new_test_user(self.env, login="magazzino", groups="stock.group_stock_user")
        order = self._create_order([(self.thermostat, 4)])
        self._validate(order.picking_ids.with_user(stock_user).with_context(**tracking))
        delivered = self._equipment()
        self.assertEqual(len(delivered), 4)
        self.assertEqual(self._mail_counts(delivered), (0, 0))

        self.boiler.crm_register_equipment = False
        self.accessories.crm_register_equipment = False
        order = self._create_order([(self.boiler, 2), (self.thermostat, 10)])
        picking = self._validate(order.picking_ids, lots=self.lots[:2])
        self._return(picking, {self.boiler: 1}, lots=self.lots[0])
        self.boiler.crm_register_equipment = True
        self.accessories.crm_register_equipment = True
        Register = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager)
        Register.with_context(**tracking).create({}).action_register()
        registered = self._equipment() - delivered
        self.assertEqual(len(registered), 12)
        self.assertEqual(self._mail_counts(registered), (0, 0))

    def test_register_wizard_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["crm.relationship.equipment.register"].with_user(self.rel_user).create({})


@tagged("post_install", "-at_install")
class TestCrmRelationshipEquipmentCard(EquipmentCase):
    def test_card_counts_and_timeline(self):
        order = self._create_order([(self.boiler, 2), (self.thermostat, 1)])
        self._validate(order.picking_ids, lots=self.lots[:2])
        expired = self._equipment(("product_id", "=", self.thermostat.id))
        expired.write({"delivery_date": "2020-01-01", "warranty_end_date": "2020-07-01"})
        repaired = self._equipment(("lot_id", "=", self.lots[0].id))
        repaired.action_set_under_repair()
        self.env.invalidate_all()
        card = self.customer.with_user(self.rel_user)
        self.assertEqual(card.crm_equipment_count, 3)
        self.assertEqual(card.crm_equipment_warranty_count, 2)
        self.assertEqual(
            self.site.with_user(self.rel_user).crm_equipment_count, 3, "a site shows its customer's"
        )
        self.assertEqual(len(card.crm_equipment_ids), 3)
        action = card.action_view_crm_equipment()
        self.assertEqual(self.Equipment.search(action["domain"]), card.crm_equipment_ids)
        entries = self.env["crm.relationship.timeline"].search(
            [("commercial_partner_id", "=", self.customer.id), ("entry_type", "=", "equipment")]
        )
        self.assertEqual(set(entries.mapped("res_id")), set(card.crm_equipment_ids.ids))
        alert = entries.filtered("is_alert")
        self.assertEqual(alert.res_id, repaired.id)
        self.assertEqual(alert.partner_id, self.site)
        self.assertEqual(alert.department, "logistics")
        by_serial = self.env["crm.relationship.timeline"].search(
            [("commercial_partner_id", "=", self.customer.id), ("lot_name", "=", "X30-002")]
        )
        self.assertIn("crm.relationship.equipment", by_serial.mapped("res_model"))

    def test_views_for_operator(self):
        order = self._create_order([(self.boiler, 1)])
        self._validate(order.picking_ids, lots=self.lots[:1])
        Equipment = self.Equipment.with_user(self.rel_user)
        views = Equipment.get_views([(False, "form"), (False, "list"), (False, "kanban"), (False, "search")])
        self.assertIn("properties", views["views"]["form"]["arch"])
        unit = Equipment.search([("serial_number", "=", "X30-001")])
        fields_spec = {
            name: {"fields": {"display_name": {}}} if Equipment._fields[name].type == "many2one" else {}
            for name in (
                "name",
                "partner_id",
                "site_id",
                "lot_id",
                "sale_order_id",
                "picking_id",
                "properties",
            )
        }
        values = unit.web_read(fields_spec)[0]
        self.assertEqual(values["sale_order_id"]["display_name"], order.name)
        self.assertEqual(values["lot_id"]["display_name"], "X30-001")
        card_views = (
            self.env["res.partner"]
            .with_user(self.rel_user)
            .get_views([(self.env.ref("crm_relationship.res_partner_view_form_customer_card").id, "form")])
        )
        self.assertIn("crm_equipment_ids", card_views["views"]["form"]["arch"])
