"""Pipeline benchmark: `radar run` end to end on generated Parquet sources, then a re-run with one month more.

For each size (``CUSTOMERSxMONTHS``), in its own process:

1. Sources, generated once and cached by size under ``benchmarks/.cache/pipeline/``: ``radar generate`` writes
   MONTHS + 1 months (seed 42, end 2026-10-31) and the delivery of one month earlier is cut from it
   (``write_earlier_delivery``: every row dated up to the month before), so the second delivery repeats every row of
   the first and adds one month, as a monthly full export does. The simulator draws its population over the whole
   calendar, so generating MONTHS months would be another world rather than the same one a month earlier.
2. ``radar run --sources <first>`` in a fresh data home, then ``radar score --sources <second>`` on the same home
   (the monthly run: no training; ``--rerun-command run`` retrains instead, as every re-run did before).
   Each run is started by a fresh measuring process, so its figures are that run's alone: wall time, CPU seconds
   (user + system of the radar process and every child it waited for, dbt included) and peak RSS (``ru_maxrss``
   of RUSAGE_CHILDREN: the largest single process, radar or dbt, not their sum). Every Dagster step's time comes
   from the data home's instance (``get_run_step_stats``).

One JSON line per run goes to ``benchmarks/results.jsonl`` (``"bench": "pipeline"``, with the machine's load
average before and after, the git commit of the code that ran, and the raw zone's row count), and a table is
printed. ``--code DIR`` runs another checkout's pipeline (e.g. ``--code ../main`` to compare with main's checkout); the
sources and this script stay the same. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pipeline.py 2000x36 10000x36 [--code DIR] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
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

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.jsonl"
CACHE = BENCH_DIR / ".cache" / "pipeline"
SEED, END = 42, dt.date(2026, 10, 31)
MARKER = "BENCH_RESULT "


def _size(text: str) -> tuple[int, int]:
    try:
        customers, months = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: write CUSTOMERSxMONTHS, e.g. 10000x36") from None
    if customers < 10 or months < 19:
        raise argparse.ArgumentTypeError(
            f"size {text!r}: at least 10 customers and 19 months (the history gate)"
        )
    return customers, months


def _radar() -> str:
    return str(Path(sys.executable).parent / "radar")


def _sources(customers: int, months: int) -> tuple[Path, Path]:
    """The two deliveries of one size, generated once: (MONTHS months, MONTHS + 1 months)."""
    from pipelines.lib.simulate import SIMULATOR_VERSION
    from pipelines.lib.simulate.earlier_delivery import write_earlier_delivery

    folder = CACHE / f"{customers}x{months}"
    first, second = folder / "first", folder / "second"
    wanted = {"customers": customers, "months": months, "seed": SEED, "end": END.isoformat()}
    wanted["simulator_version"] = SIMULATOR_VERSION
    marker = folder / "_generated.json"
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return first, second
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [_radar(), "generate", "--customers", str(customers), "--months", str(months + 1)]
    command += ["--seed", str(SEED), "--end", END.isoformat(), "--format", "parquet", "--out", str(second)]
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    write_earlier_delivery(second, first, cutoff=END.replace(day=1) - dt.timedelta(days=1))
    marker.write_text(json.dumps(wanted))
    return first, second


def portable(text: str, places: dict[Path, str]) -> str:
    """``text`` with each of this machine's ``places`` named by its label: results.jsonl is committed, and a
    path of one machine means nothing on another (nor should it say whose it was)."""
    for path, label in sorted(places.items(), key=lambda item: -len(str(item[0]))):
        text = text.replace(str(path), label)
    return text


def _measure(home: Path, sources: Path, code: Path, command: str = "run") -> None:
    """In a fresh process: run `radar <command>` once and print its own figures (see the module docstring)."""
    env = {**os.environ, "RADAR_HOME": str(home), "PYTHONPATH": str(code)}
    env.pop("RADAR_CONFIG", None)
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    done = subprocess.run(
        [_radar(), command, "--sources", str(sources)],
        env=env,
        cwd=code,
        check=False,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "exit_code": done.returncode,
        # What radar said when the run failed (its verdict lines), so a failed measurement says why.
        **(
            {
                "radar_output": [
                    portable(line, {code: "<code>", home: "<home>", sources: "<sources>"})
                    for line in (done.stdout + done.stderr).strip().splitlines()[-8:]
                ]
            }
            if done.returncode
            else {}
        ),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
    }
    print(MARKER + json.dumps(figures), flush=True)


def _step_seconds(home: Path) -> dict[str, float]:
    """Every step of the data home's newest run and its time, from the Dagster instance's step stats."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        stats = instance.get_run_step_stats(runs[0].run_id)
    return {
        s.step_key: round(s.end_time - s.start_time, 1)
        for s in sorted(stats, key=lambda s: s.start_time or 0)
        if s.start_time is not None and s.end_time is not None
    }


def _raw_rows(home: Path) -> int:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
        return sum(con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for (t,) in tables)


def _commit(code: Path) -> dict[str, object]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(code), *args], capture_output=True, text=True).stdout.strip()

    # results.jsonl is what the benchmark itself appends, not a change of the code it measures.
    changed = git("status", "--porcelain", "--", ".", ":!benchmarks/results.jsonl")
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(changed)}


def _one_size(
    customers: int, months: int, code: Path, keep: bool, rerun: str = "score"
) -> list[dict[str, object]]:
    first, second = _sources(customers, months)
    home = Path(tempfile.mkdtemp(prefix=f"radar-bench-{customers}x{months}-"))
    results = []
    try:
        plan = (("first", first, months, "run"), ("rerun", second, months + 1, rerun))
        for run, sources, delivered, command in plan:
            load_before = [round(x, 2) for x in os.getloadavg()]
            measure = ["--measure", str(home), str(sources), "--code", str(code), "--command", command]
            measured = subprocess.run(
                [sys.executable, __file__, *measure],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [x for x in measured.stdout.splitlines() if x.startswith(MARKER)]
            if not lines:
                raise SystemExit(
                    f"{customers}x{months} {run}: the measuring process failed: {measured.stderr[-2000:]}"
                )
            figures = json.loads(lines[-1][len(MARKER) :])
            result = {
                "bench": "pipeline",
                "customers": customers,
                "months": months,
                "run": run,
                "command": f"radar {command}",
                "months_delivered": delivered,
                **figures,
                "steps": _step_seconds(home),
                "raw_rows": _raw_rows(home),
                "warehouse_mib": round((home / "warehouse.duckdb").stat().st_size / 2**20),
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
                # Which checkout, not where it lay on this machine (the commit says exactly what ran).
                "code": "this checkout" if code == REPO else code.name,
                **_commit(code),
                "python": platform.python_version(),
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            with RESULTS.open("a") as out:
                out.write(json.dumps(result) + "\n")
            results.append(result)
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return results


def _table(results: list[dict[str, object]]) -> str:
    lines = [
        "| customers × months | run | code | wall | CPU | peak RSS | raw rows | load avg | slowest steps |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        steps = sorted(r["steps"].items(), key=lambda kv: -kv[1])[:4]
        slowest = ", ".join(f"{k} {v:.0f} s" for k, v in steps)
        failed = "" if r["exit_code"] == 0 else f" (exit {r['exit_code']})"
        lines.append(
            f"| {r['customers']:,} × {r['months']} | {r['run']} ({r['months_delivered']} months, "
            f"{r.get('command', 'radar run')}){failed} "
            f"| {r['commit']}{'+' if r['dirty'] else ''} | {r['wall_seconds']:.0f} s | {r['cpu_seconds']:.0f} s "
            f"| {r['peak_rss_mib']:,} MiB | {r['raw_rows']:,} | {r['load_average_before'][0]:.1f} | {slowest} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=_size, help="CUSTOMERSxMONTHS, e.g. 2000x36 10000x36")
    parser.add_argument(
        "--code", type=Path, default=REPO, help="the checkout whose pipeline runs (default: this)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data homes (printed) instead of deleting"
    )
    parser.add_argument(
        "--rerun-command",
        choices=["score", "run"],
        default="score",
        help="the monthly re-run: `radar score` (no training, the default) or `radar run` (retrains)",
    )
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("HOME", "SOURCES"), help=argparse.SUPPRESS)
    parser.add_argument("--command", default="run", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=_size, help=argparse.SUPPRESS)
    args = parser.parse_args()
    code = args.code.resolve()
    if args.measure:
        _measure(args.measure[0], args.measure[1], code, args.command)
        return
    if args.size:
        for result in _one_size(*args.size, code, args.keep, args.rerun_command):
            print(MARKER + json.dumps(result), flush=True)
        return
    if not args.sizes:
        parser.error("give at least one size, e.g. 2000x36")
    results: list[dict[str, object]] = []
    for customers, months in args.sizes:
        command = [sys.executable, __file__, "--size", f"{customers}x{months}", "--code", str(code)]
        command += ["--rerun-command", args.rerun_command]
        if args.keep:
            command.append("--keep")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        found = [json.loads(x[len(MARKER) :]) for x in done.stdout.splitlines() if x.startswith(MARKER)]
        if done.returncode != 0 or not found:
            print(f"{customers}x{months}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
        results += found
        print(_table(found), flush=True)
    print()
    print(_table(results))


if __name__ == "__main__":
    main()
