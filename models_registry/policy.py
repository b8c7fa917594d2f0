"""The promotion policy as code: a pure decision from the figures, with every reason written down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).with_name("promotion_policy.yaml")


@dataclass(frozen=True)
class PromotionPolicy:
    version: int
    metric: str
    higher_is_better: bool
    min_improvement: float
    calibration_metric: str
    max_calibration_worsening: float
    max_drift_share: float
    max_new_drift_share: float
    first_champion_min_metric: float
    require_gates_passed: bool
    require_data_as_recent_as_champion: bool

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> PromotionPolicy:
        return cls(**yaml.safe_load(path.read_text()))


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def decide(
    policy: PromotionPolicy,
    *,
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    drift_share: float,
    gates_passed: bool,
    new_drift: list[str] | None = None,
    features_compared: int = 0,
    candidate_cutoff: str | None = None,
    champion_cutoff: str | None = None,
    baseline: float | None = None,
    baseline_gain_interval: tuple[float, float] | None = None,
) -> Decision:
    """Candidate vs champion on the same holdout. ``champion`` is None when there is no champion yet.

    ``new_drift`` are the features that drift now but did not when the champion was chosen. Some features always
    drift between a training month and today (tenure grows, seasons turn); what was already drifting when the
    champion was accepted is known, what is new is not, and a challenger trained into it waits for a human.

    ``candidate_cutoff`` / ``champion_cutoff`` are the last days of data each model was trained on (ISO dates).
    A candidate from an older quarter (a backfill) is judged on its own, older holdout, which a newer champion
    has learnt from; that comparison would flatter the champion, and promoting the older model would throw
    away data. So it is never promoted by the policy.

    With no champion yet, the candidate competes with the rule-based health score, the scores the customers
    would get otherwise: ``baseline`` is the health score's ``metric`` on the same validation rows, and
    ``baseline_gain_interval`` the bootstrap interval of the candidate's gain over it. It becomes the first
    champion unless it is demonstrably worse (the whole interval below zero; without an interval, unless it does
    not beat the health score) and it reaches the policy's floor: on a few hundred customers the two are often
    within noise of each other, and a model that is not worse gives probabilities the health score cannot. Drift
    against its own training
    months is then reported, not blocking, since there is no model to keep instead, and seasonal data or
    tenure and recency features always move between a training month and today."""
    reasons: list[str] = []
    ok = True
    m, cal = policy.metric, policy.calibration_metric
    figures: dict[str, Any] = {
        f"candidate_{m}": candidate[m],
        f"candidate_{cal}": candidate[cal],
        "drift_share": drift_share,
        "gates_passed": gates_passed,
    }
    if policy.require_gates_passed and not gates_passed:
        ok = False
        reasons.append("a data gate failed")
    if drift_share > policy.max_drift_share and champion is None:
        reasons.append(
            f"feature drift share {drift_share:.2f} exceeds the limit {policy.max_drift_share:.2f}: reported, "
            "not blocking for the first model"
        )
    elif drift_share > policy.max_drift_share:
        ok = False
        reasons.append(
            f"feature drift share {drift_share:.2f} exceeds the limit {policy.max_drift_share:.2f}"
        )
    else:
        reasons.append(f"feature drift share {drift_share:.2f} within the limit {policy.max_drift_share:.2f}")
    fresh = sorted(new_drift or [])
    figures["new_drift"] = fresh
    new_share = len(fresh) / features_compared if features_compared else 0.0
    if champion is not None and new_share > policy.max_new_drift_share:
        ok = False
        reasons.append(
            f"{len(fresh)} feature(s) drift that did not when the champion was chosen ({', '.join(fresh)}): "
            f"share {new_share:.2f} exceeds {policy.max_new_drift_share:.2f}"
        )
    sign = 1 if policy.higher_is_better else -1
    if candidate_cutoff is not None:
        figures["candidate_training_cutoff"] = candidate_cutoff
    if champion is not None and champion_cutoff is not None:
        figures["champion_training_cutoff"] = champion_cutoff
    older = (
        policy.require_data_as_recent_as_champion
        and champion is not None
        and candidate_cutoff is not None
        and champion_cutoff is not None
        and candidate_cutoff < champion_cutoff
    )
    if older:
        reasons.append(
            f"trained on data up to {candidate_cutoff}, older than the champion's {champion_cutoff}: the champion "
            "has learnt from this holdout, so the comparison is not fair, and an older model never replaces a "
            "newer champion by policy"
        )
        return Decision(promote=False, reasons=reasons, figures=figures)
    if champion is None:
        if sign * (candidate[m] - policy.first_champion_min_metric) >= 0:
            reasons.append(
                f"no champion yet; {m} {candidate[m]:.4f} reaches the floor {policy.first_champion_min_metric}"
            )
        else:
            ok = False
            reasons.append(
                f"no champion yet, but {m} {candidate[m]:.4f} is below the floor {policy.first_champion_min_metric}"
            )
        if baseline is not None:
            figures[f"baseline_health_score_{m}"] = baseline
            low, high = baseline_gain_interval or (float("nan"), float("nan"))
            interval = f" (90 % interval of the gain {low:+.4f} … {high:+.4f})" if baseline_gain_interval else ""
            if sign * (candidate[m] - baseline) > 0:
                reasons.append(f"{m} {candidate[m]:.4f} beats the health score's {baseline:.4f}{interval}")
            elif baseline_gain_interval is not None and high > 0:
                reasons.append(
                    f"{m} {candidate[m]:.4f} vs the health score's {baseline:.4f}: not demonstrably worse{interval}"
                )
            else:
                ok = False
                reasons.append(
                    f"{m} {candidate[m]:.4f} does not beat the health score's {baseline:.4f}{interval}; the "
                    "health score stays the customers' score"
                )
    else:
        figures[f"champion_{m}"] = champion[m]
        figures[f"champion_{cal}"] = champion[cal]
        gain = sign * (candidate[m] - champion[m])
        if gain >= policy.min_improvement:
            reasons.append(f"{m} {candidate[m]:.4f} beats the champion's {champion[m]:.4f} by {gain:.4f}")
        else:
            ok = False
            reasons.append(
                f"{m} {candidate[m]:.4f} vs the champion's {champion[m]:.4f}: gain {gain:.4f} "
                f"is below the required {policy.min_improvement}"
            )
        worse = candidate[cal] - champion[cal]
        if worse > policy.max_calibration_worsening:
            ok = False
            reasons.append(
                f"{cal} worse than the champion's by {worse:.4f} (limit {policy.max_calibration_worsening})"
            )
        else:
            reasons.append(
                f"{cal} {candidate[cal]:.4f} vs the champion's {champion[cal]:.4f}: calibration holds"
            )
    return Decision(promote=ok, reasons=reasons, figures=figures)
