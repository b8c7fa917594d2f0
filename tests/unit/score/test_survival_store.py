"""`scores.customer_survival`: a re-run of an as_of replaces it, other as_ofs stay, and the export's join has
the same columns whether or not any curve was drawn."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.lib.score import survival_store
from pipelines.lib.train.hazard import SURVIVAL_COLUMNS


def _curves(as_of: dt.date, customers: list[str], level: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": customers,
            "as_of": as_of,
            **{c: level for c in SURVIVAL_COLUMNS},
            "survival_quarter": "2026-10-01",
            "survival_run_id": "run",
        }
    )


def test_a_rerun_replaces_its_as_of_and_keeps_the_others() -> None:
    con = duckdb.connect()
    september, october = dt.date(2026, 9, 30), dt.date(2026, 10, 31)
    assert survival_store.survival_as_of(con, str(october)).columns.tolist() == [
        "customer_id",
        *SURVIVAL_COLUMNS,
    ]
    survival_store.replace_as_of(con, _curves(september, ["A", "B"], 0.9))
    survival_store.replace_as_of(con, _curves(october, ["A", "B"], 0.8))
    survival_store.replace_as_of(con, _curves(october, ["A"], 0.7))
    got = survival_store.survival_as_of(con, str(october))
    assert got["customer_id"].tolist() == ["A"] and got["survival_12m"].tolist() == [0.7]
    assert len(survival_store.survival_as_of(con, str(september))) == 2
    assert survival_store.survival_as_of(con, "2026-08-31").columns.tolist() == [
        "customer_id",
        *SURVIVAL_COLUMNS,
    ]
