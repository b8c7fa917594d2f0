from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import TierSettings
from pipelines.lib.train.calibration import Calibrator, fit_calibrator
from pipelines.lib.train.evaluation import lift_at, tier_metrics
from pipelines.lib.train.oracle import oracle_roc_auc
from pipelines.lib.train.profit import best_threshold, profit_curve
from pipelines.lib.train.quarters import previous_quarter_key, quarter_key, training_cutoff
from pipelines.lib.train.training import covered_snapshots, observable_at


def test_calibration_turns_overconfident_scores_into_observed_rates() -> None:
    rng = np.random.default_rng(0)
    true_p = rng.uniform(0, 0.3, 6000)
    y = (rng.random(6000) < true_p).astype(int)
    raw = np.clip(true_p * 3, 0, 0.99)  # a class-weighted booster overstates risk like this
    calibrator = fit_calibrator(raw, y, np.arange(6000) % 500)
    p = calibrator.apply(raw)
    assert abs(p.mean() - y.mean()) < 0.01
    assert (
        calibrator.scores[f"calibration_brier_{calibrator.method}"]
        < calibrator.scores["calibration_brier_uncalibrated"]
    )
    again = Calibrator.from_dict(calibrator.to_dict())
    np.testing.assert_allclose(again.apply(raw), p)


def test_tier_metrics_count_warnings_at_or_above_each_threshold() -> None:
    y = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.75, 0.72, 0.55, 0.1, 0.05])
    m = tier_metrics(y, p, TierSettings())
    assert m["high_precision"] == pytest.approx(2 / 3)
    assert m["high_recall"] == pytest.approx(2 / 3)
    assert m["high_fpr"] == pytest.approx(1 / 3)
    assert m["medium_fpr"] == pytest.approx(2 / 3)


def test_lift_at_ten_percent_is_the_churn_rate_of_the_top_tenth_over_the_base_rate() -> None:
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)
    score = np.array([1.0] + [0.0] * 19)
    assert lift_at(y, score, 0.05) == pytest.approx(10.0)


def test_profit_is_highest_where_contacting_stops_paying() -> None:
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.3, 0.1])
    value = np.array([10_000.0, 10_000, 10_000, 10_000, 10_000])
    curve = profit_curve(y, p, value, cost=500, success_rate=0.3, thresholds=np.array([0.05, 0.5, 0.7, 0.95]))
    # contacting the two churners: 2 * (0.3 * 10000 - 500); adding a stayer only costs 500 more
    assert curve.set_index("threshold").loc[0.7, "realised_profit"] == pytest.approx(5000)
    assert curve.set_index("threshold").loc[0.5, "realised_profit"] == pytest.approx(4500)
    assert best_threshold(curve) == (0.7, pytest.approx(5000))


def test_a_quarter_trains_on_data_up_to_its_last_day_or_the_newest_data() -> None:
    assert quarter_key(dt.date(2026, 8, 15)) == "2026-07-01"
    assert training_cutoff("2026-04-01", dt.date(2026, 10, 31)) == pd.Timestamp("2026-06-30")
    assert training_cutoff("2026-10-01", dt.date(2026, 10, 31)) == pd.Timestamp("2026-10-31")
    assert previous_quarter_key(dt.date(2027, 1, 1)) == "2026-10-01"


def test_a_retrain_sees_only_labels_whose_window_had_closed_at_its_cutoff() -> None:
    frame = pd.DataFrame({"snapshot_date": pd.date_range("2025-01-31", periods=12, freq="ME"), "label": 0})
    seen = observable_at(frame, cutoff=pd.Timestamp("2025-09-30"), horizon_days=90, lag_days=30)
    assert (seen["snapshot_date"] + pd.Timedelta(days=120) <= pd.Timestamp("2025-09-30")).all()
    assert seen["snapshot_date"].max() == pd.Timestamp("2025-05-31")


def test_snapshots_from_before_the_behavioural_sources_begin_are_left_out() -> None:
    dates = pd.date_range("2020-01-31", periods=30, freq="ME")
    frame = pd.DataFrame(
        {"snapshot_date": np.repeat(dates, 10), "orders_365d": np.repeat((dates >= "2021-01-01") * 3.0, 10)}
    )
    kept = covered_snapshots(frame, warmup_months=6)
    assert kept["snapshot_date"].min() == pd.Timestamp("2021-07-31")


def test_the_oracle_scores_the_true_probability_on_the_very_validation_rows(tmp_path) -> None:
    (tmp_path / "_truth").mkdir()
    pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "as_of": pd.to_datetime(["2026-01-31"] * 4),
            "horizon_days": 90,
            "p_churn": [0.9, 0.1, 0.2, 0.8],
        }
    ).to_parquet(tmp_path / "_truth" / "churn_probability.parquet")
    valid = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "snapshot_date": pd.to_datetime(["2026-01-31"] * 3),
            "label": [1, 0, 0],
        }
    )
    assert oracle_roc_auc(tmp_path, valid, horizon_days=90) == {"oracle_roc_auc": 1.0, "oracle_rows": 3.0}
    assert oracle_roc_auc(tmp_path / "nowhere", valid, horizon_days=90) == {}


def test_the_gain_over_a_baseline_comes_with_a_customer_bootstrap_interval() -> None:
    from sklearn.metrics import roc_auc_score

    from pipelines.lib.train.evaluation import auc_gain_interval

    rng = np.random.default_rng(1)
    customers = np.repeat(np.arange(400), 3)  # three months per customer, as in a validation period
    y = (rng.random(customers.size) < 0.1).astype(int)
    informative = y + rng.normal(0, 0.6, y.size)
    noise = rng.normal(0, 1, y.size)
    low, high = auc_gain_interval(y, informative, noise, customers, seed=1)
    assert 0 < low < high  # a real gain: the whole interval is above zero
    low, high = auc_gain_interval(y, noise, informative, customers, seed=1)
    assert low < high < 0
    assert auc_gain_interval(y, noise, noise, customers, seed=1) == (0.0, 0.0)
    blurred = informative + rng.normal(0, 0.6, y.size)
    gain = roc_auc_score(y, informative) - roc_auc_score(y, blurred)
    low, high = auc_gain_interval(y, informative, blurred, customers, seed=1)
    assert low < gain < high
