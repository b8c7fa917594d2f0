"""Crashes and company: a killed run never leaves the data home stuck, and one writer at a time holds it.

One data home, one chain of real `radar run` processes (300 customers × 24 months): killed with SIGKILL while it
ingests, with SIGKILL and then with SIGTERM while dbt builds, with SIGKILL while the promotion decision is being
recorded; then a plain `radar run`, which must complete. While that last run writes, a second writer is refused
with one line (or waits, saying for whom), and `radar status --json` and `radar report` are polled without ever
raising.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
from mlflow import MlflowClient

from models_registry.registry import PENDING_FILE, read_log
from pipelines.lib.core.home_lock import EXIT_BUSY
from pipelines.lib.core.paths import REPO_ROOT
from pipelines.lib.core.processes import descendants, is_alive
from pipelines.recovery import PID_TAG

pytestmark = pytest.mark.slow

# Long enough for a whole run on the busy 2-core machine; a stuck run fails the test instead of hanging it.
RUN_TIMEOUT = 900


def _radar(home: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"RADAR_SOURCES", "RADAR_CONFIG", "DAGSTER_HOME"}}
    env |= {
        "RADAR_HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until(
    condition: Callable[[], bool], *, what: str, proc: subprocess.Popen, interval: float = 0.2
) -> None:
    """Poll ``condition`` (a state change of the run under test) until it holds, the run ends, or time is up."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {what} within {RUN_TIMEOUT}s")
        time.sleep(interval)


@contextlib.contextmanager
def _instance(home: Path) -> Iterator[dg.DagsterInstance]:
    """The data home's own Dagster instance, read from this process as `dagster` commands would."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        with dg.DagsterInstance.get() as instance:
            yield instance


def _step_started(home: Path, step: str, proc: subprocess.Popen) -> Callable[[], bool]:
    """Whether the Dagster run of ``proc`` has started ``step`` (read from the home's own event log)."""

    def _started() -> bool:
        if not (home / "dagster" / "dagster.yaml").exists():
            return False
        with _instance(home) as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: str(proc.pid)}), limit=1)
            if not runs:
                return False
            records = instance.get_records_for_run(
                runs[0].run_id, of_type=dg.DagsterEventType.STEP_START
            ).records
            return any(r.event_log_entry.step_key == step for r in records)

    return _started


def _recording_decision(home: Path) -> Callable[[], bool]:
    """Whether a promotion decision is being carried out: its intent is on disk, its tags and alias not done."""
    pending = home / "registry" / PENDING_FILE
    return pending.exists


def _dbt_running(proc: subprocess.Popen) -> Callable[[], bool]:
    def _running() -> bool:
        return any(_is_dbt(pid) for pid in descendants(proc.pid))

    return _running


def _is_dbt(pid: int) -> bool:
    """A `dbt build` (the pipeline's transform step), not the `dbt parse` that prepares the manifest."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(b"dbt") for a in args) and b"build" in args


@dataclass
class Killed:
    point: str
    signal: str
    returncode: int
    stderr: str
    # children of the killed run still running right after it exited, and which of them were dbt
    left_running: list[int] = field(default_factory=list)
    dbt_left_running: list[int] = field(default_factory=list)


@dataclass
class Chain:
    home: Path
    killed: list[Killed]
    final_code: int
    final_out: str
    final_err: str
    refused: tuple[int, str]
    waiting_line: str
    polls: list[tuple[str, int, str]]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> Chain:
    home = tmp_path_factory.mktemp("crashes") / "home"
    points = [
        ("mid-ingest", signal.SIGKILL, lambda p: _step_started(home, "extract_sources", p)),
        ("mid-dbt", signal.SIGKILL, _dbt_running),
        ("mid-dbt", signal.SIGTERM, _dbt_running),
        ("mid-decision", signal.SIGKILL, lambda p: _recording_decision(home)),
    ]
    killed: list[Killed] = []
    for point, sig, reached in points:
        proc = _radar(home, "run", "--sources", str(demo_sources))
        # The decision is being recorded for about a tenth of a second: look for it often.
        interval = 0.005 if point == "mid-decision" else 0.2
        _until(reached(proc), what=f"{point} point", proc=proc, interval=interval)
        children = descendants(proc.pid)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        left = [pid for pid in children if is_alive(pid)]
        killed.append(
            Killed(point, sig.name, proc.returncode, err, left, [pid for pid in left if _is_dbt(pid)])
        )

    final = _radar(home, "run", "--sources", str(demo_sources))
    _until(_step_started(home, "extract_sources", final), what="the final run's ingest", proc=final)
    refused_proc = _radar(home, "run", "--sources", str(demo_sources), "--no-wait")
    _, refused_err = refused_proc.communicate(timeout=120)
    waiting = _radar(home, "run", "--sources", str(demo_sources))
    waiting_line = waiting.stderr.readline().strip()
    waiting.terminate()  # it waits for the lock and holds nothing: SIGTERM simply ends it
    waiting.communicate(timeout=60)
    polls: list[tuple[str, int, str]] = []
    while final.poll() is None:
        for command in (["status", "--json"], ["report"]):
            poll = _radar(home, *command)
            out, err = poll.communicate(timeout=300)
            polls.append((command[0], poll.returncode, err))
    out, err = final.communicate(timeout=RUN_TIMEOUT)
    return Chain(
        home=home,
        killed=killed,
        final_code=final.returncode,
        final_out=out,
        final_err=err,
        refused=(refused_proc.returncode, refused_err),
        waiting_line=waiting_line,
        polls=polls,
    )


def test_each_run_after_a_kill_takes_over_from_the_dead_one_in_one_line(chain: Chain) -> None:
    # Every run after the first reached its own kill point, so it got past the dead run's `warehouse` slot;
    # after a SIGKILL it said so in one line.
    assert [(k.point, k.signal) for k in chain.killed] == [
        ("mid-ingest", "SIGKILL"),
        ("mid-dbt", "SIGKILL"),
        ("mid-dbt", "SIGTERM"),
        ("mid-decision", "SIGKILL"),
    ]
    after = {"mid-ingest kill": chain.killed[1].stderr, "mid-dbt kill": chain.killed[2].stderr}
    after["mid-decision kill"] = chain.final_err
    for killed, stderr in after.items():
        lines = [line for line in stderr.splitlines() if "took over from run" in line]
        assert len(lines) == 1, (killed, stderr)
        assert "is gone): marked it failed, freed its `warehouse` slot" in lines[0], lines[0]
    # The run killed while it recorded its promotion decision left it half done; the next one finished it.
    finished = [
        line for line in chain.final_err.splitlines() if "finished an interrupted promotion decision" in line
    ]
    assert len(finished) == 1, chain.final_err
    # A run stopped by SIGTERM usually records its own failure (Dagster turns the signal into an interrupted
    # step) before its children are stopped and it exits; if it did not get that far, the next run takes over.
    after_sigterm = [line for line in chain.killed[3].stderr.splitlines() if "took over from run" in line]
    assert len(after_sigterm) <= 1, chain.killed[3].stderr


def test_the_dbt_build_a_killed_run_left_running_is_stopped_before_the_next_run_starts(chain: Chain) -> None:
    orphans = chain.killed[1].dbt_left_running
    assert orphans, "a kill -9 of radar leaves its dbt build running"
    # Whether the build was still running when the next run took over depends on when dbt next wrote to its
    # dead parent's pipe; either way nothing of it runs now, and the next run did not fail beside it.
    assert not any(is_alive(pid) for pid in orphans)
    assert chain.killed[2].point == "mid-dbt" and chain.killed[2].returncode == 128 + signal.SIGTERM


def test_sigterm_stops_the_dbt_build_before_radar_exits(chain: Chain) -> None:
    stopped = chain.killed[2]
    assert (stopped.signal, stopped.returncode) == ("SIGTERM", 128 + signal.SIGTERM)
    assert stopped.stderr.strip().splitlines()[-1].startswith("radar: run stopped by SIGTERM; ")
    assert stopped.left_running == []
    assert "Traceback" not in stopped.stderr


def test_the_run_after_the_crashes_completes_without_a_manual_step(chain: Chain) -> None:
    assert chain.final_code == 0, chain.final_err
    assert "succeeded" in chain.final_out
    with _instance(chain.home) as instance:
        unfinished = instance.get_runs(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
        )
        assert unfinished == []
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
    status = _radar(chain.home, "status", "--json")
    out, err = status.communicate(timeout=300)
    assert status.returncode == 0, err
    state = json.loads(out)
    assert state["scoring"]["customers"] > 0
    # Every decision was recorded whole: no intent is left, every decided version carries its tags, and
    # the champion, if any, has its line in the log.
    assert not (chain.home / "registry" / PENDING_FILE).exists()
    log = read_log(chain.home / "registry" / "decisions.jsonl")
    uri = f"sqlite:///{chain.home / 'mlflow' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for record in log:
        tags = client.get_model_version(record["model_name"], record["version"]).tags
        assert {"decision_kind", "promotion_decision", "gates_passed"} <= set(tags), (record["version"], tags)
    if state["champion"] is not None:
        assert any(r["version"] == state["champion"]["version"] and r["promoted"] for r in log)


def test_a_second_writer_is_refused_with_one_line_naming_the_holder(chain: Chain) -> None:
    code, err = chain.refused
    assert code == EXIT_BUSY
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"radar: a run is writing the data home {chain.home} (pid ")
    assert "`radar run --sources" in err and ", since 20" in err
    assert chain.waiting_line.startswith(f"radar: waiting for the data home {chain.home}: pid ")


def test_status_and_report_polled_during_a_run_never_raise(chain: Chain) -> None:
    assert len(chain.polls) >= 2
    for i, (command, code, err) in enumerate(chain.polls):
        assert "Traceback" not in err, (command, err)
        if i >= len(chain.polls) - 2 and code == 0:
            continue  # the run ended while this last poll started
        assert code == EXIT_BUSY, (command, code, err)
        assert "try again when it has finished" in err


def test_the_data_home_is_the_owners_alone(chain: Chain) -> None:
    assert chain.home.stat().st_mode & 0o777 == 0o700
    for path in [
        chain.home / "warehouse.duckdb",
        chain.home / "mlflow" / "mlflow.db",
        *chain.home.glob("exports/*"),
    ]:
        assert path.stat().st_mode & 0o077 == 0, path
