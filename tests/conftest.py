"""Shared fixtures: small generated source folders, real in-process pipeline runs in throwaway data homes, and a
throwaway PostgreSQL server for the tests that need one (the PostgreSQL connector and the second-adapter lane)."""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from pipelines.lib.core.paths import RadarPaths

END = dt.date(2026, 10, 31)


def pytest_configure(config: pytest.Config) -> None:
    """The asset graph is built from dbt's manifest; it must be current before test modules import the
    definitions, which happens at collection, so this runs before collection (a fresh clone has no manifest)."""
    from pipelines.defs.transform.project import ensure_manifest

    # With pytest-xdist (`make test` runs two workers) the controller builds it before the workers start; two
    # workers running `dbt parse` at once would write the same target folder.
    if not hasattr(config, "workerinput"):
        ensure_manifest()
    # As `radar` does (runner.prepare_environment): no download progress bars from MLflow in the test log.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


# What `radar` hands to the pipeline through the environment (see `prepare_environment` and `load_config`).
RADAR_ENVIRONMENT = (
    "RADAR_HOME",
    "RADAR_CONFIG",
    "RADAR_SOURCES",
    "RADAR_AS_OF",
    "DAGSTER_HOME",
    "RADAR_DUCKDB_SETTINGS",
    "RADAR_MLFLOW_URL",
    "RADAR_REPORTS_URL",
    "RADAR_RUN_PID",
    "RADAR_MLFLOW_TRACKING_URI",
    "RADAR_MLFLOW_ARTIFACTS",
    "RADAR_DAGSTER_POSTGRES_URL",
)


def _restored(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True, scope="module")
def _radar_environment_restored_per_module() -> Iterator[None]:
    """A module-scoped fixture that runs `radar` in-process (e.g. `radar run` through click's runner) sets the
    pipeline's environment before any test's own guard below sees it; the next module starts without it."""
    saved = {k: os.environ.get(k) for k in RADAR_ENVIRONMENT}
    yield
    _restored(saved)


@pytest.fixture(autouse=True)
def _radar_environment_restored() -> Iterator[None]:
    """A CLI test sets the pipeline's environment in-process, as `radar` does; the next test starts without it."""
    saved = {k: os.environ.get(k) for k in RADAR_ENVIRONMENT}
    yield
    _restored(saved)


@dataclass
class PipelineRun:
    paths: RadarPaths
    sources: Path
    result: dg.ExecuteInProcessResult

    def checks(self) -> dict[str, bool]:
        return {e.check_name: e.passed for e in self.result.get_asset_check_evaluations()}


def generate(folder: Path, *, customers: int, months: int, seed: int = 7) -> Path:
    from pipelines.lib.simulate import generate_sources

    generate_sources(folder, customers=customers, months=months, seed=seed, end=END)
    return folder


def run_pipeline(home: Path, sources: Path, config: Path | None = None) -> PipelineRun:
    """Materialise the whole graph in-process, as `radar run` does, against a fresh data home."""
    from pipelines.definitions import defs

    with pytest.MonkeyPatch.context() as mp:
        # dbt's profile reads RADAR_HOME; the dbt asset sets it, and this restores it afterwards.
        mp.setenv("RADAR_HOME", str(home))
        radar = {"home": str(home), "sources_dir": str(sources)}
        if config is not None:
            radar["config_file"] = str(config)
        from pipelines.defs.train.partitions import latest_quarter

        instance = dg.DagsterInstance.ephemeral()
        result = defs().resolve_job_def("retention_radar").execute_in_process(
            instance=instance,
            partition_key=latest_quarter(instance),
            run_config={"resources": {"radar": {"config": radar}}},
            raise_on_error=False,
        )
    return PipelineRun(paths=RadarPaths(home), sources=sources, result=result)


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("sources") / "demo", customers=300, months=24)


@pytest.fixture(scope="session")
def full_run(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> Iterator[PipelineRun]:
    yield run_pipeline(tmp_path_factory.mktemp("home"), demo_sources)


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server on 127.0.0.1 that trusts its user, so no password is involved."""

    host: str
    port: int
    user: str

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} dbname={dbname} user={self.user}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database (dropped first if a test made it before); returns its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as pg:
            pg.execute(f'drop database if exists "{name}"')
            pg.execute(f'create database "{name}"')
        return self.dsn(name)


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server binaries (initdb, pg_ctl), or None when the machine has none."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on 127.0.0.1 (trust auth) for the whole session, stopped and deleted after.
    Tests that use it skip, saying why, on a machine without the server binaries."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb) on this machine; .ci/install-postgres.sh installs them"
        )
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="radar-pg-test-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "radar", "--no-sync", "-E", "UTF8")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user="radar")
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
