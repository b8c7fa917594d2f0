"""Transform: the dbt project builds staging views, intermediate tables and the feature marts in DuckDB."""

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.resources import RadarResource
from pipelines.defs.transform.project import dbt_project
from pipelines.lib.core.warehouse import dbt_connection_vars
from pipelines.lib.transform.increments import built_with_other_code, dbt_code_digest
from pipelines.lib.transform.parquet_export import export_raw_zone
from pipelines.lib.transform.spark_tables import copy_spark_tables, raw_parquet_dir, spark_dbt_vars


class RadarDbtTranslator(DagsterDbtTranslator):
    """dbt layers become Dagster groups; raw sources map onto the extract assets' keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return "features" if "marts" in fqn else "transform"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=RadarDbtTranslator(),
    pool="warehouse",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, radar: RadarResource):
    """Build and test every dbt model with the business rules from radar.yaml passed as vars."""
    # profiles.yml reads the warehouse's absolute path and DuckDB's settings from these vars.
    digest = dbt_code_digest()
    dbt_vars = json.dumps(
        {**radar.config.dbt_vars(), **dbt_connection_vars(radar.paths.warehouse), "dbt_code_digest": digest}
    )
    # The snapshot models keep older months between runs; months built by other dbt code are rebuilt from scratch.
    full_refresh = ["--full-refresh"] if built_with_other_code(radar.paths.warehouse, digest) else []
    target = _run_target(radar.paths.home / "dbt_runs", context.run_id)
    if radar.config.warehouse.engine == "spark":
        yield from _build_on_spark(context, dbt, radar, digest, target)
        return
    yield from dbt.cli(
        ["build", "--vars", dbt_vars, *full_refresh], context=context, target_path=target
    ).stream()


def _build_on_spark(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, radar: RadarResource, digest: str, target: Path
):
    """warehouse.engine: spark. The raw zone goes to Parquet, dbt builds and tests every model on Spark, and the
    tables the Python stages read come back into the warehouse file; customer_360 (a view over the score tables
    the scoring assets write there) is then created on DuckDB."""
    home, warehouse = radar.paths.home, radar.paths.warehouse
    exported = export_raw_zone(warehouse, raw_parquet_dir(home))
    context.log.info(f"raw zone exported to Parquet for Spark: {sum(exported.values())} rows, {len(exported)} tables")
    spark_vars = json.dumps({**radar.config.dbt_vars(), **spark_dbt_vars(home), "dbt_code_digest": digest})
    yield from dbt.cli(
        ["build", "--target", "spark", "--vars", spark_vars], context=context, target_path=target / "spark"
    ).stream()
    copied = copy_spark_tables(home, warehouse)
    context.log.info(f"copied {len(copied)} Spark tables into the warehouse: {sum(copied.values())} rows")
    duckdb_vars = json.dumps({**radar.config.dbt_vars(), **dbt_connection_vars(warehouse)})
    dbt.cli(
        ["run", "--select", "customer_360", "--vars", duckdb_vars],
        target_path=target / "duckdb",
        raise_on_error=True,
    ).wait()


KEEP_DBT_RUNS = 5


def _run_target(runs: Path, run_id: str) -> Path:
    """A dbt target folder per run, under the data home (compiled SQL, run_results.json, dbt.log to debug a
    run), never in the code checkout; only the newest few are kept, so the data home does not grow by a
    folder per run."""
    runs.mkdir(parents=True, exist_ok=True)
    older = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in older[: max(0, len(older) - (KEEP_DBT_RUNS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    return runs / run_id
