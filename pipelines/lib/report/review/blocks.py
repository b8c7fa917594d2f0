"""What a section hands to the template: a `Section` with its facts, figures as inline PNG and tables as
formatted cells. No HTML is written here; the template escapes every value it prints.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

WARN_TIERS = ("low", "medium", "high")  # every tier with a playbook action counts as a warning
TIER_COLOURS = {"none": "#c7ccd1", "low": "#f2c14e", "medium": "#f08a4b", "high": "#d1495b"}
BACKTEST = "backtest on holdout"
NA = "–"  # how a missing or undefined figure reads, in tables and text alike


@dataclass(frozen=True)
class Section:
    """One titled part of the review.

    ``block`` names the macro in ``templates/sections.html.j2`` that renders it; it is called with ``facts`` as
    keyword arguments. ``missing`` is set when the section has no data yet: the sentence shown instead.
    ``headline`` holds the figures it contributes to the executive summary and the asset's metadata.
    """

    title: str
    block: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    missing: str | None = None
    headline: Mapping[str, float] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.missing is None


@dataclass(frozen=True)
class Figure:
    """A plot, embedded as a PNG data URI so the file opens offline."""

    alt: str
    src: str

    @classmethod
    def of(cls, fig: MplFigure, alt: str) -> Figure:
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return cls(alt, "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))


@dataclass(frozen=True)
class Table:
    """A frame as header and cell strings: counts with thousands separators, floats by ``floats``, gaps as –."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, frame: pd.DataFrame, *, floats: str = "{:.3f}") -> Table:
        return cls(
            tuple(str(c) for c in frame.columns),
            tuple(tuple(_cell(v, floats) for v in row) for row in frame.itertuples(index=False, name=None)),
        )


def _cell(value: Any, floats: str) -> str:
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return NA
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return floats.format(float(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def canvas(width: float = 10, height: float = 3.6, ncols: int = 1) -> tuple[MplFigure, Any]:
    """A matplotlib figure and its axes, from the object API: no pyplot state, no display backend needed."""
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.subplots(1, ncols)


def ratio(numerator: float, denominator: float) -> float:
    """numerator ÷ denominator, NaN (undefined, never 0) without a denominator."""
    return float(numerator / denominator) if denominator else float("nan")
