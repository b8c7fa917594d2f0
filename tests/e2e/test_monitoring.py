"""Prediction drift, target drift and the realised performance of past scores on the session's pipeline run:
measured by Evidently, saved as HTML and JSON, logged to MLflow, linked from the assets, and in the review."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import END, PipelineRun

pytestmark = pytest.mark.slow


def _metadata(run: PipelineRun, asset: str) -> dict:
    [event] = [
        e for e in run.result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_prediction_and_target_drift_are_measured_saved_and_logged_on_the_candidates_run(
    full_run: PipelineRun,
) -> None:
    prediction = full_run.result.output_for_node("prediction_drift")
    target = full_run.result.output_for_node("target_drift")
    assert prediction["method"] == "wasserstein" and prediction["score"] >= 0
    assert 0 < prediction["reference_mean"] < 1 and 0 < prediction["current_mean"] < 1
    assert target["measured"] and target["method"] == "z" and 0 <= target["score"] <= 1
    assert target["current_month"] > target["reference_month"]
    for out in (prediction, target):
        assert Path(out["html_path"]).stat().st_size > 10_000 and Path(out["json_path"]).exists()
    meta = _metadata(full_run, "prediction_drift")
    assert isinstance(meta["prediction_drift_score"], float)
    # Served by `radar ui`'s report server (a browser refuses file:// links from Dagster's http page).
    assert meta["report_url"] == f"http://127.0.0.1:3001/reports/{Path(prediction['html_path']).name}"
    assert meta["mlflow_run"].startswith("http://127.0.0.1:5000/#/experiments/")
    trained = _metadata(full_run, "churn_model")
    assert trained["mlflow_run"].endswith(f"/runs/{trained['mlflow_run_id']}?workflowType=machine_learning")
    assert trained["mlflow_runs_table"].endswith("/runs?workflowType=machine_learning")
    client = MlflowClient(tracking_uri=full_run.paths.tracking_uri)
    run = client.get_run(full_run.result.output_for_node("churn_model")["run_id"])
    assert {
        "prediction_drift_score",
        "target_drift_p_value",
        "reference_churn_rate",
        "current_churn_rate",
    } <= set(run.data.metrics)
    logged = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "drift")}
    assert {Path(prediction["html_path"]).name, Path(target["json_path"]).name} <= logged


def test_realised_performance_says_plainly_that_no_score_has_matured_yet(full_run: PipelineRun) -> None:
    meta = _metadata(full_run, "realised_performance")
    # One scoring date, the data's last day: its 90-day horizon and 30-day grace period are still ahead.
    assert meta["measured"] is False and meta["matured_scores"] == 0
    assert "no stored score has matured yet" in meta["status"] and "2027-02-28" in meta["status"]
    assert not any(k.startswith("realised_") for k in meta)
    doc = (full_run.paths.reports / f"quarterly_review_{END.isoformat()}.html").read_text(encoding="utf-8")
    assert "<h3>Prediction and target drift</h3>" in doc and "Wasserstein distance (normed)" in doc
    assert "<h3>Realised performance of past scores</h3>" in doc and "No stored score has matured yet" in doc
