import ast
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tests import Form, new_test_user, tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipCall(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_call_customer(
            "Rossi Impianti S.r.l.", "+39 02 8945 1120", contacts=[("Marco Rossi", "+39 335 612 4478")]
        )
        cls.contact = cls.customer.child_ids
        cls.other_customer = cls._create_call_customer("Ferraro Caldaie S.p.A.", "011 562 3390")
        cls.phone = cls.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        cls.email = cls.env.ref("crm_relationship.crm_relationship_call_channel_email")
        cls.visit = cls.env.ref("crm_relationship.crm_relationship_call_channel_visit")
        cls.product = cls.env["product.product"].create(
            {"name": "Caldaia CX24", "type": "consu", "list_price": 1790.0, "taxes_id": [Command.clear()]}
        )

    def _create_order(self, partner):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        return order

    def _create_invoice(self, partner):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create({"name": "Manutenzione", "quantity": 1, "price_unit": 120.0})
                ],
            }
        )

    def _open_action_form(self, action, user=None):
        """Save the form an action opens, as a user would after two clicks."""
        self.assertEqual(action["res_model"], "crm.relationship.call")
        Call = self.env["crm.relationship.call"].with_user(user or self.rel_user)
        with Form(Call.with_context(**action["context"])) as form:
            if not form.subject:
                form.subject = "Telefonata"
        return form.record

    # Defaults and computed values

    def test_defaults(self):
        call = self._create_call(self.customer, user=self.rel_user)
        self.assertEqual(call.user_id, self.rel_user)
        self.assertEqual(call.channel_id, self.phone)
        self.assertEqual(call.direction, "inbound")
        self.assertEqual(call.state, "open")
        self.assertEqual(call.company_id, self.company)
        self.assertEqual(call.department, "other")
        self.assertAlmostEqual(call.date_start, fields.Datetime.now(), delta=timedelta(minutes=1))
        second = self._create_call(self.customer, user=self.rel_user, department="call_center")
        third = self._create_call(self.customer, user=self.rel_user, date_start=second.date_start)
        self.assertEqual(third.department, "call_center", "An operator's department is remembered")

    def test_contact_sets_customer_and_end(self):
        start = fields.Datetime.to_datetime("2026-03-02 09:00:00")
        call = self.env["crm.relationship.call"].create(
            {"contact_id": self.contact.id, "subject": "Ordine", "date_start": start, "duration": 12.5}
        )
        self.assertEqual(call.partner_id, self.customer)
        self.assertEqual(call.date_end, start + timedelta(minutes=12.5))
        call.date_end = start + timedelta(minutes=30)
        self.assertEqual(call.duration, 30.0)

    # Bad input: clear errors, nothing saved

    def _assert_rejected(self, values, message):
        Call = self.env["crm.relationship.call"]
        count = Call.search_count([])
        with self._assert_raises_message(ValidationError, message):
            Call.create(dict({"subject": "Errore"}, **values))
        self.assertEqual(Call.search_count([]), count)

    def test_call_without_customer(self):
        self._assert_rejected({}, "must have a customer")

    def test_negative_duration(self):
        self._assert_rejected({"partner_id": self.customer.id, "duration": -5}, "cannot be negative")
        call = self._create_call(self.customer, duration=5)
        with self._assert_raises_message(ValidationError, "cannot be negative"):
            call.duration = -1

    def test_end_before_start(self):
        start = fields.Datetime.to_datetime("2026-03-02 09:00:00")
        self._assert_rejected(
            {"partner_id": self.customer.id, "date_start": start, "date_end": start - timedelta(hours=1)},
            "cannot end before it starts",
        )
        call = self._create_call(self.customer, date_start=start, duration=10)
        with self._assert_raises_message(ValidationError, "cannot end before it starts"):
            call.date_end = start - timedelta(minutes=1)
        self.assertEqual(call.duration, 10)

    def test_contact_person_as_customer(self):
        self._assert_rejected({"partner_id": self.contact.id}, "contact person")

    def test_contact_of_another_customer(self):
        self._assert_rejected(
            {"partner_id": self.other_customer.id, "contact_id": self.contact.id}, "does not work for"
        )

    def test_documents_of_another_customer(self):
        order = self._create_order(self.other_customer)
        self._assert_rejected({"partner_id": self.customer.id, "sale_order_id": order.id}, "belongs to")
        self._assert_rejected(
            {"partner_id": self.customer.id, "picking_id": order.picking_ids.id}, "belongs to"
        )
        invoice = self._create_invoice(self.other_customer)
        self._assert_rejected({"partner_id": self.customer.id, "invoice_id": invoice.id}, "belongs to")
        call = self._create_call(self.customer)
        with self._assert_raises_message(ValidationError, "belongs to"):
            call.sale_order_id = order
        self.assertFalse(call.sale_order_id)

    def test_equipment_of_another_customer(self):
        equipment = self.env["crm.relationship.equipment"].create(
            {
                "partner_id": self.other_customer.id,
                "product_id": self.env["product.product"].create({"name": "Pompa di calore"}).id,
            }
        )
        self._assert_rejected({"partner_id": self.customer.id, "equipment_id": equipment.id}, "belongs to")

    def test_log_call_from_equipment(self):
        product = self.env["product.product"].create({"name": "Caldaia murale"})
        equipment = (
            self.env["crm.relationship.equipment"]
            .with_user(self.rel_user)
            .create({"partner_id": self.customer.id, "product_id": product.id, "serial_number": "CM-0001"})
        )
        action = equipment.action_crm_log_call()
        self.assertEqual(action["res_model"], "crm.relationship.call")
        call = (
            self.env["crm.relationship.call"]
            .with_user(self.rel_user)
            .with_context(**action["context"])
            .create({"subject": "Rumore dalla caldaia"})
        )
        self.assertEqual(call.partner_id, self.customer)
        self.assertEqual(call.equipment_id, equipment)
        self.assertEqual(equipment.call_ids, call)

    def test_documents_of_a_contact_are_accepted(self):
        order = self._create_order(self.contact)
        call = self._create_call(
            self.customer, sale_order_id=order.id, picking_id=order.picking_ids.id, contact_id=self.contact.id
        )
        self.assertEqual(call.sale_order_id, order)

    # Logging from every entry point

    def test_log_from_customer_card(self):
        action = self.customer.with_user(self.rel_user).action_crm_log_call()
        call = self._open_action_form(action)
        self.assertEqual(call.partner_id, self.customer)
        self.assertFalse(call.contact_id)
        self.assertEqual(call.user_id, self.rel_user)

    def test_log_from_partner_form_of_a_contact(self):
        action = self.contact.with_user(self.rel_user).action_crm_log_call()
        call = self._open_action_form(action)
        self.assertEqual(call.partner_id, self.customer)
        self.assertEqual(call.contact_id, self.contact)

    def test_log_from_sale_order(self):
        order = self._create_order(self.contact)
        call = self._open_action_form(order.action_crm_log_call(), user=self.rel_manager)
        self.assertEqual(
            (call.partner_id, call.contact_id, call.sale_order_id, call.department),
            (self.customer, self.contact, order, "sales"),
        )
        self.assertIn(order.name, call.subject)

    def test_log_from_delivery_note(self):
        order = self._create_order(self.customer)
        picking = order.picking_ids
        call = self._open_action_form(picking.action_crm_log_call(), user=self.rel_manager)
        self.assertEqual(
            (call.partner_id, call.picking_id, call.sale_order_id, call.department),
            (self.customer, picking, order, "logistics"),
        )

    def test_log_from_invoice(self):
        invoice = self._create_invoice(self.customer)
        call = self._open_action_form(invoice.action_crm_log_call(), user=self.rel_manager)
        self.assertEqual(
            (call.partner_id, call.invoice_id, call.department), (self.customer, invoice, "administration")
        )

    def test_log_call_from_every_document(self):
        """Every document pre-fills its call, for a Relationship user who may read it; who may not
        read the document, or may not log calls, is refused."""
        user = new_test_user(
            self.env,
            login="rel_user_apps",
            groups="crm_relationship.crm_relationship_group_user,sales_team.group_sale_salesman_all_leads,"
            "stock.group_stock_user,account.group_account_invoice",
        )
        order = self._create_order(self.contact)
        picking = order.picking_ids
        invoice = self._create_invoice(self.customer)
        invoice.action_post()
        equipment = self.env["crm.relationship.equipment"].create(
            {"partner_id": self.customer.id, "product_id": self.product.id, "serial_number": "CX-0042"}
        )
        customer, contact, company = self.customer.id, self.contact.id, self.company.id
        expected = {
            order: {
                "partner_id": customer,
                "contact_id": contact,
                "sale_order_id": order.id,
                "company_id": company,
                "department": "sales",
                "subject": f"About {order.name}",
            },
            picking: {
                "partner_id": customer,
                "contact_id": contact,
                "picking_id": picking.id,
                "sale_order_id": order.id,
                "company_id": company,
                "department": "logistics",
                "subject": f"About {picking.name}",
            },
            invoice: {
                "partner_id": customer,
                "invoice_id": invoice.id,
                "company_id": company,
                "department": "administration",
                "subject": f"About {invoice.name}",
            },
            equipment: {
                "partner_id": customer,
                "equipment_id": equipment.id,
                "subject": equipment.display_name,
            },
            self.customer: {"partner_id": customer},
            self.contact: {"partner_id": customer, "contact_id": contact},
        }
        form_view = self.env.ref("crm_relationship.crm_relationship_call_view_form")
        for document, values in expected.items():
            with self.subTest(document=document):
                action = document.with_user(user).action_crm_log_call()
                self.assertEqual(
                    (action["res_model"], action["views"], action["target"]),
                    ("crm.relationship.call", [(form_view.id, "form")], "current"),
                )
                self.assertEqual(
                    action["context"], {f"default_{name}": value for name, value in values.items()}
                )
                call = self._open_action_form(action, user=user)
                self.assertEqual(call.partner_id.id, customer)

        # A Relationship user without the sales, inventory and invoicing apps cannot read their documents.
        for document in (order, picking, invoice):
            with self.subTest(document=document), self.assertRaises(AccessError):
                document.with_user(self.rel_user).action_crm_log_call()
        # Nor can a Relationship user of another company read its equipment and customers.
        company_b = self.env["res.company"].create({"name": "Caldaie Sud S.r.l."})
        user_b = new_test_user(
            self.env,
            login="rel_user_south",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        customer_a = self._create_call_customer("Riservato Nord S.r.l.", company_id=self.company.id)
        for document in (equipment, customer_a):
            with self.subTest(document=document), self.assertRaises(AccessError):
                document.with_user(user_b).action_crm_log_call()
        # An employee who reads the customer but does not log calls is refused too.
        with self.assertRaises(AccessError):
            self.customer.with_user(self.internal_user).action_crm_log_call()

    def test_calls_smart_button(self):
        call = self._create_call(self.customer, contact_id=self.contact.id)
        self._create_call(self.other_customer)
        action = self.contact.action_view_crm_calls()
        self.assertEqual(self.env["crm.relationship.call"].search(action["domain"]), call)
        self.assertEqual(action["context"]["default_contact_id"], self.contact.id)
        self.assertEqual(self.customer.crm_call_count, 1)
        self.assertEqual(self.contact.crm_call_count, 1, "A contact shows the calls of its customer")
        self.assertEqual(self.customer.crm_call_ids, call)

    def test_call_in_timeline(self):
        call = self._create_call(
            self.customer, contact_id=self.contact.id, department="call_center", user=self.rel_user
        )
        call.outcome_id = self.env.ref("crm_relationship.crm_relationship_call_outcome_defect")
        self.env.flush_all()
        entry = self.env["crm.relationship.timeline"].search(
            [("res_model", "=", "crm.relationship.call"), ("res_id", "=", call.id)]
        )
        self.assertEqual(
            (entry.entry_type, entry.department, entry.name, entry.partner_id, entry.commercial_partner_id),
            ("call", "call_center", call.subject, self.contact, self.customer),
        )
        self.assertEqual((entry.user_id, entry.date, entry.state), (self.rel_user, call.date_start, "open"))
        self.assertEqual(entry.state_label, "Open")
        self.assertIn("Defect Reported", entry.summary)
        self.assertEqual(self.customer.crm_last_contact_date, call.date_start)
        self.assertIn(entry, self.customer.crm_timeline_ids)

    # Next action

    def _close(self, call, user=None, **values):
        wizard = (
            self.env["crm.relationship.call.close"]
            .with_user(user or self.env.user)
            .with_context(default_call_id=call.id)
            .create(values)
        )
        return wizard.action_confirm()

    def test_close_with_next_action(self):
        call = self._create_call(self.customer, user=self.rel_user, subject="Richiesta offerta")
        action = call.action_close()
        self.assertEqual(action["res_model"], "crm.relationship.call.close")
        deadline = fields.Date.today() + timedelta(days=3)
        with Form(
            self.env["crm.relationship.call.close"].with_user(self.rel_user).with_context(**action["context"])
        ) as form:
            self.assertEqual(form.user_id, self.rel_user)
            form.activity_type_id = self.env.ref("mail.mail_activity_data_todo")
            form.date_deadline = deadline
            form.user_id = self.rel_manager
            form.summary = "Inviare offerta"
        form.record.action_confirm()
        self.assertEqual(call.state, "done")
        activity = call.next_action_activity_id
        self.assertEqual(
            (activity.res_model, activity.res_id, activity.user_id, activity.date_deadline, activity.summary),
            ("res.partner", self.customer.id, self.rel_manager, deadline, "Inviare offerta"),
        )
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertEqual(call.next_action_date, deadline)
        self.assertTrue(self.customer.crm_has_next_action)
        with self._assert_raises_message(UserError, "already closed"):
            call.action_close()

    def test_close_without_follow_up_needs_reason(self):
        call = self._create_call(self.customer, user=self.rel_user)
        with self._assert_raises_message(UserError, "needs no follow-up"):
            self._close(call, user=self.rel_user, follow_up="none", no_followup_reason="  ")
        self.assertEqual(call.state, "open")
        self._close(call, user=self.rel_user, follow_up="none", no_followup_reason="Risolto al telefono")
        self.assertEqual((call.state, call.no_followup_reason), ("done", "Risolto al telefono"))
        self.assertFalse(call.next_action_activity_id)

    def test_next_action_needs_type_date_and_responsible(self):
        call = self._create_call(self.customer)
        with self._assert_raises_message(UserError, "type, its due date"):
            self._close(call, follow_up="activity", activity_type_id=False)
        self.assertEqual(call.state, "open")
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
            )
        )

    def test_cannot_close_without_next_action_or_reason(self):
        call = self._create_call(self.customer)
        with self._assert_raises_message(ValidationError, "plan the next action"):
            call.state = "done"

    def test_no_planned_action_report(self):
        action = self.env.ref("crm_relationship.res_partner_action_no_next_action")
        domain = Domain(ast.literal_eval(action.domain)) & Domain("crm_has_next_action", "=", False)
        Partner = self.env["res.partner"]
        listed = Partner.search(domain)
        self.assertIn(self.customer, listed)
        self.assertIn(self.other_customer, listed)
        self.assertNotIn(self.contact, listed, "Only customers (companies) are listed")
        self._close(
            self._create_call(self.customer), activity_type_id=self.env.ref("mail.mail_activity_data_call").id
        )
        self._close(self._create_call(self.other_customer), follow_up="none", no_followup_reason="Nessuna")
        listed = Partner.search(domain)
        self.assertNotIn(self.customer, listed)
        self.assertIn(self.other_customer, listed, "No follow-up leaves the customer without next action")
        self.assertIn("crm_no_next_action", action.context)

    def test_overdue_next_actions_per_responsible(self):
        call = self._create_call(self.customer)
        self._close(
            call,
            activity_type_id=self.env.ref("mail.mail_activity_data_call").id,
            date_deadline=fields.Date.today() - timedelta(days=2),
            user_id=self.rel_user.id,
        )
        self._close(
            self._create_call(self.other_customer),
            activity_type_id=self.env.ref("mail.mail_activity_data_call").id,
            date_deadline=fields.Date.today() + timedelta(days=2),
            user_id=self.rel_user.id,
        )
        action = self.env.ref("crm_relationship.mail_activity_action_overdue_next_action")
        domain = Domain(ast.literal_eval(action.domain)) & Domain("date_deadline", "<", fields.Date.today())
        groups = dict(self.env["mail.activity"]._read_group(domain, ["user_id"], ["id:array_agg"]))
        self.assertEqual(groups[self.rel_user], [call.next_action_activity_id.id])
        self.assertIn("search_default_group_by_user_id", action.context)

    # Channel preference

    def test_channel_shares(self):
        now = fields.Datetime.now()
        for channel, count in ((self.phone, 3), (self.email, 1)):
            for _i in range(count):
                self._create_call(self.customer, channel_id=channel.id, contact_id=self.contact.id)
        self._create_call(self.customer, channel_id=self.visit.id, date_start=now - relativedelta(months=14))
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.crm_call_count, 5)
        self.assertEqual(self.customer.crm_main_channel_id, self.phone)
        self.assertEqual(self.customer.crm_channel_share, "Phone 75% · E-mail 25%")
        self.assertEqual(self.contact.crm_channel_share, self.customer.crm_channel_share)
        figures = self.env["crm.relationship.call"]._crm_get_card_figures(self.customer, "calls")
        self.assertEqual(
            figures[self.customer.id],
            {
                "crm_call_count": 5,
                "crm_main_channel_id": self.phone,
                "crm_channel_share": "Phone 75% · E-mail 25%",
            },
        )
        self.assertFalse(self.other_customer.crm_channel_share)
        self.customer.crm_preferred_channel_id = self.email
        self.assertEqual(self.customer.crm_preferred_channel_id, self.email)

    def test_channel_shares_in_one_query(self):
        customers = self.customer | self.other_customer | self.contact
        for index in range(5):
            customer = self._create_call_customer(f"Cliente {index}")
            self._create_call(customer, channel_id=self.email.id)
            self._create_call(customer)
            customers |= customer

        def count_queries(partners):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            partners.mapped("crm_channel_share")
            return self.env.cr.sql_log_count - before

        self.env.flush_all()
        count_queries(customers)  # the environments' companies, read once per transaction
        self.assertEqual(count_queries(customers[-1:]), count_queries(customers))

    def test_channel_mix_per_segment(self):
        tag = self.env["res.partner.category"].create({"name": "Installatori"})
        self.customer.category_id = tag
        self._create_call(self.customer, channel_id=self.phone.id)
        self._create_call(self.customer, channel_id=self.phone.id)
        self._create_call(self.other_customer, channel_id=self.email.id)
        Call = self.env["crm.relationship.call"]
        domain = [("partner_id", "in", (self.customer | self.other_customer).ids)]
        mix = {
            (tag_, channel): count
            for tag_, channel, count in Call._read_group(
                domain, ["partner_category_ids", "channel_id"], ["__count"]
            )
        }
        self.assertEqual(mix[tag, self.phone], 2)
        self.assertEqual(mix[self.env["res.partner.category"], self.email], 1)
        by_country = dict(Call._read_group(domain, ["partner_country_id"], ["__count"]))
        self.assertEqual(by_country[self.env.ref("base.it")], 3)
        self.env.ref("crm_relationship.crm_relationship_call_action_channel_mix")

    def test_search_filters(self):
        today_call = self._create_call(self.customer, user=self.rel_user, direction="outbound")
        old_call = self._create_call(
            self.customer,
            date_start=fields.Datetime.now() - relativedelta(months=13),
            channel_id=self.visit.id,
        )
        arch = self.env.ref("crm_relationship.crm_relationship_call_view_search").arch
        Call = self.env["crm.relationship.call"].with_user(self.rel_user)
        found = {}
        for name in ("my_calls", "today", "this_week", "last_12_months", "outbound", "without_next_action"):
            domain = arch.split(f'name="{name}"')[1].split('domain="')[1].split('"/>')[0]
            domain = domain.replace("&lt;", "<").replace("&gt;", ">").replace("uid", str(self.rel_user.id))
            found[name] = Call.search(ast.literal_eval(domain))
        for name, calls in found.items():
            self.assertIn(today_call, calls, name)
        for name in ("my_calls", "today", "this_week", "last_12_months", "outbound"):
            self.assertNotIn(old_call, found[name], name)
