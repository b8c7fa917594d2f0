"""Real-data shape: a retailer with only accounts and orders, 14 months of history, non-contractual churn.

The first run with a configuration that sets only what a new user knows (the churn definition and the horizon)
must end with scores for every customer active in the trailing year; `scoring.as_of` must make the run blind to
everything after that day.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from tests.conftest import END, PipelineRun, run_pipeline

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 8, 31)
USER_CONFIG = {"churn": {"definition": "inactivity", "horizon_days": 90}}


def _orders_only(source: Path, target: Path, *, until: dt.date | None = None) -> Path:
    target.mkdir(parents=True)
    orders = pd.read_parquet(source / "orders.parquet")
    accounts = pd.read_parquet(source / "accounts.parquet")
    if until is not None:
        orders = orders[pd.to_datetime(orders["order_date"]).dt.date <= until]
        accounts = accounts[pd.to_datetime(accounts["created_at"]).dt.date <= until]
    accounts.to_csv(target / "accounts.csv", index=False)
    orders.to_csv(target / "orders.csv", index=False)
    return target


def _config(folder: Path, **extra: object) -> Path:
    path = folder / "radar.yaml"
    path.write_text(yaml.safe_dump({**USER_CONFIG, **extra}))
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A retailer's accounts and orders: one-time buyers, regulars, wholesalers, seasons, lapse-and-return."""
    from pipelines.lib.simulate.retail import generate_transactions

    folder = tmp_path_factory.mktemp("retail") / "all"
    generate_transactions(folder, customers=500, months=14, seed=11, end=END)
    return folder


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> PipelineRun:
    base = tmp_path_factory.mktemp("first")
    sources = _orders_only(generated, base / "sources")
    return run_pipeline(base / "home", sources, _config(base))


def _failures(run: PipelineRun) -> list[str]:
    return [e.message for e in run.result.all_events if e.is_step_failure]


def test_the_first_run_scores_every_customer_active_in_the_trailing_year(first_run: PipelineRun) -> None:
    assert first_run.result.success, _failures(first_run)
    orders = pd.read_csv(first_run.sources / "orders.csv", parse_dates=["order_date"])
    recent = orders["order_date"] > pd.Timestamp(END) - pd.Timedelta(days=365)
    active = set(orders.loc[recent, "customer_id"].astype(str))
    scores = pd.read_csv(first_run.paths.scores_csv, dtype={"customer_id": str})
    assert set(scores["customer_id"]) == active
    assert scores["score_source"].eq("model").all()
    assert scores["churn_probability"].between(0, 1).all()
    assert scores["risk_tier"].isin(["none", "low", "medium", "high"]).all()
    assert scores["reasons"].str.len().gt(0).all()


def test_labels_count_a_lapse_and_return_as_churn_in_the_lapse_and_active_again_after(
    first_run: PipelineRun,
) -> None:
    """Every labelled customer-month against the orders themselves: churned = no order in (t, t + 90 days]; a
    customer with an order in the 365 days up to t is in the labels at t, however long their silence."""
    orders = pd.read_csv(
        first_run.sources / "orders.csv", parse_dates=["order_date"], dtype={"customer_id": str}
    )
    with duckdb.connect(str(first_run.paths.warehouse), read_only=True) as con:
        labels = con.execute(
            "select customer_id, snapshot_date, churned_within_horizon from marts.churn_labels where is_labelled"
        ).df()
    days = orders[["customer_id", "order_date"]].assign(day=orders["order_date"].dt.normalize())
    pairs = labels.merge(days, on="customer_id")
    after = pairs["day"] - pairs["snapshot_date"]
    ordered = pairs[(after > pd.Timedelta(0)) & (after <= pd.Timedelta(days=90))]
    bought = set(zip(ordered["customer_id"], ordered["snapshot_date"], strict=True))
    expected = [
        (c, t) not in bought for c, t in zip(labels["customer_id"], labels["snapshot_date"], strict=True)
    ]
    assert labels["churned_within_horizon"].astype(bool).tolist() == expected

    every = days.merge(pd.DataFrame({"snapshot_date": labels["snapshot_date"].unique()}), how="cross")
    since = every["snapshot_date"] - every["day"]
    before = every[(since >= pd.Timedelta(0)) & (since < pd.Timedelta(days=365))]
    active = set(zip(before["customer_id"], before["snapshot_date"], strict=True))
    assert active == set(zip(labels["customer_id"], labels["snapshot_date"], strict=True))

    # Lapse and return: churned at one snapshot (no order within its horizon), yet a later snapshot, judged on its
    # own horizon, stayed: the customer came back and counted as active again.
    churned = labels["churned_within_horizon"].astype(bool)
    first_churn = labels[churned].groupby("customer_id")["snapshot_date"].min().rename("first_churn")
    stayed = labels[~churned].merge(first_churn, on="customer_id")
    returned = stayed.loc[stayed["snapshot_date"] > stayed["first_churn"], "customer_id"].unique()
    assert len(returned) >= 5, returned


def test_the_per_segment_figures_say_segment_and_industry_are_not_delivered(first_run: PipelineRun) -> None:
    meta = first_run.result.asset_materializations_for_node("segment_performance")[-1].metadata
    assert meta["not_delivered"].value == "segment, industry"
    table = pd.read_csv(meta["table"].value)
    assert set(table["dimension"]) == {"all customers", "tenure_band"}


def test_a_short_history_warns_and_the_windows_fit_it(first_run: PipelineRun) -> None:
    checks = {e.check_name: e for e in first_run.result.get_asset_check_evaluations()}
    history = checks["history_gate"]
    assert not history.passed and history.severity.value == "WARN"
    notices = {
        e.asset_key.to_user_string(): e.materialization.metadata.get("notice")
        for e in first_run.result.get_asset_materialization_events()
    }
    assert "trained with warm-up" in notices["churn_model"].value


def test_the_first_model_becomes_champion_against_the_health_score(first_run: PipelineRun) -> None:
    decisions = [json.loads(line) for line in first_run.paths.decision_log.read_text().splitlines()]
    assert len(decisions) == 1 and decisions[0]["promoted"], decisions
    assert any("beats the health score" in r for r in decisions[0]["reasons"])
    # Drift against its own training months never holds back the first model: it is reported.
    assert not any("exceeds the limit" in r and "not blocking" not in r for r in decisions[0]["reasons"])


def _marts(run: PipelineRun) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(run.paths.warehouse), read_only=True) as con:
        return {
            "features": con.execute("select * from marts.customer_features order by all").df(),
            "labels": con.execute("select * from marts.churn_labels order by all").df(),
            "scores": con.execute(
                "select customer_id, as_of, churn_probability, risk_tier, reasons from scores.customer_scores "
                "order by customer_id"
            ).df(),
        }


def test_scoring_as_of_a_date_ignores_every_later_event(
    tmp_path_factory: pytest.TempPathFactory, generated: Path
) -> None:
    base = tmp_path_factory.mktemp("as_of")
    until = _orders_only(generated, base / "until", until=AS_OF)
    later = _orders_only(generated, base / "later")
    config = _config(base, scoring={"as_of": AS_OF.isoformat()})
    before = run_pipeline(base / "home_until", until, config)
    after = run_pipeline(base / "home_later", later, config)
    assert before.result.success, _failures(before)
    assert after.result.success, _failures(after)
    assert len(pd.read_csv(later / "orders.csv")) > len(pd.read_csv(until / "orders.csv"))
    a, b = _marts(before), _marts(after)
    assert a["features"]["snapshot_date"].max() == pd.Timestamp(AS_OF)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9)


def test_a_first_model_held_back_still_leaves_every_active_customer_scored_and_says_why(
    tmp_path_factory: pytest.TempPathFactory, generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A policy whose floor no first model reaches: the candidate is held back, and the run still ends with a
    score, a tier and reasons for every active customer (the health score), and one line saying why."""
    from models_registry import policy as policy_module
    from pipelines.lib.core.config import load_config
    from pipelines.lib.report.status import collect

    base = tmp_path_factory.mktemp("held_back")
    strict = base / "promotion_policy.yaml"
    rules = yaml.safe_load(policy_module.POLICY_FILE.read_text())
    strict.write_text(yaml.safe_dump({**rules, "first_champion_min_metric": 0.999}))
    load = policy_module.PromotionPolicy.load.__func__
    monkeypatch.setattr(
        policy_module.PromotionPolicy, "load", classmethod(lambda cls, path=strict: load(cls, path))
    )

    sources = _orders_only(generated, base / "sources")
    run = run_pipeline(base / "home", sources, _config(base))
    assert run.result.success, _failures(run)
    decision = json.loads(run.paths.decision_log.read_text().splitlines()[-1])
    assert not decision["promoted"] and any("0.999" in r for r in decision["reasons"]), decision
    scores = pd.read_csv(run.paths.scores_csv, dtype={"customer_id": str})
    orders = pd.read_csv(sources / "orders.csv", parse_dates=["order_date"], dtype={"customer_id": str})
    active = set(orders.loc[orders["order_date"] > pd.Timestamp(END) - pd.Timedelta(days=365), "customer_id"])
    assert set(scores["customer_id"]) == active
    assert scores["score_source"].eq("health_score_fallback").all()
    assert scores["risk_tier"].isin(["none", "medium", "high"]).all()
    state = collect(run.paths, load_config(base / "radar.yaml"))
    assert state["held_back"] and "0.999" in state["held_back"], state["held_back"]
