"""Champion vs challengers across quarters: every churn-model run's metrics on its own validation months."""

from __future__ import annotations

import numpy as np

from pipelines.lib.report.review.blocks import Figure, Section, Table, canvas
from pipelines.lib.report.review.gather import RUN_METRICS, Gathered

TITLE = "Champion vs challengers across quarters"


def section(g: Gathered) -> Section:
    runs, champion = g.runs, g.champion
    if runs.empty:
        return Section(TITLE, "quarters", missing="No training run recorded in MLflow yet.")
    quarters = sorted(runs["quarter"].unique())
    x = runs["quarter"].map({q: i for i, q in enumerate(quarters)}).to_numpy(dtype=float)
    fig, axes = canvas(width=11, height=3.4, ncols=len(RUN_METRICS))
    is_champ = runs["run_id"].eq(champion.run_id if champion else "").to_numpy()
    promoted = runs["decision"].eq("promoted").to_numpy()
    for ax, metric in zip(np.atleast_1d(axes), RUN_METRICS, strict=True):
        y = runs[metric].to_numpy(dtype=float)
        ax.scatter(x[~promoted], y[~promoted], color="#8d99ae", label="challenger / not promoted", zorder=2)
        ax.scatter(x[promoted], y[promoted], color="#2e86ab", label="promoted", zorder=3)
        ax.scatter(
            x[is_champ],
            y[is_champ],
            marker="*",
            s=220,
            color="#f4a261",
            edgecolor="k",
            label="champion now",
            zorder=4,
        )
        ax.set_xticks(range(len(quarters)), quarters, rotation=45)
        ax.set_xlim(-0.5, len(quarters) - 0.5)  # room for the markers of the first and last quarter
        ax.set_title(metric + (" (lower is better)" if metric == "brier" else ""))
        ax.grid(alpha=0.3)
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
    table = runs[["quarter", "version", "aliases", "decision", "valid_end", *RUN_METRICS, "drift_share"]]
    return Section(
        TITLE,
        "quarters",
        {
            "figure": Figure.of(fig, "model metrics by quarter"),
            "runs": len(runs),
            "quarters": quarters,
            "table": Table.of(table),
        },
        headline={"quarters_reviewed": float(len(quarters)), "model_runs": float(len(runs))},
    )
