"""MLflow against the data home's own store (SQLite for runs and the registry, a folder for artifacts), or the
tracking server that ``RADAR_MLFLOW_TRACKING_URI`` names in production (see deploy/ and the README).

`Tracking` names one store and experiment. Code that talks to MLflow takes its `client()`; MLflow's fluent API
(`mlflow.start_run`, `log_model`, `models:/` URIs), which only knows a process-wide store, is used inside
`Tracking.active()`, which points it at this store for the block and restores what was there before, so nothing
carries over from one run (or test) to the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from urllib.request import url2pathname

from pipelines.lib.core.paths import RadarPaths

if TYPE_CHECKING:
    from mlflow import MlflowClient

# What MLflow's fluent API keeps for the process: set by `active()`, put back when it ends.
_FLUENT_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID")


@dataclass(frozen=True)
class Tracking:
    """One MLflow store (runs and registry at ``uri``), where new experiments keep their artifacts (None: where
    the tracking server puts them), and the experiment the pipeline logs to (None for a reader of the registry
    only)."""

    uri: str
    artifact_location: str | None
    experiment: str | None = None

    @classmethod
    def for_home(cls, paths: RadarPaths, experiment: str | None = None) -> Tracking:
        """The store this installation uses: ``RADAR_MLFLOW_TRACKING_URI`` (a server shared by the team; its
        artifacts where ``RADAR_MLFLOW_ARTIFACTS`` or the server says) when set, else the data home's own."""
        from pipelines.lib.core import environment

        uri = environment.mlflow_tracking_uri()
        if uri is not None:
            return cls(uri=uri, artifact_location=environment.mlflow_artifacts(), experiment=experiment)
        return cls(
            uri=paths.tracking_uri,
            artifact_location=environment.mlflow_artifacts() or paths.mlflow_artifacts.as_uri(),
            experiment=experiment,
        )

    def exists(self) -> bool:
        """Whether there is a store to read: the SQLite file once a run made it; a server or database always
        (an empty registry answers as such)."""
        if self.uri.startswith("sqlite:///"):
            return Path(self.uri.removeprefix("sqlite:///")).exists()
        return True

    def _create_folders(self) -> None:
        # SQLite creates the database file but not its folder; a file store's folders likewise.
        if self.uri.startswith("sqlite:///"):
            Path(self.uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if self.artifact_location is not None and self.artifact_location.startswith("file:"):
            Path(url2pathname(urlparse(self.artifact_location).path)).mkdir(parents=True, exist_ok=True)

    def client(self) -> MlflowClient:
        """A client bound to this store (tracking and registry), whatever the process-wide MLflow points at."""
        from mlflow import MlflowClient

        self._create_folders()
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def experiment_id(self, client: MlflowClient | None = None) -> str:
        """The experiment's id, created (with its artifacts under the data home) on first use."""
        if self.experiment is None:
            raise ValueError(f"no experiment named for the MLflow store {self.uri}")
        client = client or self.client()
        found = client.get_experiment_by_name(self.experiment)
        if found is not None:
            return found.experiment_id
        return client.create_experiment(self.experiment, artifact_location=self.artifact_location)

    @contextmanager
    def active(self) -> Iterator[MlflowClient]:
        """Point MLflow's fluent API at this store and experiment for the block (yielding a client of it); the
        previous tracking URI, registry URI and active experiment come back afterwards."""
        with self._fluent(with_experiment=True) as client:
            yield client

    @contextmanager
    def reading(self) -> Iterator[MlflowClient]:
        """As `active`, for reading only (loading a `models:/` URI): no experiment is created or chosen."""
        with self._fluent(with_experiment=False) as client:
            yield client

    @contextmanager
    def _fluent(self, *, with_experiment: bool) -> Iterator[MlflowClient]:
        import mlflow
        from mlflow.tracking import fluent
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        client = self.client()
        experiment_id = self.experiment_id(client) if with_experiment else None
        # MLflow keeps these in module globals (mirrored to the environment for subprocesses) and offers no
        # public way to scope them, so they are saved and put back by hand.
        saved = (tracking_utils._tracking_uri, registry_utils._registry_uri, fluent._active_experiment_id)
        saved_env = {name: os.environ.get(name) for name in _FLUENT_ENV}
        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.uri)
        if experiment_id is not None:
            mlflow.set_experiment(experiment_id=experiment_id)
        try:
            yield client
        finally:
            tracking_utils.set_tracking_uri(saved[0])
            registry_utils._registry_uri = saved[1]
            fluent._active_experiment_id = saved[2]
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def configure_mlflow(paths: RadarPaths, experiment: str) -> str:
    """Point the process-wide MLflow at the data home for good and return the experiment id. Only for code that
    has no `Tracking` to hand (some tests); the pipeline, the review and `radar status` use `Tracking`."""
    import mlflow

    tracking = Tracking.for_home(paths, experiment)
    experiment_id = tracking.experiment_id()
    mlflow.set_tracking_uri(tracking.uri)
    mlflow.set_registry_uri(tracking.uri)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
