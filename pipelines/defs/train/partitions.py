"""Quarterly partitions of the training asset: one retrain, one MLflow run per quarter, as many as the data hold.

Dynamic partitions, because which quarters exist depends on the data, not the calendar: the `training_quarters`
asset adds every quarter from the first one whose history can train a model up to the quarter of the newest data
(the running quarter, trained on all data so far). A fixed calendar start would show years of partitions that
can never be trained, and a "materialize all" or backfill that launches runs that can only fail. Schedules,
backfills and `radar backfill` only ever see these keys.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines.lib.train.quarters import quarter_key

QUARTERS = dg.DynamicPartitionsDefinition(name="quarter")


def registered_quarters(instance: dg.DagsterInstance) -> list[str]:
    """The quarters the data home's instance knows, oldest first (ISO keys sort by date)."""
    return sorted(instance.get_dynamic_partitions(QUARTERS.name))


def latest_quarter(instance: dg.DagsterInstance, *, as_of: dt.date | None = None) -> str:
    """The quarter a run that trains is for: the quarter of ``as_of`` (scoring as of a date) if it is registered,
    else the newest registered quarter. On a data home that has none yet (the first run, before the data are
    read) it is the quarter of ``as_of`` or of today, added so the run can start; the run's `training_quarters`
    step then adds the quarters the data really hold."""
    keys = registered_quarters(instance)
    wanted = quarter_key(as_of) if as_of is not None else None
    if wanted in keys:
        return wanted
    if keys and wanted is None:
        return keys[-1]
    key = wanted or quarter_key(dt.date.today())
    instance.add_dynamic_partitions(QUARTERS.name, [key])
    return key


def add_quarters(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the quarters of ``keys`` the instance does not know yet, keeping the list in date order; returns them.

    The UI lists dynamic partitions in the order they were added, so the known ones after the earliest new quarter
    (the running quarter a first run was started for) are added again behind it. A key removed and added back
    keeps its runs and materialisations: Dagster records those by the key itself."""
    known = instance.get_dynamic_partitions(QUARTERS.name)
    added = sorted(set(keys) - set(known))
    if added:
        later = [k for k in known if k > added[0]]
        for key in later:
            instance.delete_dynamic_partition(QUARTERS.name, key)
        instance.add_dynamic_partitions(QUARTERS.name, sorted(set(later) | set(added)))
    return added
