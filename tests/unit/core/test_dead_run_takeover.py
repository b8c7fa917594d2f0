"""A run whose process is gone gives up its `warehouse` slot to the next run, on a real Dagster instance."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import dagster as dg
import pytest

from pipelines.recovery import PID_STARTED_TAG, PID_TAG, process_tags, take_over_dead_runs


@pytest.fixture
def instance(tmp_path) -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.event_log_storage.set_concurrency_slots("warehouse", 1)
        yield instance


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    """A run record in STARTED holding the pool's one slot, as a run killed inside a step leaves it."""
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name="retention_radar", run_id=run_id, tags=tags))
    instance.handle_run_event(
        run_id,
        dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name="retention_radar"),
    )
    claim = instance.event_log_storage.claim_concurrency_slot("warehouse", run_id, "extract_sources")
    assert claim.is_claimed
    return run_id


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_a_dead_runs_record_is_failed_and_its_slot_freed_with_one_line(instance: dg.DagsterInstance) -> None:
    pid = _dead_pid()
    run_id = _started_run(instance, {PID_TAG: str(pid), PID_STARTED_TAG: "1"})
    lines = take_over_dead_runs(instance)
    assert lines == [
        f"took over from run {run_id[:8]} (pid {pid} is gone): marked it failed, freed its `warehouse` slot"
    ]
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []
    assert take_over_dead_runs(instance) == []


def test_a_live_runs_slot_is_left_alone(instance: dg.DagsterInstance) -> None:
    run_id = _started_run(instance, process_tags())
    assert take_over_dead_runs(instance) == []
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    assert [s.run_id for s in instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots] == [
        run_id
    ]


def test_a_slot_held_by_a_run_radar_did_not_start_is_named_with_the_way_out(
    instance: dg.DagsterInstance,
) -> None:
    run_id = _started_run(instance, {})
    (line,) = take_over_dead_runs(instance)
    assert line.startswith(f"run {run_id} (not started by this radar) holds the `warehouse` slot")
    assert line.endswith(f"dagster run delete {run_id}")
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
