"""Realised performance of past scores on a small real warehouse: which scores have matured, their labels from
`marts.churn_labels`, and Evidently's figures against a hand count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pipelines.lib.monitor import performance
from pipelines.lib.score import score_store

MATURED, PENDING, AS_OF = dt.date(2026, 3, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31)


def _scores(as_of: dt.date, tiers: list[str], p: list[float | None]) -> pd.DataFrame:
    n = len(tiers)
    frame = pd.DataFrame({c: [None] * n for c in score_store.SCORE_COLUMNS})
    return frame.assign(
        customer_id=[f"C{i:03d}" for i in range(n)],
        as_of=as_of,
        risk_tier=tiers,
        churn_probability=p,
        score_source="model",
        model_version="1",
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    # Eight customers scored on 2026-03-31 (matured: 90-day horizon + 30-day grace < 214 days) and again on
    # 2026-09-30 (pending). Two of the three warned churned; one churner was not warned.
    tiers = ["high", "medium", "low", "none", "none", "none", "none", "none"]
    p = [0.8, 0.6, 0.35, 0.25, 0.1, 0.05, 0.05, 0.02]
    churned = [1, 0, 1, 1, 0, 0, 0, 0]
    score_store.replace_as_of(con, "customer_scores", _scores(MATURED, tiers, p))
    score_store.replace_as_of(con, "customer_scores", _scores(PENDING, tiers, p))
    labels = pd.DataFrame(  # noqa: F841 - read by DuckDB below
        {
            "customer_id": [f"C{i:03d}" for i in range(8)] * 2,
            "snapshot_date": [MATURED] * 8 + [PENDING] * 8,
            "is_labelled": [True] * 8 + [False] * 8,
            "churned_within_horizon": churned + [None] * 8,
        }
    )
    con.execute("create schema marts")
    con.execute("create table marts.churn_labels as select * from labels")
    con.execute(f"create table marts.data_window as select date '{AS_OF}' as as_of_date")
    yield con
    con.close()


def test_only_scores_whose_horizon_has_passed_are_followed_up_with_their_labels(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    follow = performance.follow_up_scores(warehouse, horizon_days=90, lag_days=30)
    assert len(follow.matured) == 8 and set(follow.matured["as_of"].dt.date) == {MATURED}
    assert follow.scoring_dates == 2 and follow.pending_dates == [PENDING]
    assert follow.next_maturity == dt.date(2027, 1, 28) and follow.unmatched_rows == 0
    assert follow.matured["label"].tolist() == [1, 0, 1, 1, 0, 0, 0, 0]


def test_evidently_judges_what_was_sent_and_agrees_with_a_hand_count(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    matured = performance.follow_up_scores(warehouse, horizon_days=90, lag_days=30).matured
    result = performance.evaluate_realised(matured, out_dir=tmp_path, stem="realised")
    f = result.figures
    # Warned: high, medium, low (3); of them two churned. Stayers: 5, one of them warned. Churners: 3, two warned.
    assert f["realised_precision"] == pytest.approx(2 / 3)
    assert f["realised_false_positive_rate"] == pytest.approx(1 / 5)
    assert f["realised_recall"] == pytest.approx(2 / 3)
    assert f["realised_roc_auc"] == pytest.approx(
        roc_auc_score(matured["label"], matured["churn_probability"])
    )
    assert f["realised_high_precision"] == 1.0 and f["realised_medium_precision"] == 0.0
    tiers = result.by_tier.set_index("risk_tier")
    assert tiers.loc["none", "churned"] == 1 and tiers.loc["none", "customers"] == 5
    assert tiers.loc["medium", "precision_at_or_above"] == pytest.approx(1 / 2)
    assert tiers.loc["low", "false_positive_rate_at_or_above"] == pytest.approx(1 / 5)
    assert result.html_path.stat().st_size > 10_000 and result.json_path.exists()


def test_without_a_warning_sent_precision_is_left_out_not_zero(tmp_path: Path) -> None:
    matured = pd.DataFrame(
        {
            "as_of": pd.to_datetime([MATURED] * 4),
            "risk_tier": ["none"] * 4,
            "churn_probability": [0.1, 0.2, 0.05, np.nan],
            "label": [1, 0, 0, 0],
        }
    )
    result = performance.evaluate_realised(matured, out_dir=tmp_path, stem="quiet")
    assert "realised_precision" not in result.figures
    assert result.figures["realised_false_positive_rate"] == 0.0 and result.figures["realised_recall"] == 0.0
    # A row without a probability (the health-score fallback) leaves ROC-AUC out rather than guessing.
    assert "realised_roc_auc" not in result.figures
    with pytest.raises(ValueError, match="no matured scores"):
        performance.evaluate_realised(matured.iloc[:0], out_dir=tmp_path, stem="empty")


def test_a_large_follow_up_is_sampled_for_evidently_and_counted_in_full(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    p = rng.random(n)
    matured = pd.DataFrame(
        {
            "as_of": pd.to_datetime([MATURED] * n),
            "risk_tier": np.where(p >= 0.7, "high", np.where(p >= 0.3, "low", "none")),
            "churn_probability": p,
            "label": (rng.random(n) < p / 3).astype(int),
        }
    )
    first = performance.evaluate_realised(matured, out_dir=tmp_path, stem="a", sample_rows=1000, seed=1)
    again = performance.evaluate_realised(matured, out_dir=tmp_path, stem="b", sample_rows=1000, seed=1)
    assert (first.scores, first.evaluated) == (3000, 1000)
    assert first.figures == again.figures, "the same sample on a re-run"
    assert int(first.by_tier["customers"].sum()) == 3000 and int(first.by_date["scored"].sum()) == 3000
