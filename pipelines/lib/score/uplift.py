"""Who is persuadable: a two-model (T-learner) uplift estimate from the hold-out's outcomes.

One LightGBM classifier learns P(retained | features) on the treated customers, another on the held-out ones;
a customer's uplift is the difference, the retention a contact adds for them. The risk model ranks who will
churn; this ranks whose churn a contact prevents (a customer who will stay anyway, or leave anyway, has an
uplift near 0). It is fitted only once both groups have at least `MIN_PER_GROUP` outcomes: below that the
difference of two small models is mostly noise, and the export's `uplift` column stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.lib.features.mart import NOT_FEATURES

MIN_PER_GROUP = 50  # outcomes needed in each of treated and hold-out before an uplift model is fitted
# Small, regularised trees: a few hundred outcomes per group at best, and the difference of two models doubles
# their noise.
PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 8,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "verbose": -1,
}


@dataclass(frozen=True)
class UpliftModel:
    treated: object
    control: object
    features: list[str]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """P(retained | treated) − P(retained | held out) for each row of ``frame``."""
        x = frame[self.features].astype(float)
        return self.treated.predict_proba(x)[:, 1] - self.control.predict_proba(x)[:, 1]


def feature_names(frame: pd.DataFrame) -> list[str]:
    """The numeric mart features of ``frame`` (the same columns the churn model may read)."""
    return [
        c
        for c in frame.columns
        if c not in NOT_FEATURES and c not in {"label", "churn_type"} and pd.api.types.is_numeric_dtype(frame[c])
    ]


def readiness(outcomes: pd.DataFrame) -> tuple[bool, str]:
    """Whether there are enough outcomes to fit, and a line saying how many there are against the threshold."""
    held = int(outcomes["holdout"].astype(bool).sum()) if len(outcomes) else 0
    treated = len(outcomes) - held
    line = f"{treated} treated and {held} hold-out outcome(s); the uplift model needs ≥ {MIN_PER_GROUP} of each"
    return treated >= MIN_PER_GROUP and held >= MIN_PER_GROUP, line


def with_features(outcomes: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Each outcome with the customer's features at the warning it refers to (the latest snapshot on or before
    that scoring date: nothing the contact could have changed)."""
    # One resolution on both sides: DuckDB hands dates back in µs or s, and merge_asof refuses a mix.
    left = outcomes.assign(as_of=pd.to_datetime(outcomes["as_of"]).astype("datetime64[ns]")).sort_values("as_of")
    right = snapshots.assign(
        snapshot_date=pd.to_datetime(snapshots["snapshot_date"]).astype("datetime64[ns]")
    ).sort_values("snapshot_date")
    joined = pd.merge_asof(
        left, right, left_on="as_of", right_on="snapshot_date", by="customer_id", direction="backward"
    )
    return joined[joined["snapshot_date"].notna()].reset_index(drop=True)


def fit(frame: pd.DataFrame, *, features: list[str], seed: int = 42) -> UpliftModel:
    """The T-learner on ``frame`` (features, `holdout`, `retained`)."""
    from lightgbm import LGBMClassifier

    held = frame["holdout"].astype(bool).to_numpy()
    x = frame[features].astype(float)
    y = frame["retained"].astype(int).to_numpy()
    models = []
    for group in (~held, held):
        if len(np.unique(y[group])) < 2:
            raise ValueError("every customer of one group has the same outcome; no uplift can be learnt")
        models.append(LGBMClassifier(**PARAMS, random_state=seed).fit(x[group], y[group]))
    return UpliftModel(treated=models[0], control=models[1], features=features)
