"""BG/NBD and Gamma-Gamma: parameter recovery on data drawn from their own generative processes, known
properties of the posterior quantities, and the RFM summary's conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.value.btyd import (
    BGNBD,
    GammaGamma,
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    rfm_summary,
)

TRUE = BGNBD(r=0.24, alpha=4.41, a=0.79, b=2.43)  # weeks, the magnitudes of the 2005 paper's example
MAX_PURCHASES = 400


def simulate_bgnbd(
    model: BGNBD, n: int, seed: int, *, T_range: tuple[float, float] = (30.0, 80.0), holdout: float = 0.0
) -> pd.DataFrame:
    """x, t_x, T per customer from the BG/NBD process (λ ~ Gamma(r, α), p ~ Beta(a, b), exponential gaps,
    dropout after each repeat purchase with probability p), and the purchases in (T, T+holdout]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(model.r, 1.0 / model.alpha, n)
    p = rng.beta(model.a, model.b, n)
    T = rng.uniform(*T_range, n)
    times = np.cumsum(rng.exponential(1.0, (n, MAX_PURCHASES)) / lam[:, None], axis=1)
    repeats = rng.geometric(p)  # the repeat purchase after which the customer drops out
    allowed = np.arange(1, MAX_PURCHASES + 1)[None, :] <= repeats[:, None]
    assert ((times[:, -1] > T + holdout) | (repeats < MAX_PURCHASES)).all(), "raise MAX_PURCHASES"
    seen = allowed & (times <= T[:, None])
    x = seen.sum(axis=1)
    t_x = np.where(x > 0, np.where(seen, times, 0.0).max(axis=1), 0.0)
    later = (allowed & (times > T[:, None]) & (times <= (T + holdout)[:, None])).sum(axis=1)
    return pd.DataFrame({"x": x, "t_x": t_x, "T": T, "holdout": later})


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return simulate_bgnbd(TRUE, 5000, seed=1, holdout=39.0)


@pytest.fixture(scope="module")
def fitted(customers: pd.DataFrame) -> BGNBD:
    return fit_bgnbd(customers.x, customers.t_x, customers["T"])


def test_bgnbd_fit_recovers_the_parameters_it_was_simulated_with(fitted: BGNBD) -> None:
    # r and alpha are pinned down by the purchase counts (within 15 %); a and b only by the few customers whose
    # dropout shows, so they get 40 %, and their ratio, the mean dropout probability, 0.05.
    assert fitted.r == pytest.approx(TRUE.r, rel=0.15)
    assert fitted.alpha == pytest.approx(TRUE.alpha, rel=0.15)
    assert fitted.a == pytest.approx(TRUE.a, rel=0.4)
    assert fitted.b == pytest.approx(TRUE.b, rel=0.4)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(TRUE.a / (TRUE.a + TRUE.b), abs=0.05)


def test_the_true_parameters_are_more_likely_than_distorted_ones(customers: pd.DataFrame) -> None:
    def ll(model: BGNBD) -> float:
        return float(model.log_likelihood(customers.x, customers.t_x, customers["T"]).sum())

    assert ll(TRUE) > ll(BGNBD(TRUE.r * 1.5, TRUE.alpha, TRUE.a, TRUE.b))
    assert ll(TRUE) > ll(BGNBD(TRUE.r, TRUE.alpha, TRUE.a * 3, TRUE.b))


def test_expected_purchases_match_the_holdout_in_total(customers: pd.DataFrame, fitted: BGNBD) -> None:
    expected = fitted.expected_purchases(39.0, customers.x, customers.t_x, customers["T"])
    assert expected.sum() == pytest.approx(customers.holdout.sum(), rel=0.1)
    frequent = customers.x >= 5
    assert expected[frequent].mean() > 3 * expected[~frequent].mean()


def test_p_no_purchase_is_calibrated_on_the_holdout(customers: pd.DataFrame, fitted: BGNBD) -> None:
    p = fitted.p_no_purchase(39.0, customers.x, customers.t_x, customers["T"])
    none = (customers.holdout == 0).to_numpy()
    assert p.mean() == pytest.approx(none.mean(), abs=0.03)
    assert none[p >= 0.9].mean() > none[p < 0.5].mean() + 0.3


def test_p_alive_is_one_without_a_repeat_purchase_and_falls_with_the_time_since_the_last() -> None:
    assert TRUE.p_alive(0, 0.0, 52.0) == 1.0
    assert TRUE.p_alive(np.zeros(3), np.zeros(3), np.array([1.0, 50.0, 500.0])).tolist() == [1.0, 1.0, 1.0]
    alive = TRUE.p_alive(4, np.array([50.0, 30.0, 10.0]), 52.0)
    assert np.all((alive > 0) & (alive < 1)) and np.all(np.diff(alive) < 0)


def test_p_no_purchase_lies_in_the_unit_interval_and_decreases_with_the_horizon() -> None:
    t = np.array([0.0, 1.0, 4.0, 13.0, 52.0, 520.0])[:, None]
    x, t_x = np.array([0.0, 1.0, 3.0, 10.0]), np.array([0.0, 20.0, 10.0, 50.0])
    p = TRUE.p_no_purchase(t, x, t_x, 52.0)
    assert np.all((p >= 0) & (p <= 1))
    assert np.allclose(p[0], 1.0)  # nothing can happen in an empty window
    assert np.all(np.diff(p, axis=0) < 0)
    dead_share = 1 - TRUE.p_alive(x, t_x, 52.0)
    assert np.all(p[-1] >= dead_share)  # a dead customer never buys again, however long one waits


def test_p_no_purchase_agrees_with_simulated_futures_of_one_customer_history() -> None:
    # Draw (λ, p) from the prior, keep the draws whose simulated history has x = 2 and t_x in [20, 22] at T = 40,
    # and compare the share with no purchase in the next 26 weeks with the closed form.
    rng = np.random.default_rng(3)
    n = 2_000_000
    lam = rng.gamma(TRUE.r, 1 / TRUE.alpha, n)
    p = rng.beta(TRUE.a, TRUE.b, n)
    gaps = rng.exponential(1.0, (n, 3)) / lam[:, None]
    first, second, third = gaps[:, 0], gaps[:, :2].sum(axis=1), gaps.sum(axis=1)
    dies_after_one, dies_after_two = rng.random(n) < p, rng.random(n) < p
    # Alive after the first repeat purchase (so the second happened); after the second, either dead or the
    # third purchase falls after T: both leave x = 2.
    match = (second >= 20) & (second <= 22) & ~dies_after_one & (dies_after_two | (third > 40))
    purchase_in_window = ~dies_after_two & (third <= 66)
    assert first[match].size > 2000
    simulated = 1 - purchase_in_window[match].mean()
    closed = float(TRUE.p_no_purchase(26.0, 2, 21.0, 40.0))
    assert simulated == pytest.approx(closed, abs=0.03)


def test_gamma_gamma_fit_recovers_the_spend_parameters() -> None:
    rng = np.random.default_rng(2)
    true = GammaGamma(p=6.0, q=4.0, gamma=16.0)
    n = 20_000  # p is identified only through how the spread of z̄ shrinks with x: 5,000 leave it ±12 %
    x = 1 + rng.poisson(3.0, n)
    nu = rng.gamma(true.q, 1 / true.gamma, n)
    mean_value = rng.gamma(true.p * x, 1 / nu) / x  # the sum of x Gamma(p, ν) values is Gamma(px, ν)
    fitted = fit_gamma_gamma(x, mean_value)
    assert fitted.p == pytest.approx(true.p, rel=0.2)
    assert fitted.q == pytest.approx(true.q, rel=0.1)
    assert fitted.gamma == pytest.approx(true.gamma, rel=0.25)
    assert fitted.population_mean == pytest.approx(true.population_mean, rel=0.05)
    own_mean = true.p / nu  # the customer's true mean purchase value
    shrunk = fitted.expected_spend(x, mean_value)
    assert np.mean((shrunk - own_mean) ** 2) < np.mean((mean_value - own_mean) ** 2)
    assert fitted.expected_spend(0, 0.0) == pytest.approx(fitted.population_mean)


def test_customer_value_adds_up_periods_and_discounting_lowers_it() -> None:
    summary = pd.DataFrame({"frequency": [0.0, 3.0, 12.0], "recency": [0.0, 30.0, 50.0], "T": [52.0] * 3})
    summary["monetary_value"] = [0.0, 40.0, 80.0]
    spend = GammaGamma(p=6.0, q=4.0, gamma=16.0)
    flat = customer_value(TRUE, spend, summary, periods=12, period_length=4.35)
    total = TRUE.expected_purchases(12 * 4.35, summary.frequency, summary.recency, summary["T"])
    assert flat == pytest.approx(total * spend.expected_spend(summary.frequency, summary.monetary_value))
    discounted = customer_value(TRUE, spend, summary, periods=12, period_length=4.35, discount_rate=0.01)
    assert np.all(discounted < flat) and np.all(discounted > 0.85 * flat)


def test_rfm_summary_counts_repeat_purchase_days_up_to_the_cutoff() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "order_date": pd.to_datetime(
                ["2025-01-01", "2025-01-01", "2025-01-11", "2025-03-01", "2025-02-01", "2025-02-20"]
            ),
            "amount": [10.0, 5.0, 30.0, 99.0, 7.0, 1.0],
        }
    )
    summary = rfm_summary(orders, "2025-02-10").set_index("customer_id")
    assert list(summary.index) == ["a", "b"]  # c and a's March order come after the cut-off
    assert summary.loc["a"].tolist() == [
        1.0,
        10.0,
        40.0,
        30.0,
    ]  # the two orders of 1 January are one purchase
    assert summary.loc["b"].tolist() == [0.0, 0.0, 9.0, 0.0]
    weekly = rfm_summary(orders, "2025-02-10", unit_days=7.0).set_index("customer_id")
    assert weekly.loc["a", "T"] == pytest.approx(40 / 7)


def test_fitting_on_the_rfm_summary_of_simulated_orders_runs_end_to_end() -> None:
    rng = np.random.default_rng(4)
    n = 800
    first = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    k = 1 + rng.poisson(2.0, n)
    customer = np.repeat(np.arange(n), k)
    day = np.repeat(first.to_numpy(), k) + pd.to_timedelta(rng.integers(0, 400, k.sum()), unit="D").to_numpy()
    day[np.r_[0, np.cumsum(k)[:-1]]] = first.to_numpy()
    orders = pd.DataFrame(
        {"customer_id": customer, "order_date": day, "amount": rng.lognormal(3, 0.5, k.sum())}
    )
    summary = rfm_summary(orders, "2025-01-31")
    model = fit_bgnbd(summary.frequency, summary.recency, summary["T"])
    p = model.p_no_purchase(90.0, summary.frequency, summary.recency, summary["T"])
    assert np.isfinite([model.r, model.alpha, model.a, model.b]).all()
    assert np.all((p >= 0) & (p <= 1)) and p.std() > 0.01
