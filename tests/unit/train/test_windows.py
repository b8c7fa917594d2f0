"""Training windows fitted to the history: the configured ones when they fit, smaller ones when not, and an error
that names a setting when even the smallest cannot hold out a later period."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.train.training import NotEnoughDataError
from pipelines.lib.train.windows import fit_windows, largest_horizon_days


def _labelled(months: int, *, customers: int = 60, end: str = "2026-10-31", horizon: int = 120) -> pd.DataFrame:
    """``months`` month-end snapshots of which those whose horizon (plus the grace period) closed by ``end``."""
    dates = pd.date_range(end=end, periods=months, freq="ME")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "snapshot_date": np.repeat(dates, customers),
            "customer_id": np.tile([f"c{i}" for i in range(customers)], months),
            "orders_365d": 1.0,
            "label": (rng.random(months * customers) < 0.2).astype(int),
        }
    )
    return frame[frame["snapshot_date"] + pd.Timedelta(days=horizon) <= pd.Timestamp(end)]


def test_the_configured_windows_stand_when_the_history_fits_them() -> None:
    cfg = RadarConfig()
    windows = fit_windows(_labelled(36), cfg, pd.Timestamp("2026-10-31"))
    assert windows.settings == cfg.training and windows.note is None


def test_a_short_history_gets_smaller_windows_and_says_which() -> None:
    cfg = RadarConfig()
    windows = fit_windows(_labelled(14), cfg, pd.Timestamp("2026-10-31"))
    t = windows.settings
    assert (t.warmup_months, t.validation_months) < (cfg.training.warmup_months, cfg.training.validation_months)
    assert "trained with warm-up" in windows.note
    assert windows.data["snapshot_date"].nunique() >= t.validation_months + t.calibration_months + 1


def test_a_history_too_short_for_the_horizon_names_the_setting_and_a_value_that_fits() -> None:
    with pytest.raises(NotEnoughDataError, match=r"set churn\.horizon_days to at most about \d+ \(now 90\)"):
        fit_windows(_labelled(10), RadarConfig(), pd.Timestamp("2026-10-31"))


def test_the_largest_horizon_it_names_does_train() -> None:
    cfg = RadarConfig.model_validate({"churn": {"definition": "inactivity"}})
    frame = _labelled(10)
    with pytest.raises(NotEnoughDataError, match=r"at most about (\d+)") as caught:
        fit_windows(frame, cfg, pd.Timestamp("2026-10-31"))
    horizon = int(re.search(r"at most about (\d+)", str(caught.value)).group(1))
    shorter = cfg.model_copy(update={"churn": cfg.churn.model_copy(update={"horizon_days": horizon})})
    relabelled = _labelled(10, horizon=horizon)
    assert fit_windows(relabelled, shorter, pd.Timestamp("2026-10-31")).settings.validation_months >= 1
    assert largest_horizon_days(pd.Timestamp("2026-08-31"), pd.Timestamp("2026-10-31")) == 0


def test_a_retrain_is_named_for_the_quarter_of_its_data_not_the_wall_clock() -> None:
    from pipelines.lib.train.quarters import data_quarter

    assert data_quarter("2026-10-01", pd.Timestamp("2026-10-31")) == "2026-10-01"
    assert data_quarter("2026-10-01", pd.Timestamp("2021-05-31")) == "2021-04-01"
