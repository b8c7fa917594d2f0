"""Defective data fails exactly the gate it should, with the right figure; too little churn to learn from falls
back to the rule-based health score and says so everywhere the score is shown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from tests.conftest import PipelineRun, run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def defective_run(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> tuple[PipelineRun, float]:
    """Demo sources whose orders have negative amounts (15 %) and unknown customers (10 %), disjoint rows."""
    folder = tmp_path_factory.mktemp("defective") / "sources"
    folder.mkdir()
    for path in demo_sources.glob("*.parquet"):
        (folder / path.name).write_bytes(path.read_bytes())
    orders = pd.read_parquet(demo_sources / "orders.parquet")
    rng = np.random.default_rng(3)
    pick = rng.permutation(len(orders))
    negative, orphan = (
        pick[: int(0.15 * len(orders))],
        pick[int(0.15 * len(orders)) : int(0.25 * len(orders))],
    )
    orders.loc[orders.index[negative], "amount"] = -orders["amount"].iloc[negative].abs() - 1
    orders.loc[orders.index[orphan], "customer_id"] = "unknown-customer"
    # A few values a cast lets through: an infinite and an overflowing amount, a placeholder date.
    start = int(0.25 * len(orders))
    infinite, overflowing, placeholder = (pick[start + 5 * i : start + 5 * (i + 1)] for i in range(3))
    orders.loc[orders.index[infinite], "amount"] = np.inf
    orders.loc[orders.index[overflowing], "amount"] = 1e308
    orders["order_date"] = orders["order_date"].astype(object)
    orders.loc[orders.index[placeholder], "order_date"] = dt.date(1753, 1, 1)
    orders.to_parquet(folder / "orders.parquet", index=False)
    faulty = len(negative) + len(orphan) + len(infinite) + len(overflowing) + len(placeholder)
    expected_share = 1 - faulty / len(orders)
    return run_pipeline(folder.parent / "home", folder), expected_share


def test_defective_orders_fail_the_quality_gate_alone_with_the_true_figure(
    defective_run: tuple[PipelineRun, float],
) -> None:
    run, expected_share = defective_run
    checks = run.checks()
    assert checks["quality_gate"] is False
    assert checks["history_gate"] is True and checks["feature_mart_gate"] is True
    evaluation = next(e for e in run.result.get_asset_check_evaluations() if e.check_name == "quality_gate")
    meta = evaluation.metadata
    assert meta["quality_value"].value == pytest.approx(expected_share, abs=1e-4)
    assert meta["quality_threshold"].value == 0.8
    assert "(orders)" in evaluation.description
    top = meta["top_rules_orders"].value
    assert top.index("negative_amount") < top.index("orphan"), "the most frequent rule comes first"
    assert "unknown-customer" in meta["examples_orders"].value
    docs = Path(meta["data_docs_path"].value)
    assert docs.is_file() and docs.is_relative_to(run.paths.home)
    assert (docs.parent / "expectations" / "source_orders__quality.html").is_file()
    # Each gate validates only its own expectations: the history gate passed, and its page says so.
    history_pages = list((docs.parent / "validations" / "source_orders__history").rglob("*.html"))
    assert history_pages and all("does not exist" not in p.read_text() for p in history_pages)
    materialized = {e.asset_key.to_user_string() for e in run.result.get_asset_materialization_events()}
    assert not {"churn_model", "health_scores", "customer_scores"} & materialized


# contract table -> (staging model, the intermediate model that keeps its usable records)
VALIDATED = {
    table: (f"staging.stg_{system}__{table}", f"intermediate.int_{table}_validated")
    for table, system in {
        "contacts": "crm",
        "surveys": "crm",
        "contracts": "erp",
        "orders": "erp",
        "invoices": "erp",
        "interactions": "comms",
        "tickets": "support",
        "usage": "web",
    }.items()
}


def test_dbt_drops_exactly_the_records_the_gate_counts_and_no_feature_is_non_finite(
    defective_run: tuple[PipelineRun, float],
) -> None:
    from pipelines.lib.quality.quality import table_quality

    run, _ = defective_run
    with duckdb.connect(str(run.paths.warehouse), read_only=True) as con:
        for table, (staged, validated) in VALIDATED.items():
            dropped = con.execute(
                f"select (select count(*) from {staged}) - (select count(*) from {validated})"
            ).fetchone()[0]
            figures = table_quality(con, table)
            assert dropped == figures["invalid"], (table, figures)
        assert table_quality(con, "orders")["rule_non_finite"] == 10
        assert table_quality(con, "orders")["rule_implausible_date"] == 5
        features = con.execute("select * from marts.customer_features").df()
    numeric = features.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy(dtype=float)[~numeric.isna().to_numpy()]).all()
    dbt_checks = {e.check_name: e.passed for e in run.result.get_asset_check_evaluations()}
    assert dbt_checks["numbers_are_finite_customer_features_"] is True


def test_too_few_churns_score_with_the_health_score_and_say_so(
    tmp_path: Path, demo_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    config = tmp_path / "radar.yaml"
    config.write_text(yaml.safe_dump({"gates": {"min_churns": 100000}}))
    # `radar run` sets these for its process; setenv (not delenv) makes pytest restore them afterwards, so this
    # configuration cannot leak into the tests that run later.
    for var, value in {
        "RADAR_HOME": home,
        "RADAR_SOURCES": demo_sources,
        "RADAR_CONFIG": config,
        "DAGSTER_HOME": home / "dagster",
    }.items():
        monkeypatch.setenv(var, str(value))

    result = CliRunner().invoke(main, ["run", "--sources", str(demo_sources), "--config", str(config)])
    assert result.exit_code == 0, result.output
    warnings = [
        line for line in result.stderr.splitlines() if line.startswith("radar: warning: no model trained")
    ]
    assert len(warnings) == 1 and "churn_history" in warnings[0] and "threshold 100,000" in warnings[0]
    assert "rule-based health score" in result.stdout

    scores = pd.read_csv(home / "exports" / "customer_scores.csv")
    assert len(scores) > 100
    assert (scores["score_source"] == "health_score_fallback").all()
    assert scores["churn_probability"].isna().all()
    assert set(scores["health_colour"]) <= {"green", "yellow", "red"}
    assert set(scores["risk_tier"]) <= {"none", "medium", "high"}

    status = json.loads(CliRunner().invoke(main, ["status", "--json"]).stdout)
    assert status["scoring"]["score_source"] == "health_score_fallback"
    assert status["champion"] is None
    gates = {g["name"]: g["passed"] for g in status["gates"]}
    assert gates == {
        "quality": True,
        "history": True,
        "feature_mart": True,
        "active_customers": True,
        "churn_history": False,
    }
    assert Path(status["data_docs"]).is_file()

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        view = con.execute(
            """select count(*), count(*) filter (where score_source = 'health_score_fallback'),
                      count(distinct value_tier)
               from marts.customer_360 where is_active"""
        ).fetchone()
    assert view[0] == len(scores) and view[1] == len(scores) and view[2] == 4
