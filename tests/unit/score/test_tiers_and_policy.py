from __future__ import annotations

import numpy as np
import pytest

from models_registry.policy import PromotionPolicy, decide
from pipelines.lib.core.config import RadarConfig, TierSettings
from pipelines.lib.score.tiers import cutoffs_line, playbook_columns, risk_tier, scoring_tiers, warning_recall


def test_risk_tiers_follow_the_domain_cut_offs_with_lower_bounds_inclusive() -> None:
    p = np.array([0.0, 0.2999, 0.30, 0.4999, 0.50, 0.6999, 0.70, 1.0])
    assert list(risk_tier(p, TierSettings())) == [
        "none",
        "none",
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_tier_cut_offs_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="0 < low < medium < high < 1"):
        TierSettings(low=0.5, medium=0.4, high=0.7)


def test_the_playbook_gives_high_risk_a_48_hour_senior_conversation() -> None:
    cols = playbook_columns(np.array(["high", "none"], dtype=object), RadarConfig().playbook.tiers)
    assert cols.loc[0, "owner"] == "senior_manager" and cols.loc[0, "sla_hours"] == 48
    assert cols.loc[1, "action"] == "No action"


POLICY = PromotionPolicy.load()
GOOD = {"roc_auc": 0.80, "brier": 0.05}


def test_a_first_candidate_above_the_floor_becomes_champion() -> None:
    d = decide(POLICY, candidate=GOOD, champion=None, drift_share=0.1, gates_passed=True)
    assert d.promote and any("no champion yet" in r for r in d.reasons)


def test_the_first_model_is_promoted_despite_drift_against_its_own_training_months() -> None:
    d = decide(POLICY, candidate=GOOD, champion=None, drift_share=0.9, gates_passed=True, baseline=0.6)
    assert d.promote
    assert any("not blocking for the first model" in r for r in d.reasons)
    assert any("beats the health score" in r for r in d.reasons)


def test_a_first_model_that_does_not_beat_the_health_score_is_held_back() -> None:
    d = decide(POLICY, candidate=GOOD, champion=None, drift_share=0.1, gates_passed=True, baseline=0.9)
    assert not d.promote
    assert any("does not beat the health score" in r for r in d.reasons)


def test_a_first_model_within_noise_of_the_health_score_still_becomes_champion() -> None:
    d = decide(
        POLICY,
        candidate=GOOD,
        champion=None,
        drift_share=0.1,
        gates_passed=True,
        baseline=0.81,
        baseline_gain_interval=(-0.05, 0.02),
    )
    assert d.promote and any("not demonstrably worse" in r for r in d.reasons)
    worse = decide(
        POLICY,
        candidate=GOOD,
        champion=None,
        drift_share=0.1,
        gates_passed=True,
        baseline=0.9,
        baseline_gain_interval=(-0.15, -0.05),
    )
    assert not worse.promote


def test_drift_still_holds_a_challenger_back_once_there_is_a_champion() -> None:
    weak = {**GOOD, "roc_auc": GOOD["roc_auc"] - 0.05}
    d = decide(POLICY, candidate=GOOD, champion=weak, drift_share=0.9, gates_passed=True, baseline=0.6)
    assert not d.promote


def test_a_challenger_must_beat_the_champion_by_the_margin() -> None:
    d = decide(
        POLICY, candidate=GOOD, champion={"roc_auc": 0.799, "brier": 0.05}, drift_share=0.1, gates_passed=True
    )
    assert not d.promote
    d = decide(
        POLICY, candidate=GOOD, champion={"roc_auc": 0.70, "brier": 0.05}, drift_share=0.1, gates_passed=True
    )
    assert d.promote


def test_drift_a_failed_gate_or_worse_calibration_each_block_promotion() -> None:
    weak = {"roc_auc": 0.70, "brier": 0.05}
    assert not decide(POLICY, candidate=GOOD, champion=weak, drift_share=0.9, gates_passed=True).promote
    assert not decide(POLICY, candidate=GOOD, champion=weak, drift_share=0.1, gates_passed=False).promote
    worse_cal = decide(
        POLICY, candidate={"roc_auc": 0.8, "brier": 0.09}, champion=weak, drift_share=0.1, gates_passed=True
    )
    assert not worse_cal.promote and any("brier worse" in r for r in worse_cal.reasons)


def test_drift_that_was_not_there_when_the_champion_was_chosen_holds_a_challenger_back() -> None:
    weak = {"roc_auc": 0.70, "brier": 0.05}
    fresh = ["logins_30d", "page_views_30d", "revenue_90d", "response_hours_avg_90d"]
    d = decide(
        POLICY,
        candidate=GOOD,
        champion=weak,
        drift_share=0.2,
        gates_passed=True,
        new_drift=fresh,
        features_compared=60,
    )
    assert not d.promote
    assert any("did not when the champion was chosen" in r and "share 0.07" in r for r in d.reasons)
    # The same drift with no champion yet does not hold back the first model: there would be nothing to score with.
    assert decide(
        POLICY,
        candidate=GOOD,
        champion=None,
        drift_share=0.2,
        gates_passed=True,
        new_drift=fresh,
        features_compared=60,
    ).promote


def test_the_low_tier_starts_at_the_champions_profit_threshold_when_it_is_below_the_configured_low() -> None:
    tiers = TierSettings()  # low_from_profit is the default
    assert tiers.low_from_profit
    assert scoring_tiers(tiers, 0.17).low == 0.17
    assert (scoring_tiers(tiers, 0.17).medium, scoring_tiers(tiers, 0.17).high) == (0.50, 0.70)
    assert list(risk_tier(np.array([0.10, 0.17, 0.29, 0.31]), scoring_tiers(tiers, 0.17))) == [
        "none",
        "low",
        "low",
        "low",
    ]
    assert cutoffs_line(scoring_tiers(tiers, 0.17), tiers) == (
        "low 17% (the champion's profit threshold), medium 50%, high 70%"
    )


def test_the_low_tier_falls_back_to_the_configured_30_percent_without_a_usable_profit_threshold() -> None:
    tiers = TierSettings()
    assert scoring_tiers(tiers, None).low == 0.30  # a champion that logged no threshold
    assert scoring_tiers(tiers, 0.30).low == 0.30
    assert scoring_tiers(tiers, 0.45).low == 0.30  # a later start would only shorten the list
    assert scoring_tiers(tiers, 0.0).low == 0.30
    assert scoring_tiers(TierSettings(low_from_profit=False), 0.17).low == 0.30  # switched off
    assert cutoffs_line(scoring_tiers(tiers, None), tiers) == "low 30% (configured), medium 50%, high 70%"


def test_the_warnings_recall_is_the_one_measured_at_the_cut_off_scoring_uses() -> None:
    tiers = TierSettings()
    metrics = {"low_recall": 0.1975, "profit_recall": 0.321, "profit_threshold": 0.17}
    assert warning_recall(scoring_tiers(tiers, 0.17), tiers, metrics) == 0.321
    assert warning_recall(scoring_tiers(tiers, None), tiers, metrics) == 0.1975
    assert warning_recall(scoring_tiers(tiers, None), tiers, {"low_recall": float("nan")}) is None


def test_a_candidate_trained_on_older_data_than_the_champion_is_never_promoted_by_the_policy() -> None:
    weak = {"roc_auc": 0.70, "brier": 0.05}
    backfilled = decide(
        POLICY,
        candidate=GOOD,
        champion=weak,
        drift_share=0.1,
        gates_passed=True,
        candidate_cutoff="2026-03-31",
        champion_cutoff="2026-10-31",
    )
    assert not backfilled.promote
    assert any("older than the champion's 2026-10-31" in r for r in backfilled.reasons)
    assert backfilled.figures["candidate_training_cutoff"] == "2026-03-31"
    newer = decide(
        POLICY,
        candidate=GOOD,
        champion=weak,
        drift_share=0.1,
        gates_passed=True,
        candidate_cutoff="2026-10-31",
        champion_cutoff="2026-03-31",
    )
    assert newer.promote and newer.figures["champion_training_cutoff"] == "2026-03-31"
