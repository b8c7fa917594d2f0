"""The churn and value models on the session's pipeline run, and a four-quarter backfill on its warehouse."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from pipelines.lib.core.config import RadarConfig, load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.train import retrain
from pipelines.lib.train.candidate import candidate_of_run
from pipelines.lib.train.quarters import training_cutoff
from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow

STABLE_METRICS = {
    "roc_auc",
    "pr_auc",
    "brier",
    "log_loss",
    "lift_at_10pct",
    "high_precision",
    "high_recall",
    "high_fpr",
    "expected_profit",
    "profit_threshold",
    "baseline_health_score_roc_auc",
    "baseline_logistic_roc_auc",
}


def _client(run: PipelineRun) -> MlflowClient:
    return MlflowClient(tracking_uri=run.paths.tracking_uri, registry_uri=run.paths.tracking_uri)


def test_the_champion_run_carries_metrics_baselines_plots_and_the_oracle(full_run: PipelineRun) -> None:
    client = _client(full_run)
    champion = client.get_model_version_by_alias(load_config().training.model_name, "champion")
    run = client.get_run(champion.run_id)
    assert STABLE_METRICS | {"oracle_roc_auc"} <= set(run.data.metrics)
    assert run.data.metrics["roc_auc"] <= run.data.metrics["oracle_roc_auc"], "a model above the truth leaks"
    assert {"quarter", "training_cutoff", "feature_mart_version", "code_version", "gate_quality"} <= set(
        run.data.tags
    )
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert {c.data.tags["model_kind"] for c in children} == {
        f"baseline_{name}" for name in ("health_score", "logistic", "recency", "rfm_logistic", "bgnbd")
    } | {"survival"}
    for name in ("recency", "rfm_logistic", "bgnbd"):
        assert 0 <= run.data.metrics[f"baseline_{name}_roc_auc"] <= 1
        assert f"roc_auc_gain_vs_{name}_ci_low" in run.data.metrics
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {
        f"plots/{p}.png" for p in ("roc", "pr", "calibration", "lift_gains", "feature_importance")
    } <= plots
    assert "learnt again on" in champion.description and "validated on" in champion.description


def test_every_active_customer_gets_a_value_tier_and_service_level(full_run: PipelineRun) -> None:
    with connect(full_run.paths.warehouse, read_only=True) as con:
        value = con.execute("select * from scores.customer_value").df()
        scored = con.execute("select count(*) from scores.customer_scores").fetchone()[0]
    assert len(value) == scored and value["customer_id"].is_unique
    shares = value["value_tier"].value_counts(normalize=True)
    assert shares["VIP"] == pytest.approx(0.10, abs=0.01) and shares["Standard"] == pytest.approx(
        0.60, abs=0.01
    )
    vip, basic = value[value["value_tier"] == "VIP"], value[value["value_tier"] == "Basic"]
    assert vip["clv"].min() >= basic["clv"].max()
    assert value["service_level"].notna().all() and (value["predicted_revenue_12m"] >= 0).all()


def test_a_validated_value_model_is_registered_with_its_signature(full_run: PipelineRun) -> None:
    with connect(full_run.paths.warehouse, read_only=True) as con:
        methods = set(
            con.execute("select distinct value_method from scores.customer_value").df()["value_method"]
        )
    cfg = RadarConfig()
    name, client = cfg.value.model_name, _client(full_run)
    if methods == {"lightgbm_regressor"}:
        current = client.get_model_version_by_alias(name, "current")
        assert "Spearman" in current.description
        with Tracking.for_home(full_run.paths).reading():
            assert mlflow.models.get_model_info(f"models:/{name}@current").signature is not None
    else:  # too little history to validate a revenue model: nothing unvalidated reaches the registry, and
        # BG/NBD x Gamma-Gamma predict the 12-month revenue from the orders instead
        assert methods == {"bgnbd_gamma_gamma"}
        assert not client.search_registered_models(filter_string=f"name = '{name}'")


def test_a_four_quarter_backfill_gives_four_comparable_runs(full_run: PipelineRun, tmp_path) -> None:
    # Smaller folds than the defaults: the session's company has only 24 months of history.
    cfg = RadarConfig.model_validate(
        {
            "training": {
                "validation_months": 2,
                "calibration_months": 2,
                "warmup_months": 3,
                "folds": 1,
                "min_child_samples": 50,
            }
        }
    )
    with connect(full_run.paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.labelled_snapshots(con, warmup_months=0)
        as_of = con.execute("select as_of_date from marts.data_window").fetchone()[0]
    tracking = Tracking.for_home(RadarPaths(tmp_path), cfg.training.experiment)
    experiment, client = tracking.experiment_id(), tracking.client()
    quarters = ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]
    summaries = [
        retrain.train_quarter(
            frame,
            features,
            cfg,
            retrain.RunContext(quarter=q, cutoff=training_cutoff(q, as_of), tags={}, source_folder=None),
            tracking=tracking,
        )
        for q in quarters
    ]
    runs = client.search_runs([experiment], filter_string="tags.model_kind = 'churn'")
    assert sorted(r.data.tags["quarter"] for r in runs) == quarters
    metric_sets = {frozenset(r.data.metrics) for r in runs}
    assert len(metric_sets) == 1 and next(iter(metric_sets)) >= STABLE_METRICS
    valid_ends = [pd.Timestamp(s["window"]["valid_end"]) for s in summaries]
    assert valid_ends == sorted(valid_ends) and len(set(valid_ends)) == 4
    for s in summaries:
        assert pd.Timestamp(s["window"]["valid_end"]) + pd.Timedelta(days=90) <= pd.Timestamp(s["cutoff"])
    assert (
        candidate_of_run(dict(zip(quarters, summaries, strict=True)), run_quarter=None)["quarter"]
        == "2026-10-01"
    )
    # Each quarter learns from the labels matured by its own end: later quarters, later training windows.
    train_ends = [r.data.tags["train_end"] for r in sorted(runs, key=lambda r: r.data.tags["quarter"])]
    assert train_ends == sorted(train_ends) and len(set(train_ends)) == 4
    name = cfg.training.model_name
    versions = {v.version: v.tags.get("quarter") for v in client.search_model_versions(f"name = '{name}'")}
    assert sorted(versions.values()) == quarters, "every registered version carries its quarter"

    # The same quarter again on unchanged data: the run and version are reused, nothing new is logged.
    again = retrain.train_quarter(
        frame,
        features,
        cfg,
        retrain.RunContext(
            quarter="2026-07-01", cutoff=training_cutoff("2026-07-01", as_of), tags={}, source_folder=None
        ),
        tracking=tracking,
    )
    assert (
        again["version"] == summaries[2]["version"]
        and "unchanged since run churn-2026-07-01" in again["reused"]
    )
    assert len(client.search_model_versions(f"name = '{name}'")) == 4
    assert len(client.search_runs([experiment], filter_string="tags.model_kind = 'churn'")) == 4


def test_a_quarter_whose_cutoff_adds_no_matured_label_is_the_same_model_and_not_registered_again(
    full_run: PipelineRun, tmp_path
) -> None:
    # Three validation months and a 90-day horizon: the running quarter (data to 2026-10-31) and the one
    # before (to 2026-09-30) hold out different months but learn from the same rows (up to 2025-12-31), when the
    # registered model is the validated one. With `refit: newest` the month that matured in between is learnt
    # from, so the running quarter is a new model (checked at the end).
    settings = {"validation_months": 3, "calibration_months": 2, "warmup_months": 3, "folds": 1}
    cfg = RadarConfig.model_validate({"training": {**settings, "refit": "validated"}})
    with connect(full_run.paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.labelled_snapshots(con, warmup_months=0)
        as_of = con.execute("select as_of_date from marts.data_window").fetchone()[0]
    tracking = Tracking.for_home(RadarPaths(tmp_path), cfg.training.experiment)
    client = tracking.client()
    def both_quarters(config: RadarConfig, store: Tracking) -> tuple[dict, dict]:
        earlier, running = (
            retrain.train_quarter(
                frame,
                features,
                config,
                retrain.RunContext(quarter=q, cutoff=training_cutoff(q, as_of), tags={}, source_folder=None),
                tracking=store,
            )
            for q in ("2026-07-01", "2026-10-01")
        )
        return earlier, running

    first, second = both_quarters(cfg, tracking)
    assert first["window"]["train_end"] == second["window"]["train_end"]
    assert second["version"] == first["version"] and second["same_model_as"] == "churn-2026-07-01"
    assert "quarter 2026-10-01 gives the same model as quarter 2026-07-01" in second["reused"]
    assert len(client.search_model_versions(f"name = '{cfg.training.model_name}'")) == 1
    run = client.get_run(second["run_id"])
    assert run.data.tags["same_model_as"] == "churn-2026-07-01" and run.data.tags["quarter"] == "2026-10-01"
    assert "roc_auc" not in run.data.metrics, "the copy carries no metrics of a model of its own"
    assert retrain.run_summary(client, second["run_id"])["version"] == first["version"]

    newest = RadarConfig.model_validate({"training": settings})
    newest_tracking = Tracking.for_home(RadarPaths(tmp_path / "newest"), newest.training.experiment)
    earlier, running = both_quarters(newest, newest_tracking)
    assert running["version"] != earlier["version"] and running.get("same_model_as") is None
    assert running["window"]["model_train_end"] > earlier["window"]["model_train_end"]
