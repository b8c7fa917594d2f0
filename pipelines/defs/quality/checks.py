"""The data gates, as blocking asset checks on the feature mart: training cannot start past a failed gate.

Each check computes its figures in DuckDB, has Great Expectations validate them against the versioned suite in
`expectations/`, records the verdict, and shows the figure and the threshold in the Dagster UI.
"""

import dagster as dg
import pandas as pd

from pipelines.defs.resources import RadarResource
from pipelines.lib import gate_store, gates, quality
from pipelines.lib.warehouse import connect

FEATURES = dg.AssetKey(["marts", "customer_features"])


def _result(
    context: dg.AssetCheckExecutionContext,
    radar: RadarResource,
    results: list[gates.GateResult],
    extra: dict[str, object] | None = None,
) -> dg.AssetCheckResult:
    with connect(radar.paths.warehouse) as con:
        gate_store.record(con, results, run_id=context.op_execution_context.run_id)
    for r in results:
        (context.log.info if r.passed else context.log.error)(r.one_line())
    metadata: dict[str, object] = {}
    for r in results:
        metadata[f"{r.name}_value"] = dg.MetadataValue.float(float(r.value))
        metadata[f"{r.name}_threshold"] = dg.MetadataValue.float(float(r.threshold))
    metadata["verdict"] = dg.MetadataValue.md("\n".join(f"- {r.one_line()}" for r in results))
    metadata.update(extra or {})
    return dg.AssetCheckResult(
        passed=all(r.passed for r in results),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description="; ".join(r.one_line() for r in results),
    )


@dg.asset_check(asset=FEATURES, blocking=True, name="history_gate")
def history_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """At least `gates.min_history_months` (18) months between the first and the last record of every event
    source used for training."""
    with connect(radar.paths.warehouse, read_only=True) as con:
        tables = [t for t in gate_store.present_tables(con) if t != "accounts"]
        figures = pd.DataFrame(
            [
                {
                    k: v
                    for k, v in quality.table_quality(con, t).items()
                    if k in ("table", "months_of_history", "first_date", "last_date")
                }
                for t in tables
            ]
        )
    result = gates.history_gate(figures, min_months=radar.config.gates.min_history_months)
    return _result(context, radar, [result], {"per_source": dg.MetadataValue.md(_markdown(figures))})


@dg.asset_check(asset=FEATURES, blocking=True, name="quality_gate")
def quality_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """At least `gates.min_quality` (80%) usable records in every source table: keys and required fields
    present, dates parseable and not in the future, amounts not negative, customers known, keys unique."""
    with connect(radar.paths.warehouse, read_only=True) as con:
        tables = gate_store.present_tables(con)
        figures = pd.DataFrame([quality.table_quality(con, t) for t in tables])
        result = gates.quality_gate(figures, min_quality=radar.config.gates.min_quality)
        examples = {t: quality.failing_examples(con, t) for t in result.failing}
    extra: dict[str, object] = {"per_source": dg.MetadataValue.md(_markdown(figures))}
    for table, frame in examples.items():
        extra[f"examples_{table}"] = dg.MetadataValue.md(_markdown(frame))
    return _result(context, radar, [result], extra)


@dg.asset_check(asset=FEATURES, blocking=True, name="learnability_gate")
def learnability_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """Enough to learn from: at least `gates.min_active_customers` (100) active customers at the newest snapshot
    and `gates.min_churns` (20) churns in the last `gates.churn_lookback_years` (3) years."""
    settings = radar.config.gates
    with connect(radar.paths.warehouse, read_only=True) as con:
        figures = quality.population_figures(con, lookback_years=settings.churn_lookback_years)
    results = gates.learnability_gate(
        figures, min_active=settings.min_active_customers, min_churns=settings.min_churns
    )
    return _result(context, radar, results, {"as_of_date": figures["as_of_date"]})


def _markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False) if not frame.empty else "(none)"
