"""Report: the quarterly model review, one self-contained HTML file for the review meeting."""

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import RadarResource
from pipelines.lib.report.review import build_review, log_to_mlflow


@dg.asset(
    group_name="report",
    deps=[
        dg.AssetKey(["customer_scores"]),
        dg.AssetKey(["prediction_drift"]),
        dg.AssetKey(["target_drift"]),
        dg.AssetKey(["realised_performance"]),
    ],
    kinds={"html", "mlflow"},
    pool="warehouse",
)
def quarterly_review(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.MaterializeResult:
    """The quarterly model review: KPIs over time (churn and retention rate, how the warnings turned out,
    intervention success), the champion vs the challengers across quarters, the champion's calibration and lift,
    drift, tier distributions, revenue at risk, the promotion decisions with their reasons, and the data gates.

    Written to `$RADAR_HOME/reports/quarterly_review_<as_of>.html` (plots inline, aggregate figures only) and
    logged to the champion's MLflow run under `review/`. The headline KPIs are numeric metadata, plotted by the UI
    over time.
    """
    review = build_review(radar.paths, radar.config)
    logged = log_to_mlflow(review, radar.paths, radar.config)
    if review.missing:
        context.log.info(f"sections without data yet: {', '.join(review.missing)}")
    context.log.info(f"quarterly review written to {review.path}")
    return dg.MaterializeResult(
        metadata=shown({
            "report": dg.MetadataValue.path(str(review.path)),
            "report_url": radar.report_link(review.path),
            "as_of": review.as_of,
            "logged_to_mlflow_run": review.champion_run_id if logged else "none (no champion)",
            **(
                radar.mlflow_run_links(review.champion_run_id, key="champion_mlflow_run", with_table=True)
                if logged and review.champion_run_id
                else {}
            ),
            "sections_without_data": ", ".join(review.missing) or "none",
            **{k: dg.MetadataValue.float(v) for k, v in review.headline.items()},
        })
    )
