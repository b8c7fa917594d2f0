"""The evidence a promotion decision weighs besides the holdout: what the training and drift steps logged on a
model's MLflow run (drift share and drifted features, the baseline and its bootstrap interval, the cutoff)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from mlflow import MlflowClient


@dataclass(frozen=True)
class RunEvidence:
    drift_share: float | None
    drifted: frozenset[str]
    features_compared: int
    cutoff: str | None
    baseline_roc_auc: float | None
    baseline_gain_interval: tuple[float, float] | None


def run_evidence(client: MlflowClient, run_id: str, *, baseline: str = "health_score") -> RunEvidence:
    """What run ``run_id`` logged; ``baseline`` names the baseline whose ROC-AUC gain the policy checks."""
    data = client.get_run(run_id).data
    low = data.metrics.get(f"roc_auc_gain_vs_{baseline}_ci_low")
    high = data.metrics.get(f"roc_auc_gain_vs_{baseline}_ci_high")
    return RunEvidence(
        drift_share=data.metrics.get("drift_share"),
        drifted=frozenset(c for c in data.tags.get("drifted_features", "").split(",") if c),
        features_compared=int(data.metrics.get("drift_columns_compared", 0)),
        cutoff=data.tags.get("training_cutoff"),
        baseline_roc_auc=data.metrics.get(f"baseline_{baseline}_roc_auc"),
        baseline_gain_interval=(low, high) if low is not None and high is not None else None,
    )


def version_evidence(client: MlflowClient, name: str, version: str) -> RunEvidence:
    """`run_evidence` of the run that trained version ``version`` of model ``name``."""
    return run_evidence(client, client.get_model_version(name, version).run_id)


def holdout(labelled: pd.DataFrame, window: dict[str, str]) -> pd.DataFrame:
    """The candidate's own validation months (its window decides: its warm-up may be shorter than configured
    when the history is short), the rows both models are judged on."""
    return labelled[labelled["snapshot_date"].between(window["valid_start"], window["valid_end"])]


def gates_passed(gate_rows: pd.DataFrame) -> bool:
    """Whether every gate that blocks passed (a history gate that only warned, `gates.short_history: warn`, does
    not hold a model back); False when no gate was recorded at all."""
    blocking = gate_rows[gate_rows["blocking"].astype(bool)]
    return bool(len(gate_rows)) and bool(blocking["passed"].all())
