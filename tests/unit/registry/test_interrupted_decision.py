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
from pipelines.lib.core.tracking import configure_mlflow

NAME = "interrupted_churn"


@pytest.fixture
def home(tmp_path) -> RadarPaths:
    paths = RadarPaths(tmp_path / "home")
    configure_mlflow(paths, "test")
    client = MlflowClient()
    client.create_registered_model(NAME)
    for _ in range(3):
        run = client.create_run(client.get_experiment_by_name("test").experiment_id)
        client.create_model_version(NAME, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    return paths


def _promote(version: str, paths: RadarPaths) -> dict:
    decision = Decision(promote=True, reasons=["better"], figures={"gates_passed": True})
    return apply_decision(NAME, version, decision, log_path=paths.decision_log)


def test_a_decision_killed_after_its_intent_is_finished_with_tags_log_and_alias(
    home: RadarPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _promote("1", home)

    def _killed(intent, *, log_path) -> None:
        # The state a kill -9 leaves right after the intent is on disk: the alias moved by hand, nothing else.
        MlflowClient().set_registered_model_alias(NAME, CHAMPION, intent["record"]["version"])
        raise SystemExit(137)

    with monkeypatch.context() as mp:
        mp.setattr(registry, "_carry_out", _killed)
        with pytest.raises(SystemExit):
            _promote("2", home)
    assert (home.decision_log.parent / registry.PENDING_FILE).exists()
    assert "decision_kind" not in MlflowClient().get_model_version(NAME, "2").tags

    line = repair_interrupted(NAME, log_path=home.decision_log)
    assert line is not None and "finished an interrupted promotion decision" in line
    assert "version 2 is champion" in line
    tags = MlflowClient().get_model_version(NAME, "2").tags
    assert (tags["decision_kind"], tags["previous_champion"], tags["gates_passed"]) == ("policy", "1", "true")
    assert [r["version"] for r in read_log(home.decision_log)] == ["1", "2"]
    assert not (home.decision_log.parent / registry.PENDING_FILE).exists()
    assert repair_interrupted(NAME, log_path=home.decision_log) is None  # nothing left to do
    # And the rollback that a half-done decision used to refuse works.
    assert rollback(NAME, reason="check", log_path=home.decision_log)["version"] == "1"


def test_a_repair_after_the_log_line_was_written_does_not_write_it_twice(home: RadarPaths) -> None:
    record = _promote("1", home)
    intent = {"record": record, "tags": MlflowClient().get_model_version(NAME, "1").tags}
    (home.decision_log.parent / registry.PENDING_FILE).write_text(json.dumps(intent))
    repair_interrupted(NAME, log_path=home.decision_log)
    assert len(read_log(home.decision_log)) == 1


def test_a_champion_set_without_any_record_goes_back_to_the_last_recorded_one(home: RadarPaths) -> None:
    _promote("1", home)
    MlflowClient().set_registered_model_alias(NAME, CHAMPION, "3")  # what an older radar killed mid-way left
    line = repair_interrupted(NAME, log_path=home.decision_log)
    assert line == (
        "version 3 became champion without a recorded decision (an interrupted run); "
        "champion returned to version 1"
    )
    assert current_alias_version(NAME, CHAMPION) == "1"
    assert read_log(home.decision_log)[-1]["kind"] == "repair"


def test_a_champion_without_record_or_predecessor_is_removed(home: RadarPaths) -> None:
    MlflowClient().set_registered_model_alias(NAME, CHAMPION, "2")
    line = repair_interrupted(NAME, log_path=home.decision_log)
    assert line is not None and line.endswith("so there is none until a run promotes one")
    assert current_alias_version(NAME, CHAMPION) is None


def test_a_torn_last_line_of_the_log_is_skipped_and_does_not_swallow_the_next(home: RadarPaths) -> None:
    _promote("1", home)
    with home.decision_log.open("a") as fh:
        fh.write('{"kind": "policy", "versi')
    assert [r["version"] for r in read_log(home.decision_log)] == ["1"]
    _promote("2", home)
    assert [r["version"] for r in read_log(home.decision_log)] == ["1", "2"]
