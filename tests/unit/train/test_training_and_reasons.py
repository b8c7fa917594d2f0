from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.score.reasons import describe, top_reasons
from pipelines.lib.train.training import NotEnoughDataError, evaluate, time_split


def _frame(months: int, per_month: int = 50) -> pd.DataFrame:
    dates = pd.date_range("2024-01-31", periods=months, freq="ME")
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "snapshot_date": np.repeat(dates, per_month),
            "customer_id": np.tile([f"C{i}" for i in range(per_month)], months),
            "label": rng.random(months * per_month) < 0.2,
        }
    ).astype({"label": int})


def test_training_labels_close_before_the_validation_period_starts() -> None:
    split = time_split(_frame(18), validation_months=3, horizon_days=90)
    valid_start = split.valid["snapshot_date"].min()
    assert (split.train["snapshot_date"] + pd.Timedelta(days=90) <= valid_start).all()
    assert split.valid["snapshot_date"].nunique() == 3
    assert not set(zip(split.train.customer_id, split.train.snapshot_date, strict=False)) & set(
        zip(split.valid.customer_id, split.valid.snapshot_date, strict=False)
    )


def test_too_few_months_to_validate_on_later_time_is_an_explicit_error() -> None:
    with pytest.raises(NotEnoughDataError, match="labelled snapshot months"):
        time_split(_frame(3), validation_months=3, horizon_days=90)


def test_metrics_reward_a_ranking_that_puts_churners_first() -> None:
    y = np.array([0, 0, 0, 0, 1, 1])
    perfect = evaluate(y, np.array([0.1, 0.1, 0.2, 0.2, 0.9, 0.8]))
    inverted = evaluate(y, np.array([0.9, 0.8, 0.7, 0.6, 0.1, 0.2]))
    assert perfect["roc_auc"] == 1.0 and inverted["roc_auc"] == 0.0
    assert perfect["brier"] < inverted["brier"]


def test_reasons_read_as_sentences_in_business_words() -> None:
    assert describe("payment_delay_vs_norm", 9.2) == "payments 9 days later than usual"
    assert describe("interactions_yoy_ratio", 0.58) == "42% fewer e-mails, calls and meetings than a year ago"
    assert describe("nps_latest", float("nan")) == "nps latest: no data"
    assert describe("payment_delay_norm", -6.2) == "usually pays 6 days before the due date"
    assert describe("payment_delay_90d", 12) == "pays 12 days after the due date on average"


def test_top_reasons_pick_the_features_that_raise_risk_most() -> None:
    features = ["payment_delay_vs_norm", "logins_30d", "tickets_90d"]
    frame = pd.DataFrame(
        {"payment_delay_vs_norm": [8.0, 0.0], "logins_30d": [3.0, 40.0], "tickets_90d": [5, 0]}
    )
    contrib = np.array([[0.9, 0.4, -0.2, -2.0], [-0.1, -0.3, -0.2, -2.0]])
    reasons = top_reasons(contrib, frame, features)
    assert reasons[0] == "payments 8 days later than usual; 3 logins in the last month"
    assert reasons[1] == "no strong risk signal"


def test_reasons_leave_out_missing_values_and_negligible_pushes() -> None:
    features = ["nps_latest", "tickets_90d", "logins_30d"]
    frame = pd.DataFrame({"nps_latest": [float("nan")], "tickets_90d": [4.0], "logins_30d": [12.0]})
    contrib = np.array([[1.5, 0.6, 0.01, -3.0]])
    assert top_reasons(contrib, frame, features) == ["4 support tickets in the last 3 months"]
