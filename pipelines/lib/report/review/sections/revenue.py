"""Revenue at risk per scoring date and tier: Σ churn probability × predicted 12-month revenue."""

from __future__ import annotations

import numpy as np

from pipelines.lib.report import kpis
from pipelines.lib.report.review.blocks import TIER_COLOURS, WARN_TIERS, Figure, Section, Table, canvas
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.score.tiers import TIER_ORDER

TITLE = "Revenue at risk"


def section(g: Gathered) -> Section:
    scores = g.warehouse.scores
    if scores is None or not len(scores):
        return Section(TITLE, "revenue", missing="No customer has been scored yet.")
    risk = kpis.revenue_at_risk(scores, tier_order=TIER_ORDER)
    pivot = risk.pivot(index="as_of", columns="risk_tier", values="revenue_at_risk").reindex(
        columns=list(TIER_ORDER)
    )
    latest = risk[risk["as_of"] == risk["as_of"].max()]
    total = float(latest["revenue_at_risk"].sum())
    warned = float(latest.loc[latest["risk_tier"].isin(list(WARN_TIERS)), "revenue_at_risk"].sum())
    fig, ax = canvas(height=3.4)
    bottom = np.zeros(len(pivot))
    labels = [d.strftime("%Y-%m-%d") for d in pivot.index]
    for tier in TIER_ORDER:
        ax.bar(labels, pivot[tier].fillna(0), bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom += pivot[tier].fillna(0).to_numpy()
    ax.set_title("Revenue at risk per scoring date (Σ churn probability × predicted 12-month revenue)")
    fig.legend(loc="outside right upper", fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return Section(
        TITLE,
        "revenue",
        {
            "figure": Figure.of(fig, "revenue at risk per tier"),
            "total": total,
            "warned": warned,
            "high": float(latest.loc[latest["risk_tier"] == "high", "revenue_at_risk"].sum()),
            "table": Table.of(latest.assign(as_of=latest["as_of"].dt.date), floats="{:,.0f}"),
        },
        headline={"revenue_at_risk": total, "revenue_at_risk_warned": warned},
    )
