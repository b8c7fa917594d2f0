"""The record-validity rules that catch what a cast would let through: each case is a delivery with one defect,
quarantined under its rule, counted by the quality gate, and (for the committed dbt macro) the same in dbt."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest import dbt_contract
from pipelines.lib.ingest.quarantine import GATE_RULES, RULES
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.quality.quality import table_quality

ACCOUNTS = "customer_id,created_at\n1,2024-01-01\n2,2024-01-01\n"

# rule -> (table, header, good row, bad row, the column and value the quarantine must name)
CASES = {
    "unknown_category (channel)": (
        "interactions",
        "interaction_id,customer_id,occurred_at,channel",
        "i1,1,2024-03-01,Email",
        "i2,1,2024-03-02,fax",
        ("unknown_category", "channel", "fax"),
    ),
    "unknown_category (contract status)": (
        "contracts",
        "contract_id,customer_id,start_date,status",
        "c1,1,2024-01-01,active",
        "c2,2,2024-01-01,paused",
        ("unknown_category", "status", "paused"),
    ),
    "end_before_start": (
        "contracts",
        "contract_id,customer_id,start_date,end_date",
        "c1,1,2024-01-01,2024-12-31",
        "c2,2,2024-06-01,2024-05-31",
        ("end_before_start", "end_date", "2024-05-31"),
    ),
    "implausible_date (0001-01-01)": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,0001-01-01,10",
        ("implausible_date", "order_date", "0001-01-01"),
    ),
    "implausible_date (1753-01-01)": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,1753-01-01,10",
        ("implausible_date", "order_date", "1753-01-01"),
    ),
    "implausible_date (1899-12-30, optional date)": (
        "tickets",
        "ticket_id,customer_id,opened_at,closed_at",
        "t1,1,2024-01-05,2024-01-06",
        "t2,1,1899-12-30,",
        ("implausible_date", "opened_at", "1899-12-30"),
    ),
    "bad_score (fraction)": (
        "surveys",
        "customer_id,answered_at,nps",
        "1,2024-01-05,9",
        "2,2024-01-05,7.5",
        ("bad_score", "nps", "7.5"),
    ),
    "bad_score (above 10)": (
        "surveys",
        "customer_id,answered_at,nps",
        "1,2024-01-05,9",
        "2,2024-01-05,11",
        ("bad_score", "nps", "11"),
    ),
    "non_iso_date": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,2024/01/06,10",
        ("non_iso_date", "order_date", "2024/01/06"),
    ),
    "non_finite (nan)": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,2024-01-06,nan",
        ("non_finite", "amount", "nan"),
    ),
    "non_finite (inf)": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,2024-01-06,inf",
        ("non_finite", "amount", "inf"),
    ),
    "non_finite (1e308)": (
        "orders",
        "order_id,customer_id,order_date,amount",
        "o1,1,2024-01-05,10",
        "o2,1,2024-01-06,1e308",
        ("non_finite", "amount", "1e308"),
    ),
    "non_finite (309 digits)": (
        "usage",
        "customer_id,date,logins",
        "1,2024-01-05,3",
        "1,2024-01-06," + "9" * 309,
        ("non_finite", "logins", "9" * 309),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_defect_a_cast_lets_through_is_quarantined_and_counted_by_the_gate(
    tmp_path: Path, case: str
) -> None:
    table, header, good, bad, (rule, column, value) = CASES[case]
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / f"{table}.csv").write_text(f"{header}\n{good}\n{bad}\n")
    con = duckdb.connect()
    load_table(con, "accounts", tmp_path)
    result = load_table(con, table, tmp_path)
    assert [(p.rule, p.column, p.examples) for p in result.problems] == [(rule, column, (value,))]
    line = result.problem_lines()[0]
    assert (
        line.startswith(f"{table}.{column}: {rule} in 1 of 2 rows ({RULES[rule]}); e.g. ") and len(line) < 200
    )
    gate = table_quality(con, table)
    assert gate[f"rule_{rule}"] == 1 and gate["invalid"] == 1
    # The quarantine and the gate agree rule by rule (the same conditions, see quarantine.checks).
    quarantined = dict(
        con.execute(
            "select rule, count(distinct row_number) from ops.quarantine where table_name = ? group by 1",
            [table],
        ).fetchall()
    )
    assert {r: quarantined.get(r, 0) for r in GATE_RULES} == {r: gate.get(f"rule_{r}", 0) for r in GATE_RULES}


def test_a_zone_offset_dates_the_record_on_its_utc_day(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "interactions.csv").write_text(
        "interaction_id,customer_id,occurred_at,channel\n"
        "i1,1,2024-03-31T23:30:00-02:00,email\n"  # 2024-04-01 01:30 UTC
        "i2,1,2024-04-01T00:30:00+02:00,email\n"  # 2024-03-31 22:30 UTC
        "i3,1,2024-04-01T00:30:00Z,email\n"
        "i4,1,2024-04-01 00:30:00,email\n"  # no zone: UTC
    )
    con = duckdb.connect()
    load_table(con, "accounts", tmp_path)
    assert load_table(con, "interactions", tmp_path).problems == ()
    gate = table_quality(con, "interactions")
    assert (gate["first_date"], gate["last_date"]) == ("2024-03-31", "2024-04-01")
    from pipelines.lib.ingest.quarantine import date_of

    days = con.execute(
        f"select list({date_of('occurred_at')}::varchar order by interaction_id) from raw.interactions r"
    )
    assert days.fetchone()[0] == ["2024-04-01", "2024-03-31", "2024-04-01", "2024-04-01"]


def test_a_placeholder_date_does_not_lengthen_the_history(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\no1,1,2024-01-05,10\no2,1,1753-01-01,10\no3,1,2024-03-01,10\n"
    )
    con = duckdb.connect()
    load_table(con, "accounts", tmp_path)
    load_table(con, "orders", tmp_path)
    assert table_quality(con, "orders")["months_of_history"] == 3


def test_the_dbt_macro_holds_the_rules_of_the_contract() -> None:
    """dbt reads the rules from a generated macro; regenerate it with `python -m pipelines.lib.ingest.dbt_contract`."""
    assert dbt_contract.MACRO_FILE.read_text() == dbt_contract.render()
    rules = dbt_contract.contract_rules()["tables"]
    assert rules["contracts"]["categories"]["contract_status"] == ["active", "cancelled", "expired"]
    assert rules["usage"]["required_dates"] == ["activity_date"] and rules["usage"]["keys"] == [
        "customer_id",
        "activity_date",
    ]


def test_each_source_suite_lists_the_rules_its_gate_counts() -> None:
    from pipelines.lib.ingest.contract import CONTRACT
    from pipelines.lib.quality.gates import load_suite_definition
    from pipelines.lib.quality.quality import table_rules

    for table, contract in CONTRACT.items():
        assert load_suite_definition(f"sources/{table}")["meta"]["rules"] == table_rules(contract), table


def test_the_source_contract_doc_lists_every_rule() -> None:
    from pipelines.lib.core.paths import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "source-contract.md").read_text()
    assert [rule for rule in RULES if f"| `{rule}` |" not in doc] == []
