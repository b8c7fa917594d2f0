"""The dbt code digest decides when the incremental snapshot models are rebuilt from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.transform.increments import built_with_other_code, dbt_code_digest


def _project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    for part in ("models", "macros"):
        shutil.copytree(DBT_PROJECT_DIR / part, copy / part)
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", copy / "dbt_project.yml")
    return copy


def test_the_digest_changes_with_a_macro_and_not_with_dbt_s_own_output(tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    digest = dbt_code_digest(project)
    # the same code: the checkout's target/ and logs/ do not count
    assert digest == dbt_code_digest(DBT_PROJECT_DIR)
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("a run")
    assert dbt_code_digest(project) == digest
    windows = project / "macros" / "windows.sql"
    windows.write_text(windows.read_text() + "\n")
    assert dbt_code_digest(project) != digest


def test_only_tables_built_by_other_code_ask_for_a_full_refresh(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    assert not built_with_other_code(warehouse, "abc")  # no warehouse yet: a first run
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate")
    assert not built_with_other_code(warehouse, "abc")  # no snapshot model built yet
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table intermediate.snapshot_builds (model_name varchar, code_digest varchar)")
        con.execute("insert into intermediate.snapshot_builds values ('customer_features', 'abc')")
    assert not built_with_other_code(warehouse, "abc")
    assert built_with_other_code(warehouse, "def")
    with duckdb.connect(str(warehouse)) as con:
        # a model built by dbt run by hand, without the digest
        con.execute("insert into intermediate.snapshot_builds values ('int_usage_windowed', null)")
    assert built_with_other_code(warehouse, "abc")
