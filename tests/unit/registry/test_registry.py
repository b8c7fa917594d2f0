"""Alias moves, approvals and rollbacks against a real MLflow SQLite registry in a temporary data home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from models_registry.policy import Decision
from models_registry.registry import (
    CHALLENGER,
    CHAMPION,
    RegistryError,
    apply_decision,
    approve,
    current_alias_version,
    rollback,
)
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import configure_mlflow

NAME = "test_churn"


def _register_version() -> str:
    """A real registry version pointing at a real run; the model files themselves do not matter here."""
    client = MlflowClient()
    run = client.create_run(client.get_experiment_by_name("test").experiment_id)
    client.set_terminated(run.info.run_id)
    version = client.create_model_version(
        NAME, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    return str(version.version)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> RadarPaths:
    paths = RadarPaths(tmp_path_factory.mktemp("home"))
    configure_mlflow(paths, "test")
    MlflowClient().create_registered_model(NAME)
    for _ in range(3):
        _register_version()
    return paths


def _decide(version: str, promote: bool, log: Path) -> dict:
    decision = Decision(promote=promote, reasons=["test"], figures={"gates_passed": True})
    return apply_decision(NAME, version, decision, log_path=log)


def test_promotion_rollback_and_approval_keep_an_audit_trail(registry: RadarPaths) -> None:
    log = registry.decision_log
    _decide("1", True, log)
    _decide("2", True, log)
    assert current_alias_version(NAME, CHAMPION) == "2"

    back = rollback(NAME, reason="v2 misbehaves", log_path=log)
    assert (back["version"], back["previous_champion"], back["kind"]) == ("1", "2", "rollback")
    assert current_alias_version(NAME, CHAMPION) == "1"

    _decide("3", False, log)
    assert current_alias_version(NAME, CHALLENGER) == "3"
    approve(NAME, "3", reason="reviewed in the quarterly review", approver="lead", log_path=log)
    assert current_alias_version(NAME, CHAMPION) == "3"
    assert current_alias_version(NAME, CHALLENGER) is None

    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["policy", "policy", "rollback", "policy", "approval"]
    tags = MlflowClient().get_model_version(NAME, "3").tags
    assert (
        tags["decision_kind"] == "approval"
        and "reviewed in the quarterly review" in tags["promotion_reasons"]
    )


def test_a_version_without_passed_gates_can_never_be_approved(registry: RadarPaths, tmp_path: Path) -> None:
    version = _register_version()
    with pytest.raises(RegistryError, match="cannot be champion"):
        approve(NAME, version, reason="x", approver="y", log_path=tmp_path / "log")


def test_rollback_without_an_earlier_champion_is_refused(tmp_path: Path, registry: RadarPaths) -> None:
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(NAME, reason="x", log_path=tmp_path / "empty.jsonl")


def test_approving_an_unknown_or_current_champion_version_is_a_one_line_refusal(
    registry: RadarPaths, tmp_path: Path
) -> None:
    with pytest.raises(RegistryError, match="has no version 99"):
        approve(NAME, "99", reason="x", approver="y", log_path=tmp_path / "log")
    champion = current_alias_version(NAME, CHAMPION)
    with pytest.raises(RegistryError, match="is already champion"):
        approve(NAME, champion, reason="x", approver="y", log_path=tmp_path / "log")
    assert not (tmp_path / "log").exists(), "a refused approval records nothing"
