"""A monthly dbt run that rebuilds only the snapshot months new rows can reach gives the same marts, and the same
scores, as a build from scratch on the same raw zone; `dbt build --full-refresh` does too.

Real dbt on DuckDB, in-process (dbtRunner), on small generated sources: 60 customers over 24 months, and the same
sources a month earlier (``write_earlier_delivery``); the later delivery also no longer holds one order of ten
months before (a source that deleted a row: a tombstone, which must reach back that far). Home ``monthly`` loads
the earlier delivery and builds, then loads the later one on top and builds again (incrementally); home
``scratch`` loads both deliveries and builds once. Numbers are compared within 1e-9 (relative): DuckDB's running window sums add in
an order that depends on how many rows a customer has in all, so a kept month and the same month rebuilt with a
month more behind it can differ in the last bits of a double (about 1e-16 relative); everything else exactly.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.features.mart import feature_columns, labelled_snapshots, latest_snapshot
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.score.health_score import health_points
from pipelines.lib.simulate import generate_sources
from pipelines.lib.simulate.earlier_delivery import write_earlier_delivery
from tests.conftest import END

pytestmark = pytest.mark.slow

TOLERANCE = 1e-9
# customer_360 is a view over the score tables too, which nothing scored here; its columns are all compared.
MARTS = {
    "marts.customer_features": ["customer_id", "snapshot_date"],
    "marts.churn_labels": ["customer_id", "snapshot_date"],
    "marts.customer_360": ["customer_id"],
}
DELETED_ORDER_MONTH = "2025-12"
INCREMENTAL = (
    "int_orders_windowed",
    "int_payments_windowed",
    "int_interactions_windowed",
    "int_tickets_windowed",
    "int_usage_windowed",
    "customer_features",
)


@dataclass(frozen=True)
class Homes:
    monthly: Path
    scratch: Path
    deleted_order_date: dt.date


def _load(home: Path, sources: Path) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for table in CONTRACT:
            load_table(con, table, sources)


def _dbt_build(home: Path, *extra: str) -> None:
    """``dbt build`` in this process, as the dbt asset runs it (the same vars, the warehouse of ``home``)."""
    previous = os.environ.get("RADAR_HOME")
    os.environ["RADAR_HOME"] = str(home)
    try:
        result = dbtRunner().invoke(
            [
                "build",
                "--quiet",
                "--vars",
                json.dumps(RadarConfig().dbt_vars()),
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(home / "dbt_target"),
                "--log-path",
                str(home / "dbt_logs"),
                *extra,
            ]
        )
    finally:
        # dbt-duckdb keeps its database open in this process after the run; let go of it, so that the checks
        # below can open the warehouse read-only
        DuckDBConnectionManager.close_all_connections()
        gc.collect()
        if previous is None:
            os.environ.pop("RADAR_HOME", None)
        else:
            os.environ["RADAR_HOME"] = previous
    failed = [(r.node.name, r.message) for r in (result.result or []) if r.status not in ("success", "pass")]
    assert result.success, failed or result.exception


def _built_at(home: Path) -> dict[str, dt.datetime]:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        return dict(con.execute("select model_name, built_at from intermediate.snapshot_builds").fetchall())


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homes]:
    work = tmp_path_factory.mktemp("incremental")
    later = work / "later"
    generate_sources(later, customers=60, months=24, seed=11, end=END)
    earlier = work / "earlier"
    write_earlier_delivery(later, earlier, cutoff=END.replace(day=1) - dt.timedelta(days=1))
    orders = pd.read_parquet(later / "orders.parquet")
    old = orders[orders["order_date"].astype(str).str.startswith(DELETED_ORDER_MONTH)].sort_values("order_id")
    deleted = old.iloc[0]
    orders[orders["order_id"] != deleted["order_id"]].to_parquet(later / "orders.parquet", index=False)
    monthly, scratch = work / "monthly", work / "scratch"
    monthly.mkdir()
    scratch.mkdir()
    _load(monthly, earlier)
    _dbt_build(monthly)
    _load(monthly, later)
    _dbt_build(monthly)
    _load(scratch, earlier)
    _load(scratch, later)
    _dbt_build(scratch)
    yield Homes(
        monthly=monthly,
        scratch=scratch,
        deleted_order_date=dt.date.fromisoformat(str(deleted["order_date"])[:10]),
    )


def _frame(home: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from {table} order by {', '.join(MARTS[table])}").df()


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert len(left) > 50  # a real comparison, not two empty tables
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=TOLERANCE, atol=TOLERANCE)


def test_the_monthly_build_rebuilt_only_the_months_the_new_rows_reach(homes: Homes) -> None:
    horizon = RadarConfig().dbt_vars()["horizon_days"]
    with duckdb.connect(str(homes.monthly / "warehouse.duckdb"), read_only=True) as con:
        builds = con.execute(
            "select model_name, last_load_id, rebuilt_from, as_of_date from intermediate.snapshot_builds"
        ).fetchall()
        newest_load = con.execute("select max(load_id) from ops.loads").fetchone()[0]
        months = con.execute("select distinct snapshot_date from marts.customer_features").fetchall()
    assert {model for model, *_ in builds} == set(INCREMENTAL)
    earliest_change = homes.deleted_order_date
    assert earliest_change < END.replace(day=1)
    for model, last_load_id, rebuilt_from, as_of_date in builds:
        assert last_load_id == newest_load, model  # each model knows the loads it has read
        assert as_of_date == END, model
        # the deleted order is the oldest change: the rebuild reaches back one horizon from it, no further
        assert (earliest_change - dt.timedelta(days=horizon)).replace(day=1) == rebuilt_from, model
    kept = [m for (m,) in months if m < rebuilt_from]
    assert 10 <= len(kept) < len(months) - 10  # the months before 2025-09 kept, the later ones rebuilt


@pytest.mark.parametrize("table", list(MARTS))
def test_each_mart_of_the_monthly_build_equals_the_build_from_scratch(homes: Homes, table: str) -> None:
    _same(_frame(homes.monthly, table), _frame(homes.scratch, table))


def _scores(home: Path, train_on: Path) -> pd.DataFrame:
    """Churn scores and health points of the newest snapshot in ``home``, from a booster fitted on the labelled
    snapshots of ``train_on`` (fixed seed, one thread: the same rows give the same trees)."""
    with duckdb.connect(str(train_on / "warehouse.duckdb"), read_only=True) as con:
        columns = feature_columns(con)
        train = labelled_snapshots(con, warmup_months=3)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        latest = latest_snapshot(con)
    booster = lgb.train(
        {
            "objective": "binary",
            "seed": 7,
            "num_threads": 1,
            "deterministic": True,
            "verbose": -1,
            "min_data_in_leaf": 5,
        },
        lgb.Dataset(train[columns], label=train["label"]),
        num_boost_round=30,
    )
    return pd.DataFrame(
        {
            "customer_id": latest["customer_id"],
            "churn_probability": booster.predict(latest[columns]),
            "health_points": health_points(latest),
        }
    )


def test_a_model_trained_and_scored_on_the_monthly_build_gives_the_scores_of_the_build_from_scratch(
    homes: Homes,
) -> None:
    monthly = _scores(homes.monthly, train_on=homes.monthly)
    scratch = _scores(homes.scratch, train_on=homes.scratch)
    assert len(monthly) > 20 and monthly["churn_probability"].between(0, 1).all()
    assert np.ptp(monthly["churn_probability"]) > 0  # the booster learnt something to compare
    pd.testing.assert_frame_equal(monthly, scratch, check_exact=False, rtol=TOLERANCE, atol=TOLERANCE)


def test_a_full_refresh_rebuilds_every_month_and_gives_the_same_marts(homes: Homes) -> None:
    before = _built_at(homes.monthly)
    _dbt_build(homes.monthly, "--full-refresh", "--select", "+customer_features")
    after = _built_at(homes.monthly)
    assert all(after[model] > before[model] for model in INCREMENTAL)
    for table in MARTS:
        _same(_frame(homes.monthly, table), _frame(homes.scratch, table))
