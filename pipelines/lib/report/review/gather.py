"""Everything the review reads, in one pass and into plain frames and dataclasses: the MLflow experiment and
registry, the warehouse (lifecycles, scores, gate results, the champion's holdout), the newest drift report, the
decision log and the optional interventions file.

Nothing here plots or formats; the sections only see what `gather` returns, so a section can be tested on a
hand-built `Gathered`. A store that does not exist yet gives an empty frame or None (the section says so); an
unreadable one raises.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models_registry.registry import CHALLENGER, CHAMPION, current_alias_version, read_log
from pipelines.lib.core.config import RadarConfig, TierSettings
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.pseudonym import key_for, pseudonymise
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor import performance, segments
from pipelines.lib.monitor.segments import SegmentReport
from pipelines.lib.quality import gate_store
from pipelines.lib.report import kpis
from pipelines.lib.score import holdout, score_changes, survival_store
from pipelines.lib.score.tiers import scoring_tiers
from pipelines.lib.train import hazard, retrain

if TYPE_CHECKING:
    from mlflow import MlflowClient

RUN_METRICS = ("roc_auc", "pr_auc", "brier", "lift_at_10pct")
# Logged on each candidate's run by the monitor assets: feature, prediction and target drift.
DRIFT_METRICS = (
    "drift_share",
    "prediction_drift_score",
    "prediction_drift_detected",
    "target_drift_p_value",
    "target_drift_detected",
    "reference_churn_rate",
    "current_churn_rate",
)


def interventions_file(paths: RadarPaths) -> Path:
    """Where a team records the outcomes of its interventions (optional; contract in `kpis.INTERVENTION_COLUMNS`)."""
    return paths.home / kpis.INTERVENTIONS_FILE


@dataclass(frozen=True)
class Champion:
    name: str
    version: str
    run_id: str
    tags: dict[str, str]
    metrics: dict[str, float]


@dataclass
class Warehouse:
    as_of: dt.date | None = None
    data_start: dt.date | None = None
    lifecycles: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    gates: pd.DataFrame | None = None
    gate_runs: int = 0
    holdout: pd.DataFrame | None = None
    follow_up: performance.FollowUp | None = None


@dataclass(frozen=True)
class Drift:
    """The newest Evidently feature-drift report: its file, one row per feature, and the drifted share."""

    path: Path | None = None
    features: pd.DataFrame | None = None
    share: float | None = None


@dataclass
class Customers:
    """What the review shows customer by customer: the survival model's check against Kaplan-Meier, the champion
    per segment, and the customers whose risk rose most (pseudonyms, never ids: the review leaves the warehouse)."""

    survival_km: pd.DataFrame | None = None
    survival_quarter: str | None = None
    expected_months: pd.Series | None = None
    segments: SegmentReport | None = None
    segments_error: str | None = None
    risers: pd.DataFrame | None = None


@dataclass
class Gathered:
    """What one review is made of; each section function reads from it and nothing else."""

    paths: RadarPaths
    config: RadarConfig
    cutoffs: TierSettings  # the tier cut-offs monthly scoring used with this champion
    as_of: str  # the newest scoring date (or the data's as-of date): the review's name and date
    runs: pd.DataFrame
    champion: Champion | None
    realised: pd.DataFrame
    warehouse: Warehouse
    drift: Drift
    decisions: list[dict[str, Any]] = field(default_factory=list)
    interventions: pd.DataFrame | None = None
    customers: Customers = field(default_factory=Customers)
    # One row per warned customer with an outcome, treated or held out (`score/holdout.outcomes`); and how many
    # customers were ever held out (outcome or not).
    retention: pd.DataFrame | None = None
    held_out: int = 0


def gather(paths: RadarPaths, config: RadarConfig) -> Gathered:
    """Read every store the review draws on, once; MLflow through the data home's own store, put back after."""
    tracking = Tracking.for_home(paths, config.training.experiment)
    if not tracking.exists():
        return _gather(paths, config, None, None)
    with tracking.reading() as client:
        experiment = client.get_experiment_by_name(config.training.experiment)
        return _gather(paths, config, client, experiment.experiment_id if experiment else None)


def _gather(
    paths: RadarPaths, config: RadarConfig, client: MlflowClient | None, experiment_id: str | None
) -> Gathered:
    runs, champion = _mlflow_state(client, experiment_id, config)
    interventions = _interventions(paths)
    wh = _warehouse_state(paths, config, champion, client)
    if wh.scores is not None and len(wh.scores):
        as_of = pd.to_datetime(wh.scores["as_of"]).max().date().isoformat()
    elif wh.as_of is not None:
        as_of = wh.as_of.isoformat()
    else:
        as_of = "no-data"
    return Gathered(
        paths=paths,
        config=config,
        # The cut-offs monthly scoring used with this champion (its profit threshold may start the low tier).
        cutoffs=scoring_tiers(config.tiers, champion.metrics.get("profit_threshold") if champion else None),
        as_of=as_of,
        runs=runs,
        champion=champion,
        realised=_realised_runs(client, experiment_id),
        warehouse=wh,
        drift=_newest_drift(paths),
        decisions=read_log(paths.decision_log),
        interventions=interventions,
        customers=_customers(paths, config, champion, client, experiment_id),
        **_retention(paths, interventions),
    )


def champion_probabilities(model_name: str, frame: pd.DataFrame) -> np.ndarray:
    """The champion's churn probabilities for ``frame``; the one place that knows the model's flavour."""
    from pipelines.lib.train.churn_model import load_churn_model

    model = load_churn_model(f"models:/{model_name}@champion")
    return model.predict_proba(frame[list(model.feature_names)])[:, 1]


def _mlflow_state(
    client: MlflowClient | None, experiment_id: str | None, config: RadarConfig
) -> tuple[pd.DataFrame, Champion | None]:
    """Every churn-model run of the experiment with its version, alias and decision; and the champion."""
    from mlflow.exceptions import MlflowException

    if client is None or experiment_id is None:
        return pd.DataFrame(), None
    name = config.training.model_name
    runs = client.search_runs([experiment_id], max_results=5000)
    versions = {v.run_id: v for v in client.search_model_versions(f"name = '{name}'")}
    # Search results leave aliases out (mlflow#9783), so ask for each alias the registry uses.
    aliases: dict[str, list[str]] = {}
    for alias in (CHAMPION, CHALLENGER):
        holder = current_alias_version(name, alias, client=client)
        if holder is not None:
            aliases.setdefault(holder, []).append(alias)
    rows = []
    for run in runs:
        m, tags = run.data.metrics, run.data.tags
        # Only the quarterly churn models: their baselines are nested runs with the same metric names.
        if "roc_auc" not in m or tags.get("model_kind", "churn") != "churn":
            continue
        version = versions.get(run.info.run_id)
        rows.append(
            {
                "run_id": run.info.run_id,
                "version": str(version.version) if version else "",
                "aliases": ", ".join(aliases.get(str(version.version), [])) if version else "",
                "quarter": _quarter(tags),
                "valid_end": tags.get("valid_end", ""),
                "decision": tags.get("promotion_decision", ""),
                "started": pd.Timestamp(run.info.start_time, unit="ms"),
                **{k: m.get(k, np.nan) for k in (*RUN_METRICS, *DRIFT_METRICS)},
            }
        )
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["quarter", "started"]).reset_index(drop=True)
    try:
        mv = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return frame, None
    run = client.get_run(mv.run_id)
    return frame, Champion(name, str(mv.version), mv.run_id, run.data.tags, run.data.metrics)


def _realised_runs(client: MlflowClient | None, experiment_id: str | None) -> pd.DataFrame:
    """The realised-performance evaluations logged by the monitor, oldest first (one per data as-of date)."""
    if client is None or experiment_id is None:
        return pd.DataFrame()
    runs = client.search_runs(
        [experiment_id], filter_string="tags.model_kind = 'realised_performance'", max_results=500
    )
    frame = pd.DataFrame(
        [
            {"data_as_of": r.data.tags.get("data_as_of", ""), "run_id": r.info.run_id, **r.data.metrics}
            for r in runs
        ]
    )
    return frame.sort_values("data_as_of").reset_index(drop=True) if len(frame) else frame


def _quarter(tags: dict[str, str]) -> str:
    """The run's `quarter` tag when training set one, else the quarter its validation period ended in."""
    if tags.get("quarter"):
        return tags["quarter"]
    if tags.get("valid_end"):
        return str(pd.Timestamp(tags["valid_end"]).to_period("Q"))
    return "unknown"


def _warehouse_state(
    paths: RadarPaths, config: RadarConfig, champion: Champion | None, client: MlflowClient | None
) -> Warehouse:
    out = Warehouse()
    with connect(paths.warehouse, read_only=True) as con:
        if table_exists(con, "scores", "customer_scores") and table_exists(con, "marts", "churn_labels"):
            lag = config.churn.confirmation_lag_days
            out.follow_up = performance.follow_up_scores(
                con, horizon_days=config.churn.horizon_days, lag_days=lag
            )
        if table_exists(con, "marts", "data_window"):
            start, as_of = con.execute(
                "select data_start_date::date, as_of_date::date from marts.data_window"
            ).fetchone()
            out.data_start, out.as_of = start, as_of
        if table_exists(con, "marts", "customer_lifecycles"):
            out.lifecycles = con.execute(
                "select customer_id, created_at, churned_at, churn_type from marts.customer_lifecycles"
            ).df()
        if table_exists(con, "scores", "customer_scores"):
            has_features = table_exists(con, "marts", "customer_features")
            # ASOF: the revenue at the snapshot the score was made from, even when a partial month's snapshot
            # date has since moved on to the month's end.
            out.scores = con.execute(
                f"""select s.customer_id, s.as_of, s.churn_probability, s.risk_tier, s.revenue_at_risk,
                           {"f.revenue_365d" if has_features else "null::double as revenue_365d"}
                    from scores.customer_scores as s
                    {
                    "asof left join marts.customer_features as f "
                    "on s.customer_id = f.customer_id and s.as_of >= f.snapshot_date"
                    if has_features
                    else ""
                }"""
            ).df()
        if table_exists(con, "ops", "gate_results"):
            out.gates = gate_store.latest(con, history_blocks=config.history_blocks)
            out.gate_runs = con.execute("select count(distinct run_id) from ops.gate_results").fetchone()[0]
        if champion is not None and {"valid_start", "valid_end"} <= champion.tags.keys():
            start, end = champion.tags["valid_start"], champion.tags["valid_end"]
            rows = feats.snapshots_between(con, start, end)
            labels = con.execute(
                """select customer_id, snapshot_date, churned_within_horizon::int as label
                   from marts.churn_labels where is_labelled and snapshot_date between ? and ?""",
                [start, end],
            ).df()
    if champion is not None and client is not None and {"valid_start", "valid_end"} <= champion.tags.keys():
        # Scoring the validation months again would judge a model that learnt from them (`training.refit`).
        logged = retrain.out_of_time_scores(client, champion.run_id, champion.tags)
        if logged is not None:
            out.holdout = logged.rename(columns={"churn_probability": "p"})[["snapshot_date", "label", "p"]]
        else:
            labels["snapshot_date"] = pd.to_datetime(labels["snapshot_date"])
            holdout = rows.merge(labels, on=["customer_id", "snapshot_date"], how="inner")
            if len(holdout):
                holdout["p"] = champion_probabilities(champion.name, holdout)
                out.holdout = holdout[["snapshot_date", "label", "p"]]
    return out


def _customers(
    paths: RadarPaths,
    config: RadarConfig,
    champion: Champion | None,
    client: MlflowClient | None,
    experiment_id: str | None,
) -> Customers:
    from mlflow.exceptions import MlflowException

    out = Customers()
    if experiment_id is not None:
        run = hazard.latest_run(experiment_id)
        if run is not None:
            try:
                out.survival_km = hazard.logged_kaplan_meier(run.info.run_id)
                out.survival_quarter = run.data.tags.get("quarter")
            except (MlflowException, OSError):
                out.survival_km = None
    with connect(paths.warehouse, read_only=True) as con:
        if table_exists(con, "scores", survival_store.TABLE):
            out.expected_months = con.execute(
                f"""select expected_months_12m from scores.{survival_store.TABLE}
                    where as_of = (select max(as_of) from scores.{survival_store.TABLE})"""
            ).df()["expected_months_12m"]
        if table_exists(con, "scores", "customer_scores"):
            newest = con.execute(
                "select * from scores.customer_scores "
                "where as_of = (select max(as_of) from scores.customer_scores)"
            ).df()
            if "probability_change" in newest:
                out.risers = pseudonymise(score_changes.largest_risers(newest), key=key_for(paths.home))
        if champion is not None and client is not None and {"valid_start", "valid_end"} <= champion.tags.keys():
            from pipelines.lib.train.churn_model import load_churn_model

            cutoffs = scoring_tiers(config.tiers, champion.metrics.get("profit_threshold"))
            try:
                out.segments = segments.segment_report(
                    con,
                    load_churn_model(f"models:/{champion.name}@champion"),
                    start=champion.tags["valid_start"],
                    end=champion.tags["valid_end"],
                    warn_from=cutoffs.low,
                    logged=retrain.out_of_time_scores(client, champion.run_id, champion.tags),
                    key=key_for(paths.home),
                )
            except ValueError as exc:
                out.segments_error = str(exc)
    return out


def _newest_drift(paths: RadarPaths) -> Drift:
    """Per-feature scores and the drift share of the newest Evidently JSON report in the data home."""
    reports = sorted(paths.reports.glob("drift_*.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        return Drift()
    doc = json.loads(reports[-1].read_text())
    rows, share = [], None
    for metric in doc.get("metrics", []):
        cfg = metric.get("config", {})
        kind = cfg.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith("ValueDrift"):
            score, threshold, method = float(metric["value"]), float(cfg["threshold"]), cfg["method"]
            drifted = score < threshold if "p_value" in method else score >= threshold
            rows.append(
                {
                    "feature": cfg["column"],
                    "method": method,
                    "score": score,
                    "threshold": threshold,
                    "drifted": drifted,
                }
            )
    return Drift(reports[-1], pd.DataFrame(rows), share)


def _interventions(paths: RadarPaths) -> pd.DataFrame | None:
    return kpis.read_interventions(paths.home)


def _retention(paths: RadarPaths, interventions: pd.DataFrame | None) -> dict[str, Any]:
    """The hold-out's and the treated customers' outcomes, and how many customers were ever held out."""
    if not paths.warehouse.exists():
        return {}
    with connect(paths.warehouse, read_only=True) as con:
        if not table_exists(con, "scores", holdout.TABLE):
            return {}
        held = con.execute(
            f"select count(distinct customer_id) from scores.{holdout.TABLE} where holdout"
        ).fetchone()[0]
        return {"retention": holdout.outcomes(con, interventions), "held_out": int(held)}
