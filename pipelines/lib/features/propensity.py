"""Purchase propensity from the purchase pattern alone: BG/NBD's P(alive) and expected orders, per snapshot.

Transaction data says nothing about who has left; BG/NBD (`value.btyd`) infers it from each customer's frequency,
recency and age, which the mart carries per snapshot (`order_days_to_date`, `days_first_to_last_order`,
`days_since_first_order`, all from orders on or before the snapshot date). Fitted afresh on every snapshot date's
customers, it needs no labels and sees nothing after the date, so its outputs are point-in-time features like any
other, and the baseline a churn model on transaction data has to beat.

Fitting is the cost (a few tenths of a second per snapshot date): parameters are fitted on at most
``MAX_FIT_ROWS`` customers per date, a deterministic sample, and kept per date and data in this process, so the
several steps of one run that read the same snapshots fit each date once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.value.btyd import BGNBD, fit_bgnbd

SUMMARY = ("order_days_to_date", "days_first_to_last_order", "days_since_first_order")
FEATURES = ("p_alive", "expected_orders_90d")
MAX_FIT_ROWS = 5_000
MIN_BUYERS = 50
_FITTED: dict[tuple[str, int], BGNBD | None] = {}


def summary_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    days = frame["order_days_to_date"].to_numpy(dtype=float)
    buyer = np.nan_to_num(days) >= 1
    x = np.where(buyer, days - 1, 0.0)
    t_x = np.nan_to_num(frame["days_first_to_last_order"].to_numpy(dtype=float))
    age = np.nan_to_num(frame["days_since_first_order"].to_numpy(dtype=float))
    return buyer, x, t_x, np.maximum(age, t_x)


def fitted_bgnbd(date: pd.Timestamp, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> BGNBD | None:
    key = (str(date), int(pd.util.hash_array(np.concatenate([x, t_x, age])).sum() % (2**63)))
    if key not in _FITTED:
        if len(x) < MIN_BUYERS:
            _FITTED[key] = None
        else:
            pick = np.random.default_rng(0).permutation(len(x))[:MAX_FIT_ROWS]
            try:
                _FITTED[key] = fit_bgnbd(x[pick], t_x[pick], age[pick])
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                _FITTED[key] = None
        if len(_FITTED) > 512:
            _FITTED.pop(next(iter(_FITTED)))
    return _FITTED[key]


def _per_snapshot(frame: pd.DataFrame, compute) -> dict[str, np.ndarray] | None:
    """``compute(model, x, t_x, age) -> {column: values}`` for every snapshot date's buyers; NaN elsewhere."""
    if not set(SUMMARY) <= set(frame.columns) or frame["order_days_to_date"].isna().all():
        return None
    out: dict[str, np.ndarray] = {}
    # One fit per snapshot date: a loop over months (tens), never over customers.
    for date, rows in frame.groupby("snapshot_date", sort=False).indices.items():
        buyer, x, t_x, age = summary_arrays(frame.iloc[rows])
        model = fitted_bgnbd(date, x[buyer], t_x[buyer], age[buyer])
        if model is None:
            continue
        for column, values in compute(model, x[buyer], t_x[buyer], age[buyer]).items():
            target = out.setdefault(column, np.full(len(frame), np.nan))
            target[rows[buyer]] = values
    return out


def with_purchase_propensity(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with `p_alive` and `expected_orders_90d` (NaN for customers without an order yet, and where the
    company delivers no orders); unchanged when the mart has no order columns at all."""
    if not set(SUMMARY) <= set(frame.columns):
        return frame
    columns = _per_snapshot(
        frame,
        lambda m, x, t_x, age: {
            "p_alive": m.p_alive(x, t_x, age),
            "expected_orders_90d": np.clip(m.expected_purchases(90.0, x, t_x, age), 0, None),
        },
    )
    columns = columns or {}
    return frame.assign(**{name: columns.get(name, np.full(len(frame), np.nan)) for name in FEATURES})


def no_order_probability(frame: pd.DataFrame, *, horizon_days: int) -> np.ndarray | None:
    """BG/NBD's P(no order in the next ``horizon_days``), the transaction baseline. A customer active by product
    use but without an order yet has no purchase history for BG/NBD; they get the mean of the others."""
    columns = _per_snapshot(
        frame, lambda m, x, t_x, age: {"p": m.p_no_purchase(float(horizon_days), x, t_x, age)}
    )
    if columns is None or "p" not in columns:
        return None
    p = columns["p"]
    return np.where(np.isnan(p), np.nanmean(p), p)
