"""Data defects and drift for the demo sources: faults with known counts, so tests can check the gates find them.

Applied after the clean simulation, table by table (vectorised Arrow/NumPy). Each faulty record breaks exactly one
rule of the quality gate, on disjoint rows, so the counts in ``_truth/defects.json`` are exactly what the gate
should count per table and rule:

- ``missing``       the customer_id is emptied                                -> ``missing_required``
- ``bad_date``      the event date is written as ``31.12.2025`` (unparseable) -> ``bad_date``
- ``duplicates``    a clean record is delivered twice                         -> ``duplicate``
- ``orphans``       the customer_id names no account                          -> ``orphan``
- ``out_of_range``  an amount turns negative; in tables without amounts the
                    event date moves 100 years ahead                          -> ``negative_amount`` / ``future_date``
- ``late``          a record is missing from this delivery and only arrives in the next one
                    (``_late/<table>``, the full table including it)          -> ``late`` (no rule; a new load)

Drift (``drift_months`` > 0) changes behaviour that the churn process does not depend on in the latest months:
order amounts and logins/page views rise by ``strength`` (a price increase, a new product feature), replies slow
down by the same factor. Recorded in ``_truth/drift.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.simulate.sinks import FileFormat, TableSink

KINDS = ("missing", "bad_date", "duplicates", "orphans", "out_of_range", "late")
LATE_DIR = "_late"
FUTURE_DAYS = 36_525
# column -> what drift does to it, per table
DRIFTED = {
    "orders": ("amount",),
    "usage": ("logins", "page_views"),
    "interactions": ("response_hours",),
}


def _rule(table: str, kind: str) -> str:
    if kind == "out_of_range":
        return "negative_amount" if CONTRACT[table].amounts else "future_date"
    return {"missing": "missing_required", "duplicates": "duplicate", "orphans": "orphan"}.get(kind, kind)


def _pick(
    rng: np.random.Generator, table: pa.Table, name: str, rates: dict[str, float]
) -> dict[str, np.ndarray]:
    """Disjoint row positions per defect kind, drawn from one permutation; ``clean`` is what is left."""
    n = table.num_rows
    allowed = dict.fromkeys(KINDS, True) if name != "accounts" else {k: k == "duplicates" for k in KINDS}
    if not CONTRACT[name].key:
        allowed["duplicates"] = False
    order = rng.permutation(n)
    picked: dict[str, np.ndarray] = {}
    at = 0
    for kind in KINDS:
        k = round(rates.get(kind, 0.0) * n) if allowed[kind] else 0
        rows = order[at : at + k]
        key = CONTRACT[name].key
        if kind == "missing" and "customer_id" in key and len(key) == 2:
            # usage and surveys are keyed by (customer_id, day): two emptied ids on one day would also be duplicates.
            (day,) = (c for c in key if c != "customer_id")
            rows = rows[np.unique(table[day].to_numpy()[rows], return_index=True)[1]]
        picked[kind] = np.sort(rows)
        at += k
    picked["clean"] = np.sort(order[at:])
    return picked


def _replace(
    column: pa.ChunkedArray, rows: np.ndarray, values: pa.Array | pa.ChunkedArray
) -> pa.ChunkedArray:
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    return pc.if_else(pa.array(mask), values, column)


def _shift_days(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A date or timestamp column moved ``FUTURE_DAYS`` ahead (nulls stay null)."""
    if pa.types.is_timestamp(column.type):
        return pc.add(column, pa.scalar(dt.timedelta(days=FUTURE_DAYS), pa.duration("s")))
    return pc.add(pc.cast(column, pa.int32()), pa.scalar(FUTURE_DAYS, pa.int32())).cast(pa.date32())


def _inject(
    rng: np.random.Generator, name: str, table: pa.Table, rates: dict[str, float]
) -> tuple[pa.Table, pa.Table, dict[str, int]]:
    """The delivered table, the next (late) delivery, and the true count per rule."""
    contract = CONTRACT[name]
    picked = _pick(rng, table, name, rates)
    counts = {_rule(name, kind): int(picked[kind].size) for kind in KINDS if picked[kind].size}
    date_col = contract.event_date
    columns = {f.name: table[f.name] for f in table.schema}

    if picked["missing"].size:
        ids = columns["customer_id"]
        columns["customer_id"] = _replace(ids, picked["missing"], pa.nulls(len(ids), pa.string()))
    if picked["orphans"].size:
        fake = pc.binary_join_element_wise(
            "X", pc.utf8_lpad(pa.array(np.arange(len(table))).cast(pa.string()), width=9, padding="0"), ""
        )
        columns["customer_id"] = _replace(columns["customer_id"], picked["orphans"], fake)
    if picked["out_of_range"].size:
        if contract.amounts:
            col = contract.amounts[0]
            negative = pc.negate(pc.add(pc.abs(columns[col]), 1.0))
            columns[col] = _replace(columns[col], picked["out_of_range"], negative)
        else:
            # The record's end date (a ticket's closed_at) moves with it, so that it breaks future_date alone.
            ends = [end for start, end in contract.ordered if start == date_col and end in columns]
            for col in (date_col, *ends):
                columns[col] = _replace(columns[col], picked["out_of_range"], _shift_days(columns[col]))
    if picked["bad_date"].size:
        original = columns[date_col]
        iso = "%Y-%m-%dT%H:%M:%S" if pa.types.is_timestamp(original.type) else "%Y-%m-%d"
        text = pc.strftime(original, format=iso)
        columns[date_col] = _replace(text, picked["bad_date"], pc.strftime(original, format="%d.%m.%Y"))

    faulty = pa.Table.from_pydict(columns)
    duplicates = faulty.take(pa.array(picked["duplicates"]))
    complete = pa.concat_tables([faulty, duplicates])
    keep = np.ones(len(table), dtype=bool)
    keep[picked["late"]] = False
    delivered = pa.concat_tables([faulty.filter(pa.array(keep)), duplicates])
    return delivered, complete, counts


def _drift(table: pa.Table, name: str, since: np.datetime64, strength: float) -> tuple[pa.Table, int]:
    date = table[CONTRACT[name].event_date]
    recent = pc.greater_equal(
        pc.cast(date, pa.timestamp("s")), pa.scalar(since.astype("datetime64[s]").item(), pa.timestamp("s"))
    )
    for col in DRIFTED[name]:
        values = table[col]
        scaled = pc.multiply(pc.cast(values, pa.float64()), 1.0 + strength)
        if pa.types.is_integer(values.type):
            scaled = pc.cast(pc.round(scaled), values.type)
        else:
            scaled = pc.round(scaled, 2)
        table = table.set_column(table.schema.get_field_index(col), col, pc.if_else(recent, scaled, values))
    return table, int(pc.sum(recent).as_py() or 0)


def post_process(
    out_dir: Path,
    *,
    file_format: FileFormat,
    seed: int,
    rates: dict[str, float],
    drift_months: int,
    drift_strength: float,
    end: dt.date,
) -> dict[str, int]:
    """Rewrite the clean Parquet tables in ``out_dir`` with drift and defects, in ``file_format``; return the
    records delivered per table."""
    rng = np.random.Generator(np.random.PCG64([seed, 1]))  # its own stream: the clean data stays the same
    since = np.datetime64(end, "M") - (drift_months - 1) if drift_months else None
    truth: dict[str, dict[str, int]] = {}
    drifted: dict[str, int] = {}
    for name in CONTRACT:
        clean_path = out_dir / f"{name}.parquet"
        table = pq.read_table(clean_path)
        if since is not None and name in DRIFTED:
            table, drifted[name] = _drift(table, name, since.astype("datetime64[D]"), drift_strength)
        delivered, complete, counts = _inject(rng, name, table, rates)
        truth[name] = {"records": delivered.num_rows, **counts}
        staged = clean_path.with_name(f".{name}.clean.parquet")
        clean_path.rename(staged)
        _write(delivered, out_dir / f"{name}.{file_format}", file_format)
        if counts.get("late"):
            (out_dir / LATE_DIR).mkdir(exist_ok=True)
            _write(complete, out_dir / LATE_DIR / f"{name}.{file_format}", file_format)
        staged.unlink()
    truth_dir = out_dir / "_truth"
    if any(v for t in truth.values() for k, v in t.items() if k != "records"):
        (truth_dir / "defects.json").write_text(
            json.dumps({"rates": rates, "tables": truth}, indent=2) + "\n"
        )
    if since is not None:
        (truth_dir / "drift.json").write_text(
            json.dumps(
                {
                    "from": str(since.astype("datetime64[D]")),
                    "months": drift_months,
                    "strength": drift_strength,
                    "columns": {t: list(DRIFTED[t]) for t in DRIFTED},
                    "rows_changed": drifted,
                },
                indent=2,
            )
            + "\n"
        )
    return {name: t["records"] for name, t in truth.items()}


def _write(table: pa.Table, path: Path, file_format: FileFormat) -> None:
    sink = TableSink(path, table.schema, file_format)
    try:
        sink.write({name: table[name] for name in table.schema.names})
        sink.commit()
    finally:
        sink.abort()
