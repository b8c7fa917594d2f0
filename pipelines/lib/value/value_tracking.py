"""The value model in MLflow: find the run that already learnt it, reuse its registered version, or register a new
one. Every function takes the client of the store it works in; `register` logs into the active run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipelines.lib.train.quarters import quarter_key
from pipelines.lib.value.value_model import ValueModel

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

WINDOW_TAGS = ("train_start", "train_end", "valid_snapshot", "train_rows", "valid_rows", "final_rows")
FINGERPRINT_TAG = "model_fingerprint"


def previous_run(client: MlflowClient, experiment_id: str, key: str) -> Run | None:
    """The newest value run that learnt from exactly these rows, settings and code, or None."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.model_kind = 'value' and tags.{FINGERPRINT_TAG} = '{key}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0] if runs else None


def register(client: MlflowClient, fitted: ValueModel, current: pd.DataFrame, name: str, as_of: str) -> str:
    """Log the regressor in the active run and register it, so the version that valued a month's customers can
    be found, reloaded and compared in the MLflow UI like the churn model. Alias `current`: the value model has
    no promotion policy, the newest validated one is used."""
    import mlflow
    from mlflow.models import infer_signature

    sample = current[fitted.features].head(200)
    info = mlflow.lightgbm.log_model(
        fitted.model,
        name="value",
        signature=infer_signature(sample, fitted.model.predict(sample)),
        input_example=sample.head(5),
        registered_model_name=name,
    )
    if info.signature is None:
        raise RuntimeError("MLflow logged the value model without a signature; refusing to register it")
    version = str(info.registered_model_version)
    window = fitted.window
    client.update_model_version(
        name,
        version,
        description=(
            f"12-month revenue (LightGBM, Tweedie) as of {as_of}: validated on the snapshot "
            f"{window['valid_snapshot']} ({window['valid_rows']} customers) against a model learnt on "
            f"{window['train_start']} to {window['train_end']}; refit on all {window['final_rows']} labelled "
            f"snapshots. Spearman {fitted.metrics['spearman']:.2f}, MAE {fitted.metrics['mae']:,.0f}, "
            f"top-10 % revenue share {fitted.metrics['top10_revenue_share']:.0%}."
        ),
    )
    client.set_model_version_tag(name, version, "quarter", quarter_key(as_of))
    client.set_registered_model_alias(name, "current", version)
    return version


def reused_model(previous: Run, *, model_name: str, features: list[str]) -> ValueModel:
    """The regressor ``previous`` registered, with its metrics and window, to predict with again. Load it where
    `models:/` URIs resolve in the run's store (`Tracking.active` or `.reading`)."""
    import mlflow

    return ValueModel(
        model=mlflow.lightgbm.load_model(f"models:/{model_name}/{previous.data.tags['model_version']}"),
        features=features,
        metrics={k: v for k, v in previous.data.metrics.items() if not k.startswith("customers_")},
        window={k: previous.data.tags[k] for k in WINDOW_TAGS if k in previous.data.tags},
    )
