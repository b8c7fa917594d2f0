"""Value × risk: who to call first. A VIP at high risk comes before a Basic customer at high risk, and both come
before anyone at medium risk; within the same tiers the higher probability, then the larger revenue at risk, leads.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core.warehouse import table_exists
from pipelines.lib.score.tiers import TIER_ORDER

VALUE_COLUMNS = ["predicted_revenue_12m", "clv", "value_tier", "service_level", "response_hours"]


def customer_value_as_of(con: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
    """The value model's newest predictions on or before ``as_of``; empty when no value has been computed yet."""
    if not table_exists(con, "scores", "customer_value"):
        return pd.DataFrame(columns=["customer_id", *VALUE_COLUMNS])
    return con.execute(
        f"""select customer_id, {", ".join(VALUE_COLUMNS)} from scores.customer_value
            where as_of = (select max(as_of) from scores.customer_value where as_of <= ?)""",
        [as_of],
    ).df()


def prioritise(scores: pd.DataFrame, value: pd.DataFrame, *, value_tiers: list[str]) -> pd.DataFrame:
    """``scores`` with the value columns, `revenue_at_risk` and `priority` (1 = act first), sorted by priority."""
    merged = scores.drop(columns=[c for c in VALUE_COLUMNS if c in scores]).merge(
        value, on="customer_id", how="left"
    )
    # With no value computed yet (e.g. the health-score fallback on a first run) the joined columns are empty
    # objects; make the numbers numbers so that the arithmetic and the table's types hold either way.
    for col in ("churn_probability", "predicted_revenue_12m", "clv", "response_hours"):
        merged[col] = pd.to_numeric(merged[col], errors="coerce")
    merged["revenue_at_risk"] = (merged["churn_probability"] * merged["predicted_revenue_12m"]).round(2)
    risk_rank = merged["risk_tier"].map({t: i for i, t in enumerate(TIER_ORDER)}).fillna(-1)
    value_rank = merged["value_tier"].map({t: i for i, t in enumerate(value_tiers)}).fillna(len(value_tiers))
    order = np.lexsort(
        (
            -merged["revenue_at_risk"].fillna(0).to_numpy(),
            -merged["churn_probability"].fillna(-1).to_numpy(),
            -merged.get("health_points", pd.Series(0, index=merged.index)).fillna(0).to_numpy(),
            value_rank.to_numpy(),
            -risk_rank.to_numpy(),
        )
    )
    merged = merged.iloc[order].reset_index(drop=True)
    merged["priority"] = np.arange(1, len(merged) + 1)
    return merged
