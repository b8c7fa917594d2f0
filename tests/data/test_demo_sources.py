"""The demo folder is generated once per setting and simulator version, and again when either changes."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.defs.ingest.assets import ensure_demo_sources
from pipelines.defs.resources import RadarResource
from pipelines.lib.core.config import DemoSettings
from pipelines.lib.simulate import SIMULATOR_VERSION


def test_demo_sources_are_reused_for_the_same_simulator_and_written_again_for_an_older_one(
    tmp_path: Path,
) -> None:
    radar = RadarResource(home=str(tmp_path))
    settings = DemoSettings(customers=50, months=6)
    ensure_demo_sources(radar, settings)
    folder = radar.paths.demo_sources
    marker = json.loads((folder / "_generated.json").read_text())
    assert marker["simulator_version"] == SIMULATOR_VERSION
    written = (folder / "accounts.parquet").stat().st_mtime_ns

    ensure_demo_sources(radar, settings)
    assert (
        folder / "accounts.parquet"
    ).stat().st_mtime_ns == written  # same settings, same simulator: reused

    (folder / "_generated.json").write_text(json.dumps(marker | {"simulator_version": SIMULATOR_VERSION - 1}))
    (folder / "accounts.parquet").unlink()
    ensure_demo_sources(radar, settings)
    assert (folder / "accounts.parquet").exists()  # an older simulator's folder is written again
    assert json.loads((folder / "_generated.json").read_text())["simulator_version"] == SIMULATOR_VERSION
