"""Every environment variable Retention Radar reads, read here and nowhere else.

The command line (`radar run --sources … --as-of …`, `--config`, the data home) hands its choices to the
pipeline's process and to the Dagster code location through these variables (see `runner.prepare_environment`,
the one place that sets them); a reader asks this module, so a variable's meaning is written down once.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

HOME = "RADAR_HOME"  # the data home; default `.radar` in the working directory
CONFIG = "RADAR_CONFIG"  # the configuration file; default the shipped radar.yaml
SOURCES = "RADAR_SOURCES"  # `--sources`: a sources folder that wins over the file's `sources`
AS_OF = "RADAR_AS_OF"  # `--as-of`: the scoring date that wins over the file's `scoring.as_of`
DUCKDB_THREADS = "RADAR_DUCKDB_THREADS"  # DuckDB's threads (default: the CPUs this process may use)
DUCKDB_MEMORY_LIMIT = "RADAR_DUCKDB_MEMORY_LIMIT"  # DuckDB's memory limit, e.g. 6GiB (default: a share of RAM)
PSEUDONYM_KEY = "RADAR_PSEUDONYM_KEY"  # the pseudonym key (default: the data home's own key file)
REPORTS_URL = "RADAR_REPORTS_URL"  # the report server's base URL (empty: file:// links); wins over radar.yaml
MLFLOW_URL = "RADAR_MLFLOW_URL"  # the MLflow UI's base URL (empty: no links); wins over radar.yaml
# Production stores (deploy/, README "Production"); unset, everything stays in the data home.
MLFLOW_TRACKING_URI = "RADAR_MLFLOW_TRACKING_URI"  # the MLflow server (or database) for runs and the registry
MLFLOW_ARTIFACTS = "RADAR_MLFLOW_ARTIFACTS"  # where new experiments keep artifacts (default: the server's own)
# Dagster's run/event/schedule storage, postgresql+psycopg2://user:password@host:5432/db (dagster-postgres needs
# psycopg2 named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3)
DAGSTER_POSTGRES_URL = "RADAR_DAGSTER_POSTGRES_URL"
CODE_VERSION = "RADAR_CODE_VERSION"  # the commit an image was built from (it has no git); default: git's
CI = "CI"  # set by CI systems: no live progress display


def _text(name: str) -> str | None:
    """The variable's value stripped, None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def _path(name: str) -> Path | None:
    value = _text(name)
    return Path(value).expanduser().resolve() if value else None


def home() -> Path | None:
    return _path(HOME)


def config_file() -> Path | None:
    return _path(CONFIG)


def sources() -> Path | None:
    return _path(SOURCES)


def as_of() -> dt.date | None:
    value = _text(AS_OF)
    return dt.date.fromisoformat(value) if value else None


def duckdb_threads() -> int | None:
    value = _text(DUCKDB_THREADS)
    return int(value) if value else None


def duckdb_memory_limit() -> str | None:
    return _text(DUCKDB_MEMORY_LIMIT)


def pseudonym_key() -> str | None:
    return _text(PSEUDONYM_KEY)


def url_override(name: str) -> str | None:
    """``REPORTS_URL`` or ``MLFLOW_URL`` as set, an empty value kept (it means "no server"); None when unset."""
    return os.environ.get(name)


def mlflow_tracking_uri() -> str | None:
    return _text(MLFLOW_TRACKING_URI)


def mlflow_artifacts() -> str | None:
    return _text(MLFLOW_ARTIFACTS)


def dagster_postgres_url() -> str | None:
    return _text(DAGSTER_POSTGRES_URL)


def code_version() -> str | None:
    return _text(CODE_VERSION)


def in_ci() -> bool:
    return (_text(CI) or "").lower() not in ("", "0", "false")
