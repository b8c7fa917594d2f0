"""The data gates, as blocking asset checks: training cannot start past a failed gate.

- On `marts/customer_features` (block everything downstream, scoring included): **history** and **quality** per
  source, and the **feature mart**'s own contract.
- On `marts/churn_labels` (the training input, which scoring does not read): **learnability**. When it fails,
  Dagster skips training, drift, promotion and model scoring, while `health_scores` (downstream of the features
  only) publishes the rule-based health score as the fallback.

Each check computes its figures in DuckDB, has Great Expectations validate them against the versioned suites in
`expectations/`, records the verdict in `ops.gate_results`, and shows the figure, the threshold, the failing
sources, their top failing rules with example rows, and a link to the GE Data Docs in the data home.
"""

from dataclasses import replace

import dagster as dg
import pandas as pd

from pipelines.defs.metadata import markdown_table, shown
from pipelines.defs.resources import RadarResource
from pipelines.lib.core.warehouse import connect
from pipelines.lib.quality import gate_store, gates, quality

FEATURES = dg.AssetKey(["marts", "customer_features"])
LABELS = dg.AssetKey(["marts", "churn_labels"])


def _validator(radar: RadarResource, gate: str) -> gates.Validator:
    """The gate's GE context; its validation runs are named ``<gate>-<as-of date of the data>`` in the Data Docs."""
    with connect(radar.paths.warehouse, read_only=True) as con:
        as_of = con.execute("select max(as_of_date)::date from intermediate.int_data_window").fetchone()[0]
    return gates.Validator(radar.paths.gx_root, run_name=f"{gate}-{as_of or 'no-data'}")


def _result(
    context: dg.AssetCheckExecutionContext,
    radar: RadarResource,
    validator: gates.Validator,
    results: list[gates.GateResult],
    extra: dict[str, object] | None = None,
    *,
    blocks: bool = True,
) -> dg.AssetCheckResult:
    """``blocks=False``: a failure is a warning (severity WARN), which Dagster does not let stop the run."""
    results = [replace(r, blocking=blocks) for r in results]
    docs = validator.build_docs()
    with connect(radar.paths.warehouse) as con:
        gate_store.record(con, results, run_id=context.op_execution_context.run_id, docs=docs)
    for r in results:
        (context.log.info if r.passed else context.log.error if blocks else context.log.warning)(r.one_line())
    metadata: dict[str, object] = {}
    for r in results:
        metadata[f"{r.name}_value"] = float(r.value)
        metadata[f"{r.name}_threshold"] = float(r.threshold)
    metadata["verdict"] = dg.MetadataValue.md("\n".join(f"- {r.one_line()}" for r in results))
    if docs is not None:
        metadata["data_docs"] = radar.report_link(docs)
        metadata["data_docs_path"] = dg.MetadataValue.path(str(docs))
    metadata.update(extra or {})
    return dg.AssetCheckResult(
        passed=all(r.passed for r in results),
        severity=dg.AssetCheckSeverity.ERROR if blocks else dg.AssetCheckSeverity.WARN,
        metadata=shown(metadata),
        description="; ".join(r.one_line() for r in results),
    )


@dg.asset_check(asset=FEATURES, blocking=True, name="history_gate")
def history_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """At least `gates.min_history_months` (18) calendar months between the first and the last usable record of
    every event source delivered (suite `expectations/sources/<table>.json`, expectations with gate `history`).
    A shorter history blocks the run, or, with `gates.short_history: warn` (the default for inactivity churn),
    is a warning: the model then learns from the months there are, on windows fitted to them."""
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
    validator = _validator(radar, "history")
    result = gates.history_gate(validator, figures, min_months=radar.config.gates.min_history_months)
    # No figures at all (no dated table) is never just a warning.
    blocks = gates.is_blocking("history", history_blocks=radar.config.history_blocks) or figures.empty
    extra: dict[str, object] = {"per_source": markdown_table(figures)}
    if not result.passed and not blocks:
        extra["consequence"] = (
            "warning only (gates.short_history: warn): the model learns from the shorter history; "
            "its figures are less certain than with the 18 months the domain guide asks for"
        )
    return _result(context, radar, validator, [result], extra, blocks=blocks)


@dg.asset_check(asset=FEATURES, blocking=True, name="quality_gate")
def quality_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """At least `gates.min_quality` (80%) valid records in every delivered source. Valid: keys and required fields
    present (nulls count as invalid), required dates parseable and not in the future, amounts not negative, the
    customer known in accounts, the key not a duplicate of an earlier record."""
    validator = _validator(radar, "quality")
    with connect(radar.paths.warehouse, read_only=True) as con:
        tables = gate_store.present_tables(con)
        figures = pd.DataFrame([quality.table_quality(con, t) for t in tables])
        result = gates.quality_gate(validator, figures, min_quality=radar.config.gates.min_quality)
        examples = {t: quality.failing_examples(con, t) for t in result.failing}
    extra: dict[str, object] = {"per_source": markdown_table(per_source_quality(figures))}
    for table in result.failing:
        row = figures.set_index("table").loc[table]
        extra[f"top_rules_{table}"] = markdown_table(quality.top_rules(row))
        extra[f"examples_{table}"] = markdown_table(examples[table])
    return _result(context, radar, validator, [result], extra)


@dg.asset_check(asset=FEATURES, blocking=True, name="feature_mart_gate")
def feature_mart_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """The feature mart keeps its contract (`expectations/customer_features.json`): keys present and unique per
    snapshot, counts not negative, NPS within 0–10, no 'days since' below zero (which would mean leakage)."""
    with connect(radar.paths.warehouse, read_only=True) as con:
        mart = con.execute("select * from marts.customer_features").df()
    validator = _validator(radar, "feature_mart")
    result = gates.feature_mart_gate(validator, mart)
    return _result(context, radar, validator, [result], {"rows": dg.MetadataValue.int(len(mart))})


@dg.asset_check(asset=LABELS, blocking=True, name="learnability_gate")
def learnability_gate(context: dg.AssetCheckExecutionContext, radar: RadarResource) -> dg.AssetCheckResult:
    """Enough to learn from: at least `gates.min_active_customers` (100) active customers at the newest snapshot
    and `gates.min_churns` (20) churns in the last `gates.churn_lookback_years` (3) years. When it fails no
    model is trained; scores fall back to the rule-based health score (`score_source = health_score_fallback`)."""
    settings = radar.config.gates
    with connect(radar.paths.warehouse, read_only=True) as con:
        figures = quality.population_figures(
            con, lookback_years=settings.churn_lookback_years, definition=radar.config.churn.definition
        )
    validator = _validator(radar, "learnability")
    results = gates.learnability_gate(
        figures,
        min_active=settings.min_active_customers,
        min_churns=settings.min_churns,
        validator=validator,
    )
    extra: dict[str, object] = {"as_of_date": figures["as_of_date"]}
    if not all(r.passed for r in results):
        extra["fallback"] = "no model is trained; scores are the rule-based health score (health_scores)"
    return _result(context, radar, validator, results, extra)


def per_source_quality(figures: pd.DataFrame) -> pd.DataFrame:
    """One narrow row per source for the check page: records, faulty records, the valid share the gate judges and
    the rules broken, with their counts, in one column. The figures frame has a column per rule, most of which do
    not apply to a given table (NaN there), and is too wide for the UI to show whole."""
    rules = [c for c in figures.columns if c.startswith("rule_")]

    def broken(row: pd.Series) -> str:
        counts = [(c.removeprefix("rule_"), int(row[c])) for c in rules if pd.notna(row[c]) and row[c] > 0]
        return ", ".join(f"{name} {n:,}" for name, n in sorted(counts, key=lambda x: -x[1])) or "none"

    return pd.DataFrame(
        {
            "table": figures["table"],
            "records": figures["records"].map(lambda n: f"{int(n):,}"),
            "invalid": figures["invalid"].map(lambda n: f"{int(n):,}"),
            "valid": figures["valid_share"].map(lambda v: f"{v:.1%}"),
            "rules broken (records)": figures.apply(broken, axis=1) if len(figures) else [],
            "history": figures["first_date"].fillna("–") + " to " + figures["last_date"].fillna("–"),
        }
    )
