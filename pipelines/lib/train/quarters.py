"""Quarters as training periods. A quarter's retrain learns from every snapshot whose label had matured by the
quarter's last day (or by the newest data, when the quarter is still running), and which quarters exist follows
the data: from the first one whose history can train a model to the one holding the newest data."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.lib.core.config import RadarConfig


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


def trainable_quarters(
    frame: pd.DataFrame, cfg: RadarConfig, data_as_of: dt.date | pd.Timestamp
) -> list[str]:
    """The quarters a retrain can learn from, oldest first: from the first whose matured labels fit the training
    windows (the smallest ones included) to the quarter of the newest data; none when even that cannot train.

    Earlier quarters would only ever fail, so they are not offered as partitions (or to a backfill)."""
    from pipelines.lib.train.training import NotEnoughDataError
    from pipelines.lib.train.windows import fit_windows

    if frame.empty:
        return []
    newest = pd.Timestamp(quarter_key(data_as_of))
    first = pd.Timestamp(quarter_key(frame["snapshot_date"].min()))
    keys = [d.date().isoformat() for d in pd.date_range(first, newest, freq="QS")]
    for i, key in enumerate(keys):
        try:
            fit_windows(frame, cfg, training_cutoff(key, data_as_of))
        except NotEnoughDataError:
            continue
        return keys[i:]
    return []
