"""When the incremental snapshot models must be rebuilt from scratch: after a change of the dbt project's code.

The models keep older snapshot months between runs (dbt_project/macros/snapshot_increments.sql). Months built by
other SQL are not the months this SQL would build, and a model whose columns changed cannot take rows of the new
shape, so a run whose code differs from the code that built the tables passes ``--full-refresh``: that rebuilds
every model from scratch, as a first run does. Each model records the digest it was built with.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.core.warehouse import connect, table_exists

CODE_PARTS = ("models", "macros", "dbt_project.yml")


def dbt_code_digest(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A digest of every model, macro and the project file (names and contents), passed to dbt as the var
    ``dbt_code_digest``; dbt's Jinja can read a model's SQL but not a macro's."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in sorted(project_dir.rglob("*")):
        parts = path.relative_to(project_dir).parts
        if parts[0] in CODE_PARTS and path.suffix in {".sql", ".yml", ".yaml"} and path.is_file():
            digest.update("/".join(parts).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def built_with_other_code(warehouse: Path, digest: str) -> bool:
    """True when an incremental snapshot model in ``warehouse`` was last built by other dbt code than ``digest``
    (or by dbt run by hand, which passes no digest); False for a warehouse without them (a first run)."""
    if not warehouse.exists():
        return False
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "intermediate", "snapshot_builds"):
            return False
        digests = con.execute("select distinct code_digest from intermediate.snapshot_builds").fetchall()
    return any(found != digest for (found,) in digests)
