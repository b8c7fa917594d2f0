"""The KPIs the users watch, computed from the warehouse's own records: no state of their own.

- Churn and retention rate by month, from the customer lifecycles (domain guide formulas).
- How the warnings turned out: customers scored at month m are followed up once the horizon after m has been
  fully observed; precision, false-positive rate and recall of the warnings issued at m.
- Revenue at risk: Σ churn probability × predicted 12-month revenue (the scores' `revenue_at_risk`), per tier.
- Intervention success rate, from an optional outcomes file (see ``INTERVENTION_COLUMNS``).

Every function here is pure and vectorised (DuckDB SQL or pandas), so unit tests call them on hand-made frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.lib.core import rates

# The optional outcomes contract: one row per contact a team made after a warning. `outcome` is what became of
# the customer: retained (still a customer when the case was closed), churned, or pending (not decided yet).
INTERVENTION_COLUMNS = ("customer_id", "contacted_at", "outcome")
INTERVENTION_OUTCOMES = ("retained", "churned", "pending")
INTERVENTIONS_FILE = "interventions.csv"  # in the data home; optional


def churn_and_retention_by_month(
    lifecycles: pd.DataFrame, *, first_month: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """One row per calendar month from ``first_month`` to the month of ``as_of`` (the last may be partial).

    A customer counts at a date d when created_at <= d < churned_at (as in the snapshots). The period of month m
    runs from the day before its first day (the start) to its last day, or ``as_of`` (the end).
    churn rate = lost ÷ customers at the start × 100, where lost counts the customers present at the start whose
    churned_at falls in the period; retention rate = (customers at the end − new customers) ÷ customers at the
    start × 100. Both are NaN for a month that starts with no customers.
    """
    frame = lifecycles[["customer_id", "created_at", "churned_at", "churn_type"]].copy()
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.date
    frame["churned_at"] = pd.to_datetime(frame["churned_at"]).dt.date
    with duckdb.connect() as con:
        con.register("lifecycles", frame)
        return con.execute(
            """
            with periods as (
                select
                    cast(m as date) as month,
                    cast(m as date) - 1 as start_date,
                    least(last_day(m), $as_of::date) as end_date
                from range(date_trunc('month', $first::date), $as_of::date + 1, interval 1 month) as r (m)
            ),

            counted as (
                select
                    p.month,
                    p.end_date,
                    count(*) filter (
                        where l.created_at <= p.start_date and coalesce(l.churned_at > p.start_date, true)
                    ) as customers_start,
                    count(*) filter (
                        where l.created_at <= p.start_date and l.churned_at > p.start_date
                        and l.churned_at <= p.end_date
                    ) as lost,
                    count(*) filter (
                        where l.created_at <= p.start_date and l.churned_at > p.start_date
                        and l.churned_at <= p.end_date and l.churn_type = 'involuntary'
                    ) as lost_involuntary,
                    count(*) filter (where l.created_at > p.start_date and l.created_at <= p.end_date) as new,
                    count(*) filter (
                        where l.created_at <= p.end_date and coalesce(l.churned_at > p.end_date, true)
                    ) as customers_end
                from periods as p
                left join lifecycles as l on true
                group by p.month, p.end_date
            )

            select
                month,
                end_date,
                end_date < last_day(month) as partial,
                customers_start,
                lost,
                lost_involuntary,
                new,
                customers_end,
                100.0 * lost / nullif(customers_start, 0) as churn_rate_pct,
                100.0 * (customers_end - new) / nullif(customers_start, 0) as retention_rate_pct
            from counted
            order by month
            """,
            {"first": first_month, "as_of": as_of},
        ).df()


def follow_up(
    warnings: pd.DataFrame, lifecycles: pd.DataFrame, *, horizon_days: int, observable_until: dt.date
) -> pd.DataFrame:
    """The warning log's rows whose horizon has been fully observed, each with whether the customer churned.

    A row scored at ``as_of`` has matured when as_of + horizon <= ``observable_until`` (the newest date at which
    a churn is known for certain: the data's as-of date, less the renewal grace period for contractual churn).
    ``churned`` is True when the customer's churned_at lies in (as_of, as_of + horizon].
    """
    horizon = pd.Timedelta(days=horizon_days)
    as_of = pd.to_datetime(warnings["as_of"])
    matured = warnings.loc[as_of + horizon <= pd.Timestamp(observable_until)].copy()
    matured["as_of"] = pd.to_datetime(matured["as_of"])
    churned_at = pd.to_datetime(matured["customer_id"].map(lifecycles.set_index("customer_id")["churned_at"]))
    matured["churned"] = (
        (churned_at > matured["as_of"]) & (churned_at <= matured["as_of"] + horizon)
    ).to_numpy(dtype=bool)
    return matured


def warning_kpis(followed: pd.DataFrame, *, warn_tiers: Collection[str]) -> pd.DataFrame:
    """Per as_of: how the warnings (a risk tier in ``warn_tiers``) turned out against realised churn.

    precision = warned and churned ÷ warned; false_positive_rate = warned but stayed ÷ all who stayed
    (the classic rate: the share of loyal customers a team bothered); recall = warned and churned ÷ all who
    churned. A ratio without a denominator is NaN, never 0.
    """
    warned = followed["risk_tier"].isin(list(warn_tiers)).to_numpy()
    churned = followed["churned"].to_numpy(dtype=bool)
    counts = pd.DataFrame(
        {
            "as_of": pd.to_datetime(followed["as_of"]).to_numpy(),
            "scored": 1,
            "warned": warned.astype(int),
            "churned": churned.astype(int),
            "true_pos": (warned & churned).astype(int),
            "false_pos": (warned & ~churned).astype(int),
            "false_neg": (~warned & churned).astype(int),
            "true_neg": (~warned & ~churned).astype(int),
        }
    )
    out = counts.groupby("as_of", as_index=False).sum()
    out["precision"] = rates.precision(out["true_pos"], out["false_pos"])
    out["false_positive_rate"] = rates.false_positive_rate(out["false_pos"], out["true_neg"])
    out["recall"] = rates.recall(out["true_pos"], out["false_neg"])
    return out


def revenue_at_risk(scored: pd.DataFrame, *, tier_order: Collection[str]) -> pd.DataFrame:
    """Per as_of and risk tier: customers and their revenue at risk, Σ `revenue_at_risk` of the scores.

    `revenue_at_risk` has one definition, made where the scores are (`score.priority`): churn probability ×
    predicted 12-month revenue. A score without a probability (the health-score fallback) or without a value puts
    nothing at risk here (counts as 0)."""
    frame = pd.DataFrame(
        {
            "as_of": pd.to_datetime(scored["as_of"]).to_numpy(),
            "risk_tier": pd.Categorical(scored["risk_tier"], categories=list(tier_order)),
            "customers": 1,
            "revenue_at_risk": scored["revenue_at_risk"].fillna(0.0).to_numpy(dtype=float),
        }
    )
    return frame.groupby(["as_of", "risk_tier"], observed=False, as_index=False)[
        ["customers", "revenue_at_risk"]
    ].sum()


class InterventionsError(ValueError):
    """The outcomes file does not follow its contract; the message names the file and the problem."""


def validate_interventions(frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """The outcomes rows, typed; a one-line error naming ``source`` when a column or value is wrong."""
    missing = [c for c in INTERVENTION_COLUMNS if c not in frame.columns]
    if missing:
        raise InterventionsError(f"{source}: missing column(s) {', '.join(missing)}")
    out = frame[list(INTERVENTION_COLUMNS)].copy()
    out["customer_id"] = out["customer_id"].astype(str)
    out["contacted_at"] = pd.to_datetime(out["contacted_at"], errors="coerce")
    bad_dates = int(out["contacted_at"].isna().sum())
    if bad_dates:
        raise InterventionsError(f"{source}: {bad_dates} row(s) with a missing or unreadable contacted_at")
    out["outcome"] = out["outcome"].astype(str).str.strip().str.lower()
    unknown = sorted(set(out["outcome"]) - set(INTERVENTION_OUTCOMES))
    if unknown:
        raise InterventionsError(
            f"{source}: outcome must be one of {', '.join(INTERVENTION_OUTCOMES)}; found {', '.join(unknown)}"
        )
    return out


def read_interventions(home: Path) -> pd.DataFrame | None:
    """The data home's outcomes file, validated; None when there is none."""
    source = home / INTERVENTIONS_FILE
    if not source.exists():
        return None
    return validate_interventions(pd.read_csv(source, dtype=str), source=str(source))


def intervention_success(interventions: pd.DataFrame) -> pd.DataFrame:
    """Per month of contact: contacts by outcome and the success rate, retained ÷ (retained + churned).

    Pending cases are counted but left out of the rate, which only judges decided cases.
    """
    frame = pd.DataFrame(
        {
            "month": interventions["contacted_at"].dt.to_period("M").dt.to_timestamp(),
            **{o: (interventions["outcome"] == o).astype(int).to_numpy() for o in INTERVENTION_OUTCOMES},
        }
    )
    out = frame.groupby("month", as_index=False).sum()
    out["contacted"] = out[list(INTERVENTION_OUTCOMES)].sum(axis=1)
    out["success_rate"] = out["retained"] / (out["retained"] + out["churned"]).replace(0, np.nan)
    return out
