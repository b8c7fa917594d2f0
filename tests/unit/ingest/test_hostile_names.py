"""Column and table names are the company's own and may hold any character: every connector quotes them, so a
hostile name is loaded as a name, or refused in one line, and never runs as SQL against other tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.ingest.sources import DuckDBFileSource, FolderSource, PostgresSource, Source, SQLiteSource
from tests.conftest import PostgresServer

# A mapping that closes the quoted identifier and appends a statement: before quoting it dropped raw.accounts.
HOSTILE_COLUMN = 'o" as varchar) as "order_id"; drop table raw.accounts; --'  # < 63 bytes, PostgreSQL's limit
HOSTILE_TABLE = 'orders"; drop table raw.accounts; --'
EURO_COLUMN = 'Net "EUR"'
ORDERS = pd.DataFrame(
    {
        HOSTILE_COLUMN: ["o1", "o2"],
        "customer_id": ["1", "1"],
        "order_date": ["2024-01-05", "2024-02-05"],
        EURO_COLUMN: ["10.5", "20"],
    }
)
MAPPING = {"order_id": HOSTILE_COLUMN, "amount": EURO_COLUMN}
TABLES = {"orders": HOSTILE_TABLE}


def _load(source: Source, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    crm.mkdir(exist_ok=True)
    (crm / "accounts.csv").write_text("customer_id,created_at\n1,2024-01-01\n")
    load_table(con, "accounts", crm)
    with source.session(con):
        load_table(con, "orders", source, MAPPING)


def _assert_loaded_and_accounts_untouched(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("select order_id, amount from raw.orders order by 1").fetchall() == [
        ("o1", "10.5"),
        ("o2", "20"),
    ]
    assert con.execute("select count(*) from raw.accounts").fetchone()[0] == 1


def test_a_hostile_column_name_in_a_csv_file_is_read_as_a_name(tmp_path: Path) -> None:
    ORDERS.to_csv(tmp_path / "orders.csv", index=False)
    con = duckdb.connect()
    _load(FolderSource(tmp_path), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_hostile_column_name_in_a_parquet_file_is_read_as_a_name(tmp_path: Path) -> None:
    ORDERS.to_parquet(tmp_path / "orders.parquet", index=False)
    con = duckdb.connect()
    _load(FolderSource(tmp_path), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_hostile_table_and_column_name_in_a_duckdb_file_are_read_as_names(tmp_path: Path) -> None:
    path = tmp_path / "erp.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute(f'create table "{HOSTILE_TABLE.replace(chr(34), chr(34) * 2)}" as select * from ORDERS')
    con = duckdb.connect()
    _load(DuckDBFileSource(path, tables=TABLES), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_hostile_table_and_column_name_in_a_sqlite_file_are_read_as_names(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as db:
        ORDERS.to_sql(HOSTILE_TABLE, db, index=False)
    db.close()
    con = duckdb.connect()
    _load(SQLiteSource(path, TABLES), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_hostile_table_and_column_name_in_postgresql_are_read_as_names(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_server.dsn(), autocommit=True) as pg:
        pg.execute(sql.SQL("create schema {}").format(sql.Identifier("hostile")))
        columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in ORDERS.columns)
        table = sql.Identifier("hostile", HOSTILE_TABLE)
        pg.execute(sql.SQL("create table {} ({})").format(table, columns))
        with pg.cursor() as cur:
            cur.executemany(
                sql.SQL("insert into {} values (%s, %s, %s, %s)").format(table), ORDERS.values.tolist()
            )
    con = duckdb.connect()
    _load(PostgresSource(postgres_server.dsn(), "hostile", TABLES), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_mapping_to_a_hostile_column_the_file_lacks_is_refused_in_one_line(tmp_path: Path) -> None:
    ORDERS.drop(columns=[HOSTILE_COLUMN]).to_csv(tmp_path / "orders.csv", index=False)
    con = duckdb.connect()
    with pytest.raises(ContractError) as err:
        _load(FolderSource(tmp_path), con, tmp_path)
    assert "\n" not in str(err.value) and str(err.value).startswith("orders.csv: missing required column(s)")
    assert con.execute("select count(*) from raw.accounts").fetchone()[0] == 1


def test_a_hostile_file_name_in_sources_tables_is_read_as_a_file_name(tmp_path: Path) -> None:
    stem = "orders'); drop table raw.accounts; --"
    ORDERS.to_csv(tmp_path / f"{stem}.csv", index=False)
    con = duckdb.connect()
    _load(FolderSource(tmp_path, TABLES | {"orders": stem}), con, tmp_path)
    _assert_loaded_and_accounts_untouched(con)


def test_a_sources_tables_entry_a_database_lacks_is_an_error_not_a_missing_table(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as db:
        ORDERS.to_sql("orders", db, index=False)
    db.close()
    con = duckdb.connect()
    with pytest.raises(ContractError) as err:
        _load(SQLiteSource(path, {"orders": "auftraege"}), con, tmp_path)
    assert str(err.value) == f"sqlite:{path}: sources.tables.orders names 'auftraege', which is not there"
