"""The review is rendered with autoescape: text that comes from data (a gate's name, a failing example, a
reviewer's reason for a promotion) reads as text and can never inject markup into the file people open."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.quality import gate_store
from pipelines.lib.quality.gates import GateResult
from pipelines.lib.report.review import build_review

MARKUP = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def test_values_with_html_characters_are_escaped_in_every_place_they_appear(tmp_path: Path) -> None:
    paths = RadarPaths(tmp_path / "home")
    paths.home.mkdir()
    with duckdb.connect(str(paths.warehouse)) as con:
        gate = GateResult(MARKUP, False, 0.5, 0.8, "share", failing=["<script>alert(1)</script>"])
        gate_store.record(con, [gate], run_id="r1")
    paths.decision_log.parent.mkdir(parents=True)
    decision = {
        "decided_at": "2026-11-01T10:00:00",
        "kind": "policy",
        "version": "7",
        "promoted": False,
        "alias": "challenger",
        "reasons": [MARKUP],
    }
    paths.decision_log.write_text(json.dumps(decision) + "\n")

    review = build_review(paths, RadarConfig.model_validate({}))

    doc = review.path.read_text(encoding="utf-8")
    assert MARKUP not in doc and "<script" not in doc
    assert f"data gate(s) FAILED: {ESCAPED}" in doc  # the executive summary's gate line
    assert f"<td>{ESCAPED}</td>" in doc  # the gate table and the decision table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert f"v7 not promoted — {ESCAPED}." in doc
    assert (
        "Promotion decisions and their reasons" not in review.missing and "Data gates" not in review.missing
    )
