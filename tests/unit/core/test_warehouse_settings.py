"""Every warehouse connection is sized from the machine and spills to the data home instead of running out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.lib.core import warehouse
from pipelines.lib.core.warehouse import SETTINGS_ENV, connect, duckdb_settings, export_duckdb_settings


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


def test_dbt_reads_the_same_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RADAR_DUCKDB_THREADS", "1")
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    export_duckdb_settings(tmp_path / "warehouse.duckdb")
    assert json.loads(os.environ[SETTINGS_ENV]) == duckdb_settings(tmp_path / "warehouse.duckdb")
