"""Processes: is a recorded run still alive, and stop every child before this process exits.

A run records its pid and the pid's start time, so a later run can tell a live holder from a dead one even after
the pid has been reused. The children that matter (dbt, `dagster dev`'s webserver, daemon and code server) may
start their own sessions, so neither the terminal's Ctrl-C nor a signal to our process group reaches them: they
are found by walking the parent links of the process table instead. Only ``ps`` is needed (Linux and macOS).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path


def start_time(pid: int) -> str | None:
    """An opaque start stamp of ``pid`` (the kernel's start tick on Linux), None if unknown or not running."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        # Field 22 (starttime); the command name (field 2) may contain spaces, so split after its ')'.
        return stat.read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    try:
        out = subprocess.run(
            ["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def is_alive(pid: int, started: str | None = None) -> bool:
    """Whether ``pid`` runs and, given the start stamp recorded with it, is still the same process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if _is_zombie(pid):
        return False  # it has exited; only its parent has not collected the exit status yet
    if started is None:
        return True
    now = start_time(pid)
    return now is None or now == started


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first-level first), whatever session or group they started."""
    try:
        lister = subprocess.Popen(
            ["ps", "-A", "-o", "pid=", "-o", "ppid="], stdout=subprocess.PIPE, text=True
        )
        out, _ = lister.communicate(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            # `ps` itself is a child of ours while it lists
            if child not in found and child != pid and child != lister.pid:
                found.append(child)
                queue.append(child)
    return found


def processes_with_env(name: str, value: str) -> list[int]:
    """Processes of this user whose environment has ``name=value`` (Linux; empty where /proc is absent).

    Children inherit the environment, so a variable set by a run before it starts children finds them even
    after the run died and they were handed to init."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in entry.joinpath("environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return [pid for pid in found if pid != os.getpid() and is_alive(pid)]


def stop_processes(pids: list[int], *, timeout: float = 10.0) -> list[int]:
    """SIGTERM every pid, wait up to ``timeout`` seconds for all to go, SIGKILL the rest; returns those killed.

    Children of ours that exited are reaped here."""
    started = {pid: start_time(pid) for pid in pids}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        _reap()
        alive = [pid for pid in alive if is_alive(pid, started[pid])]
        if alive:
            time.sleep(0.1)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    _reap()
    return alive


def stop_children(*, timeout: float = 10.0) -> list[int]:
    """Stop every descendant of this process (see :func:`stop_processes`)."""
    return stop_processes(descendants(os.getpid()), timeout=timeout)


@contextlib.contextmanager
def children_stopped_on_signal(*, say: str = "stopped") -> Iterator[None]:
    """On SIGTERM or SIGINT during the block: stop every child (dbt first of all), say so in one line, exit.

    Dagster replaces Python's SIGINT/SIGTERM handlers while it executes and only looks at them between steps,
    so a handler of ours would not run while a step (dbt, training) is busy, and a run waiting for a
    concurrency slot never looks at all. The wake-up descriptor is below the handlers: the interpreter writes
    each caught signal's number to it whichever Python handler is installed, and a thread that reads it acts at
    once. The exit is immediate (``os._exit``): the warehouse and the stores recover from an interrupted writer
    (DuckDB's WAL, SQLite's journal), the home lock goes with the process, and the next run marks this one's
    Dagster record failed and frees its concurrency slot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        # A Python-level handler must be installed for the wake-up byte to be written; Dagster's replace ours.
        signal.signal(sig, lambda signum, frame: None)

    def _watch() -> None:
        # The C-level handler writes a signal's byte before the Python handler runs, and the pipe keeps order:
        # a signal that reached the main thread is read here before the sentinel (0) that the block's end
        # writes, so it is acted on even when Dagster's handler has already ended the block with an exception.
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            for signum in data:
                if signum in (signal.SIGINT, signal.SIGTERM):
                    stopped = descendants(os.getpid())
                    stop_children(timeout=10.0)
                    name = signal.Signals(signum).name
                    line = f"radar: {say} by {name}; {len(stopped)} child process(es) stopped first\n"
                    with contextlib.suppress(OSError):
                        os.write(2, line.encode())
                    os._exit(128 + signum)
                if signum == 0:
                    return

    watcher = threading.Thread(target=_watch, name="radar-signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.write(write_fd, b"\0")
        # Returns at the sentinel; or, if a signal came first, never: the process ends in the watcher.
        watcher.join()
        os.close(write_fd)
        os.close(read_fd)


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
