"""The dbt project object, alone in its module so that manifest preparation can import it without assets."""

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.lib.core.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any dbt source file.

    Dagster needs the manifest to build the asset graph; ``dbt parse`` does not open the warehouse, so this is
    safe while another process writes it.
    """
    manifest = dbt_project.manifest_path
    sources = [
        p
        for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml", ".yaml"} and "target" not in p.parts
    ]
    if manifest.exists() and manifest.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return manifest
