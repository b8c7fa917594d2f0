"""The quarterly review of the shared end-to-end run: every section, plots embedded, logged to MLflow, no
customer named; and `radar report` builds the same file from the data home without Dagster."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from pipelines.cli import main
from pipelines.lib.report.review import BACKTEST
from tests.conftest import END, PipelineRun

pytestmark = pytest.mark.slow

SECTIONS = (
    "Executive summary",
    "KPIs over time",
    "Champion vs challengers across quarters",
    "Calibration and lift of the champion",
    "Drift summary",
    "Tier distributions",
    "Revenue at risk",
    "Promotion decisions and their reasons",
    "Data gates",
)
IMAGE = re.compile(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"')


def _materialization(run: PipelineRun):
    [event] = [
        e
        for e in run.result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "quarterly_review"
    ]
    return event.materialization


def test_the_review_has_every_section_with_embedded_plots_and_names_no_customer(
    full_run: PipelineRun,
) -> None:
    path = full_run.paths.reports / f"quarterly_review_{END.isoformat()}.html"
    assert _materialization(full_run).metadata["report"].value == str(path)
    doc = path.read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f">{title}</h2>" in doc, title
    assert len(IMAGE.findall(doc)) >= 8
    assert BACKTEST in doc, "on a single scoring date the KPIs over time come from the champion's holdout"
    assert "<script" not in doc and "http" not in IMAGE.sub("", doc), "the file must open offline"
    text = IMAGE.sub("", doc)
    scored = pd.read_csv(full_run.paths.scores_csv, dtype={"customer_id": str})["customer_id"]
    assert not [c for c in scored if c in text]
    assert "@" not in text


def test_the_headline_kpis_are_numeric_metadata_and_the_file_is_on_the_champions_run(
    full_run: PipelineRun,
) -> None:
    metadata = _materialization(full_run).metadata
    for key in (
        "churn_rate_pct",
        "retention_rate_pct",
        "false_positive_rate",
        "warning_recall",
        "revenue_at_risk",
        "quarters_reviewed",
    ):
        assert isinstance(metadata[key].value, float), key
    # Precision is left out when no warning was issued (it is undefined then, never 0); these always exist.
    assert 0 <= metadata["false_positive_rate"].value <= 1 and 0 <= metadata["warning_recall"].value <= 1
    assert metadata["quarters_reviewed"].value >= 1
    client = MlflowClient(tracking_uri=full_run.paths.tracking_uri)
    artifacts = [a.path for a in client.list_artifacts(metadata["logged_to_mlflow_run"].value, "review")]
    assert artifacts == [f"review/quarterly_review_{END.isoformat()}.html"]


def test_radar_report_rebuilds_the_review_from_the_data_home(full_run: PipelineRun) -> None:
    result = CliRunner().invoke(main, ["report"], env={"RADAR_HOME": str(full_run.paths.home)})
    assert result.exit_code == 0, result.output
    path = full_run.paths.reports / f"quarterly_review_{END.isoformat()}.html"
    assert result.stdout.strip() == str(path)
    assert len(IMAGE.findall(path.read_text(encoding="utf-8"))) >= 8
