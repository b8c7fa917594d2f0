"""The T-learner recovers an effect planted in generated data, and waits for enough outcomes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.score import holdout, uplift


def _trial(n: int, seed: int) -> pd.DataFrame:
    """Customers whose contact helps only when `support_tickets_90d` is high (+40 points of retention); the
    hold-out is a random third. `tenure_months` moves the retention of both groups alike (no uplift)."""
    rng = np.random.default_rng(seed)
    tickets = rng.integers(0, 10, n).astype(float)
    tenure = rng.uniform(1, 60, n)
    held = rng.uniform(size=n) < 1 / 3
    base = 0.3 + 0.005 * tenure
    effect = np.where(tickets >= 5, 0.4, 0.0)
    retained = rng.uniform(size=n) < base + np.where(held, 0.0, effect)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "snapshot_date": pd.Timestamp("2026-01-31"),
            "support_tickets_90d": tickets,
            "tenure_months": tenure,
            "holdout": held,
            "retained": retained.astype(int),
        }
    )


def test_the_t_learner_finds_the_planted_persuadables() -> None:
    train, test = _trial(6_000, seed=1), _trial(2_000, seed=2)
    features = uplift.feature_names(train.drop(columns=["holdout", "retained"]))
    assert features == ["support_tickets_90d", "tenure_months"]
    model = uplift.fit(train, features=features)
    score = model.predict(test)
    persuadable = test["support_tickets_90d"] >= 5
    # Planted: +0.40 for the persuadable, 0 for the rest; ± 0.1 on a group of ~1,000 customers.
    assert abs(score[persuadable].mean() - 0.4) < 0.1
    assert abs(score[~persuadable].mean()) < 0.1
    top = np.argsort(-score)[: int(persuadable.sum())]
    assert persuadable.iloc[top].mean() > 0.8  # the highest uplift is mostly the persuadable


def test_below_the_threshold_it_says_how_many_outcomes_it_has_and_needs() -> None:
    few = _trial(120, seed=3).iloc[:70]
    ready, line = uplift.readiness(few)
    held = int(few["holdout"].sum())
    assert not ready
    assert line == f"{70 - held} treated and {held} hold-out outcome(s); the uplift model needs ≥ 50 of each"
    assert uplift.readiness(_trial(400, seed=4))[0]


def test_scoring_fills_the_uplift_once_both_groups_have_enough_outcomes(tmp_path: Path) -> None:
    """The whole path on a real DuckDB: January's warned customers (a third held out) with their outcomes, the
    hold-out's from `marts.churn_labels` and the treated's from interventions.csv; February is scored."""
    trial = _trial(600, seed=5)
    con = duckdb.connect()
    con.execute("create schema marts")
    january = trial.assign(observed_months=12.0).drop(columns=["holdout", "retained"])
    february = january.assign(snapshot_date=pd.Timestamp("2026-02-28"))
    features = pd.concat([january, february])  # noqa: F841 - read by DuckDB below
    con.execute("create table marts.customer_features as select * from features")
    con.execute("create table marts.data_window as select date '2026-02-28' as as_of_date")
    labels = trial[trial["holdout"]].assign(  # noqa: F841
        is_labelled=True, churned_within_horizon=lambda f: f["retained"] == 0
    )[["customer_id", "snapshot_date", "is_labelled", "churned_within_horizon"]]
    con.execute("create table marts.churn_labels as select * from labels")
    assigned = trial.assign(
        as_of="2026-01-31", risk_tier="high", churn_probability=0.8, predicted_revenue_12m=100.0
    )
    holdout.record(con, assigned, share=1 / 3)
    treated = trial[~trial["holdout"]]
    pd.DataFrame(
        {
            "customer_id": treated["customer_id"],
            "contacted_at": "2026-02-05",
            "outcome": np.where(treated["retained"] == 1, "retained", "churned"),
        }
    ).to_csv(tmp_path / "interventions.csv", index=False)
    scores = pd.DataFrame(
        {
            "customer_id": trial["customer_id"],
            "as_of": "2026-02-28",
            "risk_tier": "high",
            "churn_probability": 0.8,
            "predicted_revenue_12m": 100.0,
            "action": "call",
            "owner": "senior_manager",
            "sla_hours": 48.0,
        }
    )
    playbook = RadarConfig.model_validate({"playbook": {"holdout_share": 0.2}}).playbook
    marked, note = holdout.apply(con, scores, home=tmp_path, playbook=playbook)
    assert note["uplift"].startswith("fitted (T-learner) on ")
    assert marked["uplift"].notna().all()
    persuadable = (trial["support_tickets_90d"] >= 5).to_numpy()
    assert marked["uplift"][persuadable].mean() > marked["uplift"][~persuadable].mean() + 0.15
    assert note["holdout_customers"] == int(marked["holdout"].sum()) > 0
