from datetime import timedelta

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..tools import customer_value
from .common import CrmRelationshipAnalyticsCase, CronJobMixin

VALUE_CRON = "crm_relationship.ir_cron_crm_relationship_value"
# purchase days (days ago) and the untaxed amount of each invoice
HISTORY = {
    "Uno Caldaie": ([700, 600, 500, 400, 300, 200, 100, 10], 1000.0),
    "Due Impianti": ([700, 650, 600, 550, 500], 800.0),
    "Tre Servizi": ([30], 400.0),
    "Quattro Clima": ([400, 100], 1500.0),
    "Cinque Termica": ([300, 250, 200, 150, 100, 50], 600.0),
    "Sei Energia": ([600], 900.0),
    "Sette Idraulica": ([200, 190, 180], 700.0),
    "Otto Solare": ([60, 60, 20], 500.0),
    "Nove Pompe": ([500, 300, 120], 1200.0),
    "Dieci Luce": ([45], 300.0),
    "Undici Gas": ([365, 20], 650.0),
    "Dodici Aria": ([800, 400], 2000.0),
    "Tredici Vapore": ([150, 140], 350.0),
    "Quattordici Nuovo": ([0], 450.0),
}


@tagged("post_install", "-at_install")
class TestCrmRelationshipValueModel(CronJobMixin, CrmRelationshipAnalyticsCase):
    """Fourteen customers of one company with the purchase days of :data:`HISTORY`.

    A purchase is a day with invoices: Otto's two invoices of 60 days ago are
    one purchase of 1,000; Sette's credit note is no purchase and does not
    change its spend. The figures the add-on stores are checked against the
    models' formulas applied to summaries computed here from the dates.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("crm_relationship.value_min_customers", "10")
        cls.env["ir.config_parameter"].set_param("crm_relationship.value_min_repeat_customers", "3")
        cls.customers = {}
        for name, (days, price) in HISTORY.items():
            customer = cls._create_customer(name)
            cls.customers[name] = customer
            for days_ago in days:
                cls._create_invoice(customer, cls.today - timedelta(days=days_ago), price=price)
        cls._create_invoice(
            cls.customers["Sette Idraulica"],
            cls.today - timedelta(days=185),
            price=300.0,
            move_type="out_refund",
        )
        # A draft invoice is no purchase.
        cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customers["Tre Servizi"].id,
                "invoice_date": cls.today,
            }
        )
        cls.Model = cls.env["crm.relationship.value.model"]

    @staticmethod
    def _summary(days, price):
        """(x, t_x, T, mean repeat spend) in weeks, from purchase days and the invoice amount."""
        purchase_days = sorted(set(days), reverse=True)
        per_day = [price * days.count(day) for day in purchase_days]
        x = len(purchase_days) - 1
        first, last = purchase_days[0], purchase_days[-1]
        mean = sum(per_day[1:]) / x if x else 0.0
        # a first purchase today counts as one day of history
        return x, (first - last) / 7, max(first, 1) / 7, mean

    def _company_model(self):
        return self.Model.search([("company_id", "=", self.company_a.id)], order="id desc", limit=1)

    def test_history_summaries(self):
        data = self.Model._history_arrays(
            [
                row
                for row in self.env.execute_query(
                    self.Model._get_history_query(self.today, self.today - timedelta(days=90))
                )
                if row[1] == self.company_a.id
            ]
        )
        found = {
            int(pid): (x, t_x, T, m)
            for pid, x, t_x, T, m in zip(
                data["partner_ids"], data["x"], data["t_x"], data["T"], data["mean_value"], strict=True
            )
        }
        for name, (days, price) in HISTORY.items():
            expected = self._summary(days, price)
            self.assertEqual(
                tuple(round(v, 6) for v in found[self.customers[name].id]),
                tuple(round(v, 6) for v in expected),
                name,
            )
        self.assertEqual(found[self.customers["Otto Solare"].id][3], 500.0, "the repeat purchase's spend")
        # the check period: purchases before and from 90 days ago
        uno = list(data["partner_ids"]).index(self.customers["Uno Caldaie"].id)
        self.assertEqual((data["purchases_before"][uno], data["purchases_after"][uno]), (7, 1))

    def test_predictions_stored_for_every_customer(self):
        self.Model.with_user(self.rel_manager).action_predict()
        model = self._company_model()
        self.assertEqual(model.state, "done")
        self.assertEqual((model.customer_count, model.repeat_customer_count), (14, 10))
        bg = customer_value.BgNbdParams(model.bgnbd_r, model.bgnbd_alpha, model.bgnbd_a, model.bgnbd_b)
        gg = customer_value.GammaGammaParams(model.gg_p, model.gg_q, model.gg_gamma)
        self.assertTrue(gg.has_finite_mean)
        for name, (days, price) in HISTORY.items():
            partner = self.customers[name]
            x, t_x, T, mean = self._summary(days, price)
            alive = customer_value.probability_alive(bg, x, t_x, T)
            year = customer_value.expected_purchases(bg, 365 / 7, x, t_x, T)
            spend = customer_value.expected_spend(gg, x, mean)
            self.assertEqual(partner.crm_value_model_id, model, name)
            self.assertAlmostEqual(partner.crm_probability_alive, alive, places=3, msg=name)
            self.assertAlmostEqual(
                partner.crm_predicted_purchases_90d,
                customer_value.expected_purchases(bg, 90 / 7, x, t_x, T),
                places=2,
                msg=name,
            )
            self.assertAlmostEqual(partner.crm_predicted_purchases_12m, year, places=2, msg=name)
            self.assertAlmostEqual(partner.crm_predicted_revenue_12m, year * spend, delta=0.01, msg=name)
            self.assertEqual(partner.crm_predicted_currency_id, self.company_a.currency_id)
        uno, due, tre = (self.customers[n] for n in ("Uno Caldaie", "Due Impianti", "Tre Servizi"))
        self.assertEqual(tre.crm_probability_alive, 1.0, "one purchase only: still active for the model")
        newcomer = self.customers["Quattordici Nuovo"]
        self.assertEqual(newcomer.crm_probability_alive, 1.0, "first purchase today")
        self.assertGreater(newcomer.crm_predicted_purchases_12m, 0)
        self.assertGreater(
            uno.crm_probability_alive, due.crm_probability_alive, "Due stopped buying long ago"
        )
        self.assertGreater(uno.crm_predicted_purchases_12m, uno.crm_predicted_purchases_90d)
        # high predicted value: the fifth with the highest predicted revenue
        partners = self.env["res.partner"].browse([c.id for c in self.customers.values()])
        revenues = partners.mapped("crm_predicted_revenue_12m")
        threshold = np.quantile(revenues, 0.8)
        self.assertEqual(
            partners.filtered("crm_high_predicted_value"),
            partners.filtered(lambda p: p.crm_predicted_revenue_12m >= threshold),
        )
        self.assertIn(uno, partners.filtered("crm_high_predicted_value"))
        # the customer list's filters
        Partner = self.env["res.partner"].with_user(self.rel_user)
        churn = Partner.search(
            [
                ("id", "in", partners.ids),
                ("crm_probability_alive", "<", 0.5),
                ("crm_value_model_id", "!=", False),
            ]
        )
        self.assertIn(due, churn)
        self.assertNotIn(uno, churn)

    def test_check_on_own_history(self):
        self.Model.with_user(self.rel_manager).action_predict()
        model = self._company_model()
        # first purchase older than the 90 days checked: all but Tre, Otto, Dieci, Quattordici
        self.assertEqual(model.holdout_days, 90)
        self.assertEqual(model.holdout_customer_count, 10)
        self.assertEqual(model.holdout_actual, 3, "Uno 10 days ago, Cinque 50 days ago, Undici 20 days ago")
        self.assertGreater(model.holdout_predicted, 0)
        actual = model.line_ids.filtered(lambda line: line.series == "actual")
        self.assertAlmostEqual(sum(line.purchases * line.customer_count for line in actual), 3)
        self.assertEqual(sum(actual.mapped("customer_count")), 10)
        self.assertEqual(set(model.line_ids.mapped("series")), {"actual", "model", "naive"})
        action = model.with_user(self.rel_user).action_view_check()
        self.assertEqual(action["domain"], [("model_id", "=", model.id)])

    def test_company_without_enough_history(self):
        self.env["ir.config_parameter"].set_param("crm_relationship.value_min_customers", "15")
        self.Model.with_user(self.rel_manager).action_predict()
        model = self._company_model()
        self.assertEqual(model.state, "insufficient")
        self.assertIn("15 customers", model.note)
        self.assertFalse(self.customers["Uno Caldaie"].crm_value_model_id)
        # enough history again the same day: the company is fitted, no second record left
        self.env["ir.config_parameter"].set_param("crm_relationship.value_min_customers", "10")
        self.Model.with_user(self.rel_manager).action_predict()
        models = self.Model.search([("company_id", "=", self.company_a.id), ("date", "=", self.today)])
        self.assertEqual(models.mapped("state"), ["done"])

    def test_customer_without_purchases_loses_its_prediction(self):
        self.Model.with_user(self.rel_manager).action_predict()
        tre = self.customers["Tre Servizi"]
        self.assertTrue(tre.crm_value_model_id)
        invoice = self.env["account.move"].search([("partner_id", "=", tre.id), ("state", "=", "posted")])
        invoice.button_draft()
        self.Model.with_user(self.rel_manager).action_predict()
        self.assertFalse(tre.crm_value_model_id)
        self.assertFalse(tre.crm_predicted_revenue_12m)
        self.assertTrue(self.customers["Uno Caldaie"].crm_value_model_id, "the others keep theirs")

    def test_job_in_batches_resumes_without_fitting_again(self):
        self.env["ir.config_parameter"].set_param("crm_relationship.value_batch_size", "3")
        with self._cron_env_out_of_time(VALUE_CRON) as (env, progress):
            env["crm.relationship.value.model"]._cron_predict()
            self.assertEqual(progress.done, 3)
        model = self._company_model()
        self.assertEqual(model.state, "scoring", "stopped after its first batch")
        # the day's models again, and what they still have to store (other companies' customers too)
        models, rows = self.Model._fit_all()
        self.assertIn(model, models)
        pending = len(models._pending_rows(rows))
        progress = self._run_cron(VALUE_CRON)
        self.assertEqual(sum(progress.mapped("done")), pending, "resumed: only the customers left")
        self.assertEqual(self._company_model(), model, "the day's model is reused, not fitted again")
        self.assertEqual(model.state, "done")
        for customer in self.customers.values():
            self.assertEqual(customer.crm_value_model_id, model)

    def test_rights(self):
        with self.assertRaises(AccessError):
            self.Model.with_user(self.rel_user).action_predict()
        self.Model.with_user(self.rel_manager).action_predict()
        uno = self.customers["Uno Caldaie"]
        fields_spec = {
            "crm_probability_alive": {},
            "crm_predicted_purchases_90d": {},
            "crm_predicted_purchases_12m": {},
            "crm_predicted_revenue_12m": {},
            "crm_value_model_id": {"fields": {"display_name": {}}},
        }
        context = {"allowed_company_ids": [self.company_a.id]}
        values = uno.with_user(self.rel_user).with_context(**context).web_read(fields_spec)[0]
        self.assertEqual(values["crm_value_model_id"]["id"], self._company_model().id)
        self.assertGreater(values["crm_predicted_revenue_12m"], 0)
        employee = new_test_user(
            self.env, "value_employee", groups="base.group_user", company_id=self.company_a.id
        )
        with self.assertRaises(AccessError):
            uno.with_user(employee).with_context(**context).web_read({"crm_predicted_revenue_12m": {}})
        other = self.env["res.company"].create({"name": "Altra S.r.l."})
        outsider = new_test_user(
            self.env,
            "value_outsider",
            groups="crm_relationship.crm_relationship_group_user",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(
            self.Model.with_user(outsider)
            .with_context(allowed_company_ids=[other.id])
            .search([("company_id", "=", self.company_a.id)]),
            "another company's models are not readable",
        )
