"""The figures the data gates judge, computed in DuckDB so that row-level work stays vectorised SQL.

Quality is measured on the newest raw load of each table, because that is what staging reads; every rule counts
records, and a record that breaks several rules counts once in ``invalid``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.lib.ingest.contract import CONTRACT, TableContract
from pipelines.lib.ingest.quarantine import GATE_RULES, date_of, gate_conditions
from pipelines.lib.ingest.quarantine import RULES as VALIDATION_RULES
from pipelines.lib.ingest.raw_versions import current_rows_sql

# rule name -> what it means, for metadata and docs: the quarantine's rules that the gate counts
RULES = {rule: VALIDATION_RULES[rule] for rule in GATE_RULES}


def _latest(table: str) -> str:
    return current_rows_sql(table)


def _rule_sql(contract: TableContract) -> dict[str, str]:
    """SQL boolean expressions per gate rule for one table (over alias ``r``), the quarantine's own conditions;
    rules that do not apply to the table are omitted."""
    accounts = f"(select distinct customer_id from {_latest('accounts')} where customer_id is not null)"
    return gate_conditions(contract, accounts=accounts)


def table_rules(contract: TableContract) -> list[str]:
    """The gate rules that apply to one table, in the order of RULES (what its suite's meta lists)."""
    return list(_rule_sql(contract))


def table_quality(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """Records, per-rule faulty counts, the valid share and the history span of one table's newest load.

    The history spans the usable records only: a placeholder date such as 0001-01-01 must not make a short
    history look long."""
    contract = CONTRACT[table]
    rules = _rule_sql(contract)
    flags = ",\n".join(f"({expr}) as {name}" for name, expr in rules.items())
    date_expr = date_of(contract.event_date) if contract.event_date else "null"
    invalid = " or ".join(rules) or "false"
    sql = f"""
        with flagged as (
            select {flags}, {date_expr} as event_date
            from {_latest(table)} as r
        )
        select
            count(*) as records,
            {", ".join(f"count(*) filter (where {n}) as {n}" for n in rules)},
            count(*) filter (where {invalid}) as invalid,
            min(event_date) filter (where not ({invalid})) as first_date,
            max(event_date) filter (where not ({invalid})) as last_date
        from flagged
    """
    row = con.execute(sql).df().iloc[0].to_dict()
    records = int(row["records"])
    first, last = row["first_date"], row["last_date"]
    months = 0
    if pd.notna(first) and pd.notna(last):
        first, last = pd.Timestamp(first), pd.Timestamp(last)
        # Calendar months covered, inclusive: a source from 2025-01-03 to 2026-06-28 has 18 months of history.
        months = (last.year - first.year) * 12 + (last.month - first.month) + 1
    return {
        "table": table,
        "records": records,
        **{f"rule_{n}": int(row[n]) for n in rules},
        "invalid": int(row["invalid"]),
        "valid_share": (1 - int(row["invalid"]) / records) if records else 0.0,
        "first_date": None if pd.isna(first) else pd.Timestamp(first).date().isoformat(),
        "last_date": None if pd.isna(last) else pd.Timestamp(last).date().isoformat(),
        "months_of_history": int(months),
    }


def top_rules(figures: pd.Series) -> pd.DataFrame:
    """The rules a table's records break, most frequent first, with counts, shares and what each rule means."""
    records = int(figures["records"]) or 1
    rows = [
        {
            "rule": name,
            "records": int(figures[f"rule_{name}"]),
            "share": f"{int(figures[f'rule_{name}']) / records:.1%}",
            "meaning": RULES[name],
        }
        for name in RULES
        if f"rule_{name}" in figures
        and pd.notna(figures[f"rule_{name}"])
        and int(figures[f"rule_{name}"]) > 0
    ]
    return pd.DataFrame(rows, columns=["rule", "records", "share", "meaning"]).sort_values(
        "records", ascending=False, kind="stable"
    )


def failing_examples(con: duckdb.DuckDBPyConnection, table: str, *, limit: int = 5) -> pd.DataFrame:
    """A few faulty records with the rules they break, so a person can find them in the source system."""
    contract = CONTRACT[table]
    rules = _rule_sql(contract)
    if not rules:
        return pd.DataFrame()
    cols = ", ".join(f'r."{c}"' for c in contract.required)
    reasons = " || ".join(f"case when {n} then '{n} ' else '' end" for n in rules)
    return con.execute(
        f"""
        with flagged as (select {cols}, {", ".join(f"({e}) as {n}" for n, e in rules.items())}
                         from {_latest(table)} as r)
        select * exclude ({", ".join(rules)}), trim({reasons}) as broken_rules
        from flagged where {" or ".join(rules)} limit {int(limit)}
        """
    ).df()


def population_figures(
    con: duckdb.DuckDBPyConnection, *, lookback_years: int, definition: str = "contractual"
) -> dict[str, object]:
    """Active customers at the newest snapshot and churns in the lookback, from the dbt marts.

    A contractual churn ends a customer once (the lifecycle's churn date); an inactivity churn is a labelled
    snapshot after which the customer bought nothing for the whole horizon, and a customer who lapsed and came
    back may have several, so it counts the customers with at least one in the lookback."""
    lookback = f"(select as_of_date from w) - interval {int(lookback_years)} year"
    churns = (
        f"""select count(distinct customer_id) from marts.churn_labels
            where churned_within_horizon and snapshot_date > {lookback}"""
        if definition == "inactivity"
        else f"select count(*) from intermediate.int_customer_lifecycles where churned_at > {lookback}"
    )
    row = con.execute(
        f"""
        with w as (select as_of_date from intermediate.int_data_window)
        select
            (select as_of_date from w) as as_of_date,
            (select count(*) from marts.customer_features where snapshot_date = (select as_of_date from w))
                as active_customers,
            ({churns}) as churns_in_lookback
        """
    ).fetchone()
    return {"as_of_date": str(row[0]), "active_customers": int(row[1]), "churns_in_lookback": int(row[2])}
