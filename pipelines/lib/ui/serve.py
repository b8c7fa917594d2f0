"""`radar ui`: Dagster behind the guarding proxy, MLflow, and the report server, with their output in a log file.

The terminal gets the URLs and where the log is; the children's access logs and deprecation warnings, and the
proxy's refusals, go to ``$RADAR_HOME/logs/ui.log``. Dagster binds to a free 127.0.0.1 port that only the proxy
knows; the proxy and the report server run in this process (asyncio), the two UIs as children.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from pipelines.lib.core.config import UiSettings
from pipelines.lib.core.paths import REPO_ROOT, RadarPaths
from pipelines.lib.core.urls import MLFLOW_URL_ENV, REPORTS_URL_ENV, local_base
from pipelines.lib.ui.guard import HostGuard
from pipelines.lib.ui.proxy import proxy_app
from pipelines.lib.ui.reports import reports_app


class UiError(RuntimeError):
    """`radar ui` cannot start or lost a child; the message is the one line to show."""


@dataclass(frozen=True)
class Started:
    """What the terminal is told once everything listens."""

    dagster: str
    mlflow: str
    reports: str
    log: Path


def prepare_tracking(paths: RadarPaths, experiment: str) -> str:
    """Create (and migrate) the MLflow store before `mlflow ui` opens it, since two first migrations race;
    returns the experiment id. MLflow's INFO lines about it are not for the terminal."""
    import mlflow  # noqa: F401 - configures MLflow's logger, whose level is set after

    from pipelines.lib.core.tracking import Tracking

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    return Tracking.for_home(paths, experiment).experiment_id()


def free_local_port() -> int:
    """A port on 127.0.0.1 nobody listens on now, for Dagster's webserver behind the proxy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UI_LOGS_KEPT = 3  # ui.log.1 ... ui.log.3: the last three `radar ui` sessions before this one


def rotate(path: Path, *, keep: int = UI_LOGS_KEPT) -> None:
    """Start a fresh log per `radar ui` session, keeping the last ``keep`` ones as ``<name>.1`` (newest) on.

    Per session rather than by size: the children (Dagster, MLflow) write to the file through their own
    descriptors, which a size-based rotation in this process would leave writing to the renamed file."""
    if not path.exists() or path.stat().st_size == 0:
        return
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def _log_to(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    rotate(path)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("radar.ui", "aiohttp.access", "aiohttp.server", "aiohttp.web"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


def _children(paths: RadarPaths, ui: UiSettings, dagster_port: int, log, env: dict[str, str]):
    bin_dir = Path(sys.executable).parent
    mlflow_hosts = sorted(
        {f"{name}:{ui.mlflow_port}" for name in ("127.0.0.1", "localhost", ui.host)}
        | {h if ":" in h else f"{h}:{ui.mlflow_port}" for h in ui.allowed_hosts}
    )
    commands = {
        "dagster": [
            str(bin_dir / "dagster"),
            "dev",
            "-w",
            str(REPO_ROOT / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(dagster_port),
        ],
        "mlflow": [
            str(bin_dir / "mlflow"),
            "ui",
            "--backend-store-uri",
            paths.tracking_uri,
            "--default-artifact-root",
            paths.mlflow_artifacts.as_uri(),
            "--host",
            ui.host,
            "--port",
            str(ui.mlflow_port),
            "--workers",
            "1",
            # MLflow's own DNS-rebinding check; only widened when the user names more hosts.
            *(["--allowed-hosts", ",".join(mlflow_hosts)] if ui.allowed_hosts else []),
        ],
    }
    return {
        name: subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }


def stop_children(procs: list[subprocess.Popen]) -> None:
    """Stop both UIs and everything they started, then return.

    `dagster dev` runs its webserver, daemon and code server in sessions of their own, where a signal to its
    process group does not reach them, and they outlive it bound to their ports. So the whole tree is listed
    first; the UIs get SIGINT (their own clean shutdown), and whatever of the tree still runs after that is
    stopped by pid."""
    from pipelines.lib.core.processes import descendants, stop_processes

    tree = [pid for p in procs for pid in (p.pid, *descendants(p.pid))]
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGINT)
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=20)
    stop_processes(tree, timeout=10)


async def _listen(app: web.Application, host: str, port: int, what: str) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=logging.getLogger("aiohttp.access"), handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise UiError(f"cannot serve the {what} on {host}:{port}: {exc.strerror or exc}") from exc
    return runner


def serve(paths: RadarPaths, ui: UiSettings, *, announce: Callable[[Started], None]) -> None:
    """Serve until SIGINT/SIGTERM or until a UI exits (which raises `UiError` naming it and the log)."""
    asyncio.run(_serve(paths, ui, announce))


async def _serve(paths: RadarPaths, ui: UiSettings, announce: Callable[[Started], None]) -> None:
    log_path = paths.home / "logs" / "ui.log"
    handler = _log_to(log_path)
    links = ui.links(paths)
    dagster_port = free_local_port()
    try:
        guards = [
            HostGuard.for_server(host=ui.host, port=port, extra_hosts=ui.allowed_hosts)
            for port in (ui.dagster_port, ui.reports_port)
        ]
    except ValueError as exc:
        raise UiError(str(exc)) from exc
    proxy = proxy_app(f"http://127.0.0.1:{dagster_port}", guards[0])
    report_server = reports_app(reports=paths.reports, data_docs=paths.data_docs.parent, guard=guards[1])
    runners = [await _listen(proxy, ui.host, ui.dagster_port, "Dagster UI")]
    try:
        runners.append(await _listen(report_server, ui.host, ui.reports_port, "reports"))
        bin_dir = Path(sys.executable).parent
        env = {
            **os.environ,
            # dagster-dbt looks for `dbt` on PATH when the UI prepares the project; the venv's own comes first.
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            # Runs launched from the UI link to the ports served here ("" = no server: file:// links).
            REPORTS_URL_ENV: links.reports_url or "",
            MLFLOW_URL_ENV: links.mlflow_url or "",
        }
        with log_path.open("ab") as log:
            log.write(
                f"--- radar ui: Dagster webserver on 127.0.0.1:{dagster_port} behind the proxy\n".encode()
            )
            log.flush()
            children = _children(paths, ui, dagster_port, log, env)
        try:
            announce(
                Started(
                    dagster=local_base(ui.host, ui.dagster_port),
                    mlflow=local_base(ui.host, ui.mlflow_port),
                    reports=local_base(ui.host, ui.reports_port),
                    log=log_path,
                )
            )
            await _until_stopped(children, log_path)
        finally:
            await asyncio.get_running_loop().run_in_executor(None, stop_children, list(children.values()))
    finally:
        for runner in runners:
            await runner.cleanup()
        handler.close()


async def _until_stopped(children: dict[str, subprocess.Popen], log_path: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Explicit handlers: a process started in the background by a script inherits SIGINT as ignored.
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            ended = [name for name, p in children.items() if p.poll() is not None]
            if ended:
                raise UiError(f"the {' and '.join(ended)} UI stopped; see {log_path}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
