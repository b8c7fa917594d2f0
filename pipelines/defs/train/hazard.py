"""Train: the quarter's time-to-churn model, beside the churn model of the same quarter."""

import dagster as dg
import pandas as pd

from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.partitions import QUARTERS
from pipelines.lib.core.versions import code_version, feature_mart_version
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.train import hazard, training
from pipelines.lib.train.quarters import data_quarter, training_cutoff


@dg.asset(
    group_name="train",
    deps=[dg.AssetKey(["marts", "customer_features"])],
    ins={"churn_model": dg.AssetIn("churn_model")},
    kinds={"lightgbm", "mlflow"},
    partitions_def=QUARTERS,
)
def survival_model(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.MaterializeResult:
    """The quarter's survival model: a discrete-time hazard (LightGBM on customer-month rows, months ahead as a
    feature) giving each customer P(still a customer) at 1, 3, 6 and 12 months and the expected months within 12.

    Learns from the snapshots up to the quarter's last day (a month counts once the confirmation lag after it has
    passed), judged on the newest origins whose 12 following months are observed (Brier per horizon against the
    cohort's own rate, predicted vs observed churn, Kaplan-Meier vs predicted), then learnt again on everything
    observed. Logged as the child run `survival-<quarter>` of the quarter's churn run.
    """
    cfg = radar.config
    quarter = context.partition_key
    with connect(radar.paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.typed_features(
            con.execute("select * from marts.customer_features order by snapshot_date, customer_id").df()
        )
        as_of = con.execute("select as_of_date from marts.data_window").fetchone()[0]
    cutoff = training_cutoff(quarter, as_of)
    quarter = data_quarter(quarter, as_of)
    churn_run = churn_model  # the same quarter's retrain, handed along the graph
    origins = training.covered_snapshots(frame, warmup_months=cfg.training.warmup_months)
    try:
        fit = hazard.fit_hazard(origins, features, cutoff=cutoff, lag_days=cfg.churn.confirmation_lag_days)
    except hazard.NotEnoughHistoryError as exc:
        # A history long enough for the churn model but not for a 12-month curve keeps its scores: the curve
        # is an addition to them, so this says why there is none instead of failing the run.
        why = f"no survival model for quarter {quarter}: {exc}"
        context.log.warning(why)
        return dg.MaterializeResult(metadata=shown({"notice": why, "training_cutoff": str(cutoff.date())}))
    with tracking.active():
        run_id = hazard.log_run(
            fit,
            parent_run_id=churn_run["run_id"],
            quarter=quarter,
            cutoff=pd.Timestamp(cutoff),
            tags={
                "dagster_run_id": context.run_id,
                "data_as_of": str(as_of),
                "feature_mart_version": feature_mart_version(),
                "code_version": code_version(),
            },
        )
    m = fit.metrics
    context.log.info(
        f"quarter {quarter}: survival judged on {fit.window['valid_origins']} origins "
        f"{fit.window['valid_start']} to {fit.window['valid_end']}: "
        + ", ".join(
            f"{k} months churn {m[f'predicted_churn_{k}m']:.3f} predicted vs {m[f'observed_churn_{k}m']:.3f} "
            f"observed (Brier {m[f'brier_{k}m']:.4f})"
            for k in hazard.HORIZONS
        )
    )
    return dg.MaterializeResult(
        metadata=shown(
            {
                **radar.mlflow_run_links(run_id, client=tracking.client()),
                "churn_run_id": churn_run["run_id"],
                "training_cutoff": str(pd.Timestamp(cutoff).date()),
                **{k: dg.MetadataValue.float(float(v)) for k, v in m.items()},
                **fit.window,
                "kaplan_meier_vs_predicted": dg.MetadataValue.md(fit.km.round(4).to_markdown(index=False)),
            }
        )
    )
