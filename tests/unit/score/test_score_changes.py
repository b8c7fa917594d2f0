from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import TierSettings, TrainingSettings
from pipelines.lib.score.score_changes import (
    NEW,
    NO_CHANGE,
    largest_risers,
    moved_by,
    moved_phrase,
    score_changes,
)
from pipelines.lib.train.training import fit_churn_model

FEATURES = ["payment_delay_vs_norm", "logins_30d", "tickets_90d"]


@pytest.fixture(scope="module")
def model():
    """A real calibrated LightGBM churn model on a generated company whose churn rises with late payments and
    falls with logins (tickets are noise)."""
    rng = np.random.default_rng(7)
    months, customers = 14, 400
    n = months * customers
    delay = rng.gamma(2, 3, n)
    logins = rng.poisson(20, n).astype(float)
    risk = 1 / (1 + np.exp(-(-3.5 + 0.3 * delay - 0.08 * logins)))
    frame = pd.DataFrame(
        {
            "snapshot_date": np.repeat(pd.date_range("2024-01-31", periods=months, freq="ME"), customers),
            "customer_id": np.tile([f"C{i}" for i in range(customers)], months),
            "payment_delay_vs_norm": delay,
            "logins_30d": logins,
            "tickets_90d": rng.poisson(2, n).astype(float),
            "label": (rng.random(n) < risk).astype(int),
        }
    )
    settings = TrainingSettings(min_child_samples=50, calibration_months=3)
    return fit_churn_model(frame, FEATURES, settings, horizon_days=90).model


def _snapshot(date: str, rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"customer_id": c, "snapshot_date": pd.Timestamp(date), **dict(zip(FEATURES, v, strict=True))}
            for c, v in rows.items()
        ]
    )


def test_a_customer_whose_payments_slipped_is_explained_by_the_payment_delay_and_a_new_one_is_new(
    model,
) -> None:
    previous = _snapshot("2026-09-30", {"C1": (2.0, 20.0, 2.0), "C2": (3.0, 25.0, 1.0)})
    current = _snapshot(
        "2026-10-31", {"C1": (9.0, 20.0, 2.0), "C2": (3.0, 25.0, 1.0), "C3": (5.0, 10.0, 0.0)}
    )
    cutoffs = TierSettings()
    changes = score_changes(model, current, previous, cutoffs=cutoffs)

    p_now = model.churn_probability(current[FEATURES]).round(4)
    p_before = model.churn_probability(previous[FEATURES]).round(4)
    slipped, steady, new = changes.iloc[0], changes.iloc[1], changes.iloc[2]
    assert slipped["moved_by"].split("; ")[0] == "payments 9 days later than usual, up from 2"
    assert slipped["previous_churn_probability"] == pytest.approx(p_before[0])
    assert slipped["probability_change"] == pytest.approx(p_now[0] - p_before[0], abs=1e-4)
    assert slipped["probability_change"] > 0
    assert str(slipped["previous_as_of"]) == "2026-09-30"
    assert steady["probability_change"] == 0 and steady["moved_by"] == NO_CHANGE
    assert new["moved_by"] == NEW
    assert (
        new[["previous_as_of", "previous_churn_probability", "probability_change", "previous_risk_tier"]]
        .isna()
        .all()
    )


def test_a_falling_score_names_what_fell_and_leaves_out_unchanged_values() -> None:
    features = ["payment_delay_vs_norm", "logins_30d", "tickets_90d"]
    before = np.array([[8.0, 5.0, 3.0]])
    now = np.array([[2.0, 5.0, 6.0]])
    # The logins' contribution fell most, but their value is the same: an interaction, not a reason.
    contrib_before = np.array([[0.9, 0.6, 0.1, -3.0]])
    contrib_now = np.array([[0.2, -0.5, 0.3, -3.0]])
    reasons = moved_by(contrib_now, contrib_before, now, before, features, rising=np.array([False]))
    assert reasons == ["payments 2 days later than usual, down from 8"]
    rising = moved_by(contrib_now, contrib_before, now, before, features, rising=np.array([True]))
    assert rising == ["6 support tickets in the last 3 months, up from 3"]


def test_moves_read_in_the_templates_words_when_a_number_alone_would_not() -> None:
    assert moved_phrase("payment_delay_vs_norm", 4.0, -3.0) == (
        "payments 4 days later than usual (before: payments 3 days earlier than usual)"
    )
    assert moved_phrase("login_trend", 0.5, 1.0) == (
        "50% fewer logins than in the 3 months before (before: 0% more logins than in the 3 months before)"
    )
    assert moved_phrase("nps_latest", float("nan"), 8.0) == "nps latest: no data (before: last NPS answer 8)"
    assert moved_phrase("order_gap_cv_365d", 0.81, 0.79) == (
        "irregular ordering over the year (gap spread 0.8× the mean gap), up a little"
    )
    assert moved_phrase("payments_90d", 1.0, 2.0) == "1 payment in the last 3 months, down from 2"


def test_the_largest_risers_are_the_customers_whose_probability_rose_most() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "churn_probability": [0.5, 0.2, 0.4, 0.1, 0.3],
            "probability_change": [0.10, -0.2, 0.30, np.nan, 0.10],
            "moved_by": ["x", "y", "z", NEW, "w"],
        }
    )
    risers = largest_risers(scores, n=2)
    assert risers["customer_id"].tolist() == ["C", "A"]
    assert largest_risers(scores)["customer_id"].tolist() == ["C", "A", "E"]


def test_on_the_first_snapshot_every_customer_is_new(model) -> None:
    current = _snapshot("2026-10-31", {"C1": (9.0, 20.0, 2.0), "C2": (3.0, 25.0, 1.0)})
    changes = score_changes(model, current, current.iloc[0:0], cutoffs=TierSettings())
    assert changes["moved_by"].tolist() == [NEW, NEW]
    assert changes["probability_change"].isna().all()
