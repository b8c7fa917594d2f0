"""benchmarks/results.jsonl is committed: what a failed benchmark run printed is kept with this machine's paths
named by their role, never as the paths themselves."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import bench_pipeline


def test_a_run_output_names_the_checkout_home_and_sources_not_their_paths(tmp_path: Path) -> None:
    code, home = tmp_path / "checkout", tmp_path / "checkout" / "home"
    line = f'  File "{code}/pipelines/cli.py", line 3; home {home}/warehouse.duckdb'
    # The longer path first: the home inside the checkout is named as the home.
    assert bench_pipeline.portable(line, {code: "<code>", home: "<home>"}) == (
        '  File "<code>/pipelines/cli.py", line 3; home <home>/warehouse.duckdb'
    )
