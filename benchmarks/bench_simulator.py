"""Simulator benchmark: wall time, peak memory and output size of `generate_sources` at a few sizes.

Each size runs in its own process, so peak RSS (``ru_maxrss`` of the child) is that size's alone. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_simulator.py 100000x36 1000000x12 [--out DIR]

Results are printed as a Markdown table row per size and appended as JSON lines to benchmarks/results.jsonl.
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

CHILD = """
import sys, time, json
from pathlib import Path
from pipelines.lib.simulate import generate_sources
started = time.perf_counter()
rows = generate_sources(Path(sys.argv[1]), customers=int(sys.argv[2]), months=int(sys.argv[3]), seed=42)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def run(customers: int, months: int, out: Path) -> dict[str, object]:
    target = out / f"sim_{customers}x{months}"
    shutil.rmtree(target, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(target), str(customers), str(months)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    shutil.rmtree(target, ignore_errors=True)
    return {
        "customers": customers,
        "months": months,
        "generate_seconds": round(child["seconds"], 1),
        "process_seconds": round(wall, 1),
        # ru_maxrss of children is the max over all children so far; sizes run from small to large.
        "peak_rss_mib": round(max(peak_kib, before) / 1024),
        "output_mib": round(size / 2**20, 1),
        "usage_rows": child["rows"]["usage"],
        "total_rows": sum(v for k, v in child["rows"].items() if not k.startswith("_")),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", help="CUSTOMERSxMONTHS, e.g. 100000x36")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    results = Path(__file__).with_name("results.jsonl")
    sizes = sorted((tuple(int(x) for x in s.split("x")) for s in args.sizes), key=lambda s: s[0] * s[1])
    for customers, months in sizes:
        result = run(customers, months, args.out)
        with results.open("a") as fh:
            fh.write(json.dumps(result) + "\n")
        print(
            f"| {customers:,} × {months} | {result['generate_seconds']} s | {result['peak_rss_mib']:,} MiB | "
            f"{result['output_mib']} MiB | {result['total_rows']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
