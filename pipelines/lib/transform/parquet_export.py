"""The raw zone as Parquet, for the dbt models on Spark (the `spark` target of dbt_project/profiles.yml).

Spark reads the raw zone as external tables over one folder per table (the spark ``create_portable_functions``
hook in dbt_project/macros/portable.sql declares them). DuckDB writes each folder with one vectorised ``COPY``, so
the export never passes through Python rows. The 128-bit row hash has no Parquet or Spark type that holds it and is
written as text; it is only ever compared for equality.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.lib.core.warehouse import connect

# DuckDB types that Parquet (or Spark reading it) cannot hold, and what they are written as.
AS_TEXT = ("UHUGEINT", "HUGEINT")


def export_raw_zone(warehouse: Path, target: Path) -> dict[str, int]:
    """Write every table of the warehouse's ``raw`` schema to ``target/<table>/data.parquet`` (replacing what
    was there) and return the rows written per table."""
    written: dict[str, int] = {}
    with connect(warehouse, read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = 'raw' and table_name = ? order by ordinal_position""",
                [table],
            ).fetchall()
            select = ", ".join(
                f'cast("{name}" as varchar) as "{name}"' if kind in AS_TEXT else f'"{name}"'
                for name, kind in columns
            )
            folder = target / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            con.execute(
                f"copy (select {select} from raw.\"{table}\") to '{folder / 'data.parquet'}' (format parquet)"
            )
            written[table] = int(con.execute(f'select count(*) from raw."{table}"').fetchone()[0])
    return written
