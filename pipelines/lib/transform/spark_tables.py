"""The Spark engine (``warehouse.engine: spark``): where its files live, the dbt vars that point the `spark` target
at them, and the copy of the tables it built back into the DuckDB warehouse, which the Python stages read.

dbt-spark's ``session`` method keeps its tables as Parquet folders under ``spark/warehouse/<schema>.db/<table>`` of
the data home, and its catalog in a Derby metastore beside them. The copy reads those folders with DuckDB, so it
needs no second Spark session; a view (customer_360) has no folder and is created on DuckDB by dbt afterwards.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.lib.core.warehouse import connect

# The schemas the Python stages read from the warehouse (marts and the two intermediate tables they join).
COPIED_SCHEMAS = ("intermediate", "marts")


def spark_dir(home: Path) -> Path:
    return home / "spark"


def raw_parquet_dir(home: Path) -> Path:
    return spark_dir(home) / "raw"


def spark_dbt_vars(home: Path) -> dict[str, str]:
    """The vars dbt_project/profiles.yml and the spark hooks read: the Parquet raw zone and Spark's own folder."""
    return {"radar_raw_parquet": str(raw_parquet_dir(home)), "radar_spark_dir": str(spark_dir(home))}


def copy_spark_tables(home: Path, warehouse: Path, schemas: tuple[str, ...] = COPIED_SCHEMAS) -> dict[str, int]:
    """Replace each table of ``schemas`` in the DuckDB warehouse by the one Spark built (its Parquet folder), and
    return the rows copied per ``schema.table``. Empty tables (no Parquet file yet) are skipped."""
    copied: dict[str, int] = {}
    root = spark_dir(home) / "warehouse"
    with connect(warehouse) as con:
        for schema in schemas:
            con.execute(f"create schema if not exists {schema}")
            for folder in sorted((root / f"{schema}.db").glob("*")):
                if not folder.is_dir() or not any(folder.glob("*.parquet")):
                    continue
                name = f'{schema}."{folder.name}"'
                con.execute(f"drop view if exists {name}")
                con.execute(
                    f"create or replace table {name} as select * from read_parquet('{folder}/*.parquet')"
                )
                copied[f"{schema}.{folder.name}"] = int(con.execute(f"select count(*) from {name}").fetchone()[0])
    return copied
