"""The rule-based health score: the baseline every model must beat, and the fallback when there is too little
churn history to learn from.

It encodes the domain guide's signals directly. One weak signal means little; signals that coincide add up:
orders down 20 % is weak, payments a week late is medium, asking about data export or compatibility with another
system is strong. The points give a ranking (for AUC against the model) and a traffic light for people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

WEAK, MEDIUM, STRONG = 1, 2, 3


@dataclass(frozen=True)
class Signal:
    feature: str
    points: int
    description: str

    def fires(self, values: pd.Series) -> np.ndarray:
        v = values.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(_RULES[self.feature](v), nan=0).astype(bool)


# feature -> vectorised condition; missing data never fires a signal
_RULES = {
    "revenue_trend": lambda v: v <= 0.8,
    "days_since_last_order": lambda v: v >= 120,
    "payment_delay_vs_norm": lambda v: v >= 5,
    "interactions_yoy_ratio": lambda v: v <= 0.6,
    "tickets_90d": lambda v: v >= 3,
    "tickets_competitor_180d": lambda v: v >= 1,
    "login_trend": lambda v: v <= 0.6,
    "days_since_last_activity": lambda v: v >= 14,
    "nps_latest": lambda v: v < 7,
    "new_contacts_180d": lambda v: v >= 1,
}

SIGNALS: tuple[Signal, ...] = (
    Signal("revenue_trend", WEAK, "revenue down 20% or more on the 3 months before"),
    Signal("days_since_last_order", WEAK, "no order for 120 days or more"),
    Signal("payment_delay_vs_norm", MEDIUM, "payments 5 or more days later than the customer's norm"),
    Signal("interactions_yoy_ratio", MEDIUM, "40% or more fewer e-mails, calls and meetings than a year ago"),
    Signal("tickets_90d", WEAK, "3 or more support tickets in 3 months"),
    Signal("tickets_competitor_180d", STRONG, "tickets about data export or compatibility"),
    Signal("login_trend", MEDIUM, "logins 40% or more below the 3 months before"),
    Signal("days_since_last_activity", WEAK, "no activity for 14 days or more"),
    Signal("nps_latest", MEDIUM, "last NPS answer below 7"),
    Signal("new_contacts_180d", WEAK, "a new contact person in the last 6 months"),
)

YELLOW_FROM, RED_FROM = 2, 5


def health_points(frame: pd.DataFrame) -> np.ndarray:
    """Risk points per customer; features the company does not deliver contribute nothing."""
    points = np.zeros(len(frame), dtype=int)
    for signal in SIGNALS:
        if signal.feature in frame:
            points += signal.points * signal.fires(frame[signal.feature])
    return points


def health_colour(points: np.ndarray) -> np.ndarray:
    return np.where(points >= RED_FROM, "red", np.where(points >= YELLOW_FROM, "yellow", "green"))


def fired_signals(frame: pd.DataFrame) -> list[str]:
    """The signals that fire for each customer, strongest first, as one '; '-joined sentence per row."""
    present = [s for s in sorted(SIGNALS, key=lambda s: -s.points) if s.feature in frame]
    fired = (
        np.column_stack([s.fires(frame[s.feature]) for s in present])
        if present
        else np.zeros((len(frame), 0), dtype=bool)
    )
    texts = np.array([s.description for s in present], dtype=object)
    return ["; ".join(texts[row]) or "no warning signal" for row in fired]
