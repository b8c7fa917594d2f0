"""High-risk alerts, sent once per customer per episode, not again every month.

An episode opens when a customer's tier reaches the alert tier and closes when it falls below; only an opening
sends an alert. The episode state lives in the warehouse (`ops.alert_episodes`) and is committed only after every
sink accepted the alerts, so a failed webhook is retried on the next run instead of being lost (at least once).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.score.tiers import TIER_ORDER

PAYLOAD_COLUMNS = [
    "customer_id",
    "as_of",
    "churn_probability",
    "risk_tier",
    "reasons",
    "action",
    "owner",
    "sla_hours",
]


class AlertSinkError(RuntimeError):
    """A sink refused the alerts; the episodes stay unopened so the next run sends them again."""


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.alert_episodes (
            customer_id varchar, opened_as_of date, last_seen_as_of date, closed_as_of date, alerted_at timestamp)"""
    )


def alerts_to_send(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, *, min_tier: str) -> pd.DataFrame:
    """Customers at or above ``min_tier`` in ``scores`` who have no open episode yet."""
    ensure_state(con)
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    alerting = scores[scores["risk_tier"].map(rank) >= rank[min_tier]]
    open_ids = {
        r[0]
        for r in con.execute(
            "select customer_id from ops.alert_episodes where closed_as_of is null"
        ).fetchall()
    }
    return alerting[~alerting["customer_id"].isin(open_ids)][PAYLOAD_COLUMNS].reset_index(drop=True)


def update_episodes(
    con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, new_alerts: pd.DataFrame, *, min_tier: str
) -> None:
    """Open episodes for the alerts just sent, keep the ones still at risk, close the ones that recovered."""
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    at_risk = scores.loc[scores["risk_tier"].map(rank) >= rank[min_tier], ["customer_id", "as_of"]]
    as_of = str(scores["as_of"].iloc[0])
    con.register("at_risk", at_risk)
    con.register("new_alerts", new_alerts[["customer_id"]])
    con.execute("begin transaction")
    try:
        con.execute(
            "update ops.alert_episodes set last_seen_as_of = ? "
            "where closed_as_of is null and customer_id in (select customer_id from at_risk)",
            [as_of],
        )
        con.execute(
            "update ops.alert_episodes set closed_as_of = ? "
            "where closed_as_of is null and customer_id not in (select customer_id from at_risk)",
            [as_of],
        )
        con.execute(
            "insert into ops.alert_episodes select customer_id, ?, ?, null, now() from new_alerts",
            [as_of, as_of],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("at_risk")
        con.unregister("new_alerts")


def send_to_file(alerts: pd.DataFrame, path: Path) -> None:
    """Append one JSON line per alert; a CRM or a mail relay can tail this file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(alerts.to_json(orient="records", lines=True, date_format="iso"))


def send_to_webhook(alerts: pd.DataFrame, url: str, *, timeout_s: float = 10.0) -> None:
    """POST the alerts as one JSON document ``{"alerts": [...]}``; anything but 2xx is a failure."""
    body = json.dumps({"alerts": json.loads(alerts.to_json(orient="records", date_format="iso"))}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = response.status
    except OSError as exc:
        raise AlertSinkError(f"webhook {url} did not accept {len(alerts)} alert(s): {exc}") from exc
    if not 200 <= status < 300:
        raise AlertSinkError(f"webhook {url} answered HTTP {status} to {len(alerts)} alert(s)")
