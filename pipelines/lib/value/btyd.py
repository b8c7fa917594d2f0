"""BG/NBD and Gamma-Gamma: the "buy 'til you die" models for non-contractual customers, small and Dagster-free.

A retail log never says that a customer has left; BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
easy way") infers it from the pattern of purchases alone: a customer buys at a personal Poisson rate λ while alive
(λ ~ Gamma(r, α) across customers) and, after each repeat purchase, drops out with a personal probability p
(p ~ Beta(a, b)). Its four parameters come from three numbers per customer, so it needs no training labels and
no feature engineering: the baseline any churn model on transaction data has to beat. Gamma-Gamma (Fader, Hardie
& Lee 2005, "RFM and CLV") adds the value of a purchase, assumed independent of its timing.

Conventions (those of the BTYD literature): ``frequency`` x is the number of *repeat* purchase days (several
orders on one day are one purchase), ``recency`` t_x the customer's age at its last purchase, ``T`` its age at the
as-of date, all measured from its first purchase in units of ``unit_days`` days (one day by default: then ``t``
in the predictions is in days too). ``monetary_value`` is the mean value of the repeat purchase days (0 without a
repeat purchase), because Gamma-Gamma is fitted on repeat purchases only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = ["BGNBD", "GammaGamma", "customer_value", "fit_bgnbd", "fit_gamma_gamma", "rfm_summary"]

RFM_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")


def rfm_summary(
    orders: pd.DataFrame, as_of: dt.date | str | pd.Timestamp, *, unit_days: float = 1.0
) -> pd.DataFrame:
    """One row per customer with an order on or before ``as_of``: frequency, recency, T, monetary_value.

    ``orders`` needs ``customer_id``, ``order_date`` and ``amount``; orders after ``as_of`` are ignored, so the
    summary at a cut-off never sees the future. Orders are summed per customer and day first."""
    cutoff = pd.Timestamp(as_of).normalize()
    day = pd.to_datetime(orders["order_date"]).dt.normalize()
    seen = day <= cutoff
    daily = (
        pd.DataFrame(
            {"customer_id": orders["customer_id"][seen], "day": day[seen], "amount": orders["amount"][seen]}
        )
        .groupby(["customer_id", "day"], sort=True, as_index=False)["amount"]
        .sum()
    )
    grouped = daily.groupby("customer_id", sort=True)
    first, last = grouped["day"].min(), grouped["day"].max()
    days = grouped["day"].size()
    first_amount = grouped["amount"].first()  # rows are sorted by day within a customer
    frequency = days - 1
    repeat_total = grouped["amount"].sum() - first_amount
    return pd.DataFrame(
        {
            "customer_id": first.index,
            "frequency": frequency.to_numpy(dtype=np.float64),
            "recency": ((last - first).dt.days / unit_days).to_numpy(dtype=np.float64),
            "T": ((cutoff - first).dt.days / unit_days).to_numpy(dtype=np.float64),
            "monetary_value": np.where(frequency > 0, repeat_total / frequency.clip(lower=1), 0.0),
        }
    ).reset_index(drop=True)


@dataclass(frozen=True)
class BGNBD:
    """A fitted BG/NBD model; every method takes per-customer arrays (x, t_x, T) in the fitting's time unit."""

    r: float
    alpha: float
    a: float
    b: float

    def log_likelihood(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
        """Per-customer log-likelihood (eq. 6 of Fader, Hardie & Lee 2005), in logs throughout:
        L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
          + [x > 0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))."""
        return _bgnbd_log_likelihood(np.log([self.r, self.alpha, self.a, self.b]), *_arrays(x, t_x, T))

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
        """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)).

        A customer without a repeat purchase is alive for sure: in BG/NBD dropout happens only right after a
        repeat purchase. That is the model's known weakness on one-time buyers, which a churn score has to
        remember."""
        x, t_x, T = _arrays(x, t_x, T)
        log_ratio = (
            np.log(self.a)
            - np.log(np.maximum(self.b + x - 1, 1e-300))
            + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        )
        return np.where(x > 0, special.expit(-log_ratio), 1.0)

    def expected_purchases(
        self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> NDArray[np.float64]:
        """E[purchases in (T, T+t] | x, t_x, T] (eq. 10 of Fader, Hardie & Lee 2005):
        (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive)."""
        x, t_x, T = _arrays(x, t_x, T)
        t = np.asarray(t, dtype=np.float64)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        bracket = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
        return (a + b + x - 1) / (a - 1) * bracket * self.p_alive(x, t_x, T)

    def p_no_purchase(self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
        """P(no purchase in (T, T+t] | x, t_x, T): the churn probability over a horizon t.

        Dead at T, the customer never buys again. Alive at T, the first purchase in the window is not affected
        by dropout (dropout follows a purchase), so it is absent with probability exp(-λt). Given alive, the
        likelihood in λ is λ^x e^(-λT), so λ | alive, data ~ Gamma(r+x, α+T) (independent of p), and
        E[e^(-λt)] = ((α+T)/(α+T+t))^(r+x). Hence
        P(no purchase) = 1 - P(alive) + P(alive) · ((α+T)/(α+T+t))^(r+x),
        in [0, 1] and non-increasing in t."""
        x, t_x, T = _arrays(x, t_x, T)
        t = np.asarray(t, dtype=np.float64)
        alive = self.p_alive(x, t_x, T)
        silent = np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + T + t)))
        return 1.0 - alive + alive * silent


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: a purchase's value ~ Gamma(p, ν), ν ~ Gamma(q, γ) across customers."""

    p: float
    q: float
    gamma: float

    def log_likelihood(self, x: ArrayLike, mean_value: ArrayLike) -> NDArray[np.float64]:
        """Log-density of a customer's mean value z̄ over x purchases: the sum s = x·z̄ is Gamma(px, ν); mixing
        over ν gives Γ(px+q) / (Γ(px) Γ(q)) · γ^q s^(px-1) / (γ+s)^(px+q), and z̄ = s/x adds log x."""
        return _gg_log_likelihood(np.log([self.p, self.q, self.gamma]), *_spend_arrays(x, mean_value))

    def expected_spend(self, x: ArrayLike, mean_value: ArrayLike) -> NDArray[np.float64]:
        """E[value of a purchase | x, z̄] = p (γ + x z̄) / (p x + q - 1): a weighted average of the population
        mean p γ / (q - 1) and the customer's own mean, the more the own mean the more purchases it rests on.
        Customers without a repeat purchase get the population mean."""
        x = np.asarray(x, dtype=np.float64)
        z = np.where(x > 0, np.asarray(mean_value, dtype=np.float64), 0.0)
        return self.p * (self.gamma + x * z) / (self.p * x + self.q - 1)

    @property
    def population_mean(self) -> float:
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def customer_value(
    purchases: BGNBD,
    spend: GammaGamma,
    summary: pd.DataFrame,
    *,
    periods: int,
    period_length: float,
    discount_rate: float = 0.0,
) -> NDArray[np.float64]:
    """CLV over ``periods`` periods of ``period_length`` time units (e.g. 12 × 30.44 days): the purchases
    expected in each period times the expected value of a purchase, discounted by ``discount_rate`` per period
    (0: the undiscounted predicted revenue over the horizon). ``summary`` is an :func:`rfm_summary` frame."""
    x, t_x, T = (summary[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    ends = period_length * np.arange(periods + 1)[:, None]
    cumulative = purchases.expected_purchases(ends, x[None, :], t_x[None, :], T[None, :])
    per_period = np.diff(cumulative, axis=0)
    discount = (1.0 + discount_rate) ** -np.arange(1, periods + 1)
    value = spend.expected_spend(x, summary["monetary_value"].to_numpy(dtype=np.float64))
    return (discount @ per_period) * value


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, penalty: float = 0.0) -> BGNBD:
    """Maximum likelihood on log-parameters (so all four stay positive) with L-BFGS-B, from a few starting
    points (the surface is flat in a and b when few customers drop out); ``penalty`` adds an L2 term on the
    log-parameters, which keeps a and b finite on data that cannot identify them."""
    x, t_x, T = _arrays(x, t_x, T)
    if x.size == 0:
        raise ValueError("no customers to fit BG/NBD on")

    def loss(theta: NDArray[np.float64]) -> float:
        return -float(np.mean(_bgnbd_log_likelihood(theta, x, t_x, T))) + penalty * float(theta @ theta)

    scale = max(float(np.mean(T)), 1e-9)
    starts = [np.log([1.0, scale, 1.0, 1.0]), np.log([0.5, scale / 4, 0.5, 2.0]), np.zeros(4)]
    best = min(
        (optimize.minimize(loss, s, method="L-BFGS-B", bounds=[(-12, 12)] * 4) for s in starts),
        key=lambda o: o.fun,
    )
    if not np.isfinite(best.fun):
        raise ValueError(f"BG/NBD fit did not converge: {best.message}")
    return BGNBD(*(float(v) for v in np.exp(best.x)))


def fit_gamma_gamma(x: ArrayLike, mean_value: ArrayLike) -> GammaGamma:
    """Maximum likelihood on log-parameters, on the customers with at least one repeat purchase and a positive
    mean value (the model is defined for positive spend only)."""
    x, z = _spend_arrays(x, mean_value)
    if x.size == 0:
        raise ValueError("no customer with a repeat purchase to fit Gamma-Gamma on")

    def loss(theta: NDArray[np.float64]) -> float:
        return -float(np.mean(_gg_log_likelihood(theta, x, z)))

    start = np.log([2.0, 3.0, float(np.mean(z))])
    best = optimize.minimize(loss, start, method="L-BFGS-B", bounds=[(-12, 12), (-12, 12), (-12, 25)])
    if not np.isfinite(best.fun):
        raise ValueError(f"Gamma-Gamma fit did not converge: {best.message}")
    return GammaGamma(*(float(v) for v in np.exp(best.x)))


def _arrays(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise ValueError("BG/NBD needs frequency >= 0 and 0 <= recency <= T")
    return x, t_x, T


def _spend_arrays(x: ArrayLike, mean_value: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, z = np.asarray(x, dtype=np.float64), np.asarray(mean_value, dtype=np.float64)
    keep = (x > 0) & (z > 0)
    return x[keep], z[keep]


def _bgnbd_log_likelihood(
    theta: NDArray[np.float64], x: NDArray[np.float64], t_x: NDArray[np.float64], T: NDArray[np.float64]
) -> NDArray[np.float64]:
    r, alpha, a, b = np.exp(theta)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # The dropout term exists only after a repeat purchase; b+x-1 is evaluated at x>=1 only, so it stays > 0.
    dropped = special.betaln(a + 1, b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    return common + np.where(repeat, np.logaddexp(alive, dropped), alive)


def _gg_log_likelihood(
    theta: NDArray[np.float64], x: NDArray[np.float64], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    p, q, gamma = np.exp(theta)
    s = x * z
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(s)
        + np.log(x)
        - (p * x + q) * np.log(gamma + s)
    )
