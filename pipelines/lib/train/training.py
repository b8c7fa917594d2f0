"""Train the churn model on earlier snapshots and judge it on later ones, never on the same period.

Every split respects the label horizon: a training snapshot's label window (snapshot, snapshot + horizon] ends
before the first snapshot it is judged on, so no training label has seen the later period, and one customer-month
is never on both sides. Three periods, oldest first: the booster learns on the first, early stopping and
calibration use the second (the calibration fold), metrics come from the third (validation). Rolling origin
repeats this with the validation block moved back in time (expanding window) to show how stable the result is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from pipelines.lib.core.config import TrainingSettings
from pipelines.lib.train.boosters import shallow_booster
from pipelines.lib.train.calibration import fit_calibrator
from pipelines.lib.train.churn_model import ChurnModel
from pipelines.lib.train.evaluation import evaluate
from pipelines.lib.train.linear_base import LinearBase, fit_linear_base

__all__ = [
    "NotEnoughDataError",
    "TimeSplit",
    "covered_snapshots",
    "evaluate",
    "fit_churn_model",
    "observable_at",
    "time_split",
]


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


# Counts of behaviour: zero everywhere before the behavioural sources begin, whatever else reaches back further.
ACTIVITY_FEATURES = ("orders_365d", "revenue_365d", "interactions_90d", "tickets_90d", "logins_30d")


def covered_snapshots(frame: pd.DataFrame, *, warmup_months: int) -> pd.DataFrame:
    """Snapshots from ``warmup_months`` after the behavioural sources begin.

    Contracts and account creation dates can reach back decades before the exports of orders, e-mails or
    usage start; snapshots from those years have empty activity windows for a reason that has nothing to do
    with the customer, and would teach the model that silence is normal. Behaviour counts as begun in the
    first month in which at least half as many customers show activity as in the busiest month."""
    cols = [c for c in ACTIVITY_FEATURES if c in frame]
    if not cols or frame.empty:
        return frame
    active = (frame[cols].fillna(0) > 0).any(axis=1)
    share = active.groupby(frame["snapshot_date"]).mean()
    start = share.index[share >= 0.5 * share.max()].min()
    return frame[frame["snapshot_date"] >= start + pd.DateOffset(months=warmup_months)]


def observable_at(
    frame: pd.DataFrame, *, cutoff: pd.Timestamp, horizon_days: int, lag_days: int = 0
) -> pd.DataFrame:
    """The labelled snapshots a training run at ``cutoff`` could have known: the label window (plus the lag
    before a churn is confirmed, e.g. the contractual grace period) closed on or before the cutoff."""
    closes = frame["snapshot_date"] + pd.Timedelta(days=horizon_days + lag_days)
    return frame[closes <= pd.Timestamp(cutoff)]


def time_split(
    frame: pd.DataFrame, *, validation_months: int, horizon_days: int, what: str = "validation"
) -> TimeSplit:
    """The latest ``validation_months`` snapshot months against everything whose label closed before them."""
    dates = np.sort(frame["snapshot_date"].unique())
    if len(dates) <= validation_months:
        raise NotEnoughDataError(
            f"only {len(dates)} labelled snapshot months; need more than {validation_months} to hold out a "
            f"{what} period on later time"
        )
    valid_start = pd.Timestamp(dates[-validation_months])
    train_cutoff = valid_start - pd.Timedelta(days=horizon_days)
    train = frame[frame["snapshot_date"] <= train_cutoff]
    valid = frame[frame["snapshot_date"] >= valid_start]
    for name, part in (("training", train), (what, valid)):
        if part["label"].nunique() < 2:
            raise NotEnoughDataError(
                f"the {name} period before {valid_start.date()} has {len(part)} snapshots and "
                f"{int(part['label'].sum())} churns; both classes are needed"
            )
    return TimeSplit(train=train, valid=valid)


@dataclass
class FittedChurnModel:
    model: ChurnModel
    fit: pd.DataFrame  # the older rows the early-stopped booster learnt on
    calibration: pd.DataFrame  # the calibration fold
    # Calibrated probabilities of the early-stopped booster on the calibration fold: out of time, so decisions
    # taken on this fold (the profit threshold) are not judged on rows the final booster has seen.
    calibration_probability: np.ndarray
    best_iteration: int
    refit_iterations: int


def _classifier(settings: TrainingSettings, n_estimators: int) -> lgb.LGBMClassifier:
    balanced = settings.class_weight == "balanced"
    return shallow_booster(
        n_estimators=n_estimators,
        learning_rate=settings.learning_rate,
        num_leaves=settings.num_leaves,
        min_child_samples=settings.min_child_samples,
        class_weight="balanced" if balanced else None,
        # Log loss is smoother than AUC on a few hundred churners, so it stops less by chance; a class-weighted
        # booster's log loss is off by design until calibration, so ranking decides when to stop for it.
        metric="auc" if balanced else "binary_logloss",
        seed=settings.seed,
        n_jobs=2,
    )


def fit_churn_model(
    train: pd.DataFrame, features: list[str], settings: TrainingSettings, *, horizon_days: int
) -> FittedChurnModel:
    """Early stopping and calibration on the latest months of ``train``; then the booster is learnt again on
    all of ``train`` with as many rounds, scaled to the larger set.

    Why the refit: the calibration fold holds the newest behaviour, and a booster that never learns from it is
    months out of date when it scores (the logistic baseline does learn from it). Measured on the demo over four
    quarters: ROC-AUC +0.006 to +0.018 with Brier unchanged; neutral on 10,000 customers. The calibrator stays
    the one fitted on the early-stopped booster's out-of-time scores: both boosters learnt the same function
    with the same number of shrunken rounds, so their scores are on the same scale.
    """
    inner = time_split(
        train, validation_months=settings.calibration_months, horizon_days=horizon_days, what="calibration"
    )
    base_early = fit_linear_base(inner.train, seed=settings.seed) if settings.linear_base == "rfm" else None
    early = _classifier(settings, settings.n_estimators).fit(
        inner.train[features],
        inner.train["label"],
        init_score=_start(base_early, inner.train),
        eval_set=[(inner.valid[features], inner.valid["label"])],
        eval_init_score=None if base_early is None else [base_early.log_odds(inner.valid)],
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
    )
    best_iteration = int(early.booster_.best_iteration or early.booster_.current_iteration())
    early_model = ChurnModel(booster=early.booster_, calibrator=None, base=base_early)  # type: ignore[arg-type]
    calibrator = fit_calibrator(
        _raw(early_model, inner.valid, best_iteration),
        inner.valid["label"].to_numpy(),
        inner.valid["customer_id"].to_numpy(),
    )
    calibration_probability = calibrator.apply(_raw(early_model, inner.valid, best_iteration))
    rows = pd.concat([inner.train, inner.valid])
    rounds = max(1, round(best_iteration * len(rows) / len(inner.train)))
    base = fit_linear_base(rows, seed=settings.seed) if base_early is not None else None
    final = _classifier(settings, rounds).fit(rows[features], rows["label"], init_score=_start(base, rows))
    return FittedChurnModel(
        model=ChurnModel(booster=final.booster_, calibrator=calibrator, base=base),
        fit=inner.train,
        calibration=inner.valid,
        calibration_probability=calibration_probability,
        best_iteration=best_iteration,
        refit_iterations=rounds,
    )


def _start(base: LinearBase | None, frame: pd.DataFrame) -> np.ndarray | None:
    return None if base is None else base.log_odds(frame)


def _raw(model: ChurnModel, frame: pd.DataFrame, iterations: int) -> np.ndarray:
    """The early-stopped model's score at its best iteration, base included: what the calibrator learns on."""
    features = model.feature_names
    if model.base is None:
        return model.booster.predict(frame[features], num_iteration=iterations)
    log_odds = model.booster.predict(frame[features], num_iteration=iterations, raw_score=True)
    return 1.0 / (1.0 + np.exp(-(log_odds + model.base.log_odds(frame))))


@dataclass
class FoldResult:
    valid_start: str
    valid_end: str
    metrics: dict[str, float] = field(default_factory=dict)


def rolling_origin(
    frame: pd.DataFrame,
    features: list[str],
    settings: TrainingSettings,
    *,
    horizon_days: int,
    first_fold: int = 0,
) -> list[FoldResult]:
    """Expanding-window folds: validation blocks of ``validation_months`` stepping back from the newest; each
    trains on everything whose label closed before its block. Folds without enough history are left out.
    ``first_fold=1`` skips the newest block when the caller has already trained on it."""
    dates = np.sort(frame["snapshot_date"].unique())
    results: list[FoldResult] = []
    for k in range(first_fold, settings.folds):
        end = len(dates) - k * settings.validation_months
        if end <= settings.validation_months:
            break
        upto = frame[frame["snapshot_date"] <= pd.Timestamp(dates[end - 1])]
        try:
            split = time_split(upto, validation_months=settings.validation_months, horizon_days=horizon_days)
            fitted = fit_churn_model(split.train, features, settings, horizon_days=horizon_days)
        except NotEnoughDataError:
            break
        p = fitted.model.churn_probability(split.valid)
        window = split.describe()
        results.append(
            FoldResult(
                str(window["valid_start"]), str(window["valid_end"]), evaluate(split.valid["label"], p)
            )
        )
    return results
