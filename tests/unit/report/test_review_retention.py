"""The review's incremental retention: the figures from a hand-built warehouse, and one line when data is missing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.report.review import build_review
from pipelines.lib.score import holdout

TITLE = "Incremental retention (treated vs hold-out)"
CONFIG = RadarConfig.model_validate({"playbook": {"holdout_share": 0.25}})


def _home(tmp_path: Path, *, interventions: bool) -> RadarPaths:
    """High tier: 8 treated (6 retained by interventions.csv), 4 held out (2 churned by the labels)."""
    paths = RadarPaths(tmp_path / "home")
    paths.home.mkdir(parents=True)
    ids = [f"T{i}" for i in range(8)] + [f"H{i}" for i in range(4)]
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "as_of": "2026-01-31",
            "risk_tier": "high",
            "churn_probability": 0.8,
            "predicted_revenue_12m": 1000.0,
            "holdout": [False] * 8 + [True] * 4,
        }
    )
    with duckdb.connect(str(paths.warehouse)) as con:
        holdout.record(con, scores, share=0.25)
        con.execute("create schema marts")
        con.execute(
            """create table marts.churn_labels as select * from (values
               ('H0', date '2026-01-31', true, true), ('H1', date '2026-01-31', true, true),
               ('H2', date '2026-01-31', true, false), ('H3', date '2026-01-31', true, false))
               as t(customer_id, snapshot_date, is_labelled, churned_within_horizon)"""
        )
    if interventions:
        outcomes = ["retained"] * 6 + ["churned"] * 2
        rows = "\n".join(f"T{i},2026-02-10,{o}" for i, o in enumerate(outcomes))
        (paths.home / "interventions.csv").write_text("customer_id,contacted_at,outcome\n" + rows + "\n")
    return paths


def test_the_review_reports_treated_against_hold_out_with_the_programme_value(tmp_path: Path) -> None:
    review = build_review(_home(tmp_path, interventions=True), CONFIG)
    doc = review.path.read_text(encoding="utf-8")
    assert TITLE in review.sections and TITLE not in review.missing
    # 6/8 retained treated vs 2/4 held out: +25 points, 0.25 × 8 = 2 customers, × 1,000 revenue each.
    assert review.headline["incremental_retention"] == 0.25
    assert review.headline["programme_value"] == 2000.0
    assert "changed retention by +25.0 percentage points" in doc
    assert "2.0 customers kept" in doc and "worth 2,000 of predicted 12-month revenue" in doc
    assert "<td>high</td><td>8</td><td>0.750</td><td>4</td><td>0.500</td><td>0.250</td>" in doc
    assert "Uplift model: 8 treated and 4 hold-out outcome(s); the uplift model needs ≥ 50 of each." in doc


def test_without_outcomes_or_hold_out_the_section_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    review = build_review(_home(tmp_path / "a", interventions=False), CONFIG)
    doc = review.path.read_text(encoding="utf-8")
    assert TITLE in review.missing
    assert "4 customer(s) held out so far; no interventions.csv in the data home" in doc
    empty = RadarPaths(tmp_path / "b")
    empty.home.mkdir(parents=True)
    duckdb.connect(str(empty.warehouse)).close()
    doc = build_review(empty, RadarConfig()).path.read_text(encoding="utf-8")
    assert "No hold-out yet: set playbook.holdout_share" in doc
