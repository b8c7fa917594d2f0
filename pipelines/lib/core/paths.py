"""Where Retention Radar keeps things: one data home for everything it writes, one repo root for what it ships.

Every path the pipeline writes derives from ``RADAR_HOME`` so that a whole installation can be moved, backed up or
deleted as one folder, and so that tests can point the entire pipeline at a temporary directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
MODELS_REGISTRY_DIR = REPO_ROOT / "models_registry"
# Third-party CSS/JS that the GE Data Docs pages load, so they open offline (see data_docs.py)
DATA_DOCS_ASSETS_DIR = REPO_ROOT / "vendor" / "data_docs"
DEFAULT_CONFIG_FILE = REPO_ROOT / "radar.yaml"
DEFAULT_HOME = Path(".radar")


@dataclass(frozen=True)
class RadarPaths:
    """The layout of a data home. Nothing is created here; writers create what they write."""

    home: Path

    @classmethod
    def from_env(cls) -> RadarPaths:
        from pipelines.lib.core import environment

        return cls(environment.home() or DEFAULT_HOME.expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def mlflow_db(self) -> Path:
        return self.home / "mlflow" / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.home / "mlflow" / "artifacts"

    @property
    def tracking_uri(self) -> str:
        # Four slashes: sqlite needs an absolute path after the scheme's own two.
        return f"sqlite:///{self.mlflow_db}"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def scores_csv(self) -> Path:
        return self.exports / "customer_scores.csv"

    @property
    def scores_parquet(self) -> Path:
        return self.exports / "customer_scores.parquet"

    @property
    def risers_csv(self) -> Path:
        """The customers whose churn probability rose most since their previous score (beside the export)."""
        return self.exports / "largest_risers.csv"

    @property
    def parent_scores_csv(self) -> Path:
        """The children's scores rolled up to their parent account (pipelines/lib/score/hierarchy.py)."""
        return self.exports / "parent_scores.csv"

    @property
    def parent_scores_parquet(self) -> Path:
        return self.exports / "parent_scores.parquet"

    @property
    def gx_root(self) -> Path:
        """Great Expectations' project root: validation results and Data Docs (`gx/uncommitted/data_docs/`)."""
        return self.home

    @property
    def data_docs(self) -> Path:
        return self.home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def alerts_file(self) -> Path:
        return self.exports / "alerts.jsonl"

    @property
    def run_log(self) -> Path:
        """What the last `radar run`/`radar demo` printed (dbt, Dagster, MLflow), kept out of the terminal."""
        return self.home / "logs" / "last_run.log"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def demo_sources(self) -> Path:
        return self.home / "demo_sources"

    @property
    def decision_log(self) -> Path:
        return self.home / "registry" / "decisions.jsonl"
