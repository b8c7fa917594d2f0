"""Scoring feature rows with the champion: probability, tier, reasons and the playbook's action.

One definition for every path that scores with a model: the batch asset (`customer_scores`) and the online API
(`radar serve`) both call :func:`score_with_model`, so a customer's live score is the stored one for the same
features and model, tier cut-offs and reasons included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipelines.lib.core.config import PlaybookEntry, TierSettings
from pipelines.lib.score.reasons import top_reasons
from pipelines.lib.score.tiers import playbook_columns, risk_tier, scoring_tiers

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from pipelines.lib.train.churn_model import ChurnModel

SCORED_COLUMNS = ["churn_probability", "risk_tier", "reasons", "action", "owner", "sla_hours"]


def score_with_model(
    model: ChurnModel,
    frame: pd.DataFrame,
    *,
    cutoffs: TierSettings,
    playbook: dict[str, PlaybookEntry],
) -> pd.DataFrame:
    """`SCORED_COLUMNS` for every row of ``frame`` (same order, a fresh RangeIndex); ``frame`` must hold the
    model's features (`model.feature_names`)."""
    features = list(model.feature_names)
    rows = frame[features].reset_index(drop=True)
    p = model.predict_proba(rows)[:, 1]
    tiers = risk_tier(p, cutoffs)
    scored = pd.DataFrame(
        {
            "churn_probability": p.round(4),
            "risk_tier": tiers,
            "reasons": top_reasons(model.contributions(rows), rows, features),
        }
    )
    return pd.concat([scored, playbook_columns(tiers, playbook)], axis=1)


def champion_metric(name: str, version: str, metric: str, *, client: MlflowClient) -> float | None:
    """A metric the model version's training run logged (None if it logged none)."""
    run_id = client.get_model_version(name, version).run_id
    return client.get_run(run_id).data.metrics.get(metric) if run_id else None


def champion_cutoffs(
    tiers: TierSettings, name: str, version: str, *, client: MlflowClient
) -> TierSettings:
    """The tier cut-offs a model version scores with (see `scoring_tiers`: the low tier may start at its profit
    threshold)."""
    return scoring_tiers(tiers, champion_metric(name, version, "profit_threshold", client=client))
