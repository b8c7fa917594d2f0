"""Drift summary: feature drift of the newest Evidently report, prediction and target drift quarter by quarter,
and the realised performance of past scores once their horizon has passed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.lib.monitor import performance
from pipelines.lib.report.review.blocks import Figure, Section, Table, canvas
from pipelines.lib.report.review.gather import DRIFT_METRICS, Gathered

TITLE = "Drift summary"
REALISED_FIGURES = ("realised_roc_auc", "realised_precision", "realised_false_positive_rate")


def section(g: Gathered) -> Section:
    headline: dict[str, float] = {}
    return Section(
        TITLE,
        "drift",
        {
            "features": _features(g, headline),
            "model": _model_drift(g, headline),
            "realised": _realised(g, headline),
        },
        headline=headline,
    )


def _features(g: Gathered, headline: dict[str, float]) -> dict[str, Any] | None:
    """Per-feature drift of the newest report; without a report file, the share the champion's run recorded."""
    drift, champion = g.drift.features, g.champion
    if drift is not None and len(drift):
        share = float(g.drift.share) if g.drift.share is not None else float(drift["drifted"].mean())
        headline["drift_share"] = share
        top = (
            drift.assign(rel=drift["score"] / drift["threshold"]).sort_values("rel", ascending=False).head(20)
        )
        fig, ax = canvas(height=4.2)
        colours = np.where(top["drifted"], "#d1495b", "#8d99ae")
        ax.barh(top["feature"][::-1], top["score"][::-1], color=colours[::-1])
        ax.set_title(f"Drift score per feature ({top['method'].iloc[0]}; red = drifted)")
        ax.grid(alpha=0.3, axis="x")
        return {
            "figure": Figure.of(fig, "drift score per feature"),
            "file": g.drift.path.name if g.drift.path else "",
            "share": share,
            "features": len(drift),
            "drifted": sorted(drift.loc[drift["drifted"], "feature"]),
        }
    if champion is not None and "drift_share" in champion.metrics:
        headline["drift_share"] = float(champion.metrics["drift_share"])
        return {"figure": None, "share": headline["drift_share"]}
    return None


def _model_drift(g: Gathered, headline: dict[str, float]) -> dict[str, Any] | None:
    """Prediction and target drift of the newest candidate, and all three drift figures quarter by quarter."""
    runs, monitoring = g.runs, g.config.monitoring
    measured = runs.dropna(subset=["prediction_drift_score"]) if len(runs) else runs
    if not len(measured):
        return None
    newest = measured.sort_values("started").iloc[-1]
    headline["prediction_drift_score"] = float(newest["prediction_drift_score"])
    threshold = monitoring.prediction_drift_threshold
    target = None
    if np.isfinite(newest["target_drift_p_value"]):
        headline["target_drift_p_value"] = float(newest["target_drift_p_value"])
        target = {
            "reference_churn_rate": newest["reference_churn_rate"],
            "current_churn_rate": newest["current_churn_rate"],
            "p_value": newest["target_drift_p_value"],
            "p_threshold": monitoring.target_drift_p_value,
            "drifted": newest["target_drift_detected"] == 1,
        }
    figure = None
    per_q = measured.groupby("quarter")[list(DRIFT_METRICS)].last()
    if len(per_q) > 1:
        fig, (a1, a2, a3) = canvas(width=11, height=3.2, ncols=3)
        x = list(per_q.index)
        a1.plot(x, per_q["drift_share"], marker="o", color="#d1495b")
        a1.set(title="Feature drift share", ylim=(0, 1.05))
        a2.plot(x, per_q["prediction_drift_score"], marker="o", color="#2e86ab")
        a2.axhline(threshold, color="grey", ls="--")
        a2.set(title="Prediction drift (Wasserstein, normed)")
        a3.plot(x, 100 * per_q["reference_churn_rate"], marker="o", color="#8d99ae", label="training month")
        a3.plot(
            x, 100 * per_q["current_churn_rate"], marker="o", color="#f08a4b", label="latest matured month"
        )
        a3.set(title="Churn rate, % (target drift)")
        a3.legend(fontsize=8)
        for ax in (a1, a2, a3):
            ax.tick_params(axis="x", labelrotation=45)
            ax.grid(alpha=0.3)
        figure = Figure.of(fig, "feature, prediction and target drift by quarter")
    table = measured[["quarter", "version", *DRIFT_METRICS]].drop(
        columns=["prediction_drift_detected", "target_drift_detected"]
    )
    return {
        "version": newest["version"],
        "quarter": newest["quarter"],
        "score": newest["prediction_drift_score"],
        "threshold": threshold,
        "drifted": newest["prediction_drift_detected"] == 1,
        "target": target,
        "figure": figure,
        "table": Table.of(table, floats="{:.4f}"),
    }


def _realised(g: Gathered, headline: dict[str, float]) -> dict[str, Any]:
    """How the scores actually sent turned out, once their horizon has passed (the monitor's Evidently runs)."""
    follow, realised, churn = g.warehouse.follow_up, g.realised, g.config.churn
    if follow is None or follow.scoring_dates == 0:
        return {"state": "none stored"}
    if follow.matured.empty:
        return {
            "state": "pending",
            "scoring_dates": follow.scoring_dates,
            "oldest": follow.pending_dates[0],
            "next_maturity": follow.next_maturity,
            "horizon_days": churn.horizon_days,
            "with_grace": churn.definition == "contractual",
        }
    headline["matured_scores"] = float(len(follow.matured))
    evaluation = None
    if len(realised):
        latest = realised.iloc[-1]
        for key in REALISED_FIGURES:
            if key in latest and np.isfinite(latest[key]):
                headline[key] = float(latest[key])
        evaluation = {
            "data_as_of": str(latest["data_as_of"]),
            **{key: headline.get(key) for key in REALISED_FIGURES},
            "realised_recall": latest.get("realised_recall"),
        }
    figure = None
    if len(realised) > 1:
        fig, ax = canvas(height=3)
        for key, colour in zip(REALISED_FIGURES, ("#2e86ab", "#6a994e", "#d1495b"), strict=True):
            if key in realised:
                ax.plot(realised["data_as_of"], realised[key], marker="o", color=colour, label=key)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("Realised performance at each follow-up")
        figure = Figure.of(fig, "realised performance over time")
    return {
        "state": "matured",
        "matured": len(follow.matured),
        "dates": sorted({d.date().isoformat() for d in pd.to_datetime(follow.matured["as_of"])}),
        "pending": len(follow.pending_dates),
        "evaluation": evaluation,
        "figure": figure,
        "table": Table.of(performance.tier_table(follow.matured)),
    }
