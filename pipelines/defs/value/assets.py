"""Value: every active customer's predicted 12-month revenue, CLV, value tier and service level."""

import dagster as dg
import numpy as np

from models_registry.registry import CHAMPION, current_alias_version
from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.lib.core.versions import code_version
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.train.churn_model import load_churn_model
from pipelines.lib.train.training import NotEnoughDataError
from pipelines.lib.value import value_model, value_store, value_tracking


@dg.asset(
    group_name="value",
    deps=[
        dg.AssetKey(["marts", "customer_features"]),
        dg.AssetKey(["marts", "customer_revenue_labels"]),
        dg.AssetKey(["marts", "customer_acquisition_costs"]),
        dg.AssetKey("champion_decision"),
    ],
    kinds={"lightgbm", "duckdb", "mlflow"},
    pool="warehouse",
)
def customer_value(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource
) -> dg.MaterializeResult:
    """Customer value as of the newest snapshot, in `scores.customer_value`.

    `predicted_revenue_12m` comes from a LightGBM regressor on the feature mart, trained on snapshots whose next
    12 months are over and judged on the newest such snapshot (MLflow run `value-<as_of>`: mae, spearman,
    top10_revenue_share, and the same for last year's revenue as a naive baseline). With less than about two
    years of orders it cannot be validated, and last year's revenue stands in (`value_method` says which).
    `clv` = average order value x orders per year x expected lifetime - acquisition cost, the lifetime shortened
    by the champion churn model's probability. Value tiers (VIP 10 % / Premium 20 % / Standard 60 % /
    Basic 10 % by CLV, configurable under `value:`) carry their service level.
    """
    with tracking.active() as client:
        return _customer_value(context, radar, client, tracking.experiment_id())


def _customer_value(context: dg.AssetExecutionContext, radar: RadarResource, client, experiment_id: str):
    import mlflow

    cfg = radar.config
    with connect(radar.paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.labelled_snapshots(con, warmup_months=0)
        current = feats.latest_snapshot(con)
        labels = value_model.revenue_labels(con) if table_exists(con, "marts", "customer_revenue_labels") else None
        acquisition = con.execute("select customer_id, acquisition_cost from marts.customer_acquisition_costs").df()
    if current.empty:
        raise dg.Failure(description="no active customers at the newest snapshot; nothing to value")
    as_of = str(current["snapshot_date"].max().date())

    name = cfg.training.model_name
    version = current_alias_version(name, CHAMPION, client=client)
    if version is not None:
        p_churn = load_churn_model(f"models:/{name}@{CHAMPION}").churn_probability(current)
    else:
        p_churn = np.full(len(current), float(frame["label"].mean()) if len(frame) else 0.0)

    method, fitted, registered, why = "last_12m_revenue", None, None, None
    key = (
        value_model.fingerprint(
            frame,
            labels,
            features,
            warmup_months=cfg.training.warmup_months,
            seed=cfg.training.seed,
            code=code_version(),
        )
        if labels is not None and len(labels)
        else None
    )
    previous = value_tracking.previous_run(client, experiment_id, key) if key else None
    reused = None
    if previous is not None and "model_version" in previous.data.tags:
        registered = previous.data.tags["model_version"]
        fitted = value_tracking.reused_model(previous, model_name=cfg.value.model_name, features=features)
        method = "lightgbm_regressor"
        reused = (
            f"value model: the training rows, settings and code are unchanged since run {previous.info.run_name}; "
            f"reusing {cfg.value.model_name} v{registered}, nothing registered again"
        )
        context.log.info(reused)
    elif labels is not None and len(labels):
        try:
            fitted = value_model.train_value_model(
                frame, labels, features, warmup_months=cfg.training.warmup_months, seed=cfg.training.seed
            )
            method = "lightgbm_regressor"
        except NotEnoughDataError as exc:
            why = str(exc)
    else:
        why = "no order revenue to learn from"
    predicted, method, notice = value_model.predict_revenue(current, fitted, method=method, why=why)
    if notice:
        context.log.warning(notice)
    acq = (
        current[["customer_id"]]
        .merge(acquisition, on="customer_id", how="left")["acquisition_cost"]
        .fillna(cfg.value.default_acquisition_cost)
        .to_numpy(dtype=float)
    )
    values = value_model.customer_value_table(
        current,
        predicted_revenue=predicted,
        p_churn=p_churn,
        acquisition_cost=acq,
        settings=cfg.value,
        horizon_days=cfg.churn.horizon_days,
    ).assign(value_method=method, churn_model_version=version or "none")

    # One run per as-of date and model: a re-run on unchanged data logs nothing new (and links the run it reuses).
    value_run_id = previous.info.run_id if previous is not None else None
    if previous is None or previous.data.tags.get("as_of") != as_of:
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"value-{as_of}") as value_run:
            value_run_id = value_run.info.run_id
            mlflow.set_tags(
                {
                    "model_kind": "value",
                    "value_method": method,
                    "as_of": as_of,
                    "dagster_run_id": context.run_id,
                    **({value_tracking.FINGERPRINT_TAG: key} if key else {}),
                    **({"same_model_as": previous.info.run_name} if reused else {}),
                    **{k: str(v) for k, v in (fitted.window if fitted else {}).items()},
                }
            )
            if fitted is not None:
                mlflow.log_metrics(fitted.metrics)
                if reused is None:
                    registered = value_tracking.register(client, fitted, current, cfg.value.model_name, as_of)
                    context.log.info(
                        f"value model registered as {cfg.value.model_name} v{registered} (alias current)"
                    )
                mlflow.set_tag("model_version", registered)
            mlflow.log_metrics(
                {f"customers_{t}": float((values["value_tier"] == t).sum()) for t in cfg.value.tiers}
            )

    with connect(radar.paths.warehouse) as con:
        value_store.replace_as_of(con, values, as_of)
    counts = values["value_tier"].value_counts()
    return dg.MaterializeResult(
        metadata=shown({
            "as_of": as_of,
            "customers": len(values),
            "value_method": method,
            "value_model": f"{cfg.value.model_name} v{registered}" if fitted is not None else "none",
            **{f"tier_{t}": dg.MetadataValue.int(int(counts.get(t, 0))) for t in cfg.value.tiers},
            **{k: dg.MetadataValue.float(float(v)) for k, v in (fitted.metrics if fitted else {}).items()},
            "total_clv": dg.MetadataValue.float(float(values["clv"].sum())),
            **(radar.mlflow_run_links(value_run_id, client=client) if value_run_id else {}),
            **({"notice": "; ".join(n for n in (notice, reused) if n)} if notice or reused else {}),
        })
    )
