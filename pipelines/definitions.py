"""The Dagster code location: every stage in `defs/` is found by `load_from_defs_folder`, so adding an asset, check,
job, schedule or sensor to a module there is all it takes for the UI to show it.

Cross-cutting policy lives once, in `defs/resources.py`: the shared resources and one in-process executor, because
every step writes or reads the single-writer DuckDB warehouse and the machine this targets has two cores; a
subprocess per step would only add start-up time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@cache
def _load() -> dg.Definitions:
    # Loaded once per process: the CLI, the runner and the tests all ask for it, and a scan imports every module.
    return dg.load_from_defs_folder(project_root=PROJECT_ROOT)


@dg.definitions
def defs() -> dg.Definitions:
    """The code location (call it for the `Definitions`)."""
    return _load()
