"""Which mart columns the model learns from, and how to read them point-in-time from the warehouse.

Every read adds the purchase-propensity features (`propensity`: BG/NBD fitted per snapshot date on the mart's own
frequency, recency and age columns), so the model, the baselines, drift and scoring see the same columns."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.lib.features import propensity

KEYS = ("customer_id", "snapshot_date")
# Bookkeeping columns of the mart that describe the data, not the customer; they never enter the model.
NOT_FEATURES = {*KEYS, "observed_months"}


def feature_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    cols = [r[0] for r in con.execute("describe marts.customer_features").fetchall()]
    derived = list(propensity.FEATURES) if set(propensity.SUMMARY) <= set(cols) else []
    return [c for c in cols if c not in NOT_FEATURES] + derived


def labelled_snapshots(con: duckdb.DuckDBPyConnection, *, warmup_months: int) -> pd.DataFrame:
    """Labelled customer snapshots with at least ``warmup_months`` of source history behind them.

    The warm-up keeps out the first months of the data, whose windows would look empty only because the
    sources start there, not because customers were quiet.
    """
    frame = con.execute(
        """
        select f.*, l.churned_within_horizon::int as label, l.churn_type
        from marts.customer_features as f
        inner join marts.churn_labels as l using (customer_id, snapshot_date)
        where l.is_labelled and f.observed_months > ?
        order by f.snapshot_date, f.customer_id
        """,
        [warmup_months],
    ).df()
    return typed_features(frame)


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every customer active at the newest date in the sources, with features as of that date."""
    frame = con.execute(
        """
        select f.* from marts.customer_features as f
        where f.snapshot_date = (select as_of_date from marts.data_window)
        order by f.customer_id
        """
    ).df()
    return typed_features(frame)


def snapshots_between(con: duckdb.DuckDBPyConnection, start: str, end: str) -> pd.DataFrame:
    frame = con.execute(
        "select * from marts.customer_features where snapshot_date between ? and ? order by snapshot_date",
        [start, end],
    ).df()
    return typed_features(frame)


def typed_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Features as float64 (MLflow signatures reject nullable ints, and LightGBM treats NaN as missing), plus the
    purchase-propensity features; every reader of mart rows (training, scoring, the online API) goes through it."""
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    for col in frame.columns:
        if col not in NOT_FEATURES and col not in {"label", "churn_type"}:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return propensity.with_purchase_propensity(frame)


def data_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The day the data reaches (the newest usable event), which everything is scored as of."""
    return con.execute("select as_of_date::date from marts.data_window").fetchone()[0]
