"""Drift-gated promotion on real runs: the same company, first clean, then with drift injected into its latest
months. The drifted delivery's candidate must not be auto-promoted; the clean champion stays, and the decision log
says why, with the drift figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models_registry.registry import CHALLENGER, CHAMPION, current_alias_version
from pipelines.lib.core.config import load_config
from pipelines.lib.core.tracking import configure_mlflow
from pipelines.lib.simulate import generate_sources
from tests.conftest import END, PipelineRun, run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_then_drifted(
    tmp_path_factory: pytest.TempPathFactory, demo_sources: Path
) -> tuple[PipelineRun, PipelineRun]:
    home = tmp_path_factory.mktemp("drift_home")
    drifted = tmp_path_factory.mktemp("drifted") / "sources"
    # The same company as demo_sources (same seed and size), with its latest 3 months drifted hard.
    generate_sources(drifted, customers=300, months=24, seed=7, end=END, drift_months=3, drift_strength=1.0)
    first = run_pipeline(home, demo_sources)
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
    configure_mlflow(second.paths, load_config().training.experiment)
    name = load_config().training.model_name
    assert current_alias_version(name, CHAMPION) == "1"
    assert current_alias_version(name, CHALLENGER) == "2"
    decisions = [json.loads(line) for line in second.paths.decision_log.read_text().splitlines()]
    assert [d["promoted"] for d in decisions] == [True, False]
    assert any("did not when the champion was chosen" in r for r in decisions[1]["reasons"]), decisions[1][
        "reasons"
    ]
    assert {"logins_30d", "revenue_90d"} & set(decisions[1]["figures"]["new_drift"])
