"""Expected profit of a retention campaign, per threshold (EMP-style, with each customer's own value).

Contacting a customer costs `retention_cost`; a contact keeps a real churner with probability
`retention_success_rate`, and a kept churner is worth their value. On validation rows the outcome is known, so
the realised profit of contacting everyone at or above a threshold is
    sum over contacted of (churned * success_rate * value - cost),
and the threshold that maximises it is the one worth acting on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)


def profit_curve(
    y_true: np.ndarray,
    p: np.ndarray,
    value: np.ndarray,
    *,
    cost: float,
    success_rate: float,
    thresholds: np.ndarray = THRESHOLDS,
) -> pd.DataFrame:
    """Per threshold: customers contacted, realised profit (known outcomes) and expected profit (the model's
    own probabilities: p * success_rate * value - cost)."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(p, dtype=float)
    v = np.nan_to_num(np.asarray(value, dtype=float), nan=0.0).clip(min=0)
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    realised = np.concatenate([[0.0], np.cumsum(y[order] * success_rate * v[order] - cost)])
    expected = np.concatenate([[0.0], np.cumsum(p_sorted * success_rate * v[order] - cost)])
    # number of customers with p >= t, for each t (p sorted descending)
    contacted = np.searchsorted(-p_sorted, -np.asarray(thresholds), side="right")
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "contacted": contacted,
            "realised_profit": realised[contacted],
            "expected_profit": expected[contacted],
        }
    )


def best_threshold(curve: pd.DataFrame, column: str = "realised_profit") -> tuple[float, float]:
    """The threshold with the highest profit (the highest threshold among ties: fewer contacts, same money)."""
    best = curve[column].max()
    row = curve[curve[column] == best].iloc[-1]
    return float(row["threshold"]), float(best)
