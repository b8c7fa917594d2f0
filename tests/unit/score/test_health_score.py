from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.score.health_score import fired_signals, health_colour, health_points


def test_coinciding_signals_add_up_to_red_and_a_single_weak_one_stays_green() -> None:
    frame = pd.DataFrame(
        {
            "revenue_trend": [0.7, 0.7, 1.0],
            "payment_delay_vs_norm": [8.0, 0.0, np.nan],
            "tickets_competitor_180d": [1.0, 0.0, 0.0],
        }
    )
    points = health_points(frame)
    assert list(points) == [1 + 2 + 3, 1, 0]
    assert list(health_colour(points)) == ["red", "green", "green"]


def test_missing_sources_fire_nothing_and_say_so() -> None:
    frame = pd.DataFrame({"orders_90d": [3.0]})
    assert health_points(frame).tolist() == [0]
    assert fired_signals(frame) == ["no warning signal"]


def test_fired_signals_are_listed_strongest_first() -> None:
    frame = pd.DataFrame({"revenue_trend": [0.5], "tickets_competitor_180d": [2.0]})
    assert fired_signals(frame) == [
        "tickets about data export or compatibility; revenue down 20% or more on the 3 months before"
    ]
