"""Quarterly partitions of the training asset: one retrain, one MLflow run per quarter.

`end_offset=1` makes the running quarter a partition too, so `radar run` can train on all data so far;
past quarters can be backfilled, each seeing only the data up to its own last day."""

import dagster as dg

from pipelines.lib.train.quarters import FIRST_QUARTER, QUARTER_CRON

QUARTERS = dg.TimeWindowPartitionsDefinition(
    cron_schedule=QUARTER_CRON, fmt="%Y-%m-%d", start=FIRST_QUARTER, end_offset=1
)


def latest_quarter() -> str:
    """The newest partition key: the quarter running now."""
    key = QUARTERS.get_last_partition_key()
    if key is None:
        raise RuntimeError(f"no quarterly partition yet (they start {FIRST_QUARTER})")
    return key
