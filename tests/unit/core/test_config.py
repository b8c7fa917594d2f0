from __future__ import annotations

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
        "inactivity_days": 180,
        "grace_days": 30,
        "horizon_days": 90,
        "contract_term_months": 12,
    }
