"""Which quarters are partitions: from the first whose matured labels can train a model to the newest data's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.train.quarters import trainable_quarters, training_cutoff
from pipelines.lib.train.retrain import model_fingerprint
from pipelines.lib.train.training import NotEnoughDataError
from pipelines.lib.train.windows import fit_windows


def _snapshots(months: int, *, end: str = "2026-10-31", customers: int = 60) -> pd.DataFrame:
    dates = pd.date_range(end=end, periods=months, freq="ME")
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "snapshot_date": np.repeat(dates, customers),
            "customer_id": np.tile([f"c{i}" for i in range(customers)], months),
            "orders_365d": rng.integers(0, 5, months * customers).astype(float),
            "label": (rng.random(months * customers) < 0.2).astype(int),
        }
    )


def test_quarterly_partitions_start_at_the_data_s_first_trainable_quarter_and_end_at_its_newest() -> None:
    cfg, as_of = RadarConfig(), pd.Timestamp("2026-10-31")
    frame = _snapshots(36)
    keys = trainable_quarters(frame, cfg, as_of)
    first = keys[0]
    assert keys[-1] == "2026-10-01"
    assert pd.Timestamp(first) > frame["snapshot_date"].min(), "a quarter needs matured labels behind it"
    assert keys == sorted(keys) and len(keys) == len(pd.date_range(first, "2026-10-01", freq="QS"))
    fit_windows(frame, cfg, training_cutoff(first, as_of))  # the first one trains
    before = (pd.Timestamp(first) - pd.DateOffset(months=3)).date().isoformat()
    with pytest.raises(NotEnoughDataError):
        fit_windows(frame, cfg, training_cutoff(before, as_of))  # the quarter before it could not


def test_a_history_too_short_to_train_has_no_quarter() -> None:
    assert trainable_quarters(_snapshots(6), RadarConfig(), pd.Timestamp("2026-10-31")) == []


def test_the_model_fingerprint_follows_the_training_rows_settings_and_code_not_their_order() -> None:
    cfg, frame = RadarConfig(), _snapshots(12)
    base = model_fingerprint(frame, ["orders_365d"], cfg, code="abc")
    assert model_fingerprint(frame.sample(frac=1, random_state=1), ["orders_365d"], cfg, code="abc") == base
    changed = frame.copy()
    changed.loc[changed.index[0], "label"] = 1 - changed.loc[changed.index[0], "label"]
    assert model_fingerprint(changed, ["orders_365d"], cfg, code="abc") != base
    assert model_fingerprint(frame, ["orders_365d"], cfg, code="def") != base
    noisy = frame.assign(orders_365d=frame["orders_365d"] * (1 + 1e-13))  # a rebuild's last-bit differences
    assert model_fingerprint(noisy, ["orders_365d"], cfg, code="abc") == base
    other = cfg.model_copy(update={"training": cfg.training.model_copy(update={"num_leaves": 8})})
    assert model_fingerprint(frame, ["orders_365d"], other, code="abc") != base


def test_quarters_added_after_the_first_run_s_running_quarter_keep_the_partitions_in_date_order() -> None:
    import dagster as dg

    from pipelines.defs.train.partitions import QUARTERS, add_quarters, latest_quarter

    with dg.instance_for_test() as instance:
        running = latest_quarter(
            instance, as_of=pd.Timestamp("2026-10-31").date()
        )  # a first run, no data yet
        assert running == "2026-10-01"
        added = add_quarters(instance, ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"])
        assert added == ["2026-01-01", "2026-04-01", "2026-07-01"]
        assert instance.get_dynamic_partitions(QUARTERS.name) == [
            "2026-01-01",
            "2026-04-01",
            "2026-07-01",
            running,
        ]
        assert add_quarters(instance, ["2026-04-01", "2026-07-01"]) == []
        assert latest_quarter(instance) == "2026-10-01"
