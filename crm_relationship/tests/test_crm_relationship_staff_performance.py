from datetime import datetime, timedelta

from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipAnalyticsCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipStaffPerformance(CrmRelationshipAnalyticsCase):
    """Two operators, a salesperson and a production manager of one company:

    - Paola (operator): 3 phone calls of 10, 20 and 30 minutes, one closed
      with a next action, one closed without (with a reason), one open;
    - Marco (operator): 1 e-mail closed with a next action;
    - Sara (salesperson): offers sent, confirmed (1,000) and lost, a draft
      that is no offer yet; invoiced 1,500 minus a credit note of 500;
    - two defects taken by Paola (call center), Piero (production) and Sara:
      one closed (1 day to confirm, 3 to resolve, 2 to close), one new.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_values = {"company_ids": [Command.set(cls.company_a.ids)], "company_id": cls.company_a.id}
        cls.operator = cls.rel_user
        cls.operator_2 = new_test_user(
            cls.env,
            login="marco",
            name="Marco Operatore",
            groups="crm_relationship.crm_relationship_group_user",
            **company_values,
        )
        cls.seller = new_test_user(
            cls.env,
            login="sara",
            name="Sara Venditrice",
            groups="sales_team.group_sale_salesman,crm_relationship.crm_relationship_group_user",
            **company_values,
        )
        cls.production = new_test_user(
            cls.env,
            login="piero",
            name="Piero Produzione",
            groups="crm_relationship.crm_relationship_group_user",
            **company_values,
        )
        cls.customer = cls._create_customer("Cliente Servito S.r.l.", user_id=cls.seller.id)
        phone = cls.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        email = cls.env.ref("crm_relationship.crm_relationship_call_channel_email")
        solved = cls.env.ref("crm_relationship.crm_relationship_call_outcome_solved")
        call_back = cls.env.ref("crm_relationship.crm_relationship_call_outcome_call_back")
        day = cls._day(5)
        calls = {
            "with_action": cls._create_call(
                cls.customer,
                user_id=cls.operator.id,
                channel_id=phone.id,
                outcome_id=call_back.id,
                duration=10.0,
                date_start=day,
                department="call_center",
            ),
            "with_reason": cls._create_call(
                cls.customer,
                user_id=cls.operator.id,
                channel_id=phone.id,
                outcome_id=solved.id,
                duration=20.0,
                date_start=day,
                department="call_center",
            ),
            "open": cls._create_call(
                cls.customer,
                user_id=cls.operator.id,
                channel_id=phone.id,
                duration=30.0,
                date_start=day,
                department="call_center",
            ),
            "other": cls._create_call(
                cls.customer,
                user_id=cls.operator_2.id,
                channel_id=email.id,
                outcome_id=call_back.id,
                duration=5.0,
                date_start=day,
                department="call_center",
            ),
        }
        for key in ("with_action", "other"):
            activity = cls.env["mail.activity"].create(
                {
                    "res_model_id": cls.env["ir.model"]._get_id("res.partner"),
                    "res_id": cls.customer.id,
                    "summary": "Richiamare",
                    "user_id": cls.operator.id,
                }
            )
            calls[key].write({"state": "done", "next_action_activity_id": activity.id})
        calls["with_reason"].write({"state": "done", "no_followup_reason": "Risolto al telefono"})

        SaleOrder = cls.env["sale.order"]

        def order(quantity):
            return SaleOrder.create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": cls.seller.id,
                    "company_id": cls.company_a.id,
                    "date_order": day,
                    "order_line": [
                        Command.create(
                            {"product_id": cls.product.id, "product_uom_qty": quantity, "price_unit": 500.0}
                        )
                    ],
                }
            )

        order(2).action_confirm()
        order(1).state = "sent"
        order(3)._action_cancel()
        order(4)  # draft: not an offer yet
        cls._create_invoice(cls.customer, day, quantity=3, invoice_user_id=cls.seller.id)
        cls._create_invoice(cls.customer, day, move_type="out_refund", invoice_user_id=cls.seller.id)

        reported = datetime.combine(cls._day(20), datetime.min.time()) + timedelta(hours=9)
        roles = {
            "user_call_center_id": cls.operator.id,
            "user_production_id": cls.production.id,
            "user_sales_id": cls.seller.id,
        }
        closed = cls._create_defect(cls.customer, reported, **roles)
        closed.write(
            {
                "state": "closed",
                "description": "<p>La caldaia va in blocco</p>",
                "root_cause": "Sonda difettosa",
                "corrective_action": "Sonda sostituita",
                "date_confirmed": reported + timedelta(days=1),
                "date_resolved": reported + timedelta(days=4),
                "date_closed": reported + timedelta(days=6),
            }
        )
        cls._create_defect(cls.customer, reported, **roles)
        cls.Report = cls.env["crm.relationship.staff.report"]

    def _by_user(self, source, measures, groupby="user_id"):
        return {
            key: dict(zip(measures, values, strict=True))
            for key, *values in self.Report._read_group(
                [("source", "=", source), ("partner_id", "=", self.customer.id)], [groupby], measures
            )
        }

    def test_calls_per_operator_channel_and_outcome(self):
        measures = ["call_count:sum", "call_minutes:sum", "closed_call_count:sum", "next_action_rate:avg"]
        self.assertEqual(
            self._by_user("call", measures),
            {
                self.operator: dict(zip(measures, (3, 60.0, 2, 50.0), strict=True)),
                self.operator_2: dict(zip(measures, (1, 5.0, 1, 100.0), strict=True)),
            },
        )
        per_channel = self.Report._read_group(
            [("source", "=", "call"), ("partner_id", "=", self.customer.id)],
            ["channel_id"],
            ["call_count:sum"],
        )
        self.assertEqual({channel.name: count for channel, count in per_channel}, {"Phone": 3, "E-mail": 1})
        per_outcome = dict(
            self.Report._read_group(
                [("source", "=", "call"), ("partner_id", "=", self.customer.id)],
                ["outcome_id"],
                ["call_count:sum"],
            )
        )
        self.assertEqual(
            per_outcome[self.env.ref("crm_relationship.crm_relationship_call_outcome_call_back")], 2
        )

    def test_offers_conversion_and_revenue(self):
        offers = self._by_user(
            "offer", ["offer_count:sum", "order_count:sum", "conversion_rate:avg", "ordered_amount:sum"]
        )
        self.assertEqual(list(offers), [self.seller])
        figures = offers[self.seller]
        self.assertEqual(figures["offer_count:sum"], 3)
        self.assertEqual(figures["order_count:sum"], 1)
        self.assertAlmostEqual(figures["conversion_rate:avg"], 100 / 3)
        self.assertEqual(figures["ordered_amount:sum"], 1000.0)
        self.assertEqual(self._by_user("invoice", ["revenue:sum"]), {self.seller: {"revenue:sum": 1000.0}})

    def test_defects_taken_and_time_to_resolve_per_department(self):
        measures = [
            "defect_count:sum",
            "resolved_count:sum",
            "resolution_days:avg",
            "total_resolution_days:avg",
        ]
        per_department = self._by_user("defect", measures, groupby="department")
        self.assertEqual(
            per_department,
            {
                "call_center": dict(zip(measures, (2, 1, 1.0, 4.0), strict=True)),
                "production": dict(zip(measures, (2, 1, 3.0, 4.0), strict=True)),
                "sales": dict(zip(measures, (2, 1, 2.0, 4.0), strict=True)),
            },
        )
        per_user = self._by_user("defect", ["defect_count:sum"])
        self.assertEqual(
            {user: values["defect_count:sum"] for user, values in per_user.items()},
            {self.operator: 2, self.production: 2, self.seller: 2},
        )
