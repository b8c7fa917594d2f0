"""Online scoring benchmark: latency and throughput of `radar serve` on loopback, against a real uvicorn.

Starts `radar serve` on a free port for a data home with a finished run (default $RADAR_HOME), waits for /health,
then measures with concurrent httpx async clients on the same machine:

- `GET /customers/{id}` (the stored score), one random active customer per request;
- `POST /score` with one posted feature row (scored live by the champion);
- `POST /score` with `{"customer_id": ...}` (live, the feature row read from the snapshot the API holds);
- `POST /score` batches of 100 and 1,000 rows (throughput in rows per second).

Latency is per request as the client sees it (send to full response), p50 and p99, at 1 and at 8 concurrent
clients, and as the server measured it (its `Server-Timing` header: arrival to response, so without the
network and the client, but with any wait for a CPU inside the server process). The client runs on the same cores as the server, so on a 2-core machine it takes CPU from it. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_serve.py [--home DIR] [--requests 2000]

Then the CPU time per request of the two one-customer paths, in-process through FastAPI's TestClient (which adds
its own overhead, so an upper bound). Prints a Markdown table and appends one JSON line to benchmarks/results.jsonl (`"bench": "serve"`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from pipelines.lib.core.paths import REPO_ROOT, RadarPaths
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats

RESULTS = Path(__file__).with_name("results.jsonl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "RADAR_HOME": str(home), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"radar serve exited with {proc.returncode}")
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
        except httpx.TransportError:
            time.sleep(0.25)
            continue
        if not health.get("champion_version"):
            raise SystemExit(f"no champion in {home}: {health}")
        return proc
    raise SystemExit("radar serve did not answer /health within 180 s")


def _rows(home: Path) -> list[dict]:
    """The newest snapshot's rows as a client posts them (JSON numbers, null for a missing value)."""
    with connect(home / "warehouse.duckdb", read_only=True) as con:
        frame = feats.latest_snapshot(con)
    names = [c for c in frame.columns if c not in {"snapshot_date", "observed_months"}]
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items() if k in names}
        for r in frame[names].to_dict("records")
    ]


async def _measure(base: str, make, *, requests: int, concurrency: int) -> dict[str, float]:
    """``requests`` calls of ``make(client)`` spread over ``concurrency`` concurrent clients."""
    latencies: list[float] = []
    server: list[float] = []
    queue = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for _ in range(min(20, requests)):  # warm-up: connections, caches
            (await make(client)).raise_for_status()

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await make(client)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                server.append(float(response.headers["server-timing"].split("dur=")[1]))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "server_p50_ms": round(float(np.percentile(server, 50)), 2),
        "server_p99_ms": round(float(np.percentile(server, 99)), 2),
        "requests_per_s": round(requests / wall, 1),
    }


async def _run(base: str, rows: list[dict], *, requests: int) -> list[dict]:
    rng = random.Random(0)
    ids = [r["customer_id"] for r in rows]
    cases = {
        "GET /customers/{id} (stored)": (1, lambda c: c.get(f"/customers/{rng.choice(ids)}")),
        "POST /score, 1 posted row (live)": (1, lambda c: c.post("/score", json=[rng.choice(rows)])),
        "POST /score, customer_id (live)": (
            1,
            lambda c: c.post("/score", json={"customer_id": rng.choice(ids)}),
        ),
        "POST /score, 100 rows": (100, lambda c: c.post("/score", json=rng.choices(rows, k=100))),
        "POST /score, 1000 rows": (1000, lambda c: c.post("/score", json=rng.choices(rows, k=1000))),
    }
    out = []
    for name, (batch, make) in cases.items():
        for concurrency in (1, 8):
            n = max(40, requests // batch) if batch > 1 else requests
            figures = await _measure(base, make, requests=n, concurrency=concurrency)
            out.append(
                {
                    "case": name,
                    "rows_per_request": batch,
                    "concurrency": concurrency,
                    "requests": n,
                    **figures,
                    "rows_per_s": round(figures["requests_per_s"] * batch, 0),
                }
            )
            print(out[-1], flush=True)
    return out


def _cpu_cost(home: Path, rows: list[dict], *, calls: int = 500) -> dict[str, float]:
    """CPU milliseconds per request of the two one-customer paths, in-process (no HTTP) and by `process_time`,
    which counts only the time the process ran: a figure the machine's other load barely moves."""
    from fastapi.testclient import TestClient

    from pipelines.lib.core.config import load_config
    from pipelines.lib.serve.app import create_app

    rng = random.Random(1)
    with TestClient(create_app(RadarPaths(home), load_config())) as client:
        paths = {
            "stored": lambda: client.get(f"/customers/{rng.choice(rows)['customer_id']}"),
            "live_one_row": lambda: client.post("/score", json=[rng.choice(rows)]),
        }
        out = {}
        for name, call in paths.items():
            for _ in range(20):
                call().raise_for_status()
            costs = []
            for _ in range(calls):
                started = time.process_time()
                call()
                costs.append((time.process_time() - started) * 1000)
            out[f"{name}_cpu_ms_median"] = round(float(np.median(costs)), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=RadarPaths.from_env().home)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    home = args.home.resolve()
    rows = _rows(home)
    port = _free_port()
    load_before = os.getloadavg()
    proc = _start(home, port)
    try:
        cases = asyncio.run(_run(f"http://127.0.0.1:{port}", rows, requests=args.requests))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    cpu = _cpu_cost(home, rows)
    load_after = os.getloadavg()
    record = {
        "bench": "serve",
        "customers": len(rows),
        "features": len(rows[0]) - 1,
        "cases": cases,
        **cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_before": round(load_before[0], 1),
        "load_average_1m_after": round(load_after[0], 1),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    with RESULTS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(
        "\n| case | clients | requests | p50 | p99 | server p50 | server p99 | requests/s | rows/s |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    for c in cases:
        print(
            f"| {c['case']} | {c['concurrency']} | {c['requests']} | {c['p50_ms']} ms | {c['p99_ms']} ms | "
            f"{c['server_p50_ms']} ms | {c['server_p99_ms']} ms | {c['requests_per_s']:,} | {c['rows_per_s']:,.0f} |"
        )
    print(f"\nCPU per request in-process through TestClient (median): {cpu}")
    print(
        f"\nload average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f}; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
