"""Risk tiers and the playbook: from a probability to who does what, by when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.core.config import PlaybookEntry, TierSettings

TIER_ORDER = ("none", "low", "medium", "high")


def risk_tier(p: np.ndarray | pd.Series, tiers: TierSettings) -> np.ndarray:
    """none below `low`, low in [low, medium), medium in [medium, high), high from `high` up."""
    p = np.asarray(p, dtype=float)
    idx = np.searchsorted([tiers.low, tiers.medium, tiers.high], p, side="right")
    return np.asarray(TIER_ORDER, dtype=object)[idx]


def scoring_tiers(tiers: TierSettings, profit_threshold: float | None) -> TierSettings:
    """The cut-offs scoring uses. With ``low_from_profit`` (the default) the low tier begins where contacting a
    customer pays for itself by the champion's own validation (the EMP threshold chosen on its calibration fold),
    when that is below the configured `low`. Calibrated 90-day probabilities at a churn rate of a few percent
    rarely reach 30 %: the demo's fixed tiers warned 17 of 1,633 customers and caught 23 % of its validation
    churners, while most customers above the profit threshold were worth the low tier's cheap action. The
    probabilities stay as they are; only where the list starts moves. Medium and high stay as configured, and a
    threshold at or above `low` changes nothing (the configured tiers already start late enough)."""
    if not tiers.low_from_profit or profit_threshold is None or not 0 < profit_threshold < tiers.low:
        return tiers
    return tiers.model_copy(update={"low": float(profit_threshold)})


def low_source(cutoffs: TierSettings, configured: TierSettings) -> str:
    """Where the low tier's cut-off came from, in words for the summary, status and review."""
    return "the champion's profit threshold" if cutoffs.low != configured.low else "configured"


def cutoffs_line(cutoffs: TierSettings, configured: TierSettings) -> str:
    """``low 17 % (the champion's profit threshold), medium 50 %, high 70 %``."""
    return (
        f"low {cutoffs.low:.0%} ({low_source(cutoffs, configured)}), medium {cutoffs.medium:.0%}, "
        f"high {cutoffs.high:.0%}"
    )


def warning_recall(
    cutoffs: TierSettings, configured: TierSettings, metrics: dict[str, float]
) -> float | None:
    """The share of the champion's validation churners that the warnings (tier low and up) reached, from the
    figures its training run logged: recall at the profit threshold when that starts the low tier, else recall
    at the configured `low`. None when the run logged neither."""
    key = "profit_recall" if cutoffs.low != configured.low else "low_recall"
    value = metrics.get(key)
    return float(value) if value is not None and np.isfinite(value) else None


def playbook_columns(tier: np.ndarray, playbook: dict[str, PlaybookEntry]) -> pd.DataFrame:
    frame = pd.DataFrame({"risk_tier": tier})
    book = pd.DataFrame(
        [
            {"risk_tier": t, "action": e.action, "owner": e.owner, "sla_hours": e.sla_hours}
            for t, e in playbook.items()
        ]
    )
    return frame.merge(book, on="risk_tier", how="left")[["action", "owner", "sla_hours"]]
