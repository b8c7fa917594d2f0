"""The expected discounted margin over a survival curve, checked against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.lib.value.survival_clv import expected_discounted_margin


def test_a_customer_certain_to_stay_is_worth_every_months_margin_undiscounted() -> None:
    value = expected_discounted_margin(np.ones((1, 12)), 100.0, annual_discount_rate=0.0)
    assert value.tolist() == [1200.0]


def test_a_constant_hazard_gives_the_geometric_sum() -> None:
    h, r, margin, months = 0.02, 0.1, 250.0, 36
    curve = (1 - h) ** np.arange(1, 13)
    d = (1 + r) ** (-1 / 12)
    # month k: (S(k-1) + S(k)) / 2 = (1-h)^(k-1) (2-h)/2, discounted by d^k
    closed = margin * (2 - h) / 2 * d * (1 - ((1 - h) * d) ** months) / (1 - (1 - h) * d)
    got = expected_discounted_margin(curve[None, :], margin, annual_discount_rate=r, months=months)
    assert got[0] == pytest.approx(closed, rel=1e-12)


def test_riskier_and_later_money_is_worth_less() -> None:
    curves = np.vstack([0.99 ** np.arange(1, 13), 0.9 ** np.arange(1, 13)])
    value = expected_discounted_margin(curves, np.array([100.0, 100.0]), annual_discount_rate=0.08)
    undiscounted = expected_discounted_margin(curves, 100.0, annual_discount_rate=0.0)
    assert value[0] > value[1]
    assert (value < undiscounted).all()


def test_bad_curves_and_rates_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match="never rise"):
        expected_discounted_margin(np.array([[0.9, 0.95]]), 1.0, annual_discount_rate=0.1)
    with pytest.raises(ValueError, match="above -1"):
        expected_discounted_margin(np.ones((1, 3)), 1.0, annual_discount_rate=-1.0)
