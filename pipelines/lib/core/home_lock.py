"""One lock per data home: one writer at a time, readers only while nobody writes.

DuckDB lets one process write a file or many read it, never both, and a reader's read-only connection blocks a
writer as much as another writer does. So `radar run`, `backfill`, `promote` and `rollback` take the home's lock
exclusively and `radar status` / `report` take it shared: a reader never opens the warehouse under a running
writer (it is told to try again), and a second writer waits for the first or, with ``wait=False``, is told who
holds it. The lock is an ``flock`` on ``$RADAR_HOME/radar.lock``: the kernel drops it when its process dies,
however it dies, so a crash can never leave the home locked. The holder writes who it is into the file (pid,
command, since when) so the one line a waiting or refused process prints names it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "radar.lock"
# The homes this process holds as writer, with how deep: `radar run` holds the home and then executes the run
# in-process, whose `radar` resource asks again (so that a run launched from the Dagster UI, which has no
# `radar` command around it, holds it too). A second flock from the same process would wait for itself.
_HELD: dict[Path, int] = {}
# sysexits.h EX_TEMPFAIL: nothing is wrong, the same command later will work. Documented in the README.
EXIT_BUSY = 75


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a data home's lock, as the holder wrote it into the lock file."""

    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid}, `{self.command}`, since {self.since}"


class HomeBusyError(RuntimeError):
    """The data home is locked by another process and the caller chose not to wait; the message names it."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


def ensure_private_home(home: Path) -> None:
    """Create the data home readable by its owner only, and close an existing one that others could read.

    The warehouse holds customer records (names and e-mails in the raw zone); a home created with the usual
    umask would be readable by every local user. With the directory at 0700, no file inside is reachable by
    others, whatever its own mode."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_uid == os.getuid() and home.stat().st_mode & 0o077:
        home.chmod(0o700)


def read_holder(home: Path) -> Holder | None:
    """The holder as recorded in the lock file, or None if nobody ever wrote it (or it cannot be read)."""
    try:
        data = json.loads((home / LOCK_FILE).read_text() or "null")
        return Holder(pid=int(data["pid"]), command=str(data["command"]), since=str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _command_line() -> str:
    args = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    if args[0] in {"cli.py", "__main__.py", "-m", "-c"}:
        args[0] = "radar"
    return " ".join(args)


@contextmanager
def writer_lock(
    home: Path,
    *,
    command: str | None = None,
    wait: bool = True,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[None]:
    """Hold the data home exclusively for the block.

    If another process holds it: with ``wait`` call ``on_wait`` once with the holder and block until it is
    free (Ctrl-C still interrupts); without, raise :class:`HomeBusyError` naming the holder. Re-entrant within
    one process: an inner block for a home this process already holds returns at once."""
    key = home.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    ensure_private_home(home)
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _only_readers(home):
                # `radar status` and `report` hold it for a second or two; wait for them without a word.
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                holder = read_holder(home)
                if not wait:
                    raise HomeBusyError(_busy_line(home, holder), holder) from None
                if on_wait is not None:
                    on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "command": command or _command_line(), "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
    finally:
        # Closing the descriptor releases the lock; the holder record stays as "who last wrote".
        os.close(fd)


@contextmanager
def reader_lock(home: Path) -> Iterator[None]:
    """Hold the data home shared for the block: other readers may too, writers wait until it ends.

    Never waits: while a writer holds the home, raise :class:`HomeBusyError` ("a run is writing, try again"),
    because a reader opening the warehouse now would fail, or make the writer fail. A home that does not exist
    yet is not created (a reader must not leave a data home behind)."""
    path = home / LOCK_FILE
    if not home.is_dir():
        yield
        return
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(home)
            raise HomeBusyError(_busy_line(home, holder), holder) from None
        yield
    finally:
        os.close(fd)


def _only_readers(home: Path) -> bool:
    """Whether the lock is held shared only (readers), not by a writer: a shared probe then succeeds."""
    probe = os.open(home / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        return True
    finally:
        os.close(probe)


def _busy_line(home: Path, holder: Holder | None) -> str:
    who = f" ({holder.describe()})" if holder else ""
    return f"a run is writing the data home {home}{who}; try again when it has finished"
