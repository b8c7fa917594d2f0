"""The terminal's progress: a run's steps as Dagster reports them, a live bar only on an interactive terminal."""

from __future__ import annotations

import io
import uuid

import dagster as dg
import pytest

from pipelines.progress import RunProgress, interactive, step_label
from pipelines.runner import StepEvent, _step_events


@dg.asset
def first() -> int:
    return 1


@dg.asset
def second(first: int) -> int:
    return first + 1


@dg.asset_check(asset=second, blocking=True)
def second_is_positive(second: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=second > 0)


def test_a_step_listener_hears_the_plan_then_each_step_start_and_end_of_a_real_run() -> None:
    heard: list[StepEvent] = []
    job = dg.define_asset_job("small", selection="*").resolve(
        asset_graph=dg.Definitions(
            assets=[first, second], asset_checks=[second_is_positive]
        ).resolve_asset_graph()
    )
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_event_listener(run_id, _step_events(heard.append))
        assert job.execute_in_process(instance=instance, run_id=run_id).success
    assert heard[0] == StepEvent("plan", "", 3)
    finished = [e.step for e in heard if e.kind == "success"]
    assert finished == ["first", "second", "second_second_is_positive"]
    assert [e.kind for e in heard[1:]] == ["start", "success"] * 3
    assert all(e.total == 3 for e in heard[1:])


def test_the_live_bar_is_off_without_a_terminal_and_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert interactive(Terminal()) and not interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not interactive(Terminal())
    out = io.StringIO()
    with RunProgress(out=out) as progress:
        assert not progress.enabled and progress.listener("pipeline") is None
        progress.echo("  2026-07-01: v2 promoted to champion")
    assert out.getvalue() == "  2026-07-01: v2 promoted to champion\n"  # the verdict line, nothing else


def test_the_bar_counts_finished_steps_against_the_plan_and_names_the_running_step() -> None:
    out = io.StringIO()
    with RunProgress(enabled=True, out=out) as progress:
        listen = progress.listener("pipeline")
        assert listen is not None
        listen(StepEvent("plan", "", 3))
        listen(StepEvent("start", "marts__customer_features", 3))
        task = progress._progress.tasks[0]  # the bar as rich keeps it
        assert task.fields["step"] == "marts/customer_features" and task.completed == 0
        listen(StepEvent("success", "marts__customer_features", 3))
        listen(StepEvent("start", "churn_model", 3))
        listen(StepEvent("failure", "churn_model", 3))
        listen(StepEvent("end", ""))
        assert task.completed == 2 and "stopped: 1 of 3 steps not run" in task.description
    assert step_label("raw__orders") == "raw/orders"
