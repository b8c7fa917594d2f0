"""How the unpartitioned assets after training find the candidate: the run's own quarter, else the newest."""

import dagster as dg

from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.lib.core.warehouse import connect
from pipelines.lib.train.quarters import data_quarter
from pipelines.lib.train.retrain import latest_candidate


def candidate_for_run(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource
) -> dict:
    """The churn retrain this run is about: a quarterly run's own quarter, otherwise the newest quarter trained."""
    quarter = context.run.tags.get("dagster/partition")
    if quarter is not None:
        with connect(radar.paths.warehouse, read_only=True) as con:
            as_of = con.execute("select as_of_date from intermediate.int_data_window").fetchone()[0]
        quarter = data_quarter(quarter, as_of)
    summary = latest_candidate(tracking.client(), tracking.experiment_id(), quarter=quarter)
    if summary is None:
        raise dg.Failure(
            description="no trained churn model"
            + (f" for quarter {quarter}" if quarter else "")
            + "; materialise `churn_model` first"
        )
    return summary
