"""A monthly re-delivery on top of the previous one gives the same marts and scores as one load of the bigger
delivery, while the raw zone stores each repeated row once.

The session's demo sources (24 months) are the bigger delivery and ``full_run`` its single load. The earlier
delivery is the same sources cut one month before their end (``write_earlier_delivery``): it is extracted into a
fresh data home first, as the previous month's run would have, then the whole pipeline runs on the bigger one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.core.warehouse import connect
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.simulate.earlier_delivery import write_earlier_delivery
from tests.conftest import END, PipelineRun, run_pipeline

pytestmark = pytest.mark.slow

# Columns that name the load or the moment, which differ between two homes by construction.
BOOKKEEPING = {"load_id", "scored_at", "model_version"}
TABLES = {
    "marts.customer_features": "customer_id, snapshot_date",
    "marts.churn_labels": "customer_id, snapshot_date",
    "marts.customer_360": "customer_id",
    "scores.customer_scores": "customer_id, as_of",
    "scores.customer_value": "customer_id, as_of",
    "scores.parent_scores": "parent_id, as_of",
}


def _frame(warehouse: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(f"select * from {table} order by {TABLES[table]}").df()
    return frame.drop(columns=[c for c in frame.columns if c in BOOKKEEPING])


@pytest.fixture(scope="module")
def redelivered(full_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    earlier = tmp_path_factory.mktemp("earlier")
    cutoff = END.replace(day=1) - dt.timedelta(days=1)
    rows = write_earlier_delivery(full_run.sources, earlier, cutoff=cutoff)
    assert 0 < rows["usage"] < len(pd.read_parquet(full_run.sources / "usage.parquet"))
    home = tmp_path_factory.mktemp("monthly-home")
    with connect(home / "warehouse.duckdb") as con:
        for table in CONTRACT:
            load_table(con, table, earlier)
    return run_pipeline(home, full_run.sources)


def test_the_month_on_top_appends_only_its_new_rows(redelivered: PipelineRun, full_run: PipelineRun) -> None:
    assert redelivered.result.success
    with (
        duckdb.connect(str(redelivered.paths.warehouse), read_only=True) as monthly,
        duckdb.connect(str(full_run.paths.warehouse), read_only=True) as single,
    ):
        for table in CONTRACT:
            stored = f"select count(*), count(distinct _load_id) from raw.{table}"
            kept, loads = monthly.execute(stored).fetchone()
            delivered = single.execute(f"select count(*) from raw.{table}").fetchone()[0]
            assert kept == delivered, f"{table}: every delivered row once, none twice"
            assert loads <= 2


@pytest.mark.parametrize("table", list(TABLES))
def test_marts_and_scores_equal_one_load_of_the_bigger_delivery(
    table: str, redelivered: PipelineRun, full_run: PipelineRun
) -> None:
    monthly = _frame(redelivered.paths.warehouse, table)
    single = _frame(full_run.paths.warehouse, table)
    assert len(single) > 0
    pd.testing.assert_frame_equal(monthly, single)


def test_radar_score_scores_the_month_with_the_champion_and_trains_nothing(
    redelivered: PipelineRun, full_run: PipelineRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monthly run a schedule or a user starts without a retrain (`radar score`, the `monthly_scoring` job):
    on the same delivery again it adds no raw row, trains no model and gives the same scores."""
    import dagster as dg
    from click.testing import CliRunner
    from mlflow import MlflowClient

    from pipelines.cli import main

    home = redelivered.paths
    client = MlflowClient(tracking_uri=f"sqlite:///{home.mlflow_db}")
    experiments = client.search_experiments()
    churn_runs = client.search_runs(
        [e.experiment_id for e in experiments], filter_string="attributes.run_name LIKE 'churn-%'"
    )
    before = _frame(home.warehouse, "scores.customer_scores")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        raw_before = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in CONTRACT}

    monkeypatch.setenv("RADAR_HOME", str(home.home))
    result = CliRunner().invoke(main, ["score", "--sources", str(full_run.sources)])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output

    with dg.DagsterInstance.from_config(str(home.home / "dagster")) as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(job_name="monthly_scoring"))
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        built = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records}
    assert {"customer_scores", "customer_value", "marts/customer_features"} <= built
    assert not built & {"churn_model", "survival_model", "champion_decision", "feature_drift"}
    assert len(
        client.search_runs(
            [e.experiment_id for e in experiments], filter_string="attributes.run_name LIKE 'churn-%'"
        )
    ) == len(churn_runs)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in CONTRACT} == raw_before
    pd.testing.assert_frame_equal(_frame(home.warehouse, "scores.customer_scores"), before)
