"""What the API answers with (its OpenAPI schema at /docs is generated from these)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, Field


def reason_list(reasons: str | None) -> list[str]:
    """The stored '; '-joined reasons as a list (scoring joins them so the CSV export has one cell)."""
    return [r for r in (reasons or "").split("; ") if r]


def _clean(value: Any) -> Any:
    """NaN (DuckDB/pandas for "no value") as JSON null."""
    return None if isinstance(value, float) and math.isnan(value) else value


class StoredScore(BaseModel):
    customer_id: str
    as_of: dt.date
    score_source: str = Field(description="`model`, or `health_score_fallback` while there is no model")
    churn_probability: float | None = Field(description="calibrated; null for the health-score fallback")
    risk_tier: str
    reasons: list[str]
    health_colour: str | None = None
    value_tier: str | None = None
    service_level: str | None = None
    action: str | None = None
    owner: str | None = None
    sla_hours: int | None = None
    priority: int | None = None
    clv: float | None = None
    revenue_at_risk: float | None = None
    model_name: str | None = None
    model_version: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredScore:
        values = {k: _clean(row.get(k)) for k in cls.model_fields if k != "reasons"}
        return cls(**values, reasons=reason_list(row.get("reasons")))


class LiveScore(BaseModel):
    customer_id: str | None = Field(None, description="echoed from the posted row, when it had one")
    churn_probability: float
    risk_tier: str
    reasons: list[str]
    action: str | None = None
    owner: str | None = None
    sla_hours: int | None = None


class LiveScores(BaseModel):
    model_name: str
    model_version: str
    as_of: dt.date | None = Field(
        None, description="the feature row's snapshot date, when read from the warehouse"
    )
    scores: list[LiveScore]


class Health(BaseModel):
    status: str
    champion_version: str | None
    newest_as_of: dt.date | None
    note: str | None = None


class Problem(BaseModel):
    detail: str
