"""The baselines every churn model must beat, judged on the same validation rows as the model.

- health score: the rule-based points of `health_score.health_points` (the product's fallback); points are
  turned into probabilities by the churn rate per point count on the calibration fold, so Brier and log loss
  compare like with like.
- logistic regression: median-imputed, standardised features; a plain, well-calibrated linear model. It needs
  no calibration fold, so it learns from every row before the validation period, the booster's rows and the
  calibration fold's: if anything, the comparison favours the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipelines.lib.score.health_score import health_points


def health_score_probability(calibration: pd.DataFrame, valid: pd.DataFrame) -> np.ndarray:
    """Rule points on the validation rows, mapped monotonically to the churn rate seen per point count."""
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    iso.fit(health_points(calibration).astype(float), calibration["label"].to_numpy())
    return iso.predict(health_points(valid).astype(float))


def logistic_probability(
    train: pd.DataFrame, valid: pd.DataFrame, features: list[str], *, seed: int
) -> np.ndarray:
    # Columns entirely empty in training carry nothing and would break the imputer's shape.
    usable = [f for f in features if train[f].notna().any()]
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(max_iter=2000, random_state=seed),
    ).fit(train[usable], train["label"])
    return model.predict_proba(valid[usable])[:, 1]
