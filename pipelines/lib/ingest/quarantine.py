"""Load-time contract validation: which delivered rows cannot be used, and why, as SQL over the staged delivery.

``checks`` is the one definition of the record-validity rules: a list of (rule, column, SQL condition) over a
raw row. The quarantine evaluates it on a delivery and lists the rows that break a rule in ``ops.quarantine``
(one row per record, rule and column); the quality gate (``pipelines/lib/quality/quality.py``) evaluates the same
conditions of the ``GATE_RULES`` on the newest load, so quarantine and gate agree record for record. dbt's
``valid_rows`` macro drops what the gate counts, reading the same contract through the generated
``source_contract`` macro (``dbt_contract.py``). ``wrong_type`` and ``out_of_range`` are findings on optional
columns that staging turns into nulls or keeps, and that the gate does not count; so are the parent rules
(``unknown_parent``, ``self_parent``, ``parent_cycle``): the account stays, only its link to a parent is not used
(``marts.account_hierarchy`` keeps the valid links by the same three rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.lib.ingest.casts import MIN_DATE, as_date_sql, as_number_sql, finite_sql, lenient_date_sql
from pipelines.lib.ingest.contract import CONTRACT, TableContract
from pipelines.lib.ingest.raw_versions import current_rows_sql

RULES = {
    "missing_required": "a key or required field is empty",
    "bad_date": "a required date is missing or does not parse",
    "non_iso_date": "a required date is not written as ISO 8601, YYYY-MM-DD",
    "implausible_date": f"a date lies before {MIN_DATE}, a placeholder such as 0001-01-01",
    "future_date": "a date lies after today",
    "end_before_start": "an end date lies before its start date",
    "negative_amount": "an amount is negative",
    "non_finite": "a number is NaN, infinite or too large to add up",
    "unknown_category": "a value is not one of the column's allowed values",
    "bad_score": "a score is not a whole number within its scale",
    "orphan": "the customer_id is not in accounts",
    "unknown_parent": "the parent_id names no account in this delivery",
    "self_parent": "the parent_id is the account itself",
    "parent_cycle": "following parent_id leads back to the account (a cycle)",
    "duplicate": "the key repeats an earlier record",
    "wrong_type": "a filled value does not parse as its type (number or ISO date)",
    "out_of_range": "a number lies outside its allowed range",
}
# The rules a record must pass to be used: the quality gate counts them and dbt's valid_rows drops them.
FINDINGS = ("wrong_type", "out_of_range", "unknown_parent", "self_parent", "parent_cycle")
GATE_RULES = tuple(rule for rule in RULES if rule not in FINDINGS)

QUARANTINE_DDL = """create table if not exists ops.quarantine (
    load_id integer, table_name varchar, source_file varchar, row_number bigint, rule varchar,
    column_name varchar, value varchar, reason varchar, quarantined_at timestamp)"""


@dataclass(frozen=True)
class Check:
    """One rule on one column: ``condition`` is a SQL boolean over the raw row ``r`` (it may be a window
    expression), true when the record breaks the rule; ``value`` is the SQL of the value to show."""

    rule: str
    column: str
    condition: str
    value: str


@dataclass(frozen=True)
class Problem:
    table: str
    column: str
    rule: str
    rows: int
    examples: tuple[str | None, ...]

    def one_line(self, total: int) -> str:
        shown = ", ".join("(empty)" if v is None else _shorten(v) for v in self.examples)
        return (
            f"{self.table}.{self.column}: {self.rule} in {self.rows} of {total} rows ({RULES[self.rule]}); "
            f"e.g. {shown}"
        )


def _shorten(value: str, width: int = 40) -> str:
    """A value as the terminal shows it: quoted, and cut in the middle when long (a 309-digit number)."""
    if len(value) <= width:
        return repr(value)
    return repr(f"{value[: width // 2]}…{value[-8:]}") + f" ({len(value)} characters)"


def _col(column: str) -> str:
    return f'r."{column}"'


def date_of(column: str) -> str:
    """Raw column ``column`` of alias ``r`` as a date, as dbt's `as_date` macro reads it."""
    return as_date_sql(_col(column))


def _filled(column: str) -> str:
    return f"nullif(trim({_col(column)}), '') is not null"


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _date_checks(contract: TableContract) -> list[Check]:
    checks: list[Check] = []
    for c in contract.dates:
        strict, lenient = date_of(c), lenient_date_sql(_col(c))
        checks.append(Check("bad_date", c, f"{lenient} is null", _col(c)))
        checks.append(Check("non_iso_date", c, f"{lenient} is not null and {strict} is null", _col(c)))
        checks.append(Check("future_date", c, f"coalesce({strict} > current_date, false)", _col(c)))
    for c in contract.optional_dates:
        checks.append(Check("wrong_type", c, f"{_filled(c)} and {date_of(c)} is null", _col(c)))
    for c in (*contract.dates, *contract.optional_dates):
        checks.append(
            Check("implausible_date", c, f"coalesce({date_of(c)} < date '{MIN_DATE}', false)", _col(c))
        )
    for start, end in contract.ordered:
        checks.append(
            Check("end_before_start", end, f"coalesce({date_of(end)} < {date_of(start)}, false)", _col(end))
        )
    return checks


def _number_checks(contract: TableContract) -> list[Check]:
    checks: list[Check] = []
    for c in contract.amounts:
        checks.append(Check("negative_amount", c, f"coalesce({as_number_sql(_col(c))} < 0, false)", _col(c)))
    for c, low, high in contract.numbers:
        number = as_number_sql(_col(c))
        checks.append(Check("wrong_type", c, f"{_filled(c)} and {number} is null", _col(c)))
        checks.append(Check("non_finite", c, f"not coalesce({finite_sql(number)}, true)", _col(c)))
        bounds = ([f"{number} < {low}"] if low is not None else []) + (
            [f"{number} > {high}"] if high is not None else []
        )
        if bounds:
            checks.append(Check("out_of_range", c, f"coalesce({' or '.join(bounds)}, false)", _col(c)))
    for c, low, high in contract.scores:
        number = as_number_sql(_col(c))
        whole = f"{number} = floor({number}) and {number} between {low} and {high}"
        checks.append(Check("bad_score", c, f"{_filled(c)} and not coalesce({whole}, false)", _col(c)))
    return checks


def _parent_checks(contract: TableContract, delivery: str) -> list[Check]:
    """A filled parent column must name another record of ``delivery`` (the whole delivery, ``r``'s relation)
    whose own chain of parents does not lead back to it. The cycle walk is over (start, ancestor) pairs with
    ``union``, which ends on any graph because the pairs are finite; a record is on a cycle when it reaches
    itself."""
    if contract.parent is None:
        return []
    key, parent = contract.key[0], contract.parent
    child, mother = f"nullif(trim({key}), '')", f"nullif(trim({parent}), '')"
    links = f"select {child} as child, {mother} as parent from {delivery} where {mother} <> {child}"
    cycles = f"""(with recursive up(start, ancestor) as (
            select child, parent from ({links}) as l
            union
            select up.start, l.parent from up join ({links}) as l on l.child = up.ancestor
        ) select start from up where start = ancestor)"""
    filled, value = _filled(parent), _col(parent)
    mine = f"trim({value})"
    return [
        Check(
            "unknown_parent",
            parent,
            f"{filled} and {mine} not in (select {child} from {delivery} where {child} is not null)",
            value,
        ),
        Check("self_parent", parent, f"{filled} and {mine} = trim({_col(key)})", value),
        Check(
            "parent_cycle",
            parent,
            f"{filled} and {mine} <> trim({_col(key)}) and trim({_col(key)}) in {cycles}",
            value,
        ),
    ]


def checks(contract: TableContract, *, accounts: str | None, delivery: str = "_incoming") -> list[Check]:
    """Every rule of one table, over alias ``r``. ``accounts`` is a relation of the known customer ids (column
    ``customer_id``, no nulls), or None when no accounts were loaded yet (then nothing is an orphan);
    ``delivery`` is the relation ``r`` ranges over, which the parent rules look up parents in."""
    found: list[Check] = []
    for c in contract.required:
        if c not in contract.dates:
            found.append(Check("missing_required", c, f"not {_filled(c)}", _col(c)))
    found += _date_checks(contract)
    found += _number_checks(contract)
    for c, allowed in contract.categories:
        found.append(
            Check(
                "unknown_category",
                c,
                f"{_filled(c)} and lower(trim({_col(c)})) not in ({_sql_list(allowed)})",
                _col(c),
            )
        )
    if contract.has_customer and contract.name != "accounts" and accounts is not None:
        found.append(
            Check(
                "orphan",
                "customer_id",
                f"r.customer_id is not null and r.customer_id not in (select customer_id from {accounts})",
                "r.customer_id",
            )
        )
    found += _parent_checks(contract, delivery)
    if contract.key:
        keys = ", ".join(_col(k) for k in contract.key)
        # The earliest record of a key is the original, as in dbt's `valid_rows`; later ones are duplicates.
        first = date_of(contract.event_date) if contract.event_date else _col(contract.key[0])
        found.append(
            Check(
                "duplicate",
                "+".join(contract.key),
                f"row_number() over (partition by {keys} order by {first} nulls last) > 1",
                f"concat_ws('|', {keys})" if len(contract.key) > 1 else keys,
            )
        )
    return found


def gate_conditions(contract: TableContract, *, accounts: str | None) -> dict[str, str]:
    """Per gate rule, the SQL condition that a record breaks it (any of its columns), for the quality gate."""
    by_rule: dict[str, list[str]] = {}
    for check in checks(contract, accounts=accounts):
        if check.rule in GATE_RULES:
            by_rule.setdefault(check.rule, []).append(f"({check.condition})")
    return {rule: " or ".join(parts) for rule, parts in by_rule.items()}


def _latest_accounts(con: duckdb.DuckDBPyConnection) -> bool:
    """Stage the customer ids of the newest accounts load as ``_accounts``; False when none was loaded yet."""
    known = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'accounts'"
    ).fetchone()[0]
    if not known or con.execute("select count(*) from raw.accounts").fetchone()[0] == 0:
        return False
    con.execute(
        f"""create or replace temp table _accounts as select distinct customer_id
            from {current_rows_sql("accounts")} as a where customer_id is not null"""
    )
    return True


def quarantine(
    con: duckdb.DuckDBPyConnection, table: str, *, load_id: int, source_file: str
) -> tuple[list[Problem], int]:
    """Record the unusable rows of the staged delivery ``_incoming`` in ops.quarantine; return the problems
    (one per rule and column, most frequent first) and the number of distinct rows quarantined."""
    contract = CONTRACT[table]
    con.execute(QUARANTINE_DDL)
    found = checks(contract, accounts="_accounts" if _latest_accounts(con) else None)
    # Every condition is evaluated once, in one pass over the delivery (window expressions included), then each
    # true flag becomes one finding.
    flags = ", ".join(
        f"({c.condition}) as _f{i}, cast({c.value} as varchar) as _v{i}" for i, c in enumerate(found)
    )
    con.execute(f"create or replace temp table _flags as select _row, {flags} from _incoming as r")
    parts = [
        f"select _row, '{c.rule}' as rule, '{c.column}' as column_name, _v{i} as value from _flags where _f{i}"
        for i, c in enumerate(found)
    ]
    reasons = " ".join(f"when '{rule}' then {_sql_list((text,))}" for rule, text in RULES.items())
    con.execute(f"create or replace temp table _findings as {' union all '.join(parts)}")
    con.execute(
        f"""insert into ops.quarantine
            select ?, ?, ?, _row, rule, column_name, value, case rule {reasons} end, now()
            from _findings order by _row, rule, column_name""",
        [load_id, table, source_file],
    )
    con.execute("drop table _flags")
    con.execute("drop table _findings")
    return problems_of(con, table, load_id)


def problems_of(con: duckdb.DuckDBPyConnection, table: str, load_id: int) -> tuple[list[Problem], int]:
    """The problems recorded in ops.quarantine for one load (one per rule and column, most frequent first) and
    the number of distinct rows quarantined: what a re-run of an unchanged delivery reports again."""
    con.execute(QUARANTINE_DDL)
    where = "from ops.quarantine where table_name = ? and load_id = ?"
    summary = con.execute(
        f"""select rule, column_name, count(*) as n, list(value order by row_number)[1:50] as examples
            {where} group by rule, column_name order by n desc, rule, column_name""",
        [table, load_id],
    ).fetchall()
    rows = con.execute(f"select count(distinct row_number) {where}", [table, load_id]).fetchone()[0]
    problems = [
        Problem(table, column, rule, int(n), tuple(dict.fromkeys(examples))[:3])
        for rule, column, n, examples in summary
    ]
    return problems, int(rows)
