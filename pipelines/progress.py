"""Progress of a run on the terminal: the step running, steps done of the total, time elapsed.

A demo run is silent for minutes otherwise (its own output goes to the run log). The display is rich's live
progress bar on an interactive terminal; under CI (``CI`` set) or when stdout is not a terminal (a pipe, a file,
a test) it shows nothing, so logs and scripts read exactly the verdict lines they read before.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, TYPE_CHECKING

from pipelines.lib.core import environment

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from pipelines.runner import StepEvent, StepListener


def interactive(stream: IO[str] | None = None) -> bool:
    """Whether a live display belongs on ``stream`` (default stdout): a terminal, and not a CI job."""
    stream = stream if stream is not None else sys.stdout
    if environment.in_ci():
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def step_label(step_key: str) -> str:
    """``marts__customer_features`` -> ``marts/customer_features``: the asset key as the Dagster UI writes it."""
    return step_key.replace("__", "/")


class RunProgress:
    """A context manager showing one progress bar per run (a backfill has one per quarter).

    Enter it before the run's output is redirected to the run log: the bar keeps writing to the terminal that
    was stdout then. ``listener(label)`` gives the callback for one run; ``echo`` prints a line above the bar
    (or plainly when there is no bar)."""

    def __init__(
        self, *, enabled: bool | None = None, out: IO[str] | None = None, err: IO[str] | None = None
    ) -> None:
        self._stream = out if out is not None else sys.stdout
        self._err = err if err is not None else sys.stderr
        self.enabled = interactive(self._stream) if enabled is None else enabled
        self._progress: Progress | None = None

    def __enter__(self) -> RunProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓[/]"),
                TextColumn("{task.description}"),
                BarColumn(bar_width=28),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("[dim]{task.fields[step]}[/]"),
                console=Console(file=self._stream),
                # The run's output is redirected to the run log by the caller, not by the live display.
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def echo(self, line: str, *, err: bool = False) -> None:
        """A verdict line: above the live bar on the terminal, else to stdout (or stderr) as plain text."""
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False, style="red" if err else None)
        else:
            print(line, file=self._err if err else self._stream, flush=True)

    def listener(self, label: str) -> StepListener | None:
        """The step listener for one run named ``label`` (None when the display is off: nothing to listen for)."""
        if self._progress is None:
            return None
        return _RunTask(self._progress, label)


class _RunTask:
    """One run's bar: created when the run announces its plan, advanced by each finished step."""

    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self._label = label
        self._task: TaskID = progress.add_task(label, total=None, step="starting")
        self._running: list[str] = []

    def __call__(self, event: StepEvent) -> None:
        progress, task = self._progress, self._task
        if event.kind == "plan":
            progress.update(task, total=event.total)
            return
        if event.kind == "end":
            state = progress.tasks[task]
            done, planned = int(state.completed), int(state.total or 0)
            if done < planned:
                # A failed run abandons the steps after the failure: the bar ends where the run did, and says so.
                progress.update(
                    task,
                    description=f"{self._label} [red]stopped: {planned - done} of {planned} steps not run[/]",
                    total=done or 1,
                    completed=done or 1,
                )
            progress.update(task, step="")
            progress.stop_task(task)
            return
        if event.kind == "start":
            self._running.append(event.step)
        else:
            if event.step in self._running:
                self._running.remove(event.step)
            progress.advance(task)
        now = step_label(self._running[-1]) if self._running else ""
        progress.update(task, step=now)
