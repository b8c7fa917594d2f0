"""Customer by customer: how long customers are expected to stay (the survival model against what happened),
where the champion serves some customers worse than the whole, and whose risk rose most since last month."""

from __future__ import annotations

import numpy as np

from pipelines.lib.monitor import segments
from pipelines.lib.report.review.blocks import Figure, Section, Table, canvas
from pipelines.lib.report.review.gather import Gathered

SURVIVAL_TITLE = "Time to churn"
SEGMENTS_TITLE = "The champion per segment and lifecycle stage"
RISERS_TITLE = "Largest risers since the previous snapshot"


def survival(g: Gathered) -> Section:
    km = g.customers.survival_km
    if km is None or not len(km):
        return Section(SURVIVAL_TITLE, "survival", missing="No survival model has been trained yet.")
    fig, (a1, a2) = canvas(width=11, height=3.4, ncols=2)
    months = km["months_ahead"].to_numpy()
    a1.fill_between(months, km["ci_low"], km["ci_high"], color="#8d99ae", alpha=0.3, label="95 % interval")
    a1.step(months, km["kaplan_meier"], where="post", color="#2e3440", label="Kaplan-Meier (what happened)")
    a1.plot(months, km["predicted"], marker="o", color="#2e86ab", label="mean predicted curve")
    a1.set(title="Still a customer after k months", xlabel="months ahead", ylabel="share still a customer")
    a1.legend(fontsize=8)
    a1.grid(alpha=0.3)
    expected = g.customers.expected_months
    if expected is not None and len(expected):
        a2.hist(expected.dropna(), bins=24, range=(0, 12), color="#f08a4b")
    a2.set(title="Expected months still a customer (next 12), newest scores", xlabel="months", ylabel="customers")
    a2.grid(alpha=0.3)
    worst = float(np.nanmax(np.abs(km["difference"]))) if len(km) else float("nan")
    return Section(
        SURVIVAL_TITLE,
        "survival",
        {
            "figure": Figure.of(fig, "Kaplan-Meier against the predicted survival curve"),
            "quarter": g.customers.survival_quarter or "",
            "worst": worst,
            "customers": int(expected.notna().sum()) if expected is not None else 0,
            "table": Table.of(
                km[["months_ahead", "at_risk", "left", "kaplan_meier", "ci_low", "ci_high", "predicted"]],
                floats="{:.4f}",
            ),
        },
        headline={"survival_worst_gap": worst},
    )


def by_segment(g: Gathered) -> Section:
    report = g.customers.segments
    if report is None:
        why = g.customers.segments_error or "No champion with validation months yet."
        return Section(SEGMENTS_TITLE, "segments", missing=why)
    table = report.table.drop(columns=["judged"]).assign(
        flag=report.table["flag"].where(report.table["judged"], "too few to judge")
    )
    return Section(
        SEGMENTS_TITLE,
        "segments",
        {
            "rule": segments.rule_line(),
            "flagged": report.warning_lines(),
            "not_delivered": report.not_delivered,
            "table": Table.of(table),
        },
        headline={"segments_flagged": float(len(report.flagged))},
    )


def risers(g: Gathered) -> Section:
    frame = g.customers.risers
    if frame is None:
        return Section(RISERS_TITLE, "risers", missing="No model scores with a change since a previous snapshot yet.")
    shown = frame.rename(
        columns={
            "customer_id": "customer",
            "previous_churn_probability": "before",
            "churn_probability": "now",
            "probability_change": "change",
            "risk_tier": "tier",
            "value_tier": "value",
        }
    )
    columns = [c for c in ("customer", "before", "now", "change", "tier", "value", "moved_by") if c in shown]
    return Section(RISERS_TITLE, "risers", {"count": len(frame), "table": Table.of(shown[columns])})
