"""The rows the scoring writes: `scores.health_scores`, and `scores.customer_scores` from either path (the
champion model, or the health score standing in for it), built from the newest feature snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.core.config import PlaybookEntry
from pipelines.lib.score import score_changes, score_store
from pipelines.lib.score.health_score import fired_signals, health_colour, health_points
from pipelines.lib.score.tiers import playbook_columns

# The columns of the CRM export (CSV and Parquet), in this order: stable, whichever path scored.
EXPORT_COLUMNS = [
    "priority",
    "customer_id",
    "as_of",
    "score_source",
    "churn_probability",
    "risk_tier",
    "health_colour",
    "reasons",
    *score_changes.CHANGE_COLUMNS,
    "action",
    "owner",
    "sla_hours",
    "value_tier",
    "service_level",
    "predicted_revenue_12m",
    "clv",
    "revenue_at_risk",
    "model_name",
    "model_version",
]
# The health score as a risk tier, when it is the score.
COLOUR_TIER = {"red": "high", "yellow": "medium", "green": "none"}


def health_frame(current: pd.DataFrame) -> pd.DataFrame:
    """One row per customer of the snapshot: health points, colour and the signals that fired."""
    points = health_points(current)
    return pd.DataFrame(
        {
            "customer_id": current["customer_id"].to_numpy(),
            "as_of": current["snapshot_date"].dt.date.to_numpy(),
            "health_points": points,
            "health_colour": health_colour(points),
            "signals": fired_signals(current),
        }
    )


def fallback_scores(health: pd.DataFrame, playbook: dict[str, PlaybookEntry]) -> pd.DataFrame:
    """The rule-based health score as the customers' score (red -> high, yellow -> medium, green -> none), for
    when there is no model to score with: too little churn to learn from, or no champion yet."""
    tiers = health["health_colour"].map(COLOUR_TIER).to_numpy()
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": health["customer_id"],
                    "as_of": health["as_of"],
                    "churn_probability": np.nan,
                    "risk_tier": tiers,
                    "reasons": health["signals"],
                }
            ),
            playbook_columns(tiers, playbook),
        ],
        axis=1,
    ).assign(
        model_name=None,
        model_version=None,
        **dict.fromkeys(score_changes.CHANGE_COLUMNS),
        score_source=score_store.FALLBACK,
        health_colour=health["health_colour"],
        health_points=health["health_points"],
    )


def model_scores(
    current: pd.DataFrame,
    scored: pd.DataFrame,
    changes: pd.DataFrame,
    health: pd.DataFrame,
    *,
    name: str,
    version: str,
) -> pd.DataFrame:
    """The champion's scores of the snapshot's customers (``scored``: probability, tier, reasons, action; and
    ``changes``: since the previous snapshot, `score_changes.CHANGE_COLUMNS`), with the model that gave them and
    the health colour alongside."""
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": current["customer_id"].to_numpy(),
                    "as_of": current["snapshot_date"].dt.date.to_numpy(),
                }
            ),
            scored,
            changes,
        ],
        axis=1,
    ).assign(
        model_name=name,
        model_version=version,
        score_source=score_store.MODEL,
        health_colour=health["health_colour"].to_numpy(),
        health_points=health["health_points"].to_numpy(),
    )
