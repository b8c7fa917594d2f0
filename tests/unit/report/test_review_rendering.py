"""How the review renders what it gathered: with autoescape, so text that comes from data (a gate's name, a failing
example, a reviewer's reason for a promotion) reads as text and can never inject markup into the file people open;
and with counts thousands-separated wherever they appear."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.quality import gate_store
from pipelines.lib.quality.gates import GateResult
from pipelines.lib.report.review import build_review
from pipelines.lib.report.review.blocks import Table

MARKUP = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def test_values_with_html_characters_are_escaped_in_every_place_they_appear(tmp_path: Path) -> None:
    paths = RadarPaths(tmp_path / "home")
    paths.home.mkdir()
    with duckdb.connect(str(paths.warehouse)) as con:
        gate = GateResult(MARKUP, False, 0.5, 0.8, "share", failing=["<script>alert(1)</script>"])
        gate_store.record(con, [gate], run_id="r1")
    paths.decision_log.parent.mkdir(parents=True)
    decision = {
        "decided_at": "2026-11-01T10:00:00",
        "kind": "policy",
        "version": "7",
        "promoted": False,
        "alias": "challenger",
        "reasons": [MARKUP],
    }
    paths.decision_log.write_text(json.dumps(decision) + "\n")

    review = build_review(paths, RadarConfig.model_validate({}))

    doc = review.path.read_text(encoding="utf-8")
    assert MARKUP not in doc and "<script" not in doc
    assert f"data gate(s) FAILED: {ESCAPED}" in doc  # the executive summary's gate line
    assert f"<td>{ESCAPED}</td>" in doc  # the gate table and the decision table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert f"v7 not promoted — {ESCAPED}." in doc
    assert (
        "Promotion decisions and their reasons" not in review.missing and "Data gates" not in review.missing
    )


def test_counts_read_with_thousands_separators_in_the_tiles_and_the_tables(tmp_path: Path) -> None:
    paths = RadarPaths(tmp_path / "home")
    paths.home.mkdir()
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema scores")
        con.execute(
            """create table scores.customer_scores as
               select 'c' || i as customer_id, date '2026-10-31' as as_of, 0.9 as churn_probability,
                      case when i < 1401 then 'high' else 'none' end as risk_tier, 10.0 as revenue_at_risk
               from range(1500) t(i)"""
        )

    review = build_review(paths, RadarConfig.model_validate({}))

    doc = review.path.read_text(encoding="utf-8")
    assert '<div class="v">1,401</div><div class="k">high risk</div>' in doc
    assert '<div class="v">1,500</div><div class="k">customers scored</div>' in doc
    assert "<td>2026-10-31</td><td>99</td><td>0</td><td>0</td><td>1,401</td>" in doc  # the tier table
    assert "<td>high</td><td>1,401</td><td>14,010</td>" in doc  # revenue at risk: customers and amount
    assert review.headline["high_risk_customers"] == 1401


def test_a_table_formats_counts_shares_and_gaps_each_their_own_way() -> None:
    frame = pd.DataFrame(
        {"tier": ["high", None], "customers": [1401, 12], "precision": [0.3333, float("nan")]}
    )
    table = Table.of(frame)
    assert table.columns == ("tier", "customers", "precision")
    assert table.rows == (("high", "1,401", "0.333"), ("–", "12", "–"))
