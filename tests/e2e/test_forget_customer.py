"""The right to erasure, on the real pipeline: `radar forget` leaves no trace of a customer anywhere in the data
home, a re-run with the same sources does not bring them back (and says so in one line), and what leaves the
warehouse for MLflow carries stable pseudonyms, never ids.

One data home with its own Dagster instance (as `radar run` keeps it), 300 customers × 24 months: run, forget
the customer the run ranked first (so their id is in the Dagster run history, the export and the alerts), grep
every file, run again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.pseudonym import key_for, pseudonym
from pipelines.lib.train.retrain import VALIDATION_SCORES_FILE

pytestmark = pytest.mark.slow

ABOVE_STAGING = ("intermediate", "marts", "scores")
# A person's or a company's name, an address, a phone number (model_name, table_name are no personal data).
PERSONAL_COLUMNS = re.compile(r"^((account|contact|customer|company|full|first|last)_)?name$|e_?mail|phone")
REAL_ID = re.compile(rb"(?<![A-Za-z0-9_])C\d{6}(?![A-Za-z0-9_])")


@dataclass
class Forgotten:
    home: Path
    customer: str
    tokens: list[str]  # id, pseudonym, e-mails, names: what must be gone
    before: dict[str, list[str]]  # token -> files that held it before the forget
    personal_columns: list[str]  # above staging, after the first run
    personal_values: list[str]
    first_run_validation: pd.DataFrame
    forget_out: str
    files_after_forget: dict[str, list[str]]
    warehouse_after_forget: list[str]
    free_blocks_after_forget: int
    rerun_code: int
    rerun_err: str
    second_run_validation: pd.DataFrame


def _radar(home: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"RADAR_HOME": str(home)})


def _validation_scores(home: Path) -> pd.DataFrame:
    """The newest run's logged validation scores (MLflow artifact)."""
    found = sorted(
        (home / "mlflow" / "artifacts").rglob(VALIDATION_SCORES_FILE), key=lambda p: p.stat().st_mtime
    )
    assert found, "no validation scores logged to MLflow"
    return pd.read_csv(found[-1])


def _files_holding(home: Path, tokens: list[str]) -> dict[str, list[str]]:
    patterns = {
        t: re.compile(rb"(?<![A-Za-z0-9_])" + re.escape(t.encode()) + rb"(?![A-Za-z0-9_])") for t in tokens
    }
    found: dict[str, list[str]] = {t: [] for t in tokens}
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for token, pattern in patterns.items():
                if pattern.search(data):
                    found[token].append(str(path.relative_to(home)))
    return found


def _warehouse_values_holding(warehouse: Path, tokens: list[str]) -> list[str]:
    """Table.column of every text value in the warehouse that holds a token (DuckDB compresses strings, so a
    byte search of the file alone could miss them)."""
    hits = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            for token in tokens:
                n = con.execute(
                    f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [token]
                ).fetchone()[0]
                if n:
                    hits.append(f"{schema}.{table}.{column} ({token})")
    return hits


def _unique_names(sources: Path) -> dict[str, list[str]]:
    """Per customer whose account name is theirs alone, the account and contact names and e-mails that no
    other customer shares (a contact's name another customer's contact also has must stay)."""
    accounts = pd.read_parquet(sources / "accounts.parquet")
    contacts = pd.read_parquet(sources / "contacts.parquet")
    names = pd.concat(
        [
            accounts[["customer_id", "name"]].rename(columns={"name": "value"}),
            contacts[["customer_id", "name"]].rename(columns={"name": "value"}),
            contacts[["customer_id", "email"]].rename(columns={"email": "value"}),
        ]
    ).dropna()
    owners = names.groupby("value")["customer_id"].nunique()
    unique = names[names["value"].map(owners) == 1]
    companies = set(accounts["name"].dropna())
    return {
        c: sorted(values)
        for c, values in unique.groupby("customer_id")["value"]
        if companies & set(values) and len(values) >= 3
    }


@pytest.fixture(scope="module")
def forgotten(tmp_path_factory: pytest.TempPathFactory, demo_sources: Path) -> Forgotten:
    home = tmp_path_factory.mktemp("forget") / "home"
    first = _radar(home, "run", "--sources", str(demo_sources))
    assert first.exit_code == 0, first.output
    paths = RadarPaths(home)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        personal_columns = [
            f"{s}.{t}.{c}"
            for s, t, c in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns"
                " where table_schema in ('intermediate', 'marts', 'scores')"
            ).fetchall()
            if PERSONAL_COLUMNS.search(c.lower())
        ]
    unique = _unique_names(demo_sources)
    # One of the ten the run lists first (its Dagster metadata names them) whose names no one else shares.
    scores = pd.read_csv(paths.scores_csv).sort_values("priority").head(10)
    customer = next(c for c in scores["customer_id"] if c in unique)
    everyone = [v for values in unique.values() for v in values]
    personal_values = _warehouse_values_holding(paths.warehouse, everyone[:40])
    personal_values = [h for h in personal_values if h.split(".")[0] in ABOVE_STAGING]
    key = key_for(home)
    tokens = [customer, pseudonym(customer, key=key), *unique[customer]]
    before = _files_holding(home, tokens)
    validation = _validation_scores(home)
    forget = _radar(home, "forget", customer, "--reason", "erasure request #1")
    assert forget.exit_code == 0, forget.output
    files_after = {t: f for t, f in _files_holding(home, tokens).items() if f}
    warehouse_after = _warehouse_values_holding(paths.warehouse, tokens)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        free_blocks = int(con.execute("pragma database_size").fetchone()[5])
    rerun = _radar(home, "run", "--sources", str(demo_sources))
    return Forgotten(
        home=home,
        customer=customer,
        tokens=tokens,
        before=before,
        personal_columns=personal_columns,
        personal_values=personal_values,
        first_run_validation=validation,
        forget_out=forget.output,
        files_after_forget=files_after,
        warehouse_after_forget=warehouse_after,
        free_blocks_after_forget=free_blocks,
        rerun_code=rerun.exit_code,
        rerun_err=rerun.stderr if rerun.stderr_bytes is not None else rerun.output,
        second_run_validation=_validation_scores(home),
    )


def test_no_model_above_staging_has_a_name_or_e_mail_column_or_value(forgotten: Forgotten) -> None:
    assert forgotten.personal_columns == []
    assert forgotten.personal_values == []


def test_the_forgotten_customer_was_in_the_run_history_the_export_and_mlflow_before(forgotten: Forgotten) -> None:
    held = forgotten.before[forgotten.customer]
    assert any(p.startswith("dagster/") for p in held), held
    assert "exports/customer_scores.csv" in held
    assert any(p.startswith("mlflow/") for p in forgotten.before[forgotten.tokens[1]])


def test_after_forget_no_file_of_the_data_home_holds_the_id_pseudonym_e_mail_or_name(forgotten: Forgotten) -> None:
    assert forgotten.files_after_forget == {}
    # Nor after the re-run with the same sources (the tombstone kept them out of every layer again).
    assert {t: f for t, f in _files_holding(forgotten.home, forgotten.tokens).items() if f} == {}


def test_after_forget_no_warehouse_value_holds_them_and_no_free_block_is_left(forgotten: Forgotten) -> None:
    assert forgotten.warehouse_after_forget == []
    # Rewritten into a fresh file: no free block that could still hold the deleted rows' bytes.
    assert forgotten.free_blocks_after_forget == 0
    with duckdb.connect(str(forgotten.home / "warehouse.duckdb"), read_only=True) as con:
        erased = con.execute("select count(*) from ops.tombstones").fetchone()[0]
    assert erased == 1


def test_the_erasure_log_names_the_customer_hashed_with_counts_per_layer(forgotten: Forgotten) -> None:
    import json

    lines = (forgotten.home / "privacy" / "erasures.jsonl").read_text().splitlines()
    entry = json.loads(lines[0])
    assert entry["action"] == "forget" and entry["reason"] == "erasure request #1"
    assert entry["found"] == 1 and len(entry["customers"][0]) == 64
    assert entry["removed"]["warehouse"]["rows raw.accounts"] == 1
    assert entry["counts"]["warehouse"] > 0 and entry["counts"]["exports"] >= 1
    assert entry["counts"]["dagster"] >= 1
    assert "forgot 1 customer(s) (1 held in the data home)" in forgotten.forget_out


def test_a_rerun_with_the_same_sources_keeps_the_customer_out_and_says_so_once(forgotten: Forgotten) -> None:
    assert forgotten.rerun_code == 0, forgotten.rerun_err
    lines = [line for line in forgotten.rerun_err.splitlines() if "forgotten customers kept out" in line]
    assert len(lines) == 1 and "accounts 1" in lines[0], forgotten.rerun_err
    scores = pd.read_csv(forgotten.home / "exports" / "customer_scores.csv")
    assert forgotten.customer not in set(scores["customer_id"])
    assert _warehouse_values_holding(forgotten.home / "warehouse.duckdb", forgotten.tokens[:1]) == []


def test_mlflow_and_evidently_and_the_review_carry_pseudonyms_not_ids(forgotten: Forgotten) -> None:
    home = forgotten.home
    for folder in (home / "mlflow", home / "reports"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert not REAL_ID.search(path.read_bytes()), path
    first = forgotten.first_run_validation
    assert first["customer_id"].str.fullmatch(r"c_[0-9a-f]{16}").all()
    assert pseudonym(forgotten.customer, key=key_for(home)) in set(first["customer_id"])


def test_pseudonyms_are_stable_across_runs_with_the_same_key(forgotten: Forgotten) -> None:
    first, second = forgotten.first_run_validation, forgotten.second_run_validation
    gone = pseudonym(forgotten.customer, key=key_for(forgotten.home))
    assert gone not in set(second["customer_id"])
    # The same customers (less the forgotten one) under the same pseudonyms, with the same labels.
    assert set(second["customer_id"]) == set(first["customer_id"]) - {gone}
    both = first.merge(second, on=["customer_id", "snapshot_date"], suffixes=("_1", "_2"))
    assert len(both) == len(second) and (both["label_1"] == both["label_2"]).all()
