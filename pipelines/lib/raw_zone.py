"""Extract source files into the raw zone: append-only tables that keep every load exactly as it arrived.

Each table ``raw.<name>`` holds all contract columns as text (so a malformed value is kept, not lost, and leading zeros
in ids survive) plus the load's id, file, hash and time. Loading a file whose hash was already loaded is a no-op;
a changed file becomes a new load. Staging reads the newest load of each table, because exports are full snapshots.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.contract import CONTRACT, TableContract

LOAD_COLUMNS = ("_load_id", "_source_file", "_source_hash", "_loaded_at")


class ContractError(ValueError):
    """A source file that breaks the contract; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    status: str  # loaded | unchanged | missing
    rows: int
    load_id: int | None
    source_file: str | None
    source_hash: str | None

    @property
    def present(self) -> bool:
        return self.status != "missing"


def find_source_file(folder: Path, table: str) -> Path | None:
    found = [p for p in (folder / f"{table}.csv", folder / f"{table}.parquet") if p.is_file()]
    if len(found) > 1:
        raise ContractError(f"{folder}: both {table}.csv and {table}.parquet exist; keep one")
    return found[0] if found else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reader_sql(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    if path.suffix == ".csv":
        # all_varchar keeps the file's text as it is; typing happens in staging where failures are counted.
        return f"read_csv('{quoted}', header = true, all_varchar = true)"
    return f"read_parquet('{quoted}')"


def _ensure_schema(con: duckdb.DuckDBPyConnection, contract: TableContract) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.loads (
            load_id integer, table_name varchar, status varchar, rows bigint, source_dir varchar,
            source_file varchar, source_hash varchar, loaded_at timestamp)"""
    )
    cols = ", ".join(f'"{c}" varchar' for c in contract.columns)
    con.execute(
        f"""create table if not exists raw."{contract.name}" ({cols}, _load_id integer, _source_file varchar,
            _source_hash varchar, _loaded_at timestamp)"""
    )


def load_table(
    con: duckdb.DuckDBPyConnection, table: str, folder: Path, mapping: dict[str, str] | None = None
) -> LoadResult:
    """Load one table's file from ``folder`` into ``raw.<table>``; ``mapping`` is contract column -> file column."""
    contract = CONTRACT[table]
    mapping = mapping or {}
    _ensure_schema(con, contract)
    path = find_source_file(folder, table)
    next_id = con.execute("select coalesce(max(load_id), 0) + 1 from ops.loads").fetchone()[0]
    if path is None:
        con.execute(
            "insert into ops.loads values (?, ?, 'missing', 0, ?, null, null, now())",
            [next_id, table, str(folder)],
        )
        return LoadResult(table, "missing", 0, None, None, None)

    digest = file_sha256(path)
    seen = con.execute(
        "select load_id, rows from ops.loads where table_name = ? and source_hash = ? and status = 'loaded'"
        " order by load_id desc limit 1",
        [table, digest],
    ).fetchone()
    if seen is not None:
        con.execute(
            "insert into ops.loads values (?, ?, 'unchanged', ?, ?, ?, ?, now())",
            [next_id, table, seen[1], str(folder), str(path), digest],
        )
        return LoadResult(table, "unchanged", int(seen[1]), int(seen[0]), str(path), digest)

    try:
        found = [r[0] for r in con.execute(f"describe select * from {_reader_sql(path)}").fetchall()]
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ContractError(f"{path.name}: cannot be read as {path.suffix[1:]} ({first_line})") from exc
    source_of = {col: mapping.get(col, col) for col in contract.columns}
    missing = [
        f"{col}" + (f" (mapped from '{src}')" if src != col else "")
        for col, src in source_of.items()
        if col in contract.required and src not in found
    ]
    if missing:
        raise ContractError(
            f"{path.name}: missing required column(s) {', '.join(missing)}; found: {', '.join(found)}"
        )
    select = ", ".join(
        f'cast("{src}" as varchar) as "{col}"' if src in found else f'cast(null as varchar) as "{col}"'
        for col, src in source_of.items()
    )
    con.execute("begin transaction")
    try:
        con.execute(
            f"""insert into raw."{table}" select {select}, ? as _load_id, ? as _source_file,
                ? as _source_hash, now() as _loaded_at from {_reader_sql(path)}""",
            [next_id, str(path), digest],
        )
        rows = con.execute(f'select count(*) from raw."{table}" where _load_id = ?', [next_id]).fetchone()[0]
        con.execute(
            "insert into ops.loads values (?, ?, 'loaded', ?, ?, ?, ?, now())",
            [next_id, table, rows, str(folder), str(path), digest],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return LoadResult(table, "loaded", int(rows), int(next_id), str(path), digest)
