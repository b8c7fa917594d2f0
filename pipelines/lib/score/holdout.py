"""The hold-out: a random share of every warned tier that gets no action, so retention is measured, not assumed.

Whether a customer is held out is decided by a keyed hash, not by a random generator: HMAC-SHA256 of
``holdout:<salt>:<customer_id>`` under the data home's pseudonym key (`core/pseudonym.key_for`), read as a
number in [0, 1). A warned customer whose number is below `playbook.holdout_share` is held out. The number does
not depend on the month, the score or the run, so the same customer stays in the hold-out from one run and month
to the next (a whole warning episode, and the next); raising the share keeps everyone already held out and adds
more. Python's ``hash()`` would not do: it is salted per process.

Every warned customer's group is recorded per scoring date in `scores.holdout_assignments`; with the treated
customers' outcomes from ``interventions.csv`` and the hold-out's realised churn from `marts.churn_labels`,
`outcomes` gives one row per customer and `incremental_retention` the effect per tier.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from pipelines.lib.core.config import Playbook
from pipelines.lib.core.warehouse import table_exists

WARN_TIERS = ("low", "medium", "high")  # every tier with a playbook action is a warning
ACTION = "hold-out: no action (measuring retention)"
TABLE = "holdout_assignments"
EXPORT_COLUMNS = ("holdout", "uplift")  # appended to the CRM export; `uplift` empty until it is fitted
COLUMNS: dict[str, str] = {
    "customer_id": "varchar",
    "as_of": "date",
    "risk_tier": "varchar",
    "churn_probability": "double",
    "predicted_revenue_12m": "double",
    "holdout": "boolean",
    "share": "double",
}


def draws(customer_ids: pd.Series | list[str], *, key: bytes, salt: str) -> np.ndarray:
    """Each customer's number in [0, 1): the first 8 bytes of HMAC-SHA256(key, holdout:salt:id) ÷ 2⁶⁴."""
    prefix = f"holdout:{salt}:".encode()
    return np.array(
        [
            int.from_bytes(hmac.new(key, prefix + str(c).encode(), hashlib.sha256).digest()[:8], "big") / 2**64
            for c in customer_ids
        ],
        dtype=float,
    )


def mark(scores: pd.DataFrame, *, share: float, key: bytes, salt: str) -> pd.DataFrame:
    """``scores`` with a `holdout` column; the held-out customers' action says so, with no owner and no SLA."""
    warned = scores["risk_tier"].isin(WARN_TIERS).to_numpy()
    held = warned & (draws(scores["customer_id"], key=key, salt=salt) < share) if share > 0 else np.zeros(
        len(scores), dtype=bool
    )
    out = scores.assign(holdout=held)
    out.loc[held, "action"] = ACTION
    out.loc[held, "owner"] = "none"
    out.loc[held, "sla_hours"] = None
    return out


def record(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, *, share: float) -> int:
    """Replace the scoring date's assignments with the warned customers of ``scores`` (treated and held out);
    nothing is recorded while the hold-out is off. Returns the number of held-out customers."""
    ensure_table(con)
    as_of = str(scores["as_of"].iloc[0])
    warned = scores[scores["risk_tier"].isin(WARN_TIERS)].assign(share=share)
    rows = warned[list(COLUMNS)] if share > 0 else warned[list(COLUMNS)].iloc[0:0]  # noqa: F841 - DuckDB scan
    con.execute("begin transaction")
    con.execute(f"delete from scores.{TABLE} where as_of = ?", [as_of])
    con.execute(f"insert into scores.{TABLE} ({', '.join(COLUMNS)}, recorded_at) select *, now() from rows")
    con.execute("commit")
    return int(scores["holdout"].sum())


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists scores")
    cols = ", ".join(f"{c} {t}" for c, t in COLUMNS.items())
    con.execute(f"create table if not exists scores.{TABLE} ({cols}, recorded_at timestamp)")


def outcomes(con: duckdb.DuckDBPyConnection, interventions: pd.DataFrame | None) -> pd.DataFrame:
    """One row per customer with an outcome: the tier, probability and predicted revenue at the customer's first
    recorded warning, whether held out, and `retained` (1/0).

    Treated customers' outcome is their first decided intervention (retained / churned; pending is left out) on or
    after that warning; held-out customers', who are not contacted, is the realised churn of `marts.churn_labels`
    over the horizon from that scoring date (left out until the horizon is observed).
    """
    empty = pd.DataFrame(columns=[*COLUMNS, "retained"])
    if not table_exists(con, "scores", TABLE):
        return empty
    first = con.execute(
        f"""select * exclude (recorded_at) from scores.{TABLE}
            qualify row_number() over (partition by customer_id order by as_of) = 1"""
    ).df()
    if first.empty:
        return empty
    first["as_of"] = pd.to_datetime(first["as_of"]).astype("datetime64[ns]")
    treated = first[~first["holdout"].astype(bool)]
    held = first[first["holdout"].astype(bool)]
    parts = []
    if interventions is not None and len(interventions) and len(treated):
        decided = interventions[interventions["outcome"].isin(["retained", "churned"])]
        joined = treated.merge(decided, on="customer_id", how="inner")
        joined = joined[joined["contacted_at"] >= joined["as_of"]].sort_values("contacted_at")
        joined = joined.drop_duplicates("customer_id")
        parts.append(joined[list(COLUMNS)].assign(retained=(joined["outcome"] == "retained").astype(int)))
    if len(held) and table_exists(con, "marts", "churn_labels"):
        labels = con.execute(
            "select customer_id, snapshot_date, churned_within_horizon::int as churned "
            "from marts.churn_labels where is_labelled"
        ).df()
        labels["snapshot_date"] = pd.to_datetime(labels["snapshot_date"]).astype("datetime64[ns]")
        joined = held.merge(labels, left_on=["customer_id", "as_of"], right_on=["customer_id", "snapshot_date"])
        parts.append(joined[list(COLUMNS)].assign(retained=1 - joined["churned"].astype(int)))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty


def incremental_retention(frame: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Per tier (and `all`): retention of the treated and of the hold-out, the difference with its Newcombe
    (hybrid Wilson score) interval, and the realised value: the difference × the treated customers' predicted
    12-month revenue (the revenue the programme kept beyond what they would have kept untreated).

    ``frame`` is `outcomes`' shape: `risk_tier`, `holdout`, `retained`, `predicted_revenue_12m`. A tier with
    nobody in one of the groups has no difference (NaN)."""
    rows = []
    groups = [(t, frame[frame["risk_tier"] == t]) for t in WARN_TIERS] + [("all", frame)]
    for tier, part in groups:
        t = part[~part["holdout"].astype(bool)]
        h = part[part["holdout"].astype(bool)]
        n_t, n_h, r_t, r_h = len(t), len(h), int(t["retained"].sum()), int(h["retained"].sum())
        diff = low = high = value = value_low = value_high = np.nan
        revenue = float(pd.to_numeric(t["predicted_revenue_12m"], errors="coerce").fillna(0).sum())
        if n_t and n_h:
            diff = r_t / n_t - r_h / n_h
            low, high = confint_proportions_2indep(
                r_t, n_t, r_h, n_h, method="newcomb", compare="diff", alpha=alpha
            )
            value, value_low, value_high = diff * revenue, low * revenue, high * revenue
        rows.append(
            {
                "risk_tier": tier,
                "treated": n_t,
                "treated_retained": r_t,
                "holdout": n_h,
                "holdout_retained": r_h,
                "retention_treated": r_t / n_t if n_t else np.nan,
                "retention_holdout": r_h / n_h if n_h else np.nan,
                "difference": diff,
                "ci_low": float(low),
                "ci_high": float(high),
                "incremental_retained": diff * n_t if n_t else np.nan,
                "realised_value": value,
                "value_low": value_low,
                "value_high": value_high,
            }
        )
    return pd.DataFrame(rows)


def apply(
    con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, *, home: Path, playbook: Playbook, seed: int = 42
) -> tuple[pd.DataFrame, dict[str, object]]:
    """The scoring date's hold-out and uplift: ``scores`` marked (`holdout`, `uplift`), the assignments recorded,
    and the figures for the asset's metadata. The uplift is fitted on the outcomes so far when both groups have
    enough (`uplift.MIN_PER_GROUP`); until then `uplift` is empty and the metadata says what is missing."""
    from pipelines.lib.core.pseudonym import key_for
    from pipelines.lib.features import mart as feats
    from pipelines.lib.report.kpis import read_interventions
    from pipelines.lib.score import uplift

    share = playbook.holdout_share
    marked = mark(scores, share=share, key=key_for(home), salt=playbook.holdout_salt)
    held = record(con, marked, share=share)
    known = outcomes(con, read_interventions(home))
    ready, line = uplift.readiness(known)
    marked["uplift"] = np.nan
    note = {"holdout_share": share, "holdout_customers": held, "uplift": line}
    if ready:
        ids = known[["customer_id"]].drop_duplicates()  # noqa: F841 - read by DuckDB's replacement scan
        history = feats.typed_features(
            con.execute("select f.* from marts.customer_features as f semi join ids using (customer_id)").df()
        )
        train = uplift.with_features(known, history)
        current = feats.latest_snapshot(con)
        features = [f for f in uplift.feature_names(train) if f in current]
        try:
            model = uplift.fit(train, features=features, seed=seed)
        except ValueError as exc:
            note["uplift"] = f"{line}; not fitted: {exc}"
        else:
            by_id = pd.Series(model.predict(current), index=current["customer_id"].astype(str))
            marked["uplift"] = marked["customer_id"].astype(str).map(by_id).to_numpy()
            note["uplift"] = f"fitted (T-learner) on {line.split('; ')[0]}"
    return marked, note
