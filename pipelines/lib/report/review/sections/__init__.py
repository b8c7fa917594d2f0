"""The review's sections in the order they appear. Each is one function from what was gathered to a `Section`
(figures, tables and facts, no HTML) and one macro of the same name as its ``block`` in
``templates/sections.html.j2``."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.lib.report.review.blocks import Section
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.report.review.sections import (
    calibration,
    customers,
    decisions,
    drift,
    gates,
    kpis,
    quarters,
    retention,
    revenue,
    tiers,
)

SECTIONS: tuple[Callable[[Gathered], Section], ...] = (
    kpis.section,
    quarters.section,
    calibration.section,
    customers.by_segment,
    customers.survival,
    drift.section,
    tiers.section,
    customers.risers,
    revenue.section,
    retention.section,
    decisions.section,
    gates.section,
)
