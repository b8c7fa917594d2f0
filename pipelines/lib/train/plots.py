"""The evidence an ML engineer looks at first, as PNG files for MLflow: ROC, PR, calibration, lift/gains,
feature importance and score distribution. Agg backend: no display is ever needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

from pipelines.lib.train.evaluation import gains


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def churn_plots(
    out_dir: Path,
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    *,
    raw: np.ndarray,
    importance: pd.Series,
    profit: pd.DataFrame | None = None,
    threshold: float | None = None,
) -> list[Path]:
    """``scores``: model name -> validation probability (the first is the model, the rest baselines);
    ``threshold``: the contact threshold chosen (on the calibration fold), marked on the profit plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    y = np.asarray(y, dtype=int)
    model_name, model_p = next(iter(scores.items()))
    paths: list[Path] = []

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, p in scores.items():
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate (recall)", title="ROC, validation")
    ax.legend(loc="lower right")
    paths.append(_save(fig, out_dir / "roc.png"))

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, p in scores.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, label=name)
    ax.axhline(y.mean(), color="k", ls=":", lw=1, label="churn rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall, validation")
    ax.legend(loc="upper right")
    paths.append(_save(fig, out_dir / "pr.png"))

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, p in (("uncalibrated booster", raw), (f"{model_name} (calibrated)", model_p)):
        frac, mean_p = calibration_curve(y, np.clip(p, 0, 1), n_bins=10, strategy="quantile")
        ax.plot(mean_p, frac, "o-", label=name)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="predicted probability", ylabel="observed churn rate", title="Calibration, validation")
    ax.legend(loc="upper left")
    paths.append(_save(fig, out_dir / "calibration.png"))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.5))
    for name, p in scores.items():
        shares, found = gains(y, p)
        ax1.plot(shares, found, label=name)
        with np.errstate(divide="ignore", invalid="ignore"):
            ax2.plot(shares[1:], found[1:] / shares[1:], label=name)
    ax1.plot([0, 1], [0, 1], "k:", lw=1)
    ax1.set(xlabel="share of customers contacted", ylabel="share of churners found", title="Cumulative gains")
    ax2.axhline(1, color="k", ls=":", lw=1)
    ax2.set(xlabel="share of customers contacted", ylabel="lift", title="Lift")
    ax1.legend(loc="lower right")
    paths.append(_save(fig, out_dir / "lift_gains.png"))

    top = importance.sort_values().tail(20)
    fig, ax = plt.subplots(figsize=(6, max(3, 0.3 * len(top))))
    ax.barh(top.index, top.to_numpy())
    ax.set(xlabel="total gain", title="Feature importance (LightGBM gain)")
    paths.append(_save(fig, out_dir / "feature_importance.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41)
    ax.hist(model_p[y == 0], bins=bins, alpha=0.6, density=True, label="stayed")
    ax.hist(model_p[y == 1], bins=bins, alpha=0.6, density=True, label="churned")
    ax.set(xlabel="churn probability", ylabel="density", title="Score distribution, validation")
    ax.legend()
    paths.append(_save(fig, out_dir / "score_distribution.png"))

    if profit is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(profit["threshold"], profit["realised_profit"], label="realised (known outcomes)")
        ax.plot(profit["threshold"], profit["expected_profit"], label="expected (model probabilities)")
        ax.axhline(0, color="k", lw=1)
        if threshold is not None:
            at = profit.loc[(profit["threshold"] - threshold).abs().idxmin()]
            ax.axvline(threshold, color="#d1495b", ls="--", lw=1)
            ax.plot([threshold], [at["realised_profit"]], "o", color="#d1495b")
            ax.annotate(
                f"chosen {threshold:.2f}\n(calibration fold)\n{at['contacted']:.0f} contacted,\n"
                f"profit {at['realised_profit']:,.0f}",
                xy=(threshold, at["realised_profit"]),
                xytext=(8, 8),
                textcoords="offset points",
                fontsize=8,
                color="#d1495b",
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
            )
        ax.set(xlabel="contact threshold", ylabel="profit", title="Retention profit by threshold, validation")
        ax.legend()
        paths.append(_save(fig, out_dir / "profit.png"))
    return paths
