import logging
import math
import time

import numpy as np
from scipy import integrate, special

from odoo.tests import BaseCase, tagged

from odoo.addons.crm_relationship.tools import customer_value as cv

_logger = logging.getLogger(__name__)
CDNOW_PARAMS = cv.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _group(*columns):
    """Identical rows of the columns once each, with how many times they occur."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return (*rows.T, counts)


@tagged("post_install", "-at_install")
class TestCrmRelationshipCustomerValueModel(BaseCase):
    """BG/NBD and Gamma-Gamma against simulated customers, independent integrals and their own properties."""

    def _assert_within(self, estimate, truth, tolerance, label):
        self.assertLess(
            abs(estimate / truth - 1.0), tolerance, f"{label}: {estimate:.4f} estimated, {truth} true"
        )

    def test_bgnbd_recovers_simulated_parameters(self):
        rng = np.random.default_rng(20250517)
        # Weekly data: customers acquired over half a year, observed up to week 52; then over a year, up
        # to week 104.
        for truth, first_week in (
            (cv.BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5), 26.0),
            (cv.BgNbdParams(r=0.8, alpha=10.0, a=0.5, b=4.0), 52.0),
        ):
            x, t_x, T = cv.simulate_bgnbd(truth, 20_000, rng.uniform(first_week, 2 * first_week, 20_000), rng)
            fit = cv.fit_bgnbd(x, t_x, T)
            self.assertTrue(fit.converged, fit.message)
            self.assertEqual(fit.n_customers, 20_000)
            for name in ("r", "alpha", "a", "b"):
                self._assert_within(getattr(fit.params, name), getattr(truth, name), 0.10, name)
            # The fitted model is at least as likely as the true one, and the sum of per-customer terms.
            self.assertGreaterEqual(fit.log_likelihood, cv.bgnbd_log_likelihood(truth, x, t_x, T).sum())
            self.assertAlmostEqual(
                fit.log_likelihood, cv.bgnbd_log_likelihood(fit.params, x, t_x, T).sum(), 6
            )

    def test_bgnbd_weights_group_identical_customers(self):
        rng = np.random.default_rng(7)
        x, t_x, T = cv.simulate_bgnbd(CDNOW_PARAMS, 5_000, 39.0, rng)
        t_x = np.round(t_x)
        x_g, t_x_g, T_g, counts = _group(x, t_x, T)
        self.assertLess(len(counts), 1_000)
        single = cv.fit_bgnbd(x, t_x, T)
        grouped = cv.fit_bgnbd(x_g, t_x_g, T_g, weights=counts)
        self.assertEqual(grouped.n_customers, 5_000)
        self.assertAlmostEqual(grouped.log_likelihood, single.log_likelihood, 5)
        for name in ("r", "alpha", "a", "b"):
            self.assertAlmostEqual(getattr(grouped.params, name), getattr(single.params, name), 4)

    def test_gamma_gamma_recovers_simulated_parameters(self):
        rng = np.random.default_rng(42)
        truth = cv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
        x = rng.integers(1, 15, 20_000).astype(float)
        mean_value = cv.simulate_gamma_gamma(truth, x, rng)
        fit = cv.fit_gamma_gamma(x, mean_value)
        self.assertTrue(fit.converged, fit.message)
        self.assertEqual(fit.n_customers, 20_000)
        for name in ("p", "q", "gamma"):
            self._assert_within(getattr(fit.params, name), getattr(truth, name), 0.10, name)
        self.assertTrue(fit.params.has_finite_mean)
        self.assertAlmostEqual(truth.population_mean, 6.0 * 15.0 / 3.0)

    def test_expected_spend_is_the_weighted_mean_of_population_and_customer(self):
        params = cv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
        # (p (gamma + x m)) / (p x + q - 1): 6 (15 + 2 * 50) / (12 + 3) = 46.
        spend = cv.expected_spend(params, np.array([0, 2, 200]), np.array([0.0, 50.0, 50.0]))
        self.assertAlmostEqual(spend[0], 30.0)
        self.assertAlmostEqual(spend[1], 46.0)
        # Many transactions: the customer's own mean dominates.
        self.assertAlmostEqual(spend[2], 50.0, delta=0.2)
        self.assertAlmostEqual(cv.expected_spend(params, 2, 50.0), 46.0)
        heavy_tail = cv.GammaGammaParams(p=2.0, q=0.9, gamma=10.0)
        self.assertFalse(heavy_tail.has_finite_mean)
        self.assertEqual(heavy_tail.population_mean, math.inf)
        with self.assertRaisesRegex(ValueError, "no finite mean"):
            cv.expected_spend(heavy_tail, 3, 20.0)

    def test_probability_alive_behaviour(self):
        t_x = np.linspace(0.0, 38.0, 20)
        for x in (1, 2, 5, 20):
            alive = cv.probability_alive(CDNOW_PARAMS, x, t_x, 39.0)
            self.assertTrue(np.all((alive >= 0) & (alive <= 1)))
            # A customer whose last purchase is older is less likely to be still active.
            self.assertTrue(np.all(np.diff(alive) > 0), f"P(alive) not increasing with t_x for x={x}")
        self.assertTrue(
            np.all(cv.probability_alive(CDNOW_PARAMS, 0, 0.0, np.array([1.0, 39.0, 520.0])) == 1.0)
        )
        # With the same recency, more purchases in the same time make a long silence more telling.
        self.assertGreater(
            cv.probability_alive(CDNOW_PARAMS, 2, 10.0, 39.0),
            cv.probability_alive(CDNOW_PARAMS, 10, 10.0, 39.0),
        )
        # Extreme histories stay defined.
        extreme = cv.probability_alive(
            CDNOW_PARAMS, [500, 500, 500], [0.0, 260.0, 520.0], [520.0, 520.0, 520.0]
        )
        self.assertTrue(np.all(np.isfinite(extreme)))
        self.assertLess(extreme[0], 1e-12)
        self.assertGreater(extreme[2], 0.99)

    def test_expected_purchases_behaviour(self):
        t = np.array([0.0, 1.0, 4.0, 13.0, 39.0, 52.0, 104.0, 520.0])
        histories = [
            (0, 0.0, 39.0),
            (1, 5.0, 39.0),
            (2, 30.43, 38.86),
            (7, 35.0, 39.0),
            (500, 0.0, 520.0),
            (500, 519.0, 520.0),
            (500, 520.0, 520.0),
            (3, 0.001, 0.002),
        ]
        for params in (
            CDNOW_PARAMS,
            cv.BgNbdParams(0.25, 4.0, 1.0, 2.5),
            cv.BgNbdParams(2.0, 0.5, 0.02, 60.0),
            cv.BgNbdParams(0.5, 10.0, 30.0, 0.3),
        ):
            for x, t_x, T in histories:
                expected = cv.expected_purchases(params, t, x, t_x, T)
                self.assertTrue(np.all(np.isfinite(expected)), f"{params} {x, t_x, T}: {expected}")
                self.assertEqual(expected[0], 0.0)
                self.assertTrue(np.all(np.diff(expected) >= 0), f"{params} {x, t_x, T}: {expected}")
                if cv.probability_alive(params, x, t_x, T) > 1e-9:
                    self.assertTrue(np.all(np.diff(expected) > 0), f"{params} {x, t_x, T}: {expected}")
            new = cv.expected_purchases_new(params, t)
            self.assertTrue(np.all(np.isfinite(new)) and np.all(np.diff(new) > 0), f"{params}: {new}")
        # The very active customer who just bought keeps buying at about his rate, (r + x) / (alpha + T).
        active = cv.expected_purchases(CDNOW_PARAMS, 52.0, 500, 520.0, 520.0)
        self.assertAlmostEqual(active / 52.0, 500.243 / 524.414, delta=0.05)
        # Equation (10) near a = 1 joins both sides continuously.
        near = [
            cv.expected_purchases(cv.BgNbdParams(0.25, 4.0, a, 2.5), 39.0, 2, 30.0, 39.0)
            for a in (0.9998, 0.99995, 1.0, 1.00005, 1.0002)
        ]
        self.assertTrue(np.all(np.diff(near) < 0), near)
        self.assertLess(max(near) - min(near), 1e-3)

    def test_closed_forms_match_numerical_integration(self):
        """Equations (6), (9), (10) against integrals of the model's definition over lambda and p."""
        r, alpha, a, b = CDNOW_PARAMS.r, CDNOW_PARAMS.alpha, CDNOW_PARAMS.a, CDNOW_PARAMS.b
        x, t_x, T, t = 2, 30.43, 38.86, 39.0

        def mixing(lam, p):
            log_gamma = r * math.log(alpha) + (r - 1) * math.log(lam) - alpha * lam - special.gammaln(r)
            log_beta = (a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - special.betaln(a, b)
            return math.exp(log_gamma + log_beta)

        def alive_and_history(lam, p):
            return (1 - p) ** x * lam**x * math.exp(-lam * T)

        def history(lam, p):
            return alive_and_history(lam, p) + p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x)

        def integral(function):
            value, _error = integrate.dblquad(
                lambda lam, p: function(lam, p) * mixing(lam, p),
                0.0,
                1.0,
                0.0,
                3.0,
                epsabs=1e-14,
                epsrel=1e-10,
            )
            return value

        likelihood = integral(history)
        self.assertAlmostEqual(cv.bgnbd_log_likelihood(CDNOW_PARAMS, x, t_x, T), math.log(likelihood), 6)
        alive = integral(alive_and_history) / likelihood
        self.assertAlmostEqual(cv.probability_alive(CDNOW_PARAMS, x, t_x, T), alive, 7)
        expected = (
            integral(lambda lam, p: alive_and_history(lam, p) * -math.expm1(-lam * p * t) / p) / likelihood
        )
        self.assertAlmostEqual(cv.expected_purchases(CDNOW_PARAMS, t, x, t_x, T), expected, 6)
        # The paper's worked example (section 4): this CDNOW customer is expected to make 1.226 purchases.
        self.assertAlmostEqual(expected, 1.226, 3)

        new, _error = integrate.dblquad(
            lambda lam, p: -math.expm1(-lam * p * t) / p * mixing(lam, p), 0.0, 1.0, 0.0, 8.0, epsrel=1e-10
        )
        self.assertAlmostEqual(cv.expected_purchases_new(CDNOW_PARAMS, t), new, 5)

    def test_concentrated_dropout(self):
        """Small data sets can fit a dropout distribution concentrated on one value (a and b in the
        millions): the forecasts stay finite and match the integral over the beta density."""
        degenerate = cv.BgNbdParams(r=1.2952, alpha=11.9192, a=3351174.8444, b=13794920.706)
        x, t_x, T = np.array([0.0, 1, 5, 8]), np.array([0.0, 10, 50, 100]), np.array([5.0, 60, 100, 150])
        expected = cv.expected_purchases(degenerate, 52.0, x, t_x, T)
        self.assertTrue(np.all(np.isfinite(expected)) and np.all(expected > 0), expected)
        # an active customer's purchases with p at its mean: (1 - (beta / (beta + p t))^r1) / p
        p0 = degenerate.a / (degenerate.a + degenerate.b)
        r1, beta = degenerate.r + x[0], degenerate.alpha + T[0]
        self.assertAlmostEqual(expected[0], -math.expm1(-r1 * math.log1p(p0 * 52.0 / beta)) / p0, 6)
        for a, b in ((600.0, 2400.0), (5000.0, 20000.0), (1000.0, 3.0), (2.0, 1000.0)):
            params = cv.BgNbdParams(r=1.3, alpha=15.0, a=a, b=b)
            dropout = special.betaln(a, b)

            def density(p, a=a, b=b, dropout=dropout):
                return math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - dropout)

            mean, spread = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            integral, _error = integrate.quad(
                lambda p, r1=1.3, beta=15.0: -math.expm1(-r1 * math.log1p(p * 52.0 / beta)) / p * density(p),
                max(mean - 12 * spread, 1e-12),
                min(mean + 12 * spread, 1 - 1e-12),
                epsrel=1e-12,
                limit=500,
            )
            self.assertAlmostEqual(cv.expected_purchases_new(params, 52.0) / integral, 1.0, 5, (a, b))

    def test_simulated_holdout_beats_the_naive_forecast(self):
        rng = np.random.default_rng(2005)
        truth = cv.BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
        T_cal = rng.uniform(27.0, 39.0, 20_000)
        x, t_x, T, x_holdout = cv.simulate_bgnbd_holdout(truth, 20_000, T_cal, 39.0, rng)
        fit = cv.fit_bgnbd(x, t_x, T)
        report = cv.holdout_report(fit.params, x, t_x, T, 39.0, x_holdout)
        self.assertEqual(report["customers"], 20_000)
        self.assertEqual(
            [group["label"] for group in report["groups"]], ["0", "1", "2", "3", "4", "5", "6", "7+"]
        )
        self.assertEqual(sum(group["customers"] for group in report["groups"]), 20_000)
        self.assertEqual(report["actual_total"], x_holdout.sum())
        self._assert_within(report["predicted_total"], report["actual_total"], 0.10, "holdout purchases")
        self.assertLess(report["mae_model"], report["mae_baseline"])
        zero = report["groups"][0]
        self.assertEqual(zero["baseline"], 0.0)
        self.assertGreater(zero["predicted"], 0.0)

    def test_refusals(self):
        few = np.ones(cv.MIN_CUSTOMERS - 1)
        with self.assertRaisesRegex(ValueError, "at least 10 customers"):
            cv.fit_bgnbd(few, few, few * 2)
        with self.assertRaisesRegex(ValueError, "no customer made a repeat purchase"):
            cv.fit_bgnbd(np.zeros(20), np.zeros(20), np.full(20, 10.0))
        with self.assertRaisesRegex(ValueError, "cannot be later than T"):
            cv.fit_bgnbd(np.ones(20), np.full(20, 11.0), np.full(20, 10.0))
        with self.assertRaisesRegex(ValueError, "whole numbers"):
            cv.fit_bgnbd(np.full(20, 1.5), np.ones(20), np.full(20, 10.0))
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            cv.fit_bgnbd(np.ones(20), np.ones(20), np.full(20, 10.0), weights=np.full(20, -1.0))
        with self.assertRaisesRegex(ValueError, "missing or infinite"):
            cv.fit_bgnbd(np.ones(20), np.full(20, np.nan), np.full(20, 10.0))
        with self.assertRaisesRegex(ValueError, "at least 10 customers with repeat purchases"):
            cv.fit_gamma_gamma(few, few * 20)
        with self.assertRaisesRegex(ValueError, "must be positive"):
            cv.fit_gamma_gamma(np.ones(20), np.r_[np.full(19, 20.0), 0.0])
        with self.assertRaisesRegex(ValueError, r"x >= 1"):
            cv.fit_gamma_gamma(np.r_[np.ones(19), 0.0], np.full(20, 20.0))
        with self.assertRaisesRegex(ValueError, "must all be positive"):
            cv.expected_purchases(cv.BgNbdParams(0.2, 4.0, -1.0, 2.0), 10.0, 1, 1.0, 2.0)
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            cv.expected_purchases(CDNOW_PARAMS, -1.0, 1, 1.0, 2.0)

    def test_fit_time_on_100000_customers(self):
        rng = np.random.default_rng(11)
        x, t_x, T = cv.simulate_bgnbd(CDNOW_PARAMS, 100_000, rng.integers(27, 40, 100_000).astype(float), rng)
        t_x = np.round(t_x, 1)
        start = time.perf_counter()
        fit = cv.fit_bgnbd(x, t_x, T)
        seconds = time.perf_counter() - start
        x_g, t_x_g, T_g, counts = _group(x, t_x, T)
        start = time.perf_counter()
        grouped = cv.fit_bgnbd(x_g, t_x_g, T_g, weights=counts)
        grouped_seconds = time.perf_counter() - start
        _logger.info(
            f"BG/NBD fit of 100,000 customers: {seconds:.3f} s; grouped in {len(counts)} rows: "
            f"{grouped_seconds:.3f} s"
        )
        self.assertTrue(fit.converged and grouped.converged)
        self.assertAlmostEqual(grouped.params.r, fit.params.r, 4)
        self.assertLess(seconds, 8.0)
        self.assertLess(grouped_seconds, 8.0)
