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


def _count(n: float, noun: str) -> str:
    """'1 order', '3 orders': the count and its noun in the right number."""
    return f"{n:.0f} {noun}{'' if round(n) == 1 else 's'}"


def _days_from_due(days: float) -> str:
    """Days relative to the due date in words; many customers pay before it, and "-6 days after" reads badly."""
    return f"{abs(days):.0f} days {'after' if days >= 0 else 'before'} the due date"


# feature -> sentence for the customer's value of it
_TEMPLATES: dict[str, Callable[[float], str]] = {
    "tenure_days": lambda v: f"customer for {v / 365:.1f} years",
    "orders_90d": lambda v: f"{_count(v, 'order')} in the last 3 months",
    "orders_365d": lambda v: f"{_count(v, 'order')} in the last 12 months",
    "revenue_90d": lambda v: f"revenue of {v:,.0f} in the last 3 months",
    "revenue_365d": lambda v: f"revenue of {v:,.0f} in the last 12 months",
    "revenue_trend": lambda v: (
        f"revenue {_pct_change(v).replace('fewer', 'lower').replace('more', 'higher')}"
        " than in the 3 months before"
    ),
    "days_since_last_order": lambda v: f"no order for {v:.0f} days",
    "payment_delay_90d": lambda v: f"pays {_days_from_due(v)} on average",
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
    "orders_30d": lambda v: f"{_count(v, 'order')} in the last month",
    "orders_180d": lambda v: f"{_count(v, 'order')} in the last 6 months",
    "orders_trend": lambda v: f"{_pct_change(v)} orders than in the 3 months before",
    "revenue_yoy_ratio": lambda v: (
        f"revenue {_pct_change(v).replace('fewer', 'lower').replace('more', 'higher')} than a year ago"
    ),
    "service_orders_180d": lambda v: f"{v:.0f} service or spare-part orders in 6 months",
    "service_orders_trend": lambda v: (
        f"{_pct_change(v)} service and spare-part orders than the half-year before"
    ),
    "avg_order_gap_365d": lambda v: f"orders every {v:.0f} days on average over the year",
    "order_gap_ratio": lambda v: f"the silence since the last order is {v:.1f}× the usual gap",
    "order_gap_trend": lambda v: f"gaps between orders {v:.1f}× as long as the year before",
    "payments_90d": lambda v: f"{_count(v, 'payment')} in the last 3 months",
    "payment_delay_norm": lambda v: f"usually pays {_days_from_due(v)}",
    "overdue_invoices": lambda v: f"{v:.0f} invoice(s) overdue and unpaid",
    "overdue_amount": lambda v: f"invoices worth {v:,.0f} overdue and unpaid",
    "interactions_30d": lambda v: f"{v:.0f} e-mails, calls or meetings in the last month",
    "interactions_180d": lambda v: f"{v:.0f} e-mails, calls or meetings in the last 6 months",
    "interactions_365d": lambda v: f"{v:.0f} e-mails, calls or meetings in the last 12 months",
    "response_time_trend": lambda v: f"replies {v:.1f}× as slow as over the year before",
    "tickets_10d": lambda v: f"{v:.0f} support tickets in the last 10 days",
    "tickets_30d": lambda v: f"{v:.0f} support tickets in the last month",
    "tickets_365d": lambda v: f"{v:.0f} support tickets in the last 12 months",
    "tickets_trend": lambda v: f"{_pct_change(v)} support tickets than in the 3 months before",
    "tickets_how_to_180d": lambda v: f"{v:.0f} how-to tickets in 6 months",
    "tickets_bug_180d": lambda v: f"{v:.0f} bug tickets in 6 months",
    "tickets_billing_180d": lambda v: f"{v:.0f} billing tickets in 6 months",
    "tickets_data_export_180d": lambda v: f"{v:.0f} tickets about data export in 6 months",
    "tickets_compatibility_180d": lambda v: (
        f"{v:.0f} tickets about compatibility with other systems in 6 months"
    ),
    "features_used_trend": lambda v: f"{_pct_change(v)} product features used than in the 3 months before",
    "active_users_30d": lambda v: f"{v:.1f} active users a day last month",
    "page_views_30d": lambda v: f"{v:,.0f} page views last month",
    "downloads_30d": lambda v: f"{v:,.0f} downloads last month",
    "days_since_last_usage": lambda v: f"no product use for {v:.0f} days",
    "nps_change": lambda v: f"NPS {'down' if v < 0 else 'up'} {abs(v):.0f} points since the answer before",
    "days_since_nps": lambda v: f"last NPS answer {v:.0f} days ago",
    "active_contacts": lambda v: f"{v:.0f} contact person(s) at the customer",
    "contacts_ended_180d": lambda v: f"{v:.0f} contact person(s) left in 6 months",
    "decision_maker_changes_180d": lambda v: f"{v:.0f} new decision maker(s) in 6 months",
    "contract_value": lambda v: f"contract worth {v:,.0f} a month",
    "contract_value_change_365d": lambda v: (
        f"contract value {_pct_change(v).replace('fewer', 'lower').replace('more', 'higher')} than a year ago"
    ),
    "contract_age_days": lambda v: f"current contract running for {v:.0f} days",
    "days_to_renewal": lambda v: f"contract renews in {v:.0f} days",
    "contracts_so_far": lambda v: f"{v:.0f} contract(s) so far",
    "order_days_to_date": lambda v: f"ordered on {v:.0f} day(s) so far",
    "days_since_first_order": lambda v: f"first order {v:.0f} days ago",
    "days_first_to_last_order": lambda v: f"{v:.0f} days between the first and the last order",
    "avg_order_value_365d": lambda v: f"orders worth {v:,.0f} on average over the year",
    "avg_order_value_to_date": lambda v: f"orders worth {v:,.0f} on average",
    "order_gap_mean_to_date": lambda v: f"usually orders every {v:.0f} days",
    "order_gap_cv_365d": lambda v: (
        f"{'irregular' if v > 0.75 else 'fairly regular' if v > 0.35 else 'regular'} ordering over the year "
        f"(gap spread {v:.1f}× the mean gap)"
    ),
    "recency_vs_usual_gap": lambda v: f"silent for {v:.1f}× the usual gap between orders",
    "orders_same_season_last_year": lambda v: f"{v:.0f} orders in the coming months' season a year ago",
    "revenue_same_season_last_year": lambda v: f"revenue of {v:,.0f} in the coming months' season a year ago",
    "p_alive": lambda v: f"{v:.0%} likely still an active buyer (BG/NBD)",
    "expected_orders_horizon": lambda v: f"{v:.1f} orders expected in the coming horizon (BG/NBD)",
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
