"""How the unpartitioned assets after training get the candidate: `churn_model`'s output, handed along the graph.

Each of them takes every trained quarter's `churn_model` output (`CANDIDATE_INPUT`: all partitions, the ones
never trained left out) and judges the run's own quarter, or the newest one (`lib/train/candidate.py`), so the
lineage shows the edge and no step has to search MLflow for what the step before it produced.
"""

import dagster as dg

from pipelines.lib.train.candidate import NoCandidateError, candidate_of_run

CANDIDATE_INPUT = dg.AssetIn(
    "churn_model",
    partition_mapping=dg.AllPartitionMapping(),
    metadata={"allow_missing_partitions": True},
)


def candidate_for_run(context: dg.AssetExecutionContext, churn_model: dict[str, dict]) -> dict:
    """The churn retrain this run is about: a quarterly run's own quarter, otherwise the newest quarter trained."""
    try:
        return candidate_of_run(churn_model, run_quarter=context.run.tags.get("dagster/partition"))
    except NoCandidateError as exc:
        raise dg.Failure(description=str(exc)) from exc
