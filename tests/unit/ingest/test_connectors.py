"""The same export, with the company's own table and column names, loads identically from every connector:
a CSV folder, a DuckDB file, a SQLite file and a real PostgreSQL server (started on 127.0.0.1 by tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.ingest.sources import DuckDBFileSource, FolderSource, PostgresSource, Source, SQLiteSource
from tests.conftest import PostgresServer

TABLES = {"accounts": "kunden", "orders": "auftraege"}
MAPPING = {
    "accounts": {"customer_id": "Kundennr", "created_at": "Angelegt", "industry": "Branche"},
    "orders": {"order_id": "AuftragNr", "customer_id": "Kundennr", "order_date": "Datum", "amount": "Netto"},
}
KUNDEN = pd.DataFrame(
    {
        "Kundennr": ["007", "008", "010"],
        "Angelegt": [dt.date(2023, 1, 2), dt.date(2023, 5, 6), dt.date(2024, 2, 29)],
        "Branche": ["saas", None, "consulting"],
    }
)
AUFTRAEGE = pd.DataFrame(
    {
        "AuftragNr": ["A-1", "A-2", "A-3", "A-4"],
        "Kundennr": ["007", "007", "010", "999"],
        "Datum": [dt.date(2024, 1, 5), dt.date(2024, 2, 5), dt.date(2024, 3, 1), dt.date(2024, 3, 2)],
        "Netto": [99.5, 12.25, 1200.5, 3.5],
    }
)
EXPECTED_ORDERS = [
    ("A-1", "007", "2024-01-05", "99.5"),
    ("A-2", "007", "2024-02-05", "12.25"),
    ("A-3", "010", "2024-03-01", "1200.5"),
    ("A-4", "999", "2024-03-02", "3.5"),
]


def _load_all(source: Source) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    with source.session(con):
        for table in TABLES:
            load_table(con, table, source, MAPPING[table])
    return con


def _check(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select order_id, customer_id, order_date, amount from raw.orders order by 1"
    ).fetchall()
    assert rows == EXPECTED_ORDERS
    accounts = con.execute("select customer_id, created_at, industry from raw.accounts order by 1").fetchall()
    assert accounts == [
        ("007", "2023-01-02", "saas"),
        ("008", "2023-05-06", None),
        ("010", "2024-02-29", "consulting"),
    ]
    # The orphan order is kept in raw and quarantined, whatever the connector.
    assert con.execute("select rule, value from ops.quarantine").fetchall() == [("orphan", "999")]


def _reload_is_a_no_op(source: Source, con: duckdb.DuckDBPyConnection) -> None:
    with source.session(con):
        again = load_table(con, "orders", source, MAPPING["orders"])
    assert again.status == "unchanged"
    assert con.execute("select count(distinct _load_id) from raw.orders").fetchone()[0] == 1


def test_a_csv_folder_with_renamed_tables_and_columns_loads_through_the_mapping(tmp_path: Path) -> None:
    KUNDEN.to_csv(tmp_path / "kunden.csv", index=False)
    AUFTRAEGE.to_csv(tmp_path / "auftraege.csv", index=False)
    source = FolderSource(tmp_path, TABLES)
    con = _load_all(source)
    _check(con)
    _reload_is_a_no_op(source, con)


def test_a_duckdb_file_loads_through_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "erp.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create schema export")
        db.execute("create table export.kunden as select * from KUNDEN")
        db.execute("create table export.auftraege as select * from AUFTRAEGE")
    source = DuckDBFileSource(path, "export", TABLES)
    con = _load_all(source)
    _check(con)
    _reload_is_a_no_op(source, con)


def test_a_sqlite_file_loads_through_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as db:
        KUNDEN.astype({"Angelegt": str}).to_sql("kunden", db, index=False)
        AUFTRAEGE.astype({"Datum": str}).to_sql("auftraege", db, index=False)
    db.close()
    source = SQLiteSource(path, TABLES)
    con = _load_all(source)
    _check(con)
    _reload_is_a_no_op(source, con)


def test_a_database_file_that_is_not_one_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    path.write_text("customer_id,created_at\n")
    with pytest.raises(ContractError, match=r"crm.sqlite: cannot be opened as a SQLite database \("):
        _load_all(SQLiteSource(path, TABLES))


def test_a_postgresql_database_loads_through_the_mapping(postgres_server: PostgresServer) -> None:
    import psycopg

    postgres = postgres_server.dsn()

    with psycopg.connect(postgres, autocommit=True) as pg:
        pg.execute("create schema erp")
        pg.execute('create table erp.kunden ("Kundennr" text, "Angelegt" date, "Branche" text)')
        pg.execute(
            'create table erp.auftraege ("AuftragNr" text, "Kundennr" text, "Datum" date, "Netto" numeric)'
        )
        with pg.cursor() as cur:
            cur.executemany(
                "insert into erp.kunden values (%s, %s, %s)",
                KUNDEN.astype(object).where(KUNDEN.notna(), None).values.tolist(),
            )
            cur.executemany("insert into erp.auftraege values (%s, %s, %s, %s)", AUFTRAEGE.values.tolist())
    source = PostgresSource(postgres, "erp", TABLES)
    assert source.describe().startswith("postgresql://radar@127.0.0.1:")
    con = _load_all(source)
    _check(con)
    _reload_is_a_no_op(source, con)


def test_an_unreachable_postgresql_server_fails_in_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ContractError, match=rf"postgresql://radar@127.0.0.1:{port}/x: cannot connect \("):
        _load_all(PostgresSource(f"host=127.0.0.1 port={port} dbname=x user=radar connect_timeout=2"))


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"kind": "sqlite", "path": "crm.sqlite"}, SQLiteSource),
        ({"kind": "duckdb", "path": "erp.duckdb", "db_schema": "export"}, DuckDBFileSource),
        (
            {"kind": "postgres", "dsn": "host=127.0.0.1 dbname=erp user=radar", "tables": TABLES},
            PostgresSource,
        ),
        ({"kind": "folder", "path": "exports"}, FolderSource),
    ],
)
def test_sources_kind_in_the_configuration_selects_the_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources: dict, expected: type
) -> None:
    import yaml

    from pipelines.defs.resources import RadarResource

    monkeypatch.delenv("RADAR_SOURCES", raising=False)
    config = tmp_path / "radar.yaml"
    config.write_text(yaml.safe_dump({"sources": {**sources, "mapping": MAPPING}}))
    source = RadarResource(home=str(tmp_path / "home"), config_file=str(config)).source()
    assert type(source) is expected
    overridden = RadarResource(
        home=str(tmp_path), config_file=str(config), sources_dir=str(tmp_path)
    ).source()
    assert isinstance(overridden, FolderSource)  # `radar run --sources DIR` always wins


def test_a_mapping_for_an_unknown_table_or_column_is_a_configuration_error(tmp_path: Path) -> None:
    from pipelines.lib.core.config import ConfigError, load_config

    config = tmp_path / "radar.yaml"
    config.write_text("sources:\n  mapping:\n    orders: {order_no: OrderNo}\n")
    with pytest.raises(ConfigError, match=r"mapping\.orders: order_no not in the contract for orders"):
        load_config(config)
    config.write_text("sources:\n  kind: postgres\n")
    with pytest.raises(ConfigError, match=r"sources\.kind is 'postgres' but sources\.dsn is not set"):
        load_config(config)
