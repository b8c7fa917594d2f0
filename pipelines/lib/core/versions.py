"""Version stamps for a training run: which feature-mart definition and which code produced it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from pipelines.lib.core.paths import DBT_PROJECT_DIR, REPO_ROOT


def feature_mart_version(manifest: Path = DBT_PROJECT_DIR / "target" / "manifest.json") -> str:
    """Short hash of the mart models' dbt checksums and their upstream models: it changes exactly when the SQL
    that builds the features or labels changes."""
    if not manifest.exists():
        return "unknown"
    nodes = json.loads(manifest.read_text()).get("nodes", {})
    models = sorted(
        (uid, node.get("checksum", {}).get("checksum", ""))
        for uid, node in nodes.items()
        if node.get("resource_type") == "model"
    )
    return hashlib.sha256(json.dumps(models).encode()).hexdigest()[:12]


def code_version(repo: Path = REPO_ROOT) -> str:
    """The git commit of the code, with '-dirty' when there are uncommitted changes; in an image, which has no
    git, the commit it was built from (RADAR_CODE_VERSION, docker/Dockerfile); else 'unknown'."""
    from pipelines.lib.core import environment

    stamped = environment.code_version()
    if stamped is not None:
        return stamped
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def rows_digest(rows) -> hashlib._Hash:
    """A SHA-256 over a data frame's values, for fingerprints of what a model learns from. Floats are hashed as
    float32: DuckDB's parallel sums differ in the last bits from one rebuild of the marts to the next, which no
    model can tell apart but an exact hash would."""
    import numpy as np
    import pandas as pd

    floats = rows.select_dtypes("floating").columns
    rows = rows.astype({c: np.float32 for c in floats})
    return hashlib.sha256(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
