"""A promotion decision cut short by a killed process is finished, or undone, by the next one to look."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from models_registry import registry
from models_registry.policy import Decision
from models_registry.registry import (
    CHAMPION,
    apply_decision,
    current_alias_version,
    read_log,
    repair_interrupted,
    rollback,
)
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import Tracking

NAME = "interrupted_churn"


@pytest.fixture
def home(tmp_path) -> RadarPaths:
    paths = RadarPaths(tmp_path / "home")
    tracking = Tracking.for_home(paths, "test")
    tracking.experiment_id()
    client = tracking.client()
    client.create_registered_model(NAME)
    for _ in range(3):
        run = client.create_run(client.get_experiment_by_name("test").experiment_id)
        client.create_model_version(NAME, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    return paths


@pytest.fixture
def client(home: RadarPaths) -> MlflowClient:
    return Tracking.for_home(home).client()


def _promote(version: str, paths: RadarPaths) -> dict:
    decision = Decision(promote=True, reasons=["better"], figures={"gates_passed": True})
    return apply_decision(
        NAME, version, decision, client=Tracking.for_home(paths).client(), log_path=paths.decision_log
    )


def test_a_decision_killed_after_its_intent_is_finished_with_tags_log_and_alias(
    home: RadarPaths, client: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _promote("1", home)

    def _killed(intent, *, client, log_path) -> None:
        # The state a kill -9 leaves right after the intent is on disk: the alias moved by hand, nothing else.
        client.set_registered_model_alias(NAME, CHAMPION, intent["record"]["version"])
        raise SystemExit(137)

    with monkeypatch.context() as mp:
        mp.setattr(registry, "_carry_out", _killed)
        with pytest.raises(SystemExit):
            _promote("2", home)
    assert (home.decision_log.parent / registry.PENDING_FILE).exists()
    assert "decision_kind" not in client.get_model_version(NAME, "2").tags

    line = repair_interrupted(NAME, client=client, log_path=home.decision_log)
    assert line is not None and "finished an interrupted promotion decision" in line
    assert "version 2 is champion" in line
    tags = client.get_model_version(NAME, "2").tags
    assert (tags["decision_kind"], tags["previous_champion"], tags["gates_passed"]) == ("policy", "1", "true")
    assert [r["version"] for r in read_log(home.decision_log)] == ["1", "2"]
    assert not (home.decision_log.parent / registry.PENDING_FILE).exists()
    assert repair_interrupted(NAME, client=client, log_path=home.decision_log) is None  # nothing left to do
    # And the rollback that a half-done decision used to refuse works.
    assert rollback(NAME, reason="check", client=client, log_path=home.decision_log)["version"] == "1"


def test_a_repair_after_the_log_line_was_written_does_not_write_it_twice(
    home: RadarPaths, client: MlflowClient
) -> None:
    record = _promote("1", home)
    intent = {"record": record, "tags": client.get_model_version(NAME, "1").tags}
    (home.decision_log.parent / registry.PENDING_FILE).write_text(json.dumps(intent))
    repair_interrupted(NAME, client=client, log_path=home.decision_log)
    assert len(read_log(home.decision_log)) == 1


def test_a_champion_set_without_any_record_goes_back_to_the_last_recorded_one(
    home: RadarPaths, client: MlflowClient
) -> None:
    _promote("1", home)
    client.set_registered_model_alias(NAME, CHAMPION, "3")  # what an older radar killed mid-way left
    line = repair_interrupted(NAME, client=client, log_path=home.decision_log)
    assert line == (
        "version 3 became champion without a recorded decision (an interrupted run); "
        "champion returned to version 1"
    )
    assert current_alias_version(NAME, CHAMPION, client=client) == "1"
    assert read_log(home.decision_log)[-1]["kind"] == "repair"


def test_a_champion_without_record_or_predecessor_is_removed(home: RadarPaths, client: MlflowClient) -> None:
    client.set_registered_model_alias(NAME, CHAMPION, "2")
    line = repair_interrupted(NAME, client=client, log_path=home.decision_log)
    assert line is not None and line.endswith("so there is none until a run promotes one")
    assert current_alias_version(NAME, CHAMPION, client=client) is None


def test_a_torn_last_line_of_the_log_is_skipped_and_does_not_swallow_the_next(
    home: RadarPaths, client: MlflowClient
) -> None:
    _promote("1", home)
    with home.decision_log.open("a") as fh:
        fh.write('{"kind": "policy", "versi')
    assert [r["version"] for r in read_log(home.decision_log)] == ["1"]
    _promote("2", home)
    assert [r["version"] for r in read_log(home.decision_log)] == ["1", "2"]
