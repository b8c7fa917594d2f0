"""The quarterly model review: one self-contained HTML file (plots inline as PNG) from what the pipeline recorded.

It reads the warehouse (lifecycles, scores, marts, gate results), the MLflow experiment and registry, the newest
drift report and the decision log, and writes `$RADAR_HOME/reports/quarterly_review_<as_of>.html` atomically.
A section whose data does not exist yet says so; an unreadable warehouse or store is an error, never a blank
report. Only aggregate figures appear: no customer list, no names, no e-mails.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models_registry.registry import CHALLENGER, CHAMPION, current_alias_version, read_log
from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.core.config import RadarConfig, TierSettings
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.features import mart as feats
from pipelines.lib.monitor import performance
from pipelines.lib.quality import gate_store
from pipelines.lib.report import kpis
from pipelines.lib.score.tiers import TIER_ORDER, cutoffs_line, risk_tier, scoring_tiers

RUN_METRICS = ("roc_auc", "pr_auc", "brier", "lift_at_10pct")
# Logged on each candidate's run by the monitor assets: feature, prediction and target drift.
DRIFT_METRICS = (
    "drift_share",
    "prediction_drift_score",
    "prediction_drift_detected",
    "target_drift_p_value",
    "target_drift_detected",
    "reference_churn_rate",
    "current_churn_rate",
)
WARN_TIERS = ("low", "medium", "high")  # every tier with a playbook action counts as a warning
TIER_COLOURS = {"none": "#c7ccd1", "low": "#f2c14e", "medium": "#f08a4b", "high": "#d1495b"}
BACKTEST = "backtest on holdout"
KPI_MONTHS = 24  # months of churn and retention rate the review shows


def interventions_file(paths: RadarPaths) -> Path:
    """Where a team records the outcomes of its interventions (optional; contract in `kpis.INTERVENTION_COLUMNS`)."""
    return paths.home / "interventions.csv"


@dataclass
class Review:
    path: Path
    as_of: str
    headline: dict[str, float]
    champion_run_id: str | None
    sections: list[str]
    missing: list[str] = field(default_factory=list)


@dataclass
class _Section:
    title: str
    body: str
    has_data: bool = True


# ----------------------------------------------------------------------------------------------------- gathering


@dataclass
class _Champion:
    name: str
    version: str
    run_id: str
    tags: dict[str, str]
    metrics: dict[str, float]


def champion_probabilities(model_name: str, frame: pd.DataFrame) -> np.ndarray:
    """The champion's churn probabilities for ``frame``; the one place that knows the model's flavour."""
    from pipelines.lib.train.churn_model import load_churn_model

    model = load_churn_model(f"models:/{model_name}@champion")
    return model.predict_proba(frame[list(model.feature_names)])[:, 1]


def _mlflow_state(paths: RadarPaths, config: RadarConfig) -> tuple[pd.DataFrame, _Champion | None]:
    """Every churn-model run of the experiment with its version, alias and decision; and the champion."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from pipelines.lib.core.tracking import configure_mlflow

    if not paths.mlflow_db.exists():
        return pd.DataFrame(), None
    experiment_id = configure_mlflow(paths, config.training.experiment)
    client = MlflowClient()
    name = config.training.model_name
    runs = client.search_runs([experiment_id], max_results=5000)
    versions = {v.run_id: v for v in client.search_model_versions(f"name = '{name}'")}
    # Search results leave aliases out (mlflow#9783), so ask for each alias the registry uses.
    aliases: dict[str, list[str]] = {}
    for alias in (CHAMPION, CHALLENGER):
        holder = current_alias_version(name, alias)
        if holder is not None:
            aliases.setdefault(holder, []).append(alias)
    rows = []
    for run in runs:
        m, tags = run.data.metrics, run.data.tags
        # Only the quarterly churn models: their baselines are nested runs with the same metric names.
        if "roc_auc" not in m or tags.get("model_kind", "churn") != "churn":
            continue
        version = versions.get(run.info.run_id)
        rows.append(
            {
                "run_id": run.info.run_id,
                "version": str(version.version) if version else "",
                "aliases": ", ".join(aliases.get(str(version.version), [])) if version else "",
                "quarter": _quarter(tags),
                "valid_end": tags.get("valid_end", ""),
                "decision": tags.get("promotion_decision", ""),
                "started": pd.Timestamp(run.info.start_time, unit="ms"),
                **{k: m.get(k, np.nan) for k in (*RUN_METRICS, *DRIFT_METRICS)},
            }
        )
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["quarter", "started"]).reset_index(drop=True)
    try:
        mv = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return frame, None
    run = client.get_run(mv.run_id)
    return frame, _Champion(name, str(mv.version), mv.run_id, run.data.tags, run.data.metrics)


def _realised_runs(paths: RadarPaths, config: RadarConfig) -> pd.DataFrame:
    """The realised-performance evaluations logged by the monitor, oldest first (one per data as-of date)."""
    from mlflow import MlflowClient

    from pipelines.lib.core.tracking import configure_mlflow

    if not paths.mlflow_db.exists():
        return pd.DataFrame()
    experiment_id = configure_mlflow(paths, config.training.experiment)
    runs = MlflowClient().search_runs(
        [experiment_id], filter_string="tags.model_kind = 'realised_performance'", max_results=500
    )
    frame = pd.DataFrame(
        [
            {"data_as_of": r.data.tags.get("data_as_of", ""), "run_id": r.info.run_id, **r.data.metrics}
            for r in runs
        ]
    )
    return frame.sort_values("data_as_of").reset_index(drop=True) if len(frame) else frame


def _quarter(tags: dict[str, str]) -> str:
    """The run's `quarter` tag when training set one, else the quarter its validation period ended in."""
    if tags.get("quarter"):
        return tags["quarter"]
    if tags.get("valid_end"):
        return str(pd.Timestamp(tags["valid_end"]).to_period("Q"))
    return "unknown"


@dataclass
class _Warehouse:
    as_of: dt.date | None = None
    data_start: dt.date | None = None
    lifecycles: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    gates: pd.DataFrame | None = None
    gate_runs: int = 0
    holdout: pd.DataFrame | None = None
    follow_up: performance.FollowUp | None = None


def _warehouse_state(paths: RadarPaths, config: RadarConfig, champion: _Champion | None) -> _Warehouse:
    out = _Warehouse()
    with connect(paths.warehouse, read_only=True) as con:
        if table_exists(con, "scores", "customer_scores") and table_exists(con, "marts", "churn_labels"):
            lag = config.churn.confirmation_lag_days
            out.follow_up = performance.follow_up_scores(
                con, horizon_days=config.churn.horizon_days, lag_days=lag
            )
        if table_exists(con, "intermediate", "int_data_window"):
            start, as_of = con.execute(
                "select data_start_date::date, as_of_date::date from intermediate.int_data_window"
            ).fetchone()
            out.data_start, out.as_of = start, as_of
        if table_exists(con, "intermediate", "int_customer_lifecycles"):
            out.lifecycles = con.execute(
                "select customer_id, created_at, churned_at, churn_type from intermediate.int_customer_lifecycles"
            ).df()
        if table_exists(con, "scores", "customer_scores"):
            has_features = table_exists(con, "marts", "customer_features")
            # ASOF: the revenue at the snapshot the score was made from, even when a partial month's snapshot
            # date has since moved on to the month's end.
            out.scores = con.execute(
                f"""select s.customer_id, s.as_of, s.churn_probability, s.risk_tier, s.revenue_at_risk,
                           {"f.revenue_365d" if has_features else "null::double as revenue_365d"}
                    from scores.customer_scores as s
                    {
                    "asof left join marts.customer_features as f "
                    "on s.customer_id = f.customer_id and s.as_of >= f.snapshot_date"
                    if has_features
                    else ""
                }"""
            ).df()
        if table_exists(con, "ops", "gate_results"):
            out.gates = gate_store.latest(con, history_blocks=config.history_blocks)
            out.gate_runs = con.execute("select count(distinct run_id) from ops.gate_results").fetchone()[0]
        if champion is not None and {"valid_start", "valid_end"} <= champion.tags.keys():
            start, end = champion.tags["valid_start"], champion.tags["valid_end"]
            rows = feats.snapshots_between(con, start, end)
            labels = con.execute(
                """select customer_id, snapshot_date, churned_within_horizon::int as label
                   from marts.churn_labels where is_labelled and snapshot_date between ? and ?""",
                [start, end],
            ).df()
    if champion is not None and {"valid_start", "valid_end"} <= champion.tags.keys():
        labels["snapshot_date"] = pd.to_datetime(labels["snapshot_date"])
        holdout = rows.merge(labels, on=["customer_id", "snapshot_date"], how="inner")
        if len(holdout):
            holdout["p"] = champion_probabilities(champion.name, holdout)
            out.holdout = holdout[["snapshot_date", "label", "p"]]
    return out


def _newest_drift(paths: RadarPaths) -> tuple[Path | None, pd.DataFrame | None, float | None]:
    """Per-feature scores and the drift share of the newest Evidently JSON report in the data home."""
    reports = sorted(paths.reports.glob("drift_*.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        return None, None, None
    doc = json.loads(reports[-1].read_text())
    rows, share = [], None
    for metric in doc.get("metrics", []):
        cfg = metric.get("config", {})
        kind = cfg.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith("ValueDrift"):
            score, threshold, method = float(metric["value"]), float(cfg["threshold"]), cfg["method"]
            drifted = score < threshold if "p_value" in method else score >= threshold
            rows.append(
                {
                    "feature": cfg["column"],
                    "method": method,
                    "score": score,
                    "threshold": threshold,
                    "drifted": drifted,
                }
            )
    return reports[-1], pd.DataFrame(rows), share


def _decisions(paths: RadarPaths) -> list[dict[str, Any]]:
    return read_log(paths.decision_log)


def _interventions(paths: RadarPaths) -> pd.DataFrame | None:
    source = interventions_file(paths)
    if not source.exists():
        return None
    return kpis.validate_interventions(pd.read_csv(source, dtype=str), source=str(source))


# ------------------------------------------------------------------------------------------------------ plotting


def _figure(width: float = 10, height: float = 3.6, ncols: int = 1):
    from matplotlib.figure import Figure  # the object API: no pyplot state, no display backend needed

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _img(fig, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, *, floats: str = "{:.3f}") -> str:
    return frame.to_html(index=False, border=0, classes="t", na_rep="–", float_format=floats.format)


def _no_data(text: str) -> str:
    return f'<p class="nodata">{html.escape(text)}</p>'


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def _pct(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.1f} %"


def _money(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:,.0f}"


# ------------------------------------------------------------------------------------------------------ sections


def _kpi_section(
    wh: _Warehouse,
    config: RadarConfig,
    interventions: pd.DataFrame | None,
    headline: dict[str, float],
    cutoffs: TierSettings,
) -> _Section:
    parts: list[str] = []
    if wh.lifecycles is not None and wh.as_of is not None and wh.data_start is not None:
        # The first complete month of the data, and no more than KPI_MONTHS back: a review looks at the recent
        # trend, and sources such as contracts can reach back decades before the other systems start.
        first = max(
            (pd.Timestamp(wh.data_start) + pd.offsets.MonthBegin(1)).date(),
            (pd.Timestamp(wh.as_of) - pd.DateOffset(months=KPI_MONTHS)).to_period("M").to_timestamp().date(),
        )
        monthly = kpis.churn_and_retention_by_month(wh.lifecycles, first_month=first, as_of=wh.as_of)
        complete = monthly[~monthly["partial"] & monthly["customers_start"].gt(0)]
        if len(complete):
            last = complete.iloc[-1]
            headline["churn_rate_pct"] = float(last["churn_rate_pct"])
            headline["retention_rate_pct"] = float(last["retention_rate_pct"])
            fig, (a1, a2) = _figure(ncols=2)
            months = pd.to_datetime(complete["month"])
            a1.bar(months, complete["churn_rate_pct"], width=20, color="#d1495b")
            a1.set_title("Churn rate by month (%)")
            a2.plot(months, complete["retention_rate_pct"], marker="o", color="#2e86ab")
            a2.set_title("Retention rate by month (%)")
            for ax in (a1, a2):
                ax.tick_params(axis="x", labelrotation=45)
                ax.grid(alpha=0.3)
            parts.append(_img(fig, "churn and retention rate by month"))
            parts.append(
                "<p>Churn rate = customers lost in the month ÷ customers at its start × 100; retention rate = "
                "(customers at the end − new customers) ÷ customers at the start × 100. Complete months only. "
                f"Latest complete month {pd.Timestamp(last['month']):%B %Y}: churn "
                f"{last['churn_rate_pct']:.2f} %, retention {last['retention_rate_pct']:.2f} % "
                f"({int(last['customers_start'])} customers at the start, {int(last['lost'])} lost, of them "
                f"{int(last['lost_involuntary'])} involuntary; {int(last['new'])} new).</p>"
            )
    if not parts:
        parts.append(
            _no_data("No customer lifecycles in the warehouse yet: churn and retention rates need a run.")
        )

    live = None
    if wh.scores is not None and len(wh.scores) and wh.lifecycles is not None and wh.as_of is not None:
        lag = config.churn.confirmation_lag_days
        observable = wh.as_of - dt.timedelta(days=lag)
        followed = kpis.follow_up(
            wh.scores, wh.lifecycles, horizon_days=config.churn.horizon_days, observable_until=observable
        )
        if len(followed):
            live = kpis.warning_kpis(followed, warn_tiers=WARN_TIERS).assign(source="live")
    backtest = None
    if wh.holdout is not None:
        followed = pd.DataFrame(
            {
                "as_of": wh.holdout["snapshot_date"],
                "risk_tier": risk_tier(wh.holdout["p"], cutoffs),
                "churned": wh.holdout["label"].astype(bool),
            }
        )
        backtest = kpis.warning_kpis(followed, warn_tiers=WARN_TIERS).assign(source=BACKTEST)
    found = [f for f in (backtest, live) if f is not None]
    outcomes = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    parts.append("<h3>How the warnings turned out</h3>")
    if len(outcomes):
        basis = live if live is not None else backtest
        # The headline pools the last three followed-up months (a quarter of monthly scoring), so one quiet
        # month does not leave it undefined.
        pooled = basis.tail(3)[["warned", "churned", "true_pos", "false_pos", "true_neg"]].sum()
        headline["warning_precision"] = _ratio(pooled["true_pos"], pooled["warned"])
        headline["false_positive_rate"] = _ratio(
            pooled["false_pos"], pooled["false_pos"] + pooled["true_neg"]
        )
        headline["warning_recall"] = _ratio(pooled["true_pos"], pooled["churned"])
        headline["warnings_followed_up_live"] = float(0 if live is None else live["warned"].sum())
        fig, ax = _figure(height=3.4)
        for source, style in ((BACKTEST, "--"), ("live", "-")):
            part = outcomes[outcomes["source"] == source]
            if len(part):
                for col, colour in (
                    ("precision", "#2e86ab"),
                    ("false_positive_rate", "#d1495b"),
                    ("recall", "#6a994e"),
                ):
                    ax.plot(
                        part["as_of"], part[col], style, marker="o", color=colour, label=f"{col} ({source})"
                    )
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncols=2)
        ax.set_title(
            f"Warnings (tier low or higher) followed up over the {config.churn.horizon_days}-day horizon"
        )
        parts.append(_img(fig, "warning precision, false-positive rate and recall over time"))
        note = (
            "No scoring month has matured yet (its horizon is not fully observed), so the dashed lines are the "
            f"champion's <b>{BACKTEST}</b>: its validation months, scored and followed up as if live."
            if live is None
            else "Solid lines: warnings actually issued, followed up once their horizon was observed. Dashed: the "
            f"champion's {BACKTEST}."
        )
        parts.append(
            f"<p>{note} Precision = warned customers who churned ÷ warned customers; false-positive rate = warned "
            "customers who stayed ÷ all customers who stayed; recall = churners who were warned ÷ all churners. "
            "The summary pools the last three followed-up months."
            + (
                " No warning was issued in them, so precision is undefined: no score reached the "
                f"{cutoffs.low:.0%} of the lowest tier."
                if pooled["warned"] == 0
                else ""
            )
            + "</p>"
        )
        shown = outcomes[
            [
                "source",
                "as_of",
                "scored",
                "warned",
                "churned",
                "true_pos",
                "false_pos",
                "precision",
                "false_positive_rate",
                "recall",
            ]
        ].assign(as_of=lambda f: pd.to_datetime(f["as_of"]).dt.date)
        parts.append(_table(shown))
    else:
        parts.append(_no_data("No matured scoring month and no champion holdout yet: nothing to follow up."))

    parts.append("<h3>Intervention success rate</h3>")
    if interventions is None:
        parts.append(
            _no_data(
                "No outcomes recorded. To track it, keep interventions.csv in the data home with the columns "
                "customer_id, contacted_at, outcome (retained | churned | pending)."
            )
        )
    else:
        success = kpis.intervention_success(interventions)
        decided = success["retained"].sum() + success["churned"].sum()
        if decided:
            headline["intervention_success_rate"] = float(success["retained"].sum() / decided)
        fig, ax = _figure(height=3)
        ax.bar(success["month"], success["success_rate"], width=20, color="#6a994e")
        ax.set_ylim(0, 1.05)
        ax.set_title("Intervention success rate by month of contact (retained ÷ decided cases)")
        parts.append(_img(fig, "intervention success rate by month"))
        parts.append(_table(success.assign(month=success["month"].dt.strftime("%Y-%m"))))
    return _Section("KPIs over time", "".join(parts))


def _quarters_section(runs: pd.DataFrame, champion: _Champion | None, headline: dict[str, float]) -> _Section:
    if runs.empty:
        return _Section(
            "Champion vs challengers across quarters",
            _no_data("No training run recorded in MLflow yet."),
            False,
        )
    quarters = sorted(runs["quarter"].unique())
    headline["quarters_reviewed"] = float(len(quarters))
    headline["model_runs"] = float(len(runs))
    x = runs["quarter"].map({q: i for i, q in enumerate(quarters)}).to_numpy(dtype=float)
    fig, axes = _figure(width=11, height=3.4, ncols=len(RUN_METRICS))
    is_champ = runs["run_id"].eq(champion.run_id if champion else "").to_numpy()
    promoted = runs["decision"].eq("promoted").to_numpy()
    for ax, metric in zip(np.atleast_1d(axes), RUN_METRICS, strict=True):
        y = runs[metric].to_numpy(dtype=float)
        ax.scatter(x[~promoted], y[~promoted], color="#8d99ae", label="challenger / not promoted", zorder=2)
        ax.scatter(x[promoted], y[promoted], color="#2e86ab", label="promoted", zorder=3)
        ax.scatter(
            x[is_champ],
            y[is_champ],
            marker="*",
            s=220,
            color="#f4a261",
            edgecolor="k",
            label="champion now",
            zorder=4,
        )
        ax.set_xticks(range(len(quarters)), quarters, rotation=45)
        ax.set_xlim(-0.5, len(quarters) - 0.5)  # room for the markers of the first and last quarter
        ax.set_title(metric + (" (lower is better)" if metric == "brier" else ""))
        ax.grid(alpha=0.3)
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
    table = runs[["quarter", "version", "aliases", "decision", "valid_end", *RUN_METRICS, "drift_share"]]
    return _Section(
        "Champion vs challengers across quarters",
        _img(fig, "model metrics by quarter")
        + f"<p>{len(runs)} training run(s) over {len(quarters)} quarter(s): {', '.join(quarters)}. Each run is "
        "measured on its own validation months (the latest labelled months when it was trained); a run's "
        "quarter is its <code>quarter</code> tag, or the quarter its validation period ended in.</p>"
        + _table(table),
    )


def _calibration_section(wh: _Warehouse, champion: _Champion | None, headline: dict[str, float]) -> _Section:
    title = "Calibration and lift of the champion"
    if champion is None:
        return _Section(title, _no_data("No champion model yet."), False)
    if wh.holdout is None or wh.holdout["label"].nunique() < 2:
        return _Section(
            title, _no_data("The champion's holdout months have no labelled rows with both outcomes."), False
        )
    y = wh.holdout["label"].to_numpy(dtype=int)
    p = wh.holdout["p"].to_numpy(dtype=float)
    from sklearn.metrics import brier_score_loss, roc_auc_score

    headline["champion_holdout_roc_auc"] = float(roc_auc_score(y, p))
    headline["champion_holdout_brier"] = float(brier_score_loss(y, p))
    bins = pd.qcut(pd.Series(p).rank(method="first"), q=min(10, len(p)), labels=False).to_numpy()
    cal = (
        pd.DataFrame({"bin": bins, "p": p, "y": y})
        .groupby("bin")
        .agg(predicted=("p", "mean"), observed=("y", "mean"))
    )
    order = np.argsort(-p, kind="stable")
    decile = np.minimum((np.arange(len(p)) * 10) // len(p), 9)
    by_decile = pd.DataFrame({"decile": decile + 1, "y": y[order]}).groupby("decile")["y"].mean() / y.mean()
    gains = np.cumsum(y[order]) / y.sum()
    fig, (a1, a2, a3) = _figure(width=11, height=3.4, ncols=3)
    a1.plot([0, 1], [0, 1], ":", color="grey")
    a1.plot(cal["predicted"], cal["observed"], marker="o", color="#2e86ab")
    top = 1.1 * float(max(cal["predicted"].max(), cal["observed"].max()))
    a1.set(
        title="Reliability (10 equal-count bins)",
        xlabel="predicted probability",
        ylabel="observed churn rate",
        xlim=(0, top),
        ylim=(0, top),
    )
    a2.bar(by_decile.index, by_decile.to_numpy(), color="#f08a4b")
    a2.axhline(1, color="grey", ls=":")
    a2.set(title="Lift by decile (1 = riskiest 10 %)", xlabel="decile", ylabel="churn rate ÷ base rate")
    a3.plot(np.arange(1, len(p) + 1) / len(p), gains, color="#6a994e")
    a3.plot([0, 1], [0, 1], ":", color="grey")
    a3.set(
        title="Cumulative gains", xlabel="share of customers contacted", ylabel="share of churners reached"
    )
    for ax in (a1, a2, a3):
        ax.grid(alpha=0.3)
    body = (
        _img(fig, "calibration and lift of the champion")
        + f"<p>Champion {html.escape(champion.name)} v{champion.version}, scored on its own holdout "
        f"({champion.tags['valid_start']} to {champion.tags['valid_end']}, {len(p)} labelled customer-months, "
        f"base rate {_pct(y.mean())}): ROC AUC {headline['champion_holdout_roc_auc']:.3f}, Brier "
        f"{headline['champion_holdout_brier']:.4f}, lift in the riskiest decile {by_decile.iloc[0]:.2f}.</p>"
    )
    return _Section(title, body)


def _drift_section(
    drift_path: Path | None,
    drift: pd.DataFrame | None,
    share: float | None,
    champion: _Champion | None,
    runs: pd.DataFrame,
    headline: dict[str, float],
    *,
    config: RadarConfig,
    wh: _Warehouse,
    realised: pd.DataFrame,
) -> _Section:
    title = "Drift summary"
    parts = []
    if drift is not None and len(drift):
        headline["drift_share"] = float(share) if share is not None else float(drift["drifted"].mean())
        top = (
            drift.assign(rel=drift["score"] / drift["threshold"]).sort_values("rel", ascending=False).head(20)
        )
        fig, ax = _figure(height=4.2)
        colours = np.where(top["drifted"], "#d1495b", "#8d99ae")
        ax.barh(top["feature"][::-1], top["score"][::-1], color=colours[::-1])
        ax.set_title(f"Drift score per feature ({top['method'].iloc[0]}; red = drifted)")
        ax.grid(alpha=0.3, axis="x")
        parts.append(_img(fig, "drift score per feature"))
        drifted = sorted(drift.loc[drift["drifted"], "feature"])
        parts.append(
            f"<p>Newest Evidently report <code>{html.escape(drift_path.name)}</code>: drift share "
            f"{_pct(headline['drift_share'])} of {len(drift)} features; drifted: "
            f"{html.escape(', '.join(drifted) or 'none')}. Reference: the last month the candidate trained on; "
            "current: the newest snapshot.</p>"
        )
    elif champion is not None and "drift_share" in champion.metrics:
        headline["drift_share"] = float(champion.metrics["drift_share"])
        parts.append(
            f"<p>No drift report file; the champion's run recorded a drift share of {_pct(headline['drift_share'])}.</p>"
        )
    parts += _model_drift_parts(runs, config, headline)
    parts += _realised_parts(wh, realised, config, headline)
    if not parts:
        return _Section(title, _no_data("No drift has been measured yet."), False)
    return _Section(title, "".join(parts))


def _model_drift_parts(runs: pd.DataFrame, config: RadarConfig, headline: dict[str, float]) -> list[str]:
    """Prediction and target drift of the newest candidate, and all three drift figures quarter by quarter."""
    parts = ["<h3>Prediction and target drift</h3>"]
    measured = runs.dropna(subset=["prediction_drift_score"]) if len(runs) else runs
    if not len(measured):
        return [*parts, _no_data("No candidate's prediction drift has been measured yet.")]
    newest = measured.sort_values("started").iloc[-1]
    headline["prediction_drift_score"] = float(newest["prediction_drift_score"])
    threshold = config.monitoring.prediction_drift_threshold
    text = (
        f"<p>Newest candidate v{html.escape(str(newest['version']))} ({html.escape(newest['quarter'])}): its churn "
        f"probabilities for the customers of the newest snapshot against those for the customers of the last month "
        f"it trained on differ by a Wasserstein distance (normed) of {newest['prediction_drift_score']:.3f} "
        f"(threshold {threshold:g}): {'<b>drifted</b>' if newest['prediction_drift_detected'] == 1 else 'no drift'}."
    )
    if np.isfinite(newest["target_drift_p_value"]):
        headline["target_drift_p_value"] = float(newest["target_drift_p_value"])
        text += (
            f" The churn rate (label) moved from {_pct(newest['reference_churn_rate'])} in that training month to "
            f"{_pct(newest['current_churn_rate'])} in the most recent month whose labels have matured (Z-test "
            f"p = {newest['target_drift_p_value']:.3g}, drift below {config.monitoring.target_drift_p_value:g}): "
            f"{'<b>drifted</b>' if newest['target_drift_detected'] == 1 else 'no drift'}."
        )
    else:
        text += " Target drift was not measured: no month after its training month has matured labels yet."
    parts.append(
        text
        + " Both reports (Evidently HTML and JSON) are in the data home's <code>reports/</code> and on the "
        "candidate's MLflow run under <code>drift/</code>. Prediction drift is reported, not a promotion rule: "
        "a changed risk landscape is when a retrained model is most wanted.</p>"
    )
    per_q = measured.groupby("quarter")[list(DRIFT_METRICS)].last()
    if len(per_q) > 1:
        fig, (a1, a2, a3) = _figure(width=11, height=3.2, ncols=3)
        x = list(per_q.index)
        a1.plot(x, per_q["drift_share"], marker="o", color="#d1495b")
        a1.set(title="Feature drift share", ylim=(0, 1.05))
        a2.plot(x, per_q["prediction_drift_score"], marker="o", color="#2e86ab")
        a2.axhline(threshold, color="grey", ls="--")
        a2.set(title="Prediction drift (Wasserstein, normed)")
        a3.plot(x, 100 * per_q["reference_churn_rate"], marker="o", color="#8d99ae", label="training month")
        a3.plot(
            x, 100 * per_q["current_churn_rate"], marker="o", color="#f08a4b", label="latest matured month"
        )
        a3.set(title="Churn rate, % (target drift)")
        a3.legend(fontsize=8)
        for ax in (a1, a2, a3):
            ax.tick_params(axis="x", labelrotation=45)
            ax.grid(alpha=0.3)
        parts.append(_img(fig, "feature, prediction and target drift by quarter"))
    table = measured[["quarter", "version", *DRIFT_METRICS]].drop(
        columns=["prediction_drift_detected", "target_drift_detected"]
    )
    parts.append(_table(table, floats="{:.4f}"))
    return parts


def _realised_parts(
    wh: _Warehouse, realised: pd.DataFrame, config: RadarConfig, headline: dict[str, float]
) -> list[str]:
    """How the scores actually sent turned out, once their horizon has passed (the monitor's Evidently runs)."""
    parts = ["<h3>Realised performance of past scores</h3>"]
    follow = wh.follow_up
    if follow is None or follow.scoring_dates == 0:
        return [*parts, _no_data("No score has been stored yet.")]
    if follow.matured.empty:
        return [
            *parts,
            _no_data(
                f"No stored score has matured yet: {follow.scoring_dates} scoring date(s) stored, the oldest "
                f"({follow.pending_dates[0]}) is followed up from {follow.next_maturity}, when its "
                f"{config.churn.horizon_days}-day horizon"
                + (
                    " and the renewal grace period have"
                    if config.churn.definition == "contractual"
                    else " has"
                )
                + " passed."
            ),
        ]
    tiers = performance.tier_table(follow.matured)
    dates = sorted({d.date().isoformat() for d in follow.matured["as_of"]})
    latest = realised.iloc[-1] if len(realised) else None
    headline["matured_scores"] = float(len(follow.matured))
    figures = ""
    if latest is not None:
        for key in ("realised_roc_auc", "realised_precision", "realised_false_positive_rate"):
            if key in latest and np.isfinite(latest[key]):
                headline[key] = float(latest[key])
        figures = (
            f" Evidently's classification report of {html.escape(str(latest['data_as_of']))}: ROC-AUC "
            f"{_fmt(headline.get('realised_roc_auc'))}, precision of the warnings sent "
            f"{_pct(headline.get('realised_precision'))}, false-positive rate "
            f"{_pct(headline.get('realised_false_positive_rate'))}, recall {_pct(latest.get('realised_recall'))}."
        )
    parts.append(
        f"<p>{len(follow.matured)} scores from {len(dates)} scoring date(s) ({', '.join(dates)}) have matured and "
        f"are judged against the churn that happened (<code>marts.churn_labels</code> of the scoring date); "
        f"{len(follow.pending_dates)} later scoring date(s) are still within their horizon.{figures} A tier's "
        "precision is the share of its customers who churned; the warnings are the tiers low and above.</p>"
    )
    if len(realised) > 1:
        fig, ax = _figure(height=3)
        for key, colour in (
            ("realised_roc_auc", "#2e86ab"),
            ("realised_precision", "#6a994e"),
            ("realised_false_positive_rate", "#d1495b"),
        ):
            if key in realised:
                ax.plot(realised["data_as_of"], realised[key], marker="o", color=colour, label=key)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("Realised performance at each follow-up")
        parts.append(_img(fig, "realised performance over time"))
    parts.append(_table(tiers))
    return parts


def _fmt(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.3f}"


def _tiers_section(
    wh: _Warehouse, config: RadarConfig, headline: dict[str, float], cutoffs: TierSettings
) -> _Section:
    title = "Tier distributions"
    frames = []
    coverage = ""
    if wh.holdout is not None:
        frames.append(
            pd.DataFrame(
                {
                    "label": pd.to_datetime(wh.holdout["snapshot_date"]).dt.strftime("%Y-%m-%d")
                    + f"\n({BACKTEST})",
                    "risk_tier": risk_tier(wh.holdout["p"], cutoffs),
                }
            )
        )
        churned = wh.holdout["label"].astype(bool).to_numpy()
        warned = wh.holdout["p"].to_numpy(dtype=float) >= cutoffs.low
        headline["validation_churners"] = float(churned.sum())
        headline["validation_churners_warned"] = float((warned & churned).sum())
        headline["validation_recall"] = _ratio((warned & churned).sum(), churned.sum())
        coverage = (
            f" On the champion's validation months these cut-offs warned "
            f"{int(warned.sum()):,} of {len(warned):,} customer-months and reached "
            f"{int((warned & churned).sum()):,} of the {int(churned.sum()):,} churners "
            f"({_pct(headline['validation_recall'])})."
        )
    if wh.scores is not None and len(wh.scores):
        frames.append(
            pd.DataFrame(
                {
                    "label": pd.to_datetime(wh.scores["as_of"]).dt.strftime("%Y-%m-%d"),
                    "risk_tier": wh.scores["risk_tier"],
                }
            )
        )
        latest = wh.scores[pd.to_datetime(wh.scores["as_of"]) == pd.to_datetime(wh.scores["as_of"]).max()]
        headline["customers_scored"] = float(len(latest))
        headline["high_risk_customers"] = float((latest["risk_tier"] == "high").sum())
        headline["customers_warned"] = float(latest["risk_tier"].isin(list(WARN_TIERS)).sum())
    if not frames:
        return _Section(title, _no_data("No customer has been scored yet."), False)
    labelled = pd.concat(frames, ignore_index=True)
    counts = pd.crosstab(labelled["label"], labelled["risk_tier"]).reindex(
        columns=list(TIER_ORDER), fill_value=0
    )
    counts.columns.name = None
    fig, ax = _figure(height=3.8)
    bottom = np.zeros(len(counts))
    # Only the tiers with an action are drawn: `none` is usually most customers and would flatten the rest.
    for tier in WARN_TIERS:
        ax.bar(range(len(counts)), counts[tier], bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom += counts[tier].to_numpy()
    ax.set_xticks(range(len(counts)), counts.index, fontsize=8)
    ax.set_ylabel("customers")
    fig.legend(loc="outside right upper", fontsize=8)
    ax.set_title("Customers per action tier (low, medium, high) and scoring date")
    table = counts.reset_index().rename(columns={"label": "as of"})
    table["as of"] = table["as of"].str.replace("\n", " ")
    return _Section(
        title,
        _img(fig, "risk tier distribution per scoring date")
        + f"<p>Tiers: none &lt; {cutoffs.low:.0%} ≤ low &lt; {cutoffs.medium:.0%} ≤ medium &lt; "
        f"{cutoffs.high:.0%} ≤ high ({html.escape(cutoffs_line(cutoffs, config.tiers))}). Bars marked "
        f"{BACKTEST} are the champion's validation months.{coverage}</p>" + _table(table),
    )


def _revenue_section(wh: _Warehouse, headline: dict[str, float]) -> _Section:
    title = "Revenue at risk"
    if wh.scores is None or not len(wh.scores):
        return _Section(title, _no_data("No customer has been scored yet."), False)
    risk = kpis.revenue_at_risk(wh.scores, tier_order=TIER_ORDER)
    pivot = risk.pivot(index="as_of", columns="risk_tier", values="revenue_at_risk").reindex(
        columns=list(TIER_ORDER)
    )
    latest = risk[risk["as_of"] == risk["as_of"].max()]
    headline["revenue_at_risk"] = float(latest["revenue_at_risk"].sum())
    warned_risk = float(latest.loc[latest["risk_tier"].isin(list(WARN_TIERS)), "revenue_at_risk"].sum())
    headline["revenue_at_risk_warned"] = warned_risk
    fig, ax = _figure(height=3.4)
    bottom = np.zeros(len(pivot))
    labels = [d.strftime("%Y-%m-%d") for d in pivot.index]
    for tier in TIER_ORDER:
        ax.bar(labels, pivot[tier].fillna(0), bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom += pivot[tier].fillna(0).to_numpy()
    ax.set_title("Revenue at risk per scoring date (Σ churn probability × predicted 12-month revenue)")
    fig.legend(loc="outside right upper", fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    shown = latest.assign(as_of=latest["as_of"].dt.date)
    return _Section(
        title,
        _img(fig, "revenue at risk per tier")
        + f"<p>At the newest scoring date {_money(headline['revenue_at_risk'])} of predicted 12-month revenue is at "
        f"risk (Σ churn probability × predicted revenue, as in the scores export): "
        f"{_money(warned_risk)} of it with customers who get a warning (tier low or above), "
        f"{_money(float(latest.loc[latest['risk_tier'] == 'high', 'revenue_at_risk'].sum()))} in the high tier; "
        "the rest sits with customers below the lowest tier, whom nobody contacts.</p>"
        + _table(shown, floats="{:,.0f}"),
    )


def _decisions_section(decisions: list[dict[str, Any]]) -> _Section:
    title = "Promotion decisions and their reasons"
    if not decisions:
        return _Section(title, _no_data("The decision log is empty: no model has been judged yet."), False)
    rows = pd.DataFrame(
        [
            {
                "decided at": str(d.get("decided_at", ""))[:16].replace("T", " "),
                "kind": d.get("kind", ""),
                "version": d.get("version", ""),
                "outcome": "promoted" if d.get("promoted") else "not promoted",
                "previous champion": d.get("previous_champion") or "none",
                "reasons": "; ".join(d.get("reasons", [])),
            }
            for d in reversed(decisions[-30:])
        ]
    )
    last = decisions[-1]
    verdict = "promoted to champion" if last.get("promoted") else f"kept as {last.get('alias', 'challenger')}"
    return _Section(
        title,
        f"<p>Latest: version {html.escape(str(last.get('version')))} {verdict} ({html.escape(str(last.get('kind')))}, "
        f"{html.escape(str(last.get('decided_at')))}). Newest first; the full log is "
        "<code>registry/decisions.jsonl</code> in the data home.</p>" + _table(rows),
    )


def gate_verdicts(gates: pd.DataFrame) -> np.ndarray:
    """passed / warning / FAILED per gate row, by how each verdict counted when it was evaluated
    (`gate_store.latest`'s ``blocking``): a gate that only warned is not called a failure, in the table or the
    executive summary."""
    passed = gates["passed"].astype(bool).to_numpy()
    warned = ~passed & ~gates["blocking"].astype(bool).to_numpy()
    return np.where(passed, "passed", np.where(warned, "warning", "FAILED"))


def _gates_line(gates: pd.DataFrame | None) -> str:
    """The executive summary's word on the gates, by the same verdicts as the gate table."""
    if gates is None or not len(gates):
        return "no gate results"
    verdicts = gate_verdicts(gates)
    failed = sorted(set(gates["gate"][verdicts == "FAILED"]))
    warned = sorted(set(gates["gate"][verdicts == "warning"]))
    if failed:
        return f"data gate(s) FAILED: {', '.join(failed)}"
    if warned:
        return f"no data gate failed; warning: {', '.join(warned)} (see Data gates)"
    return "all data gates passed"


def _gates_section(wh: _Warehouse, config: RadarConfig) -> _Section:
    title = "Data gates"
    if wh.gates is None or not len(wh.gates):
        return _Section(title, _no_data("No data gate has been evaluated yet."), False)
    g = wh.gates.copy()
    fig, ax = _figure(height=2.6)
    ratio = g["value"] / g["threshold"].replace(0, np.nan)
    ax.barh(g["gate"], ratio, color=np.where(g["passed"], "#6a994e", "#d1495b"))
    ax.axvline(1, color="k", ls="--")
    ax.set_title("Gate figure ÷ its threshold (≥ 1 passes; green = passed)")
    ax.grid(alpha=0.3, axis="x")
    g["evaluated_at"] = pd.to_datetime(g["evaluated_at"]).dt.strftime("%Y-%m-%d %H:%M")
    g["verdict"] = gate_verdicts(g)
    g["value"] = [
        f"{v:,.0f}" if u in ("months", "customers", "churns") else f"{v:.1%}"
        for v, u in zip(g["value"], g["unit"], strict=True)
    ]
    g["threshold"] = [
        f"{v:,.0f}" if u in ("months", "customers", "churns") else f"{v:.1%}"
        for v, u in zip(g["threshold"], g["unit"], strict=True)
    ]
    g["failing"] = g["failing"].fillna("")
    return _Section(
        title,
        _img(fig, "data gate figures against thresholds")
        + f"<p>Latest evaluation of each gate ({wh.gate_runs} gate run(s) recorded); a failed gate blocks training "
        "and promotion; a warning (a history shorter than the domain's 18 months, where `gates.short_history` "
        "allows it) does not.</p>"
        + _table(g[["gate", "verdict", "value", "threshold", "unit", "failing", "evaluated_at"]]),
    )


def _summary(
    as_of: str,
    champion: _Champion | None,
    decisions: list[dict[str, Any]],
    wh: _Warehouse,
    h: dict[str, float],
    cutoffs: str,
) -> str:
    champ = (
        f"Champion: <b>{html.escape(champion.name)} v{champion.version}</b> (validated {champion.tags.get('valid_start', '?')} "
        f"to {champion.tags.get('valid_end', '?')}; ROC AUC {champion.metrics.get('roc_auc', float('nan')):.3f}, "
        f"PR AUC {champion.metrics.get('pr_auc', float('nan')):.3f})."
        if champion
        else "No champion model yet."
    )
    last = decisions[-1] if decisions else None
    decision = (
        f"Latest promotion decision: v{html.escape(str(last['version']))} "
        f"{'promoted' if last['promoted'] else 'not promoted'} — {html.escape('; '.join(last.get('reasons', [])))}."
        if last
        else "No promotion decision recorded."
    )
    gates = _gates_line(wh.gates)
    source = "live warnings" if h.get("warnings_followed_up_live") else BACKTEST
    warnings = (
        f"Warnings (tier low and up) from the cut-offs {html.escape(cutoffs)}"
        + (
            f": {h['customers_warned']:,.0f} customers warned at the newest scoring date"
            if "customers_warned" in h
            else ""
        )
        + (
            f"; on the champion's validation months they reached {h['validation_churners_warned']:,.0f} of "
            f"{h['validation_churners']:,.0f} churners ({_pct(h.get('validation_recall'))})."
            if "validation_churners" in h
            else "."
        )
    )
    cards = [
        ("customers scored", f"{h['customers_scored']:,.0f}" if "customers_scored" in h else "–"),
        ("customers warned", f"{h['customers_warned']:,.0f}" if "customers_warned" in h else "–"),
        ("high risk", f"{h['high_risk_customers']:.0f}" if "high_risk_customers" in h else "–"),
        ("revenue at risk", _money(h.get("revenue_at_risk"))),
        ("churn rate (last month)", f"{h['churn_rate_pct']:.2f} %" if "churn_rate_pct" in h else "–"),
        ("retention rate", f"{h['retention_rate_pct']:.2f} %" if "retention_rate_pct" in h else "–"),
        (f"warning precision ({source})", _pct(h.get("warning_precision"))),
        (f"warning recall ({source})", _pct(h.get("warning_recall"))),
        (f"false-positive rate ({source})", _pct(h.get("false_positive_rate"))),
        ("feature drift share", _pct(h.get("drift_share"))),
    ]
    card_html = "".join(
        f'<div class="card"><div class="v">{v}</div><div class="k">{html.escape(k)}</div></div>'
        for k, v in cards
    )
    return (
        f'<div class="cards">{card_html}</div><ul><li>{champ}</li><li>{decision}</li>'
        f"<li>{warnings}</li>"
        f"<li>Data: {gates}; {h.get('quarters_reviewed', 0):.0f} quarter(s) of model runs reviewed.</li>"
        f"<li>Scores as of {html.escape(as_of)}.</li></ul>"
    )


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1150px;color:#1d2733;
padding:0 1rem} h1{margin-bottom:.2rem} h2{border-bottom:2px solid #e3e7ec;padding-bottom:.3rem;margin-top:2.2rem}
.sub{color:#5b6b7b} img{max-width:100%;display:block;margin:.6rem 0} .nodata{color:#8a5a00;background:#fff6e0;
padding:.6rem .8rem;border-radius:6px} table.t{border-collapse:collapse;font-size:.82rem;margin:.5rem 0}
table.t th,table.t td{padding:.25rem .6rem;border-bottom:1px solid #e3e7ec;text-align:right;vertical-align:top}
table.t td:last-child{text-align:left;max-width:38rem} .cards{display:flex;flex-wrap:wrap;gap:.7rem;margin:1rem 0}
.card{background:#f3f6f9;border-radius:8px;padding:.7rem 1rem;min-width:9.5rem} .card .v{font-size:1.45rem;
font-weight:600} .card .k{font-size:.78rem;color:#5b6b7b} nav a{margin-right:.9rem;font-size:.88rem}
"""


def build_review(
    paths: RadarPaths, config: RadarConfig, *, generated_at: dt.datetime | None = None
) -> Review:
    """Gather, plot and write the review; returns where it is and its headline figures."""
    runs, champion = _mlflow_state(paths, config)
    realised = _realised_runs(paths, config)
    wh = _warehouse_state(paths, config, champion)
    drift_path, drift, share = _newest_drift(paths)
    decisions = _decisions(paths)
    interventions = _interventions(paths)
    headline: dict[str, float] = {}
    # The cut-offs monthly scoring used with this champion (its profit threshold may start the low tier).
    cutoffs = scoring_tiers(config.tiers, champion.metrics.get("profit_threshold") if champion else None)
    if wh.scores is not None and len(wh.scores):
        as_of = pd.to_datetime(wh.scores["as_of"]).max().date().isoformat()
    elif wh.as_of is not None:
        as_of = wh.as_of.isoformat()
    else:
        as_of = "no-data"
    sections = [
        _kpi_section(wh, config, interventions, headline, cutoffs),
        _quarters_section(runs, champion, headline),
        _calibration_section(wh, champion, headline),
        _drift_section(
            drift_path, drift, share, champion, runs, headline, config=config, wh=wh, realised=realised
        ),
        _tiers_section(wh, config, headline, cutoffs),
        _revenue_section(wh, headline),
        _decisions_section(decisions),
        _gates_section(wh, config),
    ]
    generated = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    anchors = [f"s{i}" for i in range(len(sections))]
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Retention Radar quarterly model review {html.escape(as_of)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Retention Radar — quarterly model review</h1><p class='sub'>Scores as of {html.escape(as_of)} · "
        f"generated {generated} · data home {html.escape(str(paths.home))}</p>"
        "<nav>"
        + "".join(
            f'<a href="#{a}">{html.escape(s.title)}</a>' for a, s in zip(anchors, sections, strict=True)
        )
        + "</nav><h2 id='summary'>Executive summary</h2>"
        + _summary(as_of, champion, decisions, wh, headline, cutoffs_line(cutoffs, config.tiers))
        + "".join(
            f'<h2 id="{a}">{html.escape(s.title)}</h2>{s.body}'
            for a, s in zip(anchors, sections, strict=True)
        )
        + "<p class='sub'>Aggregate figures only: this report lists no customer, name or e-mail.</p></body></html>"
    )
    target = paths.reports / f"quarterly_review_{as_of}.html"
    write_atomic(target, lambda p: p.write_text(doc, encoding="utf-8"))
    return Review(
        path=target,
        as_of=as_of,
        headline={k: v for k, v in headline.items() if np.isfinite(v)},
        champion_run_id=champion.run_id if champion else None,
        sections=["Executive summary", *(s.title for s in sections)],
        missing=[s.title for s in sections if not s.has_data],
    )


def log_to_mlflow(review: Review, paths: RadarPaths, config: RadarConfig) -> bool:
    """Attach the review to the champion's run (artifact folder `review/`); False when there is no champion."""
    if review.champion_run_id is None:
        return False
    from mlflow import MlflowClient

    from pipelines.lib.core.tracking import configure_mlflow

    configure_mlflow(paths, config.training.experiment)
    MlflowClient().log_artifact(review.champion_run_id, str(review.path), artifact_path="review")
    return True
