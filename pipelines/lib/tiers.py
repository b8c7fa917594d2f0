"""Risk tiers and the playbook: from a probability to who does what, by when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.lib.config import PlaybookEntry, TierSettings

TIER_ORDER = ("none", "low", "medium", "high")


def risk_tier(p: np.ndarray | pd.Series, tiers: TierSettings) -> np.ndarray:
    """none below `low`, low in [low, medium), medium in [medium, high), high from `high` up."""
    p = np.asarray(p, dtype=float)
    idx = np.searchsorted([tiers.low, tiers.medium, tiers.high], p, side="right")
    return np.asarray(TIER_ORDER, dtype=object)[idx]


def playbook_columns(tier: np.ndarray, playbook: dict[str, PlaybookEntry]) -> pd.DataFrame:
    frame = pd.DataFrame({"risk_tier": tier})
    book = pd.DataFrame(
        [
            {"risk_tier": t, "action": e.action, "owner": e.owner, "sla_hours": e.sla_hours}
            for t, e in playbook.items()
        ]
    )
    return frame.merge(book, on="risk_tier", how="left")[["action", "owner", "sla_hours"]]
