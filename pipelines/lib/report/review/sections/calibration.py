"""Calibration and lift of the champion, scored on its own holdout months.

The reliability curve is scikit-learn's `calibration_curve` (equal-count bins) and the gains and lift are the
training stage's `evaluation.gains` / `evaluation.lift_at`, so the review and the MLflow plots measure alike.
"""

from __future__ import annotations

import numpy as np

from pipelines.lib.report.review.blocks import Figure, Section, canvas
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.train.evaluation import gains, lift_at

TITLE = "Calibration and lift of the champion"
BINS = 10


def section(g: Gathered) -> Section:
    champion, holdout = g.champion, g.warehouse.holdout
    if champion is None:
        return Section(TITLE, "calibration", missing="No champion model yet.")
    if holdout is None or holdout["label"].nunique() < 2:
        return Section(
            TITLE,
            "calibration",
            missing="The champion's holdout months have no labelled rows with both outcomes.",
        )
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = holdout["label"].to_numpy(dtype=int)
    p = holdout["p"].to_numpy(dtype=float)
    headline = {
        "champion_holdout_roc_auc": float(roc_auc_score(y, p)),
        "champion_holdout_brier": float(brier_score_loss(y, p)),
    }
    observed, predicted = calibration_curve(y, p, n_bins=BINS, strategy="quantile")
    deciles, found = gains(y, p, points=BINS)
    by_decile = np.diff(found) / np.diff(
        deciles
    )  # each decile's share of the churners ÷ its share of customers
    shares, reached = gains(y, p, points=100)
    fig, (a1, a2, a3) = canvas(width=11, height=3.4, ncols=3)
    a1.plot([0, 1], [0, 1], ":", color="grey")
    a1.plot(predicted, observed, marker="o", color="#2e86ab")
    top = 1.1 * float(max(predicted.max(), observed.max()))
    a1.set(
        title=f"Reliability ({BINS} equal-count bins)",
        xlabel="predicted probability",
        ylabel="observed churn rate",
        xlim=(0, top),
        ylim=(0, top),
    )
    a2.bar(np.arange(1, BINS + 1), by_decile, color="#f08a4b")
    a2.axhline(1, color="grey", ls=":")
    a2.set(title="Lift by decile (1 = riskiest 10 %)", xlabel="decile", ylabel="churn rate ÷ base rate")
    a3.plot(shares, reached, color="#6a994e")
    a3.plot([0, 1], [0, 1], ":", color="grey")
    a3.set(
        title="Cumulative gains", xlabel="share of customers contacted", ylabel="share of churners reached"
    )
    for ax in (a1, a2, a3):
        ax.grid(alpha=0.3)
    return Section(
        TITLE,
        "calibration",
        {
            "figure": Figure.of(fig, "calibration and lift of the champion"),
            "champion": champion,
            "rows": len(p),
            "base_rate": float(y.mean()),
            "roc_auc": headline["champion_holdout_roc_auc"],
            "brier": headline["champion_holdout_brier"],
            "top_decile_lift": lift_at(y, p, 1 / BINS),
        },
        headline=headline,
    )
