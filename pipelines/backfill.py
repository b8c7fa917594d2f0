"""`radar backfill` as a real Dagster backfill: one partition backfill of `quarterly_retrain`, its runs executed here.

The backfill is recorded in the data home's instance (`instance.add_backfill`), so the Dagster UI's Backfills tab
lists it, with its quarters and their runs, exactly like one launched there. Its runs are not launched by the
daemon but executed in this process, one quarter at a time and oldest first, tagged `dagster/backfill` with its
id, which is how Dagster finds a backfill's runs: DuckDB has one writer, each quarter's promotion decision must
see the one before, and the terminal reports each quarter as it ends. The backfill is created with every
quarter marked as submitted, so a daemon that looks at it meanwhile (a `radar ui` left open) launches nothing;
its status is set when the last run has ended.

Dagster has no public constructor for a job backfill outside its GraphQL API; `PartitionBackfill` and the origin
types below are the ones the webserver's `launchPartitionBackfill` writes (checked against dagster 1.13.27).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import yaml

from pipelines.lib.core.paths import REPO_ROOT

if TYPE_CHECKING:
    import dagster as dg

    from pipelines.runner import RunOutcome

JOB = "quarterly_retrain"


def _location_name() -> str:
    """The code location's name as the UI loads it: workspace.yaml's `location_name` (the selector the
    Backfills tab resolves the backfill's partition set with)."""
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    return workspace["load_from"][0]["python_module"]["location_name"]


def _partition_set_origin():
    import sys

    from dagster._core.definitions.repository_definition.valid_definitions import SINGLETON_REPOSITORY_NAME
    from dagster._core.remote_origin import (
        ManagedGrpcPythonEnvCodeLocationOrigin,
        RemotePartitionSetOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.remote_representation.external_data import partition_set_snap_name_for_job_name
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name="pipelines.definitions",
            attribute="defs",
            working_directory=str(REPO_ROOT),
        ),
        location_name=_location_name(),
    )
    return RemotePartitionSetOrigin(
        repository_origin=RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME),
        partition_set_name=partition_set_snap_name_for_job_name(JOB),
    )


def create_backfill(
    instance: dg.DagsterInstance,
    keys: Sequence[str],
    *,
    selection: Sequence[dg.AssetKey],
    tags: dict[str, str],
) -> str:
    """Record a partition backfill of `quarterly_retrain` over ``keys`` (every quarter already submitted, see
    the module docstring); returns its id."""
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.utils import make_new_backfill_id
    from dagster._time import get_current_timestamp

    backfill_id = make_new_backfill_id()
    instance.add_backfill(
        PartitionBackfill(
            backfill_id=backfill_id,
            status=BulkActionStatus.REQUESTED,
            from_failure=False,
            tags=tags,
            backfill_timestamp=get_current_timestamp(),
            asset_selection=list(selection),
            title=f"radar backfill: {len(keys)} quarter(s)",
            description="Retrain each quarter in order (the churn model and everything after it), as `radar "
            "backfill` ran it; its runs were executed by the radar command, one at a time.",
            partition_set_origin=_partition_set_origin(),
            partition_names=list(keys),
            last_submitted_partition_name=keys[-1],
        )
    )
    return backfill_id


def run_tags(backfill_id: str) -> dict[str, str]:
    """The tags that make a run one of the backfill's: what the daemon would put on the runs it launches."""
    from dagster._core.remote_representation.external_data import partition_set_snap_name_for_job_name
    from dagster._core.storage.tags import BACKFILL_ID_TAG, PARTITION_SET_TAG

    return {BACKFILL_ID_TAG: backfill_id, PARTITION_SET_TAG: partition_set_snap_name_for_job_name(JOB)}


def finish_backfill(instance: dg.DagsterInstance, backfill_id: str, *, success: bool, stopped: bool) -> None:
    """Set the backfill's final status: completed (successfully or not), or canceled when it was stopped."""
    from dagster._core.execution.backfill import BulkActionStatus
    from dagster._time import get_current_timestamp

    backfill = instance.get_backfill(backfill_id)
    if backfill is None:
        return
    status = (
        BulkActionStatus.CANCELED
        if stopped
        else BulkActionStatus.COMPLETED_SUCCESS
        if success
        else BulkActionStatus.COMPLETED_FAILED
    )
    instance.update_backfill(backfill.with_status(status).with_end_timestamp(get_current_timestamp()))


def run_quarters(
    keys: Sequence[str],
    run: Callable[[str, dict[str, str]], RunOutcome],
    *,
    selection: Sequence[dg.AssetKey],
    tags: dict[str, str],
    stop_after: Callable[[RunOutcome], bool],
) -> tuple[str, list[tuple[str, RunOutcome]]]:
    """Create the backfill, run ``run(key, tags)`` for each quarter in order until ``stop_after`` says the data
    are the problem, and close the backfill with what happened; returns its id and the outcomes."""
    import dagster as dg

    outcomes: list[tuple[str, RunOutcome]] = []
    with dg.DagsterInstance.get() as instance:
        backfill_id = create_backfill(instance, keys, selection=selection, tags=tags)
        stopped = True
        try:
            for key in keys:
                outcome = run(key, {**tags, **run_tags(backfill_id)})
                outcomes.append((key, outcome))
                if stop_after(outcome):
                    break
            stopped = False
        finally:
            success = len(outcomes) == len(keys) and all(o.success for _, o in outcomes)
            finish_backfill(instance, backfill_id, success=success, stopped=stopped)
    return backfill_id, outcomes
