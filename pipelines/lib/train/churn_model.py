"""The registered churn model: a LightGBM booster for ranking and reason codes, plus the calibration map that
turns its scores into probabilities.

Scoring needs both at once (calibrated probabilities and `pred_contrib` reasons), so the two travel together as
one MLflow pyfunc model whose files are plain text: the booster's model string and the calibrator's numbers, and,
for non-contractual churn, the numbers of the linear base the booster starts from (`linear_base`).
`load_churn_model` is the one way to get it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from pipelines.lib.train.calibration import Calibrator
from pipelines.lib.train.linear_base import LinearBase

BOOSTER_FILE, CALIBRATOR_FILE, BASE_FILE = "booster.txt", "calibrator.json", "linear_base.json"


@dataclass
class ChurnModel:
    booster: lgb.Booster
    calibrator: Calibrator
    base: LinearBase | None = None  # the log-odds the booster starts from (None: it starts from its own prior)
    # LightGBM's threads per prediction; 0 is its default (every core), right for batch scoring. The online
    # API sets 1: for a few rows OpenMP's start-up and spinning cost far more than the work (28 ms against
    # 0.2 ms for one row on a busy 2-core machine), and the API's parallelism is its concurrent requests.
    predict_threads: int = 0

    @property
    def feature_names(self) -> list[str]:
        return list(self.booster.feature_name())

    def raw_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's own score, before calibration (class-weighted, so not a probability to act on)."""
        if self.base is None:
            return self.booster.predict(frame[self.feature_names], num_threads=self.predict_threads)
        log_odds = self.booster.predict(
            frame[self.feature_names], raw_score=True, num_threads=self.predict_threads
        ) + self.base.log_odds(frame)
        return 1.0 / (1.0 + np.exp(-log_odds))

    def churn_probability(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.apply(self.raw_probability(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """scikit-learn shape: column 0 stays, column 1 churns."""
        p = self.churn_probability(frame)
        return np.column_stack([1 - p, p])

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """LightGBM `pred_contrib`: one column per feature (log-odds of the booster) plus the bias last.

        Calibration is monotone, so the features that push the booster's score up are the ones that push the
        calibrated probability up; the reason codes rank on these. The linear base's terms are added to the
        columns of the figures it reads, its intercept to the bias."""
        contrib = self.booster.predict(
            frame[self.feature_names], pred_contrib=True, num_threads=self.predict_threads
        )
        if self.base is not None:
            names = self.feature_names
            terms = self.base.terms(frame)
            for k, column in enumerate(self.base.columns):
                contrib[:, names.index(column)] += terms[:, k]
            contrib[:, -1] += self.base.intercept
        return contrib

    def save(self, folder: Path) -> dict[str, str]:
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / BOOSTER_FILE))
        (folder / CALIBRATOR_FILE).write_text(json.dumps(self.calibrator.to_dict()))
        files = {"booster": str(folder / BOOSTER_FILE), "calibrator": str(folder / CALIBRATOR_FILE)}
        if self.base is not None:
            (folder / BASE_FILE).write_text(json.dumps(self.base.to_dict()))
            files["linear_base"] = str(folder / BASE_FILE)
        return files

    @classmethod
    def from_files(cls, booster: str, calibrator: str, linear_base: str | None = None) -> ChurnModel:
        return cls(
            booster=lgb.Booster(model_file=booster),
            calibrator=Calibrator.from_dict(json.loads(Path(calibrator).read_text())),
            base=LinearBase.from_dict(json.loads(Path(linear_base).read_text())) if linear_base else None,
        )


def load_churn_model(model_uri: str) -> ChurnModel:
    """The churn model behind an MLflow URI (`models:/name@champion`, `models:/name/3`, `runs:/...`).

    Gives `.predict_proba(X)` (calibrated, n x 2), `.churn_probability(X)`, `.contributions(X)` (pred_contrib)
    and `.feature_names`."""
    import mlflow

    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().model
