"""DuckDB connections. DuckDB allows one writing process at a time, so connections are short-lived and closed.

Every connection, the pipeline's and dbt's (the dbt asset passes ``duckdb_settings`` to ``profiles.yml`` as
a var), gets its threads, memory limit and spill folder from the machine, so that a large run
spills to disk instead of running out of memory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.lib.core import environment

# The share of the machine's memory one DuckDB instance may use before it spills. DuckDB's own default is 80 %, but
# the pipeline's Python process keeps its frames while dbt's DuckDB builds, and the two must fit together.
MEMORY_SHARE = 0.4


def _machine_memory() -> int:
    """Physical memory in bytes, or the container's limit when it has a smaller one (cgroup v2)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = Path("/sys/fs/cgroup/memory.max")
    if limit.exists() and (text := limit.read_text().strip()).isdigit():
        total = min(total, int(text))
    return total


def duckdb_settings(path: Path) -> dict[str, str | int]:
    """threads (the CPUs this process may use), memory_limit (``MEMORY_SHARE`` of the machine) and temp_directory
    (``duckdb_tmp`` beside the warehouse) for the warehouse at ``path``. ``RADAR_DUCKDB_MEMORY_LIMIT`` (e.g.
    ``6GiB``) and ``RADAR_DUCKDB_THREADS`` override the first two."""
    threads = environment.duckdb_threads() or len(os.sched_getaffinity(0))
    memory = (
        environment.duckdb_memory_limit()
        or f"{max(512, int(_machine_memory() * MEMORY_SHARE) >> 20)}MiB"
    )
    return {
        "threads": int(threads),
        "memory_limit": memory,
        "temp_directory": str(path.parent / "duckdb_tmp"),
    }


def dbt_connection_vars(path: Path) -> dict[str, str]:
    """The warehouse at ``path`` and its settings as the dbt vars `profiles.yml` reads, so dbt opens the same
    file with the same settings as the pipeline without anything written to the process environment."""
    return {"radar_warehouse": str(path), "radar_duckdb_settings": json.dumps(duckdb_settings(path))}


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(f"{path}: no warehouse yet; run the pipeline first (radar run)")
    con = duckdb.connect(str(path), read_only=read_only, config=duckdb_settings(path))
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])
