"""Alert episodes on a real DuckDB, and the webhook sink against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
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
    keys: ClassVar[list[str]] = []
    authorizations: ClassVar[list[str | None]] = []
    status = 200
    # statuses to answer first, one per request, before falling back to `status`
    script: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        type(self).keys.append(self.headers["Idempotency-Key"])
        type(self).authorizations.append(self.headers.get("Authorization"))
        self.send_response(type(self).script.pop(0) if type(self).script else type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    _Hook.keys.clear()
    _Hook.authorizations.clear()
    _Hook.script.clear()
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
        alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), webhook, sleep=lambda _: None)


def test_a_transient_failure_is_retried_with_the_same_idempotency_key(webhook: str) -> None:
    _Hook.status, _Hook.script[:] = 200, [503, 502]
    waits: list[float] = []
    alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), webhook, sleep=waits.append)
    assert len(_Hook.received) == 3 and len(set(_Hook.keys)) == 1
    assert waits == [1.0, 2.0]


def test_a_refusal_is_not_retried(webhook: str) -> None:
    _Hook.status = 400
    with pytest.raises(alerts.AlertSinkError, match=r"after 1 attempt\(s\): HTTP 400"):
        alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), webhook, sleep=lambda _: None)
    assert len(_Hook.received) == 1


def test_a_failing_webhook_never_writes_an_alert_twice_to_the_file(webhook: str, tmp_path: Path) -> None:
    """Three runs while the webhook is down, then one when it is back: one line in the file, one POST that
    reaches the webhook, and only then the episode opens."""
    con = duckdb.connect()
    scores = _scores("2026-01-31", {"A": "high", "B": "medium"})
    file = tmp_path / "alerts.jsonl"
    sinks = {
        "file": lambda batch: alerts.send_to_file(batch, file),
        "webhook": lambda batch: alerts.send_to_webhook(batch, webhook, sleep=lambda _: None),
    }
    _Hook.status = 500
    for _ in range(3):
        new = alerts.alerts_to_send(con, scores, min_tier="high")
        with pytest.raises(alerts.AlertSinkError):
            alerts.deliver(con, new, sinks)
    assert len(file.read_text().splitlines()) == 1
    _Hook.status, _Hook.received[:] = 200, []
    new = alerts.alerts_to_send(con, scores, min_tier="high")
    alerts.deliver(con, new, sinks)
    alerts.update_episodes(con, scores, new, min_tier="high")
    assert len(file.read_text().splitlines()) == 1
    assert [a["customer_id"] for a in _Hook.received[0]["alerts"]] == ["A"]
    assert alerts.alerts_to_send(con, scores, min_tier="high").empty


def test_a_token_in_the_webhook_url_is_never_in_a_message(webhook: str) -> None:
    _Hook.status = 500
    url = webhook.replace("http://", "http://bot:s3cr3t@") + "?token=t0k3n"
    with pytest.raises(alerts.AlertSinkError) as err:
        alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), url, sleep=lambda _: None)
    message = str(err.value)
    assert "s3cr3t" not in message and "t0k3n" not in message
    assert "http://***@127.0.0.1:" in message and "/hook?token=***" in message
    assert message.endswith("HTTP 500")  # the server was reached: the user info went into a header
    assert _Hook.authorizations[0] == "Basic " + base64.b64encode(b"bot:s3cr3t").decode()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/hook", "not a url"])
def test_a_webhook_that_is_not_http_is_a_configuration_error_in_one_line(tmp_path: Path, url: str) -> None:
    from pipelines.lib.core.config import ConfigError, load_config

    config = tmp_path / "radar.yaml"
    config.write_text(f"alerts:\n  webhook_url: '{url}'\n")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    message = str(err.value)
    assert "\n" not in message and "alerts.webhook_url" in message and "http:// or https://" in message
    with pytest.raises(alerts.AlertSinkError, match="http:// or https://"):
        alerts.send_to_webhook(_scores("2026-01-31", {"A": "high"}), url)
