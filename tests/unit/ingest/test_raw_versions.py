"""The raw zone appends only new or changed rows, and the newest delivery reads back exactly, duplicates included."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.lib.ingest.raw_versions import current_rows_sql
from pipelines.lib.ingest.raw_zone import load_table

HEADER = "order_id,customer_id,order_date,amount\n"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _deliver(con: duckdb.DuckDBPyConnection, folder: Path, lines: list[str]):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(HEADER + "".join(f"{line}\n" for line in lines))
    return load_table(con, "orders", folder)


def _raw_rows(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from raw.orders").fetchone()[0]


def _current(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        f"select order_id, customer_id, order_date, amount from {current_rows_sql('orders')} order by all"
    ).fetchall()


def _as_rows(lines: list[str]) -> list[tuple]:
    return sorted(tuple(v or None for v in line.split(",")) for line in lines)


def test_re_delivering_the_same_rows_in_another_order_adds_no_raw_rows(con, tmp_path: Path) -> None:
    rows = ["o1,1,2024-01-05,10", "o2,1,2024-02-05,20", "o3,2,2024-02-07,5"]
    first = _deliver(con, tmp_path, rows)
    again = _deliver(con, tmp_path, list(reversed(rows)))  # another file (another hash), the same rows
    assert (first.appended, first.retired) == (3, 0)
    assert again.status == "loaded" and again.load_id != first.load_id
    assert (again.rows, again.appended, again.retired) == (3, 0, 0)
    assert _raw_rows(con) == 3
    assert _current(con) == _as_rows(rows)


def test_a_changed_row_adds_exactly_one_new_version_and_keeps_the_old_one(con, tmp_path: Path) -> None:
    first = _deliver(con, tmp_path, ["o1,1,2024-01-05,10", "o2,1,2024-02-05,20"])
    second = _deliver(con, tmp_path, ["o1,1,2024-01-05,10", "o2,1,2024-02-05,25", "o3,2,2024-03-01,7"])
    assert (second.appended, second.retired) == (2, 1)  # o2's new version, o3; o2's old version retired
    versions = con.execute(
        "select amount, _load_id from raw.orders where order_id = 'o2' and not _retired order by _load_id"
    ).fetchall()
    assert versions == [("20", first.load_id), ("25", second.load_id)]
    assert _current(con) == _as_rows(["o1,1,2024-01-05,10", "o2,1,2024-02-05,25", "o3,2,2024-03-01,7"])


def test_a_row_the_newer_delivery_drops_is_no_longer_read_and_comes_back_if_delivered_again(
    con, tmp_path: Path
) -> None:
    both = ["o1,1,2024-01-05,10", "o2,1,2024-02-05,20"]
    _deliver(con, tmp_path, both)
    dropped = _deliver(con, tmp_path, both[:1])
    assert (dropped.appended, dropped.retired) == (0, 1)
    assert _current(con) == _as_rows(both[:1])
    back = _deliver(con, tmp_path, both)
    assert (back.appended, back.retired) == (1, 0)
    assert _current(con) == _as_rows(both)
    # Nothing was updated or deleted: two data rows of o2 (first load, and again), one tombstone between them.
    kinds = con.execute("select count(*) filter (not _retired), count(*) filter (_retired) from raw.orders")
    assert kinds.fetchone() == (3, 1)


def test_identical_rows_in_one_delivery_are_kept_as_often_as_delivered(con, tmp_path: Path) -> None:
    twice = ["o1,1,2024-01-05,10", "o1,1,2024-01-05,10"]
    _deliver(con, tmp_path, twice)
    assert _current(con) == _as_rows(twice)
    once = _deliver(con, tmp_path, twice[:1])
    assert (once.appended, once.retired) == (0, 1)
    assert _current(con) == _as_rows(twice[:1])


def test_an_empty_value_and_a_missing_one_are_different_rows(con, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    accounts = {"customer_id": ["1"], "created_at": ["2024-01-01"]}
    pq.write_table(pa.table({**accounts, "industry": [""]}), folder / "accounts.parquet")
    load_table(con, "accounts", folder)
    pq.write_table(
        pa.table({**accounts, "industry": pa.array([None], pa.string())}), folder / "accounts.parquet"
    )
    second = load_table(con, "accounts", folder)
    values = con.execute(f"select industry from {current_rows_sql('accounts')}").fetchall()
    assert (second.appended, second.retired) == (1, 1)
    assert values == [(None,)]


def test_a_raw_table_from_before_versioning_reads_its_newest_load_until_the_next_delivery(
    con, tmp_path: Path
) -> None:
    _deliver(con, tmp_path, ["o1,1,2024-01-05,10"])
    # A raw zone written by the earlier code: whole loads, no version columns.
    con.execute("create table legacy as select * exclude (_row_hash, _row_copy, _retired) from raw.orders")
    con.execute("drop table raw.orders")
    con.execute("create table raw.orders as select * from legacy")
    con.execute("insert into raw.orders select * replace (2 as _load_id, '11' as amount) from legacy")
    con.execute("insert into ops.loads select * replace (2 as load_id) from ops.loads")
    unchanged = _deliver(
        con, tmp_path, ["o1,1,2024-01-05,10"]
    )  # the same file: not loaded, the table migrated
    assert unchanged.status == "unchanged"
    assert _current(con) == _as_rows(["o1,1,2024-01-05,11"])
    newer = _deliver(con, tmp_path, ["o1,1,2024-01-05,12", "o2,2,2024-02-01,3"])
    assert (newer.appended, newer.retired) == (2, 0)
    assert _current(con) == _as_rows(["o1,1,2024-01-05,12", "o2,2,2024-02-01,3"])
    assert _raw_rows(con) == 4
