"""Erase customers from the warehouse: every table, every schema, then the file itself rewritten.

Rows are deleted from every base table that has a customer id column (raw zone, staging's and the marts'
tables, scores and score history, alert episodes and deliveries); the ids and e-mails left in free text
elsewhere (quarantine values, gate examples, ledgers) are replaced by ``[erased]``. Views need nothing: they
read the tables. DuckDB keeps deleted rows' bytes in free blocks until they are reused, so the database is then
copied into a fresh file (``COPY FROM DATABASE``) that replaces the old one atomically: no block of the old
file survives.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.lib.ingest.contract import CONTRACT

ID_COLUMNS = ("customer_id", "account_id")
ERASED = "[erased]"
# Characters that continue a word: a token only matches as a whole word (C0001 is not part of C00012).
_WORD = "A-Za-z0-9_"
_SPECIAL = set("\\.^$*+?()[]{}|-/")


def word_pattern(tokens: Sequence[str]) -> str:
    """An RE2 pattern matching any token as a whole word (RE2 has no look-behind: the neighbours are groups)."""
    escaped = ("".join(f"\\{c}" if c in _SPECIAL else c for c in t) for t in sorted(set(tokens), key=len)[::-1])
    return f"(^|[^{_WORD}])({'|'.join(escaped)})($|[^{_WORD}])"


def personal_values(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, list[str]]:
    """The e-mails and names the raw zone holds for ``ids``: what else must vanish with them.

    ``names`` are the account and contact names of these customers that no other customer's raw row also
    carries (two people may share a name; erasing one must not blank the other)."""
    found: dict[str, set[str]] = {"emails": set(), "names": set()}
    other_names: set[str] = set()
    tables = {t: c for t, c in (("accounts", ("name",)), ("contacts", ("name", "email")))}
    for table, columns in tables.items():
        if not _has_table(con, "raw", table):
            continue
        for column in columns:
            rows = con.execute(
                f'select distinct trim("{column}"), list_contains(?, trim(customer_id)) from raw."{table}"'
                f' where nullif(trim("{column}"), \'\') is not null',
                [list(ids)],
            ).fetchall()
            for value, mine in rows:
                if mine:
                    found["emails" if column == "email" else "names"].add(value)
                elif column == "name":
                    other_names.add(value)
    return {"emails": sorted(found["emails"]), "names": sorted(found["names"] - other_names)}


def customers_held(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> int:
    """How many of ``ids`` the raw zone holds an account of (any load)."""
    if not _has_table(con, "raw", "accounts"):
        return 0
    return int(
        con.execute(
            "select count(distinct trim(customer_id)) from raw.accounts where list_contains(?, trim(customer_id))",
            [list(ids)],
        ).fetchone()[0]
    )


def erase_rows(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], tokens: Sequence[str]
) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, int], int]]:
    """Delete the customers' rows from every base table and redact ``tokens`` in every other text value.

    Returns rows deleted per table, values redacted per table, and raw rows deleted per (table, load id) (the
    counts the next run's "kept out" line reports for a delivery it finds unchanged)."""
    tables = con.execute(
        """select t.table_schema, t.table_name,
                  list(c.column_name order by c.ordinal_position) filter (where c.data_type = 'VARCHAR'),
                  list(c.column_name) filter (where c.column_name in ('customer_id', 'account_id'))
           from information_schema.tables t
           join information_schema.columns c using (table_catalog, table_schema, table_name)
           where t.table_type = 'BASE TABLE' and t.table_catalog = current_database()
           group by all order by 1, 2"""
    ).fetchall()
    deleted: dict[str, int] = {}
    redacted: dict[str, int] = {}
    raw_loads: dict[tuple[str, int], int] = {}
    pattern = word_pattern(tokens)
    for schema, table, text_columns, id_columns in tables:
        name = f'"{schema}"."{table}"'
        if id_columns:
            where = " or ".join(f'list_contains(?, trim(cast("{c}" as varchar)))' for c in id_columns)
            params = [list(ids)] * len(id_columns)
            if schema == "raw" and table in CONTRACT:
                for load_id, n in con.execute(
                    f"select _load_id, count(*) from {name} where {where} group by 1", params
                ).fetchall():
                    raw_loads[(table, int(load_id))] = int(n)
            n = con.execute(f"select count(*) from {name} where {where}", params).fetchone()[0]
            if n:
                con.execute(f"delete from {name} where {where}", params)
                deleted[f"{schema}.{table}"] = int(n)
        for column in text_columns or []:
            n = con.execute(
                f'select count(*) from {name} where regexp_matches("{column}", ?)', [pattern]
            ).fetchone()[0]
            if n:
                con.execute(
                    f'update {name} set "{column}" = regexp_replace("{column}", ?, ?, \'g\')'
                    f' where regexp_matches("{column}", ?)',
                    [pattern, f"\\1{ERASED}\\3", pattern],
                )
                key = f"{schema}.{table}"
                redacted[key] = redacted.get(key, 0) + int(n)
    return deleted, redacted, raw_loads


def rewrite(path: Path) -> None:
    """Copy the database into a fresh file and put it in the old one's place, atomically.

    The caller holds the data home's writer lock: no other connection may be open."""
    fresh = path.with_name(f".{path.name}.rewrite")
    fresh.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
        catalog = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach '{fresh}' as _fresh")
        try:
            con.execute(f'copy from database "{catalog}" to _fresh')
        finally:
            con.execute("detach _fresh")
    os.chmod(fresh, 0o600)
    fd = os.open(fresh, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row[0])
