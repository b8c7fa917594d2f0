"""Tier distributions: customers per action tier and scoring date, the champion's validation months included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.lib.report.review.blocks import (
    BACKTEST,
    TIER_COLOURS,
    WARN_TIERS,
    Figure,
    Section,
    Table,
    canvas,
    ratio,
)
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.score.tiers import TIER_ORDER, cutoffs_line, risk_tier

TITLE = "Tier distributions"


def section(g: Gathered) -> Section:
    wh, cutoffs = g.warehouse, g.cutoffs
    headline: dict[str, float] = {}
    frames = []
    coverage: dict[str, Any] | None = None
    if wh.holdout is not None:
        frames.append(
            pd.DataFrame(
                {
                    "label": pd.to_datetime(wh.holdout["snapshot_date"]).dt.strftime("%Y-%m-%d")
                    + f"\n({BACKTEST})",
                    "risk_tier": risk_tier(wh.holdout["p"], cutoffs),
                }
            )
        )
        churned = wh.holdout["label"].astype(bool).to_numpy()
        warned = wh.holdout["p"].to_numpy(dtype=float) >= cutoffs.low
        headline["validation_churners"] = float(churned.sum())
        headline["validation_churners_warned"] = float((warned & churned).sum())
        headline["validation_recall"] = ratio((warned & churned).sum(), churned.sum())
        coverage = {
            "warned": int(warned.sum()),
            "rows": len(warned),
            "churners_warned": int((warned & churned).sum()),
            "churners": int(churned.sum()),
            "recall": headline["validation_recall"],
        }
    if wh.scores is not None and len(wh.scores):
        frames.append(
            pd.DataFrame(
                {
                    "label": pd.to_datetime(wh.scores["as_of"]).dt.strftime("%Y-%m-%d"),
                    "risk_tier": wh.scores["risk_tier"],
                }
            )
        )
        latest = wh.scores[pd.to_datetime(wh.scores["as_of"]) == pd.to_datetime(wh.scores["as_of"]).max()]
        headline["customers_scored"] = float(len(latest))
        headline["high_risk_customers"] = float((latest["risk_tier"] == "high").sum())
        headline["customers_warned"] = float(latest["risk_tier"].isin(list(WARN_TIERS)).sum())
    if not frames:
        return Section(TITLE, "tiers", missing="No customer has been scored yet.", headline=headline)
    labelled = pd.concat(frames, ignore_index=True)
    counts = pd.crosstab(labelled["label"], labelled["risk_tier"]).reindex(
        columns=list(TIER_ORDER), fill_value=0
    )
    counts.columns.name = None
    fig, ax = canvas(height=3.8)
    bottom = np.zeros(len(counts))
    # Only the tiers with an action are drawn: `none` is usually most customers and would flatten the rest.
    for tier in WARN_TIERS:
        ax.bar(range(len(counts)), counts[tier], bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom = bottom + counts[tier].to_numpy()  # a new array: the bars drawn keep their own bottoms
    ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.08)
    ax.set_xticks(range(len(counts)), counts.index, fontsize=8)
    ax.set_ylabel("customers")
    fig.legend(loc="outside right upper", fontsize=8)
    ax.set_title("Customers per action tier (low, medium, high) and scoring date")
    table = counts.reset_index().rename(columns={"label": "as of"})
    table["as of"] = table["as of"].str.replace("\n", " ")
    return Section(
        TITLE,
        "tiers",
        {
            "figure": Figure.of(fig, "risk tier distribution per scoring date"),
            "cutoffs": cutoffs,
            "cutoffs_line": cutoffs_line(cutoffs, g.config.tiers),
            "coverage": coverage,
            "table": Table.of(table),
        },
        headline=headline,
    )
