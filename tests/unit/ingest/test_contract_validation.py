"""A battery of bad deliveries: unusable files fail in one line and leave raw untouched; bad rows are quarantined."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest.contract import missing_tables_message
from pipelines.lib.ingest.raw_zone import ContractError, load_table
from pipelines.lib.quality.quality import table_quality

ACCOUNTS = "customer_id,created_at\n1,2024-01-01\n2,2024-01-01\n"
GOOD_ORDERS = "order_id,customer_id,order_date,amount\no1,1,2024-01-05,10\n"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _raw_state(con: duckdb.DuckDBPyConnection) -> tuple:
    return (
        con.execute("select * from raw.orders order by all").fetchall(),
        con.execute("select load_id, table_name, status, rows from ops.loads order by load_id").fetchall(),
    )


UNUSABLE = {
    "a row with an extra field": (
        "orders.csv",
        "order_id,customer_id,order_date,amount\no2,1,2024-01-05,10\no3,1,2024-01-06,10,oops\n",
        "Line: 3",
    ),
    "an unterminated quote": (
        "orders.csv",
        'order_id,customer_id,order_date,amount\no2,1,"2024-01-05,10\n',
        "unterminated quote",
    ),
    "an empty file": ("orders.csv", "", "empty file"),
    "a repeated header column": (
        "orders.csv",
        "order_id,customer_id,order_date,amount,amount\no2,1,2024-01-05,10,11\n",
        "repeats column(s) amount",
    ),
    "a missing required column": (
        "orders.csv",
        "order_id,customer_id,amount\no2,1,10\n",
        "missing required column(s) order_date",
    ),
    "a file that is not Parquet": (
        "orders.parquet",
        b"PAR1 this is not parquet",
        "cannot be read as parquet",
    ),
}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_an_unusable_file_fails_in_one_line_and_leaves_the_raw_zone_untouched(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _write(first, "accounts.csv", ACCOUNTS)
    _write(first, "orders.csv", GOOD_ORDERS)
    load_table(con, "accounts", first)
    load_table(con, "orders", first)
    before = _raw_state(con)
    name, content, expected = UNUSABLE[case]
    _write(second, name, content)
    with pytest.raises(ContractError) as err:
        load_table(con, "orders", second)
    message = str(err.value)
    assert "\n" not in message and message.startswith(name), message
    assert expected in message, message
    assert _raw_state(con) == before
    assert con.execute("select count(*) from ops.quarantine where table_name = 'orders'").fetchone()[0] == 0


def test_a_mapping_to_a_column_the_file_lacks_is_an_error_not_a_silent_null(con, tmp_path: Path) -> None:
    _write(tmp_path, "orders.csv", GOOD_ORDERS)
    with pytest.raises(
        ContractError, match=r"orders.csv: sources.mapping names column\(s\) not in the table: "
    ):
        load_table(con, "orders", tmp_path, {"category": "Warengruppe"})


def test_an_empty_accounts_table_is_refused(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", "customer_id,created_at\n")
    with pytest.raises(ContractError, match="required table 'accounts' has no rows"):
        load_table(con, "accounts", tmp_path)
    assert con.execute("select count(*) from raw.accounts").fetchone()[0] == 0


BAD_ROWS = (
    "order_id,customer_id,order_date,amount,category\n"
    "o1,1,2024-01-05,10,parts\n"  # fine
    "o2,1,2024-02-05,-5,parts\n"  # negative amount
    "o3,9,2024-03-05,10,parts\n"  # orphan
    "o3,1,2024-03-06,10,parts\n"  # duplicate key
    "o5,1,31.01.2024,10,parts\n"  # unparseable date
    "o6,1,2999-01-01,10,parts\n"  # future date
    "o7,,2024-04-01,10,parts\n"  # missing customer
    "o8,2,2024-04-02,ten,parts\n"  # wrong type
    "o9,2,2024-04-03,10,service\n"  # fine
)


def test_bad_rows_are_kept_in_raw_and_quarantined_with_their_reason(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", ACCOUNTS)
    _write(tmp_path, "orders.csv", BAD_ROWS)
    load_table(con, "accounts", tmp_path)
    result = load_table(con, "orders", tmp_path)
    assert result.rows == 9
    assert con.execute("select count(*) from raw.orders").fetchone()[0] == 9
    assert result.quarantined == 7
    quarantined = con.execute(
        "select row_number, rule, column_name, value from ops.quarantine where table_name = 'orders' order by 1"
    ).fetchall()
    assert quarantined == [
        (2, "negative_amount", "amount", "-5"),
        (3, "orphan", "customer_id", "9"),
        (4, "duplicate", "order_id", "o3"),
        (5, "bad_date", "order_date", "31.01.2024"),
        (6, "future_date", "order_date", "2999-01-01"),
        (7, "missing_required", "customer_id", None),
        (8, "wrong_type", "amount", "ten"),
    ]
    lines = result.problem_lines()
    assert len(lines) == 7 and all("\n" not in line for line in lines)
    assert (
        "orders.order_date: bad_date in 1 of 9 rows (a required date is missing or does not parse); "
        "e.g. '31.01.2024'" in lines
    )


def test_the_quarantine_agrees_with_the_quality_gate_rule_by_rule(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", ACCOUNTS)
    _write(tmp_path, "orders.csv", BAD_ROWS)
    load_table(con, "accounts", tmp_path)
    load_table(con, "orders", tmp_path)
    gate = table_quality(con, "orders")
    quarantine = dict(
        con.execute(
            "select rule, count(distinct row_number) from ops.quarantine where table_name = 'orders' group by 1"
        ).fetchall()
    )
    for rule, count in gate.items():
        if rule.startswith("rule_"):
            assert quarantine.get(rule.removeprefix("rule_"), 0) == count, rule


def test_out_of_range_numbers_and_unparseable_optional_dates_are_found(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", ACCOUNTS)
    _write(
        tmp_path,
        "tickets.csv",
        "ticket_id,customer_id,opened_at,csat\nt1,1,2024-01-01,6\nt2,2,2024-01-01,4\n",
    )
    _write(
        tmp_path,
        "invoices.csv",
        "invoice_id,customer_id,issued_at,due_date,amount,paid_at\n"
        "i1,1,2024-01-01,2024-01-31,10,2024-02-03\ni2,1,2024-02-01,2024-02-29,10,soon\n",
    )
    load_table(con, "accounts", tmp_path)
    tickets = load_table(con, "tickets", tmp_path)
    invoices = load_table(con, "invoices", tmp_path)
    assert [(p.rule, p.column, p.rows) for p in tickets.problems] == [("out_of_range", "csat", 1)]
    assert [(p.rule, p.column, p.examples) for p in invoices.problems] == [
        ("wrong_type", "paid_at", ("soon",))
    ]


def test_reloading_an_unchanged_file_adds_no_quarantine_rows(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", ACCOUNTS)
    _write(tmp_path, "orders.csv", BAD_ROWS)
    load_table(con, "accounts", tmp_path)
    first = load_table(con, "orders", tmp_path)
    again = load_table(con, "orders", tmp_path)
    assert again.status == "unchanged"
    assert con.execute("select count(*) from ops.quarantine where table_name = 'orders'").fetchone()[0] == 7
    # ... and says again what the load it stands for quarantined, so every run's terminal shows it
    assert (again.problems, again.quarantined) == (first.problems, first.quarantined)


def test_a_semicolon_separated_export_is_read_as_it_is(con, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.csv", "customer_id;created_at\n007;2024-01-01\n")
    assert load_table(con, "accounts", tmp_path).rows == 1
    assert con.execute("select customer_id from raw.accounts").fetchone()[0] == "007"


def test_the_missing_tables_message_names_the_signals_that_are_lost() -> None:
    message = missing_tables_message(["usage", "tickets"])
    assert message.startswith("tables not delivered: usage (logins, active users and feature use); tickets")
