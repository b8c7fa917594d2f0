"""What the promotion decision reads besides the holdout: gates that block, and the candidate's own months."""

from __future__ import annotations

import pandas as pd

from pipelines.lib.registry.evidence import gates_passed, holdout


def test_a_gate_that_only_warned_does_not_hold_a_model_back_but_no_gate_at_all_does() -> None:
    rows = pd.DataFrame({"gate": ["history", "quality"], "passed": [False, True], "blocking": [False, True]})
    assert gates_passed(rows)
    assert not gates_passed(rows.assign(blocking=True))
    assert not gates_passed(rows.iloc[0:0])


def test_the_holdout_is_the_candidates_validation_months_inclusive() -> None:
    frame = pd.DataFrame({"snapshot_date": pd.to_datetime(["2026-03-31", "2026-04-30", "2026-06-30", "2026-07-31"])})
    kept = holdout(frame, {"valid_start": "2026-04-30", "valid_end": "2026-06-30"})
    assert kept["snapshot_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-04-30", "2026-06-30"]
