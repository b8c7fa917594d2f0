"""Erase customers from every file of the data home besides the warehouse.

Every file is searched for the customers' tokens (ids, pseudonyms, e-mails, names no other customer shares),
as whole words, and handled by what it is:

- SQLite databases (the MLflow store, Dagster's run history and event log): every value holding a token has it
  replaced by ``[erased]``, then the database is vacuumed, so no free page keeps the old bytes;
- Parquet, CSV and JSON Lines files (the CRM export, alerts, logged samples): the rows that hold a token are
  dropped, the rest rewritten atomically;
- other text (reports, Evidently's HTML and JSON, run logs, Data Docs, dbt logs): each token becomes
  ``[erased]``, the rest stays as it was;
- any other binary file that holds a token (a pickled step output) is deleted: it cannot be edited safely, and
  the run that needs it recomputes it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from pipelines.lib.core.atomic import atomic_path

ERASED = "[erased]"
SQLITE_MAGIC = b"SQLite format 3\x00"
ROW_FILES = (".csv", ".jsonl", ".tsv")
_SIDE_FILES = ("-wal", "-shm", "-journal")


def token_pattern(tokens: Sequence[str]) -> re.Pattern[bytes]:
    """Whole-word matches of any token, as UTF-8 and as JSON would escape it (``M\\u00fcller``)."""
    variants = set()
    for token in tokens:
        variants.add(token)
        variants.add(json.dumps(token)[1:-1])
    alternatives = b"|".join(re.escape(v.encode()) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives + rb")(?![A-Za-z0-9_])")


def erase_files(home: Path, tokens: Sequence[str], *, skip: Iterable[Path]) -> dict[str, dict[str, int]]:
    """Erase ``tokens`` from every file under ``home`` except ``skip``; returns what was done, per area
    (the first folder under the home) and action, counted."""
    pattern = token_pattern(tokens)
    skipped = {p.resolve() for p in skip}
    done: dict[str, dict[str, int]] = {}

    def count(path: Path, action: str, n: int = 1) -> None:
        area = path.relative_to(home).parts[0] if len(path.relative_to(home).parts) > 1 else path.name
        done.setdefault(area, {}).setdefault(action, 0)
        done[area][action] += n

    for path in sorted(p for p in home.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.resolve() in skipped or path.name.endswith(_SIDE_FILES) or not path.exists():
            continue
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head == SQLITE_MAGIC:
            n = _erase_sqlite(path, pattern, tokens)
            if n:
                count(path, "values redacted", n)
            continue
        if path.suffix == ".parquet":
            # Parquet compresses its pages: the bytes do not show the ids, the rows do.
            n = _drop_parquet_rows(path, pattern)
            if n:
                count(path, "rows removed", n)
            continue
        data = path.read_bytes()
        if not pattern.search(data):
            continue
        if path.suffix in ROW_FILES:
            count(path, "rows removed", _drop_lines(path, data, pattern))
        elif b"\0" not in data and _is_utf8(data):
            n = len(pattern.findall(data))
            with atomic_path(path) as tmp:
                tmp.write_bytes(pattern.sub(ERASED.encode(), data))
            count(path, "values redacted", n)
        else:
            path.unlink()
            count(path, "files deleted")
    return done


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _drop_lines(path: Path, data: bytes, pattern: re.Pattern[bytes]) -> int:
    lines = data.splitlines(keepends=True)
    kept = [line for line in lines if not pattern.search(line)]
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"".join(kept))
    return len(lines) - len(kept)


def _drop_parquet_rows(path: Path, pattern: re.Pattern[bytes]) -> int:
    frame = pd.read_parquet(path)
    text = re.compile(pattern.pattern.decode())
    hit = pd.Series(False, index=frame.index)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            hit |= frame[column].astype(str).str.contains(text, na=False)
    if hit.any():
        with atomic_path(path) as tmp:
            frame.loc[~hit].to_parquet(tmp, index=False)
    return int(hit.sum())


def _erase_sqlite(path: Path, pattern: re.Pattern[bytes], tokens: Sequence[str]) -> int:
    """Redact every value holding a token, in every table; vacuum when anything changed. Returns the count."""
    text = re.compile(pattern.pattern.decode())
    likes = sorted({f"%{v}%" for t in tokens for v in (t, json.dumps(t)[1:-1])})
    changed = 0
    con = sqlite3.connect(path, timeout=30)
    try:
        tables = [
            r[0]
            for r in con.execute("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
        ]
        for table in tables:
            columns = [r[1] for r in con.execute(f'pragma table_info("{table}")')]
            for column in columns:
                # LIKE narrows the scan in SQLite (a superset: it ignores case and word bounds), the regex decides.
                where = " or ".join(f'"{column}" like ?' for _ in likes)
                rows = con.execute(
                    f'select distinct "{column}" from "{table}"'
                    f" where typeof(\"{column}\") in ('text', 'blob') and ({where})",
                    likes,
                ).fetchall()
                for (value,) in rows:
                    if isinstance(value, bytes):
                        new: str | bytes = pattern.sub(ERASED.encode(), value)
                    else:
                        new = text.sub(ERASED, value)
                    if new != value:
                        cur = con.execute(f'update "{table}" set "{column}" = ? where "{column}" = ?', [new, value])
                        changed += cur.rowcount
        con.commit()
        if changed:
            con.execute("vacuum")
            con.execute("pragma wal_checkpoint(truncate)")
    finally:
        con.close()
    return changed
