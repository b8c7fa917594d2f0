"""benchmarks/real_data.py: labels and features see nothing after the cut-off, training cut-offs leave the
horizon observed, and the champion block reads what a `radar run` wrote into its own data home."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import real_data
import transaction_baselines as tb

from pipelines.lib.simulate.retail import generate_transactions

HORIZON = 90


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> real_data.Dataset:
    folder = tmp_path_factory.mktemp("tx")
    generate_transactions(folder, customers=600, months=18, seed=2)
    end = pd.Timestamp(real_data.END)
    return real_data.Dataset(
        "tx", folder, real_data._orders(folder), end + pd.Timedelta(days=1) - pd.DateOffset(months=18), end
    )


def test_features_and_the_btyd_summary_at_a_cutoff_ignore_every_later_order(data: real_data.Dataset) -> None:
    t = pd.Timestamp("2026-03-31")
    before = data.orders[data.orders.order_date <= t]
    assert len(before) < len(data.orders)
    features = tb.rfm_features(data.orders, t, HORIZON, data.start)
    pd.testing.assert_frame_equal(features, tb.rfm_features(before, t, HORIZON, data.start))
    pd.testing.assert_frame_equal(tb.fit_btyd(data.orders, t).summary, tb.fit_btyd(before, t).summary)


def test_labels_are_no_order_in_the_horizon_for_customers_active_in_the_year_before(
    data: real_data.Dataset,
) -> None:
    t = pd.Timestamp("2026-03-31")
    labels = tb.active_labels(data.orders, t, HORIZON)
    last = data.orders[data.orders.order_date <= t].groupby("customer_id").order_date.max()
    assert ((t - last.loc[labels.index]).dt.days < 365).all()
    ahead = data.orders[
        (data.orders.order_date > t) & (data.orders.order_date <= t + pd.Timedelta(days=HORIZON))
    ]
    assert set(labels.index[labels == 0]) == set(ahead.customer_id) & set(labels.index)


def test_trained_baselines_learn_only_from_cutoffs_whose_horizon_has_passed(data: real_data.Dataset) -> None:
    for t in real_data.pick_cutoffs(data.start, data.end, HORIZON):
        assert t + pd.Timedelta(days=HORIZON) <= data.end
        cutoffs = tb.training_cutoffs(t, HORIZON, data.start)
        assert cutoffs and all(c + pd.Timedelta(days=HORIZON) <= t for c in cutoffs)
    rows, _ = real_data.evaluate_baselines(data, pd.Timestamp("2026-05-31"), HORIZON)
    churn = {r["model"]: r for r in rows if r["task"] == "churn"}
    assert set(churn) == {"recency", "rfm_logistic", "lightgbm_rfm", "bgnbd"}
    assert all(r["coverage"] == 1.0 and 0.5 < r["roc_auc"] <= 1.0 for r in churn.values())
    assert "brier" not in churn["recency"] and 0 < churn["bgnbd"]["brier"] < 0.25


def test_the_champion_block_runs_radar_with_its_own_data_home_and_reads_the_newest_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for `radar run` that records its arguments and writes two scoring dates into the warehouse.
    fake = tmp_path / "fake_radar.py"
    fake.write_text(
        textwrap.dedent(
            """
            import os, sys, duckdb
            home = os.environ["RADAR_HOME"]
            open(os.path.join(sys.argv[sys.argv.index("--sources") + 1], "argv.txt"), "w").write(" ".join(sys.argv[1:]) + "|" + home)
            with duckdb.connect(os.path.join(home, "warehouse.duckdb")) as con:
                con.execute("create schema scores")
                con.execute("create table scores.customer_scores (customer_id varchar, as_of date, churn_probability double, predicted_revenue_12m double)")
                con.execute("insert into scores.customer_scores values ('C1', '2026-01-31', 0.9, 1.0), ('C1', '2026-03-31', 0.2, 2.0), ('C2', '2026-03-31', 0.7, 3.0)")
            """
        )
    )
    monkeypatch.setattr(real_data, "_radar_command", lambda: [sys.executable, str(fake)])
    scores = real_data.champion_scores(tmp_path, config=tmp_path / "radar.yaml", as_of=dt.date(2026, 3, 31))
    assert scores.sort_values("customer_id").values.tolist() == [["C1", 0.2, 2.0], ["C2", 0.7, 3.0]]
    argv, home = (tmp_path / "argv.txt").read_text().split("|")
    assert argv == f"run --sources {tmp_path} --config {tmp_path / 'radar.yaml'} --as-of 2026-03-31"
    assert not Path(home).exists()  # the temporary data home is removed afterwards


def test_a_failing_champion_run_raises_instead_of_scoring_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        real_data,
        "_radar_command",
        lambda: [sys.executable, "-c", "import sys; sys.exit('no such option: --as-of')"],
    )
    with pytest.raises(RuntimeError, match="no such option") as failure:
        real_data.champion_scores(tmp_path, config=tmp_path / "radar.yaml", as_of=dt.date(2026, 3, 31))
    kept = Path(str(failure.value).split("data home kept: ")[1].split(")")[0])
    assert kept.is_dir()  # left for a look at what the run did
    shutil.rmtree(kept)


def test_the_truncated_champion_run_sees_only_accounts_and_orders_up_to_the_cutoff(
    data: real_data.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stand-in copies what it was given, so the test can look at the folder `radar run` saw.
    fake = tmp_path / "fake_radar.py"
    seen = tmp_path / "seen"
    fake.write_text(
        textwrap.dedent(
            f"""
            import os, shutil, sys, duckdb
            shutil.copytree(sys.argv[sys.argv.index("--sources") + 1], {str(seen)!r})
            open({str(tmp_path / "argv.txt")!r}, "w").write(" ".join(sys.argv[1:]))
            with duckdb.connect(os.path.join(os.environ["RADAR_HOME"], "warehouse.duckdb")) as con:
                con.execute("create schema scores")
                con.execute("create table scores.customer_scores as select 'C1' as customer_id, date '2026-03-31' as as_of, 0.5 as churn_probability, 1.0 as predicted_revenue_12m")
            """
        )
    )
    monkeypatch.setattr(real_data, "_radar_command", lambda: [sys.executable, str(fake)])
    cutoff = dt.date(2026, 3, 31)
    real_data.champion_scores(data.folder, config=tmp_path / "radar.yaml", as_of=cutoff, truncate=True)
    assert "--as-of" not in (tmp_path / "argv.txt").read_text()
    assert sorted(p.name for p in seen.iterdir()) == ["accounts.parquet", "orders.parquet"]
    orders = pd.read_parquet(seen / "orders.parquet")
    kept = data.orders[data.orders.order_date <= pd.Timestamp(cutoff)]
    assert len(orders) == len(kept) and pd.to_datetime(orders.order_date).max() <= pd.Timestamp(cutoff)
    accounts = pd.read_parquet(seen / "accounts.parquet")
    assert pd.to_datetime(accounts.created_at).max() <= pd.Timestamp(cutoff)
    assert set(kept.customer_id) <= set(accounts.customer_id)


def test_a_champion_that_scores_some_active_customers_is_compared_with_the_baselines_on_those(
    data: real_data.Dataset,
) -> None:
    t = pd.Timestamp("2026-05-31")
    _, baselines = real_data.evaluate_baselines(data, t, HORIZON)
    labels = tb.active_labels(data.orders, t, HORIZON)
    recent = tb.rfm_features(data.orders, t, HORIZON, data.start).loc[labels.index, "days_since_last_order"]
    chosen = recent.index[recent < 180]  # as a pipeline whose active customers ordered within 180 days
    scores = pd.DataFrame({"customer_id": chosen, "churn_probability": recent.loc[chosen] / 180})
    row = real_data.score_champion(scores, data, t, HORIZON, baselines)
    assert row["coverage"] == pytest.approx(len(chosen) / len(labels)) and row["scored"] == len(chosen)
    assert row["churn_rate_not_scored"] > row["churn_rate_scored"]
    assert set(row["on_champion_scored"]) == {"recency", "rfm_logistic", "lightgbm_rfm", "bgnbd"}
    # The stand-in ranks exactly like recency, so on the same customers their ROC-AUCs agree.
    assert row["roc_auc"] == pytest.approx(row["on_champion_scored"]["recency"]["roc_auc"], abs=1e-4)


def test_the_champion_value_is_ranked_against_the_revenue_that_followed_on_the_baselines_customers(
    data: real_data.Dataset,
) -> None:
    t = pd.Timestamp("2026-05-31")
    rows, _ = real_data.evaluate_baselines(data, t, HORIZON)
    naive = next(r for r in rows if r["model"] == "naive_previous_window")
    labels = tb.active_labels(data.orders, t, HORIZON)
    days = naive["value_window_days"]
    # A stand-in that values each customer at their revenue of the window before, as the naive forecast does:
    # on the same customers, window and actuals, its row must equal the naive row.
    before = tb.future_revenue(data.orders, t - pd.Timedelta(days=days), days, labels.index)
    scores = pd.DataFrame({"customer_id": labels.index, "predicted_revenue_12m": before.to_numpy()})
    row = real_data.champion_value(scores, data, t, HORIZON)
    assert row["valued"] == row["active"] == naive["active"] and row["value_window_days"] == days
    assert row["spearman"] == pytest.approx(naive["spearman"]) and row["mae"] == pytest.approx(naive["mae"])
    # A customer left unvalued counts as 0, not as missing.
    some = scores.iloc[: len(scores) // 2]
    assert real_data.champion_value(some, data, t, HORIZON)["valued"] == len(some)


def test_a_refusal_is_recorded_as_its_one_line_without_this_machines_paths() -> None:
    message = (
        "radar run as of 2026-05-31 exited 1 (data home kept: /tmp/radar-home-x1):\n"
        "radar: churn_model: cannot train on the data up to 2026-05-31: set churn.horizon_days to at most about 61 "
        "(now 90) (full log: /tmp/radar-home-x1/logs/last_run.log)"
    )
    line = real_data.refusal_line(message)
    assert line == (
        "radar: churn_model: cannot train on the data up to 2026-05-31: set churn.horizon_days to at most about 61 "
        "(now 90)"
    )
