"""Where the distance between the churn model and the oracle comes from, on demo data.

The oracle (`_truth/churn_probability`) knows each customer's hidden state: its health, whether it is in
financial distress this month. The sources show that state only through noisy counts, and distress only once an
invoice goes unpaid past its due date, a month or more after it starts. This script rebuilds the simulator's
hidden state for a demo warehouse and trains the same booster (pipeline settings, same splits as the quarterly
retrains) with parts of the truth added, so the gap splits into what more information would buy:

- `model`: the churn model as the pipeline trains it (mart features only)
- `+ true distress`: plus whether the customer is in financial distress at the snapshot and in how many of the
  three months before
- `+ true health`: plus the true health of the last six months (what the noisy counts measure)
- `latent only`: the booster on the hidden state alone (health history, distress, first-year flag, months to
  the end of the contract term, segment, industry): how close a booster of this size gets with perfect
  information

Then a leak check on every labelled snapshot: does any mart feature predict churn beyond the truth? For each
feature, a logistic regression of the label on logit(p_churn) and that feature (standardised); the Wald z of the
feature's coefficient. If the truth is what the simulation used and the features only know the past, no z stands
out beyond what testing some sixty features by chance gives (|z| up to about 3); a leak shows as a z far above.

Evaluation only: it reads the truth and the simulator's state, which the pipeline never does.

    radar demo      # or radar run --sources <folder from radar generate>
    RADAR_HOME=.radar PYTHONPATH=. .venv/bin/python benchmarks/oracle_gap.py [sources folder]

The sources folder defaults to the demo's; its `_truth/simulation.json` says how to rebuild the simulation
(the hidden state is the same with or without `--defects`/`--drift`, which only rewrite the tables).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.features import mart as feats
from pipelines.lib.simulate import customer_ids, simulate_population
from pipelines.lib.simulate.population import TERM_MONTHS
from pipelines.lib.train import baselines, training
from pipelines.lib.train.oracle import oracle_roc_auc, with_truth
from pipelines.lib.train.quarters import quarter_key, training_cutoff
from pipelines.lib.train.retrain import observable_snapshots

HEALTH_MONTHS = 6
QUARTERS = 4


def latent_features(frame: pd.DataFrame, source_folder: Path) -> pd.DataFrame:
    """The simulator's hidden state for each (customer_id, snapshot_date) row of ``frame``."""
    pop, cal = simulate_population(source_folder)
    index = pd.Series(np.arange(pop.size), index=customer_ids(pop.size).to_pylist())
    row = index.loc[frame["customer_id"].astype(str)].to_numpy()
    month_ends = pd.to_datetime(cal.month_ends)
    month = np.searchsorted(month_ends.values, frame["snapshot_date"].values)
    if not (month_ends.values[month] == frame["snapshot_date"].values).all():
        raise SystemExit(
            "snapshots are not the simulation's month ends; was the warehouse built from these sources?"
        )
    ago = [np.maximum(month - k, 0) for k in range(HEALTH_MONTHS)]  # the month k months before each snapshot
    out = {f"true_health_{k}m_ago": pop.health[row, ago[k]].astype(float) for k in range(HEALTH_MONTHS)}
    out["distress_now"] = pop.distressed[row, month].astype(float)
    out["distress_months_before"] = sum(pop.distressed[row, ago[k]].astype(float) for k in range(1, 4))
    age = month - pop.created_month[row]
    out["first_year"] = (age < 12).astype(float)
    out["months_to_term_end"] = (TERM_MONTHS - 1 - age % TERM_MONTHS).astype(float)
    out["segment_code"] = pop.segment[row].astype(float)
    out["industry_code"] = pop.industry[row].astype(float)
    return pd.DataFrame(out, index=frame.index)


def added_to_truth(label: np.ndarray, truth: np.ndarray, feature: np.ndarray) -> float:
    """Wald z of ``feature`` in logit P(label) = a + b * logit(truth) + c * feature (Newton steps by hand,
    as scikit-learn gives no standard errors)."""
    p = np.clip(truth, 1e-6, 1 - 1e-6)
    x = np.column_stack([np.ones_like(p), np.log(p / (1 - p)), (feature - feature.mean()) / feature.std()])
    beta = np.array([0.0, 1.0, 0.0])
    for _ in range(25):
        fitted = 1 / (1 + np.exp(-x @ beta))
        hessian = x.T @ (x * (fitted * (1 - fitted))[:, None])
        beta += np.linalg.solve(hessian, x.T @ (label - fitted))
    return float(beta[2] / np.sqrt(np.linalg.inv(hessian)[2, 2]))


def leak_check(data: pd.DataFrame, features: list[str], source_folder: Path, horizon_days: int) -> None:
    rows = with_truth(source_folder, data, horizon_days=horizon_days)
    label, p = rows["label"].to_numpy(float), rows["p_churn"].to_numpy()
    z = {}
    for name in features:
        column = rows[name].astype(float)
        if column.notna().sum() > 100 and column.std() > 0:
            z[name] = added_to_truth(label, p, column.fillna(column.median()).to_numpy())
    ranked = sorted(z.items(), key=lambda item: -abs(item[1]))
    print(f"\nleak check on {len(rows):,} labelled snapshots ({int(label.sum())} churns), {len(z)} features:")
    print("largest |z| beyond the truth: " + ", ".join(f"{name} {value:+.1f}" for name, value in ranked[:5]))


def main() -> None:
    cfg = load_config()
    t, horizon = cfg.training, cfg.churn.horizon_days
    paths = RadarPaths.from_env()
    source_folder = Path(sys.argv[1]) if len(sys.argv) > 1 else paths.demo_sources
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        frame = feats.labelled_snapshots(con, warmup_months=0)
        base = feats.feature_columns(con)
        as_of = con.execute("select as_of_date from intermediate.int_data_window").fetchone()[0]
    latent = latent_features(frame, source_folder)
    data = pd.concat([frame, latent], axis=1)
    health = [c for c in latent if c.startswith("true_health")]
    variants = {
        "model": base,
        "+ true distress": [*base, "distress_now", "distress_months_before"],
        "+ true health": [*base, *health],
        "latent only": list(latent.columns),
    }

    newest = pd.Timestamp(as_of)
    keys = sorted({quarter_key(newest - pd.DateOffset(months=3 * k)) for k in range(QUARTERS)})
    print(f"| quarter | validation | churns | {' | '.join(variants)} | logistic | oracle |")
    print("| --- " * (len(variants) + 5) + "|")
    for key in keys:
        usable = observable_snapshots(data, cfg, training_cutoff(key, newest))
        split = training.time_split(usable, validation_months=t.validation_months, horizon_days=horizon)
        y = split.valid["label"].to_numpy()
        cells = []
        for columns in variants.values():
            fitted = training.fit_churn_model(split.train, columns, t, horizon_days=horizon)
            cells.append(roc_auc_score(y, fitted.model.churn_probability(split.valid)))
        logistic = baselines.logistic_probability(split.train, split.valid, base, seed=t.seed)
        cells.append(roc_auc_score(y, logistic))
        cells.append(oracle_roc_auc(source_folder, split.valid, horizon_days=horizon)["oracle_roc_auc"])
        window = split.describe()
        print(
            f"| {key} | {window['valid_start']} – {window['valid_end']} | {window['valid_churns']} | "
            + " | ".join(f"{c:.3f}" for c in cells)
            + " |",
            flush=True,
        )
    leak_check(training.covered_snapshots(data, warmup_months=t.warmup_months), base, source_folder, horizon)


if __name__ == "__main__":
    main()
