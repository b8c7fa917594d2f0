"""Which churn retrain the steps after training judge, from the retrains the asset graph hands them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class NoCandidateError(LookupError):
    """No retrain to judge: the quarter asked for (or any quarter) has not been trained."""


def candidate_of_run(summaries: Mapping[str, dict[str, Any]], *, run_quarter: str | None) -> dict[str, Any]:
    """The retrain summary of ``run_quarter`` (a quarterly run's own partition), otherwise of the newest quarter
    trained. ``summaries`` maps each trained quarter (partition key, ``YYYY-MM-DD``, so text order is time
    order) to what its `churn_model` materialisation returned."""
    if run_quarter is not None:
        if run_quarter not in summaries:
            raise NoCandidateError(
                f"no trained churn model for quarter {run_quarter}; materialise `churn_model` first"
            )
        return summaries[run_quarter]
    if not summaries:
        raise NoCandidateError("no trained churn model; materialise `churn_model` first")
    return summaries[max(summaries)]
