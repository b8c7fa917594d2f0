"""Churn and value baselines on transaction-only data (accounts and orders), as a real retail log gives them.

For each data set (the simulator's ``--transactions-only`` mode, several seeds and sizes) and each of a few
cut-offs ``t``, the customers active at ``t`` (an order in the 365 days up to it) are labelled from the raw orders
(churned = no order in ``(t, t + horizon]``) and scored by four baselines that see only the orders up to ``t``
(``transaction_baselines.py``): recency, an RFM logistic regression, an untuned LightGBM on about twenty RFM
features, and BG/NBD's probability of no purchase in the horizon. Value: BG/NBD + Gamma-Gamma's predicted revenue
against the revenue that followed, over 12 months where they are observable, else over the horizon (the row's
``value_window_days`` says which), beside the naive forecast "the same as the window before".

A second block scores the pipeline's own champion on the same labels: ``radar run --sources DIR --config CFG
--as-of t`` in a subprocess with a fresh ``RADAR_HOME``, then ``scores.customer_scores`` from its warehouse.
``--baselines-only`` skips it.

    PYTHONPATH=. .venv/bin/python benchmarks/real_data.py --baselines-only
    PYTHONPATH=. .venv/bin/python benchmarks/real_data.py --config my-radar.yaml --datasets 2000x14s1

Rows are appended to ``benchmarks/real_data_results.jsonl``; a table is printed. Evaluation only: the simulator's
``_truth/`` is not read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import transaction_baselines as tb  # a sibling module of this script

from pipelines.lib.simulate.retail import generate_transactions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "real_data_results.jsonl"
DEFAULT_DATASETS = ("2000x14s1", "2000x14s2", "2000x24s1", "2000x24s2", "10000x24s3")
END = dt.date(2026, 10, 31)
CUTOFFS_PER_DATASET = 3
VALUE_DAYS = 365
FULL_LOG = re.compile(r"\s*\(full log: [^)]*\)?")


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: Path
    orders: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS), metavar="NxMsS")
    parser.add_argument(
        "--sources", nargs="*", type=Path, default=[], help="Folders of accounts + orders too."
    )
    parser.add_argument("--horizon-days", type=int, default=90)
    parser.add_argument("--baselines-only", action="store_true", help="Do not run the pipeline's champion.")
    parser.add_argument(
        "--config", type=Path, default=ROOT / "radar.yaml", help="Config for the champion run."
    )
    parser.add_argument(
        "--champion-mode",
        choices=["as-of", "truncate"],
        default="as-of",
        help="as-of: radar run --as-of t on the whole folder; truncate: radar run on a copy of accounts and "
        "orders cut at t (needs no --as-of).",
    )
    parser.add_argument("--cutoffs", nargs="+", type=pd.Timestamp, help="Instead of the chosen month-ends.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    rows: list[dict] = []
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="radar-real-data-") as scratch:
        for data in _datasets(args.datasets, args.sources, Path(scratch)):
            for t in args.cutoffs or pick_cutoffs(data.start, data.end, args.horizon_days):
                started = time.perf_counter()
                found, baselines = evaluate_baselines(data, t, args.horizon_days)
                rows += _append(args.out, found, run_id=run_id, seconds=time.perf_counter() - started)
                if not args.baselines_only:  # after the baselines are saved: a failed run raises
                    started = time.perf_counter()
                    truncate = args.champion_mode == "truncate"
                    try:
                        scores = champion_scores(
                            data.folder, config=args.config, as_of=t.date(), truncate=truncate
                        )
                    except RuntimeError as exc:
                        # The pipeline refused with its one line (e.g. too little history for the horizon):
                        # recorded as a cut-off it did not score, and the benchmark goes on.
                        line = refusal_line(str(exc))
                        print(f"{data.name} {t.date()}: no champion scores: {line}")
                        champion = [_unscored(data, t, args.horizon_days, line)]
                    else:
                        champion = [
                            score_champion(scores, data, t, args.horizon_days, baselines, truncated=truncate),
                            champion_value(scores, data, t, args.horizon_days),
                        ]
                    rows += _append(args.out, champion, run_id=run_id, seconds=time.perf_counter() - started)
    print(summary_table(rows))
    return 0


def _datasets(names: list[str], folders: list[Path], scratch: Path) -> Iterator[Dataset]:
    for name in names:
        size, rest = name.split("x")
        months, seed = rest.split("s")
        folder = scratch / name
        generate_transactions(folder, customers=int(size), months=int(months), seed=int(seed), end=END)
        start = pd.Timestamp(END) + pd.Timedelta(days=1) - pd.DateOffset(months=int(months))
        yield Dataset(f"sim-{name}", folder, _orders(folder), start, pd.Timestamp(END))
    for folder in folders:
        orders = _orders(folder)
        yield Dataset(folder.name, folder, orders, orders["order_date"].min(), orders["order_date"].max())


def _orders(folder: Path) -> pd.DataFrame:
    path = next(p for p in (folder / "orders.parquet", folder / "orders.csv") if p.is_file())
    frame = (
        pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"customer_id": str})
    )
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(str),
            "order_date": pd.to_datetime(frame["order_date"]).dt.normalize(),
            "amount": frame["amount"].astype(float),
        }
    )


def pick_cutoffs(start: pd.Timestamp, end: pd.Timestamp, horizon_days: int) -> list[pd.Timestamp]:
    """Month-ends whose horizon is observed and whose trained baselines have a training cut-off; evenly spread,
    the newest always, plus the newest whose next 12 months are observed (for the 12-month value), if any."""
    month_ends = pd.date_range(start, end, freq="ME")
    eligible = [
        t
        for t in month_ends
        if t + pd.Timedelta(days=horizon_days) <= end and tb.training_cutoffs(t, horizon_days, start)
    ]
    if not eligible:
        return []
    step = max(1, len(eligible) // CUTOFFS_PER_DATASET)
    chosen = set(eligible[::-step][:CUTOFFS_PER_DATASET])
    yearly = [t for t in eligible if t + pd.Timedelta(days=VALUE_DAYS) <= end]
    if yearly:
        chosen.add(yearly[-1])
    return sorted(chosen)


def evaluate_baselines(
    data: Dataset, t: pd.Timestamp, horizon_days: int
) -> tuple[list[dict], list[tb.Scores]]:
    """One row per baseline at cut-off ``t`` and one for each value forecast; and the baselines' scores, to be
    compared with the champion's on the customers it scored."""
    labels = tb.active_labels(data.orders, t, horizon_days)
    features = tb.rfm_features(data.orders, t, horizon_days, data.start).loc[labels.index]
    trained, train_cutoffs = tb.trained_baselines(data.orders, t, horizon_days, data.start, features)
    fit = tb.fit_btyd(data.orders, t)
    common = {
        "dataset": data.name,
        "cutoff": t.date().isoformat(),
        "horizon_days": horizon_days,
        "active": int(labels.size),
        "churn_rate": round(float(labels.mean()), 4),
    }
    rows = []
    baselines = [tb.recency_baseline(features), *trained, tb.bgnbd_baseline(fit, labels.index, horizon_days)]
    for scores in baselines:
        row = common | {"task": "churn", "model": scores.model} | tb.churn_metrics(scores, labels)
        if scores.model in ("rfm_logistic", "lightgbm_rfm"):
            row["train_cutoffs"] = [c.date().isoformat() for c in train_cutoffs]
        if scores.model == "bgnbd":
            row["params"] = {k: round(v, 4) for k, v in vars(fit.purchases).items()}
        rows.append(row)
    days = VALUE_DAYS if t + pd.Timedelta(days=VALUE_DAYS) <= data.end else horizon_days
    actual = tb.future_revenue(data.orders, t, days, labels.index)
    before = tb.future_revenue(data.orders, t - pd.Timedelta(days=days), days, labels.index)
    forecasts = {
        "bgnbd_gamma_gamma": tb.btyd_revenue(fit, labels.index, days),
        "naive_previous_window": before,
    }
    for name, predicted in forecasts.items():
        row = common | {"task": "value", "model": name, "value_window_days": days}
        row |= tb.value_metrics(predicted, actual)
        if name == "bgnbd_gamma_gamma":
            row["params"] = {k: round(v, 4) for k, v in vars(fit.spend).items()}
        rows.append(row)
    return rows, baselines


def score_champion(
    scores: pd.DataFrame,
    data: Dataset,
    t: pd.Timestamp,
    horizon_days: int,
    baselines: list[tb.Scores],
    *,
    truncated: bool = False,
) -> dict:
    """The champion's ``scores`` (customer_id, churn_probability) on the same labels and metrics as the
    baselines; and, since it may score only some of the active customers, each baseline's ROC-AUC, PR-AUC and Brier on
    exactly the customers it scored (``on_champion_scored``), and the churn rate of those it left out."""
    labels = tb.active_labels(data.orders, t, horizon_days)
    probability = scores.set_index("customer_id")["churn_probability"]
    result = tb.churn_metrics(tb.Scores("champion", probability, probabilistic=True), labels)
    scored = labels.index.isin(probability.dropna().index)
    same = {}
    for baseline in baselines:
        figures = tb.churn_metrics(baseline, labels[scored])
        same[baseline.model] = {
            k: round(v, 4) for k, v in figures.items() if k in ("roc_auc", "pr_auc", "brier")
        }
    return {
        "dataset": data.name,
        "cutoff": t.date().isoformat(),
        "horizon_days": horizon_days,
        "active": int(labels.size),
        "churn_rate": round(float(labels.mean()), 4),
        "task": "churn",
        "model": "champion_truncated" if truncated else "champion",
        "pipeline_scored": int(probability.notna().sum()),
        "scored_not_active": int((~probability.index.isin(labels.index)).sum()),
        "churn_rate_scored": round(float(labels[scored].mean()), 4) if scored.any() else None,
        "churn_rate_not_scored": round(float(labels[~scored].mean()), 4) if (~scored).any() else None,
        "on_champion_scored": same,
    } | result


def champion_value(scores: pd.DataFrame, data: Dataset, t: pd.Timestamp, horizon_days: int) -> dict:
    """The pipeline's predicted 12-month revenue against the revenue that followed ``t``, on the same customers and
    window as the BG/NBD + Gamma-Gamma row of this cut-off (Spearman compares rankings, so a 12-month forecast is
    fairly judged on a shorter window too). A customer the pipeline left unvalued counts as 0."""
    labels = tb.active_labels(data.orders, t, horizon_days)
    days = VALUE_DAYS if t + pd.Timedelta(days=VALUE_DAYS) <= data.end else horizon_days
    actual = tb.future_revenue(data.orders, t, days, labels.index)
    predicted = scores.set_index("customer_id")["predicted_revenue_12m"].reindex(labels.index)
    return {
        "dataset": data.name,
        "cutoff": t.date().isoformat(),
        "horizon_days": horizon_days,
        "active": int(labels.size),
        "task": "value",
        "model": "champion_value",
        "value_window_days": days,
        "valued": int(predicted.notna().sum()),
    } | tb.value_metrics(predicted.fillna(0.0), actual)


def refusal_line(message: str) -> str:
    """The pipeline's one line from a failed run's message, without the path of the log it kept: that data home
    is of this machine only, and the results file is committed."""
    line = next((x for x in message.splitlines() if "churn_model" in x), message)
    return FULL_LOG.sub("", line)[:400]


def _unscored(data: Dataset, t: pd.Timestamp, horizon_days: int, line: str) -> dict:
    return {
        "dataset": data.name,
        "cutoff": t.date().isoformat(),
        "horizon_days": horizon_days,
        "task": "churn",
        "model": "champion",
        "coverage": 0.0,
        "note": line,
    }


def champion_scores(sources: Path, *, config: Path, as_of: dt.date, truncate: bool = False) -> pd.DataFrame:
    """``radar run --sources --config --as-of`` in a subprocess with its own temporary ``RADAR_HOME``, then the
    newest ``scores.customer_scores`` (customer_id, churn_probability) of its warehouse. A failed run raises with
    the tail of the run's log and keeps that data home, so that a broken pipeline never reads as a weak model.

    ``truncate`` runs without ``--as-of`` on a copy of ``accounts`` and ``orders`` that ends at ``as_of``
    (transaction-only sources): the same information as an as-of run, for a pipeline without the flag."""
    home = Path(tempfile.mkdtemp(prefix="radar-home-"))
    if truncate:
        sources = truncated_copy(sources, as_of, home / "sources")
    command = [*_radar_command(), "run", "--sources", str(sources), "--config", str(config)]
    if not truncate:
        command += ["--as-of", as_of.isoformat()]
    env = os.environ | {"RADAR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the data home stays for a look at the run (decisions, MLflow, logs)
        log = home / "logs" / "last_run.log"
        tail = log.read_text()[-3000:] if log.is_file() else ""
        raise RuntimeError(
            f"radar run as of {as_of} exited {done.returncode} (data home kept: {home}): "
            f"{done.stderr.strip()[-2000:]}\n{tail}"
        )
    try:
        return read_champion_scores(home / "warehouse.duckdb")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def read_champion_scores(warehouse: Path) -> pd.DataFrame:
    """The newest scoring date's (customer_id, churn_probability, predicted_revenue_12m) from a data home's
    warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """select customer_id::varchar as customer_id, churn_probability, predicted_revenue_12m
               from scores.customer_scores
               where as_of = (select max(as_of) from scores.customer_scores)"""
        ).df()


def truncated_copy(sources: Path, as_of: dt.date, out: Path) -> Path:
    """``accounts`` created and ``orders`` placed on or before ``as_of``, in the format they came in; the other
    tables are not copied (this is for transaction-only sources)."""
    out.mkdir(parents=True)
    date_column = {"accounts": "created_at", "orders": "order_date"}
    with duckdb.connect() as con:
        for table, column in date_column.items():
            path = next(p for p in (sources / f"{table}.parquet", sources / f"{table}.csv") if p.is_file())
            reader = "read_parquet(?)" if path.suffix == ".parquet" else "read_csv(?, all_varchar = true)"
            options = "(format parquet)" if path.suffix == ".parquet" else "(header)"
            kept = f"select * from {reader} where try_cast({column} as date) <= ?::date"
            con.execute(f"copy ({kept}) to '{out / path.name}' {options}", [str(path), as_of.isoformat()])
    return out


def _radar_command() -> list[str]:
    script = Path(sys.executable).with_name("radar")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main())"]


def _append(path: Path, rows: list[dict], *, run_id: str, seconds: float) -> list[dict]:
    """Stamp the rows with the run, the time taken and the machine's load, and append them as JSON lines."""
    stamp = {"bench": "real_data", "run_id": run_id, "seconds": round(seconds, 1)}
    stamp["load_avg_1m"] = round(os.getloadavg()[0], 2)
    rows = [row | stamp for row in rows]
    with path.open("a") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def summary_table(rows: list[dict]) -> str:
    """Churn rows: mean (min-max) over the cut-offs of each data set; value rows likewise."""
    if not rows:
        return "no cut-off had enough history"
    frame = pd.DataFrame(rows)
    parts = []
    churn = frame[frame["task"] == "churn"]
    if not churn.empty:
        parts.append(_aggregate(churn, ["churn_rate", "roc_auc", "pr_auc", "brier", "coverage"]))
    value = frame[frame["task"] == "value"].astype({"value_window_days": int})
    if not value.empty:
        parts.append(_aggregate(value, ["spearman", "mae", "actual_mean"], by=["value_window_days"]))
    return "\n\n".join(parts)


def _aggregate(frame: pd.DataFrame, metrics: list[str], *, by: tuple[str, ...] | list[str] = ()) -> str:
    """Means over the cut-offs of each data set and model (and of each ``by`` value)."""
    metrics = [m for m in metrics if m in frame]
    grouped = frame.groupby(["dataset", *by, "model"], sort=False)
    table = grouped[metrics].mean().round(3)
    table.insert(0, "cut-offs", grouped.size())
    table.insert(1, "active", grouped["active"].mean().round(0).astype(int))
    return tabulate(table.reset_index(), headers="keys", tablefmt="github", showindex=False, floatfmt=".3f")


if __name__ == "__main__":
    sys.exit(main())
