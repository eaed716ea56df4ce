from datetime import timedelta

from odoo.tests import tagged

from .common import CrmRelationshipAnalyticsCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipProfitability(CrmRelationshipAnalyticsCase):
    """Profitto S.r.l., with the product sold at 500 and costing 300:

    - invoice 1: 2 units (1,000), paid 10 days after its date;
    - invoice 2: 1 unit (500), due 10 days ago, unpaid (overdue);
    - credit note: 1 unit (500), today; one return of goods;
    - calls of 30 and 90 minutes at 60 an hour: 120;
    - a defect under warranty at 200 (a chargeable and a rejected one cost nothing).
    Minimo S.n.c. bought one unit: less margin, ranked second.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a.write({"crm_call_hourly_cost": 60.0, "crm_warranty_defect_cost": 200.0})
        cls.customer = cls._create_customer("Profitto S.r.l.")
        cls.small = cls._create_customer("Minimo S.n.c.")
        cls.invoice_paid = cls._create_invoice(cls.customer, cls._day(20), quantity=2)
        cls._pay(cls.invoice_paid, cls._day(20) + timedelta(days=10))
        cls.invoice_overdue = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": cls._day(40),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {"product_id": cls.product.id, "quantity": 1, "price_unit": 500.0, "tax_ids": [(5,)]},
                    )
                ],
            }
        )
        cls.invoice_overdue.invoice_date_due = cls.today - timedelta(days=10)
        cls.invoice_overdue.action_post()
        cls.refund = cls._create_invoice(cls.customer, cls.today, move_type="out_refund")
        cls._create_invoice(cls.small, cls._day(5))
        cls._create_call(cls.customer, duration=30.0, date_start=cls._day(5))
        cls._create_call(cls.customer, duration=90.0, date_start=cls._day(5))
        cls._create_defect(cls.customer, cls._day(3))
        cls._create_defect(cls.customer, cls._day(3), warranty=False)
        cls._create_defect(cls.customer, cls._day(3)).state = "rejected"
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company_a.id)], limit=1)
        Picking = cls.env["stock.picking"]
        delivery = Picking.create(
            {"partner_id": cls.customer.id, "picking_type_id": warehouse.out_type_id.id}
        )
        Picking.create(
            {
                "partner_id": cls.customer.id,
                "picking_type_id": warehouse.in_type_id.id,
                "location_id": cls.env.ref("stock.stock_location_customers").id,
                "location_dest_id": warehouse.lot_stock_id.id,
                "return_id": delivery.id,
            }
        )
        cls.Report = cls.env["crm.relationship.profitability.report"]

    def _figures(self, partner, measures):
        rows = self.Report._read_group([("partner_id", "=", partner.id)], [], measures)
        return dict(zip(measures, rows[0], strict=True))

    def test_profitability_figures(self):
        figures = self._figures(
            self.customer,
            [
                "revenue:sum",
                "invoiced_amount:sum",
                "refund_amount:sum",
                "product_cost:sum",
                "margin:sum",
                "margin_percent:avg",
                "invoice_count:sum",
                "refund_count:sum",
                "return_count:sum",
                "call_count:sum",
                "call_minutes:sum",
                "call_cost:sum",
                "defect_count:sum",
                "defect_cost:sum",
                "cost_to_serve:sum",
                "net_margin:sum",
                "payment_delay:avg",
                "open_balance:sum",
                "overdue_balance:sum",
            ],
        )
        self.assertEqual(
            figures,
            {
                "revenue:sum": 1000.0,
                "invoiced_amount:sum": 1500.0,
                "refund_amount:sum": 500.0,
                "product_cost:sum": 600.0,
                "margin:sum": 400.0,
                "margin_percent:avg": 40.0,
                "invoice_count:sum": 2,
                "refund_count:sum": 1,
                "return_count:sum": 1,
                "call_count:sum": 2,
                "call_minutes:sum": 120.0,
                "call_cost:sum": 120.0,
                "defect_count:sum": 1,
                "defect_cost:sum": 200.0,
                "cost_to_serve:sum": 320.0,
                "net_margin:sum": 80.0,
                "payment_delay:avg": 10.0,
                "open_balance:sum": 0.0,
                "overdue_balance:sum": 500.0,
            },
        )

    def test_consistent_with_customer_card(self):
        card = self.customer
        figures = self._figures(
            card,
            ["revenue:sum", "open_balance:sum", "overdue_balance:sum", "margin:sum", "cost_to_serve:sum"],
        )
        self.assertEqual(card.crm_invoiced_this_year, figures["revenue:sum"])
        self.assertEqual(card.crm_amount_due, figures["open_balance:sum"])
        self.assertEqual(card.crm_amount_overdue, figures["overdue_balance:sum"])
        self.assertEqual(card.crm_invoice_count, 2)
        self.assertEqual(card.crm_refund_count, 1)
        self.assertEqual(card.crm_return_count, 1)
        self.assertEqual(card.crm_margin_this_year, 400.0)
        self.assertEqual(card.crm_cost_to_serve_this_year, 320.0)
        self.assertEqual(card.crm_payment_delay, 10.0)

    def test_ranking_by_margin(self):
        ranking = self.Report._read_group(
            [("partner_id", "in", (self.customer | self.small).ids)],
            ["partner_id"],
            ["margin:sum", "revenue:sum"],
            order="margin:sum desc",
        )
        self.assertEqual(ranking, [(self.customer, 400.0, 1000.0), (self.small, 200.0, 500.0)])

    def test_every_figure_drills_down_to_documents(self):
        rows = self.Report.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            sorted(rows.mapped("source")),
            ["call", "call", "defect", "invoice", "invoice", "refund", "return"],
        )
        self.assertIn(self.invoice_overdue.name, rows.mapped("name"))

    def test_other_companies_hidden(self):
        Report = self.Report.with_user(self.rel_manager).with_context(
            allowed_company_ids=[self.env.ref("base.main_company").id]
        )
        self.assertFalse(Report.search_count([("partner_id", "=", self.customer.id)]))
        self.assertEqual(
            self.Report.with_user(self.rel_manager).search_count([("partner_id", "=", self.customer.id)]), 7
        )
