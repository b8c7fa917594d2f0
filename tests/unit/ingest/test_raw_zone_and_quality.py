"""Extracting into the raw zone, and the quality figures the gate judges, on hand-made files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.quality.quality import table_quality


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_ids_keep_their_leading_zeros_and_reloading_the_same_file_is_a_no_op(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", "customer_id,created_at\n007,2024-01-01\n008,2024-02-01\n")
    first = load_table(con, "accounts", tmp_path)
    again = load_table(con, "accounts", tmp_path)
    assert (first.status, first.rows) == ("loaded", 2)
    assert again.status == "unchanged" and again.load_id == first.load_id
    assert con.execute("select list(customer_id order by 1) from raw.accounts").fetchone()[0] == [
        "007",
        "008",
    ]


def test_a_changed_file_is_a_new_load_of_its_new_rows_and_the_old_load_is_kept(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", "customer_id,created_at\n1,2024-01-01\n")
    load_table(con, "accounts", tmp_path)
    _write(tmp_path, "accounts.csv", "customer_id,created_at\n1,2024-01-01\n2,2024-03-01\n")
    second = load_table(con, "accounts", tmp_path)
    assert second.status == "loaded"
    assert con.execute("select count(*), count(distinct _load_id) from raw.accounts").fetchone() == (2, 2)


def test_a_missing_required_column_is_one_line_naming_file_and_column(con, tmp_path: Path) -> None:
    _write(tmp_path, "orders.csv", "order_id,customer_id,amount\n1,1,10\n")
    with pytest.raises(ContractError) as err:
        load_table(con, "orders", tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("orders.csv: missing required column(s) order_date")


def test_a_column_mapping_reads_exports_as_they_are(con, tmp_path: Path) -> None:
    _write(tmp_path, "orders.csv", "OrderNo,Kunde,Datum,Netto\nA1,1,2024-01-05,99.5\n")
    mapping = {"order_id": "OrderNo", "customer_id": "Kunde", "order_date": "Datum", "amount": "Netto"}
    load_table(con, "orders", tmp_path, mapping)
    assert con.execute("select order_id, order_date, amount from raw.orders").fetchone() == (
        "A1",
        "2024-01-05",
        "99.5",
    )


def test_an_absent_optional_table_is_recorded_as_missing(con, tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    result = load_table(con, "tickets", tmp_path)
    assert result.status == "missing" and not result.present
    assert con.execute("select count(*) from raw.tickets").fetchone()[0] == 0


def test_quality_counts_each_faulty_record_once_per_rule_and_once_overall(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", "customer_id,created_at\n1,2024-01-01\n2,2024-01-01\n")
    _write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,amount\n"
        "o1,1,2024-01-05,10\n"  # fine
        "o2,1,2024-02-05,-5\n"  # negative amount
        "o3,9,2024-03-05,10\n"  # orphan
        "o3,1,2024-03-06,10\n"  # duplicate key
        "o5,1,not-a-date,10\n"  # bad date
        "o6,1,2999-01-01,10\n"  # future date
        "o7,,2024-04-01,-1\n"  # missing customer and negative: one faulty record
        "o8,2,2025-06-30,10\n",  # fine
    )
    load_table(con, "accounts", tmp_path)
    load_table(con, "orders", tmp_path)
    q = table_quality(con, "orders")
    assert q["records"] == 8
    assert q["invalid"] == 6
    assert q["valid_share"] == pytest.approx(2 / 8)
    assert (q["rule_negative_amount"], q["rule_orphan"], q["rule_duplicate"]) == (2, 1, 1)
    assert (q["rule_bad_date"], q["rule_future_date"], q["rule_missing_required"]) == (1, 1, 1)
    assert q["first_date"] == "2024-01-05" and q["last_date"] == "2025-06-30"
    assert q["months_of_history"] == 18
