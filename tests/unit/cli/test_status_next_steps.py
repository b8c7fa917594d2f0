"""`radar status` says where the quarterly review is and what to run next, in text and in JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main


@pytest.fixture
def scored_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data home as a run leaves it: the loads, one scoring date, a review (no model registry yet)."""
    home = tmp_path / "home"
    (home / "reports").mkdir(parents=True)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("create schema ops; create schema scores")
        con.execute(
            "create table ops.loads as select 1 as load_id, 'accounts' as table_name, 'loaded' as status, "
            "2000 as rows, '/data/demo' as source_dir"
        )
        con.execute(
            """create table scores.customer_scores as
               select i as customer_id, date '2026-10-31' as as_of, null::varchar as model_version,
                      'health_score_fallback' as score_source,
                      case when i % 10 = 0 then 'high' else 'none' end as risk_tier
               from range(50) t(i)"""
        )
    review = home / "reports" / "quarterly_review_2026-10-31.html"
    review.write_text("<html></html>")
    monkeypatch.setenv("RADAR_HOME", str(home))
    return review


def test_status_json_gives_the_quarterly_review_and_the_next_commands(scored_home: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert state["quarterly_review"] == str(scored_home)
    commands = [c["command"] for c in state["next_commands"]]
    assert commands[:3] == ["radar report", "radar backfill --quarters 4", "radar ui"]
    assert all(c["what"] for c in state["next_commands"])
    assert state["scoring"]["tiers"]["high"] == 5 and state["scoring"]["warned"] == 5
    assert state["scoring"]["as_of"] == dt.date(2026, 10, 31).isoformat()


def test_status_text_ends_with_the_review_and_what_to_run_next(scored_home: Path) -> None:
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"quarterly review: {scored_home}" in lines
    after = lines[lines.index("Next:") + 1 :]
    assert [line.split()[1] for line in after[:3]] == ["report", "backfill", "ui"]
    assert all("#" in line for line in after)
