"""Load-time contract validation: which delivered rows cannot be used, and why, as SQL over the staged delivery.

The raw zone keeps every row as delivered; this module lists the rows that break a rule in ``ops.quarantine``
(one row per record, rule and column) and sums them up as one-line problems. The first six rules are exactly the
rules the quality gate counts on the newest load (``pipelines/lib/quality/quality.py``), with the same SQL semantics, so
that the quarantine and the gate agree record for record; ``wrong_type`` and ``out_of_range`` are findings on
optional columns that staging turns into nulls or keeps, and that the gate does not (yet) count.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.lib.ingest.contract import CONTRACT, TableContract

GATE_RULES = ("missing_required", "bad_date", "future_date", "negative_amount", "orphan", "duplicate")
RULES = {
    "missing_required": "a key or required field is empty",
    "bad_date": "a required date is missing or does not parse",
    "future_date": "a date lies after today",
    "negative_amount": "an amount is negative",
    "orphan": "the customer_id is not in accounts",
    "duplicate": "the key repeats an earlier record",
    "wrong_type": "a filled value does not parse as its type (number or date)",
    "out_of_range": "a number lies outside its allowed range",
}

QUARANTINE_DDL = """create table if not exists ops.quarantine (
    load_id integer, table_name varchar, source_file varchar, row_number bigint, rule varchar,
    column_name varchar, value varchar, reason varchar, quarantined_at timestamp)"""


@dataclass(frozen=True)
class Problem:
    table: str
    column: str
    rule: str
    rows: int
    examples: tuple[str | None, ...]

    def one_line(self, total: int) -> str:
        shown = ", ".join("(empty)" if v is None else repr(v) for v in self.examples)
        return (
            f"{self.table}.{self.column}: {self.rule} in {self.rows} of {total} rows ({RULES[self.rule]}); "
            f"e.g. {shown}"
        )


def as_date_sql(column: str) -> str:
    """Column ``column`` of alias ``r`` as a date, as dbt's `as_date` macro does: what does not parse is null.

    The quality gate uses this same expression, so quarantine and gate agree record for record."""
    return f'try_cast(try_cast(r."{column}" as timestamp) as date)'


def _filled(column: str) -> str:
    return f"nullif(trim(r.\"{column}\"), '') is not null"


def _checks(contract: TableContract, *, accounts_known: bool) -> list[tuple[str, str, str, str]]:
    """(rule, column label, SQL condition over alias r, SQL value) for every check of one table."""
    checks: list[tuple[str, str, str, str]] = []
    for c in contract.required:
        if c not in contract.dates:
            checks.append(("missing_required", c, f"not {_filled(c)}", f'r."{c}"'))
    for c in contract.dates:
        checks.append(("bad_date", c, f"{as_date_sql(c)} is null", f'r."{c}"'))
        checks.append(("future_date", c, f"coalesce({as_date_sql(c)} > current_date, false)", f'r."{c}"'))
    for c in contract.amounts:
        checks.append(("negative_amount", c, f'coalesce(try_cast(r."{c}" as double) < 0, false)', f'r."{c}"'))
    if contract.has_customer and contract.name != "accounts" and accounts_known:
        checks.append(
            (
                "orphan",
                "customer_id",
                "r.customer_id is not null and r.customer_id not in (select customer_id from _accounts)",
                "r.customer_id",
            )
        )
    for c in contract.optional_dates:
        checks.append(("wrong_type", c, f"{_filled(c)} and {as_date_sql(c)} is null", f'r."{c}"'))
    for c, low, high in contract.numbers:
        number = f'try_cast(r."{c}" as double)'
        checks.append(("wrong_type", c, f"{_filled(c)} and {number} is null", f'r."{c}"'))
        bounds = []
        if low is not None:
            bounds.append(f"{number} < {low}")
        if high is not None:
            bounds.append(f"{number} > {high}")
        if bounds:
            checks.append(("out_of_range", c, f"coalesce({' or '.join(bounds)}, false)", f'r."{c}"'))
    return checks


def _duplicate_sql(contract: TableContract) -> str | None:
    if not contract.key:
        return None
    keys = ", ".join(f'r."{k}"' for k in contract.key)
    first = as_date_sql(contract.event_date) if contract.event_date else f'r."{contract.key[0]}"'
    label = "+".join(contract.key)
    value = f"concat_ws('|', {keys})" if len(contract.key) > 1 else keys
    return f"""select _row, 'duplicate' as rule, '{label}' as column_name, {value} as value
        from (select r.*, row_number() over (partition by {keys} order by {first} nulls last) as _n
              from _incoming as r) as r
        where _n > 1"""


def _latest_accounts(con: duckdb.DuckDBPyConnection) -> bool:
    """Stage the customer ids of the newest accounts load as ``_accounts``; False when none was loaded yet."""
    known = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'accounts'"
    ).fetchone()[0]
    if not known or con.execute("select count(*) from raw.accounts").fetchone()[0] == 0:
        return False
    con.execute(
        """create or replace temp table _accounts as select distinct customer_id from raw.accounts
           where _load_id = (select max(_load_id) from raw.accounts) and customer_id is not null"""
    )
    return True


def quarantine(
    con: duckdb.DuckDBPyConnection, table: str, *, load_id: int, source_file: str
) -> tuple[list[Problem], int]:
    """Record the unusable rows of the staged delivery ``_incoming`` in ops.quarantine; return the problems
    (one per rule and column, most frequent first) and the number of distinct rows quarantined."""
    contract = CONTRACT[table]
    con.execute(QUARANTINE_DDL)
    checks = _checks(contract, accounts_known=_latest_accounts(con))
    parts = [
        f"select _row, '{rule}' as rule, '{column}' as column_name, {value} as value from _incoming as r "
        f"where {condition}"
        for rule, column, condition, value in checks
    ]
    duplicate = _duplicate_sql(contract)
    if duplicate:
        parts.append(duplicate)
    reasons = " ".join(f"when '{rule}' then '{text}'" for rule, text in RULES.items())
    con.execute(
        f"""create or replace temp table _findings as
            select f._row, f.rule, f.column_name, cast(f.value as varchar) as value
            from ({" union all ".join(parts)}) as f"""
    )
    con.execute(
        f"""insert into ops.quarantine
            select ?, ?, ?, _row, rule, column_name, value, case rule {reasons} end, now()
            from _findings order by _row, rule, column_name""",
        [load_id, table, source_file],
    )
    summary = con.execute(
        """select rule, column_name, count(*) as n, list(value order by _row)[1:50] as examples
           from _findings group by rule, column_name order by n desc, rule, column_name"""
    ).fetchall()
    rows = con.execute("select count(distinct _row) from _findings").fetchone()[0]
    problems = [
        Problem(table, column, rule, int(n), tuple(dict.fromkeys(examples))[:3])
        for rule, column, n, examples in summary
    ]
    return problems, int(rows)
