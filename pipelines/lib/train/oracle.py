"""Evaluation only: how good could any model be on the very validation rows? Demo data carries the truth.

The simulator writes `_truth/churn_probability.parquet` beside the demo sources: the true probability it used
for each customer-month. Scoring that true probability against the same labels gives the oracle ROC-AUC, the
ceiling for any model; a model far below it under-fits, a model above it leaks. This module is the only place
that reads `_truth/`, and only to compute this number after training: nothing here feeds training, calibration,
thresholds or scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

TRUTH_FILE = Path("_truth") / "churn_probability.parquet"


def with_truth(source_folder: Path, rows: pd.DataFrame, *, horizon_days: int) -> pd.DataFrame:
    """``rows`` (with customer_id, snapshot_date) that the truth covers, with its ``p_churn`` beside them. Empty
    when there is no truth (real data) or it was made for another horizon."""
    path = source_folder / TRUTH_FILE
    if not path.exists():
        return rows.iloc[0:0].assign(p_churn=pd.Series(dtype=float))
    truth = pd.read_parquet(path, columns=["customer_id", "as_of", "horizon_days", "p_churn"])
    truth = truth[truth["horizon_days"] == horizon_days]
    truth = truth.assign(
        customer_id=truth["customer_id"].astype(str), snapshot_date=pd.to_datetime(truth["as_of"])
    )
    return rows.assign(customer_id=rows["customer_id"].astype(str)).merge(
        truth[["customer_id", "snapshot_date", "p_churn"]], on=["customer_id", "snapshot_date"], how="inner"
    )


def oracle_roc_auc(source_folder: Path, valid: pd.DataFrame, *, horizon_days: int) -> dict[str, float]:
    """``oracle_roc_auc`` of the true p_churn on the validation rows (customer_id, snapshot_date, label), and
    ``oracle_rows`` matched. Empty when there is no truth (real data) or it was made for another horizon."""
    joined = with_truth(
        source_folder, valid[["customer_id", "snapshot_date", "label"]], horizon_days=horizon_days
    )
    if joined.empty or joined["label"].nunique() < 2:
        return {}
    return {
        "oracle_roc_auc": float(roc_auc_score(joined["label"], joined["p_churn"])),
        "oracle_rows": float(len(joined)),
    }
