"""`radar run` on production storage: Dagster's runs and events in PostgreSQL (dagster-postgres), and an MLflow
tracking server with a PostgreSQL backend store and its own artifact root, as deploy/ sets them up on Kubernetes.

Both stores are the throwaway PostgreSQL server of the second-adapter lane; the MLflow server runs on 127.0.0.1.
The pipeline is pointed at them the way a deployment does it, through RADAR_DAGSTER_POSTGRES_URL and
RADAR_MLFLOW_TRACKING_URI, and each store is then queried directly to see that the run, the champion and the
scores' model are there, and that nothing fell back to the data home's SQLite files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner, Result

from pipelines.cli import main
from pipelines.lib.core import environment
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.ui.serve import free_local_port
from tests.conftest import PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.production]

MODEL = "retention_radar_churn"  # radar.yaml's training.model_name


@dataclass(frozen=True)
class ProductionRun:
    paths: RadarPaths
    dagster_dsn: str
    mlflow_dsn: str
    mlflow_uri: str
    artifacts: Path
    result: Result
    seconds: float


def _until_healthy(url: str, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"mlflow server exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"mlflow server at {url} not healthy in {seconds:.0f} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def mlflow_server(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """`mlflow server` on 127.0.0.1 with its runs and registry in PostgreSQL (psycopg 3) and artifacts it serves
    from a local folder; yields its URL, the backend's DSN and the artifact folder."""
    dsn = postgres_server.create_database("radar_mlflow")
    base = tmp_path_factory.mktemp("mlflow-server")
    artifacts, log = base / "artifacts", base / "server.log"
    port = free_local_port()
    backend = f"postgresql+psycopg://{postgres_server.user}@{postgres_server.host}:{postgres_server.port}/radar_mlflow"
    command = [
        str(Path(sys.executable).parent / "mlflow"), "server",
        "--backend-store-uri", backend,
        "--artifacts-destination", artifacts.as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    # No server-side job runner: its consumer processes are of no use here and cost the 2 cores.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _until_healthy(url, server, log)
        yield url, dsn, artifacts
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def production_run(
    postgres_server: PostgresServer,
    mlflow_server: tuple[str, str, Path],
    demo_sources: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> ProductionRun:
    url, mlflow_dsn, artifacts = mlflow_server
    dagster_dsn = postgres_server.create_database("radar_dagster")
    home = tmp_path_factory.mktemp("production") / "home"
    server = postgres_server
    env = {
        "RADAR_HOME": str(home),
        # psycopg2 named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which dagster-postgres rejects.
        environment.DAGSTER_POSTGRES_URL: f"postgresql+psycopg2://{server.user}@{server.host}:{server.port}/radar_dagster",
        environment.MLFLOW_TRACKING_URI: url,
    }
    started = time.monotonic()
    result = CliRunner().invoke(main, ["run", "--sources", str(demo_sources)], env=env)
    seconds = time.monotonic() - started
    print(f"radar run on production storage: {seconds:.0f} s")
    return ProductionRun(RadarPaths(home), dagster_dsn, mlflow_dsn, url, artifacts, result, seconds)


def _rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as pg:
        return pg.execute(sql).fetchall()


def test_radar_run_succeeds_on_postgres_storage_and_an_mlflow_server(production_run: ProductionRun) -> None:
    assert production_run.result.exit_code == 0, production_run.result.output + production_run.result.stderr
    # Nothing fell back to the data home's own stores.
    assert not production_run.paths.mlflow_db.exists()
    assert not (production_run.paths.dagster_home / "history" / "runs.db").exists()
    assert "postgres_url" in (production_run.paths.dagster_home / "dagster.yaml").read_text()


def test_the_run_and_its_materialisations_are_in_dagsters_postgres_storage(production_run: ProductionRun) -> None:
    runs = _rows(production_run.dagster_dsn, "select pipeline_name, status from runs")
    assert runs == [("retention_radar", "SUCCESS")]
    materialised = {
        key
        for (key,) in _rows(
            production_run.dagster_dsn,
            "select asset_key from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'",
        )
    }
    assert {'["churn_model"]', '["champion_decision"]', '["customer_scores"]'} <= materialised
    # The warehouse pool's slot is claimed and given back through the same storage.
    assert _rows(production_run.dagster_dsn, "select count(*) from pending_steps") == [(0,)]


def test_the_champion_and_its_metrics_are_in_mlflows_postgres_store(production_run: ProductionRun) -> None:
    from mlflow import MlflowClient

    aliases = _rows(
        production_run.mlflow_dsn,
        f"select alias, version from registered_model_aliases where name = '{MODEL}'",
    )
    assert [alias for alias, _ in aliases] == ["champion"]
    version = str(aliases[0][1])
    client = MlflowClient(tracking_uri=production_run.mlflow_uri, registry_uri=production_run.mlflow_uri)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert champion.version == version
    # MLflow's SQL store keeps a NaN figure (a fold too early for its history) as 0 with is_nan set.
    stored = {
        key: float("nan") if is_nan else value
        for key, value, is_nan in _rows(
            production_run.mlflow_dsn,
            f"select key, value, is_nan from latest_metrics where run_uuid = '{champion.run_id}'",
        )
    }
    assert 0.5 < stored["roc_auc"] <= 1, sorted(stored)
    assert client.get_run(champion.run_id).data.metrics == pytest.approx(stored, nan_ok=True)
    # The model's files went through the server to its artifact root, not to the data home.
    assert any(production_run.artifacts.rglob("MLmodel"))
    assert not production_run.paths.mlflow_artifacts.exists()


def test_the_scores_come_from_the_champion_on_the_server(production_run: ProductionRun) -> None:
    scores = pd.read_csv(production_run.paths.scores_csv, dtype={"model_version": str})
    champion = _rows(
        production_run.mlflow_dsn, f"select version from registered_model_aliases where name = '{MODEL}'"
    )[0][0]
    assert len(scores) > 100
    assert scores["churn_probability"].between(0, 1).all()
    assert set(scores["model_version"]) == {str(champion)}
