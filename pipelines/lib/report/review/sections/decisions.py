"""Promotion decisions and their reasons, newest first, from the registry's decision log."""

from __future__ import annotations

import pandas as pd

from pipelines.lib.report.review.blocks import Section, Table
from pipelines.lib.report.review.gather import Gathered

TITLE = "Promotion decisions and their reasons"
SHOWN = 30  # the newest decisions in the table; the log itself keeps them all


def section(g: Gathered) -> Section:
    decisions = g.decisions
    if not decisions:
        return Section(TITLE, "decisions", missing="The decision log is empty: no model has been judged yet.")
    rows = pd.DataFrame(
        [
            {
                "decided at": str(d.get("decided_at", ""))[:16].replace("T", " "),
                "kind": d.get("kind", ""),
                "version": d.get("version", ""),
                "outcome": "promoted" if d.get("promoted") else "not promoted",
                "previous champion": d.get("previous_champion") or "none",
                "reasons": "; ".join(d.get("reasons", [])),
            }
            for d in reversed(decisions[-SHOWN:])
        ]
    )
    last = decisions[-1]
    return Section(
        TITLE,
        "decisions",
        {
            "version": str(last.get("version")),
            "verdict": "promoted to champion"
            if last.get("promoted")
            else f"kept as {last.get('alias', 'challenger')}",
            "kind": str(last.get("kind")),
            "decided_at": str(last.get("decided_at")),
            "table": Table.of(rows),
        },
    )
