"""The sources-folder sensor: quiet on its first look, a run when a file arrives or changes, quiet again after."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.defs.ingest.sensors import new_source_files
from pipelines.defs.resources import RadarResource
from pipelines.defs.train.partitions import latest_quarter


def _tick(folder: Path, cursor: str | None):
    radar = RadarResource(home=str(folder.parent / "home"), sources_dir=str(folder))
    context = dg.build_sensor_context(cursor=cursor, resources={"radar": radar})
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
    second, cursor = _tick(folder, cursor)
    assert isinstance(second, dg.RunRequest)
    assert second.partition_key == latest_quarter(), "the job's churn model is partitioned by quarter"
    assert second.tags["radar/changed_files"] == "orders.csv"

    third, cursor = _tick(folder, cursor)
    assert isinstance(third, dg.SkipReason) and third.skip_message == "no new or changed source file"

    path = folder / "accounts.csv"
    path.write_text("customer_id,created_at\n1,2024-01-01\n2,2024-02-01\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    fourth, _ = _tick(folder, cursor)
    assert isinstance(fourth, dg.RunRequest) and fourth.tags["radar/changed_files"] == "accounts.csv"
    assert fourth.run_key != second.run_key
