"""Training windows that fit the history at hand.

The defaults (6 warm-up months, 3 calibration and 3 validation months, each period separated from the next by the
label horizon) suit the demo's three years. A company with 12 to 24 months of orders has too few labelled
months for them, and a run that then stops with "both classes are needed" names nothing a user can change.
So the retrain tries the defaults first and then smaller windows, in an order that gives up warm-up before
validation months, and logs what it chose; when even the smallest cannot hold out a later period, the error
names the setting and a value that would work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.lib.core.config import RadarConfig, TrainingSettings
from pipelines.lib.train import training


@dataclass(frozen=True)
class Windows:
    settings: TrainingSettings
    data: pd.DataFrame  # the labelled snapshots the retrain may learn and judge on
    note: str | None  # what was changed from the configuration, and why; None when nothing was


def _candidates(t: TrainingSettings) -> list[tuple[int, int, int]]:
    """(warm-up, calibration, validation) months, the configured ones first, then smaller ones."""
    options = [
        (t.warmup_months, t.calibration_months, t.validation_months),
        (min(t.warmup_months, 3), t.calibration_months, t.validation_months),
        (min(t.warmup_months, 3), min(t.calibration_months, 2), min(t.validation_months, 2)),
        (min(t.warmup_months, 1), min(t.calibration_months, 2), min(t.validation_months, 2)),
        (min(t.warmup_months, 1), 1, 1),
        (0, min(t.calibration_months, 2), min(t.validation_months, 2)),
        (0, 1, 1),
    ]
    return list(dict.fromkeys(options))


def _observable(frame: pd.DataFrame, cfg: RadarConfig, cutoff: pd.Timestamp, warmup: int) -> pd.DataFrame:
    data = training.covered_snapshots(frame, warmup_months=warmup)
    data = training.observable_at(
        data, cutoff=cutoff, horizon_days=cfg.churn.horizon_days, lag_days=cfg.churn.confirmation_lag_days
    )
    return data[data["snapshot_date"] <= cutoff]


def _fits(data: pd.DataFrame, settings: TrainingSettings, horizon_days: int) -> bool:
    labels = data[["snapshot_date", "label"]]
    try:
        split = training.time_split(labels, validation_months=settings.validation_months, horizon_days=horizon_days)
        training.time_split(
            split.train,
            validation_months=settings.calibration_months,
            horizon_days=horizon_days,
            what="calibration",
        )
    except training.NotEnoughDataError:
        return False
    return True


def largest_horizon_days(
    first_snapshot: pd.Timestamp, cutoff: pd.Timestamp, *, lag_days: int = 0, below: int = 3650
) -> int:
    """The longest horizon (under ``below`` days) with which month-end snapshots from ``first_snapshot`` to
    ``cutoff`` could train on the smallest windows, or 0 if none. It replays the same splits on the snapshot dates
    alone (both classes assumed present), so the answer follows the real rule: the newest months wait a horizon
    (plus the confirmation lag) for their labels, and training, calibration and validation lie a horizon apart."""
    dates = pd.date_range(first_snapshot, cutoff, freq="ME")
    smallest = TrainingSettings(warmup_months=0, calibration_months=1, validation_months=1)
    for horizon in range(below - 1, 6, -1):
        labelled = dates[dates + pd.Timedelta(days=horizon + lag_days) <= cutoff]
        grid = pd.DataFrame(
            {"snapshot_date": np.repeat(labelled, 2), "label": np.tile([0, 1], len(labelled))}
        )
        if len(grid) and _fits(grid, smallest, horizon):
            return horizon
    return 0


def fit_windows(frame: pd.DataFrame, cfg: RadarConfig, cutoff: pd.Timestamp) -> Windows:
    """The configured windows if they fit the history up to ``cutoff``, else the first smaller set that does."""
    t, horizon = cfg.training, cfg.churn.horizon_days
    for warmup, calibration, validation in _candidates(t):
        settings = t.model_copy(
            update={"warmup_months": warmup, "calibration_months": calibration, "validation_months": validation}
        )
        data = _observable(frame, cfg, cutoff, warmup)
        if _fits(data, settings, horizon):
            changed = settings != t
            note = (
                f"the history up to {cutoff.date()} is too short for the configured windows (warm-up "
                f"{t.warmup_months}, calibration {t.calibration_months}, validation {t.validation_months} "
                f"months); trained with warm-up {warmup}, calibration {calibration}, validation {validation}"
                if changed
                else None
            )
            return Windows(settings=settings, data=data, note=note)
    labelled = _observable(frame, cfg, cutoff, 0)
    churns = int(labelled["label"].sum()) if len(labelled) else 0
    fit = (
        largest_horizon_days(
            frame["snapshot_date"].min(), cutoff, lag_days=cfg.churn.confirmation_lag_days, below=horizon
        )
        if len(frame)
        else 0
    )
    advice = f"set churn.horizon_days to at most about {fit} (now {horizon})" if fit else "deliver a longer history"
    raise training.NotEnoughDataError(
        f"cannot hold out a later period to validate on: {labelled['snapshot_date'].nunique()} labelled "
        f"snapshot months with {churns} churns up to {cutoff.date()} (each month needs churn.horizon_days="
        f"{horizon} after it to be labelled, and training, calibration and validation are a horizon apart); "
        f"{advice}"
    )
