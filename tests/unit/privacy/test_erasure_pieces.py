"""The pieces of `radar forget` on hand-made data: tombstones at load, the warehouse sweep, and the files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.core.pseudonym import key_id, tombstone
from pipelines.lib.ingest import tombstones
from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.privacy import files, warehouse

KEY = b"test-key"
ACCOUNTS = "customer_id,created_at,name\nC1,2024-01-01,Alpha GmbH\nC12,2024-02-01,Beta AG\nC2,2024-03-01,Gamma\n"


def _tombstone(con: duckdb.DuckDBPyConnection, customer: str) -> None:
    tombstones.ensure_tables(con)
    con.execute("insert into ops.tombstones values (?, ?, now())", [tombstone(customer, key=KEY), key_id(KEY)])


def test_a_tombstoned_customer_is_dropped_at_load_counted_and_counted_again_when_unchanged(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    con = duckdb.connect()
    _tombstone(con, "C1")
    first = load_table(con, "accounts", tmp_path, forget_key=KEY)
    assert (first.rows, first.forgotten) == (2, 1)
    assert con.execute("select list(customer_id order by 1) from raw.accounts").fetchone()[0] == ["C12", "C2"]
    again = load_table(con, "accounts", tmp_path, forget_key=KEY)
    assert (again.status, again.forgotten) == ("unchanged", 1)
    assert tombstones.kept_out_line({"accounts": 1, "orders": 0}).startswith(
        "1 row(s) of forgotten customers kept out of the raw zone (radar forget tombstones: accounts 1)"
    )


def test_tombstones_written_with_another_key_stop_the_load_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    con = duckdb.connect()
    _tombstone(con, "C1")
    with pytest.raises(ContractError, match="another pseudonym key"):
        load_table(con, "accounts", tmp_path, forget_key=b"another-key")


def test_the_warehouse_sweep_deletes_by_id_and_redacts_whole_words_only() -> None:
    con = duckdb.connect()
    con.execute("create schema ops")
    con.execute("create table scores (customer_id varchar, p double)")
    con.execute("insert into scores values ('C1', 0.1), ('C12', 0.2)")
    con.execute("create table ops.notes (note varchar)")
    con.execute("insert into ops.notes values ('see C1 and C12'), ('mail a@b.example'), ('nothing')")
    deleted, redacted, _ = warehouse.erase_rows(con, ["C1"], ["C1", "a@b.example"])
    assert deleted == {"main.scores": 1} and redacted == {"ops.notes": 2}
    assert con.execute("select list(customer_id) from scores").fetchone()[0] == ["C12"]
    assert con.execute("select list(note order by note) from ops.notes").fetchone()[0] == [
        "mail [erased]",
        "nothing",
        "see [erased] and C12",
    ]


def test_the_warehouse_is_rewritten_into_a_file_without_free_blocks(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range::varchar as customer_id from range(200000)")
        con.execute("create view v as select * from t")
        con.execute("checkpoint")
        con.execute("delete from t where customer_id <> '1'")
        con.execute("checkpoint")
        assert con.execute("pragma database_size").fetchone()[5] > 0
    warehouse.rewrite(path)
    with duckdb.connect(str(path)) as con:
        assert con.execute("pragma database_size").fetchone()[5] == 0
        assert con.execute("select count(*) from v").fetchone()[0] == 1


def test_files_lose_their_rows_values_or_themselves_by_kind(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    # Compressed pages: the id does not show in the file's bytes.
    pd.DataFrame({"customer_id": ["C1"] * 50 + ["C12"], "p": 0.1}).to_parquet(
        tmp_path / "exports" / "s.parquet", compression="gzip", write_statistics=False
    )
    assert not files.token_pattern(["C1"]).search((tmp_path / "exports" / "s.parquet").read_bytes())
    (tmp_path / "exports" / "s.csv").write_text("customer_id,p\nC1,0.1\nC12,0.2\n")
    (tmp_path / "report.html").write_text("<td>C1</td><td>C12</td><td>M\\u00fcller</td>")
    (tmp_path / "step.pickle").write_bytes(b"\x80\x04C1\x00")
    db = tmp_path / "runs.db"
    with sqlite3.connect(db) as lite:
        lite.execute("create table events (body text)")
        lite.execute("""insert into events values ('{"top": "C1"}'), ('{"top": "C12"}')""")
    done = files.erase_files(tmp_path, ["C1", "Müller"], skip=[])
    assert pd.read_parquet(tmp_path / "exports" / "s.parquet")["customer_id"].tolist() == ["C12"]
    assert (tmp_path / "exports" / "s.csv").read_text() == "customer_id,p\nC12,0.2\n"
    assert (tmp_path / "report.html").read_text() == "<td>[erased]</td><td>C12</td><td>[erased]</td>"
    assert not (tmp_path / "step.pickle").exists()
    with sqlite3.connect(db) as lite:
        assert [r[0] for r in lite.execute("select body from events")] == ['{"top": "[erased]"}', '{"top": "C12"}']
    assert b"C1\"" not in db.read_bytes()
    assert done["exports"] == {"rows removed": 51}
    assert done["runs.db"] == {"values redacted": 1} and done["step.pickle"] == {"files deleted": 1}


def test_forget_then_undo_lets_the_customer_back_with_the_next_load(tmp_path: Path) -> None:
    import json

    from pipelines.lib.core.paths import RadarPaths
    from pipelines.lib.privacy.forget import ErasureError, forget, log_path, undo

    sources, paths = tmp_path / "sources", RadarPaths(tmp_path / "home")
    sources.mkdir()
    (sources / "accounts.csv").write_text(ACCOUNTS)
    paths.home.mkdir()
    with duckdb.connect(str(paths.warehouse)) as con:
        load_table(con, "accounts", sources, forget_key=KEY)
    erasure = forget(paths, [" C1 "], reason="request 7", key=KEY)
    assert erasure.found == 1 and erasure.removed["warehouse"]["rows raw.accounts"] == 1
    assert b"Alpha GmbH" not in paths.warehouse.read_bytes()
    with duckdb.connect(str(paths.warehouse)) as con:
        kept_out = load_table(con, "accounts", sources, forget_key=KEY)
        assert (kept_out.status, kept_out.forgotten) == ("unchanged", 1)
        assert con.execute("select count(*) from raw.accounts where customer_id = 'C1'").fetchone()[0] == 0
    undone = undo(paths, ["C1"], reason="request withdrawn", key=KEY)
    assert undone.found == 1
    with duckdb.connect(str(paths.warehouse)) as con:
        back = load_table(con, "accounts", sources, forget_key=KEY)
        assert (back.status, back.forgotten) == ("loaded", 0)
        assert con.execute("select count(*) from raw.accounts where customer_id = 'C1'").fetchone()[0] == 1
    log = [json.loads(line) for line in log_path(paths).read_text().splitlines()]
    assert [e["action"] for e in log] == ["forget", "undo"]
    assert "C1" not in log_path(paths).read_text()
    with pytest.raises(ErasureError, match="nothing to undo"):
        undo(paths, ["C1"], reason="again", key=KEY)
