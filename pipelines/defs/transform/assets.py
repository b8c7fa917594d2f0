"""Transform: the dbt project builds staging views, intermediate tables and the feature marts in DuckDB."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.resources import RadarResource
from pipelines.defs.transform.project import dbt_project


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
    # profiles.yml reads the warehouse location from RADAR_HOME; make it the absolute path of this run's home.
    os.environ["RADAR_HOME"] = str(radar.paths.home)
    dbt_vars = json.dumps(radar.config.dbt_vars())
    yield from dbt.cli(["build", "--vars", dbt_vars], context=context).stream()
