"""`radar forget`: erase customers from every layer of a data home, keep them out, and write down what was done.

One erasure, in this order: the customers' e-mails and names are read from the raw zone (they must vanish too);
their rows are deleted from every warehouse table and their tombstones written, in one transaction; the
warehouse file is rewritten (no free block keeps the old bytes); then every other file of the home (exports,
alerts, reports, MLflow, Dagster's history, logs) is cleaned (``files.py``). Last, one line goes to the erasure
log, ``$RADAR_HOME/privacy/erasures.jsonl``: when, why, the customers as keyed hashes (never the ids), and what
was removed per layer, counted. The caller holds the data home's writer lock.

A crash part-way leaves the tombstones committed with the rows gone from the warehouse; running the same
`radar forget` again finishes the files: ids and pseudonyms are found again from the ids given (e-mails and
names are read from the raw zone only, and no file outside the warehouse holds them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.pseudonym import KEY_FILE, key_id, pseudonym, tombstone
from pipelines.lib.core.warehouse import connect
from pipelines.lib.ingest import tombstones
from pipelines.lib.privacy import files, warehouse

LOG_FILE = Path("privacy") / "erasures.jsonl"


class ErasureError(ValueError):
    """What cannot be erased as asked, in one line."""


@dataclass
class Erasure:
    """What one `radar forget` (or its undo) did: the erasure log's line."""

    action: str  # forget | undo
    customers: list[str]  # keyed hashes, never ids
    reason: str
    at: str
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    found: int = 0  # how many of the customers the data home held

    def as_dict(self) -> dict:
        return {
            "at": self.at,
            "action": self.action,
            "customers": self.customers,
            "reason": self.reason,
            "found": self.found,
            "removed": self.removed,
            "counts": {layer: sum(v.values()) for layer, v in self.removed.items()},
        }

    def summary(self) -> list[str]:
        """One line per layer for the terminal, the warehouse's per schema (the log has every table)."""
        lines = []
        for layer, items in sorted(self.removed.items()):
            if layer == "warehouse":
                grouped: dict[str, int] = {}
                for what, n in items.items():
                    kind, _, table = what.partition(" ")
                    label = f"{table.split('.')[0]} {kind}" if table else kind
                    grouped[label] = grouped.get(label, 0) + n
                items = grouped
            lines.append(f"{layer}: " + ", ".join(f"{what} {n}" for what, n in sorted(items.items())))
        return lines


def log_path(paths: RadarPaths) -> Path:
    return paths.home / LOG_FILE


def normalised(ids: Sequence[str]) -> list[str]:
    cleaned = sorted({str(i).strip() for i in ids if str(i).strip()})
    if not cleaned:
        raise ErasureError("no customer id given")
    return cleaned


def forget(paths: RadarPaths, ids: Sequence[str], *, reason: str, key: bytes) -> Erasure:
    """Erase ``ids`` from the data home and tombstone them (see the module docstring)."""
    ids = normalised(ids)
    if not reason.strip():
        raise ErasureError("--reason must say why (it goes to the erasure log)")
    erasure = _new("forget", ids, reason, key)
    tokens = [*ids, *(pseudonym(i, key=key) for i in ids)]
    if paths.warehouse.exists():
        with connect(paths.warehouse) as con:
            tombstones.ensure_tables(con)
            personal = warehouse.personal_values(con, ids)
            erasure.found = warehouse.customers_held(con, ids)
            tokens += personal["emails"] + personal["names"]
            con.execute("begin transaction")
            try:
                deleted, redacted, raw_loads = warehouse.erase_rows(con, ids, tokens)
                con.execute(
                    "insert into ops.tombstones select unnest(?::varchar[]), ?, now() on conflict do nothing",
                    [[tombstone(i, key=key) for i in ids], key_id(key)],
                )
                for (table, load_id), n in raw_loads.items():
                    tombstones.record_drops(con, table, load_id, n)
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
        warehouse.rewrite(paths.warehouse)
        erasure.removed["warehouse"] = {f"rows {t}": n for t, n in deleted.items()} | {
            f"values {t}": n for t, n in redacted.items()
        }
    skip = [paths.warehouse, paths.home / KEY_FILE, log_path(paths), paths.home / "radar.lock"]
    for area, actions in files.erase_files(paths.home, tokens, skip=skip).items():
        erasure.removed[area] = actions
    _append(paths, erasure)
    return erasure


def undo(paths: RadarPaths, ids: Sequence[str], *, reason: str, key: bytes) -> Erasure:
    """Remove the tombstones of ``ids``: their rows load again with the next run (their erased data does not
    come back by itself; it comes back from the sources). The deliveries that had rows kept out are marked to
    be read again, so the next run reloads them even if they have not changed."""
    ids = normalised(ids)
    erasure = _new("undo", ids, reason or "undo", key)
    if not paths.warehouse.exists():
        raise ErasureError(f"no warehouse at {paths.warehouse}: nothing to undo")
    hashes = [tombstone(i, key=key) for i in ids]
    with connect(paths.warehouse) as con:
        tombstones.ensure_tables(con)
        con.execute("begin transaction")
        n = con.execute(
            "select count(*) from ops.tombstones where list_contains(?, customer_hash)", [hashes]
        ).fetchone()[0]
        if not n:
            con.execute("rollback")
            raise ErasureError("none of these customers has a tombstone (nothing to undo)")
        con.execute("delete from ops.tombstones where list_contains(?, customer_hash)", [hashes])
        tables = [r[0] for r in con.execute("select distinct table_name from ops.tombstone_drops").fetchall()]
        con.execute(
            "update ops.loads set source_hash = null"
            " where status in ('loaded', 'unchanged') and list_contains(?, table_name)",
            [tables],
        )
        con.execute("delete from ops.tombstone_drops")
        con.execute("commit")
    erasure.found = int(n)
    erasure.removed["warehouse"] = {"tombstones": int(n), "deliveries to read again": len(tables)}
    _append(paths, erasure)
    return erasure


def _new(action: str, ids: list[str], reason: str, key: bytes) -> Erasure:
    return Erasure(
        action=action,
        customers=[tombstone(i, key=key) for i in ids],
        reason=reason.strip(),
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def _append(paths: RadarPaths, erasure: Erasure) -> None:
    path = log_path(paths)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(erasure.as_dict(), sort_keys=True) + "\n")
