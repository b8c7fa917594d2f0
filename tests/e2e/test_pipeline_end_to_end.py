"""The whole asset graph on a small generated company (300 customers, 24 months): real dbt, GE, LightGBM,
MLflow, Evidently, with outcomes checked against the data rather than against themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from pipelines.lib.core.config import load_config
from pipelines.lib.core.tracking import Tracking
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
    for frame in (csv, parquet):
        frame["previous_as_of"] = pd.to_datetime(frame["previous_as_of"])
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    assert list(csv["priority"]) == list(range(1, len(csv) + 1))
    assert csv[["action", "owner"]].notna().all().all()
    warned = csv[csv["risk_tier"] != "none"]
    assert warned["sla_hours"].notna().all()
    assert set(csv["value_tier"].dropna()) <= {"VIP", "Premium", "Standard", "Basic"}
    assert csv["value_tier"].notna().mean() > 0.95
    rank = csv["risk_tier"].map({"none": 0, "low": 1, "medium": 2, "high": 3})
    assert rank.is_monotonic_decreasing, "a higher risk tier always comes first"


def test_each_score_says_how_it_moved_since_the_previous_snapshot_by_the_same_champion(
    full_run: PipelineRun,
) -> None:
    from pipelines.lib.features import mart as feats
    from pipelines.lib.train.churn_model import load_churn_model

    scores = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str})
    previous_date = (pd.Timestamp(END) - pd.offsets.MonthEnd(1)).date().isoformat()
    with connect(full_run.paths.warehouse, read_only=True) as con:
        before = feats.snapshots_between(con, previous_date, previous_date)
    config = load_config()
    with Tracking.for_home(full_run.paths).reading():
        model = load_churn_model(f"models:/{config.training.model_name}@champion")
    known = scores[scores["customer_id"].isin(before["customer_id"])]
    new = scores[~scores["customer_id"].isin(before["customer_id"])]
    assert len(known) > 0.8 * len(scores), "most customers were customers a month earlier"
    assert (new["moved_by"] == "new").all() and new["previous_churn_probability"].isna().all()
    assert (known["previous_as_of"] == previous_date).all()
    expected = pd.Series(model.churn_probability(before).round(4), index=before["customer_id"]).reindex(
        known["customer_id"]
    )
    np.testing.assert_allclose(known["previous_churn_probability"], expected, atol=1e-4)
    np.testing.assert_allclose(
        known["probability_change"],
        known["churn_probability"] - known["previous_churn_probability"],
        atol=2e-4,
    )
    assert known["moved_by"].str.len().gt(0).all() and (known["moved_by"] != "new").all()

    risers = pd.read_csv(full_run.paths.risers_csv, dtype={"customer_id": str})
    top = known[known["probability_change"] > 0].nlargest(len(risers), "probability_change")
    assert len(risers) == min(10, len(top)) > 0
    np.testing.assert_allclose(risers["probability_change"], top["probability_change"])
    meta = full_run.result.asset_materializations_for_node("customer_scores")[-1].metadata
    assert risers["customer_id"].iloc[0] in meta["largest_risers"].value


def test_the_candidates_figures_per_segment_industry_and_tenure_band_are_logged(
    full_run: PipelineRun,
) -> None:
    meta = full_run.result.asset_materializations_for_node("segment_performance")[-1].metadata
    table = pd.read_csv(meta["table"].value)
    assert {"segment", "industry", "tenure_band"} <= set(table["dimension"])
    assert meta["not_delivered"].value == "none"
    whole = table[table["dimension"] == "all customers"].iloc[0]
    for dimension, groups in table[table["dimension"] != "all customers"].groupby("dimension"):
        assert groups["customer_months"].sum() == whole["customer_months"], dimension
        assert groups["churners"].sum() == whole["churners"], dimension
    client = MlflowClient(tracking_uri=full_run.paths.tracking_uri, registry_uri=full_run.paths.tracking_uri)
    run_id = meta["mlflow_run_id"].value
    assert [a.path for a in client.list_artifacts(run_id, "segments")] == [
        f"segments/{meta['table'].value.rsplit('/', 1)[1]}"
    ]
    assert client.get_run(run_id).data.metrics["segments_flagged"] == meta["segments_flagged"].value


def test_the_one_signal_that_changed_for_a_customer_tops_the_reasons_the_champions_score_moved(
    full_run: PipelineRun,
) -> None:
    """One customer, one input moved to the riskier end of what the champion learnt from (its most important
    feature), everything else as it was: the score rises and `moved_by` names that change first, in words."""
    from pipelines.lib.features import mart as feats
    from pipelines.lib.score.score_changes import moved_phrase, score_changes
    from pipelines.lib.train.churn_model import load_churn_model

    config = load_config()
    with Tracking.for_home(full_run.paths).reading():
        model = load_churn_model(f"models:/{config.training.model_name}@champion")
    with connect(full_run.paths.warehouse, read_only=True) as con:
        before = feats.latest_snapshot(con)
    gain = model.booster.feature_importance(importance_type="gain")
    feature = model.feature_names[int(np.argmax(gain))]
    values = before[feature].astype(float)
    steady = before.loc[[(values - values.median()).abs().idxmin()]].reset_index(drop=True)
    ends = [float(values.quantile(0.01)), float(values.quantile(0.99))]
    risk = [model.churn_probability(steady.assign(**{feature: v}))[0] for v in ends]
    moved = steady.assign(**{feature: ends[int(np.argmax(risk))]})
    changes = score_changes(model, moved, steady, cutoffs=config.tiers)
    assert changes["probability_change"].iloc[0] > 0, feature
    first = changes["moved_by"].iloc[0].split("; ")[0]
    assert first == moved_phrase(feature, float(moved[feature].iloc[0]), float(steady[feature].iloc[0]))


def test_child_scores_roll_up_to_their_parents_and_customer_360_shows_both_levels(full_run: PipelineRun) -> None:
    """The demo groups some customers under parent accounts: every parent with a scored child gets a roll-up
    of exactly those children, exported as written, and customer_360 names the parent and its figures on the
    child's row and the children's figures on the parent's own row."""
    with connect(full_run.paths.warehouse, read_only=True) as con:
        links = con.execute("select customer_id, parent_id from marts.account_hierarchy").df()
        scores = con.execute(
            "select customer_id, churn_probability, predicted_revenue_12m from scores.customer_scores"
        ).df()
        stored = con.execute("select * exclude (scored_at) from scores.parent_scores order by parent_id").df()
        c360 = con.execute(
            """select customer_id, parent_id, parent_revenue_weighted_churn_probability, parent_risk_driver_id,
                      child_accounts, children_revenue_weighted_churn_probability
               from marts.customer_360"""
        ).df()
    children = links.merge(scores, on="customer_id")
    assert len(stored) >= 2 and stored["parent_id"].tolist() == sorted(children["parent_id"].unique())
    assert stored.set_index("parent_id")["children"].to_dict() == children.groupby("parent_id").size().to_dict()
    weighted = children.assign(pw=children["churn_probability"] * children["predicted_revenue_12m"])
    expected = weighted.groupby("parent_id")["pw"].sum() / weighted.groupby("parent_id")["predicted_revenue_12m"].sum()
    by_parent = stored.set_index("parent_id")
    assert np.allclose(by_parent["revenue_weighted_churn_probability"], expected.reindex(by_parent.index), atol=5e-5)
    assert by_parent["driver_id"].isin(children["customer_id"]).all()
    exported = pd.read_csv(full_run.paths.parent_scores_csv, dtype={"parent_id": str, "driver_id": str})
    assert exported["parent_id"].tolist() == stored.sort_values(
        ["revenue_weighted_churn_probability", "parent_id"], ascending=[False, True]
    )["parent_id"].tolist()
    assert pd.read_parquet(full_run.paths.parent_scores_parquet)["parent_id"].tolist() == exported["parent_id"].tolist()

    child_rows = c360.merge(links, on="customer_id", suffixes=("", "_linked"))
    assert (child_rows["parent_id"] == child_rows["parent_id_linked"]).all()
    scored_children = child_rows[child_rows["parent_id"].isin(by_parent.index)]
    assert np.allclose(
        scored_children["parent_revenue_weighted_churn_probability"],
        by_parent.loc[scored_children["parent_id"], "revenue_weighted_churn_probability"],
    )
    parent_rows = c360[c360["customer_id"].isin(by_parent.index)].set_index("customer_id")
    assert parent_rows["child_accounts"].to_dict() == by_parent["children"].to_dict()
    assert c360.loc[~c360["customer_id"].isin(links["customer_id"]), "parent_id"].isna().all()

    export = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str, "parent_id": str})
    assert list(export.columns[:3]) == ["priority", "customer_id", "parent_id"]
    named = export.dropna(subset=["parent_id"]).set_index("customer_id")["parent_id"]
    assert named.sort_index().to_dict() == children.set_index("customer_id")["parent_id"].sort_index().to_dict()
