"""The review names the gates by one verdict: a short history that only warned is not a failure, in the gate table
or in the executive summary."""

from __future__ import annotations

import pandas as pd

from pipelines.lib.report.review import _gates_line, gate_verdicts

GATES = pd.DataFrame(
    {"gate": ["history", "quality", "learnability"], "passed": [False, True, True]}
)


def test_a_short_history_warns_where_it_may_and_fails_where_it_blocks() -> None:
    assert list(gate_verdicts(GATES, history_blocks=False)) == ["warning", "passed", "passed"]
    assert list(gate_verdicts(GATES, history_blocks=True)) == ["FAILED", "passed", "passed"]


def test_the_summary_line_says_failed_only_for_a_failure_and_names_the_gates() -> None:
    assert _gates_line(GATES, history_blocks=False) == "no data gate failed; warning: history (see Data gates)"
    assert _gates_line(GATES, history_blocks=True) == "data gate(s) FAILED: history"
    quality_failed = GATES.assign(passed=[True, False, True])
    assert _gates_line(quality_failed, history_blocks=False) == "data gate(s) FAILED: quality"
    assert _gates_line(GATES.assign(passed=True), history_blocks=True) == "all data gates passed"
    assert _gates_line(None, history_blocks=True) == "no gate results"
