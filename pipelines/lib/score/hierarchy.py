"""Account hierarchies: the scores of the child accounts rolled up to their parent account.

A parent is an account named by other accounts' `parent_id` (``marts.account_hierarchy`` holds the usable links,
one level: each child's own parent). Per parent and as_of, over its scored children (the parent's own score is
its own row in the customer scores, not part of the roll-up):

- ``mean_churn_probability``: the customer-weighted mean, every child counts once;
- ``revenue_weighted_churn_probability``: weighted by each child's **predicted 12-month revenue**
  (`predicted_revenue_12m`, the value model's forecast the scores already carry). Forward-looking revenue is what
  the parent stands to lose in the next year, and it is the weight `revenue_at_risk` and the priority use, so a
  parent's figure and its children's rows agree; trailing revenue would weight a child by a year already banked
  and give a shrinking child the weight of its past. A child without a forecast weighs nothing here;
- ``children_<tier>``: how many children sit in each warned tier;
- ``driver_id``: the child that drives the parent's risk, the largest probability × predicted revenue (its share
  of the parent's sum of them in ``driver_share``).

Vectorised over pandas group-bys; nothing loops over rows.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.score.tiers import TIER_ORDER

AT_RISK_TIERS = tuple(t for t in TIER_ORDER if t != "none")
PARENT_COLUMNS: dict[str, str] = {
    "parent_id": "varchar",
    "as_of": "date",
    "children": "integer",
    "children_scored": "integer",
    "mean_churn_probability": "double",
    "revenue_weighted_churn_probability": "double",
    "children_revenue_12m": "double",
    **{f"children_{t}": "integer" for t in AT_RISK_TIERS},
    "driver_id": "varchar",
    "driver_churn_probability": "double",
    "driver_share": "double",
    "score_source": "varchar",
}


def read_hierarchy(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The usable child -> parent links (`customer_id`, `parent_id`), empty when no account has a parent."""
    return con.execute("select customer_id, parent_id from marts.account_hierarchy order by customer_id").df()


def with_parent(export: pd.DataFrame, hierarchy: pd.DataFrame) -> pd.DataFrame:
    """``export`` with `parent_id` right after `customer_id`: the parent account's id, empty when none."""
    parent = export["customer_id"].map(hierarchy.set_index("customer_id")["parent_id"])
    out = export.drop(columns=["parent_id"], errors="ignore")
    out.insert(out.columns.get_loc("customer_id") + 1, "parent_id", parent.astype(object))
    return out


def roll_up(scores: pd.DataFrame, hierarchy: pd.DataFrame) -> pd.DataFrame:
    """One row per parent with at least one scored child (``scores``: one as_of's customer scores with
    `churn_probability`, `risk_tier`, `predicted_revenue_12m`), the columns of ``PARENT_COLUMNS``, riskiest
    parent (revenue-weighted) first, figures rounded as the customer scores are. Children without a probability (the health-score fallback) count in
    `children` and the tiers but in neither mean."""
    kept = ["customer_id", "as_of", "churn_probability", "risk_tier", "predicted_revenue_12m", "score_source"]
    children = (
        hierarchy[["customer_id", "parent_id"]].merge(scores[kept], on="customer_id", how="inner")
        if len(hierarchy) and len(scores)
        else scores.iloc[:0]
    )
    if children.empty:
        return pd.DataFrame({c: pd.Series(dtype=_DTYPES[t]) for c, t in PARENT_COLUMNS.items()})
    p = pd.to_numeric(children["churn_probability"], errors="coerce")
    weight = pd.to_numeric(children["predicted_revenue_12m"], errors="coerce").clip(lower=0).fillna(0.0)
    weight = weight.where(p.notna(), 0.0)
    children = children.assign(
        _p=p, _scored=p.notna(), _weight=weight, _contribution=(p * weight).fillna(0.0)
    )
    by_parent = children.groupby("parent_id", sort=True)
    out = by_parent.agg(
        as_of=("as_of", "first"),
        children=("customer_id", "size"),
        children_scored=("_scored", "sum"),
        mean_churn_probability=("_p", "mean"),
        children_revenue_12m=("_weight", "sum"),
        _contribution=("_contribution", "sum"),
        score_source=("score_source", "first"),
    )
    out["revenue_weighted_churn_probability"] = (out["_contribution"] / out["children_revenue_12m"]).where(
        out["children_revenue_12m"] > 0
    )
    tiers = pd.crosstab(children["parent_id"], children["risk_tier"]).reindex(
        index=out.index, columns=list(AT_RISK_TIERS), fill_value=0
    )
    out[[f"children_{t}" for t in AT_RISK_TIERS]] = tiers.to_numpy()
    # The driver: the largest probability x weight; ties (and parents whose children have no forecast) fall to
    # the higher probability, then the smaller id, so re-runs name the same child.
    ranked = children[children["_scored"]].sort_values(
        ["parent_id", "_contribution", "_p", "customer_id"], ascending=[True, False, False, True]
    )
    driver = ranked.drop_duplicates("parent_id").set_index("parent_id")
    out["driver_id"] = driver["customer_id"].reindex(out.index)
    out["driver_churn_probability"] = driver["_p"].reindex(out.index)
    out["driver_share"] = (driver["_contribution"].reindex(out.index) / out["_contribution"]).where(
        out["_contribution"] > 0
    )
    out = out.reset_index()
    out["children_scored"] = out["children_scored"].astype(int)
    order = np.lexsort(
        (
            out["parent_id"].to_numpy(),
            -out["mean_churn_probability"].fillna(-1).to_numpy(),
            -out["revenue_weighted_churn_probability"].fillna(-1).to_numpy(),
        )
    )
    out = out.iloc[order].reset_index(drop=True)[list(PARENT_COLUMNS)]
    # As the customer scores are written: probabilities and shares to 4 places, money to the cent.
    shares = ["mean_churn_probability", "revenue_weighted_churn_probability", "driver_churn_probability"]
    return out.round({**dict.fromkeys([*shares, "driver_share"], 4), "children_revenue_12m": 2})


_DTYPES = {"varchar": object, "date": object, "integer": "int64", "double": "float64"}


def replace_as_of(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, as_of: str) -> None:
    """Replace ``as_of``'s rows of `scores.parent_scores` in one transaction (re-runs are idempotent; a run
    whose parents all lost their children clears that day)."""
    con.execute("create schema if not exists scores")
    cols = ", ".join(f"{c} {t}" for c, t in PARENT_COLUMNS.items())
    con.execute(f"create table if not exists scores.parent_scores ({cols}, scored_at timestamp)")
    rows = frame[list(PARENT_COLUMNS)]  # noqa: F841 - read by DuckDB's replacement scan below
    con.execute("begin transaction")
    con.execute("delete from scores.parent_scores where as_of = ?", [as_of])
    con.execute(
        f"insert into scores.parent_scores ({', '.join(PARENT_COLUMNS)}, scored_at) select *, now() from rows"
    )
    con.execute("commit")
