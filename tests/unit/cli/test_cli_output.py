"""What `radar` prints is for people and for scripts: strict JSON, never NaN."""

from __future__ import annotations

import json

from pipelines.cli import _strict_json


def test_status_json_turns_figures_without_data_into_null() -> None:
    state = {"metrics": {"roc_auc": 0.8, "fold2_roc_auc": float("nan")}, "drift": [float("inf"), 1.0]}
    text = json.dumps(_strict_json(state), allow_nan=False)
    assert json.loads(text) == {"metrics": {"roc_auc": 0.8, "fold2_roc_auc": None}, "drift": [None, 1.0]}
