"""The executive summary: the headline tiles and five lines, from what the sections found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.lib.report.review.blocks import BACKTEST
from pipelines.lib.report.review.gather import Gathered
from pipelines.lib.report.review.sections.gates import gates_line
from pipelines.lib.score.tiers import cutoffs_line


def summary(g: Gathered, headline: Mapping[str, float]) -> dict[str, Any]:
    """The facts of the summary block; ``headline`` is every section's contribution, merged."""
    return {
        "champion": g.champion,
        "decision": g.decisions[-1] if g.decisions else None,
        "gates": gates_line(g.warehouse.gates),
        "source": "live warnings" if headline.get("warnings_followed_up_live") else BACKTEST,
        "cutoffs": cutoffs_line(g.cutoffs, g.config.tiers),
        "h": headline,
    }
