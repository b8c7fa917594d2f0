"""Time to churn in the real graph (300 customers, 24 months): the quarter's survival model is a child run of
its churn run, every scored customer gets a survival curve in the warehouse, and the CRM export carries it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import load_config
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.core.warehouse import connect
from pipelines.lib.train.hazard import HORIZONS, SURVIVAL_COLUMNS, logged_kaplan_meier
from tests.conftest import END, PipelineRun

pytestmark = pytest.mark.slow


def _runs(full_run: PipelineRun, kind: str):
    tracking = Tracking.for_home(full_run.paths, load_config().training.experiment)
    experiment_id = tracking.experiment_id()
    client = tracking.client()
    return client, client.search_runs([experiment_id], f"tags.model_kind = '{kind}'")


def test_the_survival_model_is_a_child_run_of_the_same_quarters_churn_run(full_run: PipelineRun) -> None:
    assert full_run.result.success
    client, survival = _runs(full_run, "survival")
    _, churn = _runs(full_run, "churn")
    assert len(survival) == 1 and len(churn) == 1
    run, parent = survival[0], churn[0]
    assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert run.data.tags["quarter"] == parent.data.tags["quarter"]
    assert run.info.run_name == f"survival-{parent.data.tags['quarter']}"
    # Judged on origins after every event it learnt from, with a complete follow-up.
    assert run.data.tags["valid_start"] > run.data.tags["early_stopping_start"] > run.data.tags["train_start"]
    for k in HORIZONS[:3]:
        assert 0 <= run.data.metrics[f"brier_{k}m"] < 0.25
        assert 0 < run.data.metrics[f"predicted_churn_{k}m"] < 0.5
    artifacts = {
        a.path
        for folder in ("evaluation", "plots", "model")
        for a in client.list_artifacts(run.info.run_id, folder)
    }
    assert {
        "evaluation/km_vs_predicted.csv",
        "plots/km_vs_predicted.png",
        "model/hazard_booster.txt",
    } <= artifacts
    with Tracking.for_home(full_run.paths).reading():  # it reads through MLflow's fluent store
        km = logged_kaplan_meier(run.info.run_id)
    assert list(km["months_ahead"]) == list(range(1, 13))
    assert (km["predicted"].diff().dropna() <= 0).all()


def test_every_scored_customer_has_a_falling_survival_curve_in_the_warehouse_and_the_export(
    full_run: PipelineRun,
) -> None:
    with connect(full_run.paths.warehouse, read_only=True) as con:
        survival = con.execute("select * from scores.customer_survival").df()
        scored = con.execute("select customer_id from scores.customer_scores where as_of = ?", [END]).df()
    assert survival["customer_id"].is_unique
    assert set(survival["customer_id"]) == set(scored["customer_id"])
    assert (pd.to_datetime(survival["as_of"]) == pd.Timestamp(END)).all()
    curve = survival[[f"survival_{k}m" for k in HORIZONS]].to_numpy()
    assert ((curve > 0) & (curve <= 1)).all() and (np.diff(curve, axis=1) <= 0).all()
    assert survival["expected_months_12m"].between(0, 12).all()
    export = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str})
    assert set(SURVIVAL_COLUMNS) <= set(export.columns)
    joined = export.merge(survival, on="customer_id", suffixes=("", "_table"))
    np.testing.assert_allclose(joined["survival_12m"], joined["survival_12m_table"])
    # The two models agree on who is at risk: the churn model's riskiest tenth is expected to leave sooner
    # (measured on the demo, 2,000 × 36: Pearson 0.92 between the 90-day probability and 1 - survival_3m; on
    # this small company, with a few dozen exits to learn from, 0.32, so the test asks for the direction only).
    riskiest = export["churn_probability"] >= export["churn_probability"].quantile(0.9)
    assert export.loc[riskiest, "survival_3m"].mean() < export.loc[~riskiest, "survival_3m"].mean()
