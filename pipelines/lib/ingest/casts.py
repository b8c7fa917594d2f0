"""How raw text becomes a date or a number: the one definition that the quarantine, the quality gate and dbt's
staging casts (through the generated macro ``source_contract``) all use, so they agree value for value.

Dates must be ISO 8601 (the contract says so; DuckDB's cast would also read ``2025/03/31`` or ``2025-3-1``).
A timestamp with a zone offset is converted to UTC before its day is taken, so ``2025-03-31T23:30:00-02:00`` is
dated 2025-04-01, like the same instant written in UTC; a timestamp without a zone is UTC (contract). Numbers must
be finite and small enough to add up: NaN, infinities and magnitudes from ``MAX_MAGNITUDE`` on would make every
sum, mean and feature built on them non-finite. The patterns use ``[0-9]`` rather than ``\\d`` so that they pass
unchanged through JSON, Jinja and SQL string literals.
"""

from __future__ import annotations

# A date, optionally with a time (``T`` or a space), fractional seconds and a zone (``Z``, ``+02``, ``+0200``,
# ``+02:00``): the forms ISO 8601 allows and Parquet/DuckDB write when a date or timestamp is cast to text.
ISO_PATTERN = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)
# The same value ends with a zone offset after a time (a bare date's ``-31`` is not an offset).
OFFSET_PATTERN = "[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
# Placeholder dates (0001-01-01, 1753-01-01, 1899-12-30) lie before this; no customer record does.
MIN_DATE = "1900-01-01"
# No amount, count or duration of a customer reaches this; NaN and infinities fail the comparison too.
MAX_MAGNITUDE = 1e15


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def lenient_date_sql(expr: str) -> str:
    """What DuckDB's own cast makes of ``expr``: only to tell a non-ISO date from one that does not parse."""
    return f"try_cast(try_cast({expr} as timestamp) as date)"


def as_date_sql(expr: str) -> str:
    """``expr`` (text) as a UTC date; null when it is not an ISO 8601 date or does not parse."""
    return (
        f"case when regexp_full_match({expr}, {_text(ISO_PATTERN)}) then "
        f"case when regexp_matches({expr}, {_text(OFFSET_PATTERN)}) "
        f"then cast(timezone('UTC', try_cast({expr} as timestamptz)) as date) "
        f"else {lenient_date_sql(expr)} end end"
    )


def as_number_sql(expr: str) -> str:
    """``expr`` (text) as a double; null when it does not parse (NaN and infinities do parse)."""
    return f"try_cast({expr} as double)"


def finite_sql(number: str) -> str:
    """True when ``number`` is finite and below ``MAX_MAGNITUDE``; false for NaN (the largest double in DuckDB
    and PostgreSQL ordering), for infinities and for overflowing values; null for null."""
    return f"abs({number}) < {MAX_MAGNITUDE:.0e}"
