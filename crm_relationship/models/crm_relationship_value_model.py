import logging
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools import customer_value
from .crm_relationship_tools import SOFT_RELOAD, get_batch_size, get_int_param, notification_action, run_batch

_logger = logging.getLogger(__name__)

BATCH_SIZE_PARAM = "crm_relationship.value_batch_size"
BATCH_SIZE_DEFAULT = 5000
HOLDOUT_DAYS_PARAM = "crm_relationship.value_holdout_days"
HOLDOUT_DAYS_DEFAULT = 90
# Fewer customers than this and a company gets no model: the fit would say nothing.
MIN_CUSTOMERS_PARAM = "crm_relationship.value_min_customers"
MIN_CUSTOMERS_DEFAULT = 30
MIN_REPEAT_PARAM = "crm_relationship.value_min_repeat_customers"
MIN_REPEAT_DEFAULT = 10
DAYS_PER_WEEK = 7.0
PREDICTION_FIELDS = (
    "crm_value_model_id",
    "crm_probability_alive",
    "crm_predicted_purchases_90d",
    "crm_predicted_purchases_12m",
    "crm_predicted_revenue_12m",
    "crm_predicted_currency_id",
    "crm_high_predicted_value",
)
HIGH_VALUE_SHARE = 0.2


def _grouped(*columns):
    """The distinct rows of ``columns`` as ``(*columns, count)``, and the index of each row among them.

    Customers of one company share few histories (one-time buyers differ only by their first day): the
    fits and forecasts are computed once per distinct history, the fits weighted by its customers.
    """
    rows, inverse, counts = np.unique(
        np.column_stack(columns), axis=0, return_inverse=True, return_counts=True
    )
    return (*rows.T, counts), inverse.ravel()


class CrmRelationshipValueModel(models.Model):
    """The customer-value models of a company, fitted on its posted invoices on a day.

    Purchases follow the BG/NBD model (Fader, Hardie & Lee, 2005) and the
    spend per purchase the Gamma-Gamma model (Fader, Hardie & Lee, 2005),
    both fitted by maximum likelihood (:mod:`..tools.customer_value`). A
    purchase is a day with at least one of the customer's invoices
    (``account.move._crm_customer_document_sql``, credit notes are no
    purchase); its value is the untaxed amount invoiced that day, in company
    currency. Time is counted in weeks, as in the papers.

    Every run also checks the model on the company's own history: fitted on
    the history before the last ``crm_relationship.value_holdout_days`` days
    (90 by default), it predicts the purchases of those days, which are then
    compared with what the customers really bought and with a naive forecast
    (each customer keeps buying at its past rate): :attr:`line_ids`.
    """

    _name = "crm.relationship.value.model"
    _description = "Customer Value Model"
    _order = "date desc, company_id, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="History up to", required=True, readonly=True)
    state = fields.Selection(
        [("scoring", "Storing the Predictions"), ("done", "Done"), ("insufficient", "Not Enough History")],
        required=True,
        readonly=True,
        default="scoring",
    )
    note = fields.Char(readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    repeat_customer_count = fields.Integer(
        string="Repeat Customers", readonly=True, help="Customers who bought on more than one day."
    )
    # BG/NBD: purchase rate ~ Gamma(r, alpha) per week, drop-out after a purchase ~ Beta(a, b)
    bgnbd_r = fields.Float(string="r", digits=(16, 4), readonly=True)
    bgnbd_alpha = fields.Float(string="alpha", digits=(16, 4), readonly=True)
    bgnbd_a = fields.Float(string="a", digits=(16, 4), readonly=True)
    bgnbd_b = fields.Float(string="b", digits=(16, 4), readonly=True)
    bgnbd_log_likelihood = fields.Float(string="Purchases: Log-Likelihood", digits=(16, 2), readonly=True)
    # Gamma-Gamma: spend per purchase
    gg_p = fields.Float(string="p", digits=(16, 4), readonly=True)
    gg_q = fields.Float(string="q", digits=(16, 4), readonly=True)
    gg_gamma = fields.Float(string="gamma", digits=(16, 4), readonly=True)
    gg_log_likelihood = fields.Float(string="Spend: Log-Likelihood", digits=(16, 2), readonly=True)
    mean_spend = fields.Monetary(
        string="Expected Spend per Purchase",
        readonly=True,
        help="What the spend model expects a customer to spend per purchase before knowing "
        "anything of it: p × gamma / (q − 1).",
    )
    spend_frequency_correlation = fields.Float(
        string="Spend-Frequency Correlation",
        digits=(16, 3),
        readonly=True,
        help="Correlation between the number of purchases and the average spend of the repeat "
        "customers. The spend model assumes none: far from 0, its revenue figures are less reliable.",
    )
    holdout_days = fields.Integer(string="Check Period (days)", readonly=True)
    holdout_customer_count = fields.Integer(string="Customers Checked", readonly=True)
    holdout_actual = fields.Float(
        string="Actual Purchases", digits=(16, 1), readonly=True, help="Purchases made in the check period."
    )
    holdout_predicted = fields.Float(
        string="Predicted Purchases",
        digits=(16, 1),
        readonly=True,
        help="Purchases the model fitted on the history before the check period predicted for it.",
    )
    holdout_naive = fields.Float(
        string="Naive Forecast",
        digits=(16, 1),
        readonly=True,
        help="Purchases predicted by each customer buying at its past rate.",
    )
    holdout_error = fields.Float(
        string="Model Error per Customer",
        digits=(16, 3),
        readonly=True,
        help="Mean absolute difference between predicted and actual purchases, per customer.",
    )
    holdout_naive_error = fields.Float(
        string="Naive Error per Customer",
        digits=(16, 3),
        readonly=True,
        help="The same for the naive forecast.",
    )
    line_ids = fields.One2many(
        "crm.relationship.value.model.line", "model_id", string="Check by Customer Group"
    )
    partner_count = fields.Integer(string="Customers Scored", compute="_compute_partner_count")

    def _compute_display_name(self):
        for model in self:
            model.display_name = self.env._(
                "%(company)s, %(date)s", company=model.company_id.name, date=model.date
            )

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                Domain("crm_value_model_id", "in", self.ids), ["crm_value_model_id"], ["__count"]
            )
        )
        for model in self:
            model.partner_count = counts.get(model, 0)

    @api.readonly
    def action_view_partners(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_relationship.res_partner_action_customer")
        action["domain"] = [("crm_value_model_id", "=", self.id)]
        action["context"] = {"create": False}
        action["display_name"] = self.display_name
        return action

    @api.readonly
    def action_view_check(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_value_model_line_action"
        )
        action["domain"] = [("model_id", "=", self.id)]
        action["display_name"] = self.env._("Predicted vs Actual Purchases: %s", self.display_name)
        return action

    @api.model
    def action_predict(self):
        """Fit the models and store the predictions now (managers).

        While the scheduled action runs, the user is told so and the action
        runs again after it; when there are more customers than one batch,
        the scheduled action is started and stores them in batches.
        """
        self.check_access("create")
        cron = self.env.ref("crm_relationship.ir_cron_crm_relationship_value", raise_if_not_found=False)
        if cron and not cron.sudo().try_lock_for_update(allow_referencing=True):
            cron.sudo()._trigger()
            return notification_action(
                self.env._("The scheduled action is computing the predictions right now.")
            )
        models, rows = self.sudo()._fit_all()
        if cron and len(rows) > self._get_batch_size():
            cron.sudo()._trigger()
            return notification_action(
                self.env._(
                    "%s customers to score: the predictions are being stored in the background.", len(rows)
                )
            )
        models._store_predictions(rows)
        models._finish(rows)
        return notification_action(
            self.env._("Predictions stored for %s customers.", len(rows)), "success", SOFT_RELOAD
        )

    @api.model
    def _cron_predict(self):
        """Fit the models of every company and store the predictions in batches.

        The models are fitted once per day: a run stopped by its time budget
        is resumed by the next one, which finds the day's models, scores the
        customers again (fast and deterministic) and stores only those not
        stored yet.
        """
        models, rows = self.sudo()._fit_all()
        pending = models._pending_rows(rows)
        batch_size = self._get_batch_size()
        remaining = len(pending)
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            if not run_batch(self.env, remaining, models._store_predictions, batch):
                return
            remaining -= len(batch)
            if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                return
        models._finish(rows)

    @api.model
    def _get_batch_size(self):
        return get_batch_size(self.env, BATCH_SIZE_PARAM, BATCH_SIZE_DEFAULT)

    @api.model
    def _get_minimums(self):
        """``(customers, repeat customers)`` a company needs for its models; system parameters
        ``crm_relationship.value_min_customers`` (30) and ``..._min_repeat_customers`` (10)."""
        return (
            get_int_param(self.env, MIN_CUSTOMERS_PARAM, MIN_CUSTOMERS_DEFAULT, minimum=3),
            get_int_param(self.env, MIN_REPEAT_PARAM, MIN_REPEAT_DEFAULT, minimum=3),
        )

    @api.model
    def _get_holdout_days(self):
        return get_int_param(self.env, HOLDOUT_DAYS_PARAM, HOLDOUT_DAYS_DEFAULT, minimum=7)

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    @api.model
    def _get_invoice_condition(self):
        """SQL condition on ``account_move m`` selecting the purchases the models learn from: the
        customer's invoices (``account.move._crm_customer_document_sql``); override to narrow."""
        return SQL(
            "%s AND m.move_type = 'out_invoice'", self.env["account.move"]._crm_customer_document_sql("m")
        )

    @api.model
    def _get_history_query(self, today, cutoff):
        """SQL of one row per customer with purchases up to ``today``: ``(partner id, company id,
        days since the first purchase, days since the last one, purchase days, amount of the first
        day, amount of all days, days since the last purchase before ``cutoff``, purchase days
        before ``cutoff``, purchase days from ``cutoff``)``.

        One grouped statement over the invoices, whatever the number of
        customers. A customer is one commercial partner, in its own company
        when it has one, otherwise the company it bought the most from (as
        the RFM scores), so amounts in different currencies are never added.
        """
        return SQL(
            """
            WITH days AS (
                SELECT m.commercial_partner_id AS partner_id, m.company_id, m.invoice_date AS day,
                       SUM(m.amount_untaxed_signed) AS amount
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.commercial_partner_id
                 WHERE %(condition)s
                   AND m.invoice_date <= %(today)s
                   AND (p.company_id IS NULL OR p.company_id = m.company_id)
              GROUP BY m.commercial_partner_id, m.company_id, m.invoice_date
            ), customers AS (
                SELECT partner_id, company_id,
                       MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS purchases,
                       (ARRAY_AGG(amount ORDER BY day))[1] AS first_amount, SUM(amount) AS amount,
                       MAX(day) FILTER (WHERE day < %(cutoff)s) AS last_day_before,
                       COUNT(*) FILTER (WHERE day < %(cutoff)s) AS purchases_before,
                       COUNT(*) FILTER (WHERE day >= %(cutoff)s) AS purchases_after
                  FROM days
              GROUP BY partner_id, company_id
            )
            SELECT DISTINCT ON (partner_id)
                   partner_id, company_id, %(today)s - first_day, %(today)s - last_day, purchases,
                   first_amount, amount, %(today)s - last_day_before, purchases_before, purchases_after
              FROM customers
          ORDER BY partner_id, amount DESC, company_id
            """,
            condition=self._get_invoice_condition(),
            today=today,
            cutoff=cutoff,
        )

    @api.model
    def _fit_all(self):
        """Fit (or find, when a run of today stopped early) the models of every company.

        Return the models and the rows to store on the customers:
        ``(partner id, model id, probability alive, purchases in 90 days,
        purchases in 12 months, revenue in 12 months, currency id, high
        value)``, sorted by partner id.
        """
        today = fields.Date.context_today(self)
        holdout_days = self._get_holdout_days()
        self.env.flush_all()
        history = self.env.execute_query(self._get_history_query(today, today - timedelta(days=holdout_days)))
        by_company = {}
        for row in history:
            by_company.setdefault(row[1], []).append(row)
        today_models = self.search(Domain("date", "=", today))
        # a company without enough history may have more today: try again
        today_models.filtered(lambda model: model.state == "insufficient").unlink()
        existing = {model.company_id.id: model for model in today_models.exists()}
        models = self.browse()
        rows = []
        for company in self.env["res.company"].browse(sorted(by_company)):
            data = self._history_arrays(by_company[company.id])
            model = existing.get(company.id) or self._fit_company(company, data, today, holdout_days)
            if model.state == "insufficient":
                continue
            models |= model
            rows += model._score(data)
        rows.sort()
        return models, rows

    @api.model
    def _history_arrays(self, rows):
        """The rows of :meth:`_get_history_query` of one company as numpy arrays (time in weeks)."""
        columns = list(zip(*rows, strict=True))
        first = np.array(columns[2], dtype=float)
        last = np.array(columns[3], dtype=float)
        last_before = np.array(columns[7], dtype=float)  # NULL (no purchase before the cutoff) is NaN
        purchases = np.array(columns[4], dtype=float)
        repeat_amount = np.array(columns[6], dtype=float) - np.array(columns[5], dtype=float)
        return {
            "partner_ids": np.array(columns[0], dtype=np.int64),
            "x": purchases - 1,
            "t_x": (first - last) / DAYS_PER_WEEK,
            # the day of the first purchase counts as one day of history
            "T": np.maximum(first, 1.0) / DAYS_PER_WEEK,
            "mean_value": np.divide(
                repeat_amount, purchases - 1, out=np.zeros_like(repeat_amount), where=purchases > 1
            ),
            "first_days_ago": first,
            "last_before_days_ago": last_before,
            "purchases_before": np.array(columns[8], dtype=float),
            "purchases_after": np.array(columns[9], dtype=float),
        }

    @api.model
    def _fit_company(self, company, data, today, holdout_days):
        """Fit and create the model of ``company`` from its customers' ``data``."""
        values = {
            "company_id": company.id,
            "date": today,
            "customer_count": len(data["x"]),
            "repeat_customer_count": int((data["x"] > 0).sum()),
            "holdout_days": holdout_days,
        }
        spenders = (data["x"] > 0) & (data["mean_value"] > 0)
        min_customers, min_repeat = self._get_minimums()
        if values["customer_count"] < min_customers or spenders.sum() < min_repeat:
            values.update(
                state="insufficient",
                note=self.env._(
                    "At least %(customers)s customers, %(repeat)s of them buying more than once, are needed.",
                    customers=min_customers,
                    repeat=min_repeat,
                ),
            )
            return self.create(values)
        try:
            purchases = customer_value.fit_bgnbd(*_grouped(data["x"], data["t_x"], data["T"])[0])
            spend = customer_value.fit_gamma_gamma(data["x"][spenders], data["mean_value"][spenders])
        except ValueError as error:
            _logger.warning("Customer value models of company %s not fitted: %s", company.id, error)
            values.update(state="insufficient", note=str(error))
            return self.create(values)
        values.update(self._prepare_fit_values(purchases, spend, data, spenders))
        values.update(self._prepare_holdout_values(data, holdout_days))
        return self.create(values)

    @api.model
    def _prepare_fit_values(self, purchases, spend, data, spenders):
        """Values of a model record for the fitted ``purchases`` (BG/NBD) and ``spend`` (Gamma-Gamma)."""
        bg, gg = purchases.params, spend.params
        correlation = 0.0
        if spenders.sum() > 2 and np.ptp(data["x"][spenders]) and np.ptp(data["mean_value"][spenders]):
            correlation = float(np.corrcoef(data["x"][spenders], data["mean_value"][spenders])[0, 1])
        return {
            "bgnbd_r": bg.r,
            "bgnbd_alpha": bg.alpha,
            "bgnbd_a": bg.a,
            "bgnbd_b": bg.b,
            "bgnbd_log_likelihood": purchases.log_likelihood,
            "gg_p": gg.p,
            "gg_q": gg.q,
            "gg_gamma": gg.gamma,
            "gg_log_likelihood": spend.log_likelihood,
            "mean_spend": gg.population_mean if gg.has_finite_mean else 0.0,
            "spend_frequency_correlation": correlation,
        }

    @api.model
    def _prepare_holdout_values(self, data, holdout_days):
        """The check of the model on the company's own history: fitted on the customers' purchases
        before the last ``holdout_days`` days, its prediction of those days against the actual
        purchases and a naive forecast; empty when there is too little history before."""
        before = data["first_days_ago"] > holdout_days
        if before.sum() < self._get_minimums()[0]:
            return {}
        weeks = holdout_days / DAYS_PER_WEEK
        first = data["first_days_ago"][before]
        x_cal = data["purchases_before"][before] - 1
        t_x_cal = (first - data["last_before_days_ago"][before]) / DAYS_PER_WEEK
        T_cal = (first - holdout_days) / DAYS_PER_WEEK
        try:
            calibration = customer_value.fit_bgnbd(*_grouped(x_cal, t_x_cal, T_cal)[0])
        except ValueError:
            return {}
        report = customer_value.holdout_report(
            calibration.params, x_cal, t_x_cal, T_cal, weeks, data["purchases_after"][before]
        )
        lines = []
        for sequence, group in enumerate(report["groups"]):
            if not group["customers"]:
                continue
            for series, key in (("actual", "actual"), ("model", "predicted"), ("naive", "baseline")):
                lines.append(
                    {
                        "sequence": sequence,
                        "purchases_group": group["label"],
                        "customer_count": group["customers"],
                        "series": series,
                        "purchases": group[key],
                    }
                )
        return {
            "holdout_customer_count": report["customers"],
            "holdout_actual": report["actual_total"],
            "holdout_predicted": report["predicted_total"],
            "holdout_naive": report["baseline_total"],
            "holdout_error": report["mae_model"],
            "holdout_naive_error": report["mae_baseline"],
            "line_ids": [fields.Command.create(line) for line in lines],
        }

    # ------------------------------------------------------------------
    # Scoring
    # ------------------------------------------------------------------

    def _score(self, data):
        """Rows of predictions (see :meth:`_fit_all`) for the customers of ``data``."""
        self.ensure_one()
        bg = customer_value.BgNbdParams(self.bgnbd_r, self.bgnbd_alpha, self.bgnbd_a, self.bgnbd_b)
        gg = customer_value.GammaGammaParams(self.gg_p, self.gg_q, self.gg_gamma)
        x, t_x, T = data["x"], data["t_x"], data["T"]
        # customers with the same history get the same forecasts: computed once per history
        (x_u, t_x_u, T_u, _count), inverse = _grouped(x, t_x, T)
        alive = customer_value.probability_alive(bg, x_u, t_x_u, T_u)[inverse]
        next_90 = customer_value.expected_purchases(bg, 90 / DAYS_PER_WEEK, x_u, t_x_u, T_u)[inverse]
        next_year = customer_value.expected_purchases(bg, 365 / DAYS_PER_WEEK, x_u, t_x_u, T_u)[inverse]
        if gg.has_finite_mean:
            # a customer whose repeat purchases were all credited back spends as an unknown one
            mean_value = np.where(data["mean_value"] > 0, data["mean_value"], 0.0)
            spend = customer_value.expected_spend(gg, np.where(mean_value > 0, x, 0), mean_value)
        else:
            spend = np.zeros_like(x)
        revenue = np.round(next_year * spend, 2)
        high = revenue >= max(np.quantile(revenue, 1 - HIGH_VALUE_SHARE), 0.01)
        currency = self.currency_id.id
        return [
            (
                int(partner_id),
                self.id,
                round(float(a), 4),
                round(float(n90), 3),
                round(float(n12), 3),
                float(value),
                currency,
                bool(top),
            )
            for partner_id, a, n90, n12, value, top in zip(
                data["partner_ids"], alive, next_90, next_year, revenue, high, strict=True
            )
        ]

    def _pending_rows(self, rows):
        """The ``rows`` not stored yet by a run with the models ``self``."""
        stored = {
            partner_id
            for (partner_id,) in self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE crm_value_model_id = ANY(%s)", self.ids)
            )
        }
        return [row for row in rows if row[0] not in stored]

    def _store_predictions(self, rows):
        """Store ``rows`` of predictions on the customers in one statement; return how many."""
        if not rows:
            return 0
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET crm_value_model_id = c.model_id,
                       crm_probability_alive = c.alive,
                       crm_predicted_purchases_90d = c.next_90,
                       crm_predicted_purchases_12m = c.next_year,
                       crm_predicted_revenue_12m = c.revenue,
                       crm_predicted_currency_id = c.currency_id,
                       crm_high_predicted_value = c.high
                  FROM unnest(%s::int[], %s::int[], %s::float8[], %s::float8[], %s::float8[],
                              %s::numeric[], %s::int[], %s::bool[])
                       AS c(partner_id, model_id, alive, next_90, next_year, revenue, currency_id, high)
                 WHERE p.id = c.partner_id
                """,
                *(list(column) for column in zip(*rows, strict=True)),
            )
        )
        self.env["res.partner"].invalidate_model(list(PREDICTION_FIELDS))
        return self.env.cr.rowcount

    def _finish(self, rows):
        """Clear the predictions of the customers not in ``rows`` (no invoice left, or their
        company has no model today) and mark the models ``self`` done."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner
                   SET crm_value_model_id = NULL, crm_probability_alive = NULL,
                       crm_predicted_purchases_90d = NULL, crm_predicted_purchases_12m = NULL,
                       crm_predicted_revenue_12m = NULL, crm_predicted_currency_id = NULL,
                       crm_high_predicted_value = NULL
                 WHERE crm_value_model_id IS NOT NULL AND id NOT IN (SELECT unnest(%s::int[]))
                """,
                [row[0] for row in rows],
            )
        )
        self.env["res.partner"].invalidate_model(list(PREDICTION_FIELDS))
        self.filtered(lambda model: model.state == "scoring").state = "done"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if self.env["res.partner"].sudo().search_count([("crm_value_model_id", "in", self.ids)], limit=1):
            raise UserError(
                self.env._("These models still give the customers their predictions: compute new ones first.")
            )
