"""`scores.customer_value`: one row per customer and as-of date, replaced whole for an as-of date."""

from __future__ import annotations

import duckdb
import pandas as pd

COLUMNS_SQL = """customer_id varchar, as_of date, predicted_revenue_12m double, revenue_last_12m double,
    avg_order_value double, orders_per_year double, churn_probability double, expected_lifetime_years double,
    acquisition_cost double, clv double, value_tier varchar, service_level varchar, response_hours integer,
    value_method varchar, churn_model_version varchar, scored_at timestamp"""


def replace_as_of(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, as_of: str) -> None:
    """Write ``values`` (the columns above but ``scored_at``) as the as-of date's rows, in one transaction."""
    con.execute("create schema if not exists scores")
    con.execute(f"create table if not exists scores.customer_value ({COLUMNS_SQL})")
    con.execute("begin transaction")
    con.execute("delete from scores.customer_value where as_of = ?", [as_of])
    con.register("value_rows", values)
    con.execute("insert into scores.customer_value select *, now() from value_rows")
    con.unregister("value_rows")
    con.execute("commit")
