"""A generated company for the training tests: payment delay raises the churn risk, logins lower it."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["payment_delay_vs_norm", "logins_30d"]


def company(*, months: int, customers: int, seed: int, intercept: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-31", periods=months, freq="ME")
    n = months * customers
    delay = rng.gamma(2, 3, n)
    logins = rng.poisson(20, n).astype(float)
    risk = 1 / (1 + np.exp(-(intercept + 0.25 * delay - 0.08 * logins)))
    return pd.DataFrame(
        {
            "snapshot_date": np.repeat(dates, customers),
            "customer_id": np.tile([f"C{i}" for i in range(customers)], months),
            "payment_delay_vs_norm": delay,
            "logins_30d": logins,
            "label": (rng.random(n) < risk).astype(int),
        }
    )
