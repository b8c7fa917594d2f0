"""Train: the quarterly churn retrain, validated on a later period than it learnt from, tracked and registered."""

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.partitions import QUARTERS
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.core.versions import code_version, feature_mart_version
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.quality import gate_store
from pipelines.lib.train import retrain, training
from pipelines.lib.train.quarters import data_quarter, training_cutoff


@dg.asset(
    group_name="train",
    deps=[
        dg.AssetKey(["marts", "customer_features"]),
        dg.AssetKey(["marts", "churn_labels"]),
        dg.AssetKey("training_quarters"),
    ],
    kinds={"lightgbm", "mlflow"},
    partitions_def=QUARTERS,
)
def churn_model(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource
) -> dg.Output[dict]:
    """The quarter's churn model: LightGBM, calibrated, compared with two baselines, one MLflow run per quarter.

    Uses only what was known at the quarter's last day (or the newest data, for the running quarter): snapshots
    up to then whose label window had closed. A retrain that would learn the same model as an earlier run (the
    same training rows, settings and code: unchanged data, or a quarter whose cutoff adds no matured label)
    reuses that run's version and says so; nothing is registered twice. Three periods, oldest first: the booster learns on the first,
    early stopping and calibration (isotonic or sigmoid, whichever holds up better) use the second, the metrics
    come from the third; rolling-origin folds repeat it further back. Baselines (rule-based health score,
    logistic regression) are nested runs. Metrics: roc_auc, pr_auc, brier, log_loss, lift_at_10pct,
    {low,medium,high}_{precision,recall,fpr}, expected_profit at profit_threshold, oracle_roc_auc on demo data.
    The model (booster + calibrator) is registered with signature, input example and a description of its data.
    """
    cfg = radar.config
    quarter = context.partition_key
    with connect(radar.paths.warehouse, read_only=True) as con:
        feature_names = feats.feature_columns(con)
        # The warm-up is applied once, from where behaviour begins (training.covered_snapshots).
        frame = feats.labelled_snapshots(con, warmup_months=0)
        as_of = feats.data_as_of(con)
        gates = (
            gate_store.latest(con, history_blocks=cfg.history_blocks)
            if table_exists(con, "ops", "gate_results")
            else None
        )
    cutoff = training_cutoff(quarter, as_of)
    quarter = data_quarter(quarter, as_of)
    tags = {
        "dagster_run_id": context.run_id,
        "data_as_of": str(as_of),
        "feature_mart_version": feature_mart_version(),
        "code_version": code_version(),
        **{
            f"gate_{g.gate}": f"{'passed' if g.passed else 'failed' if g.blocking else 'warning'} "
            f"({g.value:g} vs {g.threshold:g} {g.unit})"
            for g in (gates.itertuples() if gates is not None else [])
        },
    }
    try:
        summary = retrain.train_quarter(
            frame,
            feature_names,
            cfg,
            retrain.RunContext(
                quarter=quarter,
                cutoff=cutoff,
                tags=tags,
                source_folder=radar.source_folder(),
                pseudonym_key=key_for(radar.paths.home),
            ),
            tracking=tracking.tracking,
        )
    except training.NotEnoughDataError as exc:
        raise dg.Failure(description=f"cannot train on the data up to {cutoff.date()}: {exc}") from exc
    notice = "; ".join(
        n
        for n in (
            summary.get("reused"),
            summary["windows_note"],
            summary.get("refit_note"),
            summary["baseline_verdict"],
        )
        if n
    )
    if notice:
        context.log.warning(notice)
    metrics, window = summary["metrics"], summary["window"]
    context.log.info(
        f"quarter {quarter}: roc_auc {metrics['roc_auc']:.3f}"
        + (f" (oracle {metrics['oracle_roc_auc']:.3f})" if "oracle_roc_auc" in metrics else "")
        + ", baselines: "
        + ", ".join(
            f"{name} {metrics[f'baseline_{name}_roc_auc']:.3f}"
            for name in ("health_score", "logistic", "recency", "rfm_logistic", "bgnbd")
        )
    )
    return dg.Output(
        summary,
        metadata=shown({
            "model_version": summary["version"],
            **radar.mlflow_run_links(summary["run_id"], with_table=True, client=tracking.client()),
            "training_cutoff": str(cutoff.date()),
            **({"notice": notice} if notice else {}),
            **{k: dg.MetadataValue.float(float(v)) for k, v in metrics.items()},
            **{k: v for k, v in window.items()},
        }),
    )
