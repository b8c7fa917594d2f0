"""The value table is replaced per as-of date, and without a validated model the stand-in says what it is."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.value import value_store
from pipelines.lib.value.value_model import predict_revenue

COLUMNS = [c.split()[0] for c in value_store.COLUMNS_SQL.replace("\n", " ").split(",")][:-1]


def _values(as_of: str, clv: float) -> pd.DataFrame:
    row = {c: None for c in COLUMNS} | {"customer_id": "C1", "as_of": as_of, "clv": clv}
    return pd.DataFrame([row], columns=COLUMNS).astype({"clv": float})


def test_a_rerun_replaces_its_as_of_date_and_keeps_the_others() -> None:
    con = duckdb.connect()
    value_store.replace_as_of(con, _values("2026-09-30", 1.0), "2026-09-30")
    value_store.replace_as_of(con, _values("2026-10-31", 2.0), "2026-10-31")
    value_store.replace_as_of(con, _values("2026-10-31", 3.0), "2026-10-31")
    rows = con.execute("select as_of::varchar, clv from scores.customer_value order by as_of").fetchall()
    assert rows == [("2026-09-30", 1.0), ("2026-10-31", 3.0)]


def test_without_a_model_or_orders_last_years_revenue_stands_in_and_says_so() -> None:
    current = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "snapshot_date": pd.to_datetime(["2026-10-31"] * 2), "revenue_365d": [5.0, None]}
    )
    predicted, method, notice = predict_revenue(current, None, method="last_12m_revenue", why="too few years")
    assert np.array_equal(predicted, [5.0, 0.0]) and method == "last_12m_revenue"
    assert notice == "value model not trained (too few years); last year's revenue stands in"
