"""How the warnings actually sent turned out: the stored monthly scores whose horizon has passed, against the
churn that really happened.

A score made at ``as_of`` is followed up once `marts.churn_labels` labels the customer's snapshot of that date
(its horizon, plus the renewal grace period for contractual churn, is fully observed). Its realised label is that
snapshot's ``churned_within_horizon``: the same rule the model learns from, so realised and validation figures
mean the same thing. What was *sent* is the stored risk tier, not a tier recomputed with today's thresholds.

Evidently computes the classification report (precision, recall and false-positive rate of the warnings sent;
ROC-AUC of the probabilities behind them); the per-tier table is a vectorised group-by beside it. Nothing is
invented when nothing has matured: the caller gets no evaluation and says so.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core import rates
from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor.drift import Periods, deterministic_sample, save_html
from pipelines.lib.score.tiers import TIER_ORDER

WARN_TIERS = ("low", "medium", "high")  # every tier with a playbook action is a warning


@dataclass(frozen=True)
class FollowUp:
    """The score history split by maturity: rows that can be judged now, and when the rest can."""

    matured: (
        pd.DataFrame
    )  # customer_id, as_of, churn_probability, risk_tier, score_source, model_version, label
    scoring_dates: int
    pending_dates: list[dt.date]
    next_maturity: dt.date | None  # the day the oldest pending scoring date becomes observable
    unmatched_rows: int  # matured by date, but the customer has no snapshot of that date any more


def follow_up_scores(con: duckdb.DuckDBPyConnection, *, horizon_days: int, lag_days: int) -> FollowUp:
    """Every stored score with its realised label, where the label is known.

    ``lag_days`` is the wait after the horizon before a churn is certain (the grace period for contractual
    churn); with the horizon it gives the date a pending scoring date matures on."""
    matured = con.execute(
        """
        select
            s.customer_id, s.as_of, s.churn_probability, s.risk_tier, s.score_source, s.model_version,
            l.churned_within_horizon::int as label
        from scores.customer_scores as s
        inner join marts.churn_labels as l
            on s.customer_id = l.customer_id and s.as_of = l.snapshot_date
        where l.is_labelled
        order by s.as_of, s.customer_id
        """
    ).df()
    as_of_date = feats.data_as_of(con)
    dates = con.execute(
        """
        select s.as_of::date as as_of, count(*) as scored,
               count(*) filter (where l.customer_id is null) as no_snapshot
        from scores.customer_scores as s
        left join marts.churn_labels as l
            on s.customer_id = l.customer_id and s.as_of = l.snapshot_date
        group by s.as_of order by s.as_of
        """
    ).df()
    wait = dt.timedelta(days=horizon_days + lag_days)
    scored_on = list(pd.to_datetime(dates["as_of"]).dt.date)
    observable = [d + wait <= as_of_date for d in scored_on]
    pending = [d for d, ok in zip(scored_on, observable, strict=True) if not ok]
    matured["as_of"] = pd.to_datetime(matured["as_of"])
    return FollowUp(
        matured=matured,
        scoring_dates=len(dates),
        pending_dates=pending,
        next_maturity=(pending[0] + wait) if pending else None,
        unmatched_rows=int(dates.loc[observable, "no_snapshot"].sum()) if len(dates) else 0,
    )


@dataclass(frozen=True)
class RealisedPerformance:
    scores: int
    evaluated: int  # the rows Evidently saw: every matured score, or a deterministic sample of them
    scoring_dates: list[str]
    churned: int
    warned: int
    figures: dict[str, float]  # NaN-free: a ratio without a denominator is left out, never 0
    by_tier: pd.DataFrame
    by_date: pd.DataFrame
    html_path: Path
    json_path: Path


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def tier_table(matured: pd.DataFrame, *, warn_tiers: Collection[str] = WARN_TIERS) -> pd.DataFrame:
    """Per risk tier sent: customers, churners, and the tier's precision (its churners ÷ its customers); and for
    each warning tier, the precision and false-positive rate of everything sent at that tier or above."""
    tiers = pd.Categorical(matured["risk_tier"], categories=list(TIER_ORDER))
    label = matured["label"].to_numpy(dtype=int)
    table = (
        pd.DataFrame({"risk_tier": tiers, "customers": 1, "churned": label})
        .groupby("risk_tier", observed=False, as_index=False)
        .sum()
    )
    table["precision"] = rates.precision(table["churned"], table["customers"] - table["churned"])
    stayed = int((label == 0).sum())
    at_or_above_customers = table["customers"][::-1].cumsum()[::-1]
    at_or_above_churned = table["churned"][::-1].cumsum()[::-1]
    warned_stayed = at_or_above_customers - at_or_above_churned
    table["precision_at_or_above"] = rates.precision(at_or_above_churned, warned_stayed)
    table["false_positive_rate_at_or_above"] = rates.false_positive_rate(warned_stayed, stayed - warned_stayed)
    # "none" is no warning: its precision is the churn the team was not told about, and "at or above none" is
    # everyone, not a warning; leave the cumulative figures for the warning tiers only.
    warning = table["risk_tier"].isin(list(warn_tiers))
    table.loc[~warning, ["precision_at_or_above", "false_positive_rate_at_or_above"]] = np.nan
    return table


def evaluate_realised(
    matured: pd.DataFrame,
    *,
    warn_tiers: Collection[str] = WARN_TIERS,
    out_dir: Path,
    stem: str,
    sample_rows: int = 20000,
    seed: int = 0,
) -> RealisedPerformance:
    """Evidently's classification report on the matured scores, saved as HTML and JSON, with its figures.

    Two views of the same rows: ``sent`` judges the warnings as sent (warned = a tier in ``warn_tiers``);
    ``probability`` judges the churn probabilities behind them (ROC-AUC), when every row has one (the health-score
    fallback has none). Beyond ``sample_rows`` matured scores Evidently sees a deterministic sample; the per-tier
    and per-date counts always cover every matured score."""
    from evidently import BinaryClassification, DataDefinition, Dataset, Report  # heavy: only where it runs
    from evidently.metrics import RocAuc
    from evidently.presets import ClassificationQuality
    from sklearn.exceptions import UndefinedMetricWarning

    if matured.empty:
        raise ValueError("no matured scores to evaluate")
    everything = pd.DataFrame(
        {
            "as_of": matured["as_of"].to_numpy(),
            "label": matured["label"].to_numpy(dtype=int),
            "warned": matured["risk_tier"].isin(list(warn_tiers)).to_numpy(dtype=int),
            "churn_probability": matured["churn_probability"].to_numpy(dtype=float),
        }
    )
    frame = deterministic_sample(everything, sample_rows, seed).drop(columns="as_of")
    with_probability = bool(frame["churn_probability"].notna().all())
    both_classes = frame["label"].nunique() == 2
    tasks = [BinaryClassification(name="sent", target="label", prediction_labels="warned", pos_label=1)]
    metrics: list[Any] = [ClassificationQuality(classification_name="sent", conf_matrix=True)]
    if with_probability and both_classes:
        tasks.append(
            BinaryClassification(
                name="probability", target="label", prediction_probas="churn_probability", pos_label=1
            )
        )
        metrics.append(RocAuc(classification_name="probability"))
    schema = DataDefinition(
        classification=tasks,
        categorical_columns=["label", "warned"],
        numerical_columns=["churn_probability"] if with_probability else [],
    )
    with warnings.catch_warnings():
        # No warning sent, or no churner: sklearn warns and counts the ratio as 0; it is left out below instead.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        snapshot = Report(metrics).run(current_data=Dataset.from_pandas(frame, data_definition=schema))
    values = {
        (m["config"].get("classification_name"), m["config"]["type"].rsplit(":", 1)[-1]): float(m["value"])
        for m in snapshot.dict()["metrics"]
        if isinstance(m["value"], (int, float))
    }
    # Evidently counts a ratio without a denominator as 0; the review must not read "0 % precision" when
    # nothing was sent, so such figures are left out.
    denominators = {
        "Precision": frame["warned"].sum(),
        "Recall": frame["label"].sum(),
        "FPR": (frame["label"] == 0).sum(),
    }
    figures = {
        name: values[("sent", kind)]
        for kind, name in (
            ("Precision", "realised_precision"),
            ("Recall", "realised_recall"),
            ("FPR", "realised_false_positive_rate"),
        )
        if ("sent", kind) in values and denominators[kind]
    }
    if ("probability", "RocAuc") in values:
        figures["realised_roc_auc"] = values[("probability", "RocAuc")]
    by_tier = tier_table(matured, warn_tiers=warn_tiers)
    for row in by_tier.itertuples():
        if row.risk_tier in warn_tiers and np.isfinite(row.precision):
            figures[f"realised_{row.risk_tier}_precision"] = float(row.precision)
    figures["realised_churn_rate"] = _rate(everything["label"].sum(), len(everything))
    by_date = (
        everything.assign(
            scored=1,
            true_pos=everything["warned"] & everything["label"],
            false_pos=everything["warned"] & (1 - everything["label"]),
        )
        .drop(columns="churn_probability")
        .rename(columns={"label": "churned"})
        .groupby("as_of", as_index=False)
        .sum()
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    dates = sorted({d.date().isoformat() for d in pd.to_datetime(matured["as_of"])})
    html_path = save_html(
        snapshot,
        out_dir / f"{stem}.html",
        Periods(
            "Realised performance of the scores sent",
            reference="none: the scores are judged against the churn that happened within their horizon",
            current=f"the matured scores of {', '.join(dates)}, followed up over their horizon",
        ),
    )
    json_path = write_atomic(out_dir / f"{stem}.json", lambda p: p.write_text(snapshot.json()))
    return RealisedPerformance(
        scores=len(everything),
        evaluated=len(frame),
        scoring_dates=sorted({d.date().isoformat() for d in pd.to_datetime(matured["as_of"])}),
        churned=int(everything["label"].sum()),
        warned=int(everything["warned"].sum()),
        figures={k: v for k, v in figures.items() if np.isfinite(v)},
        by_tier=by_tier,
        by_date=by_date,
        html_path=html_path,
        json_path=json_path,
    )


RUN_KIND = "realised_performance"


def log_realised_run(tracking: Tracking, result: RealisedPerformance, data_as_of: str) -> str:
    """Log the figures, tags and reports to ``tracking``'s store, one MLflow run per data as-of date (a re-run
    updates it rather than adding another); returns the run id."""
    import mlflow

    with tracking.active() as client:
        found = client.search_runs(
            [tracking.experiment_id(client)],
            filter_string=f"tags.model_kind = '{RUN_KIND}' and tags.data_as_of = '{data_as_of}'",
            max_results=1,
        )
        run_id = found[0].info.run_id if found else None
        with mlflow.start_run(run_id=run_id, run_name=None if run_id else f"realised-{data_as_of}") as run:
            mlflow.set_tags(
                {"model_kind": RUN_KIND, "data_as_of": data_as_of, "scoring_dates": ",".join(result.scoring_dates)}
            )
            mlflow.log_metrics(
                {
                    **result.figures,
                    "matured_scores": result.scores,
                    "matured_scoring_dates": len(result.scoring_dates),
                }
            )
            mlflow.log_artifact(str(result.html_path), artifact_path="performance")
            mlflow.log_artifact(str(result.json_path), artifact_path="performance")
            return run.info.run_id
