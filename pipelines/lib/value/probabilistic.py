"""Customer value from orders alone, before a learned model can be: BG/NBD expected orders × Gamma-Gamma spend.

The value regressor learns next-12-month revenue and so needs a snapshot whose 12 months are over; a company with
14 months of orders has none. BG/NBD (fitted on the snapshot's own frequency, recency and age, see
`features.propensity`) gives the orders each customer can be expected to place in the next 365 days, Gamma-Gamma
the value of one of them; their product is the predicted 12-month revenue that stands in until the regressor can
be trained. The mart's average order value includes the first order, which the Gamma-Gamma literature leaves out:
a small upward pull for customers with few orders, accepted here to keep one mart column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.features.propensity import SUMMARY, fitted_bgnbd, summary_arrays
from pipelines.lib.value.btyd import fit_gamma_gamma

YEAR_DAYS = 365.0


def predicted_revenue_12m(current: pd.DataFrame) -> np.ndarray | None:
    """Per customer of one snapshot date, the expected revenue of the next 365 days; None without order data
    or when either model cannot be fitted (too few repeat buyers)."""
    if not {*SUMMARY, "avg_order_value_to_date"} <= set(current.columns) or current["snapshot_date"].nunique() != 1:
        return None
    buyer, x, t_x, age = summary_arrays(current)
    model = fitted_bgnbd(current["snapshot_date"].iloc[0], x[buyer], t_x[buyer], age[buyer])
    if model is None:
        return None
    spend_per_order = current["avg_order_value_to_date"].to_numpy(dtype=float)
    repeat = buyer & (x > 0) & (np.nan_to_num(spend_per_order) > 0)
    try:
        spend = fit_gamma_gamma(x[repeat], spend_per_order[repeat])
    except ValueError:
        return None
    if not np.isfinite(spend.population_mean):
        return None
    orders = np.clip(model.expected_purchases(YEAR_DAYS, x, t_x, age), 0, None)
    value = spend.expected_spend(x, np.nan_to_num(spend_per_order))
    return np.where(buyer, orders * value, 0.0)
