"""The one resource every Retention Radar asset shares: where the data home is and what the configuration says."""

import sys
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.lib.core.config import RadarConfig, config_file_from_env, load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.urls import Links
from pipelines.lib.ingest.sources import Source, build_source


class RadarResource(dg.ConfigurableResource):
    """Settings with safe local defaults; each can be overridden by env var (RADAR_HOME, RADAR_CONFIG, and the
    command line's RADAR_SOURCES / RADAR_AS_OF, which `load_config` applies) or run config."""

    home: str | None = None
    config_file: str | None = None
    sources_dir: str | None = None

    @cached_property
    def paths(self) -> RadarPaths:
        return RadarPaths(Path(self.home).resolve()) if self.home else RadarPaths.from_env()

    @cached_property
    def config(self) -> RadarConfig:
        return load_config(Path(self.config_file) if self.config_file else config_file_from_env())

    @cached_property
    def links(self) -> Links:
        return self.config.ui.links(self.paths)

    def report_link(self, path: Path) -> dg.UrlMetadataValue:
        """A report's (or the Data Docs') page on `radar ui`'s report server, for a metadata entry."""
        return dg.MetadataValue.url(self.links.report(path))

    def mlflow_run_links(
        self, run_id: str, *, key: str = "mlflow_run", with_table: bool = False
    ) -> dict[str, object]:
        """``{key}_id`` (the run id, as text) and ``key`` (its page in the MLflow UI, when one is configured),
        with ``with_table`` also ``mlflow_runs_table`` (the experiment's runs, to compare quarters). MLflow must
        already point at the data home's store (`configure_mlflow`)."""
        import mlflow

        experiment_id = mlflow.MlflowClient().get_run(run_id).info.experiment_id
        urls = {key: self.links.mlflow_run(experiment_id, run_id)}
        if with_table:
            urls["mlflow_runs_table"] = self.links.mlflow_runs(experiment_id)
        return {f"{key}_id": run_id, **{k: dg.MetadataValue.url(u) for k, u in urls.items() if u}}

    def source_folder(self) -> Path:
        """The folder to extract from: an explicit override, the configured folder (which `--sources` sets, see
        `load_config`), or the demo folder."""
        if self.sources_dir:
            return Path(self.sources_dir).expanduser().resolve()
        if self.config.sources.kind == "folder":
            return Path(self.config.sources.path).expanduser().resolve()
        return self.paths.demo_sources

    def source(self) -> Source:
        """The connector to extract from: a folder override wins over ``sources.kind``."""
        settings = self.config.sources
        if self.uses_demo or self.sources_dir or settings.kind == "folder":
            return build_source(kind="folder", path=self.source_folder(), tables=settings.tables)
        path = Path(settings.path).expanduser().resolve() if settings.path else None
        return build_source(
            kind=settings.kind, path=path, dsn=settings.dsn, schema=settings.db_schema, tables=settings.tables
        )

    @property
    def uses_demo(self) -> bool:
        return not self.sources_dir and self.config.sources.kind == "demo"


def dbt_resource() -> DbtCliResource:
    from pipelines.defs.transform.project import dbt_project

    # The venv's own dbt, so nothing depends on the venv being activated.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))


@dg.definitions
def shared_policy() -> dg.Definitions:
    """What every stage shares: the two resources, and one in-process executor (see `pipelines/definitions.py`)."""
    return dg.Definitions(
        resources={"radar": RadarResource(), "dbt": dbt_resource()}, executor=dg.in_process_executor
    )
