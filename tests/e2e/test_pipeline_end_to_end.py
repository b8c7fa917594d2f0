"""The whole asset graph on a small generated company (300 customers, 24 months): real dbt, GE, LightGBM,
MLflow, Evidently, with outcomes checked against the data rather than against themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from pipelines.lib.core.config import load_config
from pipelines.lib.core.warehouse import connect
from pipelines.lib.score.tiers import risk_tier, scoring_tiers
from tests.conftest import END, PipelineRun

pytestmark = pytest.mark.slow


def test_the_run_succeeds_and_every_gate_is_evaluated_and_passes(full_run: PipelineRun) -> None:
    assert full_run.result.success
    checks = full_run.checks()
    assert {"history_gate", "quality_gate", "learnability_gate"} <= set(checks)
    assert all(checks.values()), checks


def test_every_dbt_model_builds_and_its_tests_pass(full_run: PipelineRun) -> None:
    dbt_checks = {k: v for k, v in full_run.checks().items() if not k.endswith("_gate")}
    assert len(dbt_checks) >= 8
    assert all(dbt_checks.values()), dbt_checks
    with connect(full_run.paths.warehouse, read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables"
            ).fetchall()
        }
    assert {"marts.customer_features", "marts.churn_labels", "staging.stg_erp__orders"} <= tables


def test_a_model_version_is_registered_with_the_champion_alias(full_run: PipelineRun) -> None:
    client = MlflowClient(tracking_uri=full_run.paths.tracking_uri, registry_uri=full_run.paths.tracking_uri)
    name = load_config().training.model_name
    champion = client.get_model_version_by_alias(name, "champion")
    run = client.get_run(champion.run_id)
    assert {"roc_auc", "pr_auc", "brier", "log_loss", "lift_at_10pct"} <= set(run.data.metrics)
    assert 0.5 < run.data.metrics["roc_auc"] <= 1.0
    assert run.data.tags["promotion_decision"] == "promoted"
    assert run.data.tags["valid_start"] > run.data.tags["train_end"], "validation must come after training"


def test_one_score_per_customer_active_at_the_newest_date(full_run: PipelineRun) -> None:
    scores = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str})
    truth = pd.read_parquet(full_run.sources / "_truth" / "churn_probability.parquet")
    active_at_end = set(truth.loc[pd.to_datetime(truth["as_of"]) == pd.Timestamp(END), "customer_id"])
    assert scores["customer_id"].is_unique
    assert set(scores["customer_id"]) == active_at_end
    assert (scores["as_of"] == END.isoformat()).all()


def test_scores_are_probabilities_with_consistent_tiers_and_reasons(full_run: PipelineRun) -> None:
    scores = pd.read_csv(full_run.paths.scores_csv)
    p = scores["churn_probability"].to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    assert p.std() > 0, "a model that scores everyone alike has learnt nothing"
    # The tiers scoring used: the configured ones, the low tier starting at the champion's profit threshold.
    client = MlflowClient(tracking_uri=full_run.paths.tracking_uri, registry_uri=full_run.paths.tracking_uri)
    config = load_config()
    champion = client.get_model_version_by_alias(config.training.model_name, "champion")
    threshold = client.get_run(champion.run_id).data.metrics.get("profit_threshold")
    cutoffs = scoring_tiers(config.tiers, threshold)
    np.testing.assert_array_equal(scores["risk_tier"].to_numpy(), risk_tier(p, cutoffs))
    assert scores["reasons"].str.len().gt(0).all()
    assert scores["action"].notna().all()


def test_the_scores_table_matches_the_export(full_run: PipelineRun) -> None:
    exported = pd.read_csv(full_run.paths.scores_csv)
    with connect(full_run.paths.warehouse, read_only=True) as con:
        stored = con.execute(
            "select count(*), count(distinct customer_id) from scores.customer_scores"
        ).fetchone()
    assert stored == (len(exported), len(exported))


def test_the_drift_report_is_written_and_logged(full_run: PipelineRun) -> None:
    reports = list(full_run.paths.reports.glob("drift_*.html"))
    assert len(reports) == 1 and reports[0].stat().st_size > 10_000
    drift = full_run.result.output_for_node("feature_drift")
    assert 0.0 <= drift["drift_share"] <= 1.0
    assert drift["columns_compared"] >= 10


def test_every_high_risk_customer_gets_exactly_one_alert_on_the_first_run(full_run: PipelineRun) -> None:
    scores = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str})
    high = set(scores.loc[scores["risk_tier"] == "high", "customer_id"])
    sent = (
        pd.read_json(full_run.paths.alerts_file, lines=True, dtype={"customer_id": str})
        if full_run.paths.alerts_file.exists()
        else pd.DataFrame({"customer_id": []})
    )
    assert set(sent["customer_id"]) == high and len(sent) == len(high)


def test_the_crm_export_orders_customers_by_value_and_risk_with_action_owner_and_sla(
    full_run: PipelineRun,
) -> None:
    csv = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str, "model_version": str})
    parquet = pd.read_parquet(full_run.paths.scores_parquet).astype({"as_of": str})
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    assert list(csv["priority"]) == list(range(1, len(csv) + 1))
    assert csv[["action", "owner"]].notna().all().all()
    warned = csv[csv["risk_tier"] != "none"]
    assert warned["sla_hours"].notna().all()
    assert set(csv["value_tier"].dropna()) <= {"VIP", "Premium", "Standard", "Basic"}
    assert csv["value_tier"].notna().mean() > 0.95
    rank = csv["risk_tier"].map({"none": 0, "low": 1, "medium": 2, "high": 3})
    assert rank.is_monotonic_decreasing, "a higher risk tier always comes first"
