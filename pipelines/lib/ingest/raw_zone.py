"""Extract source tables into the raw zone: append-only tables that give back every delivery as it arrived.

Each table ``raw.<name>`` holds all contract columns as text (so a malformed value is kept, not lost, and leading zeros
in ids survive) plus the load's id, location, fingerprint and time. Loading a delivery whose fingerprint was already
loaded is a no-op; a changed one becomes a new load that appends only its new or changed rows and a tombstone for each
row it no longer holds (``raw_versions.py``). Staging reads the live rows, which are the newest delivery's, because
exports are full snapshots.

A delivery is first staged in a temporary table. What makes the whole delivery unusable (it cannot be read, a
required column is missing, the required table is empty) raises a one-line ``ContractError`` before anything is
written, so the raw zone stays as it was. Rows that break a rule are appended to raw like every other row and are
listed, with their reason, in ``ops.quarantine`` (see ``quarantine.py``), in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.lib.ingest.contract import CONTRACT, REQUIRED_TABLES, TableContract
from pipelines.lib.ingest.quarantine import Problem, problems_of, quarantine
from pipelines.lib.ingest.raw_versions import VERSION_COLUMNS, add_version_columns, append_changes
from pipelines.lib.ingest.sources import (
    DELIMITER_NAMES,
    ContractError,
    FolderSource,
    Source,
    file_sha256,
    first_line,
    quote_ident,
)
from pipelines.lib.ingest.tombstones import drop_forgotten, dropped_rows, record_drops

__all__ = ["ContractError", "LoadResult", "file_sha256", "find_source_file", "load_table"]

LOAD_COLUMNS = ("_load_id", "_source_file", "_source_hash", "_loaded_at")
# Ledger statuses of a table that the pipeline goes without (the gates skip it, the run names it).
ABSENT = ("missing", "empty")
_STAGED = "_delivery"


@dataclass(frozen=True)
class LoadResult:
    table: str
    status: str  # loaded | unchanged | missing | empty (a header without rows: used as if missing)
    rows: int
    load_id: int | None
    source_file: str | None
    source_hash: str | None
    quarantined: int = 0
    problems: tuple[Problem, ...] = field(default=())
    delimiter: str | None = None  # a CSV file's delimiter, as detected from its header
    forgotten: int = 0  # rows of tombstoned customers (radar forget) kept out of this load
    appended: int = 0  # rows this load added to raw: new rows and new versions of changed ones
    retired: int = 0  # rows of the previous delivery this one no longer holds (tombstones appended)

    @property
    def present(self) -> bool:
        return self.status not in ABSENT

    def problem_lines(self) -> list[str]:
        return [p.one_line(self.rows) for p in self.problems]

    def notes(self) -> list[str]:
        """What a person should know about this delivery besides its problems, one line each."""
        lines = []
        label = _label(self.source_file) if self.source_file else self.table
        if self.status == "empty":
            lines.append(f"{label}: header only, no rows; '{self.table}' is used as not delivered")
        if self.delimiter is not None and self.delimiter != ",":
            lines.append(
                f"{label}: read with delimiter {DELIMITER_NAMES[self.delimiter]}, detected from the header"
            )
        return lines


def find_source_file(folder: Path, table: str) -> Path | None:
    return FolderSource(folder).file(table)


def _ensure_schema(con: duckdb.DuckDBPyConnection, contract: TableContract) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.loads (
            load_id integer, table_name varchar, status varchar, rows bigint, source_dir varchar,
            source_file varchar, source_hash varchar, loaded_at timestamp)"""
    )
    cols = ", ".join(f'"{c}" varchar' for c in contract.columns)
    versions = ", ".join(f"{c} {kind}" for c, kind in VERSION_COLUMNS.items())
    con.execute(
        f"""create table if not exists raw."{contract.name}" ({cols}, _load_id integer, _source_file varchar,
            _source_hash varchar, _loaded_at timestamp, {versions})"""
    )
    # A raw table from before an optional column joined the contract (accounts.parent_id) gains it, empty.
    for c in contract.columns:
        con.execute(f'alter table raw."{contract.name}" add column if not exists "{c}" varchar')
    add_version_columns(con, contract.name)


def _seen(con: duckdb.DuckDBPyConnection, table: str, digest: str) -> tuple[int, int] | None:
    """The newest load of ``table`` if it had this fingerprint. Only the newest counts: a delivery that goes back
    to an earlier file (A, then B, then A again) is loaded, so that staging reads A's rows again."""
    row = con.execute(
        "select load_id, rows, source_hash from ops.loads where table_name = ? and status = 'loaded'"
        " order by load_id desc limit 1",
        [table],
    ).fetchone()
    return (row[0], row[1]) if row is not None and row[2] == digest else None


def _label(location: str) -> str:
    """How messages name a delivery: a file by its name, a database table by its location."""
    return Path(location).name if "#" not in location else location


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous delivery's relation: connectors stage a view (files) or a table (SQLite, PostgreSQL),
    and DuckDB will not replace one kind with the other."""
    kind = con.execute(
        "select table_type from information_schema.tables where table_catalog = 'temp' and table_name = ?",
        [_STAGED],
    ).fetchone()
    if kind is not None:
        con.execute(f"drop {'view' if kind[0] == 'VIEW' else 'table'} {_STAGED}")


def _stage_mapped(
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    source: Source,
    mapping: dict[str, str],
    label: str,
) -> str | None:
    """Stage the delivery as ``_incoming``: contract columns as text, in delivery order, numbered from 1.
    Returns the CSV delimiter the connector detected (None for other formats)."""
    _drop_staged(con)
    delimiter = source.stage(con, contract.name, _STAGED)
    found = [r[0] for r in con.execute(f"describe {_STAGED}").fetchall()]
    source_of = {col: mapping.get(col, col) for col in contract.columns}
    missing = [
        col + (f" (mapped from '{src}')" if src != col else "")
        for col, src in source_of.items()
        if col in contract.required and src not in found
    ]
    if missing:
        raise ContractError(
            f"{label}: missing required column(s) {', '.join(missing)}; found: {', '.join(found)}"
        )
    absent = [f"{col} -> '{src}'" for col, src in mapping.items() if src not in found and col not in missing]
    if absent:
        raise ContractError(f"{label}: sources.mapping names column(s) not in the table: {', '.join(absent)}")
    # Source names are the company's own and may hold any character: quoted, never pasted into the SQL.
    select = ", ".join(
        f"cast({quote_ident(src)} as varchar) as {quote_ident(col)}"
        if src in found
        else f"cast(null as varchar) as {quote_ident(col)}"
        for col, src in source_of.items()
    )
    try:
        con.execute(
            f"create or replace temp table _incoming as select row_number() over () as _row, {select} from {_STAGED}"
        )
    except duckdb.Error as exc:
        raise ContractError(f"{label}: cannot be read ({first_line(exc)})") from exc
    return delimiter


def _content_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Order-independent hash of the staged rows, for sources without a file to hash (database tables)."""
    count, total = con.execute(
        "select count(*), coalesce(sum(hash(t)::hugeint), 0) from (select * exclude (_row) from _incoming) as t"
    ).fetchone()
    columns = [r[0] for r in con.execute("describe _incoming").fetchall()]
    return hashlib.sha256(f"{columns}|{count}|{total}".encode()).hexdigest()


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: Source | Path,
    mapping: dict[str, str] | None = None,
    *,
    forget_key: bytes | None = None,
) -> LoadResult:
    """Load one table from ``source`` (a connector, or a folder) into ``raw.<table>``.

    ``mapping`` is contract column -> source column. Database connectors must be used inside their
    ``session(con)``; a folder needs none. With ``forget_key`` (the pseudonym key), rows of customers that
    `radar forget` tombstoned are dropped before they reach the raw zone, and counted.
    """
    if isinstance(source, Path):
        source = FolderSource(source)
    contract = CONTRACT[table]
    mapping = mapping or {}
    unknown = sorted(set(mapping) - set(contract.columns))
    if unknown:
        raise ContractError(f"sources.mapping.{table}: {', '.join(unknown)} not in the contract for {table}")
    _ensure_schema(con, contract)
    location = source.locate(table)
    next_id = con.execute("select coalesce(max(load_id), 0) + 1 from ops.loads").fetchone()[0]
    if location is None and table in source.tables:
        raise ContractError(
            f"{source.describe()}: sources.tables.{table} names '{source.name_of(table)}', which is not there"
        )
    if location is None:
        con.execute(
            "insert into ops.loads values (?, ?, 'missing', 0, ?, null, null, now())",
            [next_id, table, source.describe()],
        )
        return LoadResult(table, "missing", 0, None, None, None)

    def unchanged(seen: tuple[int, int], digest: str) -> LoadResult:
        con.execute(
            "insert into ops.loads values (?, ?, 'unchanged', ?, ?, ?, ?, now())",
            [next_id, table, seen[1], source.describe(), location, digest],
        )
        problems, quarantined = problems_of(con, table, int(seen[0]))
        return LoadResult(
            table,
            "unchanged",
            int(seen[1]),
            int(seen[0]),
            location,
            digest,
            quarantined,
            tuple(problems),
            forgotten=dropped_rows(con, table, int(seen[0])),
        )

    digest = source.quick_fingerprint(table)
    if digest is not None and (seen := _seen(con, table, digest)) is not None:
        return unchanged(seen, digest)
    label = _label(location)
    delimiter = _stage_mapped(con, contract, source, mapping, label)
    if digest is None:
        digest = _content_fingerprint(con)
        if (seen := _seen(con, table, digest)) is not None:
            return unchanged(seen, digest)
    forgotten = drop_forgotten(con, "_incoming", key=forget_key) if forget_key and contract.has_customer else 0
    rows = con.execute("select count(*) from _incoming").fetchone()[0]
    if rows == 0 and table in REQUIRED_TABLES:
        raise ContractError(f"{label}: required table '{table}' has no rows")
    if rows == 0:
        # A header without rows says nothing about the customers; judging it would fail every gate at 0.
        con.execute("drop table if exists _incoming")
        con.execute(
            "insert into ops.loads values (?, ?, 'empty', 0, ?, ?, ?, now())",
            [next_id, table, source.describe(), location, digest],
        )
        return LoadResult(table, "empty", 0, None, location, digest, delimiter=delimiter)

    con.execute("begin transaction")
    try:
        appended, retired = append_changes(con, contract, load_id=next_id, location=location, digest=digest)
        problems, quarantined = quarantine(con, table, load_id=next_id, source_file=location)
        record_drops(con, table, int(next_id), forgotten)
        con.execute(
            "insert into ops.loads values (?, ?, 'loaded', ?, ?, ?, ?, now())",
            [next_id, table, rows, source.describe(), location, digest],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _incoming")
    return LoadResult(
        table,
        "loaded",
        int(rows),
        int(next_id),
        location,
        digest,
        int(quarantined),
        tuple(problems),
        delimiter,
        forgotten,
        appended,
        retired,
    )
