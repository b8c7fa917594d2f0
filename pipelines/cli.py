"""`radar`: generate demo sources, run the pipeline, show its state, open the UIs.

Heavy libraries (Dagster, MLflow, GE, Evidently) are imported inside the commands that need them, so that
`radar --help` answers at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from pipelines.lib.core.config import ConfigError, load_config
from pipelines.lib.core.paths import RadarPaths


def _paths() -> RadarPaths:
    return RadarPaths.from_env()


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"radar: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Retention Radar: warn months before a B2B customer leaves. Data home: $RADAR_HOME (default ./.radar)."""
    # The data home holds customer records: what radar and its children (dbt, MLflow) create there is the
    # owner's alone, folders 0700 and files 0600.
    os.umask(0o077)
    # MLflow draws a progress bar for every artifact it downloads (the review reads a few): noise on a terminal.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder to write to.")
@click.option("--customers", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--months", type=click.IntRange(min=1), default=36, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-10-31",
    show_default=True,
    help="Last day of the history (a month-end).",
)
@click.option(
    "--format", "file_format", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@click.option(
    "--defects",
    "defects_spec",
    default=None,
    metavar="SPEC",
    help="Make records faulty on purpose: one share for every kind (0.02), or KIND=SHARE,... with kinds "
    "missing, bad_date, duplicates, orphans, out_of_range, late. True counts go to _truth/defects.json.",
)
@click.option(
    "--drift",
    "drift_months",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Inject drift into the latest N months (order amounts, logins, page views, reply times); "
    "recorded in _truth/drift.json.",
)
@click.option(
    "--drift-strength",
    type=click.FloatRange(min=0, min_open=True, max=1),
    default=0.5,
    show_default=True,
    help="Relative size of the drift: 0.5 = values 50% higher.",
)
@click.option(
    "--transactions-only",
    is_flag=True,
    help="A non-contractual retail customer base instead: only accounts and orders (one-time buyers, "
    "regulars, wholesalers, seasons, lapses, silent dropout); truth in _truth/customers.parquet.",
)
def generate(
    out_dir: Path,
    customers: int,
    months: int,
    seed: int,
    end: dt.datetime,
    file_format: str,
    defects_spec: str | None,
    drift_months: int,
    drift_strength: float,
    transactions_only: bool,
) -> None:
    """Write demo source systems (the v1 source contract) plus their _truth/ into OUT."""
    from pipelines.lib.simulate import generate_sources
    from pipelines.lib.simulate.retail import generate_transactions

    try:
        defects = parse_defects(defects_spec)
    except ValueError as exc:
        _fail(f"--defects: {exc}", 2)
    if transactions_only and (defects or drift_months):
        _fail("--transactions-only cannot be combined with --defects or --drift", 2)
    started = time.perf_counter()
    if transactions_only:
        rows = generate_transactions(
            out_dir, customers=customers, months=months, seed=seed, end=end.date(), file_format=file_format
        )
    else:
        rows = generate_sources(
            out_dir,
            customers=customers,
            months=months,
            seed=seed,
            end=end.date(),
            file_format=file_format,
            progress=sys.stderr.isatty(),
            defects=defects,
            drift_months=drift_months,
            drift_strength=drift_strength,
        )
    click.echo(
        f"wrote {out_dir} in {time.perf_counter() - started:.1f}s: "
        + ", ".join(f"{t} {n:,}" for t, n in rows.items() if not t.startswith("_"))
    )


def parse_defects(spec: str | None) -> dict[str, float]:
    """``0.02`` (every kind) or ``missing=0.01,duplicates=0.02`` -> {kind: share}."""
    from pipelines.lib.simulate.defects import KINDS

    if not spec:
        return {}
    try:
        if "=" not in spec:
            shares = dict.fromkeys(KINDS, float(spec))
        else:
            pairs = [part.split("=", 1) for part in spec.split(",") if part.strip()]
            shares = {kind.strip(): float(value) for kind, value in pairs}
    except ValueError:
        raise ValueError(f"cannot read {spec!r}; use 0.02 or KIND=SHARE,...") from None
    unknown = sorted(set(shares) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}; kinds are {', '.join(KINDS)}")
    if not all(0 <= v <= 0.2 for v in shares.values()):
        raise ValueError("each share must be between 0 and 0.2")
    return shares


_NO_WAIT = click.option(
    "--no-wait",
    "no_wait",
    is_flag=True,
    help="If another run holds the data home, exit at once (code 75) instead of waiting for it.",
)


@contextlib.contextmanager
def _writing(paths: RadarPaths, *, wait: bool = True, command: str | None = None) -> Iterator[None]:
    """Hold the data home as its only writer for the block (pipelines/lib/core/home_lock.py).

    A second writer says once whom it waits for, or with ``--no-wait`` exits 75 naming the holder. ``command``
    is how the lock file names the holder (default: its command line)."""
    from pipelines.lib.core.home_lock import EXIT_BUSY, HomeBusyError, writer_lock

    def _say(holder: object) -> None:
        who = holder.describe() if holder is not None else "another radar process"
        click.echo(f"radar: waiting for the data home {paths.home}: {who} holds it", err=True)

    try:
        with writer_lock(paths.home, wait=wait, on_wait=_say, command=command):
            yield
    except HomeBusyError as exc:
        _fail(str(exc), EXIT_BUSY)


@contextlib.contextmanager
def _reading(paths: RadarPaths) -> Iterator[None]:
    """Read the data home only while no run writes it; otherwise exit 75 with "a run is writing, try again".

    Opening the warehouse under a writer would fail, or make the writer fail (DuckDB: one writer or many
    readers). A writer that does not take the home lock (a run launched from the Dagster UI) is caught by
    DuckDB's own lock and answered the same way."""
    import duckdb

    from pipelines.lib.core.home_lock import EXIT_BUSY, HomeBusyError, reader_lock

    try:
        with reader_lock(paths.home):
            yield
    except HomeBusyError as exc:
        _fail(str(exc), EXIT_BUSY)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        _fail(f"a run is writing the data home {paths.home}; try again when it has finished", EXIT_BUSY)


def _pipeline_options(command: Callable[..., None]) -> Callable[..., None]:
    """--sources, --config, --as-of and --verbose: the same options for every command that runs the pipeline."""
    options = [
        click.option(
            "--sources",
            type=click.Path(path_type=Path),
            default=None,
            help="A source folder (<table>.csv / .parquet). Default: what radar.yaml says (demo data).",
        ),
        click.option(
            "--config",
            type=click.Path(path_type=Path, exists=True, dir_okay=False),
            default=None,
            help="A configuration file. Default: $RADAR_CONFIG or the shipped radar.yaml.",
        ),
        click.option(
            "--as-of",
            "as_of",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            help="Score as of this day (YYYY-MM-DD): every step sees only events dated on or before it. "
            "Default: scoring.as_of in the configuration, else the newest event.",
        ),
        click.option(
            "--verbose", "-v", is_flag=True, help="Show every step's log, not only warnings and errors."
        ),
        _NO_WAIT,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextlib.contextmanager
def _output_to(log: Path | None) -> Iterator[None]:
    """Send what the libraries print during a run (dbt's progress, Dagster's and MLflow's logs, progress bars)
    to ``log`` instead of the terminal, which then shows only the verdict; ``None`` leaves the terminal alone.
    dagster-dbt writes every dbt event to stdout and has no switch for it."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        log.open("w", encoding="utf-8") as out,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        yield


def _checked_paths(sources: Path | None, config: Path | None, as_of: dt.date | None = None) -> RadarPaths:
    """The data home, once the configuration loads and the sources folder exists (exit 2 with one line if not)."""
    if sources is not None and not sources.is_dir():
        _fail(f"sources folder {sources} does not exist", 2)
    try:
        load_config(config, sources=sources, as_of=as_of)
    except ConfigError as exc:
        _fail(str(exc), 2)
    return _paths()


def _prepare_run(
    paths: RadarPaths, sources: Path | None, config: Path | None, as_of: dt.date | None = None
) -> None:
    """Fix the environment and repair what a dead run left behind, saying so; under the writer lock."""
    from pipelines.runner import prepare_environment, recover_home

    prepare_environment(paths, config=config, sources=sources, as_of=as_of)
    for line in recover_home(paths, config=config):
        click.echo(f"radar: {line}", err=True)


def _run(
    sources: Path | None,
    config: Path | None,
    *,
    as_of: dt.date | None = None,
    verbose: bool = False,
    job_name: str = "retention_radar",
) -> None:
    """One run of the whole job; the caller holds the writer lock."""
    from pipelines.lib.core.processes import children_stopped_on_signal
    from pipelines.progress import RunProgress
    from pipelines.runner import run_job

    paths = _checked_paths(sources, config, as_of)
    _prepare_run(paths, sources, config, as_of)
    started = time.perf_counter()
    if not verbose:
        click.echo(f"running the pipeline; its output goes to {paths.run_log} (radar run -v shows it here)")
    # The progress bar takes the terminal before the run's output is sent to the run log (-v: the log is shown).
    with (
        children_stopped_on_signal(say="run stopped"),
        RunProgress(enabled=False if verbose else None) as progress,
        _output_to(None if verbose else paths.run_log),
    ):
        outcome = run_job(
            job_name, log_level="INFO" if verbose else "WARNING", on_step=progress.listener("pipeline")
        )
    elapsed = time.perf_counter() - started
    where = "" if verbose else f" (full log: {paths.run_log})"
    if not verbose:  # with -v the log above already showed them
        for line in outcome.delivery:
            click.echo(f"radar: delivery: {line}", err=True)
    if outcome.failed_gates:
        for line in outcome.failed_gates:
            click.echo(f"radar: training blocked: {line}", err=True)
        click.echo(f"radar: the gates' figures are in `radar status` and the Dagster UI{where}", err=True)
        sys.exit(3)
    if not outcome.success:
        for line in outcome.errors or [f"run {outcome.run_id} failed; see the Dagster UI"]:
            click.echo(f"radar: {line}{where}", err=True)
        sys.exit(1)
    for line in outcome.warnings:
        click.echo(f"radar: warning: {line}", err=True)
    for line in outcome.notices:
        click.echo(f"radar: note: {line}", err=True)
    for line in outcome.fallback:
        click.echo(
            f"radar: warning: no model trained, {line}; scores are the rule-based health score "
            "(score_source=health_score_fallback)",
            err=True,
        )
    click.echo(f"run {outcome.run_id} succeeded in {elapsed:.0f}s")


@main.command()
@_pipeline_options
def run(
    sources: Path | None, config: Path | None, as_of: dt.datetime | None, verbose: bool, no_wait: bool
) -> None:
    """Materialise every asset: extract, build marts, gate, train, check drift, promote, score.

    One run per data home at a time: a second one waits for the first (or, with --no-wait, exits 75)."""
    with _writing(_paths(), wait=not no_wait):
        _run(sources, config, as_of=as_of.date() if as_of else None, verbose=verbose)
        _print_summary()


@main.command()
@_pipeline_options
def score(
    sources: Path | None, config: Path | None, as_of: dt.datetime | None, verbose: bool, no_wait: bool
) -> None:
    """The monthly run, without training: extract, build marts, gate, value, score with the current champion,
    follow up earlier scores (the `monthly_scoring` job, as its schedule runs it).

    What a month's new delivery needs: the raw zone appends only the new rows, dbt builds only the new snapshot
    month, and no model is trained; `radar run` (or the quarterly schedule) retrains. Without a champion yet the
    scores are the rule-based health score, as in a run whose first model was held back."""
    with _writing(_paths(), wait=not no_wait):
        _run(
            sources,
            config,
            as_of=as_of.date() if as_of else None,
            verbose=verbose,
            job_name="monthly_scoring",
        )
        _print_summary()


@main.command()
@click.option("--verbose", "-v", is_flag=True, help="Show every step's log, not only warnings and errors.")
@_NO_WAIT
def demo(verbose: bool, no_wait: bool) -> None:
    """Run everything on generated demo data, then say what happened and where to look."""
    paths = _paths()
    with _writing(paths, wait=not no_wait):
        _run(None, None, verbose=verbose)
        _print_summary()


def _print_summary() -> None:
    from pipelines.lib.report.status import collect

    _summary_lines(collect(_paths(), load_config()))


def _summary_lines(state: dict) -> None:
    from pipelines.lib.quality.gates import GateResult

    scoring, champ = state["scoring"], state["champion"]
    click.echo(f"sources: {state['sources']['folder']}")
    for gate in state["gates"]:
        click.echo(
            "  "
            + GateResult(
                gate["name"],
                gate["passed"],
                gate["value"],
                gate["threshold"],
                gate["unit"],
                blocking=gate.get("blocking", True),
            ).one_line()
        )
    if champ:
        m = champ["metrics"]
        click.echo(
            f"champion: {champ['model_name']} v{champ['version']}  roc_auc {m.get('roc_auc', float('nan')):.3f}"
            f"  pr_auc {m.get('pr_auc', float('nan')):.3f}"
        )
    if state["last_decision"]:
        d = state["last_decision"]
        click.echo(
            f"last decision: v{d['version']} {'promoted' if d['promoted'] else 'kept as challenger'}: "
            + "; ".join(d["reasons"])
        )
    if scoring is None:
        click.echo(state["scores"])
    elif scoring["score_source"] == "health_score_fallback":
        why = (
            "no champion model yet" if state["held_back"] else "the learnability gate failed, no model trained"
        )
        click.echo(f"scores: rule-based health score (fallback: {why})")
    if scoring is not None:
        click.echo(
            f"scored {scoring['customers']:,} customers as of {scoring['as_of']}: "
            + ", ".join(f"{t} {n:,}" for t, n in scoring["tiers"].items())
        )
        _warning_lines(scoring)
    click.echo(f"quarterly review: {state['quarterly_review'] or '(none yet: radar report builds it)'}")
    click.echo(f"data docs: {state['data_docs']}")
    if state.get("mlflow_runs"):
        click.echo(f"MLflow runs: {state['mlflow_runs']}")
    click.echo(f"drift report: {state['drift_report']}")
    click.echo(f"scores export: {state['scores_export']}")
    width = max(len(c["command"]) for c in state["next_commands"])
    click.echo(
        "\nNext:\n" + "\n".join(f"  {c['command']:<{width}}  # {c['what']}" for c in state["next_commands"])
    )


def _warning_lines(scoring: dict) -> None:
    """Who gets a warning, from which cut-offs, and how many churners such warnings reached on validation."""
    if scoring["cutoffs"] is None:
        return
    click.echo(f"  warned {scoring['warned']:,} (tiers {scoring['cutoffs']['line']})")
    w = scoring["warnings"]
    if w["recall"] is not None:
        reached = (
            f"{w['churners_warned']:,} of the {w['validation_churners']:,} churners"
            if w["churners_warned"] is not None
            else "of the churners"
        )
        click.echo(
            f"  on the champion's validation months ({w['validation_start']} to {w['validation_end']}) these "
            f"cut-offs warned {reached} ({w['recall']:.0%})"
        )


def _strict_json(value: object) -> object:
    """NaN and infinities as null: `radar status --json` must parse with jq and any strict JSON reader."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict_json(v) for v in value]
    return value


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def status(as_json: bool) -> None:
    """The state of this data home: sources, gates, champion, scores, reports.

    Exits 0 once customers are scored; 3 when none are because a data gate blocked the runs (the gates are
    shown); 1 when there is nothing to show yet; 75 while a run is writing the data home (try again)."""
    from pipelines.lib.report.status import NoSuccessfulRunError, blocked, collect

    paths = _paths()
    with _reading(paths):
        try:
            state = collect(paths, load_config())
        except (NoSuccessfulRunError, ConfigError) as exc:
            _fail(str(exc))
    if as_json:
        click.echo(json.dumps(_strict_json(state), indent=2, default=str, allow_nan=False))
    else:
        _summary_lines(state)
    if blocked(state):
        click.echo(f"radar: {state['scores']}", err=True)
        sys.exit(3)
    if state["scoring"] is None:
        sys.exit(1)


@main.command()
@click.option(
    "--quarters",
    type=click.IntRange(min=1, max=40),
    default=4,
    show_default=True,
    help="How many quarters, counting back from --through.",
)
@click.option(
    "--through",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The newest quarter to retrain, as any day in it (default: the running quarter).",
)
@_pipeline_options
def backfill(
    quarters: int,
    through: dt.datetime | None,
    sources: Path | None,
    config: Path | None,
    as_of: dt.datetime | None,
    verbose: bool,
    no_wait: bool,
) -> None:
    """Retrain the last QUARTERS quarters in order through Dagster; the last run rebuilds the quarterly review.

    One partitioned run of the `quarterly_retrain` job per quarter, oldest first and one at a time (DuckDB has
    one writer), as a backfill launched in the Dagster UI would; each quarter sees only the data up to its own
    last day and gets its own promotion decision. The first run refreshes the data and passes the gates; the
    others start from the retrain. A quarter too early to train fails alone; a failed refresh, a blocking gate or
    too few churns to learn from stops the backfill. Exits 1 if a quarter failed, 3 if a data gate blocked,
    75 with --no-wait if another run holds the data home."""
    day = as_of.date() if as_of else None
    paths = _checked_paths(sources, config, day)
    with _writing(paths, wait=not no_wait):
        _backfill(paths, quarters, through, sources, config, day, verbose)


def _backfill(
    paths: RadarPaths,
    quarters: int,
    through: dt.datetime | None,
    sources: Path | None,
    config: Path | None,
    as_of: dt.date | None,
    verbose: bool,
) -> None:
    from pipelines.lib.core.processes import children_stopped_on_signal
    from pipelines.progress import RunProgress
    from pipelines.runner import (
        RunOutcome,
        backfill_quarters,
        refresh_data,
        run_backfill,
        trainable_quarters,
    )

    _prepare_run(paths, sources, config, as_of)
    clock = [time.perf_counter()]
    # The per-quarter verdicts go to the terminal (above the progress bars) while the runs' output goes to the
    # run log; the display holds the terminal's stdout and stderr from before the redirection.
    progress = RunProgress(enabled=False if verbose else None)

    def _report(key: str, outcome: RunOutcome) -> None:
        elapsed, clock[0] = time.perf_counter() - clock[0], time.perf_counter()
        if outcome.failed_gates:
            for line in outcome.failed_gates:
                progress.echo(f"  {key}: training blocked: {line}", err=True)
        elif not outcome.success:
            progress.echo(f"  {key}: failed: {'; '.join(outcome.errors) or outcome.run_id}", err=True)
        elif outcome.decision is not None:
            d = outcome.decision
            verdict = "promoted to champion" if d["promoted"] else f"kept as {d['alias']}"
            progress.echo(f"  {key}: v{d['version']} {verdict} ({elapsed:.0f}s): {'; '.join(d['reasons'])}")
        else:
            progress.echo(f"  {key}: run {outcome.run_id} succeeded ({elapsed:.0f}s)")
        for line in outcome.notices:
            if line.startswith("churn_model: "):
                progress.echo(f"    {line}")

    if not verbose:
        click.echo(f"the runs' output goes to {paths.run_log} (radar backfill -v shows it here)")
    refused = ""
    keys: list[str] = []
    with (
        children_stopped_on_signal(say="backfill stopped"),
        progress,
        _output_to(None if verbose else paths.run_log),
    ):
        # The data are refreshed and gated once; the quarters to retrain are the ones they can train.
        refreshed = refresh_data(
            log_level="INFO" if verbose else "WARNING", on_step=progress.listener("data refresh")
        )
        if refreshed.success and not refreshed.fallback:
            try:
                keys = backfill_quarters(
                    quarters, trainable_quarters(), through=through.date().isoformat() if through else None
                )
            except ValueError as exc:
                refused = str(exc)
    if not refreshed.success or refreshed.fallback:
        for line in refreshed.failed_gates:
            click.echo(f"  data refresh: training blocked: {line}", err=True)
        for line in refreshed.errors:
            click.echo(f"  data refresh: failed: {line}", err=True)
        for line in refreshed.fallback:
            click.echo(f"radar: backfill stopped: no model can be trained, {line}", err=True)
        sys.exit(3 if refreshed.failed_gates else 1)
    if not keys:
        _fail(f"--through: {refused}" if through else refused, 2)
    click.echo(f"data refreshed and gated ({time.perf_counter() - clock[0]:.0f}s)")
    click.echo(f"backfilling {len(keys)} quarter(s) of quarterly_retrain, oldest first: {', '.join(keys)}")
    clock[0] = time.perf_counter()
    progress = RunProgress(enabled=False if verbose else None)
    with (
        children_stopped_on_signal(say="backfill stopped"),
        progress,
        _output_to(None if verbose else paths.run_log),
    ):
        backfill_id, outcomes = run_backfill(
            keys,
            log_level="INFO" if verbose else "WARNING",
            on_done=_report,
            on_step=lambda key: progress.listener(f"quarter {key}"),
        )
    click.echo(f"Dagster backfill {backfill_id} (the Backfills tab of `radar ui` lists it with its runs)")
    for line in outcomes[-1][1].fallback:
        click.echo(f"radar: backfill stopped: no model can be trained, {line}", err=True)
    reviews = sorted(paths.reports.glob("quarterly_review_*.html"), key=lambda p: p.stat().st_mtime)
    if not outcomes[-1][1].success:
        from pipelines.lib.report.review import build_review

        # The last run did not reach the review; rebuild it from what the other quarters recorded.
        reviews = [build_review(paths, load_config(config)).path]
    if reviews:
        click.echo(f"quarterly review: {reviews[-1]}")
    if any(o.failed_gates for _, o in outcomes):
        sys.exit(3)
    if len(outcomes) < len(keys) or not all(o.success and not o.fallback for _, o in outcomes):
        sys.exit(1)


@main.command()
def report() -> None:
    """Build the quarterly model review (one HTML file) from the current data home and print its path.

    Exits 75 while a run is writing the data home (try again when it has finished)."""
    from pipelines.lib.report.kpis import InterventionsError
    from pipelines.lib.report.review import build_review

    paths = _paths()
    if not paths.warehouse.exists():
        _fail(f"no warehouse at {paths.warehouse} yet (run `radar run`)")
    with _reading(paths):
        try:
            review = build_review(paths, load_config())
        except (ConfigError, InterventionsError) as exc:
            _fail(str(exc))
    if review.missing:
        click.echo(f"sections without data yet: {', '.join(review.missing)}", err=True)
    click.echo(str(review.path))


@main.command()
@click.option("--approve", "version", required=True, help="The model version to make champion.")
@click.option("--reason", required=True, help="Why; recorded in the decision log and on the version.")
@click.option("--by", "approver", default=None, help="Who approves (default: the current user).")
def promote(version: str, reason: str, approver: str | None) -> None:
    """Make a model version champion by explicit human approval, overriding the promotion policy."""
    import getpass

    from models_registry.registry import RegistryError, approve

    paths, config, client = _registry_context()
    with _writing(paths):
        _repair_decision(paths, config, client)
        try:
            record = approve(
                config.training.model_name,
                version,
                reason=reason,
                approver=approver or getpass.getuser(),
                client=client,
                log_path=paths.decision_log,
            )
        except RegistryError as exc:
            _fail(str(exc))
    click.echo(f"version {record['version']} is champion (was {record['previous_champion'] or 'none'})")


@main.command()
@click.option("--reason", default="manual rollback", show_default=True, help="Recorded in the decision log.")
def rollback(reason: str) -> None:
    """Give `champion` back to the previous champion, as recorded in the decision log."""
    from models_registry.registry import RegistryError
    from models_registry.registry import rollback as do_rollback

    paths, config, client = _registry_context()
    with _writing(paths):
        _repair_decision(paths, config, client)
        try:
            record = do_rollback(
                config.training.model_name, reason=reason, client=client, log_path=paths.decision_log
            )
        except RegistryError as exc:
            _fail(str(exc))
    click.echo(f"version {record['version']} is champion again (was {record['previous_champion']})")


def _repair_decision(paths: RadarPaths, config, client) -> None:
    """Finish (or undo) a promotion decision a killed run left half done, before deciding anything new."""
    from models_registry.registry import repair_interrupted

    line = repair_interrupted(config.training.model_name, client=client, log_path=paths.decision_log)
    if line:
        click.echo(f"radar: {line}", err=True)


def _registry_context():
    """The data home, its configuration and a client of its model registry."""
    from pipelines.lib.core.tracking import Tracking

    paths, config = _paths(), load_config()
    tracking = Tracking.for_home(paths, config.training.experiment)
    if not tracking.exists():
        _fail(f"no model registry at {paths.mlflow_db} yet (run `radar run`)")
    return paths, config, tracking.client()


@main.command()
@click.argument("customer_ids", nargs=-1, required=True, metavar="CUSTOMER_ID...")
@click.option("--reason", required=True, help="Why (e.g. the erasure request's reference); in the erasure log.")
@click.option(
    "--undo",
    is_flag=True,
    help="Remove the customers' tombstones instead: their rows load again from the next delivery.",
)
@_NO_WAIT
def forget(customer_ids: tuple[str, ...], reason: str, undo: bool, no_wait: bool) -> None:
    """Erase customers from every layer of the data home and keep them out of later loads (right to erasure).

    Raw zone, every warehouse table, exports, alerts, reports, MLflow, Dagster's run history and the logs; a
    tombstone drops their rows from any later delivery. What was removed goes to privacy/erasures.jsonl, the
    customers as keyed hashes. Takes the data home's writer lock, as `radar run` does."""
    import sqlite3

    import duckdb

    from pipelines.lib.core.home_lock import EXIT_BUSY
    from pipelines.lib.core.pseudonym import key_for
    from pipelines.lib.privacy.forget import ErasureError, log_path
    from pipelines.lib.privacy.forget import forget as do_forget
    from pipelines.lib.privacy.forget import undo as do_undo

    paths = _paths()
    if not paths.home.is_dir():
        _fail(f"no data home at {paths.home}", 2)
    # The lock file names its holder by command line: here without the ids being erased.
    with _writing(paths, wait=not no_wait, command="radar forget"):
        try:
            erasure = (do_undo if undo else do_forget)(
                paths, customer_ids, reason=reason, key=key_for(paths.home)
            )
        except ErasureError as exc:
            _fail(str(exc), 2)
        except (sqlite3.OperationalError, duckdb.IOException) as exc:
            # A UI or notebook holding a store open; what is done stays done, the same command finishes it.
            _fail(
                f"cannot finish the erasure while another process holds a store open ({exc}); close it "
                "(`radar ui`, a notebook) and run the same `radar forget` again",
                EXIT_BUSY,
            )
    n = len(erasure.customers)
    if undo:
        click.echo(f"removed {erasure.found} tombstone(s); their rows load again with the next run")
    else:
        click.echo(
            f"forgot {n} customer(s) ({erasure.found} held in the data home), tombstoned against re-delivery:"
        )
        for line in erasure.summary():
            click.echo(f"  {line}")
    click.echo(f"erasure log: {log_path(paths)}")


@main.command()
@click.option("--host", default=None, help="Address to bind the UIs to (default: ui.host, 127.0.0.1).")
@click.option("--dagster-port", type=int, default=None, help="Default: ui.dagster_port (3000).")
@click.option("--mlflow-port", type=int, default=None, help="Default: ui.mlflow_port (5000).")
@click.option("--reports-port", type=int, default=None, help="Default: ui.reports_port (3001).")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Another Host name to accept (repeatable; adds to ui.allowed_hosts), e.g. this machine's name.",
)
def ui(
    host: str | None,
    dagster_port: int | None,
    mlflow_port: int | None,
    reports_port: int | None,
    allow_hosts: tuple[str, ...],
) -> None:
    """Start the Dagster UI (behind a Host/Origin check), the MLflow UI and the report server; Ctrl-C stops all.

    Their output goes to $RADAR_HOME/logs/ui.log; the terminal shows the URLs."""
    from pipelines.lib.ui.serve import UiError, prepare_tracking, serve
    from pipelines.runner import prepare_environment

    paths = _paths()
    try:
        config = load_config()
    except ConfigError as exc:
        _fail(str(exc))
    given = {"host": host, "dagster_port": dagster_port, "mlflow_port": mlflow_port, "reports_port": reports_port}
    settings = config.ui.model_copy(
        update={k: v for k, v in given.items() if v is not None}
        | {"allowed_hosts": [*config.ui.allowed_hosts, *allow_hosts]}
    )
    prepare_environment(paths)
    runs = settings.links(paths).mlflow_runs(prepare_tracking(paths, config.training.experiment))

    def announce(started) -> None:
        click.echo(
            f"Dagster UI:  {started.dagster}\n"
            f"MLflow runs: {runs or started.mlflow}\n"
            f"Reports:     {started.reports}\n"
            f"log:         {started.log}\n"
            "Ctrl-C stops all."
        )

    try:
        serve(paths, settings, announce=announce)
    except UiError as exc:
        _fail(str(exc))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind to.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--alias-ttl",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds between look-ups of the champion alias (a promotion reaches the API within this).",
)
def serve(host: str, port: int, alias_ttl: float) -> None:
    """Serve scores over HTTP: GET /customers/{id}, POST /score, GET /health; docs at /docs. Ctrl-C stops it."""
    import uvicorn

    from pipelines.lib.serve.app import create_app

    try:
        config = load_config()
    except ConfigError as exc:
        _fail(str(exc), 2)
    app = create_app(_paths(), config, alias_ttl_seconds=alias_ttl)
    click.echo(f"Online scoring: http://{host}:{port} (docs: http://{host}:{port}/docs). Ctrl-C stops it.")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
