"""A company that starts with only CRM accounts and ERP orders gets a working pipeline (inactivity churn)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines.lib.score import holdout
from tests.conftest import PipelineRun, run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minimal_run(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> PipelineRun:
    base = tmp_path_factory.mktemp("minimal")
    folder = base / "sources"
    folder.mkdir()
    # CSV on purpose: the other runs read Parquet, and real exports are usually CSV.
    for table in ("accounts", "orders"):
        pd.read_parquet(demo_sources / f"{table}.parquet").to_csv(folder / f"{table}.csv", index=False)
    config = base / "radar.yaml"
    # With a hold-out and alerts from the low tier, so the hold-out's exclusion from the alerts is tested here too.
    config.write_text(
        yaml.safe_dump(
            {
                "churn": {"definition": "inactivity", "active_window_days": 120},
                "playbook": {"holdout_share": 0.3},
                "alerts": {"min_tier": "low"},
            }
        )
    )
    return run_pipeline(base / "home", folder, config)


def test_accounts_and_orders_alone_run_end_to_end(minimal_run: PipelineRun) -> None:
    assert minimal_run.result.success, [e.message for e in minimal_run.result.all_events if e.is_step_failure]
    assert all(minimal_run.checks().values())


def test_missing_tables_are_reported_not_fatal(minimal_run: PipelineRun) -> None:
    statuses = {
        e.asset_key.path[-1]: e.materialization.metadata["status"].value
        for e in minimal_run.result.get_asset_materialization_events()
        if e.asset_key.path[0] == "raw"
    }
    assert statuses["accounts"] == statuses["orders"] == "loaded"
    assert {t for t, s in statuses.items() if s == "missing"} == {
        "contacts",
        "surveys",
        "contracts",
        "invoices",
        "interactions",
        "tickets",
        "usage",
    }


def test_scores_use_the_order_signals_that_exist(minimal_run: PipelineRun) -> None:
    scores = pd.read_csv(minimal_run.paths.scores_csv)
    assert len(scores) > 100
    assert scores["churn_probability"].between(0, 1).all()
    assert not scores["reasons"].str.contains("logins|e-mails|tickets").any()


def test_the_hold_out_is_marked_in_the_export_and_never_alerted(minimal_run: PipelineRun) -> None:
    scores = pd.read_csv(minimal_run.paths.scores_csv, dtype={"customer_id": str})
    held = scores[scores["holdout"]]
    alerted = pd.read_json(minimal_run.paths.alerts_file, lines=True, dtype={"customer_id": str})
    assert len(held) and (held["action"] == holdout.ACTION).all() and held["risk_tier"].ne("none").all()
    assert len(alerted) and not set(held["customer_id"]) & set(alerted["customer_id"])
    assert scores["uplift"].isna().all()  # no outcomes yet
