"""Score: the children's scores rolled up to their parent account (account hierarchies, `accounts.parent_id`)."""

import dagster as dg

from pipelines.defs.metadata import markdown_table, shown
from pipelines.defs.resources import RadarResource
from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.core.warehouse import connect
from pipelines.lib.score import hierarchy

SHOWN_PARENTS = 10  # rows of the asset's `riskiest_parents` table


@dg.asset(
    group_name="score",
    deps=[dg.AssetKey("customer_scores"), dg.AssetKey(["marts", "account_hierarchy"])],
    kinds={"duckdb", "csv"},
    pool="warehouse",
)
def parent_scores(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.MaterializeResult:
    """Per parent account, its children's scores of the newest scoring rolled up: the customer-weighted and the
    revenue-weighted mean churn probability (weights: each child's predicted 12-month revenue), the children per
    warned tier and the child that drives the parent's risk (largest probability × predicted revenue).

    Written to `scores.parent_scores` (one row per parent and as_of; a re-run replaces that as_of), which
    `customer_360` shows on both levels, and to `exports/parent_scores.csv` and `.parquet`. With no
    `parent_id` in the accounts the table stays empty and the export holds only its header.
    """
    with connect(radar.paths.warehouse) as con:
        as_of = str(con.execute("select as_of_date from marts.data_window").fetchone()[0])
        scores = con.execute("select * from scores.customer_scores where as_of = ?", [as_of]).df()
        links = hierarchy.read_hierarchy(con)
        rolled = hierarchy.roll_up(scores, links)
        hierarchy.replace_as_of(con, rolled, as_of=as_of)
    paths = radar.paths
    write_atomic(paths.parent_scores_csv, lambda path: rolled.to_csv(path, index=False))
    write_atomic(paths.parent_scores_parquet, lambda path: rolled.to_parquet(path, index=False))
    if links.empty:
        context.log.info("no account names a usable parent (accounts.parent_id): no parent scores")
    else:
        context.log.info(
            f"rolled the scores of {int(rolled['children'].sum())} child accounts up to {len(rolled)} parents"
        )
    at_risk = {f"parents_with_{t}_children": int((rolled[f"children_{t}"] > 0).sum()) for t in ("medium", "high")}
    return dg.MaterializeResult(
        metadata=shown(
            {
                "as_of": as_of,
                "parents": len(rolled),
                "linked_children": len(links),
                "scored_children": int(rolled["children"].sum()),
                **at_risk,
                "weighting": "revenue-weighted by each child's predicted 12-month revenue",
                **(
                    {"max_revenue_weighted_probability": float(rolled["revenue_weighted_churn_probability"].max())}
                    if rolled["revenue_weighted_churn_probability"].notna().any()
                    else {}
                ),
                "riskiest_parents": markdown_table(
                    rolled.head(SHOWN_PARENTS)[
                        [
                            "parent_id",
                            "children",
                            "mean_churn_probability",
                            "revenue_weighted_churn_probability",
                            "children_high",
                            "driver_id",
                            "driver_share",
                        ]
                    ],
                    empty="(no account has a parent)",
                ),
                "export": dg.MetadataValue.path(str(paths.parent_scores_csv)),
                "export_parquet": dg.MetadataValue.path(str(paths.parent_scores_parquet)),
            }
        )
    )
