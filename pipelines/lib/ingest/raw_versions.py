"""Row versions in the raw zone: a delivery appends only the rows that are new or changed, and a tombstone for each
row that the delivery no longer holds, so that the newest delivery can be read back exactly without storing it whole.

Exports are full snapshots: a monthly export repeats every earlier month. Appending it whole would keep one copy of
the history per delivery. Instead each row is keyed by ``_row_hash`` (128-bit MD5 of its contract columns as a JSON
list, so that null and '' differ) and ``_row_copy`` (1 for the first of identical rows in a delivery, 2 for the
second, ...), so a delivery is a multiset of keys. Loading one appends, under its load id:

- every key of the delivery that is not *live* (a new row, or the new version of a changed one), with its data;
- a tombstone (``_retired`` true, contract columns null) for every live key the delivery no longer holds (the old
  version of a changed row, or a row the source deleted).

A key is live when it was appended and has no later tombstone. The live rows are therefore exactly the rows of the
newest delivery, duplicates included, which is what staging read before (``current_rows_sql`` and dbt's
``latest_load`` macro say so in one expression each). Nothing is ever updated or deleted; every version names the
load that first delivered it (``_load_id``), every tombstone the load that dropped it.

Rows written before versioning existed have no key (``_row_hash`` null): they are read as whole loads, the newest
one live, until the first versioned delivery of the table, which appends in full once.
"""

from __future__ import annotations

import duckdb

from pipelines.lib.ingest.contract import TableContract
from pipelines.lib.ingest.sources import quote_ident

# Columns of every raw table after the load bookkeeping; the order is the table's column order.
VERSION_COLUMNS = {"_row_hash": "uhugeint", "_row_copy": "integer", "_retired": "boolean"}


def current_rows_sql(table: str) -> str:
    """A relation of the live rows of ``raw.<table>``: the rows of its newest delivery (dbt's ``latest_load``)."""
    raw = f"raw.{quote_ident(table)}"
    return f"""(select * from {raw} as r
        where not coalesce(r._retired, false)
          and (r._row_hash is not null or r._load_id = (select max(_load_id) from {raw}))
          and not exists (
              select 1 from {raw} as x
              where x._retired and x._row_hash = r._row_hash and x._row_copy = r._row_copy
                and x._load_id > r._load_id))"""


def add_version_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give a raw table written before versioning its key columns (a schema change; its rows stay as they are)."""
    present = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }
    for column, kind in VERSION_COLUMNS.items():
        if column not in present:
            con.execute(f"alter table raw.{quote_ident(table)} add column {column} {kind}")


def append_changes(
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    *,
    load_id: int,
    location: str,
    digest: str,
) -> tuple[int, int]:
    """Append the staged delivery ``_incoming`` to ``raw.<table>`` as versions and tombstones (see the module);
    returns (rows appended, rows retired). Runs inside the caller's transaction."""
    raw = f"raw.{quote_ident(contract.name)}"
    columns = ", ".join(quote_ident(c) for c in contract.columns)
    values = ", ".join(f"i.{quote_ident(c)}" for c in contract.columns)
    nulls = ", ".join(f"null as {quote_ident(c)}" for c in contract.columns)
    con.execute(
        f"""create or replace temp table _keyed as
            select _row, _row_hash, row_number() over (partition by _row_hash order by _row)::integer as _row_copy
            from (select _row, md5_number(to_json(list_value({columns}))) as _row_hash from _incoming)"""
    )
    con.execute(
        f"""create or replace temp table _live as
            select _row_hash, _row_copy from {current_rows_sql(contract.name)} where _row_hash is not null"""
    )
    appended = con.execute(
        f"""insert into {raw} by name
            select {values}, ? as _load_id, ? as _source_file, ? as _source_hash, now() as _loaded_at,
                   k._row_hash, k._row_copy, false as _retired
            from _keyed as k join _incoming as i using (_row)
            where not exists (
                select 1 from _live as l where l._row_hash = k._row_hash and l._row_copy = k._row_copy)
            order by k._row""",
        [load_id, location, digest],
    ).fetchone()[0]
    retired = con.execute(
        f"""insert into {raw} by name
            select {nulls}, ? as _load_id, ? as _source_file, ? as _source_hash, now() as _loaded_at,
                   l._row_hash, l._row_copy, true as _retired
            from _live as l
            where not exists (
                select 1 from _keyed as k where k._row_hash = l._row_hash and k._row_copy = l._row_copy)
            order by l._row_hash, l._row_copy""",
        [load_id, location, digest],
    ).fetchone()[0]
    con.execute("drop table _keyed")
    con.execute("drop table _live")
    return int(appended), int(retired)
