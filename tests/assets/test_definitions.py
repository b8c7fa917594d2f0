"""The code location loads, and its asset graph is what the UI should show (snapshot: asset_graph.json).

After a deliberate change to the graph, refresh the snapshot with `UPDATE_SNAPSHOTS=1 make test`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs as code_location

SNAPSHOT = Path(__file__).with_name("asset_graph.json")
defs = code_location()


def _graph() -> dict[str, object]:
    graph = defs.resolve_asset_graph()
    return {
        "assets": {
            key.to_user_string(): graph.get(key).group_name for key in sorted(graph.get_all_asset_keys())
        },
        # Every edge, so a rewired dependency fails the snapshot as an added or removed asset does.
        "deps": {
            key.to_user_string(): sorted(parent.to_user_string() for parent in graph.get(key).parent_keys)
            for key in sorted(graph.get_all_asset_keys())
        },
        "checks": sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys),
        "jobs": sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")),
        "schedules": {s.name: s.cron_schedule for s in defs.get_repository_def().schedule_defs},
    }


def test_the_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)
    # The same object each time: the code location is scanned once per process.
    assert code_location() is defs


def test_the_asset_graph_matches_its_snapshot() -> None:
    graph = _graph()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(graph, indent=2) + "\n")
    assert graph == json.loads(SNAPSHOT.read_text())


def test_every_stage_is_a_group_and_gates_are_blocking_checks_before_training() -> None:
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"ingest", "transform", "features", "train", "monitor", "registry", "score"} <= groups
    gate_specs = [
        spec
        for ad in defs.resolve_asset_graph().assets_defs
        for spec in ad.check_specs
        if spec.name.endswith("_gate")
    ]
    assert {s.name for s in gate_specs} == {
        "history_gate",
        "quality_gate",
        "feature_mart_gate",
        "learnability_gate",
    }
    assert all(s.blocking for s in gate_specs)
    upstream_of_training = graph.get(dg.AssetKey("churn_model")).parent_keys
    assert dg.AssetKey(["marts", "customer_features"]) in upstream_of_training
    assert dg.AssetKey(["marts", "churn_labels"]) in upstream_of_training


def test_learnability_blocks_training_but_not_the_health_score_fallback() -> None:
    graph = defs.resolve_asset_graph()
    learnability = next(k for k in graph.asset_check_keys if k.name == "learnability_gate")
    assert learnability.asset_key == dg.AssetKey(["marts", "churn_labels"])
    fallback_upstream = graph.get(dg.AssetKey("health_scores")).parent_keys
    assert fallback_upstream == {dg.AssetKey(["marts", "customer_features"])}
    assert dg.AssetKey("health_scores") in graph.get(dg.AssetKey("customer_scores")).parent_keys


def test_the_schedules_are_quarterly_retrain_and_monthly_scoring() -> None:
    schedules = {s.name: s for s in defs.get_repository_def().schedule_defs}
    assert schedules["quarterly_retrain_schedule"].cron_schedule == "0 6 1 1,4,7,10 *"
    assert schedules["quarterly_retrain_schedule"].job_name == "quarterly_retrain"
    assert schedules["monthly_scoring_schedule"].job_name == "monthly_scoring"
    # Both run as soon as the daemon does (`radar ui`), without a click in the UI.
    assert {s.default_status for s in schedules.values()} == {dg.DefaultScheduleStatus.RUNNING}


def test_every_asset_has_a_description() -> None:
    graph = defs.resolve_asset_graph()
    missing = [
        k.to_user_string() for k in graph.get_all_asset_keys() if not (graph.get(k).description or "").strip()
    ]
    assert not missing, missing


def test_the_quarterly_schedule_retrains_the_quarter_that_just_ended_once_the_data_can_train_it() -> None:
    import datetime as dt

    schedule = defs.get_repository_def().get_schedule_def("quarterly_retrain_schedule")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC),
            repository_def=defs.get_repository_def(),
        )
        skipped = schedule.evaluate_tick(context)
        assert not skipped.run_requests and "2026-10-01 is not a trainable quarter" in skipped.skip_message
        instance.add_dynamic_partitions("quarter", ["2026-07-01", "2026-10-01"])
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-10-01"
    assert defs.resolve_asset_graph().get(dg.AssetKey("churn_model")).partitions_def is not None
