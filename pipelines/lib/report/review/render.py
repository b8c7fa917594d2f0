"""Render the sections into one HTML file with jinja2 (autoescape on: every value printed is escaped) and write it
atomically. The wording lives in ``templates/``; the filters here are the only number formats the review uses."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.report.review.blocks import NA, Section

TEMPLATES = Path(__file__).parent / "templates"


def _finite(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal, `12.3 %`."""
    return f"{100 * x:.1f} %" if _finite(x) else NA


def money(x: float | None) -> str:
    """An amount without decimals, thousands separated."""
    return f"{x:,.0f}" if _finite(x) else NA


def count(x: float | None) -> str:
    """A count, thousands separated: 1,401."""
    return f"{x:,.0f}" if _finite(x) else NA


def num(x: float | None, spec: str = "{:.3f}") -> str:
    """Any other figure, by a `str.format` spec."""
    return spec.format(x) if _finite(x) else NA


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a fact a block names but a section did not give is an error, not blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(pct=pct, money=money, count=count, num=num)
    return env


def render(
    *,
    as_of: str,
    generated_at: dt.datetime,
    home: Path,
    summary: Mapping[str, Any],
    sections: Sequence[Section],
) -> str:
    return (
        environment()
        .get_template("review.html.j2")
        .render(
            as_of=as_of,
            generated=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            home=str(home),
            summary=summary,
            sections=sections,
        )
    )


def write(target: Path, doc: str) -> Path:
    """Replace ``target`` in one step: a reader sees the previous review or this one, never half of it."""
    return write_atomic(target, lambda p: p.write_text(doc, encoding="utf-8"))
