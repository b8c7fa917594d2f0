"""The gates judge figures through the versioned GE suites: per source, for the mart, for learnability."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from pipelines.lib.core.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.quality import gates, quality
from pipelines.lib.score import hierarchy, score_store


@pytest.fixture(scope="module")
def validator() -> gates.Validator:
    return gates.Validator()


def test_every_source_has_its_own_suite_and_the_mart_has_one() -> None:
    assert {p.stem for p in (EXPECTATIONS_DIR / "sources").glob("*.json")} == set(CONTRACT)
    assert (EXPECTATIONS_DIR / "customer_features.json").exists()


def test_the_quality_gate_fails_exactly_the_sources_below_the_threshold(validator: gates.Validator) -> None:
    figures = pd.DataFrame(
        [
            {"table": "accounts", "records": 100, "valid_share": 1.0},
            {"table": "orders", "records": 100, "valid_share": 0.79},
            {"table": "tickets", "records": 100, "valid_share": 0.80},
        ]
    )
    result = gates.quality_gate(validator, figures, min_quality=0.8)
    assert not result.passed
    assert result.failing == ["orders"]
    assert result.value == 0.79
    assert result.one_line() == "gate 'quality' FAILED: 79.0% (orders), threshold 80.0%"


def test_the_history_gate_names_each_short_source(validator: gates.Validator) -> None:
    figures = pd.DataFrame(
        [{"table": "orders", "months_of_history": 24}, {"table": "usage", "months_of_history": 12}]
    )
    result = gates.history_gate(validator, figures, min_months=18)
    assert (result.passed, result.failing, result.value) == (False, ["usage"], 12.0)
    assert gates.history_gate(validator, figures, min_months=12).passed


def test_the_feature_mart_gate_catches_a_leak_shaped_value(validator: gates.Validator) -> None:
    columns = {
        e["kwargs"]["column"]
        for e in gates.load_suite_definition("customer_features")["expectations"]
        if "column" in e["kwargs"]
    }
    mart = pd.DataFrame({c: [1.0, 2.0] for c in columns}).assign(
        customer_id=["a", "b"],
        snapshot_date=pd.to_datetime(["2025-01-31", "2025-01-31"]),
        days_since_last_order=[3.0, -2.0],
    )
    assert gates.feature_mart_gate(validator, mart.assign(days_since_last_order=[3.0, 0.0])).passed
    result = gates.feature_mart_gate(validator, mart)
    assert not result.passed
    assert result.failing == ["column_values_to_be_between(days_since_last_order)"]


def test_learnability_has_two_verdicts(validator: gates.Validator) -> None:
    figures = {"as_of_date": "2026-10-31", "active_customers": 150, "churns_in_lookback": 19}
    active, churns = gates.learnability_gate(figures, min_active=100, min_churns=20, validator=validator)
    assert active.passed and not churns.passed
    assert churns.one_line() == "gate 'churn_history' FAILED: 19 churns, threshold 20 churns"
    # Counts read as counts on the terminal and in the review: thousands separated, no decimals.
    big = {**figures, "active_customers": 1633}
    active, _ = gates.learnability_gate(big, min_active=100, min_churns=20, validator=validator)
    assert active.one_line() == "gate 'active_customers' passed: 1,633 customers, threshold 100 customers"


def test_top_rules_rank_what_is_broken_most() -> None:
    row = pd.Series({"records": 10, "rule_orphan": 1, "rule_negative_amount": 3, "rule_duplicate": 0})
    top = quality.top_rules(row)
    assert list(top["rule"]) == ["negative_amount", "orphan"]
    assert list(top["share"]) == ["30.0%", "10.0%"]


def test_the_score_tables_dbt_creates_match_the_ones_python_writes() -> None:
    macro = (DBT_PROJECT_DIR / "macros" / "score_tables.sql").read_text()
    for table, columns in (
        ("customer_scores", score_store.SCORE_COLUMNS),
        ("health_scores", score_store.HEALTH_COLUMNS),
        ("parent_scores", hierarchy.PARENT_COLUMNS),
    ):
        body = re.search(rf"scores\.{table} \((.*?)\);?\n", macro, re.S)
        assert body, table
        declared = dict(re.findall(r"(\w+) (varchar|date|double|integer|timestamp)", body.group(1)))
        assert declared == {**columns, "scored_at": "timestamp"}


def test_only_a_short_history_may_warn_instead_of_block_and_its_line_says_so() -> None:
    assert not gates.is_blocking("history", history_blocks=False)
    assert gates.is_blocking("history", history_blocks=True)
    assert all(gates.is_blocking(g, history_blocks=False) for g in ("quality", "feature_mart", "churn_history"))
    short = gates.GateResult("history", False, 9, 18, "months", blocking=False)
    assert short.one_line() == "gate 'history' warning (not blocking): 9 months, threshold 18 months"
    assert dataclasses.replace(short, blocking=True).one_line().startswith("gate 'history' FAILED: ")
