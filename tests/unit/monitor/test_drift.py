from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.lib.monitor.drift import Periods, measure_column_drift, measure_drift


def test_an_obviously_shifted_feature_is_flagged_and_a_stable_one_is_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {"stable": rng.normal(0, 1, 600), "shifted": rng.normal(0, 1, 600), "empty": np.nan}
    )
    current = pd.DataFrame(
        {"stable": rng.normal(0, 1, 600), "shifted": rng.normal(3, 1, 600), "empty": np.nan}
    )
    summary = measure_drift(
        reference,
        current,
        ["stable", "shifted", "empty"],
        out_dir=tmp_path,
        stem="t",
        sample_rows=500,
        drift_share=0.5,
    )
    assert summary.drifted_columns == ["shifted"]
    assert summary.drift_share == 0.5 and summary.columns_compared == 2
    assert summary.reference_rows == 500
    assert summary.html_path.stat().st_size > 10_000 and summary.json_path.exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_prediction_drift_flags_shifted_probabilities_and_target_drift_a_changed_churn_rate(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(2)
    reference = pd.Series(rng.beta(2, 30, 1500), name="churn_probability")
    same = measure_column_drift(
        reference,
        pd.Series(rng.beta(2, 30, 1500), name="churn_probability"),
        kind="numerical",
        method="wasserstein",
        threshold=0.1,
        out_dir=tmp_path,
        stem="same",
        sample_rows=1000,
    )
    riskier = measure_column_drift(
        reference,
        pd.Series(rng.beta(4, 30, 1500), name="churn_probability"),
        kind="numerical",
        method="wasserstein",
        threshold=0.1,
        out_dir=tmp_path,
        stem="riskier",
        sample_rows=1000,
    )
    assert not same.drifted and riskier.drifted and riskier.score > same.score
    # The method is fixed, whatever the sample size (Evidently would switch to a p-value under 1,000 rows).
    assert riskier.method == "wasserstein" and riskier.reference_rows == 1000
    assert riskier.current_mean > riskier.reference_mean
    labels = measure_column_drift(
        pd.Series((rng.random(2000) < 0.02).astype(int), name="churned"),
        pd.Series((rng.random(2000) < 0.05).astype(int), name="churned"),
        kind="categorical",
        method="z",
        threshold=0.05,
        out_dir=tmp_path,
        stem="target",
        sample_rows=5000,
    )
    assert labels.drifted and labels.score < 0.05 and labels.current_mean > labels.reference_mean
    assert labels.html_path.exists() and labels.json_path.exists()


def test_a_drift_page_says_which_months_are_reference_and_current(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    periods = Periods(
        "Prediction drift of churn model v2",
        reference="customers of 2026-06-30, the last month the model trained on",
        current="customers of the newest snapshot 2026-10-31",
    )
    drift = measure_column_drift(
        pd.Series(rng.beta(2, 30, 300), name="churn_probability"),
        pd.Series(rng.beta(2, 30, 300), name="churn_probability"),
        kind="numerical",
        method="wasserstein",
        threshold=0.1,
        out_dir=tmp_path,
        stem="prediction_drift",
        sample_rows=500,
        periods=periods,
    )
    page = drift.html_path.read_text()
    body = page[page.lower().index("<body") :]
    assert body.index("Prediction drift of churn model v2") < body.index("<script")
    assert "<b>reference</b>: customers of 2026-06-30, the last month the model trained on" in page
    assert "<b>current</b>: customers of the newest snapshot 2026-10-31" in page
    assert periods.tags() == [f"reference: {periods.reference}", f"current: {periods.current}"]
