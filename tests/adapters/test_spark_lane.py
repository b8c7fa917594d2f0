"""The Spark lane: the same dbt models, built with dbt-spark (`session` method, a local PySpark) from the raw zone
exported to Parquet, give the same marts as on DuckDB, row for row. It needs Java and PySpark (CI installs Java with
.ci/install-java.sh; PySpark comes with the requirements) and skips, saying so, without them. Run it alone with
`pytest -m spark`.

The sources are the PostgreSQL lane's (tests/adapters/lanes.py): 60 customers × 24 months with every kind of
defect, so the null-on-failure casts, the quarantine rules and the deduplication are compared too."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipelines.lib.transform.parquet_export import export_raw_zone
from pipelines.lib.transform.spark_tables import copy_spark_tables
from tests.adapters.lanes import MARTS, duckdb_frame, frame_differences, generate_lane_warehouse, start_dbt

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark lane: no java on PATH (.ci/install-java.sh)"),
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None, reason="Spark lane: pyspark is not installed"
    ),
]


@dataclass(frozen=True)
class Lane:
    warehouse: Path
    spark_dir: Path
    logs: dict[str, str]


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lane]:
    work = tmp_path_factory.mktemp("spark-lane")
    warehouse = generate_lane_warehouse(work)
    parquet = work / "raw-parquet"
    export_raw_zone(warehouse, parquet)
    spark_dir = work / "spark"
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "RADAR_HOME": str(warehouse.parent)}
    spark_vars = {"radar_raw_parquet": str(parquet), "radar_spark_dir": str(spark_dir)}
    # Spark builds and tests everything; DuckDB only needs the models (every pipeline run tests them there).
    builds = {
        "spark": start_dbt("build", "spark", work, env, extra_vars=spark_vars),
        "duckdb": start_dbt("run", "duckdb", work, env),
    }
    failed = [target for target, build in builds.items() if build.wait(timeout=900) != 0]
    logs = {target: (work / f"dbt-{target}.log").read_text() for target in builds}
    for target in failed:
        pytest.fail(f"dbt build on {target} failed:\n{logs[target][-4000:]}")
    yield Lane(warehouse=warehouse, spark_dir=spark_dir, logs=logs)


@pytest.fixture(scope="module")
def spark(lane: Lane) -> Iterator[Any]:
    """A Spark session on the metastore and tables dbt left (dbt has exited, so Derby's lock is free)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(lane.spark_dir / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={lane.spark_dir}")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={lane.spark_dir}/metastore_db")
        .enableHiveSupport()
        .getOrCreate()
    )
    yield session
    session.stop()


def _spark_frame(spark: Any, relation: str) -> pd.DataFrame:
    frame = spark.table(relation)
    return pd.DataFrame([tuple(row) for row in frame.collect()], columns=frame.columns, dtype=object)


def test_every_model_builds_and_passes_its_data_and_unit_tests_on_spark(lane: Lane) -> None:
    for target, log in lane.logs.items():
        assert "Completed successfully" in log, target
        assert " ERROR=0 " in log and " SKIP=0 " in log, (target, log[-2000:])
    assert re.search(r"Finished running .*\d+ table models, \d+ data tests, \d+ unit tests", lane.logs["spark"])


@pytest.mark.parametrize("mart", MARTS)
def test_each_mart_is_the_same_row_for_row_on_duckdb_and_spark(lane: Lane, spark: Any, mart: str) -> None:
    duck, numeric = duckdb_frame(lane.warehouse, mart)
    on_spark = _spark_frame(spark, f"marts.{mart}")
    assert len(duck) > 50  # a real comparison, not two empty tables
    assert frame_differences(duck, on_spark, MARTS[mart], numeric, engine="spark") == []


def test_the_defective_rows_reach_spark_and_are_dropped_as_on_duckdb(lane: Lane, spark: Any) -> None:
    """Bad dates, duplicates and orphans are in the Parquet raw zone and leave the same usable rows."""
    counted = []
    with duckdb.connect(str(lane.warehouse), read_only=True) as con:
        for relation in ("raw.orders", "staging.stg_erp__orders", "intermediate.int_orders_validated"):
            on_duckdb = con.execute(f"select count(*) from {relation}").fetchone()[0]
            assert spark.table(relation).count() == on_duckdb, relation
            counted.append(on_duckdb)
        bad_dates = "select count(*) from staging.stg_erp__orders where order_date is null"
        assert spark.sql(bad_dates).collect()[0][0] == con.execute(bad_dates).fetchone()[0] > 0
    raw, staged, valid = counted
    assert raw == staged > valid  # staging keeps every row; validation drops the defective ones


def test_the_tables_spark_built_copy_into_a_duckdb_warehouse_unchanged(lane: Lane, tmp_path: Path) -> None:
    """warehouse.engine: spark hands the Python stages Spark's tables in the warehouse file (copy_spark_tables)."""
    copied = copy_spark_tables(lane.spark_dir.parent, tmp_path / "warehouse.duckdb")
    assert {"marts.customer_features", "marts.churn_labels", "intermediate.int_data_window"} <= set(copied)
    for mart in ("customer_features", "churn_labels"):
        duck, numeric = duckdb_frame(lane.warehouse, mart)
        from_spark, _ = duckdb_frame(tmp_path / "warehouse.duckdb", mart)
        assert frame_differences(duck, from_spark, MARTS[mart], numeric, engine="spark copy") == []
