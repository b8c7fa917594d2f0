from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.score.priority import prioritise

TIERS = ["VIP", "Premium", "Standard", "Basic"]


def test_a_vip_at_high_risk_comes_first_and_risk_outranks_value() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["basic_high", "vip_medium", "vip_high", "std_high_likelier", "unknown"],
            "churn_probability": [0.80, 0.60, 0.72, 0.90, 0.10],
            "risk_tier": ["high", "medium", "high", "high", "none"],
        }
    )
    value = pd.DataFrame(
        {
            "customer_id": ["basic_high", "vip_medium", "vip_high", "std_high_likelier"],
            "predicted_revenue_12m": [1_000.0, 90_000.0, 100_000.0, 8_000.0],
            "clv": [2_000.0, 200_000.0, 250_000.0, 10_000.0],
            "value_tier": ["Basic", "VIP", "VIP", "Standard"],
            "service_level": ["48 h", "2 h", "2 h", "24 h"],
            "response_hours": [48, 2, 2, 24],
        }
    )
    out = prioritise(scores, value, value_tiers=TIERS)
    assert list(out["customer_id"]) == [
        "vip_high",
        "std_high_likelier",
        "basic_high",
        "vip_medium",
        "unknown",
    ]
    assert list(out["priority"]) == [1, 2, 3, 4, 5]
    assert out.loc[0, "revenue_at_risk"] == 72_000.0
    assert np.isnan(out.loc[4, "revenue_at_risk"]) and pd.isna(out.loc[4, "value_tier"])


def test_scores_without_any_value_yet_still_get_a_priority() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "churn_probability": [np.nan, np.nan],
            "risk_tier": ["medium", "high"],
            "health_points": [3, 6],
        }
    )
    empty = pd.DataFrame(
        columns=[
            "customer_id",
            "predicted_revenue_12m",
            "clv",
            "value_tier",
            "service_level",
            "response_hours",
        ]
    )
    out = prioritise(scores, empty, value_tiers=TIERS)
    assert list(out["customer_id"]) == ["b", "a"]
    assert out["revenue_at_risk"].isna().all()
