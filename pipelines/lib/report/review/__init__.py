"""The quarterly model review: one self-contained HTML file (plots inline as PNG) from what the pipeline recorded.

It reads the warehouse (lifecycles, scores, marts, gate results), the MLflow experiment and registry, the newest
drift report and the decision log, and writes `$RADAR_HOME/reports/quarterly_review_<as_of>.html` atomically.
A section whose data does not exist yet says so; an unreadable warehouse or store is an error, never a blank
report. Only aggregate figures appear: no customer list, no names, no e-mails.

The flow is one way: `gather` (MLflow and DuckDB into frames and dataclasses) → `sections` (one function each:
figures, tables and facts, no HTML) → `templates/` (jinja2, autoescaped; all wording and number formats) →
`render.write` (atomic).
"""

from pipelines.lib.report.review.blocks import BACKTEST
from pipelines.lib.report.review.build import Review, build_review, log_to_mlflow
from pipelines.lib.report.review.gather import champion_probabilities, interventions_file
from pipelines.lib.report.review.sections.gates import gate_verdicts, gates_line

__all__ = [
    "BACKTEST",
    "Review",
    "build_review",
    "champion_probabilities",
    "gate_verdicts",
    "gates_line",
    "interventions_file",
    "log_to_mlflow",
]
