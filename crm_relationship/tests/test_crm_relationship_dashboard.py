from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CrmRelationshipAnalyticsCase

# action xml id: (model, first view, pivot measures, pivot rows, graph measure, graph groupbys)
DASHBOARD_ACTIONS = {
    "crm_relationship_profitability_report_action": (
        "crm.relationship.profitability.report",
        "pivot",
        ["revenue", "refund_amount", "margin", "margin_percent", "cost_to_serve", "net_margin"],
        ["partner_id"],
        "net_margin",
        ["partner_id"],
    ),
    "crm_relationship_profitability_report_action_ranking": (
        "crm.relationship.profitability.report",
        "graph",
        ["margin", "revenue", "net_margin"],
        ["partner_id"],
        "margin",
        ["partner_id"],
    ),
    "crm_relationship_profitability_report_action_payment": (
        "crm.relationship.profitability.report",
        "pivot",
        ["payment_delay", "open_balance", "overdue_balance", "refund_amount", "refund_count"],
        ["partner_id"],
        "overdue_balance",
        ["partner_id"],
    ),
    "res_partner_action_segment_analysis": (
        "res.partner",
        "graph",
        ["__count", "crm_rfm_score"],
        ["crm_segment_id"],
        "__count",
        ["crm_segment_id"],
    ),
    "crm_relationship_defect_report_action": (
        "crm.relationship.defect.report",
        "graph",
        ["defect_count", "delivered_qty", "defect_rate"],
        ["product_id", "lot_id"],
        "defect_count",
        ["product_id"],
    ),
    "crm_relationship_staff_report_action_calls": (
        "crm.relationship.staff.report",
        "pivot",
        ["call_count", "call_minutes", "closed_call_count", "next_action_rate"],
        ["user_id"],
        "call_count",
        ["user_id", "outcome_id"],
    ),
    "crm_relationship_staff_report_action_defects": (
        "crm.relationship.staff.report",
        "pivot",
        ["defect_count", "resolved_count", "resolution_days", "total_resolution_days"],
        ["department", "user_id"],
        "resolution_days",
        ["department"],
    ),
    "crm_relationship_staff_report_action_sales": (
        "crm.relationship.staff.report",
        "pivot",
        ["offer_count", "order_count", "conversion_rate", "ordered_amount", "revenue"],
        ["user_id"],
        "revenue",
        ["user_id"],
    ),
}


@tagged("post_install", "-at_install")
class TestCrmRelationshipDashboard(CrmRelationshipAnalyticsCase):
    def test_dashboard_actions(self):
        for xmlid, (
            model,
            first_view,
            measures,
            rows,
            graph_measure,
            graph_groupbys,
        ) in DASHBOARD_ACTIONS.items():
            with self.subTest(action=xmlid):
                action = (
                    self.env["ir.actions.act_window"]
                    .with_user(self.rel_manager)
                    ._for_xml_id(f"crm_relationship.{xmlid}")
                )
                self.assertEqual(action["res_model"], model)
                modes = action["view_mode"].split(",")
                self.assertEqual(modes[0], first_view)
                self.assertLessEqual({"pivot", "graph"}, set(modes))
                context = safe_eval(action["context"])
                self.assertEqual(context["pivot_measures"], measures)
                self.assertEqual(context["pivot_row_groupby"], rows)
                self.assertEqual(context["graph_measure"], graph_measure)
                self.assertEqual(context["graph_groupbys"], graph_groupbys)
                # Every measure aggregates and every grouping works for a manager.
                Model = self.env[model].with_user(self.rel_manager)
                aggregates = [m if m == "__count" else f"{m}:{Model._fields[m].aggregator}" for m in measures]
                self.assertTrue(all(aggregates), aggregates)
                Model._read_group(safe_eval(action["domain"] or "[]"), rows + graph_groupbys, aggregates)
                self.assertTrue(Model.fields_get(), "the manager reads the model")
                for view_type in ("pivot", "graph"):
                    Model.get_views([(False, view_type)])

    def test_dashboard_menu_for_managers(self):
        menu = self.env.ref("crm_relationship.crm_relationship_menu_dashboard")
        self.assertEqual(menu.group_ids, self.env.ref("crm_relationship.crm_relationship_group_manager"))
        actions = {child.action.id for child in menu.child_id}
        for xmlid in DASHBOARD_ACTIONS:
            self.assertIn(self.env.ref(f"crm_relationship.{xmlid}").id, actions)
        visible = self.env["ir.ui.menu"].with_user(self.rel_user)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)

    def test_defect_pareto(self):
        """Defects per product and lot against units delivered, most defective first."""
        other = self.env["product.product"].create({"name": "Bruciatore B-10", "type": "consu"})
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company_a.id)], limit=1)
        customer = self._create_customer("Qualità S.r.l.")
        delivery = self.env["stock.picking"].create(
            {
                "partner_id": customer.id,
                "picking_type_id": warehouse.out_type_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        }
                    )
                    for product, qty in ((self.product, 10), (other, 40))
                ],
            }
        )
        delivery.action_confirm()
        for move in delivery.move_ids:
            move.quantity = move.product_uom_qty
        delivery.move_ids.picked = True
        delivery.button_validate()
        for _i in range(3):
            self._create_defect(customer, self.today)
        self._create_defect(customer, self.today, product_id=other.id, equipment_id=False)
        self._create_defect(customer, self.today).state = "rejected"
        Report = self.env["crm.relationship.defect.report"]
        pareto = Report._read_group(
            [("partner_id", "=", customer.id)],
            ["product_id"],
            ["defect_count:sum", "delivered_qty:sum", "defect_rate:avg"],
            order="defect_count:sum desc",
        )
        self.assertEqual(pareto, [(self.product, 3, 10.0, 30.0), (other, 1, 40.0, 2.5)])
