"""Score: each active customer's survival curve, from the newest quarter's time-to-churn model."""

import dagster as dg
import pandas as pd

from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.score import survival_store
from pipelines.lib.train import hazard


@dg.asset(
    group_name="score",
    deps=[dg.AssetKey(["marts", "customer_features"]), dg.AssetKey("survival_model")],
    kinds={"lightgbm", "duckdb"},
    pool="warehouse",
)
def customer_survival(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource
) -> dg.MaterializeResult:
    """P(still a customer) after 1, 3, 6 and 12 months and the expected months within 12 for every customer
    active at the newest snapshot, in `scores.customer_survival` (one row per customer and as_of; a re-run
    replaces that as_of), which the CRM export joins. Runs in the monthly scoring too, with the newest quarter's
    survival model. Without one (no quarter trained yet, e.g. while the learnability gate fails) it writes
    nothing and says so: the survival curve adds to the scores, it never holds them back.
    """
    with connect(radar.paths.warehouse, read_only=True) as con:
        current = feats.latest_snapshot(con)
    as_of = current["snapshot_date"].max() if len(current) else None
    with tracking.active():
        run = hazard.latest_run(tracking.experiment_id(), not_after=as_of)
    if run is None:
        why = (
            "no survival model learnt from data up to the newest snapshot yet (materialise `survival_model`)"
        )
        context.log.warning(f"{why}; no survival curves written")
        return dg.MaterializeResult(metadata=shown({"notice": why}))
    with tracking.active():
        model = hazard.load_run_model(run.info.run_id)
    missing = [f for f in model.features if f not in current]
    if current.empty or missing:
        why = (
            "no active customers at the newest snapshot"
            if current.empty
            else f"the survival model of quarter {run.data.tags.get('quarter')} needs feature(s) the mart no "
            f"longer has: {', '.join(missing)}; retrain (job quarterly_retrain)"
        )
        context.log.warning(f"{why}; no survival curves written")
        return dg.MaterializeResult(metadata=shown({"notice": why}))
    columns = hazard.survival_columns(model.survival(current))
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": current["customer_id"].to_numpy(),
                    "as_of": current["snapshot_date"].dt.date.to_numpy(),
                }
            ),
            columns,
        ],
        axis=1,
    ).assign(survival_quarter=run.data.tags.get("quarter"), survival_run_id=run.info.run_id)
    with connect(radar.paths.warehouse) as con:
        survival_store.replace_as_of(con, frame)
    as_of = str(frame["as_of"].iloc[0])
    context.log.info(
        f"survival curves of {len(frame)} customers as of {as_of} (model of quarter "
        f"{run.data.tags.get('quarter')}): mean P(still a customer in 12 months) {columns['survival_12m'].mean():.3f}"
    )
    return dg.MaterializeResult(
        metadata=shown(
            {
                "as_of": as_of,
                "customers": len(frame),
                "survival_quarter": run.data.tags.get("quarter"),
                **radar.mlflow_run_links(run.info.run_id, client=tracking.client()),
                **{f"mean_{c}": dg.MetadataValue.float(float(columns[c].mean())) for c in columns},
            }
        )
    )
