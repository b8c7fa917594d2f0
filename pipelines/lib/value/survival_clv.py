"""Customer value over the survival curve: the expected discounted margin, instead of margin x 1 / yearly churn.

Why. `value_model.expected_lifetime_years` turns one churn probability into a lifetime by assuming the same risk
every year; the time-to-churn model (`train.hazard`) says month by month how likely the customer is to still be
there, which is what a margin stream is worth: each month's margin counts with the probability of being a
customer in it, discounted to today.
"""

from __future__ import annotations

import numpy as np


def expected_discounted_margin(
    survival: np.ndarray,
    monthly_margin: np.ndarray | float,
    *,
    annual_discount_rate: float,
    months: int | None = None,
) -> np.ndarray:
    """Σ over months k = 1 .. ``months`` of margin × P(a customer during month k) / (1 + rate)^(k / 12).

    ``survival`` is (customers, H): P(still a customer after k months), k = 1 .. H. A customer who leaves in a
    month earns half of it, so month k counts with (S(k-1) + S(k)) / 2, S(0) = 1 (the same convention as the
    restricted mean of `hazard.restricted_mean_months`). ``months`` beyond H continue the curve with its last
    month's hazard (the data say nothing beyond the curve, and a constant hazard is the least informed guess);
    the default is H. ``monthly_margin`` is one figure or one per customer."""
    s = np.atleast_2d(np.asarray(survival, dtype=float))
    if (
        s.size == 0
        or np.isnan(s).any()
        or (s < 0).any()
        or (s > 1).any()
        or (np.diff(s, axis=1) > 1e-12).any()
    ):
        raise ValueError(
            "survival must be probabilities in [0, 1] that never rise from one month to the next"
        )
    if annual_discount_rate <= -1:
        raise ValueError(f"annual_discount_rate must be above -1 (got {annual_discount_rate})")
    horizon = s.shape[1] if months is None else int(months)
    if horizon < 1:
        raise ValueError(f"months must be at least 1 (got {months})")
    if horizon > s.shape[1]:
        previous = s[:, -2] if s.shape[1] > 1 else np.ones(len(s))
        with np.errstate(divide="ignore", invalid="ignore"):
            stay = np.where(previous > 0, s[:, -1] / previous, 0.0)
        extra = s[:, -1:] * stay[:, None] ** np.arange(1, horizon - s.shape[1] + 1)[None, :]
        s = np.hstack([s, extra])
    s = np.hstack([np.ones((len(s), 1)), s[:, :horizon]])
    during = (s[:, :-1] + s[:, 1:]) / 2
    discount = (1 + annual_discount_rate) ** (-np.arange(1, horizon + 1) / 12)
    margin = np.broadcast_to(np.asarray(monthly_margin, dtype=float), (len(s),))
    return margin * (during * discount[None, :]).sum(axis=1)
