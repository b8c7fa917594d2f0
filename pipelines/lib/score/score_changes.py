"""Why a score moved: the change since the customer's previous monthly snapshot and the features that drove it.

Both snapshots are scored with the **current** champion, so the change is about the customer, not about a new
model: a retrain that moves every probability a little would otherwise show up as "the score moved" for everyone,
with reasons the customer never gave. The probability stored last month (by the model of that time) stays in
`scores.customer_scores` for anyone who needs what was exported then.

The reasons are the difference of LightGBM's contributions (`pred_contrib`, log-odds) between the two snapshots,
per feature: for a customer whose risk rose, the features whose contribution rose most; for one whose risk fell,
the ones that fell most. A feature whose value did not change is left out even when its contribution shifted
(through its interaction with others): "payments 2 days late, unchanged" is nothing a person can act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core.config import TierSettings
from pipelines.lib.features import mart as feats
from pipelines.lib.score.reasons import MIN_CONTRIBUTION, describe
from pipelines.lib.score.tiers import risk_tier

if TYPE_CHECKING:
    from pipelines.lib.train.churn_model import ChurnModel

CHANGE_COLUMNS = [
    "previous_as_of",
    "previous_churn_probability",
    "probability_change",
    "previous_risk_tier",
    "moved_by",
]
NEW = "new"
NO_CHANGE = "no notable change"
RISER_COLUMNS = [
    "customer_id",
    "previous_as_of",
    "previous_churn_probability",
    "churn_probability",
    "probability_change",
    "previous_risk_tier",
    "risk_tier",
    "value_tier",
    "moved_by",
]

# Templates whose sentence is a ratio, a signed distance or a unit other than the raw value: "up from 0.8"
# would not read, so the previous value is said in the template's own words.
_SAID_IN_FULL = {
    "tenure_days",
    "revenue_trend",
    "interactions_yoy_ratio",
    "login_trend",
    "orders_trend",
    "revenue_yoy_ratio",
    "service_orders_trend",
    "order_gap_ratio",
    "order_gap_trend",
    "response_time_trend",
    "tickets_trend",
    "features_used_trend",
    "contract_value_change_365d",
    "recency_vs_usual_gap",
    "order_gap_cv_365d",
    "p_alive",
}
# Templates that show one decimal.
_ONE_DECIMAL = {"features_used_30d", "active_users_30d", "expected_orders_horizon"}


def _number(feature: str, value: float) -> str:
    return f"{abs(value):.1f}" if feature in _ONE_DECIMAL else f"{abs(value):,.0f}"


def moved_phrase(feature: str, now: float, before: float) -> str:
    """One feature's change in business words: "payments 9 days later than usual, up from 2".

    Templates that print the magnitude of a signed value (days later / earlier than usual, NPS up / down) say
    "up" or "down" about that magnitude; when the sign flips, or the template is a ratio, or either value is
    missing, the previous value is said in full instead."""
    said_now, said_before = describe(feature, now), describe(feature, before)
    if said_now == said_before:
        # A change below the template's rounding that still crossed one of the model's splits.
        return f"{said_now}, {'up' if now > before else 'down'} a little"
    if np.isnan(now) or np.isnan(before) or feature in _SAID_IN_FULL or np.sign(now) * np.sign(before) < 0:
        return f"{said_now} (before: {said_before})"
    direction = "up" if abs(now) > abs(before) else "down"
    if _number(feature, now) == _number(feature, before):
        return f"{said_now}, {direction} a little"
    return f"{said_now}, {direction} from {_number(feature, before)}"


def moved_by(
    contrib_now: np.ndarray,
    contrib_before: np.ndarray,
    values_now: np.ndarray,
    values_before: np.ndarray,
    features: list[str],
    *,
    rising: np.ndarray,
    k: int = 3,
    min_contribution: float = MIN_CONTRIBUTION,
) -> list[str]:
    """The ``k`` features that moved each customer's score most, as phrases joined by '; '.

    ``contrib_*`` are `pred_contrib` matrices of the same rows (one column per feature, the bias last);
    ``rising`` says per row whether the probability went up (rank by the rise of a contribution) or not (rank by
    its fall). A feature counts when its value changed and its contribution moved by at least
    ``min_contribution`` in the score's direction. The ranking is numpy over the whole matrices; only the
    picked phrases (at most ``k`` per customer) are formatted one by one, since the templates are per value.
    """
    n, width = len(values_now), len(features)
    diff = contrib_now[:, :width] - contrib_before[:, :width]
    changed = ~np.isclose(values_now, values_before, equal_nan=True)
    push = np.where(changed, np.where(np.asarray(rising, dtype=bool)[:, None], diff, -diff), 0.0)
    order = np.argsort(-push, axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(push, order, axis=1)
    rows, ranks = np.nonzero(strength >= min_contribution)
    cols = order[rows, ranks]
    phrases = pd.Series(
        [
            moved_phrase(features[j], now, before)
            for j, now, before in zip(cols, values_now[rows, cols], values_before[rows, cols], strict=True)
        ],
        index=rows,
        dtype=object,
    )
    # np.nonzero walks row by row and rank by rank, so each row's phrases are already strongest first.
    joined = phrases.groupby(level=0).agg("; ".join) if len(phrases) else pd.Series(dtype=object)
    return joined.reindex(range(n)).fillna(NO_CHANGE).tolist()


def previous_snapshot(con: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
    """Every customer's features at the mart's snapshot date before ``as_of`` (the previous monthly score),
    typed as scoring reads them; empty when ``as_of`` is the mart's first date."""
    frame = con.execute(
        """
        select f.* from marts.customer_features as f
        where f.snapshot_date = (select max(snapshot_date) from marts.customer_features where snapshot_date < ?)
        order by f.customer_id
        """,
        [as_of],
    ).df()
    return feats.typed_features(frame)


def score_changes(
    model: ChurnModel,
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    cutoffs: TierSettings,
    k: int = 3,
    min_contribution: float = MIN_CONTRIBUTION,
) -> pd.DataFrame:
    """`CHANGE_COLUMNS` for every row of ``current`` (same order, a fresh RangeIndex): the probability and tier
    the same ``model`` gives the customer's row in ``previous``, the change, and what moved it. A customer
    without a row in ``previous`` is new: nulls, and `moved_by` = "new"."""
    features = list(model.feature_names)
    now = current[["customer_id", *features]].reset_index(drop=True)
    if "snapshot_date" in previous:
        previous = previous.assign(previous_as_of=pd.to_datetime(previous["snapshot_date"]).dt.date)
    else:
        previous = previous.assign(previous_as_of=None)
    before = now[["customer_id"]].merge(
        previous[["customer_id", "previous_as_of", *features]].drop_duplicates("customer_id"),
        on="customer_id",
        how="left",
        indicator=True,
    )
    known = (before.pop("_merge") == "both").to_numpy()
    out = pd.DataFrame(
        {
            "previous_as_of": before["previous_as_of"].where(known, None).astype(object),
            "previous_churn_probability": np.nan,
            "probability_change": np.nan,
            "previous_risk_tier": pd.Series([None] * len(now), dtype=object),
            "moved_by": pd.Series([NEW] * len(now), dtype=object),
        }
    )
    if not known.any():
        return out
    rows_now, rows_before = now.loc[known, features], before.loc[known, features]
    p_now = model.churn_probability(rows_now).round(4)
    p_before = model.churn_probability(rows_before).round(4)
    change = p_now - p_before
    out.loc[known, "previous_churn_probability"] = p_before
    out.loc[known, "probability_change"] = change.round(4)
    out.loc[known, "previous_risk_tier"] = np.asarray(risk_tier(p_before, cutoffs), dtype=object)
    out.loc[known, "moved_by"] = moved_by(
        model.contributions(rows_now),
        model.contributions(rows_before),
        rows_now.to_numpy(dtype=float),
        rows_before.to_numpy(dtype=float),
        features,
        rising=change > 0,
        k=k,
        min_contribution=min_contribution,
    )
    return out


def largest_risers(scores: pd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The ``n`` customers whose probability rose most since their previous score (risers only, largest
    first; ties by customer id so the list is stable), in `RISER_COLUMNS`."""
    risen = scores[scores["probability_change"].fillna(0) > 0]
    columns = [c for c in RISER_COLUMNS if c in scores]
    return (
        risen.sort_values(["probability_change", "customer_id"], ascending=[False, True])
        .head(n)[columns]
        .reset_index(drop=True)
    )
