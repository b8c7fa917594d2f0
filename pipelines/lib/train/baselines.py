"""The baselines every churn model must beat, judged on the same validation rows as the model.

- health score: the rule-based points of `health_score.health_points` (the product's fallback); points are
  turned into probabilities by the churn rate per point count on the calibration fold, so Brier and log loss
  compare like with like.
- logistic regression: median-imputed, standardised features; a plain, well-calibrated linear model. It needs
  no calibration fold, so it learns from every row before the validation period, the booster's rows and the
  calibration fold's: if anything, the comparison favours the baseline.
- recency: days since the last order or product use, the one number a retailer looks at first, mapped to
  probabilities on the calibration fold like the health score.
- RFM logistic regression: log recency, log frequency and log monetary value, the notebook model of transaction
  data; it learns like the logistic regression.
- BG/NBD: P(no order within the horizon) from the purchase pattern alone (`features.propensity`), fitted per
  snapshot date without labels.
The transaction baselines need order data; without it they are not computed (NaN), and say so by their absence.
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


RECENCY_COLUMNS = ("days_since_last_activity", "days_since_last_order", "days_since_last_usage")


def recency_days(frame: pd.DataFrame) -> np.ndarray | None:
    """Days since the last order or product use (the newer of the two), or None without either signal."""
    for column in RECENCY_COLUMNS:
        if column in frame and frame[column].notna().any():
            return frame[column].to_numpy(dtype=float)
    return None


def recency_probability(calibration: pd.DataFrame, valid: pd.DataFrame) -> np.ndarray | None:
    """Longer silence, higher risk: a monotone map from the days of silence to the churn rate on the calibration
    fold. Customers with no activity at all rank as the most silent."""
    fit, score = recency_days(calibration), recency_days(valid)
    if fit is None or score is None:
        return None
    longest = float(np.nanmax(np.concatenate([fit, score]))) + 1
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    iso.fit(np.nan_to_num(fit, nan=longest), calibration["label"].to_numpy())
    return iso.predict(np.nan_to_num(score, nan=longest))


def rfm(frame: pd.DataFrame) -> pd.DataFrame | None:
    """log recency, log frequency (orders in the last year) and log monetary value (revenue in the last year)."""
    recency = recency_days(frame)
    if recency is None or "orders_365d" not in frame or frame["orders_365d"].isna().all():
        return None
    return pd.DataFrame(
        {
            "log_recency": np.log1p(np.clip(recency, 0, None)),
            "log_frequency": np.log1p(frame["orders_365d"].fillna(0).clip(lower=0).to_numpy(dtype=float)),
            "log_monetary": np.log1p(frame["revenue_365d"].fillna(0).clip(lower=0).to_numpy(dtype=float)),
        }
    )


def rfm_logistic_probability(train: pd.DataFrame, valid: pd.DataFrame, *, seed: int) -> np.ndarray | None:
    fit, score = rfm(train), rfm(valid)
    if fit is None or score is None:
        return None
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)
    ).fit(fit, train["label"])
    return model.predict_proba(score)[:, 1]
