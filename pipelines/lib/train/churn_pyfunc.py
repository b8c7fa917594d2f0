"""The MLflow pyfunc wrapper of `ChurnModel`; `predict` serves the calibrated churn probability.

Kept apart from `churn_model` so that importing the model class does not import MLflow.
"""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import pandas as pd

from pipelines.lib.train.churn_model import ChurnModel


class ChurnPyfunc(mlflow.pyfunc.PythonModel):
    model: ChurnModel

    def load_context(self, context) -> None:
        self.model = ChurnModel.from_files(
            context.artifacts["booster"], context.artifacts["calibrator"], context.artifacts.get("linear_base")
        )

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        return self.model.churn_probability(model_input)
