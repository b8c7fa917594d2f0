"""Monitor: feature drift between what the candidate model learnt from and the customers it will score."""

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.candidate import CANDIDATE_INPUT, candidate_for_run
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor.drift import Periods, measure_drift
from pipelines.lib.train import retrain


@dg.asset(group_name="monitor", kinds={"evidently"}, ins={"churn_model": CANDIDATE_INPUT})
def feature_drift(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.Output[dict]:
    """Evidently data-drift report: the last month the candidate trained on (reference) vs the newest snapshot
    (current). Both sides are one monthly cross-section of the active customers, so the comparison is like
    for like. The HTML and JSON are saved in the data home and logged to the candidate's MLflow run."""
    import mlflow

    churn_model = candidate_for_run(context, churn_model)
    reference_month = retrain.reference_month(churn_model["window"])
    with connect(radar.paths.warehouse, read_only=True) as con:
        reference = feats.snapshots_between(con, reference_month, reference_month)
        current = feats.latest_snapshot(con)
    as_of = current["snapshot_date"].max().date().isoformat()
    summary = measure_drift(
        reference,
        current,
        churn_model["features"],
        out_dir=radar.paths.reports,
        stem=f"drift_{as_of}_v{churn_model['version']}",
        sample_rows=radar.config.monitoring.drift_sample_rows,
        drift_share=radar.config.monitoring.drift_column_share,
        seed=radar.config.training.seed,
        periods=Periods(
            f"Feature drift of churn model v{churn_model['version']}",
            reference=f"customers of the snapshot {reference_month}, the last month the model trained on",
            current=f"customers of the newest snapshot {as_of}",
        ),
    )
    with tracking.active(), mlflow.start_run(run_id=churn_model["run_id"]):
        mlflow.log_metrics(
            {
                "drift_share": summary.drift_share,
                "drifted_columns": len(summary.drifted_columns),
                "drift_columns_compared": summary.columns_compared,
            }
        )
        # The promotion decision reads which features drifted from here, beside the share.
        mlflow.set_tag("drifted_features", ",".join(summary.drifted_columns))
        mlflow.log_artifact(str(summary.html_path), artifact_path="drift")
        mlflow.log_artifact(str(summary.json_path), artifact_path="drift")
    context.log.info(
        f"drift share {summary.drift_share:.2f}; drifted: {', '.join(summary.drifted_columns) or 'none'}"
    )
    return dg.Output(
        summary.as_dict(),
        metadata=shown({
            "drift_share": dg.MetadataValue.float(summary.drift_share),
            "drifted_columns": dg.MetadataValue.int(len(summary.drifted_columns)),
            "columns_compared": summary.columns_compared,
            "drifted": ", ".join(summary.drifted_columns) or "none",
            "report": dg.MetadataValue.path(str(summary.html_path)),
            "report_url": radar.report_link(summary.html_path),
            **radar.mlflow_run_links(churn_model["run_id"], client=tracking.client()),
            "as_of": as_of,
        }),
    )
