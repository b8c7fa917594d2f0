"""The steps after training judge the run's own quarter's retrain, or the newest one, as the graph hands them."""

from __future__ import annotations

import pytest

from pipelines.lib.train.candidate import NoCandidateError, candidate_of_run

SUMMARIES = {
    "2026-04-01": {"quarter": "2026-04-01", "version": "1"},
    "2026-10-01": {"quarter": "2026-10-01", "version": "3"},
    "2026-07-01": {"quarter": "2026-07-01", "version": "2"},
}


def test_a_quarterly_run_judges_its_own_quarter_even_when_a_newer_one_was_trained() -> None:
    assert candidate_of_run(SUMMARIES, run_quarter="2026-07-01")["version"] == "2"


def test_a_run_without_a_quarter_judges_the_newest_quarter_trained_whatever_order_they_come_in() -> None:
    assert candidate_of_run(SUMMARIES, run_quarter=None)["version"] == "3"


def test_an_untrained_quarter_or_no_retrain_at_all_is_one_clear_line() -> None:
    with pytest.raises(NoCandidateError, match="no trained churn model for quarter 2026-01-01; materialise"):
        candidate_of_run(SUMMARIES, run_quarter="2026-01-01")
    with pytest.raises(NoCandidateError, match=r"^no trained churn model; materialise `churn_model` first$"):
        candidate_of_run({}, run_quarter=None)
