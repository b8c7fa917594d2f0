"""The KPI formulas on small hand-made frames, with the expected numbers worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.report import kpis
from pipelines.lib.score.tiers import TIER_ORDER

D = dt.date


def _lifecycles(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "created_at", "churned_at", "churn_type"])
    return frame.assign(
        created_at=pd.to_datetime(frame["created_at"]), churned_at=pd.to_datetime(frame["churned_at"])
    )


LIFECYCLES = _lifecycles(
    [
        ("A", "2025-06-01", None, None),
        ("B", "2025-06-01", "2026-02-10", "voluntary"),
        ("C", "2025-12-01", "2026-03-05", "involuntary"),
        ("D", "2026-02-15", None, None),
        ("E", "2026-02-20", "2026-02-25", "voluntary"),  # new and lost in the same month
        ("F", "2025-01-01", "2026-01-31", "voluntary"),  # gone on the last day before February starts
        ("G", "2026-03-10", None, None),
    ]
)


def test_churn_and_retention_rate_follow_the_domain_formulas_month_by_month() -> None:
    out = kpis.churn_and_retention_by_month(LIFECYCLES, first_month=D(2026, 2, 1), as_of=D(2026, 3, 15))
    assert list(pd.to_datetime(out["month"]).dt.date) == [D(2026, 2, 1), D(2026, 3, 1)]
    feb, mar = out.iloc[0], out.iloc[1]
    # February: at the start (31 Jan) A, B, C; B lost; D and E new; at the end A, C, D.
    assert (feb["customers_start"], feb["lost"], feb["new"], feb["customers_end"]) == (3, 1, 2, 3)
    assert feb["churn_rate_pct"] == pytest.approx(100 * 1 / 3)
    assert feb["retention_rate_pct"] == pytest.approx(100 * (3 - 2) / 3)
    assert not feb["partial"]
    # March up to the 15th: at the start A, C, D; C lost (involuntary); G new; at the end A, D, G.
    assert (
        mar["customers_start"],
        mar["lost"],
        mar["lost_involuntary"],
        mar["new"],
        mar["customers_end"],
    ) == (
        3,
        1,
        1,
        1,
        3,
    )
    assert mar["churn_rate_pct"] == pytest.approx(100 * 1 / 3)
    assert mar["retention_rate_pct"] == pytest.approx(100 * (3 - 1) / 3)
    assert mar["partial"]


def test_a_month_without_customers_at_its_start_has_no_rate_rather_than_zero() -> None:
    out = kpis.churn_and_retention_by_month(LIFECYCLES, first_month=D(2025, 1, 1), as_of=D(2025, 1, 31))
    assert out["customers_start"].tolist() == [0]
    assert np.isnan(out["churn_rate_pct"].iloc[0]) and np.isnan(out["retention_rate_pct"].iloc[0])


WARNINGS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "D", "E", "A"],
        "as_of": pd.to_datetime(["2026-03-31"] * 5 + ["2026-04-30"]),
        "churn_probability": [0.8, 0.75, 0.1, 0.4, 0.05, 0.9],
        "risk_tier": ["high", "high", "none", "low", "none", "high"],
    }
)
OUTCOMES = _lifecycles(
    [
        ("A", "2024-01-01", "2026-05-01", "voluntary"),  # churns inside the 90 days after 31 March
        ("B", "2024-01-01", None, None),
        ("C", "2024-01-01", "2026-06-29", "voluntary"),  # exactly 90 days after 31 March: inside
        ("D", "2024-01-01", "2026-07-15", "voluntary"),  # after the horizon: a stay for that warning
        ("E", "2024-01-01", None, None),
    ]
)


def test_only_scores_whose_horizon_has_been_observed_are_followed_up() -> None:
    followed = kpis.follow_up(WARNINGS, OUTCOMES, horizon_days=90, observable_until=D(2026, 6, 30))
    # 31 March + 90 days = 29 June is observed; 30 April + 90 days = 29 July is not.
    assert set(pd.to_datetime(followed["as_of"]).dt.date) == {D(2026, 3, 31)}
    assert dict(zip(followed["customer_id"], followed["churned"], strict=True)) == {
        "A": True,
        "B": False,
        "C": True,
        "D": False,
        "E": False,
    }


def test_precision_false_positive_rate_and_recall_of_the_warnings() -> None:
    followed = kpis.follow_up(WARNINGS, OUTCOMES, horizon_days=90, observable_until=D(2026, 6, 30))
    any_tier = kpis.warning_kpis(followed, warn_tiers=("low", "medium", "high")).iloc[0]
    # warned A, B, D; churned A, C: TP = A, FP = B, D, FN = C, TN = E.
    assert (any_tier["warned"], any_tier["true_pos"], any_tier["false_pos"], any_tier["false_neg"]) == (
        3,
        1,
        2,
        1,
    )
    assert any_tier["precision"] == pytest.approx(1 / 3)
    assert any_tier["false_positive_rate"] == pytest.approx(2 / 3)
    assert any_tier["recall"] == pytest.approx(1 / 2)
    high_only = kpis.warning_kpis(followed, warn_tiers=("high",)).iloc[0]
    # warned A, B: TP = A, FP = B, FN = C, TN = D, E.
    assert high_only["precision"] == pytest.approx(1 / 2)
    assert high_only["false_positive_rate"] == pytest.approx(1 / 3)
    assert high_only["recall"] == pytest.approx(1 / 2)


def test_a_month_without_warnings_has_no_precision_rather_than_zero() -> None:
    followed = WARNINGS.iloc[:5].assign(risk_tier="none", churned=[True, False, False, False, False])
    out = kpis.warning_kpis(followed, warn_tiers=("high",)).iloc[0]
    assert np.isnan(out["precision"])
    assert out["false_positive_rate"] == 0.0 and out["recall"] == 0.0


def test_revenue_at_risk_sums_the_scores_own_figure_per_tier() -> None:
    scored = WARNINGS.iloc[:4].assign(revenue_at_risk=[800.0, np.nan, 50.0, 800.0])
    out = kpis.revenue_at_risk(scored, tier_order=TIER_ORDER).set_index("risk_tier")
    assert list(out.index) == list(TIER_ORDER)
    assert out.loc["high", "customers"] == 2
    assert out.loc["high", "revenue_at_risk"] == pytest.approx(800.0)  # B has no value: nothing at risk
    assert out.loc["low", "revenue_at_risk"] == pytest.approx(800.0)
    assert out.loc["none", "revenue_at_risk"] == pytest.approx(50.0)
    assert out.loc["medium", ["customers", "revenue_at_risk"]].tolist() == [0, 0.0]


def test_intervention_success_rate_judges_decided_cases_per_month_of_contact() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "contacted_at": ["2026-04-02", "2026-04-20", "2026-04-21", "2026-05-03"],
            "outcome": ["retained", "Churned ", "pending", "retained"],
        }
    )
    out = kpis.intervention_success(kpis.validate_interventions(raw, source="interventions.csv"))
    assert list(out["month"].dt.strftime("%Y-%m")) == ["2026-04", "2026-05"]
    assert out[["contacted", "retained", "churned", "pending"]].to_numpy().tolist() == [
        [3, 1, 1, 1],
        [1, 1, 0, 0],
    ]
    assert out["success_rate"].tolist() == [0.5, 1.0]


def test_an_outcomes_file_off_contract_fails_with_one_line_naming_it() -> None:
    bad_value = pd.DataFrame({"customer_id": ["A"], "contacted_at": ["2026-04-02"], "outcome": ["won"]})
    with pytest.raises(kpis.InterventionsError, match=r"^x\.csv: outcome must be one of .*; found won$"):
        kpis.validate_interventions(bad_value, source="x.csv")
    with pytest.raises(kpis.InterventionsError, match=r"^x\.csv: missing column\(s\) outcome$"):
        kpis.validate_interventions(bad_value.drop(columns="outcome"), source="x.csv")
