"""Every warehouse connection is sized from the machine and spills to the data home instead of running out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.lib.core import warehouse
from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.core.warehouse import connect, duckdb_settings


def test_a_connection_gets_the_machines_threads_memory_share_and_a_spill_folder_in_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RADAR_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("RADAR_DUCKDB_THREADS", raising=False)
    settings = duckdb_settings(tmp_path / "warehouse.duckdb")
    expected_mib = int(warehouse._machine_memory() * warehouse.MEMORY_SHARE) >> 20
    assert settings["memory_limit"] == f"{expected_mib}MiB"
    assert settings["temp_directory"] == str(tmp_path / "duckdb_tmp")
    with connect(tmp_path / "warehouse.duckdb") as con:
        threads, temp = con.execute(
            "select current_setting('threads'), current_setting('temp_directory')"
        ).fetchone()
    assert (threads, temp) == (settings["threads"], str(tmp_path / "duckdb_tmp"))


def test_a_sort_larger_than_the_memory_limit_spills_and_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RADAR_DUCKDB_MEMORY_LIMIT", "64MiB")
    with connect(tmp_path / "warehouse.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "64.0 MiB"
        rows = con.execute(
            """select count(*) from (
                   select md5(i::varchar) as k from range(3000000) as r (i) order by k)"""
        ).fetchone()[0]
    assert rows == 3_000_000


def test_dbt_opens_the_warehouse_and_settings_the_pipeline_passes_as_vars_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RADAR_DUCKDB_THREADS", "1")
    monkeypatch.setenv("RADAR_HOME", str(tmp_path / "elsewhere"))
    warehouse_path = tmp_path / "home" / "warehouse.duckdb"
    warehouse_path.parent.mkdir()
    dbt_vars = warehouse.dbt_connection_vars(warehouse_path)
    assert json.loads(dbt_vars["radar_duckdb_settings"]) == duckdb_settings(warehouse_path)
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "debug",
            "--vars",
            json.dumps(dbt_vars),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"path: {warehouse_path}" in done.stdout
    assert warehouse_path.exists() and not (tmp_path / "elsewhere").exists()
