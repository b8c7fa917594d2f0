"""MLflow against the data home's own store: SQLite for runs and the registry, a folder for artifacts."""

from __future__ import annotations

from pipelines.lib.core.paths import RadarPaths


def configure_mlflow(paths: RadarPaths, experiment: str) -> str:
    """Point MLflow at the data home and return the experiment id, creating the experiment on first use."""
    import mlflow
    from mlflow import MlflowClient

    paths.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    paths.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(paths.tracking_uri)
    mlflow.set_registry_uri(paths.tracking_uri)
    client = MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        experiment_id = client.create_experiment(
            experiment, artifact_location=paths.mlflow_artifacts.as_uri()
        )
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
