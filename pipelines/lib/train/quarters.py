"""Quarters as training periods. A quarter's retrain learns from every snapshot up to the quarter's last day, or
up to the newest data when the quarter is still running."""

from __future__ import annotations

import datetime as dt

import pandas as pd

QUARTER_CRON = "0 0 1 */3 *"  # Dagster has no quarterly partitions; a 3-monthly cron window is one
FIRST_QUARTER = "2020-01-01"


def quarter_key(day: dt.date | pd.Timestamp) -> str:
    """The partition key (first day, ISO) of the quarter containing ``day``."""
    day = pd.Timestamp(day)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1).isoformat()


def training_cutoff(key: str, data_as_of: dt.date | pd.Timestamp) -> pd.Timestamp:
    """The last day a quarter's retrain may see: the quarter's last day, or the newest data if earlier."""
    quarter_end = pd.Timestamp(key) + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    return min(quarter_end, pd.Timestamp(data_as_of))


def previous_quarter_key(day: dt.date | pd.Timestamp) -> str:
    """The quarter that ended just before ``day``'s quarter began: what the quarterly schedule retrains."""
    return quarter_key(pd.Timestamp(quarter_key(day)) - pd.Timedelta(days=1))


def data_quarter(key: str, data_as_of: dt.date | pd.Timestamp) -> str:
    """The quarter a retrain is named for: the partition's, unless the data end before it begins (a company's
    history from years ago, scored in today's partition); then the quarter of the newest data, so run names,
    tags and messages speak of the data, not the wall clock."""
    return key if pd.Timestamp(key) <= pd.Timestamp(data_as_of) else quarter_key(data_as_of)
