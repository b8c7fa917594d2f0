"""The one LightGBM setup the stage's models share: few shallow trees, row and column subsampling, L2 shrinkage.

Churn and hazard signals are few and additive, and a few hundred churners are easy to overfit; these settings
were measured on the demo and the transaction-only benchmark (benchmarks/README.md). Each model chooses only its
size, its loss and how many threads it may take.
"""

from __future__ import annotations

import lightgbm as lgb


def shallow_booster(
    *,
    n_estimators: int,
    learning_rate: float,
    num_leaves: int,
    min_child_samples: int,
    metric: str,
    seed: int,
    n_jobs: int,
    class_weight: str | None = None,
) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        min_child_samples=min_child_samples,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=5.0,
        class_weight=class_weight,
        metric=metric,
        random_state=seed,
        n_jobs=n_jobs,
        verbose=-1,
    )
