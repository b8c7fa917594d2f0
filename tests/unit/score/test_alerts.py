"""Alert episodes on a real DuckDB, and the webhook sink against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import duckdb
import pandas as pd
import pytest

from pipelines.lib.score import alerts


def _scores(as_of: str, tiers: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": list(tiers),
            "as_of": as_of,
            "churn_probability": [0.9 if t == "high" else 0.4 for t in tiers.values()],
            "risk_tier": list(tiers.values()),
            "reasons": "payments 9 days later than usual",
            "action": "call",
            "owner": "senior_manager",
            "sla_hours": 48,
        }
    )


def _run(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame) -> list[str]:
    new = alerts.alerts_to_send(con, scores, min_tier="high")
    alerts.update_episodes(con, scores, new, min_tier="high")
    return list(new["customer_id"])


def test_a_customer_is_alerted_once_per_episode_and_again_after_recovering() -> None:
    con = duckdb.connect()
    assert _run(con, _scores("2026-01-31", {"A": "high", "B": "medium"})) == ["A"]
    assert _run(con, _scores("2026-01-31", {"A": "high", "B": "medium"})) == []  # a re-run sends nothing
    assert _run(con, _scores("2026-02-28", {"A": "high", "B": "high"})) == ["B"]
    assert _run(con, _scores("2026-03-31", {"A": "low", "B": "high"})) == []
    assert _run(con, _scores("2026-04-30", {"A": "high", "B": "high"})) == ["A"]
    episodes = con.execute(
        "select customer_id, count(*) from ops.alert_episodes group by 1 order by 1"
    ).fetchall()
    assert episodes == [("A", 2), ("B", 1)]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_the_webhook_receives_the_alerts_as_json(webhook: str) -> None:
    _Hook.status = 200
    alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), webhook)
    assert _Hook.received[0]["alerts"][0]["customer_id"] == "A"
    assert _Hook.received[0]["alerts"][0]["sla_hours"] == 48


def test_a_failing_webhook_is_an_error_naming_it(webhook: str) -> None:
    _Hook.status = 500
    with pytest.raises(alerts.AlertSinkError, match="did not accept 1 alert"):
        alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), webhook)
