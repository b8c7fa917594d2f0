"""Monitor: the candidate's precision, recall and calibration per segment, industry and tenure band."""

import dagster as dg

from pipelines.defs.metadata import markdown_table, shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.candidate import CANDIDATE_INPUT, candidate_for_run
from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.core.warehouse import connect
from pipelines.lib.monitor import segments
from pipelines.lib.score.tiers import scoring_tiers
from pipelines.lib.train import retrain
from pipelines.lib.train.churn_model import load_churn_model


@dg.asset(group_name="monitor", kinds={"mlflow"}, ins={"churn_model": CANDIDATE_INPUT})
def segment_performance(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.MaterializeResult:
    """The candidate's figures per `segment`, `industry` and tenure band on its validation months: customer-months,
    churners, warnings (from the low tier's cut-off it would score with), precision, recall, ROC-AUC, mean
    predicted probability against the churn rate observed, and the Brier score.

    A group with enough customer-months and churners that is served much worse than the whole (recall below half
    the overall, or ROC-AUC 0.1 or more below) is a warning in the log and in this metadata; it does not block a
    promotion. The table is a CSV in `$RADAR_HOME/reports/` and under `segments/` of the candidate's MLflow run.
    Segment and industry are "not delivered" when the sources have no account attributes (transaction-only data).
    """
    import mlflow

    candidate = candidate_for_run(context, churn_model)
    window = candidate["window"]
    cutoffs = scoring_tiers(radar.config.tiers, candidate.get("metrics", {}).get("profit_threshold"))
    with tracking.reading():
        model = load_churn_model(f"models:/{candidate['model_name']}/{candidate['version']}")
    client = tracking.client()
    with connect(radar.paths.warehouse, read_only=True) as con:
        try:
            report = segments.segment_report(
                con,
                model,
                start=window["valid_start"],
                end=window["valid_end"],
                warn_from=cutoffs.low,
                logged=retrain.out_of_time_scores(client, candidate["run_id"], {"refit": window.get("refit", "")}),
                key=key_for(radar.paths.home),
            )
        except ValueError as exc:
            raise dg.Failure(description=str(exc)) from exc
    stem = f"segment_performance_{window['valid_end']}_v{candidate['version']}"
    csv_path = radar.paths.reports / f"{stem}.csv"
    write_atomic(csv_path, lambda path: report.table.to_csv(path, index=False))
    with tracking.active(), mlflow.start_run(run_id=candidate["run_id"]):
        mlflow.log_artifact(str(csv_path), artifact_path="segments")
        mlflow.log_metric("segments_flagged", len(report.flagged))
    lines = report.warning_lines()
    for line in lines:
        context.log.warning(f"churn model v{candidate['version']} does much worse for {line}")
    shown_table = report.table.drop(columns=["judged"]).assign(
        flag=report.table["flag"].where(report.table["judged"], "too few to judge")
    )
    return dg.MaterializeResult(
        metadata=shown(
            {
                "model_version": candidate["version"],
                "validation_months": f"{window['valid_start']} to {window['valid_end']}",
                "warned_from": dg.MetadataValue.float(cutoffs.low),
                "segments_flagged": dg.MetadataValue.int(len(report.flagged)),
                "warnings": "; ".join(lines) or "none",
                "rule": segments.rule_line(),
                "not_delivered": ", ".join(report.not_delivered) or "none",
                "by_group": markdown_table(shown_table),
                "table": dg.MetadataValue.path(str(csv_path)),
                **radar.mlflow_run_links(candidate["run_id"], client=client),
            }
        )
    )
