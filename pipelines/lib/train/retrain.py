"""One quarterly churn retrain, start to finish: train, calibrate, judge against baselines, log, register.

Every quarter's MLflow run carries the same metric names and tags, so the MLflow UI compares quarters side
by side. Baselines are nested runs under the quarter's run. The function is Dagster-free so that a backfill of
several quarters can be reproduced (and tested) by calling it once per cutoff.

A model is registered once. Its `model_fingerprint` (the rows it learns from, the settings that shape it and the
code version) is a tag of its run; a retrain that would learn the same model again, because the data have not
changed or because another quarter's cutoff leaves the same matured labels, reuses that run and version and
says so instead of registering a byte-for-byte copy.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.lib.core.config import RadarConfig, TrainingSettings
from pipelines.lib.core.rates import warning_rates
from pipelines.lib.core.versions import rows_digest
from pipelines.lib.features import propensity
from pipelines.lib.score.health_score import health_points
from pipelines.lib.train import baselines, evaluation, plots, profit, training
from pipelines.lib.train.oracle import oracle_roc_auc
from pipelines.lib.train.windows import fit_windows

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from pipelines.lib.core.tracking import Tracking

MODEL_KIND = "churn"
SUMMARY_FILE = "summary.json"
VALIDATION_SCORES_FILE = "validation_scores.csv"
FINGERPRINT_TAG = "model_fingerprint"
SAME_MODEL_TAG = "same_model_as"


@dataclass(frozen=True)
class RunContext:
    """What the run is and where it came from: logged as tags, never used for training."""

    quarter: str
    cutoff: pd.Timestamp
    tags: dict[str, str]
    source_folder: Path | None = None
    # The data home's pseudonym key: the validation scores logged to MLflow carry pseudonyms, never ids.
    pseudonym_key: bytes | None = None


def _value(frame: pd.DataFrame) -> np.ndarray:
    """A customer's value for the profit calculation: revenue of the 12 months before the snapshot (known at
    the snapshot). Without order data every customer counts as 1."""
    if "revenue_365d" in frame:
        return frame["revenue_365d"].fillna(0).to_numpy(dtype=float)
    return np.ones(len(frame))


def observable_snapshots(frame: pd.DataFrame, cfg: RadarConfig, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The labelled snapshots a retrain whose data end at ``cutoff`` may learn and judge on: only labels that had
    closed (and been confirmed, for contractual churn) by then, on windows that fit that history."""
    return fit_windows(frame, cfg, cutoff).data


def model_fingerprint(train: pd.DataFrame, features: list[str], cfg: RadarConfig, *, code: str) -> str:
    """What decides the fitted model, hashed: the training rows (fit and calibration fold, in a fixed order), the
    feature list, the training and churn settings, and the code version. Equal fingerprints, equal models."""
    rows = train[["customer_id", "snapshot_date", "label", *features]].sort_values(
        ["snapshot_date", "customer_id"], kind="stable"
    )
    digest = rows_digest(rows)
    settings = {
        "features": features,
        "training": cfg.training.model_dump(mode="json", exclude={"model_name", "experiment", "folds"}),
        "churn": cfg.churn.model_dump(mode="json"),
        "code": code,
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def train_quarter(
    frame: pd.DataFrame, features: list[str], cfg: RadarConfig, run: RunContext, *, tracking: Tracking
) -> dict[str, Any]:
    """Train on what was observable at ``run.cutoff``, tracked and registered in ``tracking``'s store; return the
    summary the downstream assets need."""
    with tracking.active() as client:
        return _train_quarter(frame, features, cfg, run, client)


def _train_quarter(
    frame: pd.DataFrame, features: list[str], cfg: RadarConfig, run: RunContext, client: MlflowClient
) -> dict[str, Any]:
    horizon = cfg.churn.horizon_days
    windows = fit_windows(frame, cfg, run.cutoff)
    t, data = windows.settings, windows.data
    if t.linear_base == "auto":
        t = t.model_copy(update={"linear_base": "rfm" if cfg.churn.definition == "inactivity" else "none"})
    cfg = cfg.model_copy(update={"training": t})
    split = training.time_split(data, validation_months=t.validation_months, horizon_days=horizon)
    learnt_from = data if t.refit == "newest" else split.train
    fingerprint = model_fingerprint(learnt_from, features, cfg, code=run.tags.get("code_version", "unknown"))
    reused = _reuse(cfg, run, fingerprint, client)
    if reused is not None:
        return reused
    fitted = training.fit_churn_model(split.train, features, t, horizon_days=horizon)
    model, valid = fitted.model, split.valid
    y = valid["label"].to_numpy()
    p, raw = model.churn_probability(valid), model.raw_probability(valid)

    metrics = {**evaluation.evaluate(y, p), **evaluation.tier_metrics(y, p, cfg.tiers)}
    uncalibrated = evaluation.evaluate(y, raw)
    metrics["roc_auc_uncalibrated"] = uncalibrated["roc_auc"]
    metrics["brier_uncalibrated"] = uncalibrated["brier"]
    metrics.update(model.calibrator.scores)

    # Profit: the threshold is chosen on the calibration fold, and judged on validation.
    economics = {"cost": cfg.value.retention_cost, "success_rate": cfg.value.retention_success_rate}
    calib = fitted.calibration
    calib_curve = profit.profit_curve(
        calib["label"], fitted.calibration_probability, _value(calib), **economics
    )
    threshold, _ = profit.best_threshold(calib_curve)
    curve = profit.profit_curve(y, p, _value(valid), **economics)
    at = curve[curve["threshold"] == threshold].iloc[0]
    best_t, best_profit = profit.best_threshold(curve)
    warned, churned = p >= threshold, y.astype(bool)
    metrics.update(
        {
            "profit_threshold": threshold,
            "expected_profit": float(at["realised_profit"]),
            "expected_profit_model": float(at["expected_profit"]),
            "profit_contacted_share": float(at["contacted"] / len(valid)),
            "max_profit_validation": best_profit,
            "max_profit_threshold_validation": best_t,
        }
    )
    # The warnings a profit-driven campaign would send: how many were real, how many stayers got one.
    metrics.update({f"profit_{rate}": value for rate, value in warning_rates(warned, churned).items()})

    folds = [
        training.FoldResult(str(split.describe()["valid_start"]), str(split.describe()["valid_end"]), metrics)
    ]
    folds += training.rolling_origin(data, features, t, horizon_days=horizon, first_fold=1)
    aucs = np.array([f.metrics["roc_auc"] for f in folds])
    metrics.update(
        {
            "cv_folds": float(len(folds)),
            "cv_roc_auc_mean": float(aucs.mean()),
            "cv_roc_auc_std": float(aucs.std()),
        }
    )
    # Every fold name is logged every quarter (NaN when history is too short) so all runs share their keys.
    metrics.update(
        {
            f"fold{k}_roc_auc": folds[k].metrics["roc_auc"] if k < len(folds) else float("nan")
            for k in range(t.folds)
        }
    )

    health_p = baselines.health_score_probability(calib, valid)
    # Ranking metrics on the points themselves: the baseline as the product would use it.
    by_points = evaluation.evaluate(y, health_points(valid) / 100)
    health = {
        **evaluation.evaluate(y, health_p),
        **evaluation.tier_metrics(y, health_p, cfg.tiers),
        "roc_auc": by_points["roc_auc"],
        "pr_auc": by_points["pr_auc"],
        "lift_at_10pct": by_points["lift_at_10pct"],
    }
    logistic_p = baselines.logistic_probability(split.train, valid, features, seed=t.seed)
    logistic = {**evaluation.evaluate(y, logistic_p), **evaluation.tier_metrics(y, logistic_p, cfg.tiers)}
    # Baselines: name -> (their metrics, the score that ranks with them). Every run logs every name, NaN when a
    # baseline needs data the company does not deliver, so all quarters and companies share their metric keys.
    compared: dict[str, tuple[dict[str, float], np.ndarray | None]] = {
        "health_score": (health, health_points(valid).astype(float)),
        "logistic": (logistic, logistic_p),
    }
    recency_p = baselines.recency_probability(calib, valid)
    rfm_p = baselines.rfm_logistic_probability(split.train, valid, seed=t.seed)
    bgnbd_p = propensity.no_order_probability(valid, horizon_days=horizon)
    for name, baseline_p in (("recency", recency_p), ("rfm_logistic", rfm_p), ("bgnbd", bgnbd_p)):
        figures = (
            {**evaluation.evaluate(y, baseline_p), **evaluation.tier_metrics(y, baseline_p, cfg.tiers)}
            if baseline_p is not None
            else {}
        )
        if name == "recency" and baseline_p is not None:
            # Ranking on the days themselves, as a person would sort the list (the map only serves Brier).
            days = baselines.recency_days(valid)
            days = np.nan_to_num(days, nan=np.nanmax(days) + 1)
            by_days = evaluation.evaluate(y, days / (days.max() + 1))
            figures.update({k: by_days[k] for k in ("roc_auc", "pr_auc", "lift_at_10pct")})
        compared[name] = (figures, baseline_p)
    customers = valid["customer_id"].to_numpy()
    for name, (figures, baseline_p) in compared.items():
        nan = float("nan")
        metrics[f"baseline_{name}_roc_auc"] = figures.get("roc_auc", nan)
        metrics[f"baseline_{name}_brier"] = figures.get("brier", nan)
        metrics[f"roc_auc_gain_vs_{name}"] = metrics["roc_auc"] - figures.get("roc_auc", nan)
        metrics[f"pr_auc_gain_vs_{name}"] = metrics["pr_auc"] - figures.get("pr_auc", nan)
        low, high = (
            evaluation.auc_gain_interval(y, p, baseline_p, customers, seed=t.seed)
            if baseline_p is not None
            else (nan, nan)
        )
        metrics[f"roc_auc_gain_vs_{name}_ci_low"], metrics[f"roc_auc_gain_vs_{name}_ci_high"] = low, high
    best = max(
        (n for n in compared if np.isfinite(metrics[f"baseline_{n}_roc_auc"])),
        key=lambda n: metrics[f"baseline_{n}_roc_auc"],
    )
    verdict = (
        None
        if metrics[f"roc_auc_gain_vs_{best}"] > 0
        else f"LightGBM (roc_auc {metrics['roc_auc']:.3f}) does not beat the {best.replace('_', ' ')} baseline "
        f"({metrics[f'baseline_{best}_roc_auc']:.3f}) on the validation months"
    )

    # Evaluation against the simulator's truth (demo data only); computed after everything above is decided.
    if run.source_folder is not None:
        metrics.update(oracle_roc_auc(run.source_folder, valid, horizon_days=horizon))

    scoring, refit_note = _scoring_model(data, fitted, features, t, horizon_days=horizon)
    window = {
        **split.describe(),
        "fit_end": fitted.fit["snapshot_date"].max().date().isoformat(),
        "calibration_start": calib["snapshot_date"].min().date().isoformat(),
        "calibration_end": calib["snapshot_date"].max().date().isoformat(),
        "fit_rows": len(fitted.fit),
        "calibration_rows": len(calib),
        "training_windows": windows.note or "as configured",
        # The registered model: the months it learnt from (drift is measured against its newest month).
        "model_train_end": scoring.calibration["snapshot_date"].max().date().isoformat(),
        "model_calibration_start": scoring.calibration["snapshot_date"].min().date().isoformat(),
        "model_rows": len(scoring.fit) + len(scoring.calibration),
        "refit": t.refit if scoring is not fitted else "validated",
        **({"refit_note": refit_note} if refit_note else {}),
    }
    importance = pd.Series(
        scoring.model.booster.feature_importance(importance_type="gain"), index=scoring.model.feature_names
    )
    logged = _log(
        cfg,
        run,
        fingerprint,
        scoring,
        features,
        split,
        metrics,
        window,
        {name: figures for name, (figures, _) in compared.items() if figures},
        scores={"lightgbm": p, "logistic": logistic_p, "health_score": health_p}
        | {
            name: q
            for name, q in (("recency", recency_p), ("rfm_logistic", rfm_p), ("bgnbd", bgnbd_p))
            if q is not None
        },
        raw=raw,
        importance=importance,
        curve=curve,
        client=client,
    )
    summary = {
        "model_name": cfg.training.model_name,
        "quarter": run.quarter,
        "cutoff": run.cutoff.date().isoformat(),
        "metrics": metrics,
        "window": window,
        "features": features,
        "windows_note": windows.note,
        "refit_note": refit_note,
        "baseline_verdict": verdict,
        "reused": None,
        FINGERPRINT_TAG: fingerprint,
        **logged,
    }
    # The retrain's record in MLflow: what a later run that learns the same model reuses.
    client.log_dict(logged["run_id"], summary, SUMMARY_FILE)
    return summary


def reference_month(window: dict[str, Any]) -> str:
    """The newest month the registered model learnt from: what its inputs and scores are compared with for drift
    (summaries written before the refit existed have only ``train_end``)."""
    return str(window.get("model_train_end", window["train_end"]))


def out_of_time_scores(client: MlflowClient, run_id: str, tags: dict[str, str]) -> pd.DataFrame | None:
    """The validation scores a churn run logged (customer pseudonym, snapshot_date, label, churn_probability),
    when its registered model learnt from those months itself (``refit: newest``): a figure on those months must
    come from them, not from scoring them again. None when the model is the validated one or nothing was logged."""
    from mlflow.exceptions import MlflowException

    if tags.get("refit") != "newest":
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = client.download_artifacts(run_id, f"evaluation/{VALIDATION_SCORES_FILE}", tmp)
            return pd.read_csv(local, parse_dates=["snapshot_date"])
    except (MlflowException, OSError):
        return None


def _scoring_model(
    data: pd.DataFrame,
    validated: training.FittedChurnModel,
    features: list[str],
    settings: TrainingSettings,
    *,
    horizon_days: int,
) -> tuple[training.FittedChurnModel, str | None]:
    """The model that is registered and scores, and a note when it is not the one the configuration asked for.

    With ``refit: newest``, the same procedure on every labelled
    month, so early stopping and calibration see the newest labels and the booster the validation months too.

    Why: the validated model's newest training label is a validation block and a horizon older than the newest
    one known. On transaction data the season and the mix of customers move in between, which cost both ranking
    and calibration at the scoring month (measured in benchmarks/README.md). Its figures are those of the
    validated model, trained the same way one block earlier; the promotion compares models on the out-of-time
    scores logged with each run, never on months a registered model learnt from."""
    if settings.refit == "validated":
        return validated, None
    try:
        return training.fit_churn_model(data, features, settings, horizon_days=horizon_days), None
    except training.NotEnoughDataError as exc:
        # Said, not silent: the user asked for `refit: newest` and gets the model validated one block earlier.
        return validated, f"refit on the newest months not possible ({exc}); the validated model is registered"


def _validation_scores(valid: pd.DataFrame, probability: np.ndarray, folder: Path, *, key: bytes) -> Path:
    """The validation rows the metrics come from (customer pseudonym, snapshot, label, probability), so a
    reviewer can check any figure or find the customers the model got wrong, without seeing who they are."""
    from pipelines.lib.core.pseudonym import pseudonymise

    rows = pd.DataFrame(
        {
            "customer_id": valid["customer_id"].to_numpy(),
            "snapshot_date": pd.to_datetime(valid["snapshot_date"]).dt.date.to_numpy(),
            "label": valid["label"].to_numpy(dtype=int),
            "churn_probability": np.asarray(probability, dtype=float),
        }
    )
    path = folder / VALIDATION_SCORES_FILE
    pseudonymise(rows, key=key).to_csv(path, index=False)
    return path


def _reuse(cfg: RadarConfig, run: RunContext, fingerprint: str, client: MlflowClient) -> dict[str, Any] | None:
    """The summary of the run that already learnt this model, or None. Of the quarter's own run (unchanged data,
    configuration and code: nothing is logged again), else of another quarter's: then a run for this quarter
    records which model it is (tag `same_model_as`, the model's version, no metrics of its own) and nothing is
    registered."""
    import mlflow
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(cfg.training.experiment)
    if experiment is None:
        return None
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.model_kind = '{MODEL_KIND}' and tags.{FINGERPRINT_TAG} = '{fingerprint}'",
        order_by=["attributes.start_time DESC"],
        max_results=50,
    )
    summaries = []
    for found in runs:
        try:
            summaries.append((found, run_summary(client, found.info.run_id)))
        except (MlflowException, OSError):  # a run that failed before its summary was written
            continue
    own = [(r, s) for r, s in summaries if r.data.tags.get("quarter") == run.quarter]
    if own:
        found, summary = own[0]
        return {
            **summary,
            "reused": f"the training rows, configuration and code are unchanged since run {found.info.run_name} "
            f"({found.info.run_id[:8]}): reusing it and version {summary['version']}, nothing registered again",
        }
    originals = [(r, s) for r, s in summaries if SAME_MODEL_TAG not in r.data.tags]
    if not originals:
        return None
    found, summary = originals[0]
    w = summary["window"]
    note = (
        f"quarter {run.quarter} gives the same model as quarter {summary['quarter']} (the same matured labels, "
        f"training {w['train_start']} to {w['train_end']}, and the same settings and code): version "
        f"{summary['version']} is its model, no copy registered"
    )
    with mlflow.start_run(run_name=f"churn-{run.quarter}") as same:
        mlflow.set_tags(
            {
                "model_kind": MODEL_KIND,
                "quarter": run.quarter,
                "training_cutoff": run.cutoff.date().isoformat(),
                FINGERPRINT_TAG: fingerprint,
                SAME_MODEL_TAG: found.info.run_name,
                "same_model_run_id": found.info.run_id,
                "model_version": summary["version"],
                "train_end": w["train_end"],
                **run.tags,
            }
        )
        mlflow.set_tag("mlflow.note.content", note)
    result = {
        **summary,
        "quarter": run.quarter,
        "cutoff": run.cutoff.date().isoformat(),
        "run_id": same.info.run_id,
        "same_model_as": found.info.run_name,
        "reused": note,
    }
    client.log_dict(same.info.run_id, result, SUMMARY_FILE)
    return result


def run_summary(client: MlflowClient, run_id: str) -> dict[str, Any]:
    """What a retrain logged about itself (the summary `churn_model` returns), read through ``client``."""
    with tempfile.TemporaryDirectory() as tmp:
        return json.loads(Path(client.download_artifacts(run_id, SUMMARY_FILE, tmp)).read_text())


def _log_datasets(split: training.TimeSplit, features: list[str], quarter: str) -> None:
    """The training and validation frames as MLflow datasets of the active run: the model's columns and the
    label only (no customer id), so MLflow records their schema, row count and digest, never who is in them."""
    import mlflow

    for context, frame in (("training", split.train), ("validation", split.valid)):
        dataset = mlflow.data.from_pandas(
            frame[[*features, "label"]].reset_index(drop=True),
            targets="label",
            name=f"churn-{context}-{quarter}",
        )
        mlflow.log_input(dataset, context=context)


def _log(
    cfg,
    run,
    fingerprint,
    fitted,
    features,
    split,
    metrics,
    window,
    baseline_figures,
    *,
    scores,
    raw,
    importance,
    curve,
    client,
) -> dict[str, str]:
    import mlflow
    from mlflow.models import infer_signature

    from pipelines.lib.train.churn_pyfunc import ChurnPyfunc

    model = fitted.model
    y = split.valid["label"].to_numpy()
    tags = {
        "model_kind": MODEL_KIND,
        "quarter": run.quarter,
        "training_cutoff": run.cutoff.date().isoformat(),
        "horizon_days": str(cfg.churn.horizon_days),
        "churn_definition": cfg.churn.definition,
        "calibration_method": model.calibrator.method,
        FINGERPRINT_TAG: fingerprint,
        **{k: str(v) for k, v in window.items()},
        **run.tags,
    }
    description = (
        f"Churn model for quarter {run.quarter} (data up to {run.cutoff.date()}): LightGBM, "
        f"{model.calibrator.method}-calibrated, {cfg.churn.horizon_days}-day horizon, "
        f"{cfg.churn.definition} churn. Early stopping and calibration on "
        f"{window['calibration_start']} to {window['calibration_end']} ({window['calibration_rows']} rows) for a "
        f"booster learnt on {window['train_start']} to {window['fit_end']}; the booster was then learnt again "
        f"on {window['train_start']} to {window['calibration_end']} "
        f"({window['fit_rows'] + window['calibration_rows']} rows); validated on {window['valid_start']} to {window['valid_end']} "
        f"({window['valid_rows']} rows, {window['valid_churns']} churns): ROC-AUC {metrics['roc_auc']:.3f}."
    )
    if window["refit"] == "newest":
        description += (
            f" The registered model learnt the same way on every labelled month up to {window['model_train_end']} "
            f"({window['model_rows']} rows, early stopping and calibration on {window['model_calibration_start']} "
            f"to {window['model_train_end']})."
        )
    with mlflow.start_run(run_name=f"churn-{run.quarter}") as parent, tempfile.TemporaryDirectory() as tmp:
        # `mlflow.note.content` is the run's description in the MLflow UI.
        mlflow.set_tags({**tags, "mlflow.note.content": description})
        _log_datasets(split, features, run.quarter)
        mlflow.log_params(
            {
                **cfg.training.model_dump(exclude={"model_name", "experiment"}),
                "best_iteration": fitted.best_iteration,
                "refit_iterations": fitted.refit_iterations,
                "n_features": len(features),
                "retention_cost": cfg.value.retention_cost,
                "retention_success_rate": cfg.value.retention_success_rate,
            }
        )
        mlflow.log_metrics(metrics)
        for name, figures in baseline_figures.items():
            with mlflow.start_run(run_name=f"baseline_{name}-{run.quarter}", nested=True):
                mlflow.set_tags({**tags, "model_kind": f"baseline_{name}"})
                mlflow.log_metrics(figures)
        for path in plots.churn_plots(
            Path(tmp) / "plots",
            y,
            scores,
            raw=raw,
            importance=importance,
            profit=curve,
            threshold=metrics["profit_threshold"],
        ):
            mlflow.log_artifact(str(path), artifact_path="plots")
        curve_path = Path(tmp) / "profit_curve.csv"
        curve.to_csv(curve_path, index=False)
        mlflow.log_artifact(str(curve_path), artifact_path="evaluation")
        if run.pseudonym_key is not None:
            mlflow.log_artifact(
                str(_validation_scores(split.valid, scores["lightgbm"], Path(tmp), key=run.pseudonym_key)),
                artifact_path="evaluation",
            )

        sample = split.train[features].head(200)
        info = mlflow.pyfunc.log_model(
            name=MODEL_KIND,
            python_model=ChurnPyfunc(),
            artifacts=model.save(Path(tmp) / "model"),
            signature=infer_signature(sample, model.churn_probability(sample)),
            input_example=sample.head(5),
            registered_model_name=cfg.training.model_name,
            pip_requirements=[
                f"{p}=={installed_version(p)}" for p in ("lightgbm", "numpy", "pandas", "mlflow")
            ],
        )
        if info.signature is None:
            raise RuntimeError("MLflow logged the model without a signature; refusing to register it")
    version = str(info.registered_model_version)
    # The registry says which quarter a version is for without opening its run.
    client.set_model_version_tag(cfg.training.model_name, version, "quarter", run.quarter)
    client.set_model_version_tag(cfg.training.model_name, version, FINGERPRINT_TAG, fingerprint)
    client.set_tag(parent.info.run_id, "model_version", version)
    client.update_model_version(cfg.training.model_name, version, description=description)
    return {"version": version, "run_id": parent.info.run_id}
