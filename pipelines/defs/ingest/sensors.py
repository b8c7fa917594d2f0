"""A sensor that starts a run when a source file is added or changed in the sources folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import dagster as dg

from pipelines.defs.jobs import retention_radar_job
from pipelines.defs.resources import RadarResource
from pipelines.defs.train.partitions import QUARTERS, registered_quarters
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.sources import FolderSource
from pipelines.lib.train.quarters import quarter_key


def folder_state(source: FolderSource) -> dict[str, list[int]]:
    """Size and modification time of each contract table's file: cheap to read every tick, and any new delivery
    changes it. The extract itself compares SHA-256 hashes, so a file touched without a change loads nothing."""
    state: dict[str, list[int]] = {}
    for table in CONTRACT:
        for suffix in (".csv", ".parquet"):
            path = source.folder / f"{source.name_of(table)}{suffix}"
            if path.is_file():
                stat = path.stat()
                state[path.name] = [stat.st_size, stat.st_mtime_ns]
    return state


@dg.sensor(
    job=retention_radar_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the sources folder (sources.kind demo/folder, or RADAR_SOURCES) and runs the pipeline when "
    "a table's file is added or changed. The first evaluation only records what is there. Database sources are "
    "not watched: the schedules pick up their changes.",
)
def new_source_files(context: dg.SensorEvaluationContext, radar: RadarResource):
    source = radar.source()
    if not isinstance(source, FolderSource):
        return dg.SkipReason(f"sources.kind is '{radar.config.sources.kind}': only folders are watched")
    if not source.folder.is_dir():
        return dg.SkipReason(f"sources folder {source.folder} does not exist")
    state = folder_state(source)
    cursor = json.dumps(state, sort_keys=True)
    previous = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(cursor)
    if previous is None:
        return dg.SkipReason(f"recorded {len(state)} source file(s) in {source.folder}")
    changed = sorted(name for name, stat in state.items() if previous.get(name) != stat)
    if not changed:
        return dg.SkipReason("no new or changed source file")
    # The job trains the quarterly-partitioned churn model: a new delivery retrains the running quarter.
    known = registered_quarters(context.instance) if context.instance_ref is not None else []
    # The newest trainable quarter; on a data home that has none yet, the running quarter, added with the run.
    key = known[-1] if known else quarter_key(dt.date.today())
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=hashlib.sha256(cursor.encode()).hexdigest()[:16],
                partition_key=key,
                tags={"radar/changed_files": ",".join(changed)[:200]},
            )
        ],
        dynamic_partitions_requests=[] if known else [QUARTERS.build_add_request([key])],
    )


SENSORS = [new_source_files]
