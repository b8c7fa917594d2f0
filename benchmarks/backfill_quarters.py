"""Four-quarter backfill on an existing warehouse: one MLflow run per quarter, printed side by side.

Usage (after `radar demo`; writes MLflow runs into a separate store so the demo's registry is untouched):
    RADAR_HOME=.radar PYTHONPATH=. .venv/bin/python benchmarks/backfill_quarters.py /tmp/backfill-mlflow-home
An optional second argument names the sources folder (its `_truth/` gives the oracle); default: the demo's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import configure_mlflow
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.train import retrain
from pipelines.lib.train.quarters import training_cutoff

QUARTERS = ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]
SHOWN = [
    "roc_auc",
    "oracle_roc_auc",
    "baseline_logistic_roc_auc",
    "roc_auc_gain_vs_logistic_ci_low",
    "roc_auc_gain_vs_logistic_ci_high",
    "baseline_health_score_roc_auc",
    "pr_auc",
    "brier",
    "profit_threshold",
    "profit_precision",
    "profit_fpr",
    "expected_profit",
]


def main() -> None:
    paths, cfg = RadarPaths.from_env(), load_config()
    with connect(paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.labelled_snapshots(con, warmup_months=0)
        as_of = con.execute("select as_of_date from intermediate.int_data_window").fetchone()[0]
    configure_mlflow(RadarPaths(Path(sys.argv[1]).resolve()), cfg.training.experiment)
    print(
        "| quarter | cutoff | validation | train rows | seconds | "
        + " | ".join(f"`{m}`" for m in SHOWN)
        + " |"
    )
    print("| --- " * (5 + len(SHOWN)) + "|")
    for quarter in QUARTERS:
        started = time.perf_counter()
        cutoff = training_cutoff(quarter, as_of)
        context = retrain.RunContext(
            quarter=quarter,
            cutoff=cutoff,
            tags={},
            source_folder=Path(sys.argv[2]) if len(sys.argv) > 2 else paths.demo_sources,
        )
        s = retrain.train_quarter(frame, features, cfg, context)
        w, m = s["window"], s["metrics"]
        print(
            f"| {quarter} | {cutoff.date()} | {w['valid_start']} – {w['valid_end']} | {w['train_rows']} | "
            f"{time.perf_counter() - started:.0f} | "
            + " | ".join(f"{m.get(k, float('nan')):.3f}" for k in SHOWN)
            + " |"
        )


if __name__ == "__main__":
    main()
