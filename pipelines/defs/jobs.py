"""Jobs and schedules: the quarterly retrain and the monthly scoring, as the domain guide prescribes."""

import dagster as dg

from pipelines.defs.train.partitions import QUARTERS
from pipelines.lib.train.quarters import previous_quarter_key

# Every job writes the single-writer warehouse. Locally the data home's instance runs one run at a time; on
# Kubernetes the run queue limits runs carrying this tag to one (deploy/dagster-values.yaml), and the
# `warehouse` pool limits the steps of runs launched from the UI without a job.
WAREHOUSE_WRITER = {"radar/warehouse": "write"}
ALL_STAGES = dg.AssetSelection.all()
# Monthly scoring also follows up the scores of earlier months whose horizon has now passed, and adds the
# quarters the new data can train as partitions.
SCORING = dg.AssetSelection.groups(
    "ingest", "transform", "features", "value", "score"
) | dg.AssetSelection.assets("realised_performance", "training_quarters")

retention_radar_job = dg.define_asset_job(
    "retention_radar",
    selection=ALL_STAGES,
    tags=WAREHOUSE_WRITER,
    description="Everything, end to end: extract, build the marts, gate, train, check drift, promote, score.",
)
quarterly_retrain_job = dg.define_asset_job(
    "quarterly_retrain",
    selection=ALL_STAGES,
    tags=WAREHOUSE_WRITER,
    description="The quarterly retrain: a new candidate model, its drift check and promotion decision, then scores.",
)
monthly_scoring_job = dg.define_asset_job(
    "monthly_scoring",
    selection=SCORING,
    tags=WAREHOUSE_WRITER,
    description="Refresh the sources and the marts, pass the gates, update customer value, score every active "
    "customer with the current champion, and follow up the earlier scores whose horizon has passed.",
)


@dg.schedule(
    name="quarterly_retrain_schedule",
    job=quarterly_retrain_job,
    cron_schedule="0 6 1 1,4,7,10 *",  # 06:00 on the first day of each quarter
    execution_timezone="UTC",
    # Running from the start: a user who starts `radar ui` and waits gets the quarter's retrain.
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="First day of each quarter: retrain on the quarter that just ended (its partition), compare "
    "with the champion, promote or not, score.",
)
def quarterly_retrain_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    quarter = previous_quarter_key(context.scheduled_execution_time.date())
    # Quarters are partitions once the data can train them (`training_quarters`, also run by monthly scoring).
    if not context.instance.has_dynamic_partition(QUARTERS.name, quarter):
        return dg.SkipReason(f"quarter {quarter} is not a trainable quarter of the data (yet)")
    return dg.RunRequest(run_key=quarter, partition_key=quarter)


monthly_scoring_schedule = dg.ScheduleDefinition(
    name="monthly_scoring_schedule",
    job=monthly_scoring_job,
    # The quarterly retrain scores too, so scoring alone runs on the other eight months.
    cron_schedule="0 6 1 2,3,5,6,8,9,11,12 *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="First day of every month that is not a quarter start: score all active customers.",
)

JOBS = [retention_radar_job, quarterly_retrain_job, monthly_scoring_job]
SCHEDULES = [quarterly_retrain_schedule, monthly_scoring_schedule]
