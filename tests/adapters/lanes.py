"""What the adapter lanes share (tests/adapters): the generated sources with every defect kind, the raw zone loaded
into DuckDB as the extract assets load it, dbt started on one target in its own folders, and the row-for-row
comparison of a mart with DuckDB's."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.simulate import generate_sources
from tests.conftest import END

MARTS: dict[str, tuple[str, ...]] = {
    "customer_features": ("customer_id", "snapshot_date"),
    "churn_labels": ("customer_id", "snapshot_date"),
    # A view over the features and the score tables, which no scoring has filled here: the features, lifecycle
    # and value-tier columns are compared, the score columns are null on both.
    "customer_360": ("customer_id",),
}
DEFECTS = {"missing": 0.01, "bad_date": 0.01, "duplicates": 0.01, "orphans": 0.01, "out_of_range": 0.01}
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
TOLERANCE = 1e-9  # relative and absolute: the two engines may add floating-point sums in different orders


def generate_lane_warehouse(work: Path) -> Path:
    """60 customers × 24 months with every defect kind, extracted into ``raw.<table>`` of a new warehouse in
    ``work/home``, as the ingest assets do; returns the warehouse's path."""
    sources = work / "sources"
    generate_sources(sources, customers=60, months=24, seed=11, end=END, defects=DEFECTS)
    home = work / "home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for table in CONTRACT:
            load_table(con, table, sources)
    return warehouse


def start_dbt(
    command: str,
    target: str,
    work: Path,
    env: dict[str, str],
    *,
    log_name: str | None = None,
    extra_vars: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``dbt <command>`` on one target with its own target and log folders, so two can run at once and
    neither touches the manifest Dagster reads. Its output goes to ``work/<log_name>.log`` (dbt-<target>)."""
    with (work / f"{log_name or f'dbt-{target}'}.log").open("wb") as log:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dbt"),
                command,
                "--target",
                target,
                "--vars",
                json.dumps({**RadarConfig().dbt_vars(), **(extra_vars or {})}),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(work / f"target-{target}"),
                "--log-path",
                str(work / f"logs-{target}"),
            ],
            cwd=DBT_PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def duckdb_frame(warehouse: Path, mart: str) -> tuple[pd.DataFrame, set[str]]:
    """The mart as plain Python values, and which of its columns are numbers."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from marts.{mart}")
        frame = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description], dtype=object)
        types = con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
            "and table_name = ?",
            [mart],
        ).fetchall()
    return frame, {name for name, kind in types if kind.startswith(NUMERIC_TYPES)}


def frame_differences(
    duck: pd.DataFrame, other: pd.DataFrame, key: Sequence[str], numeric: set[str], *, engine: str = "postgres"
) -> list[str]:
    """One line per column whose values differ once both frames are sorted by ``key``: numbers within
    ``TOLERANCE``, everything else (text, dates, booleans) exactly; null equals only null."""
    if list(duck.columns) != list(other.columns):
        return [f"columns differ: duckdb {list(duck.columns)}, {engine} {list(other.columns)}"]
    if len(duck) != len(other):
        return [f"row counts differ: duckdb {len(duck)}, {engine} {len(other)}"]
    duck = duck.sort_values(list(key), ignore_index=True)
    other = other.sort_values(list(key), ignore_index=True)
    problems = []
    for column in duck.columns:
        left, right = duck[column], other[column]
        if column in numeric:
            same = np.isclose(
                left.astype(float), right.astype(float), rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True
            )
        else:
            same = ((left == right) | (left.isna() & right.isna())).to_numpy()
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            at = ", ".join(f"{k}={duck.at[first, k]}" for k in key)
            problems.append(
                f"{column}: {int((~same).sum())} of {len(same)} rows differ, e.g. at {at}: "
                f"duckdb {left[first]!r}, {engine} {right[first]!r}"
            )
    return problems
