"""Gate verdicts in the warehouse (`ops.gate_results`), so `radar status` and the review can show them later."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest.raw_zone import ABSENT
from pipelines.lib.quality.gates import GateResult, is_blocking


def present_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables whose most recent extract found a file with rows (a header-only file counts as not delivered)."""
    rows = con.execute(
        """select table_name from ops.loads
           qualify row_number() over (partition by table_name order by load_id desc) = 1
           and not list_contains(?, status) order by table_name""",
        [list(ABSENT)],
    ).fetchall()
    return [r[0] for r in rows]


def record(
    con: duckdb.DuckDBPyConnection, results: list[GateResult], *, run_id: str, docs: Path | None = None
) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.gate_results (
            run_id varchar, gate varchar, passed boolean, value double, threshold double, unit varchar,
            failing varchar, details varchar, evaluated_at timestamp, data_docs varchar)"""
    )
    con.execute("alter table ops.gate_results add column if not exists data_docs varchar")
    con.execute("alter table ops.gate_results add column if not exists blocking boolean")
    for r in results:
        con.execute(
            """insert into ops.gate_results
               (run_id, gate, passed, value, threshold, unit, failing, details, evaluated_at, data_docs, blocking)
               values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?)""",
            [
                run_id,
                r.name,
                r.passed,
                r.value,
                r.threshold,
                r.unit,
                ", ".join(r.failing),
                json.dumps(r.details, default=str),
                str(docs) if docs else None,
                r.blocking,
            ],
        )


def latest(con: duckdb.DuckDBPyConnection, *, history_blocks: bool = True) -> pd.DataFrame:
    """Each gate's newest verdict, with ``blocking`` as it counted when it was evaluated (the run's own
    configuration decided). ``history_blocks`` only stands in for verdicts recorded before that was kept (a
    data home of an older version, read read-only, whose table has no such column yet)."""
    kept = con.execute(
        """select count(*) from information_schema.columns
           where table_schema = 'ops' and table_name = 'gate_results' and column_name = 'blocking'"""
    ).fetchone()[0]
    recorded = "blocking" if kept else "null::boolean as blocking"
    frame = con.execute(
        f"""select gate, passed, value, threshold, unit, failing, evaluated_at, data_docs, {recorded}
            from ops.gate_results
            qualify row_number() over (partition by gate order by evaluated_at desc) = 1 order by gate"""
    ).df()
    today = frame["gate"].map(lambda g: is_blocking(g, history_blocks=history_blocks))
    frame["blocking"] = frame["blocking"].astype(object).where(frame["blocking"].notna(), today).astype(bool)
    return frame
