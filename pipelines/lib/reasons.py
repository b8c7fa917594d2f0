"""Reason codes: LightGBM's own per-customer contributions, turned into sentences a customer manager can act on.

Contributions are in log-odds of the uncalibrated booster; ranking the features that push a customer's risk up
is what matters here, and that ranking is unaffected by any monotone calibration on top.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd


def _pct_change(ratio: float) -> str:
    return f"{abs(1 - ratio):.0%} {'fewer' if ratio < 1 else 'more'}"


# feature -> sentence for the customer's value of it
_TEMPLATES: dict[str, Callable[[float], str]] = {
    "tenure_days": lambda v: f"customer for {v / 365:.1f} years",
    "orders_90d": lambda v: f"{v:.0f} orders in the last 3 months",
    "orders_365d": lambda v: f"{v:.0f} orders in the last 12 months",
    "revenue_90d": lambda v: f"revenue of {v:,.0f} in the last 3 months",
    "revenue_365d": lambda v: f"revenue of {v:,.0f} in the last 12 months",
    "revenue_trend": lambda v: (
        f"revenue {_pct_change(v).replace('fewer', 'lower').replace('more', 'higher')}"
        " than in the 3 months before"
    ),
    "days_since_last_order": lambda v: f"no order for {v:.0f} days",
    "payment_delay_90d": lambda v: f"pays {v:.0f} days after the due date on average",
    "payment_delay_vs_norm": lambda v: (
        f"payments {abs(v):.0f} days {'later' if v > 0 else 'earlier'} than usual"
    ),
    "interactions_90d": lambda v: f"{v:.0f} e-mails, calls or meetings in the last 3 months",
    "interactions_yoy_ratio": lambda v: f"{_pct_change(v)} e-mails, calls and meetings than a year ago",
    "response_hours_avg_90d": lambda v: f"replies take {v:.0f} hours on average",
    "tickets_90d": lambda v: f"{v:.0f} support tickets in the last 3 months",
    "tickets_competitor_180d": lambda v: f"{v:.0f} tickets about data export or compatibility in 6 months",
    "logins_30d": lambda v: f"{v:.0f} logins in the last month",
    "login_trend": lambda v: f"{_pct_change(v)} logins than in the 3 months before",
    "active_days_30d": lambda v: f"active on {v:.0f} days last month",
    "features_used_30d": lambda v: f"uses {v:.1f} features a day",
    "days_since_last_activity": lambda v: f"no activity for {v:.0f} days",
    "nps_latest": lambda v: f"last NPS answer {v:.0f}",
    "new_contacts_180d": lambda v: f"{v:.0f} new contact person(s) in 6 months",
}


def describe(feature: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{feature.replace('_', ' ')}: no data"
    template = _TEMPLATES.get(feature)
    return template(float(value)) if template else f"{feature.replace('_', ' ')} = {value:g}"


# Contributions (log-odds) below this are noise, not a reason a person could act on.
MIN_CONTRIBUTION = 0.05


def top_reasons(
    contributions: np.ndarray,
    frame: pd.DataFrame,
    features: list[str],
    *,
    k: int = 3,
    min_contribution: float = MIN_CONTRIBUTION,
) -> list[str]:
    """The ``k`` features that raise each customer's risk most, as sentences joined by '; '.

    ``contributions`` is LightGBM's ``pred_contrib`` output: one column per feature plus the bias last. A
    feature counts only when it raises the risk by at least ``min_contribution`` and the customer has a value
    for it: a missing value is no reason a customer manager can talk about.
    """
    values = frame[features].to_numpy(dtype=float)
    contrib = np.where(np.isnan(values), 0.0, contributions[:, : len(features)])
    order = np.argsort(-contrib, axis=1)[:, :k]
    reasons: list[str] = []
    for row, idx in enumerate(order):
        # Rows are few (one per active customer) and the sentences are per-row strings by nature.
        picked = [describe(features[j], values[row, j]) for j in idx if contrib[row, j] >= min_contribution]
        reasons.append("; ".join(picked) if picked else "no strong risk signal")
    return reasons
