"""The production stores are chosen by environment variables: MLflow's server, Dagster's PostgreSQL storage."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.lib.core import environment
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import Tracking
from pipelines.runner import DAGSTER_YAML, _write_dagster_yaml


def test_without_variables_mlflow_stays_in_the_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(environment.MLFLOW_TRACKING_URI, raising=False)
    monkeypatch.delenv(environment.MLFLOW_ARTIFACTS, raising=False)
    paths = RadarPaths(tmp_path)
    tracking = Tracking.for_home(paths, "exp")
    assert tracking.uri == paths.tracking_uri
    assert tracking.artifact_location == paths.mlflow_artifacts.as_uri()
    assert not tracking.exists()  # no SQLite file before the first run


def test_a_tracking_server_takes_its_own_artifact_root_unless_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(environment.MLFLOW_TRACKING_URI, " http://mlflow:5000 ")
    monkeypatch.delenv(environment.MLFLOW_ARTIFACTS, raising=False)
    tracking = Tracking.for_home(RadarPaths(tmp_path), "exp")
    assert (tracking.uri, tracking.artifact_location, tracking.exists()) == ("http://mlflow:5000", None, True)
    monkeypatch.setenv(environment.MLFLOW_ARTIFACTS, "s3://models/radar")
    assert Tracking.for_home(RadarPaths(tmp_path)).artifact_location == "s3://models/radar"


def test_the_home_instance_switches_to_postgres_storage_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dagster.yaml"
    monkeypatch.delenv(environment.DAGSTER_POSTGRES_URL, raising=False)
    _write_dagster_yaml(path)
    assert path.read_text() == DAGSTER_YAML and "storage" not in yaml.safe_load(path.read_text())
    monkeypatch.setenv(environment.DAGSTER_POSTGRES_URL, "postgresql+psycopg2://u:secret@db:5432/dagster")
    _write_dagster_yaml(path)
    written = yaml.safe_load(path.read_text())
    # The URL, and its password, stay in the environment; Dagster reads the variable itself.
    assert written["storage"] == {"postgres": {"postgres_url": {"env": environment.DAGSTER_POSTGRES_URL}}}
    assert "secret" not in path.read_text() and written["concurrency"]["runs"]["max_concurrent_runs"] == 1
    monkeypatch.delenv(environment.DAGSTER_POSTGRES_URL)
    _write_dagster_yaml(path)
    assert path.read_text() == DAGSTER_YAML


def test_an_instance_file_someone_else_wrote_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dagster.yaml"
    path.write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv(environment.DAGSTER_POSTGRES_URL, "postgresql+psycopg2://db/dagster")
    _write_dagster_yaml(path)
    assert path.read_text() == "telemetry:\n  enabled: false\n"
