"""The state of an installation, derived from the warehouse and the MLflow registry (no separate state file)."""

from __future__ import annotations

import math
from typing import Any

from models_registry.registry import read_log
from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.warehouse import connect, table_exists
from pipelines.lib.quality import gate_store
from pipelines.lib.score.tiers import TIER_ORDER


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
        gates = gate_store.latest(con) if table_exists(con, "ops", "gate_results") else None
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
            }
            for g in (gates.itertuples() if gates is not None else [])
        ],
        "champion": champion(paths, config),
        # The MLflow UI's table of the training runs (None when no run was tracked yet)
        "mlflow_runs": mlflow_runs_url(paths, config),
        # None until a run got past the gates: then `scores` says why there are none
        "scoring": _scoring(scoring.iloc[0]) if scored else None,
        "scores": "present" if scored else _no_scores_line(gates),
        "data_docs": str(paths.data_docs) if paths.data_docs.exists() else None,
        "drift_report": str(drift_reports[-1]) if drift_reports else None,
        "scores_export": str(paths.scores_csv) if paths.scores_csv.exists() else None,
        "decision_log": str(paths.decision_log) if paths.decision_log.exists() else None,
        "last_decision": (decision := _last_decision(paths)),
        "held_back": held_back_line(decision),
    }


def blocked(state: dict[str, Any]) -> bool:
    """No customer is scored and the latest gate results include a failure: a data gate stopped the runs."""
    return state["scoring"] is None and any(not g["passed"] for g in state["gates"])


def _scoring(row: Any) -> dict[str, Any]:
    return {
        "as_of": str(row["as_of"].date() if hasattr(row["as_of"], "date") else row["as_of"]),
        "customers": int(row["customers"]),
        "model_version": row["model_version"],
        # model, or health_score_fallback when the learnability gate failed and no model was trained
        "score_source": row["score_source"],
        "tiers": {t: int(row[f"tier_{t}"]) for t in TIER_ORDER},
    }


def _no_scores_line(gates: Any) -> str:
    failed = [] if gates is None else [g.gate for g in gates.itertuples() if not g.passed]
    if failed:
        return f"no scores yet: the last run was blocked by the gate(s) {', '.join(failed)}"
    return "no scores yet: no run has reached scoring (run `radar run`)"


def champion(paths: RadarPaths, config: RadarConfig) -> dict[str, Any] | None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from pipelines.lib.core.tracking import configure_mlflow

    if not paths.mlflow_db.exists():
        return None
    configure_mlflow(paths, config.training.experiment)
    client = MlflowClient()
    name = config.training.model_name
    try:
        version = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return None
    metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
    return {
        "model_name": name,
        "version": str(version.version),
        "run_id": version.run_id,
        # A figure without data (a fold too early for its history, precision of a tier nobody reached) is NaN in
        # MLflow; it is left out here, so the JSON stays strict JSON.
        "metrics": {k: v for k, v in sorted(metrics.items()) if math.isfinite(v)},
    }


def mlflow_runs_url(paths: RadarPaths, config: RadarConfig) -> str | None:
    """Where the MLflow UI lists this experiment's runs; MLflow 3 would otherwise open its GenAI view."""
    if not paths.mlflow_db.exists():
        return None
    from pipelines.lib.core.tracking import configure_mlflow

    return config.ui.links(paths).mlflow_runs(configure_mlflow(paths, config.training.experiment))


def held_back_line(decision: dict[str, Any] | None) -> str | None:
    """One line on why the newest candidate did not become champion (None when it did, or none was decided)."""
    if not decision or decision.get("promoted"):
        return None
    return f"v{decision['version']} held back as {decision['alias']}: " + "; ".join(decision["reasons"])


def _last_decision(paths: RadarPaths) -> dict[str, Any] | None:
    records = read_log(paths.decision_log)
    return records[-1] if records else None
