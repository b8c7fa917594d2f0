"""What the API reads from the warehouse: the newest stored scores and the newest feature snapshot, held in memory
and read again when the warehouse file changes.

DuckDB lets one process write a file or many read it, never both: a read-only connection held by the API would
make `radar run` fail on its first write (pitfalls.md: "A read-only connection also blocks the writer"). Opening
the file read-only per request and closing it would not block a run, but costs 50-100 ms a request on this
machine (DuckDB loads the catalogue on every open), far above a 5 ms budget. So the API opens the warehouse
read-only only when the file has changed (its size and modification time, and its WAL's, are compared on every
request: two `stat` calls), reads the newest as_of of `scores.customer_scores` and the newest snapshot of
`marts.customer_features` (as batch scoring reads it, purchase-propensity features included), and closes it
again; between those reads it holds nothing. Reads take the data home's shared lock (`home_lock.reader_lock`),
so they never happen under a running `radar run`:

- while a run holds the home, the API keeps answering from the copy it read before the run began (the last
  committed scores), and reads the new ones once the run has finished;
- with no copy yet (the API started during a run), or a writer that does not take the home lock (a run launched
  from the Dagster UI) holding DuckDB's own file lock, the request gets 503 "a run is writing, try again".
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from pipelines.lib.core.home_lock import HomeBusyError, reader_lock
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.serve.errors import NotFound, Unavailable

BUSY = "a run is writing the data home; try again when it has finished"
# After a read found the home locked, the next attempt waits this long: during a run the file changes all the
# time, and each attempt would only find it locked again.
RETRY_SECONDS = 1.0


@contextmanager
def reading(paths: RadarPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on leaving; `Unavailable` while a writer holds the home or the file, or
    before the first run."""
    try:
        with reader_lock(paths.home), connect(paths.warehouse, read_only=True) as con:
            yield con
    except HomeBusyError:
        raise Unavailable(BUSY) from None
    except FileNotFoundError:
        raise Unavailable(
            f"no warehouse at {paths.warehouse} yet; run the pipeline first (radar run)"
        ) from None
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise Unavailable(BUSY) from None


@dataclass(frozen=True)
class Snapshot:
    """The newest stored scores (one row per customer at ``as_of``) and the newest feature snapshot."""

    as_of: dt.date | None
    scores: dict[str, dict[str, Any]]
    features: pd.DataFrame  # indexed by customer_id, typed as scoring reads it
    read_at: dt.datetime


def read_snapshot(con: duckdb.DuckDBPyConnection) -> Snapshot:
    scores: dict[str, dict[str, Any]] = {}
    as_of = None
    if table_exists(con, "scores", "customer_scores"):
        cursor = con.execute(
            "select * from scores.customer_scores "
            "where as_of = (select max(as_of) from scores.customer_scores)"
        )
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            scores[record["customer_id"]] = record
            as_of = record["as_of"]
    features = pd.DataFrame()
    if table_exists(con, "marts", "customer_features") and table_exists(
        con, "marts", "data_window"
    ):
        features = feats.latest_snapshot(con).set_index("customer_id", drop=False)
    return Snapshot(as_of=as_of, scores=scores, features=features, read_at=dt.datetime.now(dt.UTC))


def _file_state(paths: RadarPaths) -> tuple[tuple[int, int], ...] | None:
    states = []
    for path in (paths.warehouse, paths.warehouse.with_name(paths.warehouse.name + ".wal")):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if path == paths.warehouse:
                return None
            continue
        states.append((st.st_mtime_ns, st.st_size))
    return tuple(states)


class WarehouseView:
    """The snapshot the API answers from, read again when the warehouse file changes (module docstring)."""

    def __init__(self, paths: RadarPaths, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.paths, self._clock = paths, clock
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._state: tuple | None = None
        self._failed_at: float | None = None
        self.stale_reason: str | None = None  # why the snapshot held may be older than the file

    def current(self) -> Snapshot:
        state = _file_state(self.paths)
        if self._snapshot is not None and state == self._state:
            return self._snapshot
        with self._lock:
            if self._snapshot is not None and state == self._state:
                return self._snapshot
            now = self._clock()
            if (
                self._snapshot is not None
                and self._failed_at is not None
                and now - self._failed_at < RETRY_SECONDS
            ):
                return self._snapshot
            if state is None:
                raise Unavailable(
                    f"no warehouse at {self.paths.warehouse} yet; run the pipeline first (radar run)"
                )
            try:
                with reading(self.paths) as con:
                    snapshot = read_snapshot(con)
            except Unavailable as exc:
                self._failed_at = now
                if self._snapshot is None:
                    raise
                self.stale_reason = (
                    f"{exc.message}; answering from the scores read at {self._snapshot.read_at}"
                )
                return self._snapshot
            self._snapshot, self._state, self.stale_reason, self._failed_at = snapshot, state, None, None
            return snapshot

    def stored_score(self, customer_id: str) -> dict[str, Any]:
        snapshot = self.current()
        if snapshot.as_of is None:
            raise Unavailable("no scores in the warehouse yet; run the pipeline first (radar run)")
        found = snapshot.scores.get(customer_id)
        if found is None:
            raise NotFound(
                f"no score for customer '{customer_id}' as of {snapshot.as_of} (not an active customer then)"
            )
        return found

    def newest_features(self, customer_id: str) -> pd.DataFrame:
        """The customer's row of the newest feature snapshot (the one batch scoring scored), as a 1-row frame."""
        snapshot = self.current()
        if snapshot.features.empty:
            raise Unavailable("no feature snapshot in the warehouse yet; run the pipeline first (radar run)")
        if customer_id not in snapshot.features.index:
            newest = snapshot.features["snapshot_date"].iloc[0].date()
            raise NotFound(f"no customer '{customer_id}' active at the newest snapshot ({newest})")
        return snapshot.features.loc[[customer_id]].reset_index(drop=True)
