"""KPIs over time: churn and retention rate by month, how the warnings turned out, intervention success."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from pipelines.lib.report import kpis
from pipelines.lib.report.review.blocks import BACKTEST, WARN_TIERS, Figure, Section, Table, canvas, ratio
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.score.tiers import risk_tier

KPI_MONTHS = 24  # months of churn and retention rate the review shows
OUTCOME_COLUMNS = [
    "source",
    "as_of",
    "scored",
    "warned",
    "churned",
    "true_pos",
    "false_pos",
    "precision",
    "false_positive_rate",
    "recall",
]


def section(g: Gathered) -> Section:
    headline: dict[str, float] = {}
    return Section(
        "KPIs over time",
        "kpis",
        {
            "monthly": _monthly(g, headline),
            "outcomes": _outcomes(g, headline),
            "interventions": _interventions(g, headline),
        },
        headline=headline,
    )


def _monthly(g: Gathered, headline: dict[str, float]) -> dict[str, Any] | None:
    wh = g.warehouse
    if wh.lifecycles is None or wh.as_of is None or wh.data_start is None:
        return None
    # The first complete month of the data, and no more than KPI_MONTHS back: a review looks at the recent
    # trend, and sources such as contracts can reach back decades before the other systems start.
    first = max(
        (pd.Timestamp(wh.data_start) + pd.offsets.MonthBegin(1)).date(),
        (pd.Timestamp(wh.as_of) - pd.DateOffset(months=KPI_MONTHS)).to_period("M").to_timestamp().date(),
    )
    monthly = kpis.churn_and_retention_by_month(wh.lifecycles, first_month=first, as_of=wh.as_of)
    complete = monthly[~monthly["partial"] & monthly["customers_start"].gt(0)]
    if not len(complete):
        return None
    last = complete.iloc[-1]
    headline["churn_rate_pct"] = float(last["churn_rate_pct"])
    headline["retention_rate_pct"] = float(last["retention_rate_pct"])
    fig, (a1, a2) = canvas(ncols=2)
    months = pd.to_datetime(complete["month"])
    a1.bar(months, complete["churn_rate_pct"], width=20, color="#d1495b")
    a1.set_title("Churn rate by month (%)")
    a2.plot(months, complete["retention_rate_pct"], marker="o", color="#2e86ab")
    a2.set_title("Retention rate by month (%)")
    for ax in (a1, a2):
        ax.tick_params(axis="x", labelrotation=45)
        ax.grid(alpha=0.3)
    return {
        "figure": Figure.of(fig, "churn and retention rate by month"),
        "month": pd.Timestamp(last["month"]),
        **{
            k: last[k]
            for k in (
                "churn_rate_pct",
                "retention_rate_pct",
                "customers_start",
                "lost",
                "lost_involuntary",
                "new",
            )
        },
    }


def _outcomes(g: Gathered, headline: dict[str, float]) -> dict[str, Any] | None:
    """The warnings followed up: live once a scoring month has matured, else the champion's holdout backtest."""
    wh, config = g.warehouse, g.config
    live = None
    if wh.scores is not None and len(wh.scores) and wh.lifecycles is not None and wh.as_of is not None:
        observable = wh.as_of - dt.timedelta(days=config.churn.confirmation_lag_days)
        followed = kpis.follow_up(
            wh.scores, wh.lifecycles, horizon_days=config.churn.horizon_days, observable_until=observable
        )
        if len(followed):
            live = kpis.warning_kpis(followed, warn_tiers=WARN_TIERS).assign(source="live")
    backtest = None
    if wh.holdout is not None:
        followed = pd.DataFrame(
            {
                "as_of": wh.holdout["snapshot_date"],
                "risk_tier": risk_tier(wh.holdout["p"], g.cutoffs),
                "churned": wh.holdout["label"].astype(bool),
            }
        )
        backtest = kpis.warning_kpis(followed, warn_tiers=WARN_TIERS).assign(source=BACKTEST)
    found = [f for f in (backtest, live) if f is not None]
    if not found:
        return None
    outcomes = pd.concat(found, ignore_index=True)
    basis = live if live is not None else backtest
    # The headline pools the last three followed-up months (a quarter of monthly scoring), so one quiet month
    # does not leave it undefined.
    pooled = basis.tail(3)[["warned", "churned", "true_pos", "false_pos", "true_neg"]].sum()
    headline["warning_precision"] = ratio(pooled["true_pos"], pooled["warned"])
    headline["false_positive_rate"] = ratio(pooled["false_pos"], pooled["false_pos"] + pooled["true_neg"])
    headline["warning_recall"] = ratio(pooled["true_pos"], pooled["churned"])
    headline["warnings_followed_up_live"] = float(0 if live is None else live["warned"].sum())
    fig, ax = canvas(height=3.4)
    for source, style in ((BACKTEST, "--"), ("live", "-")):
        part = outcomes[outcomes["source"] == source]
        if len(part):
            for col, colour in (
                ("precision", "#2e86ab"),
                ("false_positive_rate", "#d1495b"),
                ("recall", "#6a994e"),
            ):
                ax.plot(part["as_of"], part[col], style, marker="o", color=colour, label=f"{col} ({source})")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    ax.set_title(
        f"Warnings (tier low or higher) followed up over the {config.churn.horizon_days}-day horizon"
    )
    shown = outcomes[OUTCOME_COLUMNS].assign(as_of=lambda f: pd.to_datetime(f["as_of"]).dt.date)
    return {
        "figure": Figure.of(fig, "warning precision, false-positive rate and recall over time"),
        "live": live is not None,
        "nobody_warned": bool(pooled["warned"] == 0),
        "lowest_cutoff": g.cutoffs.low,
        "table": Table.of(shown),
    }


def _interventions(g: Gathered, headline: dict[str, float]) -> dict[str, Any] | None:
    if g.interventions is None:
        return None
    success = kpis.intervention_success(g.interventions)
    decided = success["retained"].sum() + success["churned"].sum()
    if decided:
        headline["intervention_success_rate"] = float(success["retained"].sum() / decided)
    fig, ax = canvas(height=3)
    ax.bar(success["month"], success["success_rate"], width=20, color="#6a994e")
    ax.set_ylim(0, 1.05)
    ax.set_title("Intervention success rate by month of contact (retained ÷ decided cases)")
    return {
        "figure": Figure.of(fig, "intervention success rate by month"),
        "table": Table.of(success.assign(month=success["month"].dt.strftime("%Y-%m"))),
    }
