"""Probability calibration fitted on a later fold than the booster learnt from, stored as plain numbers.

The booster's raw scores rank well but, trained with class weights, overstate risk. A monotone map fitted on
the calibration fold (isotonic or Platt's sigmoid, whichever predicts held-out customers better) turns them
into probabilities a profit calculation can trust. The map is kept as numbers (thresholds, or slope and
intercept), so the registered model needs no pickled scikit-learn object.

The isotonic map is *centred* (Oron & Flournoy 2017): plain isotonic regression is a staircase, and every customer
on one step gets the same probability, so a few thousand calibration rows turn a ranking into a handful of ties
(measured on 14 months of orders: ROC-AUC 0.789 before calibration, 0.772 after). Joining the steps' midpoints
keeps the fit's calibration and makes the map strictly increasing inside the data, so it keeps the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import GroupKFold

Method = Literal["isotonic", "sigmoid"]
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibrator:
    method: Method
    params: dict[str, list[float]]
    scores: dict[str, float] = field(default_factory=dict)

    def apply(self, raw_p: np.ndarray) -> np.ndarray:
        raw_p = np.asarray(raw_p, dtype=float)
        if self.method == "isotonic":
            return np.interp(raw_p, self.params["x"], self.params["y"])
        a, b = self.params["a"][0], self.params["b"][0]
        return 1.0 / (1.0 + np.exp(-(a * _logit(raw_p) + b)))

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "params": self.params, "scores": self.scores}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        return cls(method=data["method"], params=data["params"], scores=data.get("scores", {}))


def _centred(x: np.ndarray, y: np.ndarray, lowest: float, highest: float) -> tuple[list[float], list[float]]:
    """The isotonic staircase as a strictly increasing polyline: each step becomes its midpoint, the ends
    continue the neighbouring slope to the data's range (within [0, 1]), and 0 and 1 map to themselves."""
    steps = np.concatenate([[0], np.flatnonzero(np.diff(y) > 0) + 1, [len(y)]])
    starts, ends = steps[:-1], steps[1:] - 1
    mid = (x[starts] + x[ends]) / 2
    level = y[steps[:-1]]
    if len(mid) < 2:
        return [lowest, highest], [float(level[0]), float(level[0])]
    low_slope = (level[1] - level[0]) / (mid[1] - mid[0])
    high_slope = (level[-1] - level[-2]) / (mid[-1] - mid[-2])
    # At most half-way to 0 and to 1, so the anchors below stay strictly beyond.
    start = float(np.clip(level[0] - low_slope * (mid[0] - lowest), level[0] / 2, level[0]))
    end = float(np.clip(level[-1] + high_slope * (highest - mid[-1]), level[-1], (level[-1] + 1) / 2))
    xs, ys = mid.tolist(), level.tolist()
    if lowest < mid[0]:
        xs, ys = [lowest, *xs], [start, *ys]
    if highest > mid[-1]:
        xs, ys = [*xs, highest], [*ys, end]
    # A score of 0 is no risk and 1 is certain churn: anchoring both ends keeps scores outside the calibration
    # fold's range (the refitted booster reaches further than the early-stopped one) in their order too.
    if xs[0] > 0:
        xs, ys = [0.0, *xs], [0.0, *ys]
    if xs[-1] < 1:
        xs, ys = [*xs, 1.0], [*ys, 1.0]
    return xs, ys


def _fit(method: Method, raw_p: np.ndarray, y: np.ndarray) -> Calibrator:
    if method == "isotonic":
        # Never certain: a top step where every calibration customer churned is ~1 - 1/(2n), not 1, so the map
        # still rises above it and the highest scores keep their order.
        bound = 0.5 / (len(y) + 1)
        iso = IsotonicRegression(out_of_bounds="clip", y_min=bound, y_max=1.0 - bound).fit(raw_p, y)
        x, fitted = _centred(iso.X_thresholds_, iso.y_thresholds_, float(raw_p.min()), float(raw_p.max()))
        return Calibrator("isotonic", {"x": x, "y": fitted})
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw_p).reshape(-1, 1), y)
    return Calibrator("sigmoid", {"a": [float(lr.coef_[0, 0])], "b": [float(lr.intercept_[0])]})


def fit_calibrator(raw_p: np.ndarray, y: np.ndarray, groups: np.ndarray, *, folds: int = 3) -> Calibrator:
    """Fit both methods; keep the one with the lower Brier score on customers held out of the fit
    (grouped by customer, so one customer's months never sit on both sides)."""
    raw_p, y = np.asarray(raw_p, dtype=float), np.asarray(y, dtype=int)
    n_groups = len(np.unique(groups))
    scores: dict[str, float] = {}
    for method in ("isotonic", "sigmoid"):
        held_out = np.empty_like(raw_p)
        for fit_idx, test_idx in GroupKFold(n_splits=min(folds, n_groups)).split(raw_p, y, groups):
            if np.unique(y[fit_idx]).size < 2:
                held_out[test_idx] = y[fit_idx].mean()
                continue
            held_out[test_idx] = _fit(method, raw_p[fit_idx], y[fit_idx]).apply(raw_p[test_idx])
        scores[f"calibration_brier_{method}"] = float(brier_score_loss(y, held_out))
    scores["calibration_brier_uncalibrated"] = float(brier_score_loss(y, raw_p))
    best: Method = min(("isotonic", "sigmoid"), key=lambda m: scores[f"calibration_brier_{m}"])
    chosen = _fit(best, raw_p, y)
    return Calibrator(chosen.method, chosen.params, scores)
