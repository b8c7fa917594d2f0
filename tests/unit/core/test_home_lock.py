"""The data home's lock between real processes: one writer, readers only while nobody writes, holder named."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.resources import RadarResource
from pipelines.lib.core.home_lock import (
    LOCK_FILE,
    HomeBusyError,
    ensure_private_home,
    read_holder,
    reader_lock,
    writer_lock,
)

HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipelines.lib.core.home_lock import reader_lock, writer_lock
    lock = writer_lock(Path(sys.argv[1]), command="radar run") if sys.argv[2] == "write" else reader_lock(
        Path(sys.argv[1]))
    with lock:
        print("held", flush=True)
        sys.stdin.readline()
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator:
    """Start a process that holds the lock of ``tmp_path / 'home'`` until its stdin closes."""
    procs: list[subprocess.Popen] = []

    def _hold(mode: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(tmp_path / "home"), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        procs.append(proc)
        return proc

    yield _hold
    for proc in procs:
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.wait(timeout=10)


def test_a_second_writer_that_will_not_wait_is_told_the_holders_pid_command_and_start(
    tmp_path: Path, holder
) -> None:
    proc = holder("write")
    with pytest.raises(HomeBusyError) as busy, writer_lock(tmp_path / "home", wait=False):
        pass
    assert busy.value.holder is not None and busy.value.holder.pid == proc.pid
    assert f"pid {proc.pid}, `radar run`, since 20" in str(busy.value)
    assert str(busy.value).startswith("a run is writing the data home")


def test_a_waiting_writer_says_whom_it_waits_for_and_gets_the_home_once_the_holder_dies(
    tmp_path: Path, holder
) -> None:
    proc = holder("write")
    waited: list = []

    def _on_wait(who) -> None:
        waited.append(who)
        proc.kill()  # the kernel drops a dead process's flock, however it died

    with writer_lock(tmp_path / "home", command="radar backfill", on_wait=_on_wait):
        assert read_holder(tmp_path / "home").command == "radar backfill"
    assert [w.pid for w in waited] == [proc.pid]


def test_a_reader_during_a_write_is_told_to_try_again_and_readers_share(tmp_path: Path, holder) -> None:
    proc = holder("write")
    with pytest.raises(HomeBusyError, match="try again when it has finished"), reader_lock(tmp_path / "home"):
        pass
    proc.kill()
    proc.wait()
    holder("read")
    with reader_lock(tmp_path / "home"):
        assert read_holder(tmp_path / "home").pid == proc.pid  # readers leave the last writer's record


def test_a_writer_waits_silently_for_readers_even_when_told_not_to_wait(tmp_path: Path, holder) -> None:
    (tmp_path / "home").mkdir()
    reader = holder("read")
    said: list = []
    # A reader holds the home for a moment (`radar status`); the writer takes it as soon as it is done.
    reader.stdin.close()
    with writer_lock(tmp_path / "home", wait=False, on_wait=said.append):
        assert read_holder(tmp_path / "home").pid != reader.pid
    assert said == []


def test_the_home_is_the_owners_alone_even_if_it_existed_open_to_all(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    ensure_private_home(home)
    with writer_lock(home):
        pass
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / LOCK_FILE).stat().st_mode & 0o777 == 0o600


def test_a_reader_leaves_no_data_home_behind(tmp_path: Path) -> None:
    with reader_lock(tmp_path / "nowhere"):
        pass
    assert not (tmp_path / "nowhere").exists()


def test_the_lock_is_reentrant_within_one_process_so_an_in_process_run_under_radar_run_does_not_wait(
    tmp_path: Path, holder
) -> None:
    home = tmp_path / "home"
    with writer_lock(home, wait=False), writer_lock(home, wait=False):
        pass
    # Released after the outer block: another process can take it now.
    with writer_lock(home, wait=False):
        pass


def test_a_run_launched_outside_radar_waits_for_the_writing_process_and_says_so_in_its_log(
    tmp_path: Path, holder
) -> None:
    """A run the Dagster UI or its daemon launches has no `radar` command holding the home around it: the
    `radar` resource takes the lock for the run, so it starts its first step only after `radar run` is done."""
    proc = holder("write")
    started: list[float] = []

    @dg.asset
    def probe(radar: RadarResource) -> None:
        started.append(time.monotonic())

    released: list[float] = []

    def _release() -> None:
        released.append(time.monotonic())
        proc.stdin.close()

    threading.Timer(1.0, _release).start()
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [probe], resources={"radar": RadarResource(home=str(tmp_path / "home"))}, instance=instance
    )
    assert result.success
    assert started[0] >= released[0]
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any("waiting for the data home" in m and "radar run" in m for m in messages)
