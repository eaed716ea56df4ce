from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import MAX_SAFE_ID, CrmRelationshipCase, IdOverflowMixin

# Next ids of the tables whose ids the timeline and the reports multiply: past
# 2**31 / 4, so that such an id times 4, 8 or 1000 overflows a 32-bit integer,
# yet far from the 2**31 limit of the tables themselves. One range per table,
# so that a row carrying the id of another table's record is caught.
NEXT_IDS = {
    "mail_message": 600_000_000,
    "sale_order": 610_000_000,
    "account_move": 620_000_000,
    "stock_picking": 630_000_000,
    "stock_move_line": 640_000_000,
    "account_payment": 650_000_000,
    "crm_relationship_call": 660_000_000,
    "crm_relationship_equipment": 670_000_000,
    "crm_relationship_defect": 680_000_000,
    "crm_relationship_event_log": 690_000_000,
}


@tagged("post_install", "-at_install")
class TestCrmRelationshipIdOverflow(IdOverflowMixin, CrmRelationshipCase):
    """A company with years of history: every document id is above 600 million.

    Caldaie Longeve S.r.l. (salesperson: the Relationship User) has a sent
    quotation, an order of 2 boilers at 1,000 (cost 600) placed by its contact
    Giulia, delivered, one boiler returned, invoiced (2,000) and paid 800, a
    note in its chatter, a call of 30 minutes, an equipment under warranty, an
    open defect report and a fired event rule. Cliente Silente S.p.A. has a
    planned activity and was never contacted.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._move_id_sequences(NEXT_IDS)
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company.write({"crm_call_hourly_cost": 60.0, "crm_warranty_defect_cost": 200.0})
        cls.user = new_test_user(
            cls.env,
            login="overflow_user",
            name="Ugo Operatore",
            groups="crm_relationship.crm_relationship_group_user,sales_team.group_sale_salesman,"
            "account.group_account_invoice",
        )
        cls.manager = new_test_user(
            cls.env,
            login="overflow_manager",
            name="Marta Responsabile",
            groups="crm_relationship.crm_relationship_group_manager,"
            "sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Caldaie Longeve S.r.l.", "is_company": True, "user_id": cls.user.id}
        )
        cls.contact = Partner.create({"name": "Giulia Longeve", "parent_id": cls.customer.id})
        cls.quiet = Partner.create({"name": "Cliente Silente S.p.A.", "is_company": True})
        cls.quiet.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=cls.today + timedelta(days=7), user_id=cls.user.id
        )
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Caldaia Eterna E-30",
                "is_storable": True,
                "list_price": 1000.0,
                "standard_price": 600.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.boiler, warehouse.lot_stock_id, 10)

        SaleOrder = cls.env["sale.order"]
        cls.quotation = SaleOrder.create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.user.id,
                "validity_date": cls.today + timedelta(days=30),
                "order_line": [Command.create({"product_id": cls.boiler.id, "product_uom_qty": 1})],
            }
        )
        cls.quotation.state = "sent"
        cls.order = SaleOrder.create(
            {
                "partner_id": cls.contact.id,
                "user_id": cls.user.id,
                "order_line": [Command.create({"product_id": cls.boiler.id, "product_uom_qty": 2})],
            }
        )
        cls.order.action_confirm()
        cls.delivery = cls.order.picking_ids
        cls.delivery.action_assign()
        cls.delivery.move_ids.picked = True
        cls.delivery.with_context(skip_sms=True).button_validate()
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=cls.delivery.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        cls.return_picking = cls.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        cls.return_picking.move_ids.picked = True
        cls.return_picking.with_context(skip_sms=True).button_validate()

        cls.invoice = cls.order._create_invoices()
        cls.invoice.invoice_date = cls.today
        cls.invoice.action_post()
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice.ids
        ).create({"amount": 800.0, "payment_date": cls.today}).action_create_payments()
        cls.payment = cls.env["account.payment"].search([("partner_id", "child_of", cls.customer.id)])

        cls.message = cls.customer.message_post(
            body="Richiamare per il contratto di manutenzione",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        cls.call = cls._create_call(
            cls.customer,
            user=cls.user,
            contact_id=cls.contact.id,
            duration=30.0,
            department="call_center",
            subject="Rumore all'accensione",
        )
        cls.equipment = cls.env["crm.relationship.equipment"].create(
            {
                "partner_id": cls.customer.id,
                "product_id": cls.boiler.id,
                "warranty_end_date": cls.today + timedelta(days=365),
            }
        )
        cls.defect = cls.env["crm.relationship.defect"].create(
            {
                "partner_id": cls.customer.id,
                "contact_id": cls.contact.id,
                "product_id": cls.boiler.id,
                "equipment_id": cls.equipment.id,
                "user_sales_id": cls.user.id,
                "user_call_center_id": cls.user.id,
                "user_production_id": cls.manager.id,
            }
        )
        rule = cls.env["crm.relationship.event.rule"].create(
            {
                "name": "Fatturato oltre 1.000",
                "rule_type": "invoiced_year",
                "amount": 1000.0,
                "responsible_type": "user",
                "user_id": cls.manager.id,
            }
        )
        cls.event = cls.env["crm.relationship.event.log"].create(
            {
                "rule_id": rule.id,
                "partner_id": cls.customer.id,
                "period_key": str(cls.today.year),
                "value": 2000.0,
            }
        )
        cls.documents = {
            ("sale.order", cls.quotation.id): "quotation",
            ("sale.order", cls.order.id): "order",
            ("stock.picking", cls.delivery.id): "delivery",
            ("stock.picking", cls.return_picking.id): "return",
            ("account.move", cls.invoice.id): "invoice",
            ("account.payment", cls.payment.id): "payment",
            ("mail.message", cls.message.id): "message",
            ("crm.relationship.call", cls.call.id): "call",
            ("crm.relationship.equipment", cls.equipment.id): "equipment",
            ("crm.relationship.defect", cls.defect.id): "defect",
        }
        cls.alerts = "No next action is planned with this customer.\n1 open defect report."

    def test_documents_have_ids_past_the_32_bit_products(self):
        for record in (
            self.message,
            self.quotation,
            self.invoice,
            self.delivery,
            self.delivery.move_line_ids,
            self.payment,
            self.call,
            self.equipment,
            self.defect,
            self.event,
        ):
            self.assertGreater(record.id * 4, 2**31 - 1, record)
        self.assertEqual(len(self.payment), 1)

    # ------------------------------------------------------------------
    # Customer card, kanban, list and filters
    # ------------------------------------------------------------------

    def _timeline_documents(self, env, row_ids):
        """``{(res_model, res_id): entry_type}`` of timeline rows read by id."""
        rows = env["crm.relationship.timeline"].browse(row_ids).read(["res_model", "res_id", "entry_type"])
        self.assertEqual(sorted(row["id"] for row in rows), sorted(row_ids))
        return {(row["res_model"], row["res_id"]): row["entry_type"] for row in rows}

    def test_customer_card(self):
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                env = self._web_env(user)
                spec = self._view_spec(env, "crm_relationship.res_partner_view_form_customer_card")
                self.assertIn("crm_timeline_ids", spec)
                [card] = env["res.partner"].browse(self.customer.id).web_read(spec)
                expected = {
                    "crm_quotation_count": 1,
                    "crm_order_count": 1,
                    "crm_delivery_count": 1,
                    "crm_return_count": 1,
                    "crm_invoice_count": 1,
                    "crm_invoiced_this_year": 2000.0,
                    "crm_amount_due": 1200.0,
                    "crm_last_payment_date": self.today,
                    "crm_call_count": 1,
                    "crm_equipment_count": 1,
                    "crm_defect_count": 1,
                    "crm_defect_open_count": 1,
                    "crm_event_count": 1,
                    "crm_has_next_action": False,
                    "crm_alert_message": self.alerts,
                }
                self.assertEqual({key: card[key] for key in expected}, expected)
                self.assertTrue(card["crm_last_contact_date"])
                self.assertEqual([call["id"] for call in card["crm_call_ids"]], self.call.ids)
                self.assertEqual([eq["id"] for eq in card["crm_equipment_ids"]], self.equipment.ids)

                entries = card["crm_timeline_ids"]
                self.assertEqual(len(entries), 10)
                self.assertEqual(self._timeline_documents(env, [e["id"] for e in entries]), self.documents)
                by_type = {entry["entry_type"]: entry for entry in entries}
                self.assertEqual(by_type["invoice"]["name"], self.invoice.name)
                self.assertEqual(by_type["invoice"]["amount"], 2000.0)
                self.assertEqual(by_type["order"]["partner_id"]["id"], self.contact.id)
                self.assertEqual(by_type["call"]["name"], "Rumore all'accensione")

    def test_customer_kanban_and_list(self):
        in_a_week = self.today + timedelta(days=7)
        views = {
            "crm_relationship.res_partner_view_kanban_customer_card": {
                self.customer: {
                    "crm_invoiced_this_year": 2000.0,
                    "crm_amount_overdue": 0.0,
                    "crm_has_next_action": False,
                },
                self.quiet: {
                    "crm_invoiced_this_year": 0.0,
                    "crm_amount_overdue": 0.0,
                    "crm_has_next_action": True,
                },
            },
            "crm_relationship.res_partner_view_list_customer_card": {
                self.customer: {
                    "crm_invoiced_this_year": 2000.0,
                    "crm_amount_due": 1200.0,
                    "crm_last_purchase_date": self.order.date_order.date(),
                    "crm_next_action_date": False,
                },
                self.quiet: {
                    "crm_invoiced_this_year": 0.0,
                    "crm_amount_due": 0.0,
                    "crm_next_action_date": in_a_week,
                    "crm_last_contact_date": False,
                },
            },
        }
        for user in (self.user, self.manager):
            env = self._web_env(user)
            domain = self._action_domain(env, "crm_relationship.res_partner_action_customer") + [
                ("id", "in", (self.customer | self.quiet).ids)
            ]
            for view, expected in views.items():
                with self.subTest(user=user.login, view=view):
                    spec = self._view_spec(env, view)
                    result = env["res.partner"].web_search_read(domain, spec, limit=80)
                    self.assertEqual(result["length"], 2)
                    cards = {record["id"]: record for record in result["records"]}
                    for partner, values in expected.items():
                        card = cards[partner.id]
                        self.assertEqual({key: card[key] for key in values}, values)
                    if "crm_last_contact_date" in spec:
                        self.assertTrue(cards[self.customer.id]["crm_last_contact_date"])

    def test_customer_filters(self):
        filters = {"crm_no_next_action": self.customer, "crm_not_contacted_60_days": self.quiet}
        for user in (self.user, self.manager):
            env = self._web_env(user)
            spec = self._view_spec(env, "crm_relationship.res_partner_view_list_customer_card")
            for filter_name, expected in filters.items():
                with self.subTest(user=user.login, filter=filter_name):
                    domain = self._action_domain(env, "crm_relationship.res_partner_action_customer")
                    domain += self._filter_domain(env, "base.view_res_partner_filter", filter_name)
                    self.assertIn(expected.id, env["res.partner"].search(domain).ids)
                    ours = domain + [("id", "in", (self.customer | self.quiet).ids)]
                    result = env["res.partner"].web_search_read(ours, spec, limit=80)
                    self.assertEqual([record["id"] for record in result["records"]], expected.ids)

    def test_sale_order_banner(self):
        env = self._web_env(self.user)
        spec = self._view_spec(env, "sale.view_order_form")
        self.assertIn("crm_alert_message", spec)
        for order in (self.quotation, self.order):
            [values] = env["sale.order"].browse(order.id).web_read(spec)
            self.assertEqual(values["crm_alert_message"], self.alerts)

    # ------------------------------------------------------------------
    # Timeline
    # ------------------------------------------------------------------

    def test_timeline_of_the_customer(self):
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                env = self._web_env(user)
                Timeline = env["crm.relationship.timeline"]
                spec = self._view_spec(env, "crm_relationship.crm_relationship_timeline_view_list")
                domain = self.customer.with_env(env).action_view_crm_timeline()["domain"]
                page = Timeline.web_search_read(domain, spec, limit=80)
                self.assertEqual(page["length"], 10)
                row_ids = [row["id"] for row in page["records"]]
                self.assertEqual(len(set(row_ids)), 10)
                self.assertLessEqual(max(row_ids), MAX_SAFE_ID)
                self.assertEqual(self._timeline_documents(env, row_ids), self.documents)
                rows = {row["entry_type"]: row for row in page["records"]}
                self.assertEqual(rows["payment"]["name"], self.payment.name)
                self.assertEqual(rows["payment"]["amount"], 800.0)
                self.assertEqual(rows["return"]["name"], self.return_picking.name)

                panel = Timeline.search_panel_select_multi_range(
                    "entry_type", search_domain=domain, enable_counters=True
                )
                self.assertEqual(
                    {value["id"]: value["__count"] for value in panel["values"] if value["__count"]},
                    dict.fromkeys(self.documents.values(), 1),
                )
                panel = Timeline.search_panel_select_multi_range(
                    "department", search_domain=domain, enable_counters=True
                )
                self.assertEqual(
                    {value["id"]: value["__count"] for value in panel["values"] if value["__count"]},
                    {
                        "sales": 2,
                        "logistics": 3,
                        "administration": 2,
                        "call_center": 1,
                        "production": 1,
                        "other": 1,
                    },
                )

    def test_global_timeline(self):
        env = self._web_env(self.manager)
        Timeline = env["crm.relationship.timeline"]
        spec = self._view_spec(env, "crm_relationship.crm_relationship_timeline_view_list")
        page = Timeline.web_search_read([], spec, limit=80)
        self.assertEqual(len(page["records"]), min(80, Timeline.search_count([])))
        self.assertLessEqual(max(row["id"] for row in page["records"]), MAX_SAFE_ID)
        for field_name in ("entry_type", "department"):
            panel = Timeline.search_panel_select_multi_range(field_name, enable_counters=True)
            self.assertEqual(sum(value["__count"] for value in panel["values"]), Timeline.search_count([]))
        everything = Timeline.search([])
        self.assertEqual(len(set(everything.ids)), len(everything))
        ours = everything.filtered(lambda row: row.commercial_partner_id == self.customer)
        self.assertEqual({(row.res_model, row.res_id): row.entry_type for row in ours}, self.documents)

    def test_timeline_row_read_by_id_opens_its_document(self):
        opened_by = {
            (self.user, "order"): ("sale.order", self.order.id),
            (self.user, "message"): ("res.partner", self.customer.id),
            (self.manager, "invoice"): ("account.move", self.invoice.id),
            (self.manager, "payment"): ("account.payment", self.payment.id),
            (self.manager, "call"): ("crm.relationship.call", self.call.id),
            (self.manager, "defect"): ("crm.relationship.defect", self.defect.id),
        }
        for (user, entry_type), document in opened_by.items():
            with self.subTest(user=user.login, entry_type=entry_type):
                env = self._web_env(user)
                Timeline = env["crm.relationship.timeline"]
                [row_id] = Timeline.search(
                    [("commercial_partner_id", "=", self.customer.id), ("entry_type", "=", entry_type)]
                ).ids
                spec = self._view_spec(env, "crm_relationship.crm_relationship_timeline_view_form")
                [row] = Timeline.browse(row_id).web_read(spec)
                self.assertEqual(row["entry_type"], entry_type)
                self.assertEqual(row["commercial_partner_id"]["id"], self.customer.id)
                action = Timeline.browse(row_id).action_open_document()
                self.assertEqual((action["res_model"], action["res_id"]), document)

    # ------------------------------------------------------------------
    # Reports
    # ------------------------------------------------------------------

    def _report_rows(self, model, list_view, domain):
        """``{row id: values}`` of a report's list, read as the manager, each row also read by id."""
        env = self._web_env(self.manager)
        Report = env[model]
        spec = self._view_spec(env, list_view)
        result = Report.web_search_read(domain, spec)
        rows = {row["id"]: row for row in result["records"]}
        self.assertEqual(len(rows), result["length"])
        for row_id, row in rows.items():
            [again] = Report.browse(row_id).web_read(spec)
            self.assertEqual(again, row)
        self._assert_row_ids(Report)
        return rows

    def _report_groups(self, model, domain, groupby, aggregates):
        """``{group value: {aggregate: value}}`` of the report's ``web_read_group``, as the manager."""
        Report = self._web_env(self.manager)[model]
        groups = Report.web_read_group(domain, groupby, aggregates)["groups"]
        result = {}
        for group in groups:
            key = group[groupby[0]]
            result[key[0] if isinstance(key, (list, tuple)) else key] = {
                agg: group[agg] for agg in aggregates
            }
        return result

    def test_profitability_report(self):
        model = "crm.relationship.profitability.report"
        domain = [("partner_id", "=", self.customer.id)]
        rows = self._report_rows(
            model, "crm_relationship.crm_relationship_profitability_report_view_list", domain
        )
        self.assertEqual(
            {row_id: (row["source"], row["name"]) for row_id, row in rows.items()},
            {
                self.invoice.id * 1000 + 1: ("invoice", self.invoice.name),
                self.return_picking.id * 1000 + 2: ("return", self.return_picking.name),
                self.call.id * 1000 + 3: ("call", self.call.subject),
                self.defect.id * 1000 + 4: ("defect", self.defect.name),
            },
        )
        invoice_row = rows[self.invoice.id * 1000 + 1]
        self.assertEqual(
            (
                invoice_row["revenue"],
                invoice_row["product_cost"],
                invoice_row["margin"],
                invoice_row["open_balance"],
            ),
            (2000.0, 1200.0, 800.0, 1200.0),
        )
        self.assertEqual(rows[self.call.id * 1000 + 3]["call_minutes"], 30.0)
        aggregates = [
            "revenue:sum",
            "margin:sum",
            "cost_to_serve:sum",
            "net_margin:sum",
            "margin_percent:avg",
        ]
        self.assertEqual(
            self._report_groups(model, domain, ["partner_id"], aggregates),
            {self.customer.id: dict(zip(aggregates, (2000.0, 800.0, 230.0, 570.0, 40.0), strict=True))},
        )

    def test_staff_report(self):
        model = "crm.relationship.staff.report"
        domain = [("partner_id", "=", self.customer.id)]
        rows = self._report_rows(model, "crm_relationship.crm_relationship_staff_report_view_list", domain)
        self.assertEqual(
            {
                row_id: (row["source"], row["user_id"]["id"], row["department"])
                for row_id, row in rows.items()
            },
            {
                self.call.id * 1000 + 1: ("call", self.user.id, "call_center"),
                self.quotation.id * 1000 + 2: ("offer", self.user.id, "sales"),
                self.order.id * 1000 + 2: ("offer", self.user.id, "sales"),
                self.invoice.id * 1000 + 3: ("invoice", self.user.id, "sales"),
                self.defect.id * 1000 + 4: ("defect", self.user.id, "sales"),
                self.defect.id * 1000 + 5: ("defect", self.user.id, "call_center"),
                self.defect.id * 1000 + 6: ("defect", self.manager.id, "production"),
            },
        )
        aggregates = [
            "call_count:sum",
            "offer_count:sum",
            "conversion_rate:avg",
            "ordered_amount:sum",
            "revenue:sum",
        ]
        self.assertEqual(
            self._report_groups(model, domain, ["user_id"], aggregates + ["defect_count:sum"]),
            {
                self.user.id: dict(
                    zip(aggregates + ["defect_count:sum"], (1, 2, 50.0, 2000.0, 2000.0, 2), strict=True)
                ),
                self.manager.id: dict(
                    zip(aggregates + ["defect_count:sum"], (0, 0, False, 0.0, 0.0, 1), strict=True)
                ),
            },
        )

    def test_defect_report(self):
        model = "crm.relationship.defect.report"
        domain = [("partner_id", "=", self.customer.id)]
        rows = self._report_rows(model, "crm_relationship.crm_relationship_defect_report_view_list", domain)
        delivered = self.delivery.move_line_ids
        returned = self.return_picking.move_line_ids
        self.assertEqual(
            {
                row_id: (row["source"], row["defect_count"], row["delivered_qty"])
                for row_id, row in rows.items()
            },
            {
                self.defect.id * 1000 + 1: ("defect", 1, 0.0),
                delivered.id * 1000 + 2: ("delivery", 0, 2.0),
                returned.id * 1000 + 2: ("delivery", 0, -1.0),
            },
        )
        aggregates = ["defect_count:sum", "delivered_qty:sum", "defect_rate:avg"]
        self.assertEqual(
            self._report_groups(model, domain, ["product_id"], aggregates),
            {self.boiler.id: dict(zip(aggregates, (1, 1.0, 100.0), strict=True))},
        )
