"""The state of an installation, derived from the warehouse and the MLflow registry (no separate state file)."""

from __future__ import annotations

import math
from typing import Any

from models_registry.registry import read_log
from pipelines.lib.core.config import RadarConfig, TierSettings
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.quality import gate_store
from pipelines.lib.score.tiers import TIER_ORDER, cutoffs_line, low_source, scoring_tiers, warning_recall


class NoSuccessfulRunError(RuntimeError):
    """There is nothing to report yet; the message says what is missing."""


def collect(paths: RadarPaths, config: RadarConfig) -> dict[str, Any]:
    if not paths.warehouse.exists():
        raise NoSuccessfulRunError(
            f"no successful run yet: no warehouse at {paths.warehouse} (run `radar run`)"
        )
    with connect(paths.warehouse, read_only=True) as con:
        if not table_exists(con, "ops", "loads"):
            raise NoSuccessfulRunError("no successful run yet: no source was ever extracted")
        loads = con.execute(
            """select table_name, status, rows, source_dir from ops.loads
               qualify row_number() over (partition by table_name order by load_id desc) = 1
               order by table_name"""
        ).df()
        gates = (
            gate_store.latest(con, history_blocks=config.history_blocks)
            if table_exists(con, "ops", "gate_results")
            else None
        )
        scoring = None
        if table_exists(con, "scores", "customer_scores"):
            scoring = con.execute(
                """select as_of, count(*) as customers, any_value(model_version) as model_version,
                          any_value(score_source) as score_source,
                          {tiers}
                   from scores.customer_scores
                   where as_of = (select max(as_of) from scores.customer_scores)
                   group by as_of""".format(
                    tiers=", ".join(
                        f"count(*) filter (where risk_tier = '{t}') as tier_{t}" for t in TIER_ORDER
                    )
                )
            ).df()
    scored = scoring is not None and not scoring.empty
    if not scored and (gates is None or gates.empty):
        raise NoSuccessfulRunError("no successful run yet: no customer has been scored (run `radar run`)")
    drift_reports = sorted(paths.reports.glob("drift_*.html"), key=lambda p: p.stat().st_mtime)
    reviews = sorted(paths.reports.glob("quarterly_review_*.html"), key=lambda p: p.stat().st_mtime)
    champ = champion(paths, config)
    return {
        "home": str(paths.home),
        "sources": {
            "folder": str(loads["source_dir"].iloc[-1]) if len(loads) else None,
            "tables": {r.table_name: {"status": r.status, "rows": int(r.rows)} for r in loads.itertuples()},
        },
        "gates": [
            {
                "name": g.gate,
                "passed": bool(g.passed),
                "value": float(g.value),
                "threshold": float(g.threshold),
                "unit": g.unit,
                "failing": g.failing or None,
                "blocking": bool(g.blocking),
            }
            for g in (gates.itertuples() if gates is not None else [])
        ],
        "champion": champ,
        # The MLflow UI's table of the training runs (None when no run was tracked yet)
        "mlflow_runs": mlflow_runs_url(paths, config),
        # None until a run got past the gates: then `scores` says why there are none
        "scoring": _scoring(scoring.iloc[0], config, champ) if scored else None,
        "scores": "present" if scored else _no_scores_line(gates),
        "data_docs": str(paths.data_docs) if paths.data_docs.exists() else None,
        "drift_report": str(drift_reports[-1]) if drift_reports else None,
        "scores_export": str(paths.scores_csv) if paths.scores_csv.exists() else None,
        "quarterly_review": str(reviews[-1]) if reviews else None,
        "decision_log": str(paths.decision_log) if paths.decision_log.exists() else None,
        "last_decision": (decision := _last_decision(paths)),
        "held_back": held_back_line(decision),
        "next_commands": NEXT_COMMANDS,
    }


# What a user does after a run, in the order they usually want it; `radar status` and the demo summary print it.
NEXT_COMMANDS = [
    {
        "command": "radar report",
        "what": "rebuild the quarterly review from this data home and print its path",
    },
    {
        "command": "radar backfill --quarters 4",
        "what": "retrain the last four quarters in order, each on its own data, and compare them in the review",
    },
    {
        "command": "radar ui",
        "what": "the Dagster UI (runs, gates, assets) and the MLflow UI (models, metrics)",
    },
    {"command": "radar status --json", "what": "this state as JSON"},
]


def blocked(state: dict[str, Any]) -> bool:
    """No customer is scored and the latest gate results include a failure: a data gate stopped the runs."""
    return state["scoring"] is None and any(not g["passed"] for g in state["gates"])


def _scoring(row: Any, config: RadarConfig, champ: dict[str, Any] | None) -> dict[str, Any]:
    tiers = {t: int(row[f"tier_{t}"]) for t in TIER_ORDER}
    out: dict[str, Any] = {
        "as_of": str(row["as_of"].date() if hasattr(row["as_of"], "date") else row["as_of"]),
        "customers": int(row["customers"]),
        "model_version": row["model_version"],
        # model, or health_score_fallback when the learnability gate failed and no model was trained
        "score_source": row["score_source"],
        "tiers": tiers,
        "warned": sum(n for t, n in tiers.items() if t != "none"),
        "cutoffs": None,
        "warnings": None,
    }
    if row["score_source"] == "model" and champ is not None:
        out["cutoffs"], out["warnings"] = warning_coverage(config.tiers, champ)
    return out


def warning_coverage(
    configured: TierSettings, champ: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cut-offs the champion's scores use and how many churners its warnings (tier low and up) reached on
    its validation months: what a team needs to judge whether the list is worth working through."""
    cutoffs = scoring_tiers(configured, champ["metrics"].get("profit_threshold"))
    validation = champ.get("validation") or {}
    recall = warning_recall(cutoffs, configured, champ["metrics"])
    churns = validation.get("churns")
    return (
        {
            "low": cutoffs.low,
            "medium": cutoffs.medium,
            "high": cutoffs.high,
            "low_from": low_source(cutoffs, configured),
            "line": cutoffs_line(cutoffs, configured),
        },
        {
            "validation_start": validation.get("start"),
            "validation_end": validation.get("end"),
            "validation_churners": churns,
            "recall": recall,
            "churners_warned": round(recall * churns) if recall is not None and churns is not None else None,
        },
    )


def _no_scores_line(gates: Any) -> str:
    failed = [] if gates is None else [g.gate for g in gates.itertuples() if not g.passed]
    if failed:
        return f"no scores yet: the last run was blocked by the gate(s) {', '.join(failed)}"
    return "no scores yet: no run has reached scoring (run `radar run`)"


def champion(paths: RadarPaths, config: RadarConfig) -> dict[str, Any] | None:
    from mlflow.exceptions import MlflowException

    from pipelines.lib.core.tracking import Tracking

    tracking = Tracking.for_home(paths, config.training.experiment)
    if not tracking.exists():
        return None
    client = tracking.client()
    name = config.training.model_name
    try:
        version = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return None
    run = client.get_run(version.run_id) if version.run_id else None
    metrics = run.data.metrics if run is not None else {}
    tags = run.data.tags if run is not None else {}
    return {
        "model_name": name,
        "version": str(version.version),
        "run_id": version.run_id,
        # the months the champion was judged on (tags of its training run)
        "validation": {
            "start": tags.get("valid_start"),
            "end": tags.get("valid_end"),
            "churns": int(tags["valid_churns"]) if tags.get("valid_churns", "").isdigit() else None,
        },
        # A figure without data (a fold too early for its history, precision of a tier nobody reached) is NaN in
        # MLflow; it is left out here, so the JSON stays strict JSON.
        "metrics": {k: v for k, v in sorted(metrics.items()) if math.isfinite(v)},
    }


def mlflow_runs_url(paths: RadarPaths, config: RadarConfig) -> str | None:
    """Where the MLflow UI lists this experiment's runs; MLflow 3 would otherwise open its GenAI view."""
    from pipelines.lib.core.tracking import Tracking

    tracking = Tracking.for_home(paths, config.training.experiment)
    if not tracking.exists():
        return None
    return config.ui.links(paths).mlflow_runs(tracking.experiment_id())


def held_back_line(decision: dict[str, Any] | None) -> str | None:
    """One line on why the newest candidate did not become champion (None when it did, or none was decided)."""
    if not decision or decision.get("promoted"):
        return None
    return f"v{decision['version']} held back as {decision['alias']}: " + "; ".join(decision["reasons"])


def _last_decision(paths: RadarPaths) -> dict[str, Any] | None:
    records = read_log(paths.decision_log)
    return records[-1] if records else None
