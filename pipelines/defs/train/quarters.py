"""Which quarters can be trained: the quarterly partitions follow the data."""

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import RadarResource
from pipelines.defs.train.partitions import add_quarters
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.train.quarters import trainable_quarters


@dg.asset(
    group_name="train",
    deps=[dg.AssetKey(["marts", "customer_features"]), dg.AssetKey(["marts", "churn_labels"])],
    kinds={"duckdb"},
)
def training_quarters(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.MaterializeResult:
    """The quarters a churn model can be trained for, added as partitions of `churn_model` (`quarter`).

    From the first quarter whose matured labels (snapshot + horizon + confirmation lag by the quarter's last day)
    fill the training, calibration and validation windows, even the smallest ones, to the quarter of the newest
    data. Earlier quarters are not partitions: they could only fail. Quarters are added, never dropped, so the
    runs and materialisations of a quarter keep their partition."""
    with connect(radar.paths.warehouse, read_only=True) as con:
        frame = feats.labelled_snapshots(con, warmup_months=0)
        as_of = feats.data_as_of(con)
    keys = trainable_quarters(frame, radar.config, as_of)
    added = add_quarters(context.instance, keys)
    if not keys:
        context.log.warning(f"no quarter up to {as_of} has enough matured labels to train a churn model")
    return dg.MaterializeResult(
        metadata=shown({
            "first_quarter": keys[0] if keys else "none",
            "newest_quarter": keys[-1] if keys else "none",
            "quarters": dg.MetadataValue.int(len(keys)),
            "added": ", ".join(added) or "none",
            "data_as_of": str(as_of),
        })
    )
