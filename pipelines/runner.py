"""Run the pipeline from the command line, in-process, against the data home's own Dagster instance.

Runs started here show up in the Dagster UI (`radar ui`) exactly like runs launched there, because both use the
instance in ``$RADAR_HOME/dagster``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipelines.lib.core.paths import RadarPaths

if TYPE_CHECKING:
    from dagster import AssetKey

DAGSTER_YAML = """\
# Written by Retention Radar. DuckDB allows one writing process, so runs are queued one at a time and
# steps that write the warehouse share a pool of one.
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""
# With RADAR_DAGSTER_POSTGRES_URL set, runs, events and schedules go to PostgreSQL (dagster-postgres); the URL
# (and its password) stays in the environment, where Dagster reads it, not in the file.
POSTGRES_STORAGE_YAML = """\
storage:
  postgres:
    postgres_url:
      env: RADAR_DAGSTER_POSTGRES_URL
"""


def dagster_yaml(*, postgres: bool) -> str:
    """The data home's Dagster instance configuration: SQLite storage in the home, or PostgreSQL's."""
    return DAGSTER_YAML + (POSTGRES_STORAGE_YAML if postgres else "")


LEARNABILITY_CHECK = "learnability_gate"
# What a step listener hears: the plan (how many steps the run executes), each step's start and end, and the
# end of the run (after which no step runs, though a failed run leaves some of its plan unrun).
StepKind = Literal["plan", "start", "success", "failure", "skipped", "end"]
# The metadata key of a line an asset wants on the terminal (see RunOutcome.notices).
NOTICE = "notice"


@dataclass(frozen=True)
class StepEvent:
    """One step of a run as it happens; ``total`` is the number of steps the run executes (0 if unknown)."""

    kind: StepKind
    step: str
    total: int = 0


StepListener = Callable[[StepEvent], None]


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    failed_gates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # the learnability gate failed but the other gates passed: no model, the health score is the score
    fallback: list[str] = field(default_factory=list)
    # gates that failed as warnings (a short history where that is allowed): the run went on, and says so
    warnings: list[str] = field(default_factory=list)
    # what a step wants the user to know although nothing failed (an asset's `notice` metadata): training
    # windows fitted to a short history, a value model that could not be trained, ...
    notices: list[str] = field(default_factory=list)
    # the promotion decision's record, when the run made one
    decision: dict[str, Any] | None = None
    failed_steps: list[str] = field(default_factory=list)
    # what the extract found in the delivery (quarantined rows, empty tables, delimiters, tables not delivered)
    delivery: list[str] = field(default_factory=list)


def prepare_environment(
    paths: RadarPaths,
    *,
    config: Path | None = None,
    sources: Path | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Fix the environment once for this process: absolute data home, config, sources, as-of date, Dagster home
    (`load_config` reads the overrides back)."""
    os.environ["RADAR_HOME"] = str(paths.home)
    if config is not None:
        os.environ["RADAR_CONFIG"] = str(config.expanduser().resolve())
    if sources is not None:
        os.environ["RADAR_SOURCES"] = str(sources.expanduser().resolve())
    if as_of is not None:
        os.environ["RADAR_AS_OF"] = as_of.isoformat()
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    _write_dagster_yaml(paths.dagster_home / "dagster.yaml")
    from pipelines.defs.transform.project import ensure_manifest

    ensure_manifest()


def _write_dagster_yaml(path: Path) -> None:
    """Write the instance configuration the environment asks for; a file someone else wrote is left alone."""
    from pipelines.lib.core import environment

    wanted = dagster_yaml(postgres=environment.dagster_postgres_url() is not None)
    if not path.exists() or (path.read_text().startswith(DAGSTER_YAML) and path.read_text() != wanted):
        path.write_text(wanted)


def recover_home(paths: RadarPaths, *, config: Path | None = None) -> list[str]:
    """Before a run: take over from runs that died, finish a promotion decision a killed run left half done.

    Call it holding the home's writer lock, after :func:`prepare_environment`; returns one line per repair."""
    import dagster as dg

    from models_registry.registry import repair_interrupted
    from pipelines.lib.core.config import load_config
    from pipelines.lib.core.tracking import Tracking
    from pipelines.recovery import take_over_dead_runs

    with dg.DagsterInstance.get() as instance:
        lines = take_over_dead_runs(instance)
    settings = load_config(config)
    tracking = Tracking.for_home(paths, settings.training.experiment)
    if tracking.exists():
        client = tracking.client()
        repaired = repair_interrupted(settings.training.model_name, client=client, log_path=paths.decision_log)
        if repaired:
            lines.append(repaired)
    return lines


def run_job(
    job_name: str = "retention_radar",
    *,
    log_level: str = "WARNING",
    partition_key: str | None = None,
    asset_selection: Sequence[AssetKey] | None = None,
    tags: dict[str, str] | None = None,
    on_step: StepListener | None = None,
) -> RunOutcome:
    """Run a job in this process against the data home's Dagster instance (the runs show in the UI).

    ``partition_key`` defaults to the newest quarter for a partitioned job (none when ``asset_selection``
    holds no partitioned asset); ``asset_selection`` runs part of the job, as the UI's "materialize selected"
    does; ``on_step`` hears each step start and end while the run executes (the terminal's progress)."""
    import uuid

    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.recovery import process_tags

    job = defs().resolve_job_def(job_name)
    # Lets a later run see whether this process still runs (pipelines/recovery.py).
    tags = {**(tags or {}), **process_tags()}
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.get() as instance:
        if on_step is not None:
            # The instance calls its listeners for every event it stores, in the run's own thread.
            instance.add_event_listener(run_id, _step_events(on_step))
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            partition_key=partition_key or _partition_key(job, instance, asset_selection),
            asset_selection=asset_selection,
            tags=tags,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    if on_step is not None:
        on_step(StepEvent("end", ""))
    evaluations = [
        e for e in result.get_asset_check_evaluations() if not e.passed and e.check_name.endswith("_gate")
    ]
    warned = [e for e in evaluations if e.severity == dg.AssetCheckSeverity.WARN]
    failed = [e for e in evaluations if e.severity != dg.AssetCheckSeverity.WARN]
    lines = {e.check_name: e.description or f"gate '{e.check_name}' failed" for e in failed}
    blocking = [line for name, line in lines.items() if name != LEARNABILITY_CHECK]
    # A failed blocking check fails its own step; that is the gate speaking, not an error of the run.
    gate_steps = {e.check_name for e in failed}
    failures = [
        event
        for event in result.all_events
        if event.is_step_failure
        and event.step_failure_data is not None
        and not any(event.step_key.endswith(name) for name in gate_steps)
    ]
    errors = [f"{event.step_key}: {_failure_line(event.step_failure_data)}" for event in failures]
    fallback = [lines[LEARNABILITY_CHECK]] if LEARNABILITY_CHECK in lines and not blocking else []
    published = any(
        e.asset_key.to_user_string() == "health_scores" for e in result.get_asset_materialization_events()
    )
    decided = "champion_decision" in {e.step_key for e in result.get_step_success_events()}
    return RunOutcome(
        success=(result.success or (bool(fallback) and published)) and not blocking and not errors,
        run_id=result.run_id,
        failed_gates=blocking,
        errors=errors,
        fallback=fallback,
        warnings=[e.description or f"gate '{e.check_name}' failed" for e in warned],
        notices=[
            f"{event.asset_key.to_user_string()}: {event.materialization.metadata[NOTICE].value}"
            for event in result.get_asset_materialization_events()
            if NOTICE in event.materialization.metadata
        ],
        decision=result.output_for_node("champion_decision") if decided else None,
        failed_steps=[event.step_key for event in failures],
        delivery=delivery_lines(result.get_asset_materialization_events()),
    )


def _step_events(on_step: StepListener) -> Callable[[Any], None]:
    """An event-log listener that turns Dagster's step events into :class:`StepEvent`s.

    The in-process executor announces its plan in one engine event whose metadata lists the step keys; steps
    that never run because an upstream step failed are abandoned without an event, so a failed run may end
    before ``total``."""
    import ast

    from dagster import DagsterEventType

    kinds: dict[DagsterEventType, StepKind] = {
        DagsterEventType.STEP_START: "start",
        DagsterEventType.STEP_SUCCESS: "success",
        DagsterEventType.STEP_FAILURE: "failure",
        DagsterEventType.STEP_SKIPPED: "skipped",
    }
    total = [0]

    def hear(entry: Any) -> None:
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == DagsterEventType.ENGINE_EVENT and not total[0]:
            planned = event.engine_event_data.metadata.get("step_keys") if event.engine_event_data else None
            if planned is not None:
                total[0] = len(ast.literal_eval(planned.value))
                on_step(StepEvent("plan", "", total[0]))
        elif event.event_type in kinds and event.step_key:
            on_step(StepEvent(kinds[event.event_type], event.step_key, total[0]))

    def listen(entry: Any) -> None:
        # The listener runs inside Dagster's event storage: a display that fails must not fail the run it shows.
        try:
            hear(entry)
        except Exception:
            logging.getLogger(__name__).debug("step listener failed", exc_info=True)

    return listen


def delivery_lines(events: Sequence[Any]) -> list[str]:
    """The extract's notes from the ``raw/*`` materialisations, one line per problem, and the line naming the
    tables not delivered: the terminal shows them, not only the log."""
    from pipelines.lib.ingest.contract import CONTRACT, missing_tables_message
    from pipelines.lib.ingest.raw_zone import ABSENT
    from pipelines.lib.ingest.tombstones import kept_out_line

    lines: list[str] = []
    absent: set[str] = set()
    kept_out: dict[str, int] = {}
    extracted = 0
    for event in events:
        path = event.asset_key.path
        if path[0] != "raw":
            continue
        extracted += 1
        metadata = event.materialization.metadata
        if "notes" in metadata and metadata["notes"].value:
            lines.extend(str(metadata["notes"].value).splitlines())
        if "status" in metadata and metadata["status"].value in ABSENT:
            absent.add(path[-1])
        if "forgotten_rows" in metadata:
            kept_out[path[-1]] = int(metadata["forgotten_rows"].value)
    if absent and extracted == len(CONTRACT):  # an extract that stopped early has said why
        lines.append(missing_tables_message([t for t in CONTRACT if t in absent]))
    if line := kept_out_line(kept_out):
        lines.append(line)
    return lines


def backfill_quarters(quarters: int, keys: Sequence[str], *, through: str | None = None) -> list[str]:
    """The partition keys of ``quarters`` quarters ending with the one holding ``through`` (an ISO date; default
    the newest), oldest first, out of ``keys``: the quarters the data can train (`training_quarters`)."""
    from pipelines.lib.train.quarters import quarter_key

    keys = sorted(keys)
    if not keys:
        raise ValueError("no quarter of the data has enough matured labels to train a churn model")
    last = quarter_key(dt.date.fromisoformat(through)) if through else keys[-1]
    if last not in keys:
        raise ValueError(
            f"quarter {last} cannot be trained on this data (the trainable quarters run from {keys[0]} to "
            f"{keys[-1]})"
        )
    return keys[: keys.index(last) + 1][-quarters:]


def refresh_data(
    *, log_level: str = "WARNING", tags: dict[str, str] | None = None, on_step: StepListener | None = None
) -> RunOutcome:
    """The data part of the quarterly retrain as one unpartitioned run: extract, marts, gates, and the quarters
    the data can train (which a backfill's quarters are chosen from). Everything that does not follow from the
    churn model, so dbt builds and tests every model of the project, as in a whole run."""
    import dagster as dg

    from pipelines.definitions import defs

    selection = list(
        (dg.AssetSelection.all() - dg.AssetSelection.assets("churn_model").downstream()).resolve(
            defs().resolve_asset_graph()
        )
    )
    return run_job(
        "quarterly_retrain", log_level=log_level, asset_selection=selection, tags=tags, on_step=on_step
    )


def trainable_quarters() -> list[str]:
    """The quarters the data home's instance knows (added by `training_quarters`), oldest first."""
    import dagster as dg

    from pipelines.defs.train.partitions import registered_quarters

    with dg.DagsterInstance.get() as instance:
        return registered_quarters(instance)


def run_backfill(
    keys: Sequence[str],
    *,
    log_level: str = "WARNING",
    on_done: Callable[[str, RunOutcome], None] | None = None,
    on_step: Callable[[str], StepListener | None] | None = None,
) -> tuple[str, list[tuple[str, RunOutcome]]]:
    """A Dagster partition backfill of the quarterly retrain, one run per quarter, oldest first and one at a time
    in this process (pipelines/backfill.py); returns the backfill's id and each quarter's outcome;
    ``on_step(key)`` gives each quarter's step listener (the terminal's progress).

    Every run starts from the retrain (the churn model and everything after it: drift, promotion decision,
    scores, review) on the data :func:`refresh_data` has just built and gated. Each quarter is decided in turn,
    so the decision log reads like the quarters had run on their schedule; a quarter that cannot be trained
    fails alone and the next one runs. It stops when the data itself is the problem: too few churns to learn
    from, or a failed step before the retrain."""
    import dagster as dg

    from pipelines.backfill import run_quarters
    from pipelines.definitions import defs

    retrain_onwards = list(
        dg.AssetSelection.assets("churn_model").downstream().resolve(defs().resolve_asset_graph())
    )
    retrain_steps = {key.to_python_identifier() for key in retrain_onwards}

    def _run(key: str, tags: dict[str, str]) -> RunOutcome:
        outcome = run_job(
            "quarterly_retrain",
            log_level=log_level,
            partition_key=key,
            asset_selection=retrain_onwards,
            tags=tags,
            on_step=on_step(key) if on_step is not None else None,
        )
        if on_done is not None:
            on_done(key, outcome)
        return outcome

    def _stop(outcome: RunOutcome) -> bool:
        refresh_failed = any(step not in retrain_steps for step in outcome.failed_steps)
        return bool(outcome.failed_gates or outcome.fallback or refresh_failed)

    return run_quarters(keys, _run, selection=retrain_onwards, tags={}, stop_after=_stop)


def _partition_key(job, instance, asset_selection: Sequence[AssetKey] | None) -> str | None:
    """A run that trains is for the newest quarter the data can train, or, scoring as of a date (`--as-of`),
    the quarter of that date; a run that selects no partitioned asset has no partition."""
    if job.partitions_def is None:
        return None
    if asset_selection is not None:
        graph = job.asset_layer.asset_graph
        if not any(graph.get(key).partitions_def is not None for key in asset_selection if graph.has(key)):
            return None
    from pipelines.defs.train.partitions import latest_quarter
    from pipelines.lib.core.config import load_config

    return latest_quarter(instance, as_of=load_config().scoring.as_of)


def _failure_line(failure) -> str:
    """The one line a person needs: a dg.Failure's own description, else the innermost exception's message."""
    if failure.user_failure_data is not None and failure.user_failure_data.description:
        return failure.user_failure_data.description.strip().splitlines()[0]
    error = failure.error
    while error is not None and error.cause is not None:
        error = error.cause
    message = (error.message if error is not None else "").strip()
    return message.splitlines()[0] if message else "failed (see the Dagster UI)"
