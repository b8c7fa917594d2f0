"""The score tables in the warehouse: what every scoring path writes, so `customer_360` and `radar status` can read
one shape whichever path (model or health-score fallback) produced the scores.

The same columns are created by dbt's `create_score_tables` hook, because the `customer_360` view binds to them
before any scoring has run; a unit test keeps the two definitions equal.
"""

from __future__ import annotations

import duckdb
import pandas as pd

SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "varchar",
    "as_of": "date",
    "churn_probability": "double",
    "risk_tier": "varchar",
    "reasons": "varchar",
    "action": "varchar",
    "owner": "varchar",
    "sla_hours": "integer",
    "model_name": "varchar",
    "model_version": "varchar",
    "score_source": "varchar",
    "health_colour": "varchar",
    "health_points": "integer",
    "predicted_revenue_12m": "double",
    "clv": "double",
    "value_tier": "varchar",
    "service_level": "varchar",
    "response_hours": "integer",
    "revenue_at_risk": "double",
    "priority": "integer",
    # Why the score moved (pipelines/lib/score/score_changes.py).
    "previous_as_of": "date",
    "previous_churn_probability": "double",
    "probability_change": "double",
    "previous_risk_tier": "varchar",
    "moved_by": "varchar",
}
HEALTH_COLUMNS: dict[str, str] = {
    "customer_id": "varchar",
    "as_of": "date",
    "health_points": "integer",
    "health_colour": "varchar",
    "signals": "varchar",
}
MODEL, FALLBACK = "model", "health_score_fallback"


def _ensure(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    con.execute("create schema if not exists scores")
    cols = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"create table if not exists scores.{table} ({cols}, scored_at timestamp)")
    # A warehouse from before a column existed gains it, instead of failing the insert.
    for c, t in columns.items():
        con.execute(f"alter table scores.{table} add column if not exists {c} {t}")


def replace_as_of(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace the rows of ``frame``'s as_of in ``scores.<table>`` in one transaction (re-runs are idempotent)."""
    columns = SCORE_COLUMNS if table == "customer_scores" else HEALTH_COLUMNS
    _ensure(con, table, columns)
    rows = frame[list(columns)]  # noqa: F841 - read by DuckDB's replacement scan below
    as_of = str(frame["as_of"].iloc[0])
    con.execute("begin transaction")
    con.execute(f"delete from scores.{table} where as_of = ?", [as_of])
    con.execute(f"insert into scores.{table} ({', '.join(columns)}, scored_at) select *, now() from rows")
    con.execute("commit")
