"""Incremental retention: what the playbook's actions add, measured against the random hold-out.

Treated = warned customers who got the action, with a decided outcome in ``interventions.csv``; hold-out =
warned customers drawn for no action (`playbook.holdout_share`), with their realised churn over the horizon.
Because the hold-out is random within each tier, the difference of the two retention rates is the action's
effect; its 95 % interval is Newcombe's (hybrid Wilson score).
"""

from __future__ import annotations

from pipelines.lib.report.review.blocks import Section, Table
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.score import holdout, uplift

TITLE = "Incremental retention (treated vs hold-out)"
SHOWN = {
    "risk_tier": "tier",
    "treated": "treated",
    "retention_treated": "retention treated",
    "holdout": "hold-out",
    "retention_holdout": "retention hold-out",
    "difference": "difference",
    "ci_low": "95 % low",
    "ci_high": "95 % high",
    "incremental_retained": "extra customers retained",
    "realised_value": "realised value",
}


def section(g: Gathered) -> Section:
    share = g.config.playbook.holdout_share
    frame = g.retention
    if not g.held_out:
        why = (
            "No hold-out yet: set playbook.holdout_share (e.g. 0.1) to measure what the actions add."
            if share == 0
            else f"No customer held out yet (playbook.holdout_share {share:.0%}); the next scoring draws them."
        )
        return Section(TITLE, "retention", missing=why)
    held = int(frame["holdout"].astype(bool).sum()) if frame is not None and len(frame) else 0
    treated = (len(frame) - held) if frame is not None else 0
    if not treated or not held:
        lacking = []
        if not treated:
            lacking.append(
                "no decided outcome (retained / churned) in interventions.csv for a treated customer"
                if g.interventions is not None
                else "no interventions.csv in the data home for the treated customers' outcomes"
            )
        if not held:
            lacking.append("no hold-out customer's horizon is observed yet")
        return Section(TITLE, "retention", missing=f"{g.held_out} customer(s) held out so far; {'; '.join(lacking)}.")
    table = holdout.incremental_retention(frame)
    total = table[table["risk_tier"] == "all"].iloc[0]
    # Whole currency units read as counts (thousands separated); a tier without a comparison stays a gap.
    shown = table[list(SHOWN)].assign(realised_value=table["realised_value"].round().astype("Int64"))
    shown = shown.rename(columns=SHOWN)
    return Section(
        TITLE,
        "retention",
        {
            "share": share,
            "table": Table.of(shown),
            "all": total.to_dict(),
            "uplift": uplift.readiness(frame)[1],
        },
        headline={
            "incremental_retention": float(total["difference"]),
            "programme_value": float(total["realised_value"]),
        },
    )
