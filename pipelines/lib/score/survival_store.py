"""`scores.customer_survival`: each scored customer's survival curve, one row per customer and as_of, written by
the time-to-churn scoring and joined into the CRM export by customer and as_of."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.lib.core.warehouse import table_exists
from pipelines.lib.train.hazard import SURVIVAL_COLUMNS

TABLE = "customer_survival"
COLUMNS: dict[str, str] = {
    "customer_id": "varchar",
    "as_of": "date",
    **{c: "double" for c in SURVIVAL_COLUMNS},
    "survival_quarter": "varchar",  # the quarter whose hazard model drew the curve
    "survival_run_id": "varchar",  # its MLflow run
}


def replace_as_of(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Replace the rows of ``frame``'s as_of in one transaction: a reader sees the old curves or the new ones,
    and a re-run of the same as_of is idempotent."""
    con.execute("create schema if not exists scores")
    cols = ", ".join(f"{c} {t}" for c, t in COLUMNS.items())
    con.execute(f"create table if not exists scores.{TABLE} ({cols}, scored_at timestamp)")
    rows = frame[list(COLUMNS)]  # noqa: F841 - read by DuckDB's replacement scan below
    as_of = str(frame["as_of"].iloc[0])
    con.execute("begin transaction")
    try:
        con.execute(f"delete from scores.{TABLE} where as_of = ?", [as_of])
        con.execute(f"insert into scores.{TABLE} ({', '.join(COLUMNS)}, scored_at) select *, now() from rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def survival_as_of(con: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
    """customer_id and the survival columns of ``as_of`` (no rows when none were drawn for it), so the export
    always has the same columns, empty where there is no curve."""
    if not table_exists(con, "scores", TABLE):
        return pd.DataFrame(
            {
                c: pd.Series(dtype="object" if c == "customer_id" else float)
                for c in ("customer_id", *SURVIVAL_COLUMNS)
            }
        )
    return con.execute(
        f"select customer_id, {', '.join(SURVIVAL_COLUMNS)} from scores.{TABLE} where as_of = ?", [as_of]
    ).df()
