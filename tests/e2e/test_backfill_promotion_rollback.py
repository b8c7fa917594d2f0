"""Without drift, a better challenger is promoted and the decision log says why; `radar rollback` undoes it.

`radar backfill` retrains two quarters of one clean company through Dagster, oldest first. The earlier quarter
knows fewer labelled months than the later one (its data ends three months sooner), so the later model has
genuinely learnt from more: it is judged against the champion on its own, more recent holdout, which the
champion never saw, and promoted on the figures. The company has 1,000 customers because with the session's 300
a three-month holdout holds about 20 churners, too few for a difference between two models to be more than noise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
import yaml
from click.testing import CliRunner, Result
from dagster._core.execution.backfill import BulkActionStatus
from mlflow import MlflowClient

from models_registry.policy import PromotionPolicy
from models_registry.registry import CHAMPION, current_alias_version
from pipelines.cli import main
from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import Tracking
from tests.conftest import END, generate

pytestmark = pytest.mark.slow

QUARTERS = ["2026-04-01", "2026-07-01"]
# What the CLI fixes for its process; restored afterwards so no later test inherits this data home.
CLI_ENV = ("RADAR_HOME", "RADAR_CONFIG", "RADAR_SOURCES", "RADAR_AS_OF", "DAGSTER_HOME")


@dataclass
class Backfilled:
    paths: RadarPaths
    backfill: Result
    rollback: Result
    decisions_before_rollback: list[dict]
    champion_before_rollback: str | None
    rerun: Result


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    root = tmp_path_factory.mktemp("backfill")
    sources = generate(root / "sources", customers=1000, months=24)
    config = root / "radar.yaml"
    # Shorter folds than the defaults: the company has two years of history, and the early quarter's model
    # must still be trainable (and reach the policy's floor) with what it knew then.
    config.write_text(
        yaml.safe_dump(
            {"training": {"validation_months": 3, "calibration_months": 2, "warmup_months": 3, "folds": 1}}
        )
    )
    home = root / "home"
    saved = {k: os.environ.get(k) for k in CLI_ENV}
    runner = CliRunner()
    try:
        os.environ["RADAR_HOME"] = str(home)
        backfill = runner.invoke(
            main,
            [
                "backfill",
                "--quarters",
                "2",
                "--through",
                QUARTERS[-1],
                "--sources",
                str(sources),
                "--config",
                str(config),
            ],
        )
        paths = RadarPaths(home)
        decisions = _decisions(paths)
        champion = current_alias_version(
            load_config(config).training.model_name, CHAMPION, client=Tracking.for_home(paths).client()
        )
        # The later quarter once more, on the same data: it must reuse its run and version.
        rerun = runner.invoke(
            main,
            [
                "backfill",
                "--quarters",
                "1",
                "--through",
                QUARTERS[-1],
                "--sources",
                str(sources),
                "--config",
                str(config),
            ],
        )
        if champion == "1":
            # The newer quarter did not beat the older one by the policy's margin (on 1,000 customers the two are
            # often within noise): a reviewer approves it by hand, so there is a champion to roll back from.
            runner.invoke(main, ["promote", "--approve", "2", "--reason", "approved in the quarterly review"])
        rollback = runner.invoke(main, ["rollback", "--reason", "v2 over-warns in the review"])
        yield Backfilled(paths, backfill, rollback, decisions, champion, rerun)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _decisions(paths: RadarPaths) -> list[dict]:
    return [json.loads(line) for line in paths.decision_log.read_text().splitlines()]


def test_radar_backfill_is_a_dagster_backfill_of_the_quarterly_retrain_with_one_run_per_quarter_in_order(
    backfilled: Backfilled,
) -> None:
    assert backfilled.backfill.exit_code == 0, backfilled.backfill.output
    with dg.DagsterInstance.from_config(str(backfilled.paths.dagster_home)) as instance:
        runs = [r.dagster_run for r in sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)]
        assert {r.job_name for r in runs} == {"quarterly_retrain"}
        # Two backfills: the two quarters, then the later one again (the re-run on unchanged data).
        backfill, again = sorted(instance.get_backfills(), key=lambda b: b.backfill_timestamp)
        assert again.partition_names == QUARTERS[-1:] and again.status == BulkActionStatus.COMPLETED_SUCCESS
        refresh = runs[0]
        quarters = [r for r in runs if r.tags.get("dagster/backfill") == backfill.backfill_id]
        # The data are refreshed and gated once, in a run of their own; the quarters are the backfill's runs.
        assert "dagster/partition" not in refresh.tags and "dagster/backfill" not in refresh.tags
        assert [r.tags["dagster/partition"] for r in quarters] == QUARTERS
        assert backfill.partition_names == QUARTERS
        assert backfill.partition_set_origin.partition_set_name == "quarterly_retrain_partition_set"
        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
        assert {r.tags["dagster/backfill"] for r in quarters} == {backfill.backfill_id}
        assert instance.get_run_ids(dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id})) == [
            r.run_id for r in reversed(quarters)
        ]
        steps = [{s.step_key for s in instance.get_run_step_stats(r.run_id)} for r in [refresh, *quarters]]
        # The partitions follow the data: the first is the data's first trainable quarter, not a fixed year.
        partitions = instance.get_dynamic_partitions("quarter")
    assert {"extract_sources", "dbt_models", "training_quarters"} <= steps[0] and "churn_model" not in steps[
        0
    ]
    assert all(
        "dbt_models" not in s and {"churn_model", "champion_decision", "quarterly_review"} <= s
        for s in steps[1:]
    )
    assert partitions[-1] == "2026-10-01" and partitions[0] <= QUARTERS[0] and partitions[0] >= "2025-01-01"
    assert f"Dagster backfill {backfill.backfill_id}" in backfilled.backfill.output
    review = (backfilled.paths.reports / f"quarterly_review_{END.isoformat()}.html").read_text(
        encoding="utf-8"
    )
    assert f"over 2 quarter(s): {', '.join(QUARTERS)}" in review
    assert re.search(
        r"2026-07-01: v2 (promoted to champion|kept as challenger) \(\d+s\): .*the champion's",
        backfilled.backfill.output,
    )


def test_a_rerun_on_unchanged_data_reuses_the_runs_and_registers_no_new_version(
    backfilled: Backfilled,
) -> None:
    assert backfilled.rerun.exit_code == 0, backfilled.rerun.output
    assert "unchanged since run churn-2026-07-01" in backfilled.rerun.output
    client = MlflowClient(
        tracking_uri=backfilled.paths.tracking_uri, registry_uri=backfilled.paths.tracking_uri
    )
    cfg = load_config()
    churn = client.search_model_versions(f"name = '{cfg.training.model_name}'")
    assert sorted((str(v.version), v.tags["quarter"]) for v in churn) == [("1", QUARTERS[0]), ("2", QUARTERS[1])]
    runs = client.search_runs(
        [client.get_experiment_by_name(cfg.training.experiment).experiment_id],
        filter_string="tags.model_kind = 'churn'",
    )
    assert sorted(r.data.tags["quarter"] for r in runs) == QUARTERS, "one run per quarter, none repeated"
    assert len({r.data.tags["model_fingerprint"] for r in runs}) == 2
    # Three quarterly runs valued the customers on the same data: one value run, at most one value version.
    (value_run,) = client.search_runs(
        [client.get_experiment_by_name(cfg.training.experiment).experiment_id],
        filter_string="tags.model_kind = 'value'",
    )
    value = client.search_model_versions(f"name = '{cfg.value.model_name}'")
    trained = value_run.data.tags["value_method"] == "lightgbm_regressor"
    assert [(str(v.version), v.tags["quarter"]) for v in value] == ([("1", "2026-10-01")] if trained else [])


def test_the_newer_quarter_is_decided_by_the_policy_and_the_decision_log_says_why_with_figures(
    backfilled: Backfilled,
) -> None:
    first, second = backfilled.decisions_before_rollback
    assert (first["promoted"], first["version"], first["previous_champion"]) == (True, "1", None)
    assert any("no champion yet" in r for r in first["reasons"])
    assert (second["kind"], second["version"], second["previous_champion"]) == ("policy", "2", "1")
    f, policy = second["figures"], PromotionPolicy.load()
    assert f["gates_passed"] and f["drift_share"] <= policy.max_drift_share
    assert f["candidate_training_cutoff"] == "2026-09-30" and f["champion_training_cutoff"] == "2026-06-30"
    gain = f["candidate_roc_auc"] - f["champion_roc_auc"]
    calibrated = f["candidate_brier"] <= f["champion_brier"] + policy.max_calibration_worsening
    if second["promoted"]:
        # Promoted only when it beats the champion by the margin on the same holdout and calibration holds.
        assert gain >= policy.min_improvement and calibrated
        assert (
            f"roc_auc {f['candidate_roc_auc']:.4f} beats the champion's {f['champion_roc_auc']:.4f} by {gain:.4f}"
            in second["reasons"]
        )
        assert backfilled.champion_before_rollback == "2"
    else:
        failing = (
            "is below the required",
            "worse than the champion's",
            "did not when the champion was chosen",
        )
        assert any(text in r for r in second["reasons"] for text in failing)
        assert backfilled.champion_before_rollback == "1"
    client = MlflowClient(
        tracking_uri=backfilled.paths.tracking_uri, registry_uri=backfilled.paths.tracking_uri
    )
    name = load_config().training.model_name
    version = client.get_model_version(name, "2")
    assert version.tags["previous_champion"] == "1"
    assert client.get_run(version.run_id).data.tags["promotion_reasons"] == version.tags["promotion_reasons"]


def test_radar_rollback_gives_champion_back_to_the_previous_version_and_records_it(
    backfilled: Backfilled,
) -> None:
    assert backfilled.rollback.exit_code == 0, backfilled.rollback.output
    assert backfilled.rollback.output.strip() == "version 1 is champion again (was 2)"
    client = MlflowClient(
        tracking_uri=backfilled.paths.tracking_uri, registry_uri=backfilled.paths.tracking_uri
    )
    name = load_config().training.model_name
    assert str(client.get_model_version_by_alias(name, CHAMPION).version) == "1"
    last = _decisions(backfilled.paths)[-1]
    assert (last["kind"], last["version"], last["previous_champion"]) == ("rollback", "1", "2")
    assert "v2 over-warns in the review" in last["reasons"][0]
    assert client.get_model_version(name, "1").tags["decision_kind"] == "rollback"
