import ast

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import CrmRelationshipCase

MEASURES = [
    "opportunity_count:sum",
    "quotation_count:sum",
    "order_count:sum",
    "won_count:sum",
    "lost_count:sum",
    "expected_revenue:sum",
    "ordered_amount:sum",
    "quotation_rate:avg",
    "order_rate:avg",
    "quote_to_order_rate:avg",
    "win_rate:avg",
]


@tagged("post_install", "-at_install")
class TestCrmRelationshipConversionReport(CrmRelationshipCase):
    """Two salespeople of company A, customers in the Champions and At Risk segments.

    ======  ===========  ==========  ==========================================  ======  ========
    opp.    salesperson  customer    sale orders                                 status  expected
    ======  ===========  ==========  ==========================================  ======  ========
    o1      Giulia       Champions   confirmed 1000                              won     1200
    o2      Giulia       Champions   draft 400, confirmed 1000 in a currency     open    800
                         (contact)   worth half the company's (500)
    o3      Giulia       At Risk     cancelled 300                               lost    300
    o4      Giulia       (prospect)  none                                        open    100
    o5      Luca         At Risk     sent 700                                    lost    700
    o6      Luca         At Risk     confirmed 2000, cancelled 900               won     2500
    o7      Luca         Champions   none                                        won     400
    ======  ===========  ==========  ==========================================  ======  ========
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta Vendite S.p.A.", "currency_id": cls.company_a.currency_id.id}
        )
        cls.rel_manager.company_ids = [Command.link(cls.company_b.id)]
        cls.team_north = cls.env["crm.team"].create({"name": "Vendite Nord", "company_id": False})
        cls.team_south = cls.env["crm.team"].create({"name": "Vendite Sud", "company_id": False})
        cls.giulia = new_test_user(
            cls.env,
            login="conv_giulia",
            name="Giulia Venditrice",
            groups="sales_team.group_sale_salesman",
        )
        cls.luca = new_test_user(
            cls.env,
            login="conv_luca",
            name="Luca Venditore",
            groups="sales_team.group_sale_salesman",
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.champions = cls.env.ref("crm_relationship.crm_relationship_rfm_segment_champions")
        cls.at_risk = cls.env.ref("crm_relationship.crm_relationship_rfm_segment_at_risk")
        Partner = cls.env["res.partner"]
        cls.champion = Partner.create({"name": "Rossi Impianti S.r.l.", "is_company": True})
        cls.champion_contact = Partner.create({"name": "Marco Rossi", "parent_id": cls.champion.id})
        cls.risky = Partner.create({"name": "Termoidraulica Verdi S.n.c.", "is_company": True})
        cls.champion.sudo().crm_segment_id = cls.champions
        cls.risky.sudo().crm_segment_id = cls.at_risk
        cls.product = cls.env["product.product"].create(
            {"name": "Caldaia C-24", "type": "consu", "list_price": 100.0, "taxes_id": [Command.clear()]}
        )
        cls.foreign_pricelist = cls._foreign_pricelist()

        cls.o1 = cls._opportunity("Caldaie sede", cls.giulia, cls.champion, 1200)
        cls._order(cls.o1, 1000).action_confirm()
        cls.o1.action_set_won()
        cls.o2 = cls._opportunity("Manutenzione annuale", cls.giulia, cls.champion_contact, 800)
        cls._order(cls.o2, 400)
        cls._order(cls.o2, 1000, pricelist=cls.foreign_pricelist).action_confirm()
        cls.o3 = cls._opportunity("Pompe di calore", cls.giulia, cls.risky, 300)
        cls._order(cls.o3, 300)._action_cancel()
        cls.o3.action_set_lost()
        cls.o4 = cls._opportunity("Richiesta dal sito", cls.giulia, None, 100, contact_name="Anna Neri")
        cls.o5 = cls._opportunity("Sostituzione bruciatori", cls.luca, cls.risky, 700)
        cls._order(cls.o5, 700).action_quotation_sent()
        cls.o5.action_set_lost()
        cls.o6 = cls._opportunity("Impianto capannone", cls.luca, cls.risky, 2500)
        cls._order(cls.o6, 2000).action_confirm()
        cls._order(cls.o6, 900)._action_cancel()
        cls.o6.action_set_won()
        cls.o7 = cls._opportunity("Contratto assistenza", cls.luca, cls.champion, 400)
        cls.o7.action_set_won()
        cls.opportunities = cls.o1 | cls.o2 | cls.o3 | cls.o4 | cls.o5 | cls.o6 | cls.o7
        cls.row_ids = [opp.id * 1000 + 1 for opp in cls.opportunities]
        # A lead is not in the conversion until it becomes an opportunity.
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Contatto fiera", "type": "lead", "user_id": cls.giulia.id, "partner_id": cls.risky.id}
        )

    @classmethod
    def _foreign_pricelist(cls):
        """A pricelist in a currency worth half the company's currency."""
        company_currency = cls.company_a.currency_id
        currency = cls.env.ref("base.EUR" if company_currency.name != "EUR" else "base.USD")
        currency.active = True
        cls.env["res.currency.rate"].create(
            {
                "currency_id": currency.id,
                "company_id": cls.company_a.id,
                "name": fields.Date.today(),
                "rate": 2.0 * company_currency.with_company(cls.company_a).rate,
            }
        )
        return cls.env["product.pricelist"].create({"name": "Listino estero", "currency_id": currency.id})

    @classmethod
    def _opportunity(cls, name, user, partner, expected, company=None, **values):
        team = cls.team_north if user == cls.giulia else cls.team_south
        return cls.env["crm.lead"].create(
            dict(
                {
                    "name": name,
                    "type": "opportunity",
                    "user_id": user.id,
                    "team_id": team.id,
                    "partner_id": partner.id if partner else False,
                    "company_id": (company or cls.company_a).id,
                    "expected_revenue": expected,
                },
                **values,
            )
        )

    @classmethod
    def _order(cls, opportunity, amount, pricelist=None):
        """A quotation of ``amount`` (untaxed) for the opportunity."""
        values = {
            "partner_id": (opportunity.partner_id or cls.champion).id,
            "opportunity_id": opportunity.id,
            "company_id": opportunity.company_id.id,
            "user_id": opportunity.user_id.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": cls.product.id,
                        "product_uom_qty": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        return cls.env["sale.order"].with_company(opportunity.company_id).create(values)

    def _report(self, user, *companies):
        """The report as ``user`` reads it in the web client with ``companies`` active."""
        companies = companies or (self.company_a,)
        return (
            self.env["crm.relationship.conversion.report"]
            .with_user(user)
            .with_context(allowed_company_ids=[company.id for company in companies])
        )

    def _figures(self, Report, groupby, domain=()):
        """``{group: [measures...]}`` as the pivot reads them, over this test's opportunities."""
        domain = [("id", "in", self.row_ids), *domain]
        return {group: values for group, *values in Report._read_group(domain, [groupby], MEASURES)}

    def _assert_figures(self, actual, expected):
        counts, rates = actual[:7], actual[7:]
        self.assertEqual(counts, expected[:7])
        for value, expected_rate in zip(rates, expected[7:], strict=True):
            self.assertAlmostEqual(value, expected_rate, places=6)

    def test_conversion_per_salesperson(self):
        Report = self._report(self.rel_manager)
        per_user = self._figures(Report, "user_id")
        self.assertEqual(set(per_user), {self.giulia, self.luca})
        # quotations o1, o2 (a draft one counts); o3's only quotation was cancelled
        self._assert_figures(per_user[self.giulia], [4, 2, 2, 1, 1, 2400.0, 1500.0, 50.0, 50.0, 100.0, 50.0])
        # o6's cancelled order neither doubles its row nor adds to the ordered amount
        self._assert_figures(
            per_user[self.luca], [3, 2, 1, 2, 1, 3600.0, 2000.0, 200 / 3, 100 / 3, 50.0, 200 / 3]
        )
        per_team = self._figures(Report, "team_id")
        self.assertEqual(per_team[self.team_north], per_user[self.giulia])
        self.assertEqual(per_team[self.team_south], per_user[self.luca])

    def test_conversion_per_segment_and_customer(self):
        Report = self._report(self.rel_manager)
        per_segment = self._figures(Report, "segment_id")
        self._assert_figures(
            per_segment[self.champions], [3, 2, 2, 2, 0, 2400.0, 1500.0, 200 / 3, 200 / 3, 100.0, 100.0]
        )
        self._assert_figures(
            per_segment[self.at_risk], [3, 2, 1, 1, 2, 3500.0, 2000.0, 200 / 3, 100 / 3, 50.0, 100 / 3]
        )
        # the prospect's opportunity counts, without customer and segment; rates of empty sums are 0
        no_segment = per_segment[self.env["crm.relationship.rfm.segment"]]
        self._assert_figures(no_segment, [1, 0, 0, 0, 0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        per_customer = self._figures(Report, "partner_id")
        self.assertEqual(
            per_customer[self.champion][:3], [3, 2, 2], "a contact's opportunity is its company's"
        )
        self.assertEqual(per_customer[self.risky][:3], [3, 2, 1])
        self.assertEqual(per_customer[self.env["res.partner"]][0], 1)

    def test_rows_are_the_opportunities(self):
        Report = self._report(self.rel_manager)
        rows = Report.search([("user_id", "in", (self.giulia | self.luca).ids)])
        self.assertEqual(len(rows), 7, "one row per opportunity, the lost ones included, not the lead")
        self.assertEqual({divmod(row.id, 1000) for row in rows}, {(opp.id, 1) for opp in self.opportunities})
        by_lead = {row.id // 1000: row for row in rows}
        o2 = by_lead[self.o2.id]
        self.assertEqual(
            (o2.quotation_count, o2.order_count, o2.ordered_amount, o2.partner_id, o2.segment_id),
            (1, 1, 500.0, self.champion, self.champions),
        )
        self.assertEqual(o2.currency_id, self.company_a.currency_id)
        self.assertEqual(o2.date, self.o2.create_date.date())
        self.assertEqual((o2.stage_id, o2.won_status), (self.o2.stage_id, "pending"))
        o3 = by_lead[self.o3.id]
        self.assertEqual((o3.won_status, o3.quotation_count, o3.quote_to_order_rate), ("lost", 0, 0.0))
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT DISTINCT pg_typeof(id)::text FROM %s AS r", Report._table_sql),
        )
        self.assertEqual(self.env.cr.fetchall(), [("bigint",)])

    def test_lead_converted_joins_the_conversion(self):
        Report = self._report(self.rel_manager)
        row_id = self.lead.id * 1000 + 1
        self.assertFalse(Report.search([("id", "=", row_id)]))
        self.lead.convert_opportunity(self.risky)
        row = Report.search([("id", "=", row_id)])
        self.assertEqual(
            (row.user_id, row.partner_id, row.segment_id), (self.giulia, self.risky, self.at_risk)
        )
        self.assertEqual(row.date, self.lead.date_conversion.date())

    def test_web_client_groups(self):
        """The pivot's rows and the graph read through ``formatted_read_group``."""
        Report = self._report(self.rel_manager)
        groups = Report.formatted_read_group(
            [("id", "in", self.row_ids)],
            ["user_id"],
            ["opportunity_count:sum", "order_count:sum", "order_rate:avg", "ordered_amount:sum"],
        )
        by_user = {group["user_id"][0]: group for group in groups}
        self.assertEqual(by_user[self.giulia.id]["user_id"][1], "Giulia Venditrice")
        self.assertEqual(by_user[self.giulia.id]["opportunity_count:sum"], 4)
        self.assertEqual(by_user[self.giulia.id]["order_rate:avg"], 50.0)
        self.assertEqual(by_user[self.giulia.id]["ordered_amount:sum"], 1500.0)
        self.assertAlmostEqual(by_user[self.luca.id]["order_rate:avg"], 100 / 3)
        # the default filter of the action keeps opportunities created today
        last_12_months = Report.search_count([("id", "in", self.row_ids), ("date", ">=", "today =1d -11m")])
        self.assertEqual(last_12_months, 7)

    def test_search_filters(self):
        """The filters of the search view, as the manager's web client applies them."""
        Report = self._report(self.rel_manager)
        views = Report.get_views([(False, "graph"), (False, "pivot"), (False, "list"), (False, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        counts = {
            node.get("name"): Report.search_count(
                [("id", "in", self.row_ids), *ast.literal_eval(node.get("domain"))]
            )
            for node in arch.iter("filter")
            if node.get("domain")
        }
        self.assertEqual(counts, {"this_year": 7, "last_12_months": 7, "open": 2, "won": 3, "lost": 2})
        groupbys = [
            ast.literal_eval(node.get("context"))["group_by"]
            for node in arch.iter("filter")
            if node.get("context")
        ]
        self.assertEqual(len(groupbys), 7)
        for groupby in groupbys:
            self.assertTrue(Report.formatted_read_group([], [groupby], ["order_rate:avg"]), groupby)

    def test_managers_only(self):
        domain = [("user_id", "=", self.giulia.id)]
        with self.assertRaises(AccessError):
            self._report(self.rel_user).search(domain)
        with self.assertRaises(AccessError):
            self._report(self.rel_user).formatted_read_group(domain, ["user_id"], ["opportunity_count:sum"])
        with self.assertRaises(AccessError):
            self._report(self.giulia).search(domain)
        self.assertEqual(self._report(self.rel_manager).search_count(domain), 4)
        menu = self.env.ref("crm_relationship_crm.crm_relationship_conversion_report_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.rel_manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.rel_user)._visible_menu_ids())

    def test_multi_company(self):
        beta_customer = self.env["res.partner"].create({"name": "Cliente Beta", "is_company": True})
        beta = self._opportunity("Opportunità Beta", self.luca, beta_customer, 900, company=self.company_b)
        self._order(beta, 900).action_confirm()
        shared = self._opportunity("Senza azienda", self.luca, self.risky, 50)
        shared.company_id = False
        domain = [("user_id", "=", self.luca.id)]
        in_a = self._report(self.rel_manager, self.company_a)
        self.assertEqual(
            {row.id // 1000 for row in in_a.search(domain)},
            {self.o5.id, self.o6.id, self.o7.id, shared.id},
            "company A's opportunities and those of no company, not company B's",
        )
        self.assertEqual(in_a._read_group(domain, [], ["ordered_amount:sum"]), [(2000.0,)])
        in_both = self._report(self.rel_manager, self.company_a, self.company_b)
        measures = ["opportunity_count:sum", "order_count:sum", "ordered_amount:sum"]
        self.assertEqual(in_both._read_group(domain, [], measures), [(5, 2, 2900.0)])
        in_b = self._report(self.rel_manager, self.company_b)
        self.assertEqual({row.id // 1000 for row in in_b.search(domain)}, {beta.id, shared.id})
