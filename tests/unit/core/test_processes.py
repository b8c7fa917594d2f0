"""Stopping children and telling dead runs from live ones, on real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from pipelines.lib.core.processes import (
    descendants,
    is_alive,
    processes_with_env,
    start_time,
    stop_processes,
)

# A parent with two sleeping children, one in a session of its own (as `dagster dev` starts its servers), that
# blocks under Dagster's own interrupt handling: between steps it swallows SIGINT/SIGTERM (capture), inside a
# step it raises at once, so the run may end while the children are still being stopped (raise).
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from dagster._utils.interrupts import capture_interrupts, raise_interrupts_as
    from pipelines.lib.core.processes import children_stopped_on_signal
    dagster = capture_interrupts() if sys.argv[1] == "capture" else raise_interrupts_as(KeyboardInterrupt)
    with children_stopped_on_signal(say="test stopped"), dagster:
        kids = [subprocess.Popen(["sleep", "300"]), subprocess.Popen(["sleep", "300"], start_new_session=True)]
        print(" ".join(str(k.pid) for k in kids), flush=True)
        while True:
            time.sleep(60)
    """
)


@pytest.mark.parametrize("dagster", ["capture", "raise"])
def test_sigterm_stops_every_child_first_then_exits_with_one_line_whatever_dagster_does(dagster: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT, dagster],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert proc.stdout is not None
    kids = [int(pid) for pid in proc.stdout.readline().split()]
    assert set(kids) <= set(descendants(proc.pid))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip() == "radar: test stopped by SIGTERM; 2 child process(es) stopped first"
    assert not any(is_alive(pid) for pid in kids)


def test_a_tree_whose_grandchild_left_the_session_is_stopped_whole() -> None:
    proc = subprocess.Popen(["sh", "-c", "setsid sleep 300 & sleep 300 & wait"])
    tree = []
    while len(tree) < 2:  # the shell forks its two children right away
        tree = descendants(proc.pid)
    killed = stop_processes([proc.pid, *tree], timeout=5)
    assert killed == []  # all went on SIGTERM
    proc.wait(timeout=5)
    assert not any(is_alive(pid) for pid in tree)


def test_a_live_process_is_told_from_a_reused_pid_an_exited_one_and_a_zombie() -> None:
    me = os.getpid()
    assert is_alive(me, start_time(me))
    assert not is_alive(me, "not-my-start")  # same pid, another process: a reused pid
    zombie = subprocess.Popen(["true"])
    while not _exited(zombie.pid):
        pass
    assert not is_alive(zombie.pid)  # exited, not yet collected
    zombie.wait()
    assert not is_alive(zombie.pid)


def _exited(pid: int) -> bool:
    from pathlib import Path

    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_the_children_a_dead_run_left_behind_are_found_by_the_mark_in_their_environment() -> None:
    marked = subprocess.Popen(["sleep", "300"], env={**os.environ, "RADAR_RUN_PID": "424242"})
    other = subprocess.Popen(["sleep", "300"], env={**os.environ, "RADAR_RUN_PID": "4242420"})
    try:
        assert processes_with_env("RADAR_RUN_PID", "424242") == [marked.pid]
    finally:
        stop_processes([marked.pid, other.pid], timeout=5)
