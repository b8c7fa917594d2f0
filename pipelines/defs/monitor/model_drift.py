"""Monitor: prediction drift and target drift of the candidate model, beside the feature drift.

Both compare the month the candidate last trained on (the reference, as for feature drift) with now: the
candidate's churn probabilities on the newest snapshot (prediction drift), and the churn rate of the most recent
month whose labels have matured (target drift). Each writes an Evidently HTML and JSON report to the data home,
logs both and its figures to the candidate's MLflow run, and links the report from the asset's metadata.
"""

import dagster as dg
import pandas as pd

from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.candidate import CANDIDATE_INPUT, candidate_for_run
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor.drift import ColumnDrift, Periods, measure_column_drift
from pipelines.lib.train import retrain
from pipelines.lib.train.churn_model import load_churn_model


def _log_to_run(
    tracking: MlflowResource, run_id: str, metrics: dict[str, float], tags: dict[str, str], drift: ColumnDrift
) -> None:
    import mlflow

    with tracking.active(), mlflow.start_run(run_id=run_id):
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        mlflow.log_artifact(str(drift.html_path), artifact_path="drift")
        mlflow.log_artifact(str(drift.json_path), artifact_path="drift")


def _report_links(
    radar: RadarResource, tracking: MlflowResource, drift: ColumnDrift, run_id: str
) -> dict[str, object]:
    return {
        "report": dg.MetadataValue.path(str(drift.html_path)),
        "report_url": radar.report_link(drift.html_path),
        "report_json": dg.MetadataValue.path(str(drift.json_path)),
        **radar.mlflow_run_links(run_id, client=tracking.client()),
    }


@dg.asset(group_name="monitor", kinds={"evidently", "mlflow"}, ins={"churn_model": CANDIDATE_INPUT})
def prediction_drift(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.Output[dict]:
    """Evidently prediction drift: the candidate's churn probabilities for the customers of the last month it
    trained on (reference) vs for the customers of the newest snapshot (current), as a Wasserstein distance
    normed by the reference's spread (`monitoring.prediction_drift_threshold`, default 0.1).

    A shift says the model now sees a different risk landscape than it learnt from; the feature drift report
    says which inputs moved. It is reported, not a promotion rule: a changed risk landscape is exactly when a
    retrained model is wanted. Metric `prediction_drift_score` on the candidate's run; plotted here over time.
    """
    settings = radar.config.monitoring
    candidate = candidate_for_run(context, churn_model)
    reference_month = retrain.reference_month(candidate["window"])
    with connect(radar.paths.warehouse, read_only=True) as con:
        reference = feats.snapshots_between(con, reference_month, reference_month)
        current = feats.latest_snapshot(con)
    if reference.empty or current.empty:
        where = f"reference month {reference_month}" if reference.empty else "newest snapshot"
        raise dg.Failure(description=f"no customers in the {where}; prediction drift cannot be measured")
    with tracking.reading():
        model = load_churn_model(f"models:/{candidate['model_name']}/{candidate['version']}")
    as_of = current["snapshot_date"].max().date().isoformat()
    drift = measure_column_drift(
        pd.Series(model.churn_probability(reference), name="churn_probability"),
        pd.Series(model.churn_probability(current), name="churn_probability"),
        kind="numerical",
        method="wasserstein",
        threshold=settings.prediction_drift_threshold,
        out_dir=radar.paths.reports,
        stem=f"prediction_drift_{as_of}_v{candidate['version']}",
        sample_rows=settings.drift_sample_rows,
        seed=radar.config.training.seed,
        periods=Periods(
            f"Prediction drift of churn model v{candidate['version']}",
            reference=f"its churn probabilities for the customers of {reference_month}, the last month it "
            "trained on",
            current=f"its churn probabilities for the customers of the newest snapshot {as_of}",
        ),
    )
    _log_to_run(
        tracking,
        candidate["run_id"],
        {
            "prediction_drift_score": drift.score,
            "prediction_drift_detected": float(drift.drifted),
            "prediction_reference_mean": drift.reference_mean,
            "prediction_current_mean": drift.current_mean,
        },
        {"prediction_drift_method": drift.method},
        drift,
    )
    context.log.info(
        f"prediction drift {drift.score:.3f} ({drift.method}, threshold {drift.threshold:g}): "
        f"{'drifted' if drift.drifted else 'no drift'}; mean probability {drift.reference_mean:.4f} in "
        f"{reference_month} vs {drift.current_mean:.4f} on {as_of}"
    )
    return dg.Output(
        {
            **drift.as_dict(),
            "reference_month": reference_month,
            "as_of": as_of,
            "version": candidate["version"],
        },
        metadata=shown({
            "prediction_drift_score": dg.MetadataValue.float(drift.score),
            "drifted": dg.MetadataValue.bool(drift.drifted),
            "threshold": dg.MetadataValue.float(drift.threshold),
            "method": drift.method,
            "reference_mean_probability": dg.MetadataValue.float(drift.reference_mean),
            "current_mean_probability": dg.MetadataValue.float(drift.current_mean),
            "reference_month": reference_month,
            "as_of": as_of,
            "model_version": candidate["version"],
            **_report_links(radar, tracking, drift, candidate["run_id"]),
        }),
    )


@dg.asset(
    group_name="monitor",
    kinds={"evidently", "mlflow"},
    ins={"churn_model": CANDIDATE_INPUT},
    deps=[dg.AssetKey(["marts", "churn_labels"])],
)
def target_drift(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.Output[dict]:
    """Evidently target drift: the churn label of the last month the candidate trained on (reference) vs of
    the most recent month whose labels have matured (its horizon, plus the grace period for contractual churn,
    is over). A two-proportion Z-test on the churn rate; drift when its p-value is below
    `monitoring.target_drift_p_value` (default 0.05).

    A changed base rate moves every probability's meaning, so calibration deserves a look when it drifts.
    When no month after the reference has matured yet, the metadata says so and nothing is measured.
    """
    settings = radar.config.monitoring
    candidate = candidate_for_run(context, churn_model)
    reference_month = candidate["window"]["train_end"]
    with connect(radar.paths.warehouse, read_only=True) as con:
        newest = con.execute(
            "select max(snapshot_date)::date from marts.churn_labels where is_labelled"
        ).fetchone()[0]
        labels = con.execute(
            """select snapshot_date::date as month, churned_within_horizon::int as label
               from marts.churn_labels where is_labelled and snapshot_date in (?::date, ?::date)""",
            [reference_month, newest],
        ).df()
    if newest is None or newest.isoformat() <= reference_month:
        why = f"no month after the reference {reference_month} has matured labels yet" + (
            f" (newest labelled month {newest})" if newest else ""
        )
        context.log.info(f"target drift not measured: {why}")
        return dg.Output(
            {"measured": False, "reason": why, "reference_month": reference_month},
            metadata=shown(
                {
                    "measured": False,
                    "status": f"not measured: {why}",
                    "reference_month": reference_month,
                }
            ),
        )
    month = pd.to_datetime(labels["month"]).dt.strftime("%Y-%m-%d")
    ref = labels.loc[month == reference_month, "label"].rename("churned")
    cur = labels.loc[month == newest.isoformat(), "label"].rename("churned")
    if ref.empty:
        raise dg.Failure(description=f"the reference month {reference_month} has no labelled snapshot")
    drift = measure_column_drift(
        ref,
        cur,
        kind="categorical",
        method="z",
        threshold=settings.target_drift_p_value,
        out_dir=radar.paths.reports,
        stem=f"target_drift_{newest.isoformat()}_v{candidate['version']}",
        sample_rows=settings.drift_sample_rows,
        seed=radar.config.training.seed,
        periods=Periods(
            f"Target drift (churn label) for churn model v{candidate['version']}",
            reference=f"the churn label of the customers of {reference_month}, the last month the validated model "
            "trained on",
            current=f"the churn label of the customers of {newest.isoformat()}, the newest month whose labels "
            "have matured",
        ),
    )
    _log_to_run(
        tracking,
        candidate["run_id"],
        {
            "target_drift_p_value": drift.score,
            "target_drift_detected": float(drift.drifted),
            "reference_churn_rate": drift.reference_mean,
            "current_churn_rate": drift.current_mean,
        },
        {"target_drift_current_month": newest.isoformat()},
        drift,
    )
    context.log.info(
        f"target drift: churn rate {drift.reference_mean:.2%} in {reference_month} vs {drift.current_mean:.2%} in "
        f"{newest} (p = {drift.score:.3g}): {'drifted' if drift.drifted else 'no drift'}"
    )
    return dg.Output(
        {
            **drift.as_dict(),
            "measured": True,
            "reference_month": reference_month,
            "current_month": str(newest),
        },
        metadata=shown({
            "measured": True,
            "target_drift_p_value": dg.MetadataValue.float(drift.score),
            "drifted": dg.MetadataValue.bool(drift.drifted),
            "reference_churn_rate": dg.MetadataValue.float(drift.reference_mean),
            "current_churn_rate": dg.MetadataValue.float(drift.current_mean),
            "reference_month": reference_month,
            "current_month": str(newest),
            "method": drift.method,
            "model_version": candidate["version"],
            **_report_links(radar, tracking, drift, candidate["run_id"]),
        }),
    )
