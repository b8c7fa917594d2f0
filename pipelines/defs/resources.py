"""The resources every Retention Radar stage shares: the data home and configuration (`radar`), the MLflow store
(`tracking`) and dbt."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.lib.core.config import RadarConfig, config_file_from_env, load_config
from pipelines.lib.core.home_lock import writer_lock
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.core.urls import Links
from pipelines.lib.ingest.sources import Source, build_source

if TYPE_CHECKING:
    from mlflow import MlflowClient


class RadarResource(dg.ConfigurableResource):
    """Settings with safe local defaults; each can be overridden by env var (RADAR_HOME, RADAR_CONFIG, and the
    command line's RADAR_SOURCES / RADAR_AS_OF, which `load_config` applies) or run config."""

    home: str | None = None
    config_file: str | None = None
    sources_dir: str | None = None

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["RadarResource"]:
        """Hold the data home as its only writer for the whole run (`lib/core/home_lock.py`).

        `radar run`, `backfill` and the other writing commands already hold it around their in-process runs (the
        lock is re-entrant, so this returns at once); a run launched from the Dagster UI or by its daemon has no
        `radar` command around it and takes it here, waiting, with one line in the run's log, while a `radar
        run` in a terminal writes the same home. Without it the two would collide on DuckDB's single writer."""

        def _say(holder: object) -> None:
            who = holder.describe() if holder is not None else "another radar process"
            context.log.warning(f"waiting for the data home {self.paths.home}: {who} holds it")

        if context.run_id is None:  # a sensor or schedule tick reads the sources, it writes nothing
            yield self
            return
        with writer_lock(self.paths.home, on_wait=_say, command=f"dagster run {context.run_id}"):
            yield self

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
        self,
        run_id: str,
        *,
        key: str = "mlflow_run",
        with_table: bool = False,
        client: "MlflowClient | None" = None,
    ) -> dict[str, object]:
        """``{key}_id`` (the run id, as text) and ``key`` (its page in the MLflow UI, when one is configured),
        with ``with_table`` also ``mlflow_runs_table`` (the experiment's runs, to compare quarters). The run is
        looked up with ``client``, by default one of the data home's own store."""
        client = client or Tracking.for_home(self.paths, self.config.training.experiment).client()
        experiment_id = client.get_run(run_id).info.experiment_id
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


class MlflowResource(dg.ConfigurableResource):
    """The MLflow store the assets track to and register in, handed out as clients bound to it (`client`), and
    for MLflow's fluent API (`start_run`, `log_model`, `models:/` URIs) as a block that points it there and
    back (`active`), so no asset relies on, or leaves behind, process-wide MLflow state.

    By default the store `Tracking.for_home` names (the tracking server of RADAR_MLFLOW_TRACKING_URI in
    production, else SQLite and an artifact folder under RADAR_HOME) and the experiment the configuration names
    (RADAR_CONFIG), as `radar` resolves them; run config that moves `radar.home` elsewhere
    sets ``tracking_uri`` (and ``artifact_location``) to match."""

    tracking_uri: str | None = None
    artifact_location: str | None = None
    experiment: str | None = None

    @cached_property
    def tracking(self) -> Tracking:
        paths = RadarPaths.from_env()
        home = Tracking.for_home(
            paths, self.experiment or load_config(config_file_from_env()).training.experiment
        )
        return Tracking(
            uri=self.tracking_uri or home.uri,
            artifact_location=self.artifact_location or home.artifact_location,
            experiment=home.experiment,
        )

    def client(self) -> "MlflowClient":
        return self.tracking.client()

    def experiment_id(self) -> str:
        return self.tracking.experiment_id()

    @contextmanager
    def active(self) -> Iterator["MlflowClient"]:
        """MLflow's fluent API on this store and experiment for the block (see `Tracking.active`)."""
        with self.tracking.active() as client:
            yield client

    @contextmanager
    def reading(self) -> Iterator["MlflowClient"]:
        """`models:/` URIs resolved in this store for the block, nothing created (see `Tracking.reading`)."""
        with self.tracking.reading() as client:
            yield client


def dbt_resource() -> DbtCliResource:
    from pipelines.defs.transform.project import dbt_project

    # The venv's own dbt, so nothing depends on the venv being activated.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))


@dg.definitions
def shared_policy() -> dg.Definitions:
    """What every stage shares: the resources, and one in-process executor (see `pipelines/definitions.py`)."""
    return dg.Definitions(
        resources={"radar": RadarResource(), "tracking": MlflowResource(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )
