"""Gather, build the sections, render and write the review; and attach it to the champion's MLflow run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.report.review import render
from pipelines.lib.report.review.gather import gather
from pipelines.lib.report.review.sections import SECTIONS
from pipelines.lib.report.review.sections.summary import summary


@dataclass
class Review:
    path: Path
    as_of: str
    headline: dict[str, float]
    champion_run_id: str | None
    sections: list[str]
    missing: list[str] = field(default_factory=list)


def build_review(
    paths: RadarPaths, config: RadarConfig, *, generated_at: dt.datetime | None = None
) -> Review:
    """Gather, plot and write the review; returns where it is and its headline figures."""
    g = gather(paths, config)
    sections = [make(g) for make in SECTIONS]
    headline: dict[str, float] = {}
    for s in sections:
        headline.update(s.headline)
    doc = render.render(
        as_of=g.as_of,
        generated_at=generated_at or dt.datetime.now(dt.UTC),
        home=paths.home,
        summary=summary(g, headline),
        sections=sections,
    )
    target = render.write(paths.reports / f"quarterly_review_{g.as_of}.html", doc)
    return Review(
        path=target,
        as_of=g.as_of,
        headline={k: v for k, v in headline.items() if np.isfinite(v)},
        champion_run_id=g.champion.run_id if g.champion else None,
        sections=["Executive summary", *(s.title for s in sections)],
        missing=[s.title for s in sections if not s.has_data],
    )


def log_to_mlflow(review: Review, paths: RadarPaths, config: RadarConfig) -> bool:
    """Attach the review to the champion's run (artifact folder `review/`); False when there is no champion."""
    if review.champion_run_id is None:
        return False
    from pipelines.lib.core.tracking import Tracking

    client = Tracking.for_home(paths, config.training.experiment).client()
    client.log_artifact(review.champion_run_id, str(review.path), artifact_path="review")
    return True
