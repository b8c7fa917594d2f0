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
    """The cut-offs scoring uses. With ``low_from_profit`` the low tier begins where contacting a customer pays
    for itself by the champion's own validation (the EMP threshold chosen on its calibration fold): at a 2 %
    churn base rate that is far below 30 %, and the fixed tiers would leave most customers worth a call
    without any action. Medium and high stay as configured; a threshold at or above `medium` is ignored."""
    if not tiers.low_from_profit or profit_threshold is None or not 0 < profit_threshold < tiers.medium:
        return tiers
    return tiers.model_copy(update={"low": float(profit_threshold)})


def playbook_columns(tier: np.ndarray, playbook: dict[str, PlaybookEntry]) -> pd.DataFrame:
    frame = pd.DataFrame({"risk_tier": tier})
    book = pd.DataFrame(
        [
            {"risk_tier": t, "action": e.action, "owner": e.owner, "sla_hours": e.sla_hours}
            for t, e in playbook.items()
        ]
    )
    return frame.merge(book, on="risk_tier", how="left")[["action", "owner", "sla_hours"]]
