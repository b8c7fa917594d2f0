"""Customer value: next-12-month revenue predicted from the same mart, the classic CLV formula, value tiers.

The regressor learns revenue in the 12 months after a snapshot from the snapshot's own features; it is judged on
the latest snapshot whose 12 months are over, having learnt only from snapshots whose 12 months closed before
it. CLV = average order value x orders per year x expected lifetime - acquisition cost, with the expected
lifetime 1 / (yearly churn probability) from the churn model, capped; a customer likely to leave is worth less.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from pipelines.lib.core.config import ValueSettings
from pipelines.lib.core.versions import rows_digest
from pipelines.lib.train.training import NotEnoughDataError, covered_snapshots

LABEL = "revenue_next_12m"
YEAR_DAYS = 365


def revenue_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Realised revenue in the 12 months after each snapshot whose 12 months are over (by the data's as-of), from
    the mart that sums the validated orders (`marts.customer_revenue_labels`)."""
    return con.execute(
        f"""select customer_id, snapshot_date::timestamp as snapshot_date, {LABEL}::double as {LABEL}
            from marts.customer_revenue_labels order by customer_id, snapshot_date"""
    ).df()


def top_share(realised: np.ndarray, predicted: np.ndarray, share: float = 0.10) -> float:
    """Share of all realised revenue that the predicted top ``share`` of customers brought in."""
    realised = np.asarray(realised, dtype=float)
    top = max(1, round(len(realised) * share))
    order = np.argsort(-np.asarray(predicted, dtype=float), kind="stable")
    total = realised.sum()
    return float(realised[order[:top]].sum() / total) if total > 0 else 0.0


def value_metrics(realised: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(np.mean(np.abs(np.asarray(realised) - np.asarray(predicted)))),
        "spearman": float(spearmanr(realised, predicted).statistic),
        "top10_revenue_share": top_share(realised, predicted),
    }


def _regressor(seed: int) -> lgb.LGBMRegressor:
    # Tweedie: revenue is zero for many customers and heavy-tailed for a few; it predicts the mean in money.
    return lgb.LGBMRegressor(
        objective="tweedie",
        tweedie_variance_power=1.3,
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=50,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=2,
        verbose=-1,
    )


@dataclass
class ValueModel:
    model: lgb.LGBMRegressor
    features: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    window: dict[str, str | int] = field(default_factory=dict)


def fingerprint(
    frame: pd.DataFrame,
    labels: pd.DataFrame,
    features: list[str],
    *,
    warmup_months: int,
    seed: int,
    code: str,
) -> str:
    """What decides the fitted regressor, hashed: the labelled snapshots it may learn from (in a fixed order), the
    features, its settings and the code version. A monthly run on unchanged data reuses the registered version
    with this fingerprint instead of registering a copy."""
    rows = frame.merge(labels, on=["customer_id", "snapshot_date"])[
        ["customer_id", "snapshot_date", LABEL, *features]
    ].sort_values(["snapshot_date", "customer_id"], kind="stable")
    digest = rows_digest(rows)
    settings = {"features": features, "warmup_months": warmup_months, "seed": seed, "code": code}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def train_value_model(
    frame: pd.DataFrame, labels: pd.DataFrame, features: list[str], *, warmup_months: int, seed: int
) -> ValueModel:
    """Validate on the newest labelled snapshot against a model that learnt from snapshots whose 12 months
    ended by then; then refit on every labelled snapshot for the predictions."""
    data = covered_snapshots(
        frame.merge(labels, on=["customer_id", "snapshot_date"]), warmup_months=warmup_months
    )
    if data.empty:
        raise NotEnoughDataError("no snapshot has 12 months of revenue after it yet")
    valid_date = data["snapshot_date"].max()
    train = data[data["snapshot_date"] <= valid_date - pd.Timedelta(days=YEAR_DAYS)]
    valid = data[data["snapshot_date"] == valid_date]
    if train.empty:
        raise NotEnoughDataError(
            f"no snapshot whose following 12 months closed before {valid_date.date()}; need about two years of "
            "order history after the warm-up to validate a revenue model on later time"
        )
    checked = _regressor(seed).fit(train[features], train[LABEL])
    predicted = checked.predict(valid[features])
    metrics = value_metrics(valid[LABEL].to_numpy(), predicted)
    if "revenue_365d" in valid:
        naive = value_metrics(valid[LABEL].to_numpy(), valid["revenue_365d"].fillna(0).to_numpy())
        metrics.update({f"baseline_last_year_{k}": v for k, v in naive.items()})
    final = _regressor(seed).fit(data[features], data[LABEL])
    window = {
        "train_start": train["snapshot_date"].min().date().isoformat(),
        "train_end": train["snapshot_date"].max().date().isoformat(),
        "valid_snapshot": valid_date.date().isoformat(),
        "train_rows": len(train),
        "valid_rows": len(valid),
        "final_rows": len(data),
    }
    return ValueModel(model=final, features=features, metrics=metrics, window=window)


def expected_lifetime_years(p_churn: np.ndarray, *, horizon_days: int, max_years: float) -> np.ndarray:
    """1 / yearly churn probability, where the yearly probability compounds the per-horizon one; capped."""
    p = np.clip(np.asarray(p_churn, dtype=float), 1e-6, 1 - 1e-6)
    yearly = 1 - (1 - p) ** (YEAR_DAYS / horizon_days)
    return np.minimum(1 / yearly, max_years)


def value_tiers(clv: np.ndarray, settings: ValueSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tier, service level and response hours by rank of CLV: the top share is the first tier, and so on."""
    n = len(clv)
    rank = np.empty(n)
    rank[np.argsort(-np.asarray(clv, dtype=float), kind="stable")] = (np.arange(n) + 0.5) / max(n, 1)
    names = list(settings.tiers)
    bounds = np.cumsum([settings.tiers[t].share for t in names])
    idx = np.minimum(np.searchsorted(bounds, rank, side="right"), len(names) - 1)
    tiers = np.asarray(names, dtype=object)[idx]
    service = np.asarray([settings.tiers[t].service_level for t in names], dtype=object)[idx]
    hours = np.asarray([settings.tiers[t].response_hours for t in names])[idx]
    return tiers, service, hours


def customer_value_table(
    current: pd.DataFrame,
    *,
    predicted_revenue: np.ndarray,
    p_churn: np.ndarray,
    acquisition_cost: np.ndarray,
    settings: ValueSettings,
    horizon_days: int,
) -> pd.DataFrame:
    """One row per customer of the newest snapshot: predicted revenue, the CLV formula, tier, service level."""
    orders = current["orders_365d"].fillna(0).to_numpy(dtype=float) if "orders_365d" in current else 0.0
    revenue = current["revenue_365d"].fillna(0).to_numpy(dtype=float) if "revenue_365d" in current else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        aov = np.where(orders > 0, revenue / np.where(orders > 0, orders, 1), 0.0)
    lifetime = expected_lifetime_years(
        p_churn, horizon_days=horizon_days, max_years=settings.max_lifetime_years
    )
    clv = aov * orders * lifetime - acquisition_cost
    tier, service, hours = value_tiers(clv, settings)
    return pd.DataFrame(
        {
            "customer_id": current["customer_id"].to_numpy(),
            "as_of": current["snapshot_date"].dt.date.to_numpy(),
            "predicted_revenue_12m": np.round(predicted_revenue, 2),
            "revenue_last_12m": np.round(revenue, 2),
            "avg_order_value": np.round(aov, 2),
            "orders_per_year": orders,
            "churn_probability": np.round(p_churn, 4),
            "expected_lifetime_years": np.round(lifetime, 2),
            "acquisition_cost": np.round(acquisition_cost, 2),
            "clv": np.round(clv, 2),
            "value_tier": tier,
            "service_level": service,
            "response_hours": hours,
        }
    )


def predict_revenue(
    current: pd.DataFrame, fitted: ValueModel | None, *, method: str, why: str | None
) -> tuple[np.ndarray, str, str | None]:
    """The 12-month revenue of the snapshot's customers, how it was predicted and, when not by the validated
    model, a notice saying why and what stands in: BG/NBD x Gamma-Gamma from the orders, else last year's revenue
    (``method`` and ``why`` as the training left them)."""
    from pipelines.lib.value.probabilistic import predicted_revenue_12m

    if fitted is not None:
        return np.clip(fitted.model.predict(current[fitted.features]), 0, None), method, None
    predicted = predicted_revenue_12m(current)
    if predicted is not None:
        method = "bgnbd_gamma_gamma"
        stand_in = "BG/NBD expected orders x Gamma-Gamma spend predict the 12-month revenue"
    else:
        stand_in = "last year's revenue stands in"
        predicted = (
            current["revenue_365d"].fillna(0).to_numpy() if "revenue_365d" in current else np.zeros(len(current))
        )
    return predicted, method, f"value model not trained ({why}); {stand_in}"
