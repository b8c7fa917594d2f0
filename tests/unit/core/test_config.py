from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.lib.core.config import ConfigError, RadarConfig, load_config


def test_the_shipped_radar_yaml_spells_out_exactly_the_defaults() -> None:
    assert load_config() == RadarConfig()


def test_an_unknown_key_is_an_error_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "radar.yaml"
    bad.write_text("churn:\n  horizon_dayz: 60\n")
    with pytest.raises(ConfigError, match=r"churn\.horizon_dayz"):
        load_config(bad)


def test_a_folder_source_needs_a_path(tmp_path: Path) -> None:
    bad = tmp_path / "radar.yaml"
    bad.write_text("sources:\n  kind: folder\n")
    with pytest.raises(ConfigError, match=r"sources\.path is not set"):
        load_config(bad)


def test_dbt_receives_the_churn_rules_as_vars() -> None:
    assert RadarConfig().dbt_vars() == {
        "churn_definition": "contractual",
        "active_window_days": 365,
        "as_of_date": None,
        "grace_days": 30,
        "horizon_days": 90,
        "contract_term_months": 12,
    }


def test_the_command_lines_sources_folder_satisfies_a_folder_source_without_a_path(tmp_path: Path) -> None:
    config = tmp_path / "radar.yaml"
    config.write_text("sources:\n  kind: folder\n  mapping: {orders: {amount: Netto}}\n")
    loaded = load_config(config, sources=tmp_path)
    assert loaded.sources.kind == "folder" and loaded.sources.path == tmp_path
    assert loaded.sources.mapping == {"orders": {"amount": "Netto"}}


def test_as_of_and_sources_reach_the_pipeline_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "radar.yaml"
    config.write_text("churn: {definition: inactivity}\n")
    monkeypatch.setenv("RADAR_SOURCES", str(tmp_path))
    monkeypatch.setenv("RADAR_AS_OF", "2026-06-30")
    loaded = load_config(config)
    assert loaded.scoring.as_of == dt.date(2026, 6, 30)
    assert loaded.sources.path == tmp_path.resolve()
    assert loaded.dbt_vars()["as_of_date"] == "2026-06-30"


def test_the_earlier_name_of_the_active_window_is_still_read(tmp_path: Path) -> None:
    config = tmp_path / "radar.yaml"
    config.write_text("churn: {definition: inactivity, inactivity_days: 120}\n")
    assert load_config(config).churn.active_window_days == 120
