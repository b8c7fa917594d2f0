"""How warnings turned out: precision, recall and false-positive rate, defined once for every place that reports
them (the training metrics, the realised performance of past scores, the KPIs of the review).

A rate whose denominator is empty is undefined, so it is NaN, never 0: "nobody was warned" is not "every warning
was wrong", and a month with no churner has no recall to speak of. MLflow shows NaN, `radar status` leaves it out.
"""

from __future__ import annotations

import numpy as np

Counts = np.ndarray | int | float


def _ratio(numerator: Counts, denominator: Counts) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def precision(true_pos: Counts, false_pos: Counts) -> np.ndarray:
    """Warned who churned ÷ warned."""
    return _ratio(true_pos, np.asarray(true_pos) + np.asarray(false_pos))


def recall(true_pos: Counts, false_neg: Counts) -> np.ndarray:
    """Churners warned ÷ all churners."""
    return _ratio(true_pos, np.asarray(true_pos) + np.asarray(false_neg))


def false_positive_rate(false_pos: Counts, true_neg: Counts) -> np.ndarray:
    """Warned who stayed ÷ all who stayed: the share of loyal customers a team bothered."""
    return _ratio(false_pos, np.asarray(false_pos) + np.asarray(true_neg))


def warning_rates(warned: np.ndarray, churned: np.ndarray) -> dict[str, float]:
    """The three rates for one set of warnings (boolean arrays, one entry per customer)."""
    warned, churned = np.asarray(warned, dtype=bool), np.asarray(churned, dtype=bool)
    tp, fp = int((warned & churned).sum()), int((warned & ~churned).sum())
    fn, tn = int((~warned & churned).sum()), int((~warned & ~churned).sum())
    return {
        "precision": float(precision(tp, fp)),
        "recall": float(recall(tp, fn)),
        "fpr": float(false_positive_rate(fp, tn)),
    }
