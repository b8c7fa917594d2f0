"""A failed gate stops training, visibly: in the run's check results and from `radar run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from tests.conftest import generate, run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def twelve_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("short") / "sources", customers=300, months=12)


def test_twelve_months_of_history_fail_the_history_gate_and_nothing_is_trained(
    tmp_path: Path, twelve_months: Path
) -> None:
    run = run_pipeline(tmp_path / "home", twelve_months)
    checks = run.checks()
    assert checks["history_gate"] is False
    assert not run.result.success
    materialized = {e.asset_key.to_user_string() for e in run.result.get_asset_materialization_events()}
    assert "marts/customer_features" in materialized
    assert not {"churn_model", "champion_decision", "customer_scores"} & materialized
    # Nothing reached the model registry.
    assert not (run.paths.mlflow_db.exists() and _registered_versions(run.paths.tracking_uri))


def test_radar_run_exits_non_zero_naming_the_gate_the_figure_and_the_threshold(
    tmp_path: Path, twelve_months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("RADAR_HOME", "RADAR_SOURCES", "RADAR_AS_OF", "RADAR_CONFIG", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RADAR_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["run", "--sources", str(twelve_months)])
    assert result.exit_code == 3, result.output
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("radar: training blocked: gate 'history'")
    ]
    assert len(lines) == 1, result.stderr
    months = int(lines[0].split("FAILED: ")[1].split(" months")[0])
    assert months <= 12 and "threshold 18 months" in lines[0]
    # dbt's progress and the libraries' logs went to the run log; the terminal has the verdict only.
    assert "START" not in result.output and len(result.output.splitlines()) <= 4, result.output
    assert "Completed successfully" in (tmp_path / "home" / "logs" / "last_run.log").read_text()

    # `radar status` shows the gates of the blocked run, the failed one with its figure, and that nothing is
    # scored; exit 3, as the run's own.
    status = CliRunner().invoke(main, ["status", "--json"])
    assert status.exit_code == 3, status.output
    state = json.loads(status.stdout)
    history = next(g for g in state["gates"] if g["name"] == "history")
    assert history["passed"] is False and history["value"] <= 12 and history["threshold"] == 18
    assert state["scoring"] is None
    assert state["scores"].startswith("no scores yet: the last run was blocked by the gate(s) ")
    assert "history" in state["scores"]
    assert status.stderr.strip() == f"radar: {state['scores']}"


def _registered_versions(uri: str) -> list:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri).search_model_versions()
