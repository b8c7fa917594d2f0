"""Monitor: the realised performance of past scores. How did the warnings we sent turn out?"""

import dagster as dg

from pipelines.defs.metadata import markdown_table, shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor import performance


@dg.asset(
    group_name="monitor",
    kinds={"evidently", "mlflow"},
    deps=[dg.AssetKey("customer_scores"), dg.AssetKey(["marts", "churn_labels"])],
)
def realised_performance(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource
) -> dg.MaterializeResult:
    """How last quarter's warnings turned out: every stored monthly score whose horizon has passed, joined with
    the churn that really happened (`marts.churn_labels` of the scoring date).

    Evidently's classification report judges what was actually sent: precision, recall and false-positive rate
    of the warnings (a tier of low or higher), and the ROC-AUC of the probabilities behind them; beside it the
    precision of each tier. HTML and JSON in `$RADAR_HOME/reports/`, logged to the MLflow run
    `realised-<data as-of>`; the figures (`realised_roc_auc`, `realised_precision`,
    `realised_false_positive_rate`, `realised_<tier>_precision`) are metadata the UI plots over time.
    Until a scoring date has matured the metadata says so, with the day the oldest one will.
    """
    cfg = radar.config
    lag = cfg.churn.confirmation_lag_days
    with connect(radar.paths.warehouse, read_only=True) as con:
        if not table_exists(con, "scores", "customer_scores"):
            raise dg.Failure(
                description="no scores stored yet (scores.customer_scores); run the scoring first"
            )
        data_as_of = feats.data_as_of(con)
        follow = performance.follow_up_scores(con, horizon_days=cfg.churn.horizon_days, lag_days=lag)
    common = {
        "scoring_dates_stored": dg.MetadataValue.int(follow.scoring_dates),
        "scoring_dates_pending": dg.MetadataValue.int(len(follow.pending_dates)),
        "matured_scores": dg.MetadataValue.int(len(follow.matured)),
        "data_as_of": str(data_as_of),
    }
    if follow.unmatched_rows:
        common["not_followed_up"] = dg.MetadataValue.int(follow.unmatched_rows)
        context.log.warning(
            f"{follow.unmatched_rows} matured score(s) have no snapshot of their scoring date any more "
            "(the customer's history was revised); they are not followed up"
        )
    if follow.matured.empty:
        why = (
            f"no stored score has matured yet: the oldest pending scoring date {follow.pending_dates[0]} is "
            f"followed up from {follow.next_maturity} ({cfg.churn.horizon_days}-day horizon"
            + (f" + {lag}-day grace period" if lag else "")
            + ")"
            if follow.pending_dates
            else "no score is stored yet"
        )
        context.log.info(f"realised performance not measured: {why}")
        return dg.MaterializeResult(
            metadata=shown({**common, "measured": False, "status": f"not measured: {why}"})
        )
    result = performance.evaluate_realised(
        follow.matured,
        out_dir=radar.paths.reports,
        stem=f"realised_performance_{data_as_of.isoformat()}",
        sample_rows=cfg.monitoring.drift_sample_rows,
        seed=cfg.training.seed,
    )
    run_id = performance.log_realised_run(tracking.tracking, result, data_as_of.isoformat())
    by_tier = result.by_tier.assign(
        **{
            c: result.by_tier[c].round(3)
            for c in ("precision", "precision_at_or_above", "false_positive_rate_at_or_above")
        }
    )
    context.log.info(
        f"{result.scores} matured scores from {len(result.scoring_dates)} scoring date(s): "
        + ", ".join(f"{k} {v:.3f}" for k, v in result.figures.items())
    )
    return dg.MaterializeResult(
        metadata=shown(
            {
                **common,
                "measured": True,
                **{k: dg.MetadataValue.float(v) for k, v in result.figures.items()},
                "evaluated_scores": dg.MetadataValue.int(result.evaluated),
                "warnings_sent": dg.MetadataValue.int(result.warned),
                "churned": dg.MetadataValue.int(result.churned),
                "scoring_dates": ", ".join(result.scoring_dates),
                "by_tier": markdown_table(by_tier),
                **radar.mlflow_run_links(run_id, client=tracking.client()),
                "report": dg.MetadataValue.path(str(result.html_path)),
                "report_url": radar.report_link(result.html_path),
                "report_json": dg.MetadataValue.path(str(result.json_path)),
            }
        )
    )
