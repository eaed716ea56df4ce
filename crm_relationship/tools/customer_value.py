"""Customer-value models: BG/NBD purchase counts and Gamma-Gamma spend per transaction.

References
----------
* [BGNBD] P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "Counting Your Customers the Easy Way:
  An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.
* [ISO] P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
  Base Analysis", Journal of Marketing Research 42(4), 415-430.
* [GG] B. G. S. Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note, brucehardie.com).

A customer is summarised by ``x`` (repeat purchases: purchases after the first one), ``t_x`` (time of the last
purchase, counted from the first purchase; 0 when ``x`` = 0) and ``T`` (time from the first purchase to the
end of the observation period).  Times may be in any unit (days, weeks, ...) as long as the same unit is used
everywhere: the rate parameter ``alpha`` and every forecast horizon ``t`` are then in that unit.

The module only needs numpy and scipy; every function takes numpy arrays (or scalars, broadcast together) and
returns plain floats or float arrays.  Invalid input raises ``ValueError`` with a sentence saying what is
wrong.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special

__all__ = [
    "MIN_CUSTOMERS",
    "BgNbdFit",
    "BgNbdParams",
    "GammaGammaFit",
    "GammaGammaParams",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_purchases_new",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "holdout_report",
    "probability_alive",
    "simulate_bgnbd",
    "simulate_bgnbd_holdout",
    "simulate_gamma_gamma",
]

#: Fewer customers than this (counting weights) cannot give a meaningful fit: the fit functions refuse them.
MIN_CUSTOMERS = 10

# Parameters are optimised as logarithms inside these bounds (about 1e-11 .. 7e10).
_LOG_BOUNDS = (-25.0, 25.0)
# From this value of a or b the dropout distribution is concentrated enough for a second-order expansion.
_CONCENTRATED = 300.0
# Below this distance from a = 1 the closed forms of eq. (9)/(10) are 0/0; they are interpolated in a instead.
_A_NEAR_ONE = 1e-4


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    """BG/NBD parameters: purchase rate lambda ~ Gamma(shape r, rate alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: a transaction's value ~ Gamma(shape p, rate nu), nu ~ Gamma(q, rate gamma)."""

    p: float
    q: float
    gamma: float

    @property
    def population_mean(self):
        """Mean spend per transaction of the population, p * gamma / (q - 1); ``math.inf`` when q <= 1."""
        if self.q <= 1.0:
            return math.inf
        return self.p * self.gamma / (self.q - 1.0)

    @property
    def has_finite_mean(self):
        """False when q <= 1: the fitted distribution of spend has no finite mean ([GG], eq. 4)."""
        return self.q > 1.0


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    """Result of :func:`fit_bgnbd`: the estimates, the maximised log-likelihood (sum over customers), whether
    the optimiser reported convergence (with its message) and the number of customers (sum of the weights)."""

    params: BgNbdParams
    log_likelihood: float
    converged: bool
    n_customers: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    """Result of :func:`fit_gamma_gamma`, like :class:`BgNbdFit`.  Check ``params.has_finite_mean``: with
    q <= 1 the model gives no finite expected spend and :func:`expected_spend` refuses to compute one."""

    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    n_customers: int
    message: str = ""


# ----------------------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------------------


def _as_float_array(name, value):
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains missing or infinite values.")
    return array


def _summary_arrays(x, t_x, T):
    """x, t_x, T as broadcast float arrays, checked for the meaning the model gives them."""
    x = _as_float_array("x", x)
    t_x = _as_float_array("t_x", t_x)
    T = _as_float_array("T", T)
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x (repeat purchases) must be whole numbers of 0 or more.")
    if np.any(t_x < 0):
        raise ValueError("t_x (time of the last purchase) cannot be negative.")
    if np.any(T <= 0):
        raise ValueError("T (time since the first purchase) must be positive.")
    if np.any(t_x > T * (1 + 1e-12)):
        raise ValueError("t_x (time of the last purchase) cannot be later than T (end of the observation).")
    return x, t_x, T


def _weights_array(weights, shape):
    if weights is None:
        return np.ones(shape)
    weights = _as_float_array("weights", weights)
    try:
        weights = np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError("weights must have one value per customer row.") from None
    if np.any(weights < 0):
        raise ValueError("weights (number of customers per row) cannot be negative.")
    return weights


def _check_bgnbd_params(params):
    values = (params.r, params.alpha, params.a, params.b)
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError("BG/NBD parameters r, alpha, a, b must all be positive numbers.")


def _check_gamma_gamma_params(params):
    values = (params.p, params.q, params.gamma)
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError("Gamma-Gamma parameters p, q, gamma must all be positive numbers.")


# ----------------------------------------------------------------------------------------------------------
# BG/NBD
# ----------------------------------------------------------------------------------------------------------


def _bgnbd_terms(r, alpha, a, b, x, t_x, T):
    """Per-customer log-likelihood of [BGNBD] eq. (6) and the shares of its two terms.

    L = A1 * A2 * (A3 + delta(x > 0) * A4) with
    A1 = Gamma(r + x) alpha^r / Gamma(r),  A2 = Gamma(a + b) Gamma(b + x) / (Gamma(b) Gamma(a + b + x)),
    A3 = (alpha + T)^-(r + x),  A4 = a / (b + x - 1) * (alpha + t_x)^-(r + x).
    The last factor is summed in logs (A3 and A4 underflow for large x).  Returns (ll, w3, w4) where
    w3 = A3 / (A3 + A4) and w4 = A4 / (A3 + A4) are used by the gradient.
    """
    ln_a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    ln_a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # For x = 0 the A4 term is absent: its log is -inf (b + x - 1 is replaced to keep the log defined).
    ln_a4 = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1.0, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    ln_a34 = np.logaddexp(ln_a3, ln_a4)
    w3 = np.exp(ln_a3 - ln_a34)
    w4 = np.exp(ln_a4 - ln_a34)
    return ln_a1 + ln_a2 + ln_a34, w3, w4


def bgnbd_log_likelihood(params, x, t_x, T):
    """Log-likelihood of each customer (array) under the BG/NBD model, [BGNBD] eq. (6)."""
    _check_bgnbd_params(params)
    x, t_x, T = _summary_arrays(x, t_x, T)
    ll, _w3, _w4 = _bgnbd_terms(params.r, params.alpha, params.a, params.b, x, t_x, T)
    return ll


def _bgnbd_objective(log_params, x, t_x, T, weights, total):
    """Minus the mean log-likelihood per customer and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    ll, w3, w4 = _bgnbd_terms(r, alpha, a, b, x, t_x, T)
    repeat = x > 0
    ln_alpha_t = np.log(alpha + T)
    ln_alpha_tx = np.log(alpha + t_x)
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - w3 * ln_alpha_t - w4 * ln_alpha_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + x)
    d_a = psi_ab - psi_abx + w4 / a
    d_b = (
        psi_ab
        + special.digamma(b + x)
        - special.digamma(b)
        - psi_abx
        - w4 / np.where(repeat, b + x - 1.0, 1.0)
    )
    value = -np.dot(weights, ll) / total
    gradient = -np.array(
        [
            r * np.dot(weights, d_r),
            alpha * np.dot(weights, d_alpha),
            a * np.dot(weights, d_a),
            b * np.dot(weights, d_b),
        ]
    )
    return value, gradient / total


def fit_bgnbd(x, t_x, T, weights=None):
    """Maximum-likelihood estimates of the BG/NBD parameters ([BGNBD] section 3, eq. 6).

    ``x``, ``t_x``, ``T`` are arrays with one row per customer (or per group of identical customers, with
    ``weights`` giving how many customers share the row: grouping identical rows gives the same estimates
    faster).  The sum of the customers' log-likelihoods is maximised over log(r, alpha, a, b) with L-BFGS-B
    and the analytic gradient.  Raises ``ValueError`` for invalid summaries, fewer than :data:`MIN_CUSTOMERS`
    customers, or no repeat purchase at all (the dropout parameters a, b are then not identified).
    """
    x, t_x, T = _summary_arrays(x, t_x, T)
    x, t_x, T = (np.atleast_1d(v).ravel() for v in (x, t_x, T))
    weights = _weights_array(weights, x.shape)
    keep = weights > 0
    x, t_x, T, weights = x[keep], t_x[keep], T[keep], weights[keep]
    total = float(weights.sum())
    if total < MIN_CUSTOMERS:
        raise ValueError(
            f"The BG/NBD model needs at least {MIN_CUSTOMERS} customers to be fitted ({total:g} given)."
        )
    if not np.any(x > 0):
        raise ValueError("The BG/NBD model cannot be fitted: no customer made a repeat purchase.")
    # Start from a purchase rate of the observed order of magnitude: r = 1 and r / alpha = repeat
    # purchases per unit of time over the whole base.
    rate = max(np.dot(weights, x) / np.dot(weights, T), 1e-6)
    start = np.log([1.0, 1.0 / rate, 1.0, 1.0])
    result = optimize.minimize(
        _bgnbd_objective,
        start,
        args=(x, t_x, T, weights, total),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 4,
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdFit(
        params=BgNbdParams(r=r, alpha=alpha, a=a, b=b),
        log_likelihood=float(-result.fun * total),
        converged=bool(result.success),
        n_customers=round(total),
        message=str(result.message),
    )


def probability_alive(params, x, t_x, T):
    """Probability that a customer with history (x, t_x, T) is still active at T, [BGNBD] eq. (A.14):

    P(alive) = 1 / (1 + delta(x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).

    Equal to 1 for customers without repeat purchases (the model lets customers drop out only right after a
    repeat purchase).  Computed in logs, so it stays in [0, 1] for any history.
    """
    _check_bgnbd_params(params)
    x, t_x, T = _summary_arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    log_odds_dead = (
        math.log(a)
        - np.log(np.where(repeat, b + x - 1.0, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def _alive_expectation_quad(r1, beta, a, b1, t):
    """Scalar E[purchases in t] of an active customer by quadrature over the dropout probability p.

    Integrating the Poisson rate out gives E = int_0^1 (1 - (beta / (beta + p t))^r1) / p  Beta(p; a, b1) dp.
    The beta density's end-point singularities are removed by integrating over u = p^a on (0, 1/2] and over
    v = (1 - p)^b1 on [1/2, 1).
    """
    log_norm = special.betaln(a, b1)

    def purchases(p):
        return -math.expm1(-r1 * math.log1p(p * t / beta)) / p if p > 0.0 else r1 * t / beta

    def low_side(u):  # p = u^(1/a), dp = u^(1/a - 1) / a du: the density becomes (1 - p)^(b1 - 1) / a
        p = u ** (1.0 / a)
        return purchases(p) * math.exp((b1 - 1.0) * math.log1p(-p) - log_norm) / a

    def high_side(v):  # p = 1 - v^(1/b1): the density becomes p^(a - 1) / b1
        p = -math.expm1(math.log(v) / b1) if v > 0.0 else 1.0
        return purchases(p) * math.exp((a - 1.0) * math.log(p) - log_norm) / b1

    mean = a / (a + b1)
    spread = math.sqrt(a * b1 / ((a + b1) ** 2 * (a + b1 + 1.0)))
    centre = [mean + k * spread for k in (-3, -1, 0, 1, 3)]
    low_points = sorted({p**a for p in centre if 0.0 < p < 0.5})
    high_points = sorted({(1.0 - p) ** b1 for p in centre if 0.5 < p < 1.0})
    options = {"limit": 500, "epsabs": 0.0, "epsrel": 1e-10}
    low, _error = integrate.quad(low_side, 0.0, 0.5**a, points=low_points or None, **options)
    high, _error = integrate.quad(high_side, 0.0, 0.5**b1, points=high_points or None, **options)
    return low + high


def _alive_expectation_concentrated(r1, beta, a, b1, t):
    """``_alive_expectation`` when the dropout distribution Beta(a, b1) is concentrated (a or b1 in the
    hundreds and more, which small data sets fit): second-order expansion around its mean p0,

    E = g(p0) + g''(p0) Var(p) / 2 + O(Var(p)^2),  g(p) = (1 - (beta / (beta + p t))^r1) / p,

    g'' by central differences.  Where this applies, the closed form's hypergeometric function overflows and
    the quadrature's end-point substitutions underflow (0.5^a is 0 in floating point for a > 1075).
    """
    p0 = a / (a + b1)
    variance = a * b1 / ((a + b1) ** 2 * (a + b1 + 1.0))

    def g(p):
        return -np.expm1(-r1 * np.log1p(p * t / beta)) / p

    h = np.minimum(np.sqrt(variance), np.minimum(p0, 1.0 - p0) / 2.0)
    second = (g(p0 + h) - 2.0 * g(p0) + g(p0 - h)) / h**2
    return g(p0) + second * variance / 2.0


def _hyp2f1_series(a, b, c, z, max_terms=200_000):
    """Scalar 2F1(a, b; c; z) summed term by term (|z| < 1), where scipy's hyp2f1 gives no usable value."""
    term = total = 1.0
    for n in range(max_terms):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z
        total += term
        if abs(term) <= 1e-17 * abs(total) and n > abs(a * b / c):
            return total
    return math.nan


def _alive_expectation_closed(r1, beta, a, b1, t):
    """Closed form of ``_alive_expectation`` for a != 1 (arrays); NaN where no form gives a plausible value.

    With c = a + b1 - 1, k = t / beta and w = k / (1 + k), Pfaff's transformation gives
    2F1(r1, a - 1; c; -k) = (1 + k)^(1 - a) 2F1(c - r1, a - 1; c; w), whose parameters stay small when x is
    large
    (c - r1 = a + b - 1 - r) and whose argument stays in [0, 1).  scipy evaluates it reliably except in
    corners
    of the parameter space; a value outside the bounds of the quantity (0 <= E <= r1 t / beta, and
    E <= c / (a - 1) = E[1/p] when a > 1) is computed again from the untransformed function, then by summing
    the series.
    """
    c = a + b1 - 1.0
    k = t / beta
    w = k / (1.0 + k)
    upper = r1 * k * (1 + 1e-9)
    if a > 1.0:
        upper = np.minimum(upper, c / (a - 1.0) * (1 + 1e-9))

    def plausible(value):
        return np.isfinite(value) & (value >= 0) & (value <= upper)

    with np.errstate(all="ignore"):
        value = (
            c / (a - 1.0) * (1.0 - np.exp((1.0 - a) * np.log1p(k)) * special.hyp2f1(c - r1, a - 1.0, c, w))
        )
        retry = ~plausible(value)
        if np.any(retry):
            direct = c / (a - 1.0) * (1.0 - special.hyp2f1(r1, a - 1.0, c, -k))
            value = np.where(retry, direct, value)
            retry = ~plausible(value)
        if np.any(retry):
            value = np.array(value, dtype=float)
            shape = value.shape
            r_s, c_s, k_s, w_s = (np.broadcast_to(v, shape)[retry] for v in (r1, c, k, w))
            value[retry] = [
                c_i
                / (a - 1.0)
                * (1.0 - (1.0 + k_i) ** (1.0 - a) * _hyp2f1_series(c_i - r_i, a - 1.0, c_i, w_i))
                for r_i, c_i, k_i, w_i in zip(r_s, c_s, k_s, w_s, strict=True)
            ]
        return np.where(plausible(value), value, np.nan)


def _alive_expectation(r1, beta, a, b1, t):
    """Expected purchases in the next t of a customer who is active now, with a posterior purchase rate
    lambda ~ Gamma(r1, beta) and dropout p ~ Beta(a, b1):

    E = (a + b1 - 1) / (a - 1) * [1 - 2F1(r1, a - 1; a + b1 - 1; -t / beta)]

    which is [BGNBD] eq. (9) (r1 = r, beta = alpha, b1 = b) and the numerator of eq. (10)
    (r1 = r + x, beta = alpha + T, b1 = b + x) after Pfaff's transformation
    (1 - z)^-r1 2F1(r1, b1; c; z) = 2F1(r1, c - b1; c; z / (z - 1)) with z = t / (beta + t): the paper's
    form multiplies a vanishing power by a hypergeometric function that overflows for large x or t.  Near
    a = 1 the expression is 0/0: it is interpolated linearly between a = 1 -/+ 0.0001.  Values no closed form
    gives (and a + b1 <= 1, where the closed form has poles) are computed by quadrature.
    """
    r1, beta, b1, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (r1, beta, b1, t)))
    if abs(a - 1.0) < _A_NEAR_ONE:
        low = _alive_expectation_closed(r1, beta, 1.0 - _A_NEAR_ONE, b1, t)
        high = _alive_expectation_closed(r1, beta, 1.0 + _A_NEAR_ONE, b1, t)
        share = (a - (1.0 - _A_NEAR_ONE)) / (2 * _A_NEAR_ONE)
        value = low + share * (high - low)
    else:
        value = _alive_expectation_closed(r1, beta, a, b1, t)
    value = np.array(value, dtype=float)
    bad = ~np.isfinite(value) | (a + b1 - 1.0 <= 0)
    concentrated = bad & (np.maximum(a, b1) >= _CONCENTRATED)
    if np.any(concentrated):
        value[concentrated] = _alive_expectation_concentrated(
            r1[concentrated], beta[concentrated], a, b1[concentrated], t[concentrated]
        )
        bad &= ~concentrated
    if np.any(bad):
        value[bad] = [
            _alive_expectation_quad(float(rr), float(bb), a, float(b_1), float(tt))
            for rr, bb, b_1, tt in zip(r1[bad], beta[bad], b1[bad], t[bad], strict=True)
        ]
    return np.where(t > 0, value, 0.0)


def _horizon(t):
    t = _as_float_array("t", t)
    if np.any(t < 0):
        raise ValueError("The forecast horizon t cannot be negative.")
    return t


def expected_purchases_new(params, t):
    """E[X(t)]: expected purchases of a customer in the first t time units after the first purchase (the first
    purchase not counted), [BGNBD] eq. (9):

    E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))].
    """
    _check_bgnbd_params(params)
    t = _horizon(t)
    value = _alive_expectation(params.r, params.alpha, params.a, params.b, t)
    return value if np.ndim(t) else float(value)


def expected_purchases(params, t, x, t_x, T):
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units after T of a customer with history
    (x, t_x, T), [BGNBD] eq. (10):

    E = (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))] / (1 + delta(x > 0) a / (b + x - 1)
        ((alpha + T) / (alpha + t_x))^(r + x)),

    computed as P(alive) (:func:`probability_alive`) times the expectation of an active customer
    (see ``_alive_expectation`` for the numerically stable form).  Arrays broadcast together.
    """
    _check_bgnbd_params(params)
    t = _horizon(t)
    x, t_x, T = _summary_arrays(x, t_x, T)
    alive = probability_alive(params, x, t_x, T)
    value = alive * _alive_expectation(params.r + x, params.alpha + T, params.a, params.b + x, t)
    return value if np.ndim(value) else float(value)


def simulate_bgnbd(params, n, T, rng):
    """Simulate n customers of the BG/NBD model ([BGNBD] section 2) observed for T time units after their
    first purchase (``T`` a number or one value per customer); returns the arrays (x, t_x, T).

    Each customer draws a purchase rate lambda ~ Gamma(r, alpha) and a dropout probability p ~ Beta(a, b),
    buys at the times of a Poisson process of rate lambda and, after each repeat purchase, becomes
    inactive with probability p.  ``rng`` is a ``numpy.random.Generator``.
    """
    x, t_x, T_cal, _holdout = simulate_bgnbd_holdout(params, n, T, 0.0, rng)
    return x, t_x, T_cal


def simulate_bgnbd_holdout(params, n, T, holdout_length, rng):
    """Like :func:`simulate_bgnbd`, and also the purchases the same customers make in the ``holdout_length``
    time units after T; returns (x, t_x, T, x_holdout).
    """
    _check_bgnbd_params(params)
    n = int(n)
    if n < 1:
        raise ValueError("At least one customer must be simulated.")
    T = np.broadcast_to(_as_float_array("T", T), (n,)).astype(float)
    if np.any(T <= 0):
        raise ValueError("T (time since the first purchase) must be positive.")
    holdout_length = np.broadcast_to(_as_float_array("holdout_length", holdout_length), (n,)).astype(float)
    if np.any(holdout_length < 0):
        raise ValueError("The holdout length cannot be negative.")
    lam = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    p = rng.beta(params.a, params.b, size=n)
    # Repeat purchases made before dropping out: the customer leaves right after the k-th one, k ~
    # Geometric(p).
    last_possible = rng.geometric(np.clip(p, 1e-300, 1.0))
    arrivals_cal = rng.poisson(lam * T)
    arrivals_holdout = rng.poisson(lam * holdout_length)
    x = np.minimum(last_possible, arrivals_cal)
    x_holdout = np.clip(last_possible - arrivals_cal, 0, arrivals_holdout)
    # Given n Poisson arrivals in (0, T], the x-th is the x-th order statistic of n uniforms:
    # T * Beta(x, n - x + 1).
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], arrivals_cal[repeat] - x[repeat] + 1)
    return x.astype(float), t_x, T, x_holdout.astype(float)


# ----------------------------------------------------------------------------------------------------------
# Gamma-Gamma
# ----------------------------------------------------------------------------------------------------------


def _spend_arrays(x, mean_value, *, allow_zero):
    x = _as_float_array("x", x)
    mean_value = _as_float_array("mean_value", mean_value)
    x, mean_value = np.broadcast_arrays(x, mean_value)
    if np.any(x != np.round(x)) or np.any(x < (0 if allow_zero else 1)):
        if allow_zero:
            raise ValueError("x (repeat purchases) must be whole numbers of 0 or more.")
        raise ValueError(
            "The Gamma-Gamma model is fitted on customers with at least one repeat purchase (x >= 1) only."
        )
    if np.any(mean_value[x > 0] <= 0):
        raise ValueError(
            "The mean value per transaction must be positive for customers with repeat purchases."
        )
    return x, mean_value


def _gamma_gamma_terms(p, q, gamma, x, m):
    """Per-customer log-likelihood of [GG] eq. (3) / [ISO] eq. (A2), mean m of x transaction values:

    f(m | p, q, gamma, x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) gamma^q m^(p x - 1) x^(p x)
                            / (gamma + m x)^(p x + q).
    """
    px = p * x
    ln_gm = np.log(gamma + m * x)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * ln_gm
    )
    return ll, ln_gm


def gamma_gamma_log_likelihood(params, x, mean_value):
    """Log-likelihood of each customer's mean transaction value (array), [GG] eq. (3); x >= 1 required."""
    _check_gamma_gamma_params(params)
    x, m = _spend_arrays(x, mean_value, allow_zero=False)
    ll, _ln_gm = _gamma_gamma_terms(params.p, params.q, params.gamma, x, m)
    return ll


def _gamma_gamma_objective(log_params, x, m, weights, total):
    p, q, gamma = np.exp(log_params)
    ll, ln_gm = _gamma_gamma_terms(p, q, gamma, x, m)
    psi_pxq = special.digamma(p * x + q)
    d_p = x * (psi_pxq - special.digamma(p * x) + np.log(m) + np.log(x) - ln_gm)
    d_q = psi_pxq - special.digamma(q) + np.log(gamma) - ln_gm
    d_gamma = q / gamma - (p * x + q) / (gamma + m * x)
    value = -np.dot(weights, ll) / total
    gradient = -np.array(
        [p * np.dot(weights, d_p), q * np.dot(weights, d_q), gamma * np.dot(weights, d_gamma)]
    )
    return value, gradient / total


def fit_gamma_gamma(x, mean_value, weights=None):
    """Maximum-likelihood estimates of the Gamma-Gamma spend model ([GG], [ISO] section "Spend").

    ``x`` is each customer's number of repeat transactions (>= 1: customers without repeat purchases carry no
    information on spend and must be left out by the caller) and ``mean_value`` the mean value of those
    transactions (> 0).  ``weights`` counts identical rows.  The model assumes spend independent of purchase
    frequency; check it on the data before combining it with the BG/NBD forecasts.  Raises ``ValueError`` for
    fewer than :data:`MIN_CUSTOMERS` customers or invalid values.  With q <= 1 the fitted distribution has no
    finite mean: the fit is returned, ``params.has_finite_mean`` is False.
    """
    x, m = _spend_arrays(x, mean_value, allow_zero=False)
    x, m = (np.atleast_1d(v).ravel() for v in (x, m))
    weights = _weights_array(weights, x.shape)
    keep = weights > 0
    x, m, weights = x[keep], m[keep], weights[keep]
    total = float(weights.sum())
    if total < MIN_CUSTOMERS:
        raise ValueError(
            f"The Gamma-Gamma model needs at least {MIN_CUSTOMERS} customers with repeat purchases to be "
            f"fitted ({total:g} given)."
        )
    if np.ptp(m) == 0:
        raise ValueError("The Gamma-Gamma model cannot be fitted: every customer has the same mean value.")
    # Start from p = 1, q = 2 and the observed mean spend as the population mean p * gamma / (q - 1).
    start = np.log([1.0, 2.0, float(np.dot(weights, m) / total)])
    result = optimize.minimize(
        _gamma_gamma_objective,
        start,
        args=(x, m, weights, total),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 3,
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, gamma=gamma),
        log_likelihood=float(-result.fun * total),
        converged=bool(result.success),
        n_customers=round(total),
        message=str(result.message),
    )


def expected_spend(params, x, mean_value):
    """Expected value of a customer's future transactions, [GG] eq. (5) / [ISO] eq. (5):

    E[Z | x, m] = (p (gamma + x m)) / (p x + q - 1) for x > 0: a weighted mean of the population mean
    p gamma / (q - 1) and the customer's own mean m; the population mean for x = 0 (``mean_value`` ignored).
    Raises ``ValueError`` when q <= 1 (the model then has no finite mean spend).
    """
    _check_gamma_gamma_params(params)
    if not params.has_finite_mean:
        raise ValueError(
            f"The spend model has no finite mean (q = {params.q:.3f} is not above 1): "
            "expected spend per transaction cannot be computed."
        )
    x, m = _spend_arrays(x, mean_value, allow_zero=True)
    p, q, gamma = params.p, params.q, params.gamma
    value = np.where(x > 0, p * (gamma + x * m) / (p * x + q - 1.0), params.population_mean)
    return value if np.ndim(value) else float(value)


def simulate_gamma_gamma(params, x, rng):
    """Mean transaction value of customers with ``x`` (array, each >= 1) repeat transactions under the
    Gamma-Gamma model: nu ~ Gamma(q, gamma) per customer, each value ~ Gamma(p, nu), so the mean of x values
    is Gamma(p x, x nu) ([GG] section 2).
    """
    _check_gamma_gamma_params(params)
    x = _as_float_array("x", np.atleast_1d(x))
    if np.any(x < 1) or np.any(x != np.round(x)):
        raise ValueError("Spend can only be simulated for customers with at least one repeat transaction.")
    nu = rng.gamma(params.q, 1.0 / params.gamma, size=x.shape)
    return rng.gamma(params.p * x, 1.0 / (x * nu))


# ----------------------------------------------------------------------------------------------------------
# Calibration / holdout comparison
# ----------------------------------------------------------------------------------------------------------

#: Groups of calibration repeat purchases in :func:`holdout_report` ([BGNBD] Figure 3 groups 0..7+).
HOLDOUT_GROUPS = ("0", "1", "2", "3", "4", "5", "6", "7+")


def holdout_report(fit_params, x_cal, t_x_cal, T_cal, holdout_length, x_holdout):
    """Compare forecasts with the purchases actually made in a holdout period ([BGNBD] section 4, Figure 3).

    Customers are grouped by calibration repeat purchases (0, 1, ..., 6, 7+).  For each group: number of
    customers, mean actual holdout purchases, mean conditional expectation of the model
    (:func:`expected_purchases` with t = ``holdout_length``) and mean of a naive baseline (the customer's own
    past rate, x_cal / T_cal * holdout_length).  Also the totals and the mean absolute error per customer of
    model and baseline.  Returns a dict of plain Python values: ``groups`` (list of dicts with ``label``,
    ``customers``, ``actual``, ``predicted``, ``baseline``; the means are None for an empty group),
    ``customers``, ``actual_total``, ``predicted_total``, ``baseline_total``, ``mae_model``, ``mae_baseline``.
    """
    x_cal, t_x_cal, T_cal = _summary_arrays(x_cal, t_x_cal, T_cal)
    x_cal, t_x_cal, T_cal = (np.atleast_1d(v).ravel() for v in (x_cal, t_x_cal, T_cal))
    holdout_length = np.broadcast_to(_horizon(holdout_length), x_cal.shape)
    x_holdout = np.broadcast_to(_as_float_array("x_holdout", x_holdout), x_cal.shape)
    if np.any(x_holdout < 0):
        raise ValueError("Holdout purchases cannot be negative.")
    if not x_cal.size:
        raise ValueError("The holdout comparison needs at least one customer.")
    predicted = np.asarray(expected_purchases(fit_params, holdout_length, x_cal, t_x_cal, T_cal), dtype=float)
    baseline = x_cal / T_cal * holdout_length
    group_index = np.minimum(x_cal, len(HOLDOUT_GROUPS) - 1).astype(int)
    groups = []
    for index, label in enumerate(HOLDOUT_GROUPS):
        member = group_index == index
        count = int(member.sum())
        groups.append(
            {
                "label": label,
                "customers": count,
                "actual": float(x_holdout[member].mean()) if count else None,
                "predicted": float(predicted[member].mean()) if count else None,
                "baseline": float(baseline[member].mean()) if count else None,
            }
        )
    return {
        "groups": groups,
        "customers": int(x_cal.size),
        "actual_total": float(x_holdout.sum()),
        "predicted_total": float(predicted.sum()),
        "baseline_total": float(baseline.sum()),
        "mae_model": float(np.abs(predicted - x_holdout).mean()),
        "mae_baseline": float(np.abs(baseline - x_holdout).mean()),
    }
