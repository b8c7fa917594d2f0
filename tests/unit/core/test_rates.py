"""One definition of how warnings turned out, with NaN, never 0, where a rate has no denominator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.lib.core import rates
from pipelines.lib.core.config import TierSettings
from pipelines.lib.monitor.performance import tier_table
from pipelines.lib.report.kpis import warning_kpis
from pipelines.lib.train.evaluation import tier_metrics


def test_rates_follow_their_definitions() -> None:
    warned = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    churned = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    assert rates.warning_rates(warned, churned) == {"precision": 2 / 3, "recall": 2 / 3, "fpr": 1 / 3}


def test_nobody_warned_no_churner_or_no_stayer_is_undefined_not_zero() -> None:
    none_warned = rates.warning_rates(np.zeros(4, dtype=bool), np.array([1, 0, 0, 0], dtype=bool))
    assert math.isnan(none_warned["precision"]) and none_warned["recall"] == 0.0
    all_stayed = rates.warning_rates(np.array([1, 0], dtype=bool), np.zeros(2, dtype=bool))
    assert math.isnan(all_stayed["recall"]) and all_stayed["fpr"] == 0.5
    assert np.isnan(rates.precision(np.array([0, 1]), np.array([0, 1]))[0])


def test_training_metrics_realised_performance_and_kpis_agree_on_the_same_warnings() -> None:
    churned = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.6, 0.55, 0.1, 0.2, 0.1, 0.35, 0.05])
    tiers = TierSettings()
    trained = tier_metrics(churned, p, tiers)
    tier = np.where(p >= 0.7, "high", np.where(p >= 0.5, "medium", np.where(p >= 0.3, "low", "none")))
    realised = tier_table(pd.DataFrame({"risk_tier": tier, "label": churned})).set_index("risk_tier")
    kpis = warning_kpis(
        pd.DataFrame({"as_of": "2026-01-31", "risk_tier": tier, "churned": churned.astype(bool)}),
        warn_tiers=["medium", "high"],
    ).iloc[0]
    assert trained["medium_precision"] == realised.loc["medium", "precision_at_or_above"] == kpis["precision"]
    assert trained["medium_fpr"] == realised.loc["medium", "false_positive_rate_at_or_above"]
    assert trained["medium_fpr"] == kpis["false_positive_rate"]
    assert trained["medium_recall"] == kpis["recall"]
    assert math.isnan(trained["high_precision"]) is False and trained["high_precision"] == 1.0
