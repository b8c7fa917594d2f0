"""Train the churn model on earlier snapshots and judge it on later ones, never on the same period.

The split respects the label horizon: a training snapshot's label window (snapshot, snapshot + horizon] ends
before the first validation snapshot, so no training label has seen the validation period.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from pipelines.lib.config import TrainingSettings


class NotEnoughDataError(RuntimeError):
    """Too few labelled snapshots or churns to train and validate on separate periods."""


@dataclass(frozen=True)
class TimeSplit:
    train: pd.DataFrame
    valid: pd.DataFrame

    def describe(self) -> dict[str, str | int]:
        return {
            "train_start": self.train["snapshot_date"].min().date().isoformat(),
            "train_end": self.train["snapshot_date"].max().date().isoformat(),
            "valid_start": self.valid["snapshot_date"].min().date().isoformat(),
            "valid_end": self.valid["snapshot_date"].max().date().isoformat(),
            "train_rows": len(self.train),
            "valid_rows": len(self.valid),
            "train_churns": int(self.train["label"].sum()),
            "valid_churns": int(self.valid["label"].sum()),
        }


def time_split(frame: pd.DataFrame, *, validation_months: int, horizon_days: int) -> TimeSplit:
    dates = np.sort(frame["snapshot_date"].unique())
    if len(dates) <= validation_months:
        raise NotEnoughDataError(
            f"only {len(dates)} labelled snapshot months; need more than {validation_months} to validate on later time"
        )
    valid_start = pd.Timestamp(dates[-validation_months])
    train_cutoff = valid_start - pd.Timedelta(days=horizon_days)
    train = frame[frame["snapshot_date"] <= train_cutoff]
    valid = frame[frame["snapshot_date"] >= valid_start]
    for name, part in (("training", train), ("validation", valid)):
        if part["label"].nunique() < 2:
            raise NotEnoughDataError(
                f"the {name} period has {len(part)} snapshots and {int(part['label'].sum())} churns; "
                "both classes are needed"
            )
    return TimeSplit(train=train, valid=valid)


def evaluate(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Stable metric names, logged identically for every retrain so the MLflow UI can compare them."""
    y_true = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    top = max(1, round(len(p) * 0.10))
    order = np.argsort(-p, kind="stable")
    base_rate = float(y_true.mean())
    return {
        "roc_auc": float(roc_auc_score(y_true, p)),
        "pr_auc": float(average_precision_score(y_true, p)),
        "brier": float(brier_score_loss(y_true, p)),
        "log_loss": float(log_loss(y_true, p, labels=[0, 1])),
        "lift_at_10pct": float(y_true[order[:top]].mean() / base_rate) if base_rate > 0 else 0.0,
        "base_rate": base_rate,
    }


def fit_churn_model(split: TimeSplit, features: list[str], settings: TrainingSettings) -> lgb.LGBMClassifier:
    """LightGBM with early stopping on the latest part of the training period (still before validation)."""
    train = split.train
    dates = np.sort(train["snapshot_date"].unique())
    stop_from = pd.Timestamp(dates[int(len(dates) * 0.8)]) if len(dates) >= 5 else None
    params = {
        "n_estimators": settings.n_estimators,
        "learning_rate": settings.learning_rate,
        "num_leaves": settings.num_leaves,
        "min_child_samples": settings.min_child_samples,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
        "random_state": settings.seed,
        "n_jobs": 2,
        "verbose": -1,
    }
    n_estimators = settings.n_estimators
    if stop_from is not None:
        inner, stop = train[train["snapshot_date"] < stop_from], train[train["snapshot_date"] >= stop_from]
        if inner["label"].nunique() == 2 and stop["label"].nunique() == 2:
            probe = lgb.LGBMClassifier(**params).fit(
                inner[features],
                inner["label"],
                eval_set=[(stop[features], stop["label"])],
                callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
            )
            n_estimators = max(20, int(probe.best_iteration_ or settings.n_estimators))
    model = lgb.LGBMClassifier(**{**params, "n_estimators": n_estimators})
    return model.fit(train[features], train["label"])
