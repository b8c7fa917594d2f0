"""The review names the gates by how each verdict counted when it was evaluated: a short history that only warned
is not a failure, in the gate table or in the executive summary, whatever configuration reads it later."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.quality import gate_store
from pipelines.lib.quality.gates import GateResult
from pipelines.lib.report.review import gate_verdicts, gates_line

GATES = pd.DataFrame(
    {"gate": ["history", "quality", "learnability"], "passed": [False, True, True], "blocking": [False, True, True]}
)


def test_a_gate_that_only_warned_is_a_warning_and_one_that_blocked_a_failure() -> None:
    assert list(gate_verdicts(GATES)) == ["warning", "passed", "passed"]
    assert list(gate_verdicts(GATES.assign(blocking=True))) == ["FAILED", "passed", "passed"]


def test_the_summary_line_says_failed_only_for_a_failure_and_names_the_gates() -> None:
    assert gates_line(GATES) == "no data gate failed; warning: history (see Data gates)"
    assert gates_line(GATES.assign(blocking=True)) == "data gate(s) FAILED: history"
    assert gates_line(GATES.assign(passed=[True, False, True])) == "data gate(s) FAILED: quality"
    assert gates_line(GATES.assign(passed=True)) == "all data gates passed"
    assert gates_line(None) == "no gate results"


def test_the_store_keeps_whether_a_verdict_blocked_and_older_rows_follow_the_rule(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        short = GateResult("history", False, 9, 18, "months", blocking=False)
        gate_store.record(con, [short, GateResult("quality", True, 1.0, 0.8, "share")], run_id="r1")
        # Read later with a configuration in which a short history blocks: the run's own verdict stands.
        kept = gate_store.latest(con, history_blocks=True).set_index("gate")["blocking"]
        assert kept.to_dict() == {"history": False, "quality": True}
        # A data home from before the column: the rule of the reading configuration fills in.
        con.execute("alter table ops.gate_results drop column blocking")
        assert not gate_store.latest(con, history_blocks=False).set_index("gate")["blocking"]["history"]
        assert gate_store.latest(con, history_blocks=True).set_index("gate")["blocking"]["history"]
