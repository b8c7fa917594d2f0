"""Drift-gated promotion on real runs: a company's clean delivery one quarter, then the next quarter's delivery with
drift injected into its latest months. The drifted quarter's candidate must not be auto-promoted; the clean champion
stays, and the decision log says why, with the drift figure.

The drifted delivery is a quarter later, so that it brings newly matured labels: a delivery that changed only months
whose labels are still open trains the same model, which the retrain reuses instead of registering a copy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from models_registry.registry import CHALLENGER, CHAMPION, current_alias_version
from pipelines.lib.core.config import load_config
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.simulate import generate_sources
from tests.conftest import END, PipelineRun, run_pipeline

pytestmark = pytest.mark.slow
QUARTER_EARLIER = dt.date(2026, 7, 31)


@pytest.fixture(scope="module")
def clean_then_drifted(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRun, PipelineRun]:
    home = tmp_path_factory.mktemp("drift_home")
    clean = tmp_path_factory.mktemp("clean") / "sources"
    drifted = tmp_path_factory.mktemp("drifted") / "sources"
    # 300 customers from the same start: 30 clean months up to a quarter before END (enough history for a first
    # champion), then 33 months up to END with the latest 3 drifted hard.
    generate_sources(clean, customers=300, months=30, seed=7, end=QUARTER_EARLIER)
    generate_sources(drifted, customers=300, months=33, seed=7, end=END, drift_months=3, drift_strength=1.0)
    first = run_pipeline(home, clean)
    second = run_pipeline(home, drifted)
    return first, second


def test_the_drift_report_shows_the_injected_drift(
    clean_then_drifted: tuple[PipelineRun, PipelineRun],
) -> None:
    first, second = clean_then_drifted
    clean_share = first.result.output_for_node("feature_drift")["drift_share"]
    drifted = second.result.output_for_node("feature_drift")
    truth = json.loads((second.sources / "_truth" / "drift.json").read_text())
    assert drifted["drift_share"] > clean_share
    # The simulator drifted order amounts, logins and reply times: the features built on them must be flagged.
    assert set(truth["columns"]) == {"orders", "usage", "interactions"}
    flagged = set(drifted["drifted_columns"]) - set(
        first.result.output_for_node("feature_drift")["drifted_columns"]
    )
    assert any(f.startswith(("revenue", "logins", "login_", "response_hours")) for f in flagged), flagged
    assert Path(drifted["html_path"]).exists() and Path(drifted["json_path"]).exists()


def test_a_challenger_trained_into_drift_is_not_promoted_and_the_log_says_why(
    clean_then_drifted: tuple[PipelineRun, PipelineRun],
) -> None:
    first, second = clean_then_drifted
    assert first.result.success and second.result.success
    client = Tracking.for_home(second.paths).client()
    name = load_config().training.model_name
    assert current_alias_version(name, CHAMPION, client=client) == "1"
    assert current_alias_version(name, CHALLENGER, client=client) == "2"
    decisions = [json.loads(line) for line in second.paths.decision_log.read_text().splitlines()]
    assert [d["promoted"] for d in decisions] == [True, False]
    assert any("did not when the champion was chosen" in r for r in decisions[1]["reasons"]), decisions[1][
        "reasons"
    ]
    assert {"logins_30d", "revenue_90d"} & set(decisions[1]["figures"]["new_drift"])
