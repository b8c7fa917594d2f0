"""The sources-folder sensor: quiet on its first look, a run when a file arrives or changes, quiet again after."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from pipelines.defs.ingest.sensors import new_source_files
from pipelines.defs.resources import RadarResource
from pipelines.lib.train.quarters import quarter_key


def _tick(folder: Path, cursor: str | None):
    radar = RadarResource(home=str(folder.parent / "home"), sources_dir=str(folder))
    # A context manager, as the daemon opens it: the `radar` resource holds the data home for runs (not ticks).
    with dg.build_sensor_context(cursor=cursor, resources={"radar": radar}) as context:
        result = new_source_files(context)
        return result, context.cursor


def test_a_new_or_changed_file_starts_one_run_and_an_unchanged_folder_none(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "accounts.csv").write_text("customer_id,created_at\n1,2024-01-01\n")
    first, cursor = _tick(folder, None)
    assert isinstance(first, dg.SkipReason) and "recorded 1 source file" in first.skip_message

    (folder / "orders.csv").write_text("order_id,customer_id,order_date,amount\no1,1,2024-01-05,10\n")
    (folder / "notes.txt").write_text("not a source table")
    result, cursor = _tick(folder, cursor)
    assert isinstance(result, dg.SensorResult)
    (second,) = result.run_requests
    # A data home without trainable quarters yet: the running quarter, added as a partition with the run.
    assert second.partition_key == quarter_key(dt.date.today()), "the churn model is partitioned by quarter"
    assert [r.partition_keys for r in result.dynamic_partitions_requests] == [[second.partition_key]]
    assert second.tags["radar/changed_files"] == "orders.csv"

    third, cursor = _tick(folder, cursor)
    assert isinstance(third, dg.SkipReason) and third.skip_message == "no new or changed source file"

    path = folder / "accounts.csv"
    path.write_text("customer_id,created_at\n1,2024-01-01\n2,2024-02-01\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    (fourth,) = _tick(folder, cursor)[0].run_requests
    assert fourth.tags["radar/changed_files"] == "accounts.csv"
    assert fourth.run_key != second.run_key
