"""The second-adapter lane: the same dbt models, built with dbt-postgres on PostgreSQL from the same raw zone, give
the same marts as on DuckDB, row for row. It keeps the SQL portable (dbt's cross-database macros and the dispatched
macros in dbt_project/macros/portable.sql). It needs PostgreSQL's server binaries (CI installs them with
.ci/install-postgres.sh) and skips, saying so, on a machine without them. Run it alone with
`pytest -m second_adapter`.

The sources are small (60 customers × 24 months) but carry every kind of defect, so the null-on-failure casts,
the quarantine rules and the deduplication are compared too, not only the happy path."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.adapters.lanes import MARTS, duckdb_frame, frame_differences, generate_lane_warehouse, start_dbt
from tests.conftest import PostgresServer

pytestmark = pytest.mark.second_adapter

# The raw zone's column types (all contract columns are text) in PostgreSQL.
PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
    "UHUGEINT": "numeric(39, 0)",  # the row hash: 128 bits, more than Arrow's decimal128 holds, so copied as text
}


@dataclass(frozen=True)
class Lane:
    warehouse: Path
    postgres_dsn: str
    logs: dict[str, str]


def _copy_raw_zone(warehouse: Path, dsn: str) -> None:
    """Copy the raw zone into PostgreSQL as it is (text columns and load bookkeeping), one COPY per table."""
    import psycopg
    import pyarrow.csv as pacsv

    # Every non-null value quoted: PostgreSQL's CSV reads an unquoted empty field as null, a quoted one as ''.
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    with duckdb.connect(str(warehouse), read_only=True) as con, psycopg.connect(dsn) as pg:
        pg.execute("create schema raw")
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = 'raw' and table_name = ? order by ordinal_position""",
                [table],
            ).fetchall()
            declared = ", ".join(f'"{name}" {PG_TYPES[kind]}' for name, kind in columns)
            pg.execute(f'create table raw."{table}" ({declared})')
            buffer = io.BytesIO()
            select = ", ".join(
                f'cast("{name}" as varchar)' if kind == "UHUGEINT" else f'"{name}"' for name, kind in columns
            )
            rows = con.execute(f'select {select} from raw."{table}"').to_arrow_table()
            pacsv.write_csv(rows, buffer, options)
            with pg.cursor().copy(f'copy raw."{table}" from stdin (format csv)') as copy:
                copy.write(buffer.getvalue())


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Lane]:
    work = tmp_path_factory.mktemp("second-adapter")
    warehouse = generate_lane_warehouse(work)
    home = warehouse.parent
    dsn = postgres_server.create_database("radar_lane")
    _copy_raw_zone(warehouse, dsn)
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "RADAR_HOME": str(home),
        "RADAR_PG_HOST": postgres_server.host,
        "RADAR_PG_PORT": str(postgres_server.port),
        "RADAR_PG_USER": postgres_server.user,
        "RADAR_PG_DATABASE": "radar_lane",
    }
    # PostgreSQL builds and tests everything; DuckDB only needs the models (every pipeline run tests them there).
    builds = {"postgres": start_dbt("build", "postgres", work, env), "duckdb": start_dbt("run", "duckdb", work, env)}
    failed = [target for target, build in builds.items() if build.wait(timeout=600) != 0]
    logs = {target: (work / f"dbt-{target}.log").read_text() for target in builds}
    for target in failed:
        pytest.fail(f"dbt build on {target} failed:\n{logs[target][-4000:]}")
    # A second run, as the next monthly run with nothing new: the incremental snapshot models take their
    # incremental path (snapshot_increments.sql) on both, so the marts compared below are its output.
    reruns = {target: start_dbt("run", target, work, env, log_name=f"dbt-{target}-again") for target in builds}
    for target, rerun in reruns.items():
        if rerun.wait(timeout=600) != 0:
            pytest.fail(
                f"dbt's second run on {target} failed:\n{(work / f'dbt-{target}-again.log').read_text()[-4000:]}"
            )
    yield Lane(warehouse=warehouse, postgres_dsn=dsn, logs=logs)


def _postgres_frame(dsn: str, mart: str) -> pd.DataFrame:
    import psycopg

    with psycopg.connect(dsn) as pg:
        cursor = pg.execute(f"select * from marts.{mart}")
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description], dtype=object)


def test_every_model_builds_and_passes_its_data_and_unit_tests_on_postgresql(lane: Lane) -> None:
    for target, log in lane.logs.items():
        assert "Completed successfully" in log, target
        assert " ERROR=0 " in log and " SKIP=0 " in log, (target, log[-2000:])
    assert re.search(
        r"Finished running .*\d+ table models, \d+ data tests, \d+ unit tests", lane.logs["postgres"]
    )


def test_the_second_run_rebuilt_only_the_newest_months_on_both_adapters(lane: Lane) -> None:
    """Nothing new was loaded, so each incremental model rebuilt from the month of as_of_date on, not all."""
    import psycopg

    query = "select model_name, rebuilt_from from intermediate.snapshot_builds order by model_name"
    with duckdb.connect(str(lane.warehouse), read_only=True) as con, psycopg.connect(lane.postgres_dsn) as pg:
        on_duckdb = con.execute(query).fetchall()
        on_postgres = pg.execute(query).fetchall()
        as_of = con.execute("select as_of_date from intermediate.int_data_window").fetchone()[0]
    assert on_duckdb == on_postgres
    assert len(on_duckdb) == 6
    assert {rebuilt_from for _, rebuilt_from in on_duckdb} == {as_of.replace(day=1)}


@pytest.mark.parametrize("mart", MARTS)
def test_each_mart_is_the_same_row_for_row_on_duckdb_and_postgresql(lane: Lane, mart: str) -> None:
    duck, numeric = duckdb_frame(lane.warehouse, mart)
    pg = _postgres_frame(lane.postgres_dsn, mart)
    assert len(duck) > 50  # a real comparison, not two empty tables
    assert frame_differences(duck, pg, MARTS[mart], numeric) == []


def test_the_parent_links_are_the_same_on_both_adapters(lane: Lane) -> None:
    """account_hierarchy's recursive walk (the cycle check) on both engines; its unit test, with a cycle, a
    self-reference and an unknown parent, runs on PostgreSQL in the build above. 60 customers give a handful."""
    duck, numeric = duckdb_frame(lane.warehouse, "account_hierarchy")
    pg = _postgres_frame(lane.postgres_dsn, "account_hierarchy")
    assert len(duck) >= 3
    assert frame_differences(duck, pg, ("customer_id",), numeric) == []


def test_the_defective_rows_reach_both_adapters_and_are_dropped_alike(lane: Lane) -> None:
    """Bad dates, duplicates and orphans are in the raw zone on both sides and leave the same usable rows."""
    import psycopg

    query = "select count(*) from {schema}.{table}"
    counted = []
    with duckdb.connect(str(lane.warehouse), read_only=True) as con, psycopg.connect(lane.postgres_dsn) as pg:
        for schema, table in (
            ("raw", "orders"),
            ("staging", "stg_erp__orders"),
            ("intermediate", "int_orders_validated"),
        ):
            on_duckdb = con.execute(query.format(schema=schema, table=table)).fetchone()[0]
            on_postgres = pg.execute(query.format(schema=schema, table=table)).fetchone()[0]
            assert on_duckdb == on_postgres, table
            counted.append(on_duckdb)
        bad_dates = "select count(*) from staging.stg_erp__orders where order_date is null"
        assert con.execute(bad_dates).fetchone()[0] == pg.execute(bad_dates).fetchone()[0] > 0
    raw, staged, valid = counted
    assert raw == staged > valid  # staging keeps every row; validation drops the defective ones


def test_the_comparison_reports_a_value_that_differs_beyond_the_tolerance() -> None:
    duck = pd.DataFrame({"id": ["b", "a"], "x": [1.0, 2.0], "d": ["2025-01-31", None]}, dtype=object)
    pg = pd.DataFrame({"id": ["a", "b"], "x": [2.0 + 1e-12, 1.0], "d": [None, "2025-01-31"]}, dtype=object)
    assert frame_differences(duck, pg, ["id"], {"x"}) == []
    pg.loc[1, "x"] = 1.001
    pg.loc[0, "d"] = "2025-02-28"
    assert frame_differences(duck, pg, ["id"], {"x"}) == [
        "x: 1 of 2 rows differ, e.g. at id=b: duckdb 1.0, postgres 1.001",
        "d: 1 of 2 rows differ, e.g. at id=a: duckdb None, postgres '2025-02-28'",
    ]
