"""Train: the churn model, validated on a later period than it learnt from, tracked and registered in MLflow."""

import dagster as dg

from pipelines.defs.resources import RadarResource
from pipelines.lib import features as feats
from pipelines.lib import training
from pipelines.lib.tracking import configure_mlflow
from pipelines.lib.warehouse import connect

WARMUP_MONTHS = 6


@dg.asset(
    group_name="train",
    deps=[dg.AssetKey(["marts", "customer_features"]), dg.AssetKey(["marts", "churn_labels"])],
    kinds={"lightgbm", "mlflow"},
)
def churn_model(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.Output[dict]:
    """A LightGBM churn classifier for the configured horizon.

    Trains on labelled snapshots whose label window closes before the validation period starts, validates on
    the latest labelled months, logs parameters, metrics (roc_auc, pr_auc, brier, log_loss, lift_at_10pct) and
    the model to MLflow, and registers it as a new version. Whether it becomes champion is decided downstream.
    """
    import mlflow
    from mlflow.models import infer_signature

    cfg = radar.config
    with connect(radar.paths.warehouse, read_only=True) as con:
        feature_names = feats.feature_columns(con)
        frame = feats.labelled_snapshots(con, warmup_months=WARMUP_MONTHS)
    try:
        split = training.time_split(
            frame, validation_months=cfg.training.validation_months, horizon_days=cfg.churn.horizon_days
        )
    except training.NotEnoughDataError as exc:
        raise dg.Failure(description=f"cannot train: {exc}") from exc
    model = training.fit_churn_model(split, feature_names, cfg.training)
    p_valid = model.predict_proba(split.valid[feature_names])[:, 1]
    metrics = training.evaluate(split.valid["label"].to_numpy(), p_valid)
    window = split.describe()

    configure_mlflow(radar.paths, cfg.training.experiment)
    run_name = f"churn-{window['valid_end']}"
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags(
            {
                "model_kind": "churn",
                "dagster_run_id": context.run_id,
                "horizon_days": str(cfg.churn.horizon_days),
                "churn_definition": cfg.churn.definition,
                **{k: str(v) for k, v in window.items()},
            }
        )
        mlflow.log_params(
            {
                **cfg.training.model_dump(exclude={"model_name", "experiment"}),
                "n_estimators_used": model.n_estimators,
                "n_features": len(feature_names),
                "warmup_months": WARMUP_MONTHS,
            }
        )
        mlflow.log_metrics(metrics)
        sample = split.train[feature_names].head(200)
        info = mlflow.lightgbm.log_model(
            model,
            name="model",
            signature=infer_signature(sample, model.predict_proba(sample)[:, 1]),
            input_example=sample.head(5),
            registered_model_name=cfg.training.model_name,
        )
        if info.signature is None:
            raise RuntimeError("MLflow logged the model without a signature; refusing to register it")
    version = str(info.registered_model_version)
    mlflow.MlflowClient().update_model_version(
        cfg.training.model_name,
        version,
        description=(
            f"LightGBM churn model ({cfg.churn.horizon_days}-day horizon, {cfg.churn.definition} churn). "
            f"Trained on snapshots {window['train_start']} to {window['train_end']} ({window['train_rows']} rows, "
            f"{window['train_churns']} churns); validated on {window['valid_start']} to {window['valid_end']}."
        ),
    )
    summary = {
        "model_name": cfg.training.model_name,
        "version": version,
        "run_id": run.info.run_id,
        "metrics": metrics,
        "window": window,
        "features": feature_names,
    }
    return dg.Output(
        summary,
        metadata={
            "model_version": version,
            "mlflow_run_id": run.info.run_id,
            **{k: dg.MetadataValue.float(v) for k, v in metrics.items()},
            **{k: v for k, v in window.items()},
        },
    )
