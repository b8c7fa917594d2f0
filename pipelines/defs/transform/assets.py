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
    yield from dbt.cli(
        ["build", "--vars", dbt_vars, *full_refresh], context=context, target_path=target
    ).stream()


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
