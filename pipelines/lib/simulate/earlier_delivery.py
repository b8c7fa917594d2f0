"""An earlier delivery of the same source systems: every table cut at a day, as the export of that day held it.

The simulator draws its population over the whole calendar, so a run with one month fewer is a different world,
not the same world a month earlier. To measure (and test) a monthly re-delivery honestly, the later delivery is
generated once and the earlier one is derived from it: each table keeps the rows whose event date (the contract's
first date column, e.g. ``order_date``, ``start_date``) lies on or before the cut-off. The later delivery then
repeats every row of the earlier one and adds one month. Other columns are left as they are (a contract that ends
after the cut-off already shows its end date), so the earlier delivery is an approximation of an export made on
that day; what it is used for, the cost and the result of loading the month on top, does not depend on that.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.sources import quote_ident

TRUTH_DIR = "_truth"


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_earlier_delivery(source: Path, out: Path, *, cutoff: dt.date) -> dict[str, int]:
    """Write ``out/<table>.parquet`` with the rows of ``source/<table>.parquet`` dated on or before ``cutoff``
    (each file published under its final name only when complete) and copy ``_truth/``; returns rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect() as con:
        for table, contract in CONTRACT.items():
            path = source / f"{table}.parquet"
            if not path.exists():
                continue
            partial = out / f".{table}.parquet.partial"
            date = contract.event_date
            where = f"where cast({quote_ident(date)} as date) <= date '{cutoff.isoformat()}'" if date else ""
            con.execute(
                f"copy (select * from read_parquet({_literal(path)}) {where}) to {_literal(partial)} (format parquet)"
            )
            rows[table] = con.execute(f"select count(*) from read_parquet({_literal(partial)})").fetchone()[0]
            os.replace(partial, out / f"{table}.parquet")
    if (source / TRUTH_DIR).is_dir():
        shutil.copytree(source / TRUTH_DIR, out / TRUTH_DIR, dirs_exist_ok=True)
    return rows
