"""Metrics with stable names, computed the same way for every model, baseline and quarter.

The names are the contract with the MLflow UI: a quarter's run is comparable with the last only if every run
logs the same keys. Tier metrics count a customer as warned at a tier when the probability reaches that tier's
threshold, so `high_precision` answers "how many of the high-risk warnings were real".
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from pipelines.lib.core.config import TierSettings
from pipelines.lib.core.rates import warning_rates

CORE_METRICS = ("roc_auc", "pr_auc", "brier", "log_loss", "lift_at_10pct", "base_rate")


# What `evaluate` returns, in order: the figures a candidate and a champion are compared on.
EVALUATED = ("roc_auc", "pr_auc", "brier", "log_loss", "lift_at_10pct", "base_rate")


def evaluate(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Ranking (roc_auc, pr_auc, lift_at_10pct) and probability quality (brier, log_loss)."""
    y_true = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    base_rate = float(y_true.mean())
    return {
        "roc_auc": float(roc_auc_score(y_true, p)),
        "pr_auc": float(average_precision_score(y_true, p)),
        "brier": float(brier_score_loss(y_true, p)),
        "log_loss": float(log_loss(y_true, p, labels=[0, 1])),
        "lift_at_10pct": lift_at(y_true, p, 0.10),
        "base_rate": base_rate,
    }


def auc_gain_interval(
    y_true: np.ndarray,
    p_model: np.ndarray,
    p_baseline: np.ndarray,
    customers: np.ndarray,
    *,
    resamples: int = 300,
    level: float = 0.90,
    seed: int = 0,
) -> tuple[float, float]:
    """A ``level`` bootstrap interval of ROC-AUC(model) - ROC-AUC(baseline) on the same rows.

    Why: a validation period of a few thousand customer-months holds a few dozen churns, and a gain of one or
    two points can be chance. Customers are resampled, not rows, because one customer's months are not
    independent; both scores are judged on each resample, so the interval is of the paired difference.
    """
    y_true = np.asarray(y_true, dtype=int)
    codes, groups = np.unique(np.asarray(customers), return_inverse=True)
    order = np.argsort(groups, kind="stable")
    starts = np.searchsorted(groups[order], np.arange(codes.size))
    sizes = np.bincount(groups, minlength=codes.size)
    rng = np.random.default_rng(seed)
    gains: list[float] = []
    for _ in range(resamples):
        picked = rng.integers(0, codes.size, codes.size)
        # Row indices of the picked customers: each customer's block of rows, repeated as often as picked.
        lengths = sizes[picked]
        offsets = np.repeat(starts[picked] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        rows = order[offsets]
        y = y_true[rows]
        if 0 < y.sum() < y.size:
            gains.append(roc_auc_score(y, p_model[rows]) - roc_auc_score(y, p_baseline[rows]))
    if not gains:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(gains, [tail, 100 - tail])
    return float(low), float(high)


def lift_at(y_true: np.ndarray, score: np.ndarray, share: float) -> float:
    """Churn rate among the top ``share`` by score, over the overall churn rate. Ties are broken by row order,
    so a score that ties everyone (a points-based baseline) gets no credit it has not earned."""
    y_true = np.asarray(y_true, dtype=int)
    base_rate = y_true.mean()
    if base_rate == 0:
        return 0.0
    top = max(1, round(len(y_true) * share))
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    return float(y_true[order[:top]].mean() / base_rate)


def tier_metrics(y_true: np.ndarray, p: np.ndarray, tiers: TierSettings) -> dict[str, float]:
    """Per risk tier (warned = probability at or above the tier's threshold): precision, recall, false-positive
    rate and the share of customers warned."""
    y_true = np.asarray(y_true, dtype=bool)
    p = np.asarray(p, dtype=float)
    out: dict[str, float] = {}
    for name, threshold in (("low", tiers.low), ("medium", tiers.medium), ("high", tiers.high)):
        warned = p >= threshold
        out.update({f"{name}_{rate}": value for rate, value in warning_rates(warned, y_true).items()})
        out[f"{name}_warned_share"] = float(warned.mean())
    return out


def gains(y_true: np.ndarray, score: np.ndarray, *, points: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative gains: share of churners found when contacting the top x share of customers."""
    y_true = np.asarray(y_true, dtype=int)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    found = np.cumsum(y_true[order]) / max(1, y_true.sum())
    shares = np.linspace(0, 1, points + 1)
    idx = np.clip((shares * len(y_true)).astype(int) - 1, 0, len(y_true) - 1)
    return shares, np.where(shares == 0, 0.0, found[idx])
