"""The hold-out on real DuckDB and small frames: random, stable, excluded from alerts, and its retention figures."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import ConfigError, RadarConfig, load_config
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.score import alerts, holdout

KEY = b"k" * 32


def _scores(n: int, *, as_of: str = "2026-01-31", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1, n)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "as_of": as_of,
            "churn_probability": p,
            "risk_tier": np.select([p >= 0.7, p >= 0.5, p >= 0.2], ["high", "medium", "low"], "none"),
            "reasons": "fewer logins",
            "action": "call",
            "owner": "senior_manager",
            "sla_hours": 48.0,
            "predicted_revenue_12m": 1000.0,
        }
    )


def test_the_hold_out_is_the_configured_share_of_each_warned_tier_and_unrelated_to_the_risk() -> None:
    scores = holdout.mark(_scores(10_000), share=0.2, key=KEY, salt="s")
    for tier in holdout.WARN_TIERS:
        share = scores.loc[scores["risk_tier"] == tier, "holdout"].mean()
        assert share == pytest.approx(0.2, abs=0.03), tier  # ± 3 points: > 4 standard errors at ~2,000 per tier
    assert not scores.loc[scores["risk_tier"] == "none", "holdout"].any()
    warned = scores[scores["risk_tier"] != "none"]
    assert abs(np.corrcoef(warned["holdout"], warned["churn_probability"])[0, 1]) < 0.03
    assert (scores.loc[scores["holdout"], "action"] == holdout.ACTION).all()
    assert (scores.loc[scores["holdout"], "owner"] == "none").all()


def test_the_same_customer_stays_held_out_across_runs_months_and_a_larger_share() -> None:
    january = holdout.mark(_scores(2_000), share=0.1, key=KEY, salt="s")
    again = holdout.mark(_scores(2_000), share=0.1, key=KEY, salt="s")
    # Another month: new probabilities (so other tiers), same customers.
    february = holdout.mark(_scores(2_000, as_of="2026-02-28", seed=1), share=0.1, key=KEY, salt="s")
    assert january["holdout"].equals(again["holdout"])
    both_warned = (january["risk_tier"] != "none") & (february["risk_tier"] != "none")
    assert january.loc[both_warned, "holdout"].equals(february.loc[both_warned, "holdout"])
    wider = holdout.mark(_scores(2_000), share=0.3, key=KEY, salt="s")
    assert wider.loc[january["holdout"], "holdout"].all()
    other_salt = holdout.mark(_scores(2_000), share=0.1, key=KEY, salt="t")
    assert not other_salt["holdout"].equals(january["holdout"])


def test_the_key_of_the_data_home_keeps_the_draw_stable_between_processes(tmp_path: Path) -> None:
    ids = [f"C{i}" for i in range(50)]
    first = holdout.draws(ids, key=key_for(tmp_path), salt="s")
    assert np.array_equal(first, holdout.draws(ids, key=key_for(tmp_path), salt="s"))
    assert ((first >= 0) & (first < 1)).all()


def test_a_share_of_zero_holds_nobody_out_and_records_nothing() -> None:
    con = duckdb.connect()
    scores = holdout.mark(_scores(500), share=0.0, key=KEY, salt="s")
    assert not scores["holdout"].any()
    assert holdout.record(con, scores, share=0.0) == 0
    assert con.execute(f"select count(*) from scores.{holdout.TABLE}").fetchone() == (0,)


def test_held_out_customers_are_never_alerted() -> None:
    con = duckdb.connect()
    scores = holdout.mark(_scores(1_000), share=0.3, key=KEY, salt="s")
    sent = alerts.alerts_to_send(con, scores, min_tier="low")
    held = set(scores.loc[scores["holdout"], "customer_id"])
    assert held and not held & set(sent["customer_id"])
    assert set(sent["customer_id"]) == set(scores.loc[~scores["holdout"] & (scores["risk_tier"] != "none"), "customer_id"])


def test_the_assignments_are_recorded_once_per_scoring_date() -> None:
    con = duckdb.connect()
    scores = holdout.mark(_scores(400), share=0.25, key=KEY, salt="s")
    held = holdout.record(con, scores, share=0.25)
    holdout.record(con, scores, share=0.25)  # a re-run replaces, not adds
    rows = con.execute(f"select count(*), sum(holdout::int) from scores.{holdout.TABLE}").fetchone()
    assert rows == ((scores["risk_tier"] != "none").sum(), held)


def _wilson(r: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = r / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_the_incremental_retention_and_its_interval_are_newcombes_by_hand() -> None:
    # High tier: 40 treated, 30 retained; 20 held out, 10 retained. Medium: treated only.
    frame = pd.DataFrame(
        {
            "risk_tier": ["high"] * 60 + ["medium"] * 5,
            "holdout": [False] * 40 + [True] * 20 + [False] * 5,
            "retained": [1] * 30 + [0] * 10 + [1] * 10 + [0] * 10 + [1] * 5,
            "predicted_revenue_12m": [100.0] * 65,
        }
    )
    out = holdout.incremental_retention(frame).set_index("risk_tier")
    high = out.loc["high"]
    p1, p2 = 30 / 40, 10 / 20
    (l1, u1), (l2, u2) = _wilson(30, 40), _wilson(10, 20)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high_ci = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert high["difference"] == pytest.approx(0.25)
    assert (high["ci_low"], high["ci_high"]) == pytest.approx((low, high_ci), abs=1e-9)
    assert high["incremental_retained"] == pytest.approx(10.0)  # 0.25 × 40 treated
    assert high["realised_value"] == pytest.approx(0.25 * 40 * 100.0)
    assert math.isnan(out.loc["medium", "difference"])  # nobody held out: no comparison
    assert out.loc["all", "treated"] == 45


def test_outcomes_take_the_treated_from_interventions_and_the_hold_out_from_realised_churn() -> None:
    con = duckdb.connect()
    scores = pd.DataFrame(
        {
            "customer_id": ["T1", "T2", "T3", "H1", "H2"],
            "as_of": "2026-01-31",
            "risk_tier": "high",
            "churn_probability": 0.8,
            "predicted_revenue_12m": 500.0,
            "holdout": [False, False, False, True, True],
        }
    )
    holdout.record(con, scores, share=0.4)
    con.execute("create schema marts")
    con.execute(
        "create table marts.churn_labels as select * from (values "
        "('H1', date '2026-01-31', true, true), ('H2', date '2026-01-31', true, false), "
        "('T1', date '2026-01-31', true, true)) as t(customer_id, snapshot_date, is_labelled, "
        "churned_within_horizon)"
    )
    interventions = pd.DataFrame(
        {
            "customer_id": ["T1", "T2", "T3", "T1"],
            "contacted_at": pd.to_datetime(["2026-02-03", "2026-02-04", "2026-02-05", "2025-12-01"]),
            "outcome": ["retained", "churned", "pending", "churned"],
        }
    )
    out = holdout.outcomes(con, interventions).set_index("customer_id")["retained"].to_dict()
    # T1's December contact predates the warning; T3 is still pending.
    assert out == {"T1": 1, "T2": 0, "H1": 0, "H2": 1}


def test_a_share_of_one_or_more_is_a_configuration_error_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "radar.yaml"
    config.write_text("playbook:\n  holdout_share: 1\n")
    with pytest.raises(ConfigError, match=r"playbook\.holdout_share: .*below 1") as info:
        load_config(config)
    assert "\n" not in str(info.value)
    config.write_text("playbook:\n  holdout_share: 0.1\n")
    loaded = load_config(config)
    assert loaded.playbook.holdout_share == 0.1
    assert loaded.playbook.tiers == RadarConfig().playbook.tiers
