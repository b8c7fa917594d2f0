"""Shared fixtures: small generated source folders and real, in-process pipeline runs in throwaway data homes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from pipelines.lib.paths import RadarPaths

END = dt.date(2026, 10, 31)


def pytest_configure(config: pytest.Config) -> None:
    """The asset graph is built from dbt's manifest; it must be current before test modules import the
    definitions, which happens at collection, so this runs before collection (a fresh clone has no manifest)."""
    from pipelines.defs.transform.project import ensure_manifest

    ensure_manifest()


@dataclass
class PipelineRun:
    paths: RadarPaths
    sources: Path
    result: dg.ExecuteInProcessResult

    def checks(self) -> dict[str, bool]:
        return {e.check_name: e.passed for e in self.result.get_asset_check_evaluations()}


def generate(folder: Path, *, customers: int, months: int, seed: int = 7) -> Path:
    from pipelines.lib.simulate import generate_sources

    generate_sources(folder, customers=customers, months=months, seed=seed, end=END)
    return folder


def run_pipeline(home: Path, sources: Path, config: Path | None = None) -> PipelineRun:
    """Materialise the whole graph in-process, as `radar run` does, against a fresh data home."""
    from pipelines.definitions import defs

    with pytest.MonkeyPatch.context() as mp:
        # dbt's profile reads RADAR_HOME; the dbt asset sets it, and this restores it afterwards.
        mp.setenv("RADAR_HOME", str(home))
        radar = {"home": str(home), "sources_dir": str(sources)}
        if config is not None:
            radar["config_file"] = str(config)
        from pipelines.defs.train.partitions import latest_quarter

        result = defs.resolve_job_def("retention_radar").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            partition_key=latest_quarter(),
            run_config={"resources": {"radar": {"config": radar}}},
            raise_on_error=False,
        )
    return PipelineRun(paths=RadarPaths(home), sources=sources, result=result)


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("sources") / "demo", customers=300, months=24)


@pytest.fixture(scope="session")
def full_run(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> Iterator[PipelineRun]:
    yield run_pipeline(tmp_path_factory.mktemp("home"), demo_sources)
