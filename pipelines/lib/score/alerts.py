"""High-risk alerts, sent once per customer per episode, not again every month.

An episode opens when a customer's tier reaches the alert tier and closes when it falls below; only an opening
sends an alert. The episode state lives in the warehouse (`ops.alert_episodes`) and is committed only after every
sink accepted the alerts, so a failed webhook is retried on the next run instead of being lost. Each sink's
deliveries are recorded per alert (`ops.alert_deliveries`), so a retry sends an alert only to the sinks that do not
have it yet: the alert file never receives the same alert twice because the webhook failed.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.core.urls import redact_url, split_credentials, webhook_url_problem
from pipelines.lib.score.tiers import TIER_ORDER

Sender = Callable[[pd.DataFrame], None]

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
    con.execute(
        """create table if not exists ops.alert_deliveries (
            customer_id varchar, as_of varchar, sink varchar, delivered_at timestamp)"""
    )


def alerts_to_send(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, *, min_tier: str) -> pd.DataFrame:
    """Customers at or above ``min_tier`` in ``scores`` who have no open episode yet; never a held-out customer
    (a `holdout` column that is true: they get no action, so no alert; `score/holdout.py`)."""
    ensure_state(con)
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    alerting = scores[scores["risk_tier"].map(rank) >= rank[min_tier]]
    if "holdout" in alerting:
        alerting = alerting[~alerting["holdout"].fillna(False).astype(bool)]
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


def deliver(con: duckdb.DuckDBPyConnection, alerts: pd.DataFrame, sinks: dict[str, Sender]) -> None:
    """Send ``alerts`` to every sink that does not have them yet, recording each sink's deliveries as they
    succeed; raise AlertSinkError naming the sinks that failed (the others keep their record, so a retry does
    not send them the same alerts again)."""
    ensure_state(con)
    failed: list[str] = []
    for sink, send in sinks.items():
        con.register("_alerts", alerts[["customer_id", "as_of"]].astype(str))
        try:
            pending_ids = con.execute(
                """select a.customer_id, a.as_of from _alerts as a
                   anti join ops.alert_deliveries as d
                   on d.customer_id = a.customer_id and d.as_of = a.as_of and d.sink = ?""",
                [sink],
            ).df()
        finally:
            con.unregister("_alerts")
        keys = alerts["customer_id"].astype(str) + "|" + alerts["as_of"].astype(str)
        pending = alerts[keys.isin(pending_ids["customer_id"] + "|" + pending_ids["as_of"])]
        if pending.empty:
            continue
        try:
            send(pending)
        except AlertSinkError as exc:
            failed.append(str(exc))
            continue
        con.register("_sent", pending[["customer_id", "as_of"]].astype(str))
        try:
            con.execute(
                "insert into ops.alert_deliveries select customer_id, as_of, ?, now() from _sent", [sink]
            )
        finally:
            con.unregister("_sent")
    if failed:
        raise AlertSinkError("; ".join(failed))


def send_to_file(alerts: pd.DataFrame, path: Path) -> None:
    """Append one JSON line per alert; a CRM or a mail relay can tail this file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(alerts.to_json(orient="records", lines=True, date_format="iso"))


# HTTP statuses worth another attempt: the receiver may accept the same request a moment later.
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504}


def send_to_webhook(
    alerts: pd.DataFrame,
    url: str,
    *,
    timeout_s: float = 10.0,
    attempts: int = 3,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST the alerts as one JSON document ``{"alerts": [...]}``; anything but 2xx is a failure.

    A transient failure (no connection, a timeout, 408/429/5xx) is tried again up to ``attempts`` times, waiting
    ``backoff_s``, then twice that, and so on. Every attempt carries the same ``Idempotency-Key`` header, so a
    receiver that got a request whose answer was lost can tell the retry is the same alerts. Messages show the
    URL redacted."""
    shown = redact_url(url)
    if problem := webhook_url_problem(url):
        raise AlertSinkError(f"webhook {problem}")
    records = json.loads(alerts.to_json(orient="records", date_format="iso"))
    body = json.dumps({"alerts": records}).encode()
    key = hashlib.sha256("\n".join(f"{r['customer_id']}|{r['as_of']}" for r in records).encode()).hexdigest()
    target, credentials = split_credentials(url)
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, **credentials}
    problem = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            status, problem = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if status is not None and 200 <= status < 300:
            return
        if status is not None:
            problem = f"HTTP {status}"
            if status not in _TRANSIENT:
                break
        if attempt < attempts:
            sleep(backoff_s * 2 ** (attempt - 1))
    problem = problem.replace(target, shown)
    raise AlertSinkError(
        f"webhook {shown} did not accept {len(alerts)} alert(s) after {attempt} attempt(s): {problem}"
    )
