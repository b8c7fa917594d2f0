"""`radar ui` stops the whole tree it started, servers in sessions of their own included."""

from __future__ import annotations

import subprocess

from pipelines.lib.core.processes import descendants, is_alive
from pipelines.lib.ui.serve import stop_children


def test_stopping_the_uis_leaves_no_process_of_their_trees_running() -> None:
    # As `dagster dev` does: a parent whose servers run in new sessions, out of reach of its process group.
    ui = subprocess.Popen(
        ["sh", "-c", "setsid sleep 300 & setsid sleep 301 & sleep 302 & wait"], start_new_session=True
    )
    tree: list[int] = []
    while len(tree) < 3:
        tree = descendants(ui.pid)
    stop_children([ui])
    assert ui.poll() is not None
    assert not any(is_alive(pid) for pid in tree)
