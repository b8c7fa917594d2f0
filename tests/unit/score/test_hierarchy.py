"""The parent roll-up, computed by hand on three children, and its table in the warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipelines.lib.score import hierarchy

AS_OF = dt.date(2026, 10, 31)


def _scores(rows: list[tuple[str, float | None, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "as_of": AS_OF,
            "churn_probability": [r[1] for r in rows],
            "risk_tier": [r[2] for r in rows],
            "predicted_revenue_12m": [r[3] for r in rows],
            "score_source": "model",
        }
    )


SCORES = _scores(
    [
        ("A", 0.10, "low", 1000.0),
        ("B", 0.40, "high", 500.0),
        ("C", 0.20, "medium", 2000.0),
        ("P", 0.90, "high", 9000.0),  # the parent's own score: its own row, not part of the roll-up
        ("E", 0.70, "high", 100.0),  # no parent
    ]
)
HIERARCHY = pd.DataFrame({"customer_id": ["A", "B", "C"], "parent_id": ["P", "P", "P"]})


def test_three_children_roll_up_to_their_parent_as_computed_by_hand() -> None:
    [row] = hierarchy.roll_up(SCORES, HIERARCHY).to_dict("records")
    assert row["parent_id"] == "P" and row["as_of"] == AS_OF
    assert (row["children"], row["children_scored"]) == (3, 3)
    # customer-weighted: (0.10 + 0.40 + 0.20) / 3
    assert row["mean_churn_probability"] == pytest.approx(0.7 / 3, abs=5e-5)
    # revenue-weighted: (0.10*1000 + 0.40*500 + 0.20*2000) / 3500 = 700 / 3500
    assert row["children_revenue_12m"] == pytest.approx(3500.0)
    assert row["revenue_weighted_churn_probability"] == pytest.approx(0.2)
    assert (row["children_low"], row["children_medium"], row["children_high"]) == (1, 1, 1)
    # C drives the parent's risk (400 of 700), not B with the highest probability (200 of 700)
    assert row["driver_id"] == "C"
    assert row["driver_churn_probability"] == pytest.approx(0.20)
    assert row["driver_share"] == pytest.approx(400 / 700, abs=5e-5)


def test_a_child_without_a_probability_counts_in_the_tiers_but_in_no_mean() -> None:
    scores = pd.concat([SCORES, _scores([("D", None, "medium", 300.0)])], ignore_index=True)
    links = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "parent_id": ["P", "P", "P", "Q"]})
    rolled = hierarchy.roll_up(scores, links).set_index("parent_id")
    assert list(rolled.index) == ["P", "Q"]  # riskiest (revenue-weighted) first; Q has no figure
    assert rolled.loc["P", "revenue_weighted_churn_probability"] == pytest.approx(0.2)
    q = rolled.loc["Q"]
    assert (q["children"], q["children_scored"], q["children_medium"]) == (1, 0, 1)
    assert pd.isna(q["mean_churn_probability"]) and pd.isna(q["revenue_weighted_churn_probability"])
    assert pd.isna(q["driver_id"]) and pd.isna(q["driver_share"])


def test_no_parents_give_an_empty_table_of_the_same_columns() -> None:
    rolled = hierarchy.roll_up(SCORES, HIERARCHY.iloc[:0])
    assert rolled.empty and list(rolled.columns) == list(hierarchy.PARENT_COLUMNS)


def test_the_export_names_the_parent_after_the_customer_and_leaves_it_empty_without_one() -> None:
    export = SCORES[["customer_id", "churn_probability"]]
    out = hierarchy.with_parent(export, HIERARCHY)
    assert list(out.columns) == ["customer_id", "parent_id", "churn_probability"]
    assert out["parent_id"].tolist()[:3] == ["P", "P", "P"] and out["parent_id"].iloc[3:].isna().all()
    assert out.to_csv(index=False).splitlines()[4] == "P,,0.9"


def test_a_rerun_replaces_the_day_of_parent_scores() -> None:
    con = duckdb.connect()
    rolled = hierarchy.roll_up(SCORES, HIERARCHY)
    for _ in range(2):
        hierarchy.replace_as_of(con, rolled, as_of=AS_OF.isoformat())
    assert con.execute("select count(*), any_value(driver_id) from scores.parent_scores").fetchone() == (1, "C")
