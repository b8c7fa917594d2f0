"""dbt benchmark: wall time and peak memory of `dbt build` (every model, data test and unit test) on DuckDB.

For each size: simulate the sources (Parquet, seed 42), load them into a fresh raw zone as the ingest assets do
(timed apart), then run `dbt build` with the default `radar.yaml` vars in its own process, as the Dagster asset
does. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_dbt.py 2000x36 20000x36 [--out DIR]

Prints one Markdown table row per size, the slowest models, and appends a JSON line to benchmarks/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import DBT_PROJECT_DIR
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.simulate import generate_sources


def _load_raw_zone(warehouse: Path, sources: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for table in CONTRACT:
            load_table(con, table, sources)


def run(customers: int, months: int, out: Path) -> dict[str, object]:
    work = out / f"dbt_bench_{customers}x{months}"
    shutil.rmtree(work, ignore_errors=True)
    sources, home = work / "sources", work / "home"
    home.mkdir(parents=True)
    rows = generate_sources(sources, customers=customers, months=months, seed=42)
    warehouse = home / "warehouse.duckdb"
    started = time.perf_counter()
    _load_raw_zone(warehouse, sources)
    load_seconds = time.perf_counter() - started

    env = {**os.environ, "RADAR_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--vars",
        json.dumps(RadarConfig().dbt_vars()),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=True, capture_output=True)
    build_seconds = time.perf_counter() - started
    peak_kib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)

    run_results = json.loads((work / "target" / "run_results.json").read_text())
    timings = sorted(
        ((r["execution_time"], r["unique_id"].split(".")[-1]) for r in run_results["results"]), reverse=True
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        snapshots = con.execute("select count(*) from marts.customer_features").fetchone()[0]
    result = {
        "bench": "dbt_build",
        "customers": customers,
        "months": months,
        "raw_rows": sum(v for k, v in rows.items() if not k.startswith("_")),
        "raw_load_seconds": round(load_seconds, 1),
        "dbt_build_seconds": round(build_seconds, 1),
        "dbt_nodes": len(run_results["results"]),
        "feature_rows": snapshots,
        "peak_rss_mib": round(peak_kib / 1024),
        "warehouse_mib": round(warehouse.stat().st_size / 2**20),
        "slowest": [{"node": name, "seconds": round(seconds, 1)} for seconds, name in timings[:5]],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", help="CUSTOMERSxMONTHS, e.g. 20000x36")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    results = Path(__file__).with_name("results.jsonl")
    sizes = sorted((tuple(int(x) for x in s.split("x")) for s in args.sizes), key=lambda s: s[0] * s[1])
    for customers, months in sizes:
        result = run(customers, months, args.out)
        with results.open("a") as fh:
            fh.write(json.dumps(result) + "\n")
        print(
            f"| {customers:,} × {months} | {result['raw_rows']:,} | {result['raw_load_seconds']} s | "
            f"{result['dbt_build_seconds']} s | {result['feature_rows']:,} | {result['peak_rss_mib']:,} MiB | "
            f"{result['warehouse_mib']:,} MiB |",
            flush=True,
        )
        print("  slowest:", ", ".join(f"{s['node']} {s['seconds']} s" for s in result["slowest"]), flush=True)


if __name__ == "__main__":
    main()
