"""Labels, RFM features, four churn baselines and their metrics on a transaction log (orders only).

Everything is computed from the raw orders at a cut-off ``t`` with nothing after it, except the label: a customer
is *active* at ``t`` with an order in the 365 days up to ``t``, and has *churned* when it places no order in
``(t, t + horizon]``. Baselines that learn from labels are trained on earlier cut-offs ``t'`` with
``t' + horizon <= t``, so their labels are known at ``t`` and nothing leaks. Used by ``benchmarks/real_data.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipelines.lib.value import btyd

ACTIVE_DAYS = 365
WINDOWS = (30, 90, 180, 365)
DAYS_PER_MONTH = 365.25 / 12
TRAINING_SNAPSHOTS = 3  # monthly cut-offs stacked for the trained baselines, the newest at t - horizon
MIN_HISTORY_DAYS = 180  # a training cut-off needs this much history behind it


@dataclass(frozen=True)
class Scores:
    """One baseline's churn scores for the active customers at a cut-off (NaN = not scored)."""

    model: str
    score: pd.Series
    probabilistic: bool


def active_labels(orders: pd.DataFrame, t: pd.Timestamp, horizon_days: int) -> pd.Series:
    """1 = churned (no order in (t, t+horizon]) for every customer with an order in (t-365, t]."""
    age = (t - orders["order_date"]).dt.days
    active = orders.loc[(age >= 0) & (age < ACTIVE_DAYS), "customer_id"].unique()
    ahead = orders.loc[(age < 0) & (age >= -horizon_days), "customer_id"].unique()
    index = pd.Index(np.sort(active), name="customer_id")
    return pd.Series((~index.isin(ahead)).astype(np.int8), index=index, name="churned")


def future_revenue(orders: pd.DataFrame, t: pd.Timestamp, days: int, customers: pd.Index) -> pd.Series:
    """Revenue in (t, t+days] per customer of ``customers`` (0 without an order)."""
    age = (t - orders["order_date"]).dt.days
    window = orders[(age < 0) & (age >= -days)]
    return window.groupby("customer_id")["amount"].sum().reindex(customers, fill_value=0.0)


def rfm_features(
    orders: pd.DataFrame, t: pd.Timestamp, horizon_days: int, data_start: pd.Timestamp
) -> pd.DataFrame:
    """About twenty RFM features per customer with an order on or before ``t``, from those orders only."""
    past = orders[orders["order_date"] <= t]
    age = (t - past["order_date"]).dt.days.to_numpy()
    frame = pd.DataFrame({"customer_id": past["customer_id"].to_numpy(), "amount": past["amount"].to_numpy()})
    for w in WINDOWS:
        inside = age < w
        frame[f"orders_{w}d"] = inside.astype(np.int32)
        frame[f"revenue_{w}d"] = np.where(inside, frame["amount"], 0.0)
    frame["age"] = age
    # The same season a year earlier: what the customer did in the horizon that followed t - 365.
    year_ago = (age > ACTIVE_DAYS - horizon_days) & (age <= ACTIVE_DAYS)
    frame["orders_same_season_last_year"] = year_ago.astype(np.int32)
    grouped = frame.groupby("customer_id", sort=True)
    out = grouped[[c for c in frame.columns if c.startswith(("orders_", "revenue_"))]].sum()
    out["days_since_last_order"] = grouped["age"].min()
    out["tenure_days"] = grouped["age"].max()
    out["orders_total"] = grouped.size()
    out["revenue_total"] = grouped["amount"].sum()
    out["mean_order_value"] = out["revenue_total"] / out["orders_total"]
    out["max_order_value"] = grouped["amount"].max()
    gaps = _purchase_gaps(past)
    out["gap_mean_days"] = gaps.groupby(level=0).mean().reindex(out.index)
    out["gap_std_days"] = gaps.groupby(level=0).std().reindex(out.index)
    out["recency_over_gap"] = out["days_since_last_order"] / out["gap_mean_days"]
    out["trend_orders_90_vs_365"] = out["orders_90d"] / (out["orders_365d"] * 90 / 365)
    out["trend_revenue_90_vs_365"] = out["revenue_90d"] / (out["revenue_365d"] * 90 / 365).replace(0, np.nan)
    out["trend_orders_180_vs_prior_180"] = out["orders_180d"] - (out["orders_365d"] - out["orders_180d"])
    if (t - data_start).days < ACTIVE_DAYS:  # the year-ago season is not in the data yet: unknown, not zero
        out["orders_same_season_last_year"] = np.nan
    return out


def _purchase_gaps(orders: pd.DataFrame) -> pd.Series:
    """Days between a customer's consecutive purchase days, indexed by customer."""
    days = orders[["customer_id", "order_date"]].drop_duplicates().sort_values(["customer_id", "order_date"])
    gap = days.groupby("customer_id")["order_date"].diff().dt.days
    return pd.Series(gap.to_numpy(), index=days["customer_id"].to_numpy()).dropna()


def training_cutoffs(t: pd.Timestamp, horizon_days: int, data_start: pd.Timestamp) -> list[pd.Timestamp]:
    """Up to ``TRAINING_SNAPSHOTS`` monthly cut-offs t' <= t - horizon with enough history, newest first."""
    newest = t - pd.Timedelta(days=horizon_days)
    cutoffs = [newest - pd.DateOffset(months=k) for k in range(TRAINING_SNAPSHOTS)]
    return [c for c in cutoffs if (c - data_start).days >= MIN_HISTORY_DAYS]


def recency_baseline(features: pd.DataFrame) -> Scores:
    """Days since the last order: the simplest churn score, and hard to beat in retail."""
    return Scores("recency", features["days_since_last_order"].astype(float), probabilistic=False)


def trained_baselines(
    orders: pd.DataFrame, t: pd.Timestamp, horizon_days: int, data_start: pd.Timestamp, features: pd.DataFrame
) -> tuple[list[Scores], list[pd.Timestamp]]:
    """The RFM logistic regression and an untuned LightGBM, both learnt on earlier cut-offs only."""
    cutoffs = training_cutoffs(t, horizon_days, data_start)
    if not cutoffs:
        return [], []
    parts = []
    for c in cutoffs:
        labels = active_labels(orders, c, horizon_days)
        parts.append(
            rfm_features(orders, c, horizon_days, data_start).loc[labels.index].assign(churned=labels)
        )
    train = pd.concat(parts)
    y = train.pop("churned").to_numpy()
    models: dict[str, tuple[Callable[[pd.DataFrame], np.ndarray], object]] = {
        "rfm_logistic": (_log_rfm, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        "lightgbm_rfm": (
            lambda f: f.to_numpy(dtype=float),
            LGBMClassifier(random_state=0, n_jobs=1, verbose=-1),
        ),
    }
    scored = []
    for name, (design, model) in models.items():
        model.fit(design(train), y)
        scored.append(
            Scores(name, pd.Series(model.predict_proba(design(features))[:, 1], index=features.index), True)
        )
    return scored, cutoffs


def _log_rfm(features: pd.DataFrame) -> np.ndarray:
    return np.log1p(
        features[["days_since_last_order", "orders_total", "mean_order_value"]].to_numpy(dtype=float)
    )


@dataclass(frozen=True)
class BtydFit:
    summary: pd.DataFrame
    purchases: btyd.BGNBD
    spend: btyd.GammaGamma


def fit_btyd(orders: pd.DataFrame, t: pd.Timestamp) -> BtydFit:
    """BG/NBD and Gamma-Gamma on every customer's orders up to ``t``, in days (no labels needed)."""
    summary = btyd.rfm_summary(orders, t).set_index("customer_id")
    purchases = btyd.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    spend = btyd.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    return BtydFit(summary, purchases, spend)


def bgnbd_baseline(fit: BtydFit, customers: pd.Index, horizon_days: int) -> Scores:
    s = fit.summary.loc[customers]
    p = fit.purchases.p_no_purchase(float(horizon_days), s["frequency"], s["recency"], s["T"])
    return Scores("bgnbd", pd.Series(p, index=customers), probabilistic=True)


def btyd_revenue(fit: BtydFit, customers: pd.Index, days: int) -> pd.Series:
    """Predicted revenue over the next ``days``: BG/NBD purchases × Gamma-Gamma spend, undiscounted."""
    s = fit.summary.loc[customers].reset_index()
    periods = max(1, round(days / DAYS_PER_MONTH))
    value = btyd.customer_value(fit.purchases, fit.spend, s, periods=periods, period_length=days / periods)
    return pd.Series(value, index=customers)


def churn_metrics(scores: Scores, labels: pd.Series) -> dict[str, float]:
    """ROC-AUC, PR-AUC (churn is the positive class), Brier for probabilities, and coverage, on the scored
    active customers; coverage is the share of active customers that got a score."""
    score = scores.score.reindex(labels.index)
    scored = score.notna().to_numpy()
    y, s = labels.to_numpy()[scored], score.to_numpy()[scored]
    out = {"coverage": float(scored.mean()), "scored": int(scored.sum())}
    if scored.sum() == 0 or len(np.unique(y)) < 2:
        return out
    out |= {"roc_auc": float(roc_auc_score(y, s)), "pr_auc": float(average_precision_score(y, s))}
    if scores.probabilistic:
        out["brier"] = float(brier_score_loss(y, s))
    return out


def value_metrics(predicted: pd.Series, actual: pd.Series) -> dict[str, float]:
    return {
        "spearman": float(spearmanr(predicted.to_numpy(), actual.to_numpy()).statistic),
        "mae": float(np.mean(np.abs(predicted.to_numpy() - actual.to_numpy()))),
        "actual_mean": float(actual.mean()),
    }
