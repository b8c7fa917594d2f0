"""dbt's per-run target folders live in the data home and do not pile up."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.defs.transform.assets import KEEP_DBT_RUNS, _run_target


def test_each_run_gets_its_own_dbt_target_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    runs = tmp_path / "dbt_runs"
    for i in range(8):
        (runs / f"run-{i}").mkdir(parents=True)
        os.utime(runs / f"run-{i}", (i, i))  # run-7 is the newest
    target = _run_target(runs, "run-new")
    assert target == runs / "run-new"
    target.mkdir()
    kept = sorted(p.name for p in runs.iterdir())
    assert len(kept) == KEEP_DBT_RUNS and kept[-1] == "run-new"
    assert {"run-4", "run-5", "run-6", "run-7"} <= set(kept)
