"""accounts.parent_id: a parent that is not in the delivery, the account itself, or a cycle is one clear line in
the quarantine; the account stays (the gate does not count it), and a delivery without the column is unchanged."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.quality.quality import table_quality

HEADER = "customer_id,created_at,parent_id\n"


def _load(folder: Path, text: str) -> tuple[list[str], duckdb.DuckDBPyConnection]:
    (folder / "accounts.csv").write_text(text)
    con = duckdb.connect()
    return load_table(con, "accounts", folder).problem_lines(), con


def test_a_parent_missing_from_the_delivery_is_one_line_naming_it(tmp_path: Path) -> None:
    lines, con = _load(tmp_path, HEADER + "P1,2024-01-01,\nC1,2024-02-01,P1\nC2,2024-02-01,P9\n")
    assert lines == [
        "accounts.parent_id: unknown_parent in 1 of 3 rows (the parent_id names no account in this delivery); "
        "e.g. 'P9'"
    ]
    assert con.execute("select row_number, reason from ops.quarantine").fetchall() == [
        (3, "the parent_id names no account in this delivery")
    ]
    # A wrong link costs the account its parent, not its row: the gate counts nothing.
    assert table_quality(con, "accounts")["invalid"] == 0


def test_a_self_reference_and_a_cycle_are_named_as_such(tmp_path: Path) -> None:
    rows = "A,2024-01-01,B\nB,2024-01-01,C\nC,2024-01-01,A\nS,2024-01-01,S\nD,2024-01-01,A\n"
    lines, _ = _load(tmp_path, HEADER + rows)
    assert lines == [
        "accounts.parent_id: parent_cycle in 3 of 5 rows (following parent_id leads back to the account "
        "(a cycle)); e.g. 'B', 'C', 'A'",
        "accounts.parent_id: self_parent in 1 of 5 rows (the parent_id is the account itself); e.g. 'S'",
    ]


def test_a_delivery_without_parent_id_loads_as_before(tmp_path: Path) -> None:
    lines, con = _load(tmp_path, "customer_id,created_at\n1,2024-01-01\n2,2024-01-01\n")
    assert lines == []
    assert con.execute("select count(*), count(parent_id) from raw.accounts").fetchone() == (2, 0)


def test_a_raw_zone_from_before_parent_id_gains_the_column(tmp_path: Path) -> None:
    con = duckdb.connect()
    (tmp_path / "accounts.csv").write_text("customer_id,created_at\n1,2024-01-01\n")
    load_table(con, "accounts", tmp_path)
    con.execute("alter table raw.accounts drop column parent_id")
    (tmp_path / "accounts.csv").write_text(HEADER + "1,2024-01-01,\n2,2024-01-01,1\n")
    assert load_table(con, "accounts", tmp_path).problem_lines() == []
    assert con.execute(
        "select parent_id from raw.accounts where customer_id = '2' and not _retired"
    ).fetchall() == [("1",)]
