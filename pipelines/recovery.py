"""Take over from a run that died: mark its Dagster record failed and free the concurrency slots it held.

Every step that writes the warehouse claims the `warehouse` pool's only slot in the data home's Dagster
instance. A run killed mid-step (kill -9, an OOM kill, a power cut) never gives it back, and every later run
would wait for it forever; the Dagster daemon frees such slots only for runs it knows have ended, and a
`radar run` executes in its own process without the daemon. So each run `radar` starts carries its pid and the
pid's start stamp as tags, and before a new run starts, a recorded run whose process is gone is failed, its
slots freed and the children it left running (a dbt build goes on writing after its parent was killed) stopped
here (the Dagster API for both: ``report_run_failed``, ``free_concurrency_slots_for_run``). Runs
without those tags (launched from the Dagster UI, or by an older radar) are left to Dagster.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

from pipelines.lib.core.processes import is_alive, processes_with_env, start_time, stop_processes

PID_TAG = "radar/pid"
PID_STARTED_TAG = "radar/pid_started"
# Set in the run's environment, so its children (dbt) can be found after the run itself died.
RUN_PID_ENV = "RADAR_RUN_PID"

_UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def process_tags() -> dict[str, str]:
    """The tags that let a later run tell whether this process still runs; marks its children's environment."""
    pid = os.getpid()
    os.environ[RUN_PID_ENV] = str(pid)
    return {PID_TAG: str(pid), PID_STARTED_TAG: start_time(pid) or ""}


def holder_is_alive(tags: Mapping[str, str]) -> bool | None:
    """True/False for a run `radar` started, None for one it did not (no pid tag: not ours to judge)."""
    pid = tags.get(PID_TAG, "")
    if not pid.isdigit():
        return None
    return is_alive(int(pid), tags.get(PID_STARTED_TAG) or None)


def take_over_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every unfinished run of ours whose process is gone and free its slots; free the slots that
    finished runs still hold. Returns one line per run taken over."""
    lines: list[str] = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_UNFINISHED)):
        if holder_is_alive(run.tags) is not False:
            continue
        held = _slots_held(instance, run.run_id)
        # A child of the dead run (dbt) may still write the warehouse; the new run must not start beside it.
        leftovers = processes_with_env(RUN_PID_ENV, run.tags[PID_TAG])
        stop_processes(leftovers)
        instance.report_run_failed(
            run, message=f"The process that ran this run (pid {run.tags[PID_TAG]}) is gone; taken over."
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        slots = f", freed its {', '.join(f'`{p}`' for p in held)} slot" if held else ""
        children = f", stopped {len(leftovers)} process(es) it had left running" if leftovers else ""
        lines.append(
            f"took over from run {run.run_id[:8]} (pid {run.tags[PID_TAG]} is gone): "
            f"marked it failed{slots}{children}"
        )
    # A finished run never needs a slot; one can still hold it if it died while being marked finished.
    for run_id in instance.event_log_storage.get_concurrency_run_ids():
        record = instance.get_run_by_id(run_id)
        if record is None or record.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        elif holder_is_alive(record.tags) is None and _slots_held(instance, run_id):
            # Not ours to judge (the UI's run worker, or a radar before the pid tag): say what we wait for.
            lines.append(
                f"run {run_id} (not started by this radar) holds the `warehouse` slot; this run waits for it. "
                f"If nothing runs it any more: DAGSTER_HOME={instance.root_directory} dagster run delete {run_id}"
            )
    return lines


def _slots_held(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    storage = instance.event_log_storage
    return sorted(
        pool
        for pool in storage.get_concurrency_keys()
        if any(slot.run_id == run_id for slot in storage.get_concurrency_info(pool).claimed_slots)
    )
