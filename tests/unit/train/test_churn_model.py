from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.lib.core.config import TrainingSettings
from pipelines.lib.train.churn_model import ChurnModel
from pipelines.lib.train.training import fit_churn_model
from tests.unit.train.companies import company


def _company(months: int = 14, customers: int = 400) -> pd.DataFrame:
    return company(months=months, customers=customers, seed=3, intercept=-3.5)


def test_the_calibrated_model_ranks_by_risk_explains_itself_and_survives_a_round_trip(tmp_path) -> None:
    frame = _company()
    features = ["payment_delay_vs_norm", "logins_30d"]
    settings = TrainingSettings(min_child_samples=50, calibration_months=3)
    fitted = fit_churn_model(frame, features, settings, horizon_days=90)
    assert fitted.calibration["snapshot_date"].min() > fitted.fit["snapshot_date"].max() + pd.Timedelta(
        days=89
    )
    model = fitted.model
    probe = pd.DataFrame({"payment_delay_vs_norm": [0.0, 20.0], "logins_30d": [30.0, 2.0]})
    p = model.churn_probability(probe)
    assert p[1] > p[0] and ((p >= 0) & (p <= 1)).all()
    contributions = model.contributions(probe)
    assert contributions.shape == (2, len(features) + 1)
    reloaded = ChurnModel.from_files(**model.save(tmp_path))
    np.testing.assert_allclose(reloaded.predict_proba(probe), model.predict_proba(probe))
    assert reloaded.feature_names == features


def test_the_isotonic_calibration_keeps_the_ranking_it_is_given() -> None:
    from sklearn.metrics import roc_auc_score

    from pipelines.lib.train.calibration import fit_calibrator

    rng = np.random.default_rng(0)
    raw = rng.random(3000)
    y = (rng.random(3000) < raw**2).astype(int)
    calibrator = fit_calibrator(raw, y, np.arange(3000))
    p = calibrator.apply(raw)
    assert roc_auc_score(y, p) == pytest.approx(roc_auc_score(y, raw), abs=1e-4)
    assert abs(p.mean() - y.mean()) < 0.01
    assert np.all(np.diff(calibrator.apply(np.linspace(raw.min(), raw.max(), 50))) > 0)
