from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.monitor.segments import ALL, NOT_DELIVERED, segment_table, tenure_band


def _validation(seed: int = 0) -> pd.DataFrame:
    """Generated validation months: the model ranks the SMB and enterprise customers well and is blind to the
    mid-market (its probabilities there are noise); a tiny public-sector group is too small to judge."""
    rng = np.random.default_rng(seed)
    segments = np.array(["smb"] * 1500 + ["enterprise"] * 1500 + ["mid_market"] * 1200 + ["public"] * 60)
    n = len(segments)
    label = (rng.random(n) < 0.08).astype(int)
    informative = np.clip(0.05 + 0.5 * label + rng.normal(0, 0.12, n), 0.001, 0.999)
    noise = np.clip(rng.normal(0.15, 0.12, n), 0.001, 0.999)
    p = np.where(segments == "mid_market", noise, informative)
    return pd.DataFrame(
        {
            "label": label,
            "p": p,
            "segment": segments,
            "industry": rng.choice(["retail", "manufacturing"], n),
            "tenure_band": tenure_band(pd.Series(rng.uniform(0, 2000, n))),
        }
    )


def test_a_segment_the_model_is_blind_to_is_flagged_and_a_small_one_is_not_judged() -> None:
    report = segment_table(_validation(), warn_from=0.3)
    table = report.table.set_index(["dimension", "group"])
    whole = table.loc[(ALL, ALL)]
    blind = table.loc[("segment", "mid_market")]
    assert blind["recall"] < 0.5 * whole["recall"]
    assert report.flagged[["dimension", "group"]].values.tolist() == [["segment", "mid_market"]]
    assert "recall" in report.warning_lines()[0] and "ROC-AUC" in report.warning_lines()[0]
    assert not table.loc[("segment", "public"), "judged"]
    assert table.loc[("segment", "smb"), "flag"] == ""
    assert set(table.loc["tenure_band"].index) <= {
        "under 6 months",
        "6-12 months",
        "1-2 years",
        "2-3 years",
        "3 years or more",
    }
    # Calibration per group: the mean predicted probability beside the churn that happened, and the Brier score.
    assert blind["mean_predicted"] == pytest.approx(
        _validation().query("segment == 'mid_market'")["p"].mean()
    )
    assert whole["customer_months"] == len(_validation()) and report.not_delivered == []


def test_transaction_only_data_has_no_segment_or_industry_and_says_so() -> None:
    frame = _validation().drop(columns=["industry"]).assign(segment=None)
    report = segment_table(frame, warn_from=0.3)
    assert report.not_delivered == ["segment", "industry"]
    assert set(report.table["dimension"]) == {ALL, "tenure_band"}
    assert NOT_DELIVERED == "not delivered"


def test_a_group_nobody_was_warned_in_has_no_precision_rather_than_zero() -> None:
    frame = pd.DataFrame({"label": [0, 1, 0, 1], "p": [0.1, 0.2, 0.9, 0.8], "segment": ["a", "a", "b", "b"]})
    table = segment_table(frame, warn_from=0.5, min_rows=1, min_churners=1).table.set_index(
        ["dimension", "group"]
    )
    assert math.isnan(table.loc[("segment", "a"), "precision"])
    assert table.loc[("segment", "a"), "recall"] == 0.0
    assert table.loc[("segment", "b"), "precision"] == 0.5
    assert table.loc[("segment", "b"), "brier"] == pytest.approx((0.9**2 + 0.2**2) / 2)
