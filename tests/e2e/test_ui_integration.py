"""Integration: the real `radar ui` (dagster dev, mlflow ui, the proxy and the report server) on free ports.

Takes 20-60 s on an idle machine (Dagster's webserver loads the code location); marked `ui_integration` so it can be selected
or left out on its own (`-m ui_integration`, `-m "not ui_integration"`)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.lib.core.paths import REPO_ROOT
from pipelines.lib.ui.serve import free_local_port


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _until_ok(port: int, path: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if _get(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"nothing answered 200 on 127.0.0.1:{port}{path} in time")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.ui_integration
def test_radar_ui_serves_dagster_only_behind_the_guard_and_stops_everything(tmp_path: Path) -> None:
    dagster, mlflow, reports = free_local_port(), free_local_port(), free_local_port()
    home = tmp_path / "home"
    env = {
        **os.environ,
        "RADAR_HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("RADAR_REPORTS_URL", "RADAR_MLFLOW_URL", "RADAR_CONFIG"):
        env.pop(name, None)
    ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "ui",
            "--dagster-port",
            str(dagster),
            "--mlflow-port",
            str(mlflow),
            "--reports-port",
            str(reports),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # 20-60 s idle; minutes on a loaded machine
        _until_ok(dagster, "/server_info", deadline)
        _until_ok(mlflow, "/health", deadline)
        assert _get(dagster, "/graphql?query=%7Bversion%7D", host=f"evil.example:{dagster}")[0] == 403
        status, body = _get(dagster, "/graphql?query=%7Bversion%7D")
        assert status == 200 and b'"version"' in body
        assert _get(reports, "/")[0] == 200
        assert _get(reports, "/", host="evil.example")[0] == 403
        assert _get(mlflow, "/", host="evil.example")[0] == 403  # MLflow's own check, kept
    finally:
        ui.send_signal(signal.SIGINT)
        out, err = ui.communicate(timeout=90)
    assert ui.returncode == 0, err
    log = home / "logs" / "ui.log"
    assert out.splitlines()[:4] == [
        f"Dagster UI:  http://127.0.0.1:{dagster}",
        f"MLflow runs: http://127.0.0.1:{mlflow}/#/experiments/1/runs?workflowType=machine_learning",
        f"Reports:     http://127.0.0.1:{reports}",
        f"log:         {log}",
    ]
    assert "GET /" not in out + err and "Warning" not in out + err  # access logs and warnings stay in the log
    assert "dagster" in log.read_text().lower()
    assert not any(_listening(p) for p in (dagster, mlflow, reports))
