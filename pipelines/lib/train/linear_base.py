"""The linear start of the booster: a logistic regression on log recency, frequency and monetary value.

On transaction data with a year or two of history the plain RFM logistic regression is hard to beat: the signal is
smooth in those three numbers and the training set is a few thousand rows, where trees spend their splits
re-learning a slope. So for non-contractual churn the booster starts from that regression's log-odds (LightGBM's
`init_score`) and learns only what it misses; early stopping decides how much that is, and when it is nothing the
model is the regression. The base is kept as plain numbers (no pickled scikit-learn object), like the calibrator,
and its per-feature terms join the booster's contributions, so reason codes still name the customer's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipelines.lib.train import baselines

FREQUENCY, MONETARY = "orders_365d", "revenue_365d"


@dataclass(frozen=True)
class LinearBase:
    columns: tuple[str, ...]  # the mart columns it reads: the recency column, orders_365d, revenue_365d
    medians: tuple[float, ...]  # of the log values, to fill a missing figure
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float

    def terms(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row and column, the log-odds the base adds for that figure (centred, so a typical value adds 0)."""
        raw = frame[list(self.columns)].to_numpy(dtype=float)
        logged = np.log1p(np.clip(raw, 0, None))
        logged = np.where(np.isnan(logged), np.asarray(self.medians), logged)
        return (logged - np.asarray(self.means)) / np.asarray(self.scales) * np.asarray(self.coefficients)

    def log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        return self.terms(frame).sum(axis=1) + self.intercept

    def to_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LinearBase:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def fit_linear_base(frame: pd.DataFrame, *, seed: int) -> LinearBase | None:
    """The RFM logistic regression on ``frame`` (with its ``label``), or None without order data."""
    recency = next(
        (c for c in baselines.RECENCY_COLUMNS if c in frame and frame[c].notna().any()),
        None,
    )
    if recency is None or FREQUENCY not in frame or frame[FREQUENCY].isna().all():
        return None
    columns = (recency, FREQUENCY, MONETARY)
    logged = np.log1p(np.clip(frame[list(columns)].to_numpy(dtype=float), 0, None))
    medians = np.nanmedian(logged, axis=0)
    logged = np.where(np.isnan(logged), medians, logged)
    means, scales = logged.mean(axis=0), logged.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    model = LogisticRegression(max_iter=2000, random_state=seed).fit(
        (logged - means) / scales, frame["label"].to_numpy()
    )
    return LinearBase(
        columns=columns,
        medians=tuple(float(v) for v in medians),
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        coefficients=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
    )
