"""Data gates: the latest verdict of each gate, its figure against its threshold, and what failed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.report.review.blocks import Figure, Section, Table, canvas
from pipelines.lib.report.review.gather import Gathered

TITLE = "Data gates"
COUNT_UNITS = ("months", "customers", "churns")  # figures in these units are counts; the rest are shares


def gate_verdicts(gates: pd.DataFrame) -> np.ndarray:
    """passed / warning / FAILED per gate row, by how each verdict counted when it was evaluated
    (`gate_store.latest`'s ``blocking``): a gate that only warned is not called a failure, in the table or the
    executive summary."""
    passed = gates["passed"].astype(bool).to_numpy()
    warned = ~passed & ~gates["blocking"].astype(bool).to_numpy()
    return np.where(passed, "passed", np.where(warned, "warning", "FAILED"))


def gates_line(gates: pd.DataFrame | None) -> str:
    """The executive summary's word on the gates, by the same verdicts as the gate table."""
    if gates is None or not len(gates):
        return "no gate results"
    verdicts = gate_verdicts(gates)
    failed = sorted(set(gates["gate"][verdicts == "FAILED"]))
    warned = sorted(set(gates["gate"][verdicts == "warning"]))
    if failed:
        return f"data gate(s) FAILED: {', '.join(failed)}"
    if warned:
        return f"no data gate failed; warning: {', '.join(warned)} (see Data gates)"
    return "all data gates passed"


def section(g: Gathered) -> Section:
    gates = g.warehouse.gates
    if gates is None or not len(gates):
        return Section(TITLE, "gates", missing="No data gate has been evaluated yet.")
    shown = gates.copy()
    fig, ax = canvas(height=2.6)
    ax.barh(
        shown["gate"],
        shown["value"] / shown["threshold"].replace(0, np.nan),
        color=np.where(shown["passed"], "#6a994e", "#d1495b"),
    )
    ax.axvline(1, color="k", ls="--")
    ax.set_title("Gate figure ÷ its threshold (≥ 1 passes; green = passed)")
    ax.grid(alpha=0.3, axis="x")
    shown["evaluated_at"] = pd.to_datetime(shown["evaluated_at"]).dt.strftime("%Y-%m-%d %H:%M")
    shown["verdict"] = gate_verdicts(shown)
    for column in ("value", "threshold"):
        shown[column] = [
            f"{v:,.0f}" if u in COUNT_UNITS else f"{v:.1%}"
            for v, u in zip(shown[column], shown["unit"], strict=True)
        ]
    shown["failing"] = shown["failing"].fillna("")
    return Section(
        TITLE,
        "gates",
        {
            "figure": Figure.of(fig, "data gate figures against thresholds"),
            "runs": g.warehouse.gate_runs,
            "table": Table.of(
                shown[["gate", "verdict", "value", "threshold", "unit", "failing", "evaluated_at"]]
            ),
        },
    )
