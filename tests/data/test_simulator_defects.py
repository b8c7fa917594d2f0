"""Demo data with defects and drift: the true counts in _truth/ are exactly what the quarantine and the quality
gate find, late rows arrive as a new load, and drift touches only the latest months."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.quality.quality import table_quality
from pipelines.lib.simulate import generate_sources

RATES = {
    "missing": 0.01,
    "bad_date": 0.01,
    "duplicates": 0.02,
    "orphans": 0.01,
    "out_of_range": 0.01,
    "late": 0.01,
}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faulty")
    generate_sources(
        folder, customers=200, months=18, seed=3, file_format="csv", defects=RATES, drift_months=3
    )
    return folder


def test_the_quality_gate_and_the_quarantine_find_exactly_the_defects_in_the_truth(faulty: Path) -> None:
    truth = json.loads((faulty / "_truth" / "defects.json").read_text())["tables"]
    con = duckdb.connect()
    for table in CONTRACT:
        result = load_table(con, table, faulty)
        expected = {rule: n for rule, n in truth[table].items() if rule not in ("records", "late")}
        gate = {
            k.removeprefix("rule_"): v
            for k, v in table_quality(con, table).items()
            if k.startswith("rule_") and v
        }
        quarantined = dict(
            con.execute(
                "select rule, count(distinct row_number) from ops.quarantine where table_name = ? group by 1",
                [table],
            ).fetchall()
        )
        assert result.rows == truth[table]["records"], table
        assert gate == expected, table
        assert quarantined == expected, table
    assert truth["orders"]["negative_amount"] > 0 and truth["tickets"]["future_date"] > 0


def test_late_rows_arrive_with_the_next_delivery_as_a_new_load(faulty: Path) -> None:
    truth = json.loads((faulty / "_truth" / "defects.json").read_text())["tables"]
    con = duckdb.connect()
    load_table(con, "accounts", faulty)
    first = load_table(con, "orders", faulty)
    second = load_table(con, "orders", faulty / "_late")
    assert second.status == "loaded" and second.load_id != first.load_id
    assert second.rows - first.rows == truth["orders"]["late"] > 0


def test_drift_changes_only_the_latest_months(tmp_path: Path) -> None:
    clean, drifted = tmp_path / "clean", tmp_path / "drifted"
    generate_sources(clean, customers=120, months=12, seed=5)
    generate_sources(drifted, customers=120, months=12, seed=5, drift_months=2, drift_strength=0.5)
    since = pd.Timestamp(json.loads((drifted / "_truth" / "drift.json").read_text())["from"])
    a, b = pd.read_parquet(clean / "orders.parquet"), pd.read_parquet(drifted / "orders.parquet")
    recent = pd.to_datetime(a.order_date) >= since
    assert recent.any() and (~recent).any()
    assert (a.amount[~recent] == b.amount[~recent]).all()
    assert b.amount[recent].sum() == pytest.approx(1.5 * a.amount[recent].sum(), rel=0.01)
    for table in ("accounts", "contracts", "tickets", "_truth/churn_events"):
        assert pd.read_parquet(clean / f"{table}.parquet").equals(
            pd.read_parquet(drifted / f"{table}.parquet")
        )
