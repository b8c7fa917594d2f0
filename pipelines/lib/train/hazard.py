"""Time to churn: a discrete-time hazard model on the monthly customer snapshots, giving each customer a survival
curve.

Why this shape. The churn model answers one question (churn within the horizon); account teams also ask *when*.
The mart already holds one row per customer and month-end at which the customer was a customer, so "still a
customer after m months" is read from the snapshots themselves: a customer present at month-end t and in every
month-end up to t + m survived m months; the first month-end at which it is missing is its exit. That works for
both churn definitions, because the mart's rows already follow the configured one.

The model is one LightGBM binary classifier on stacked rows (origin snapshot t, months ahead m = 1..12): the
features are the mart row at t and m, the target is "left in month m" among the customers still there after
m - 1 months. The product of one minus those hazards is P(still a customer after k months | what was known at t),
exactly, without assuming the features stay constant: each hazard conditions on the origin's features only.
One model over all horizons rather than one per horizon, so the curve is monotone by construction and the long
horizons borrow strength from the short ones.

Point in time: only mart rows up to the cutoff are read (features at a snapshot use data up to that snapshot, as
the mart guarantees), and a month counts as observed only once its month-end is at least the confirmation lag
(the contractual grace period) before the cutoff. Metrics come from later origins than any event the judged
model learnt from; the model that scores is learnt again on everything observed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from pipelines.lib.train.boosters import shallow_booster

HORIZONS = (1, 3, 6, 12)  # the months at which the survival is reported and judged
MAX_MONTHS = 12  # the curve's length; also the restricted-mean horizon
MONTHS_AHEAD = "months_ahead"
SURVIVAL_COLUMNS = [*(f"survival_{k}m" for k in HORIZONS), f"expected_months_{MAX_MONTHS}m"]
MODEL_FILE, META_FILE = "hazard_booster.txt", "hazard.json"


class NotEnoughHistoryError(ValueError):
    """The snapshots up to the cutoff cannot hold out later origins with observed months to judge on."""


@dataclass(frozen=True)
class HazardSettings:
    """Hyper-parameters and windows of the hazard model; logged as MLflow params."""

    validation_months: int = 3  # origin months judged on, the newest whose follow-up is complete
    early_stopping_months: int = 3  # the newest event months of the training rows, for early stopping
    # Every customer enters the training rows from every `origin_stride`-th snapshot only (a different offset per
    # customer): neighbouring origins of one customer repeat nearly the same rows; a third of them keeps the
    # fit at 20 to 45 s on the busy 2-core machine (demo) while validation still uses every origin.
    origin_stride: int = 3
    n_estimators: int = 800
    learning_rate: float = 0.05
    num_leaves: int = 8
    min_child_samples: int = 200
    early_stopping_rounds: int = 50
    # One thread: on the shared 2-core machine, with other jobs running, two OpenMP threads made each boosting
    # round 7 times slower than one (measured on 250,000 rows); the fit is small enough for one.
    n_jobs: int = 1
    seed: int = 42


# --- what happened after each snapshot ---------------------------------------------------------------------


def _month_index(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy(dtype=np.int64)


def last_observed_month_end(cutoff: pd.Timestamp, *, lag_days: int = 0) -> pd.Timestamp:
    """The newest month-end whose presence in the snapshots is final at ``cutoff``: ``lag_days`` before it (a
    contract that ended may still be renewed within the grace period), and a whole month (a partial month's
    snapshot says the customer was there on that day, not at the month's end)."""
    day = pd.Timestamp(cutoff) - pd.Timedelta(days=lag_days)
    return day if day.is_month_end else (day - pd.offsets.MonthEnd(1))


def follow_up(panel: pd.DataFrame, *, observed_through: pd.Timestamp) -> pd.DataFrame:
    """For each snapshot row of ``panel`` (customer_id, snapshot_date; one row per customer and month-end at
    which it was a customer) up to ``observed_through``: ``months_observed``, the later months whose outcome is
    known, and ``months_to_exit``, the month in which the customer was first missing (NaN when it was still
    there at ``observed_through``). Rows keep ``panel``'s index and order; rows after ``observed_through``,
    and a partial month's snapshot, have 0 observed months."""
    last = int(_month_index(pd.Series([observed_through]))[0])
    month = _month_index(panel["snapshot_date"])
    usable = (pd.to_datetime(panel["snapshot_date"]) <= observed_through).to_numpy() & (month <= last)
    usable &= pd.to_datetime(panel["snapshot_date"]).dt.is_month_end.to_numpy()
    frame = pd.DataFrame(
        {"customer": panel["customer_id"].to_numpy(), "month": month, "row": np.arange(len(panel))}
    )
    frame = frame[usable].sort_values(["customer", "month"], kind="stable")
    # A spell is a run of consecutive months; a customer who comes back starts a new one.
    new_spell = (frame["customer"] != frame["customer"].shift()) | (
        frame["month"] != frame["month"].shift() + 1
    )
    spell_end = frame.groupby(new_spell.cumsum())["month"].transform("max").to_numpy()
    months = frame["month"].to_numpy()
    ended = spell_end < last
    observed = np.zeros(len(panel), dtype=np.int64)
    exit_after = np.full(len(panel), np.nan)
    rows = frame["row"].to_numpy()
    observed[rows] = np.where(ended, spell_end + 1 - months, last - months)
    exit_after[rows] = np.where(ended, spell_end + 1 - months, np.nan)
    return pd.DataFrame({"months_observed": observed, "months_to_exit": exit_after}, index=panel.index)


def person_months(follow: pd.DataFrame, *, max_months: int = MAX_MONTHS) -> pd.DataFrame:
    """The hazard model's rows: for each origin (position ``origin`` in ``follow``) and month ahead m = 1 ..
    ``max_months`` at which the customer was still at risk and the month was observed, ``left`` = it left in
    that month. ``event_offset`` = m, so origin month + m is the month whose outcome the row needs."""
    observed = follow["months_observed"].to_numpy()
    exit_after = follow["months_to_exit"].to_numpy()
    at_risk = np.minimum(np.where(np.isnan(exit_after), observed, exit_after), max_months).astype(np.int64)
    at_risk = np.maximum(at_risk, 0)
    origin = np.repeat(np.arange(len(follow)), at_risk)
    start = np.repeat(np.cumsum(at_risk) - at_risk, at_risk)
    ahead = np.arange(at_risk.sum()) - start + 1
    left = ahead == np.nan_to_num(exit_after[origin], nan=-1)
    return pd.DataFrame({"origin": origin, MONTHS_AHEAD: ahead, "left": left.astype(np.int8)})


def design(frame: pd.DataFrame, features: list[str], origin: np.ndarray, ahead: np.ndarray) -> pd.DataFrame:
    """The model's input: the origin snapshot's features (nothing later) and the months ahead."""
    x = frame[features].iloc[origin].reset_index(drop=True).astype("float32")
    x[MONTHS_AHEAD] = ahead.astype("float32")
    return x


# --- the model -----------------------------------------------------------------------------------------------


@dataclass
class HazardModel:
    """A fitted hazard booster: ``survival(frame)`` gives every row's curve S(1..max_months)."""

    booster: lgb.Booster
    features: list[str]
    max_months: int = MAX_MONTHS

    def hazards(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        ahead = np.tile(np.arange(1, self.max_months + 1), n)
        x = design(frame, self.features, np.repeat(np.arange(n), self.max_months), ahead)
        return self.booster.predict(x).reshape(n, self.max_months)

    def survival(self, frame: pd.DataFrame) -> np.ndarray:
        return np.cumprod(1.0 - self.hazards(frame), axis=1)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE))
        (folder / META_FILE).write_text(
            json.dumps({"features": self.features, "max_months": self.max_months})
        )
        return folder

    @classmethod
    def load(cls, folder: Path) -> HazardModel:
        meta = json.loads((folder / META_FILE).read_text())
        return cls(lgb.Booster(model_file=str(folder / MODEL_FILE)), meta["features"], meta["max_months"])


def _booster(settings: HazardSettings, n_estimators: int) -> lgb.LGBMClassifier:
    return shallow_booster(
        n_estimators=n_estimators,
        learning_rate=settings.learning_rate,
        num_leaves=settings.num_leaves,
        min_child_samples=settings.min_child_samples,
        # Unweighted log loss: the hazards must stay probabilities, since the curve multiplies them.
        metric="binary_logloss",
        seed=settings.seed,
        n_jobs=settings.n_jobs,
    )


@dataclass
class HazardFit:
    """What a fit learnt and how it was judged: the scoring model (learnt on everything observed), the judged
    model's validation curves beside what happened, and the windows."""

    model: HazardModel
    judged: HazardModel  # learnt only from events before the validation origins; the metrics are its
    metrics: dict[str, float]
    km: pd.DataFrame  # kaplan_meier_vs_predicted on the validation origins
    window: dict[str, str | int]
    settings: HazardSettings = field(default_factory=HazardSettings)


def _stride_mask(frame: pd.DataFrame, stride: int) -> np.ndarray:
    """Every ``stride``-th month of each customer, from a per-customer offset (stable across runs)."""
    if stride <= 1:
        return np.ones(len(frame), dtype=bool)
    offset = pd.util.hash_pandas_object(frame["customer_id"].astype(str), index=False).to_numpy() % stride
    return (_month_index(frame["snapshot_date"]) + offset) % stride == 0


def _rows(
    frame: pd.DataFrame, follow: pd.DataFrame, features: list[str], keep: np.ndarray, *, last_event: int
):
    """Design matrix and target of the person-months of origins ``keep`` whose event month <= ``last_event``."""
    pm = person_months(follow)
    month = _month_index(frame["snapshot_date"])
    pm = pm[keep[pm["origin"].to_numpy()] & (month[pm["origin"].to_numpy()] + pm[MONTHS_AHEAD] <= last_event)]
    return pm, design(frame, features, pm["origin"].to_numpy(), pm[MONTHS_AHEAD].to_numpy())


def fit_hazard(
    frame: pd.DataFrame,
    features: list[str],
    *,
    cutoff: pd.Timestamp,
    lag_days: int = 0,
    settings: HazardSettings | None = None,
) -> HazardFit:
    """Learn the hazard model from the snapshots of ``frame`` (the feature mart: customer_id, snapshot_date,
    ``features``) known at ``cutoff``; judge it on later origins; learn it again on everything observed.

    Periods, oldest first: training events (early stopping on their newest ``early_stopping_months``), then the
    validation origins, the newest ``validation_months`` month-ends whose 12 following months are observed (or,
    on a short history, 6, then 3): the judged model learnt only from events before the first of them."""
    s = settings or HazardSettings()
    frame = frame[pd.to_datetime(frame["snapshot_date"]) <= cutoff].reset_index(drop=True)
    observed_through = last_observed_month_end(cutoff, lag_days=lag_days)
    follow = follow_up(frame, observed_through=observed_through)
    month = _month_index(frame["snapshot_date"])
    last = int(_month_index(pd.Series([observed_through]))[0])
    strided = _stride_mask(frame, s.origin_stride)
    first_origin = int(month.min()) if len(month) else last
    for complete in (MAX_MONTHS, 6, 3):
        valid_start = last - complete - s.validation_months + 1
        # Training needs event months before early stopping's months, which come before validation.
        if valid_start - s.early_stopping_months - 3 > first_origin:
            break
    else:
        raise NotEnoughHistoryError(
            f"the snapshots from {frame['snapshot_date'].min():%Y-%m-%d} to {observed_through:%Y-%m-%d} (the "
            "newest month-end observed at the cutoff) are too few to hold out later origins with 3 observed "
            "months after training; deliver a longer history"
        )
    valid = (
        (month >= valid_start) & (month < valid_start + s.validation_months) & (follow["months_observed"] > 0)
    )
    valid = valid.to_numpy()
    stop_from = valid_start - s.early_stopping_months
    fit_pm, fit_x = _rows(frame, follow, features, strided, last_event=stop_from)
    stop_pm, stop_x = _rows(frame, follow, features, strided, last_event=valid_start)
    in_stop = (month[stop_pm["origin"].to_numpy()] + stop_pm[MONTHS_AHEAD].to_numpy()) > stop_from
    stop_pm, stop_x = stop_pm[in_stop], stop_x[in_stop]
    for name, part in (("training", fit_pm), ("early-stopping", stop_pm)):
        if part["left"].nunique() < 2:
            raise NotEnoughHistoryError(
                f"the {name} months before {_month_end(valid_start):%Y-%m-%d} have {len(part)} customer-months "
                f"and {int(part['left'].sum())} exits; both are needed to learn when customers leave"
            )
    early = _booster(s, s.n_estimators).fit(
        fit_x,
        fit_pm["left"],
        eval_X=stop_x,
        eval_y=stop_pm["left"],
        callbacks=[lgb.early_stopping(s.early_stopping_rounds, verbose=False)],
    )
    best = int(early.booster_.best_iteration or early.booster_.current_iteration())
    # The judged model: every event before the validation origins, with the rounds scaled to the larger set.
    judged_pm, judged_x = _rows(frame, follow, features, strided, last_event=valid_start)
    judged_rounds = max(1, round(best * len(judged_pm) / max(len(fit_pm), 1)))
    judged = _booster(s, judged_rounds).fit(judged_x, judged_pm["left"])
    judged_model = HazardModel(judged.booster_, features)
    curves = judged_model.survival(frame[valid])
    metrics = calibration_metrics(curves, follow[valid])
    km = kaplan_meier_vs_predicted(curves, follow[valid])
    # The scoring model: everything observed at the cutoff.
    all_pm, all_x = _rows(frame, follow, features, strided, last_event=last)
    final_rounds = max(1, round(best * len(all_pm) / max(len(fit_pm), 1)))
    final = _booster(s, final_rounds).fit(all_x, all_pm["left"])
    window = {
        "observed_through": observed_through.date().isoformat(),
        "train_start": _month_end(first_origin).date().isoformat(),
        "early_stopping_start": _month_end(stop_from + 1).date().isoformat(),
        "valid_start": _month_end(valid_start).date().isoformat(),
        "valid_end": _month_end(valid_start + s.validation_months - 1).date().isoformat(),
        "valid_follow_up_months": complete,
        "valid_origins": int(valid.sum()),
        "fit_rows": len(fit_pm),
        "early_stopping_rows": len(stop_pm),
        "final_rows": len(all_pm),
        "best_iteration": best,
        "final_iterations": final_rounds,
    }
    return HazardFit(HazardModel(final.booster_, features), judged_model, metrics, km, window, s)


def _month_end(index: int) -> pd.Timestamp:
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1) + pd.offsets.MonthEnd(0)


# --- what a curve says, and how it compares with what happened ---------------------------------------------


def restricted_mean_months(curves: np.ndarray) -> np.ndarray:
    """Expected months still a customer within the curve's horizon (the restricted mean survival time): the
    area under S, by the trapezoid rule with S(0) = 1, so a customer who leaves in a month counts half of it.
    A customer certain to stay gets the full horizon (12); the horizon is stated because beyond it the data
    say nothing."""
    with_start = np.hstack([np.ones((len(curves), 1)), curves])
    return ((with_start[:, :-1] + with_start[:, 1:]) / 2).sum(axis=1)


def survival_columns(curves: np.ndarray) -> pd.DataFrame:
    """The per-customer columns the warehouse and the export carry: P(still a customer) at 1, 3, 6 and 12
    months, and the restricted mean months over 12."""
    cols = {f"survival_{k}m": curves[:, k - 1] for k in HORIZONS if k <= curves.shape[1]}
    cols[f"expected_months_{curves.shape[1]}m"] = restricted_mean_months(curves)
    return pd.DataFrame(cols)


def calibration_metrics(curves: np.ndarray, follow: pd.DataFrame) -> dict[str, float]:
    """Per horizon k, on the origins whose k months are observed: ``brier_{k}m`` of P(left within k) against
    whether it left, ``predicted_churn_{k}m`` and ``observed_churn_{k}m`` (calibration in the large), the
    Brier of the cohort's own rate (``brier_base_{k}m``; the model should be below it) and ``origins_{k}m``.
    NaN where no origin's k months are observed yet, so every run has the same keys."""
    observed = follow["months_observed"].to_numpy()
    exit_after = follow["months_to_exit"].to_numpy()
    out: dict[str, float] = {}
    for k in HORIZONS:
        known = (observed >= k) | (~np.isnan(exit_after) & (exit_after <= k))
        y = (~np.isnan(exit_after) & (exit_after <= k))[known].astype(float)
        p = 1.0 - curves[known, k - 1] if k <= curves.shape[1] else np.array([])
        nan = float("nan")
        out[f"origins_{k}m"] = float(known.sum())
        out[f"brier_{k}m"] = float(np.mean((p - y) ** 2)) if len(y) else nan
        out[f"brier_base_{k}m"] = float(np.mean((y.mean() - y) ** 2)) if len(y) else nan
        out[f"predicted_churn_{k}m"] = float(p.mean()) if len(y) else nan
        out[f"observed_churn_{k}m"] = float(y.mean()) if len(y) else nan
    out[f"expected_months_{MAX_MONTHS}m_mean"] = (
        float(restricted_mean_months(curves).mean()) if len(curves) else nan
    )
    return out


def kaplan_meier(follow: pd.DataFrame, *, max_months: int = MAX_MONTHS) -> pd.DataFrame:
    """The Kaplan-Meier survival of a cohort of origins, month by month, with a 95 % Greenwood interval:
    what happened, censored where the data end. Columns: months_ahead, at_risk, left, kaplan_meier, ci_low,
    ci_high."""
    observed = follow["months_observed"].to_numpy()
    exit_after = follow["months_to_exit"].to_numpy()
    rows, s, greenwood = [], 1.0, 0.0
    for m in range(1, max_months + 1):
        at_risk = int(
            ((~np.isnan(exit_after) & (exit_after >= m)) | (np.isnan(exit_after) & (observed >= m))).sum()
        )
        left = int((exit_after == m).sum())
        if at_risk:
            s *= 1 - left / at_risk
            greenwood += left / (at_risk * (at_risk - left)) if at_risk > left else 0.0
        half = 1.96 * s * np.sqrt(greenwood) if at_risk else float("nan")
        rows.append(
            {
                MONTHS_AHEAD: m,
                "at_risk": at_risk,
                "left": left,
                "kaplan_meier": s if at_risk else float("nan"),
                "ci_low": max(0.0, s - half) if at_risk else float("nan"),
                "ci_high": min(1.0, s + half) if at_risk else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def kaplan_meier_vs_predicted(curves: np.ndarray, follow: pd.DataFrame) -> pd.DataFrame:
    """The cohort's Kaplan-Meier beside the mean of the predicted curves, month by month: the table (and the
    review section) that shows whether the survival curves are calibrated. ``predicted`` is the average
    customer's P(still a customer); the two agree when the model is calibrated and the censoring does not
    depend on the risk (in the validation cohort, whose follow-up is complete, there is none)."""
    km = kaplan_meier(follow, max_months=curves.shape[1])
    km["predicted"] = curves.mean(axis=0) if len(curves) else np.nan
    km["difference"] = km["predicted"] - km["kaplan_meier"]
    return km


def km_figure(km: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Kaplan-Meier (with its interval) and the mean predicted curve, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    months = np.concatenate([[0], km[MONTHS_AHEAD].to_numpy()])
    ax.step(
        months, np.concatenate([[1], km["kaplan_meier"]]), where="post", label="Kaplan-Meier (what happened)"
    )
    ax.fill_between(
        months,
        np.concatenate([[1], km["ci_low"]]),
        np.concatenate([[1], km["ci_high"]]),
        step="post",
        alpha=0.2,
    )
    ax.plot(months, np.concatenate([[1], km["predicted"]]), marker="o", label="predicted (mean curve)")
    ax.set_xlabel("months after the snapshot")
    ax.set_ylabel("P(still a customer)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def settings_params(settings: HazardSettings) -> dict[str, object]:
    return {f"hazard_{k}": v for k, v in asdict(settings).items()} | {"hazard_max_months": MAX_MONTHS}


# --- tracking ------------------------------------------------------------------------------------------------

RUN_KIND = "survival"
MODEL_ARTIFACTS = "model"
KM_ARTIFACT = "evaluation/km_vs_predicted.csv"


def log_run(
    fit: HazardFit, *, parent_run_id: str, quarter: str, cutoff: pd.Timestamp, tags: dict[str, str]
) -> str:
    """Log the fit as a child run `survival-<quarter>` of the quarter's churn run (tags model_kind=survival and
    the same quarter), so the MLflow UI shows it under that quarter's model and the churn run's own metric keys
    stay as they were: params, the calibration metrics per horizon, the Kaplan-Meier vs predicted table and
    figure, and the scoring model's booster. Aggregates only: no customer id leaves the warehouse."""
    import tempfile

    import mlflow

    run_tags = {
        "model_kind": RUN_KIND,
        "quarter": quarter,
        "training_cutoff": cutoff.date().isoformat(),
        **{k: str(v) for k, v in fit.window.items()},
        **tags,
    }
    with (
        mlflow.start_run(run_name=f"survival-{quarter}", parent_run_id=parent_run_id, tags=run_tags) as run,
        tempfile.TemporaryDirectory() as tmp,
    ):
        mlflow.log_params(settings_params(fit.settings) | {"n_features": len(fit.model.features)})
        mlflow.log_metrics(fit.metrics)
        folder, name = KM_ARTIFACT.rsplit("/", 1)
        table = Path(tmp) / name
        fit.km.to_csv(table, index=False)
        mlflow.log_artifact(str(table), artifact_path=folder)
        figure = km_figure(
            fit.km,
            Path(tmp) / "km_vs_predicted.png",
            title=f"validation origins {fit.window['valid_start']} to {fit.window['valid_end']}",
        )
        mlflow.log_artifact(str(figure), artifact_path="plots")
        mlflow.log_artifacts(str(fit.model.save(Path(tmp) / MODEL_ARTIFACTS)), artifact_path=MODEL_ARTIFACTS)
    return run.info.run_id


def latest_run(experiment_id: str, *, not_after: pd.Timestamp | None = None):
    """The newest quarter's survival run (the newest run of that quarter) whose training cutoff is on or before
    ``not_after`` (scoring as of a date never uses a model that learnt from later data), or None."""
    import mlflow

    runs = mlflow.MlflowClient().search_runs(
        [experiment_id],
        filter_string=f"tags.model_kind = '{RUN_KIND}'",
        order_by=["tags.quarter DESC", "attributes.start_time DESC"],
        max_results=200,
    )
    for run in runs:
        cutoff = run.data.tags.get("training_cutoff")
        if cutoff and (not_after is None or pd.Timestamp(cutoff) <= pd.Timestamp(not_after)):
            return run
    return None


def logged_kaplan_meier(run_id: str) -> pd.DataFrame:
    """The Kaplan-Meier vs predicted table a survival run logged (see `kaplan_meier_vs_predicted`): what a
    review section plots, without refitting anything."""
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=KM_ARTIFACT, dst_path=tmp)
        return pd.read_csv(path)


def load_run_model(run_id: str) -> HazardModel:
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        folder = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=MODEL_ARTIFACTS, dst_path=tmp
        )
        return HazardModel.load(Path(folder))
