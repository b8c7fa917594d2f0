"""The Dagster code location: loads every stage in `defs/` and applies the cross-cutting policy once.

Policy: one in-process executor, because every step writes or reads the single-writer DuckDB warehouse and the
machine this targets has two cores; a subprocess per step would only add start-up time.
"""

from __future__ import annotations

import dagster as dg

from pipelines import defs as defs_package
from pipelines.defs.ingest.sensors import SENSORS
from pipelines.defs.jobs import JOBS, SCHEDULES
from pipelines.defs.resources import RadarResource, dbt_resource

defs = dg.Definitions(
    assets=dg.load_assets_from_package_module(defs_package),
    asset_checks=dg.load_asset_checks_from_package_module(defs_package),
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={"radar": RadarResource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
)
