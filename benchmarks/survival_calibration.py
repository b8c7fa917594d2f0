"""The time-to-churn model's calibration table, on a data home's warehouse (`radar demo` or `radar run`).

Fits the hazard model exactly as the `survival_model` asset does for the running quarter (warm-up, confirmation
lag, the same windows) and prints, per horizon, what the judged model (learnt from events before the
validation origins) predicted against what happened on those origins, with Brier and the cohort-rate Brier,
the Kaplan-Meier beside the mean predicted curve, and on demo data the simulator's true 3-month churn
probability (`_truth/churn_probability`, horizon 90 days) on the same origins. Evaluation only: it reads the
truth, which the pipeline never does.

    RADAR_HOME=.radar PYTHONPATH=. .venv/bin/python benchmarks/survival_calibration.py [sources folder]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.train import hazard, training
from pipelines.lib.train.oracle import with_truth


def main() -> None:
    paths, cfg = RadarPaths.from_env(), load_config()
    sources = Path(sys.argv[1]) if len(sys.argv) > 1 else paths.home / "demo_sources"
    with connect(paths.warehouse, read_only=True) as con:
        features = feats.feature_columns(con)
        frame = feats.typed_features(
            con.execute("select * from marts.customer_features order by snapshot_date, customer_id").df()
        )
        as_of = pd.Timestamp(con.execute("select as_of_date from intermediate.int_data_window").fetchone()[0])
    origins = training.covered_snapshots(frame, warmup_months=cfg.training.warmup_months)
    start = time.perf_counter()
    fit = hazard.fit_hazard(origins, features, cutoff=as_of, lag_days=cfg.churn.confirmation_lag_days)
    seconds = time.perf_counter() - start
    w, m = fit.window, fit.metrics
    print(
        f"data up to {as_of.date()}, observed through {w['observed_through']}; validation origins "
        f"{w['valid_start']} … {w['valid_end']} ({w['valid_origins']:,}, {w['valid_follow_up_months']} months "
        f"followed up); {w['fit_rows']:,} + {w['early_stopping_rows']:,} customer-months to learn and stop on, "
        f"{w['final_rows']:,} for the scoring model; fit {seconds:.0f} s\n"
    )
    print("| horizon | predicted churn | observed churn | Brier | Brier of the cohort rate |")
    print("| --- | --- | --- | --- | --- |")
    for k in hazard.HORIZONS:
        print(
            f"| {k} month{'s' if k > 1 else ''} | {m[f'predicted_churn_{k}m']:.4f} | "
            f"{m[f'observed_churn_{k}m']:.4f} | {m[f'brier_{k}m']:.4f} | {m[f'brier_base_{k}m']:.4f} |"
        )
    km = fit.km.set_index(hazard.MONTHS_AHEAD)
    print("\n| months | Kaplan-Meier (95 % interval) | predicted |\n| --- | --- | --- |")
    for k in hazard.HORIZONS:
        r = km.loc[k]
        print(
            f"| {k} | {r['kaplan_meier']:.4f} ({r['ci_low']:.4f} … {r['ci_high']:.4f}) | {r['predicted']:.4f} |"
        )
    valid = origins[
        origins["snapshot_date"].between(pd.Timestamp(w["valid_start"]), pd.Timestamp(w["valid_end"]))
    ]
    valid = valid.assign(p3=1 - fit.judged.survival(valid)[:, 2])
    truth = with_truth(sources, valid[["customer_id", "snapshot_date", "p3"]], horizon_days=90)
    if len(truth):
        print(
            f"\ntruth (demo only), {len(truth):,} of the origins: mean P(churn within 3 months) predicted "
            f"{truth['p3'].mean():.4f}, true {truth['p_churn'].mean():.4f}"
        )
        fifths = truth.groupby(pd.qcut(truth["p3"], 5, labels=False))[["p3", "p_churn"]].mean()
        print(
            "by fifth of the prediction (predicted / true): "
            + ", ".join(f"{r.p3:.4f} / {r.p_churn:.4f}" for r in fifths.itertuples())
        )


if __name__ == "__main__":
    main()
