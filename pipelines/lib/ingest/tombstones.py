"""Tombstones: a forgotten customer (`radar forget`) stays forgotten when the same delivery comes again.

``ops.tombstones`` holds one keyed hash per forgotten customer (never the id: see ``core/pseudonym.py``). At
load, the rows of a tombstoned customer are dropped from the staged delivery before anything reaches the raw
zone, and counted per load in ``ops.tombstone_drops`` (counts only), so the run can say in one line how many
rows it kept out, also on a later run that finds the delivery unchanged. ``radar forget --undo ID`` removes the
tombstone and lets the customer back with the next load.
"""

from __future__ import annotations

import duckdb

from pipelines.lib.core.pseudonym import key_id, tombstone
from pipelines.lib.core.warehouse import table_exists
from pipelines.lib.ingest.sources import ContractError

TOMBSTONES_DDL = """create table if not exists ops.tombstones (
    customer_hash varchar primary key, key_id varchar, forgotten_at timestamp)"""
DROPS_DDL = "create table if not exists ops.tombstone_drops (table_name varchar, load_id integer, rows bigint)"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(TOMBSTONES_DDL)
    con.execute(DROPS_DDL)


def forgotten_in(con: duckdb.DuckDBPyConnection, relation: str, *, key: bytes) -> list[str]:
    """The customer ids in ``relation`` (a table with a text ``customer_id``) that carry a tombstone."""
    if not table_exists(con, "ops", "tombstones"):
        return []
    keys = [r[0] for r in con.execute("select distinct key_id from ops.tombstones").fetchall()]
    if not keys:
        return []
    if keys != [key_id(key)]:
        raise ContractError(
            "the erasure tombstones (ops.tombstones) were written with another pseudonym key than "
            "RADAR_PSEUDONYM_KEY / pseudonym.key now holds; restore that key, or forget the customers again"
        )
    ids = [
        r[0]
        for r in con.execute(
            f"select distinct trim(customer_id) from {relation} where customer_id is not null"
        ).fetchall()
    ]
    by_hash = {tombstone(i, key=key): i for i in ids}
    if not by_hash:
        return []
    found = con.execute(
        "select customer_hash from ops.tombstones where list_contains(?::varchar[], customer_hash)",
        [list(by_hash)],
    ).fetchall()
    return sorted(by_hash[h] for (h,) in found)


def drop_forgotten(con: duckdb.DuckDBPyConnection, relation: str, *, key: bytes) -> int:
    """Delete the rows of tombstoned customers from ``relation``; returns how many."""
    ids = forgotten_in(con, relation, key=key)
    if not ids:
        return 0
    count = con.execute(f"select count(*) from {relation} where list_contains(?, trim(customer_id))", [ids])
    rows = int(count.fetchone()[0])
    con.execute(f"delete from {relation} where list_contains(?, trim(customer_id))", [ids])
    return rows


def record_drops(con: duckdb.DuckDBPyConnection, table: str, load_id: int, rows: int) -> None:
    if rows:
        ensure_tables(con)
        con.execute("insert into ops.tombstone_drops values (?, ?, ?)", [table, load_id, rows])


def dropped_rows(con: duckdb.DuckDBPyConnection, table: str, load_id: int) -> int:
    """Rows of forgotten customers kept out of (or erased from) load ``load_id`` of ``table``."""
    if not table_exists(con, "ops", "tombstone_drops"):
        return 0
    row = con.execute(
        "select coalesce(sum(rows), 0) from ops.tombstone_drops where table_name = ? and load_id = ?",
        [table, load_id],
    ).fetchone()
    return int(row[0])


def kept_out_line(rows_by_table: dict[str, int]) -> str | None:
    """The one line a run prints about the rows it kept out, or None if there were none."""
    kept = {t: n for t, n in rows_by_table.items() if n}
    if not kept:
        return None
    return (
        f"{sum(kept.values())} row(s) of forgotten customers kept out of the raw zone (radar forget tombstones: "
        + ", ".join(f"{t} {n}" for t, n in kept.items())
        + "); `radar forget --undo ID` lets a customer back"
    )
