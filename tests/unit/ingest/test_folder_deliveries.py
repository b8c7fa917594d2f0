"""What a sources folder may hold: files in the folder itself (no broken links, no links out, no paths in
`sources.tables`), a `sources.tables` entry that names a real file, and empty optional tables used as absent."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.core.config import ConfigError, load_config
from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.ingest.sources import FolderSource
from pipelines.lib.quality.gate_store import present_tables

ACCOUNTS = "customer_id,created_at\n1,2024-01-01\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "accounts.csv").write_text(ACCOUNTS)
    return folder


def _one_line(err: pytest.ExceptionInfo[ContractError]) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_broken_symbolic_link_is_refused_naming_the_table(folder: Path) -> None:
    os.symlink(folder / "gone.csv", folder / "orders.csv")
    with pytest.raises(ContractError) as err:
        load_table(duckdb.connect(), "orders", folder)
    assert _one_line(err).startswith("orders.csv: table 'orders' is a broken symbolic link")


def test_a_symbolic_link_that_leaves_the_sources_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("order_id,customer_id,order_date,amount\no1,1,2024-01-05,10\n")
    os.symlink(outside, folder / "orders.csv")
    with pytest.raises(ContractError) as err:
        load_table(duckdb.connect(), "orders", folder)
    assert "symbolic link that leaves the sources folder" in _one_line(err)


def test_a_symbolic_link_inside_the_sources_folder_is_followed(folder: Path) -> None:
    (folder / "exports").mkdir()
    (folder / "exports" / "orders-2024.csv").write_text(
        "order_id,customer_id,order_date,amount\no1,1,2024-01-05,10\n"
    )
    os.symlink(folder / "exports" / "orders-2024.csv", folder / "orders.csv")
    con = duckdb.connect()
    load_table(con, "accounts", folder)
    assert load_table(con, "orders", folder).rows == 1


@pytest.mark.parametrize("stem", ["/etc/passwd", "../outside", "exports/orders"])
def test_a_path_in_sources_tables_is_refused_by_the_connector_and_the_configuration(
    folder: Path, tmp_path: Path, stem: str
) -> None:
    with pytest.raises(ContractError) as err:
        load_table(duckdb.connect(), "orders", FolderSource(folder, {"orders": stem}))
    assert (
        _one_line(err)
        == f"sources.tables.orders: '{stem}' must be a file name in the sources folder, not a path"
    )
    config = tmp_path / "radar.yaml"
    config.write_text(f"sources:\n  kind: folder\n  path: {folder}\n  tables: {{orders: '{stem}'}}\n")
    with pytest.raises(
        ConfigError,
        match=r"sources: Value error, tables\.orders: .* must be a file name in the sources folder",
    ):
        load_config(config)


def test_a_sources_tables_entry_that_names_no_file_is_an_error_not_a_missing_table(folder: Path) -> None:
    with pytest.raises(ContractError) as err:
        load_table(duckdb.connect(), "orders", FolderSource(folder, {"orders": "auftraege"}))
    assert _one_line(err) == f"{folder}: sources.tables.orders names 'auftraege', which is not there"


def test_a_header_only_optional_table_is_used_as_not_delivered_and_said_so(folder: Path) -> None:
    (folder / "tickets.csv").write_text("ticket_id,customer_id,opened_at\n")
    con = duckdb.connect()
    load_table(con, "accounts", folder)
    result = load_table(con, "tickets", folder)
    assert (result.status, result.present, result.rows) == ("empty", False, 0)
    assert result.notes() == ["tickets.csv: header only, no rows; 'tickets' is used as not delivered"]
    assert present_tables(con) == ["accounts"]  # the gates skip it, as they skip an absent table


def test_the_detected_delimiter_is_reported_when_it_is_not_a_comma(folder: Path) -> None:
    (folder / "orders.csv").write_text("order_id;customer_id;order_date;amount\no1;1;2024-01-05;10\n")
    con = duckdb.connect()
    accounts = load_table(con, "accounts", folder)
    orders = load_table(con, "orders", folder)
    assert (accounts.delimiter, accounts.notes()) == (",", [])
    assert orders.delimiter == ";"
    assert orders.notes() == ["orders.csv: read with delimiter ';' (semicolon), detected from the header"]
