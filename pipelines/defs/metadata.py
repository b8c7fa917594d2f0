"""Metadata as a person reads it in the Dagster UI: figures rounded to what they can tell, tables without "nan".

Every asset and check in ``pipelines/defs`` passes its metadata through :func:`shown` before returning it, so a
ROC-AUC reads 0.8446, not 0.8445545232376859, in every place the UI shows it (the asset page, the check page,
the plots over runs). The unrounded figures stay where they are reproducible from: MLflow and the warehouse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

SIGNIFICANT = 4
MISSING = "–"


def rounded(value: float, significant: int = SIGNIFICANT) -> float:
    """``value`` to ``significant`` significant digits; from 10**significant up, to a whole number (a count or
    an amount of money keeps all of its integer digits). NaN and infinities are returned as they are."""
    value = float(value)
    if not math.isfinite(value) or value == 0:
        return value
    if abs(value) >= 10**significant:
        return float(round(value))
    return float(f"{value:.{significant}g}")


def _shown_value(value: Any) -> Any:
    if isinstance(value, dg.FloatMetadataValue):
        return dg.MetadataValue.float(rounded(value.value)) if value.value is not None else value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, Real):
        return dg.MetadataValue.float(rounded(float(value)))
    return value


def shown(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata with every float (plain, numpy or ``MetadataValue.float``) rounded by :func:`rounded`;
    other values (text, markdown, paths, URLs, ints, bools) pass unchanged."""
    return {key: _shown_value(value) for key, value in metadata.items()}


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        number = rounded(float(value))
        return f"{number:,.0f}" if number.is_integer() else f"{number:g}"
    return value


def markdown_table(frame: pd.DataFrame, *, empty: str = "(none)") -> dg.MetadataValue:
    """A frame as a markdown table for the UI: missing cells as "–" (a rule that does not apply to a table is not
    "nan"), floats rounded, booleans as yes / no."""
    if frame.empty:
        return dg.MetadataValue.md(empty)
    cells = frame.astype(object).map(_cell)
    return dg.MetadataValue.md(cells.to_markdown(index=False, disable_numparse=True))
