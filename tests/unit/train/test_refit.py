"""The registered model learns again on the newest labelled months; its figures stay those measured out of time."""

from __future__ import annotations

import pandas as pd

from pipelines.lib.core.config import TrainingSettings
from pipelines.lib.train import retrain, training
from tests.unit.train.companies import FEATURES, company


def _company() -> pd.DataFrame:
    return company(months=16, customers=300, seed=5, intercept=-3.0)


def _validated(
    data: pd.DataFrame, settings: TrainingSettings
) -> tuple[training.TimeSplit, training.FittedChurnModel]:
    split = training.time_split(data, validation_months=settings.validation_months, horizon_days=90)
    return split, training.fit_churn_model(split.train, FEATURES, settings, horizon_days=90)


def test_the_scoring_model_learns_from_the_validation_months_and_calibrates_on_the_newest() -> None:
    data = _company()
    settings = TrainingSettings(
        min_child_samples=50, calibration_months=2, validation_months=2, linear_base="none"
    )
    split, validated = _validated(data, settings)
    scoring, note = retrain._scoring_model(data, validated, FEATURES, settings, horizon_days=90)
    assert note is None

    newest = data["snapshot_date"].max()
    assert validated.calibration["snapshot_date"].max() < split.valid["snapshot_date"].min()
    # Calibrated on the newest labelled months, the validation months themselves: a horizon nearer to scoring.
    assert scoring.calibration["snapshot_date"].max() == newest
    assert set(scoring.calibration["snapshot_date"]) == set(split.valid["snapshot_date"])
    assert len(scoring.fit) + len(scoring.calibration) > len(validated.fit) + len(validated.calibration)
    assert retrain.reference_month(
        {"train_end": "2025-01-31", "model_train_end": newest.date().isoformat()}
    ) == (newest.date().isoformat())
    p = scoring.model.churn_probability(split.valid)
    assert ((p > 0) & (p < 1)).all()


def test_validated_keeps_the_model_the_figures_were_measured_on() -> None:
    data = _company()
    settings = TrainingSettings(
        min_child_samples=50, calibration_months=2, validation_months=2, linear_base="none", refit="validated"
    )
    _, validated = _validated(data, settings)
    assert retrain._scoring_model(data, validated, FEATURES, settings, horizon_days=90) == (validated, None)
    assert retrain.reference_month({"train_end": "2025-01-31"}) == "2025-01-31"


def test_a_refit_that_cannot_learn_keeps_the_validated_model_and_says_why() -> None:
    """`refit: newest` on newest months that hold one class only: the validated model is registered, with a note
    the run shows, instead of quietly registering another model than the configuration asked for."""
    data = _company()
    settings = TrainingSettings(
        min_child_samples=50, calibration_months=2, validation_months=2, linear_base="none"
    )
    _, validated = _validated(data, settings)
    newest = data["snapshot_date"] >= sorted(data["snapshot_date"].unique())[-2]
    one_class = data.assign(label=data["label"].where(~newest, 0))
    scoring, note = retrain._scoring_model(one_class, validated, FEATURES, settings, horizon_days=90)
    assert scoring is validated
    assert note is not None and note.startswith("refit on the newest months not possible (")
    assert note.endswith("the validated model is registered")
