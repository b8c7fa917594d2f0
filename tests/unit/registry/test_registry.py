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
from pipelines.lib.core.tracking import Tracking

NAME = "test_churn"


def _register_version(client: MlflowClient) -> str:
    """A real registry version pointing at a real run; the model files themselves do not matter here."""
    run = client.create_run(client.get_experiment_by_name("test").experiment_id)
    client.set_terminated(run.info.run_id)
    version = client.create_model_version(
        NAME, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    return str(version.version)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> RadarPaths:
    paths = RadarPaths(tmp_path_factory.mktemp("home"))
    tracking = Tracking.for_home(paths, "test")
    tracking.experiment_id()
    tracking.client().create_registered_model(NAME)
    for _ in range(3):
        _register_version(tracking.client())
    return paths


@pytest.fixture
def client(registry: RadarPaths) -> MlflowClient:
    return Tracking.for_home(registry).client()


def _decide(client: MlflowClient, version: str, promote: bool, log: Path) -> dict:
    decision = Decision(promote=promote, reasons=["test"], figures={"gates_passed": True})
    return apply_decision(NAME, version, decision, client=client, log_path=log)


def test_promotion_rollback_and_approval_keep_an_audit_trail(
    registry: RadarPaths, client: MlflowClient
) -> None:
    log = registry.decision_log
    _decide(client, "1", True, log)
    _decide(client, "2", True, log)
    assert current_alias_version(NAME, CHAMPION, client=client) == "2"

    back = rollback(NAME, reason="v2 misbehaves", client=client, log_path=log)
    assert (back["version"], back["previous_champion"], back["kind"]) == ("1", "2", "rollback")
    assert current_alias_version(NAME, CHAMPION, client=client) == "1"

    _decide(client, "3", False, log)
    assert current_alias_version(NAME, CHALLENGER, client=client) == "3"
    approve(
        NAME, "3", reason="reviewed in the quarterly review", approver="lead", client=client, log_path=log
    )
    assert current_alias_version(NAME, CHAMPION, client=client) == "3"
    assert current_alias_version(NAME, CHALLENGER, client=client) is None

    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["policy", "policy", "rollback", "policy", "approval"]
    tags = client.get_model_version(NAME, "3").tags
    assert (
        tags["decision_kind"] == "approval"
        and "reviewed in the quarterly review" in tags["promotion_reasons"]
    )


def test_a_version_without_passed_gates_can_never_be_approved(
    registry: RadarPaths, client: MlflowClient, tmp_path: Path
) -> None:
    version = _register_version(client)
    with pytest.raises(RegistryError, match="cannot be champion"):
        approve(NAME, version, reason="x", approver="y", client=client, log_path=tmp_path / "log")


def test_rollback_without_an_earlier_champion_is_refused(
    tmp_path: Path, registry: RadarPaths, client: MlflowClient
) -> None:
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(NAME, reason="x", client=client, log_path=tmp_path / "empty.jsonl")


def test_approving_an_unknown_or_current_champion_version_is_a_one_line_refusal(
    registry: RadarPaths, client: MlflowClient, tmp_path: Path
) -> None:
    with pytest.raises(RegistryError, match="has no version 99"):
        approve(NAME, "99", reason="x", approver="y", client=client, log_path=tmp_path / "log")
    champion = current_alias_version(NAME, CHAMPION, client=client)
    with pytest.raises(RegistryError, match="is already champion"):
        approve(NAME, champion, reason="x", approver="y", client=client, log_path=tmp_path / "log")
    assert not (tmp_path / "log").exists(), "a refused approval records nothing"
