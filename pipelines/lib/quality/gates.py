"""The data gates: Great Expectations validates the gate figures against versioned suites in ``expectations/``.

Suites: one per source (``expectations/sources/<table>.json``; each expectation names its gate in ``meta.gate``:
``quality`` or ``history``), one for the feature mart (``customer_features.json``) and one for learnability
(``learnability.json``). Thresholds are suite parameters filled from ``radar.yaml`` at run time, so the suite
files say *what* is checked and the configuration says *how much* is enough.

Validations run in a file-backed GE context in the data home (``$RADAR_HOME/gx``), so every result lands in the
GE Data Docs there (``gx/uncommitted/data_docs/local_site/index.html``), rebuilt after each gate and made to
open offline (``data_docs.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.lib.core.paths import EXPECTATIONS_DIR

logger = logging.getLogger(__name__)

SOURCE_SUITES_DIR = EXPECTATIONS_DIR / "sources"
LEARNABILITY_GATES = ("active_customers", "churn_history")
# GE's pages describe a gate's expectation by GE's own template and judge "0 % unexpected" of the one row a
# gate validates; an expectation's `description` replaces the template, so it carries the gate's own figure.
FIGURE_PREFIX = "gate figure: "


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict: the figure it judged (the worst one, where there are several) and the threshold."""

    name: str
    passed: bool
    value: float
    threshold: float
    unit: str
    details: list[dict[str, Any]] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    blocking: bool = True  # a failure stops training; False: it only warns (see `is_blocking`)

    def one_line(self) -> str:
        verdict = "passed" if self.passed else "FAILED" if self.blocking else "warning (not blocking)"
        where = f" ({', '.join(self.failing)})" if self.failing else ""
        return (
            f"gate '{self.name}' {verdict}: {_fmt(self.value, self.unit)}{where}, "
            f"threshold {_fmt(self.threshold, self.unit)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "value": self.value,
            "threshold": self.threshold,
            "unit": self.unit,
            "failing": self.failing,
        }


def is_blocking(gate: str, *, history_blocks: bool) -> bool:
    """Whether a failure of ``gate`` holds training back. Every gate does, except a short history where
    `gates.short_history: warn` allows it (`RadarConfig.history_blocks`): the one place this rule lives, for the
    checks' severity, the promotion decision, the status and the review."""
    return gate != "history" or history_blocks


def _fmt(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.1%}"
    if float(value).is_integer():  # counts (months, customers, churns) with thousands separators
        return f"{value:,.0f} {unit}".strip()
    return f"{value:g} {unit}".strip()


def load_suite_definition(name: str) -> dict[str, Any]:
    """A suite by file stem: ``learnability``, ``customer_features`` or ``sources/<table>``."""
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())


class Validator:
    """One GE context for a gate's validations: file-backed in ``docs_root`` (results and Data Docs kept there),
    or in memory when ``docs_root`` is None (unit tests). ``run_name`` (e.g. ``history-2026-10-31``: the gate
    and the data's as-of date) names the validation runs in the Data Docs, which otherwise list them as
    ``__none__``."""

    def __init__(self, docs_root: Path | None = None, *, run_name: str | None = None) -> None:
        import great_expectations as gx  # heavy import: only where a gate runs
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        if docs_root is None:
            self.ctx = gx.get_context(mode="ephemeral")
        else:
            docs_root.mkdir(parents=True, exist_ok=True)
            self.ctx = gx.get_context(mode="file", project_root_dir=docs_root)
        self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.persistent = docs_root is not None
        self.run_name = run_name
        self._source = self.ctx.data_sources.add_or_update_pandas("gates")

    def validate(
        self,
        suite_file: str,
        frame: pd.DataFrame,
        parameters: dict[str, float],
        *,
        index_column: str,
        gate: str | None = None,
        figures: dict[str, str] | None = None,
    ):
        """Run one suite over ``frame``; returns GE's validation result (raises if GE itself fails).

        With ``gate``, only the suite's expectations whose ``meta.gate`` names that gate are run, as the suite
        ``<name>__<gate>``: a source suite holds the history and the quality expectation, and each gate sees
        only its own figures, so running the other gate's expectation would fail for a missing column and
        show a red page in the Data Docs for a gate that passed. ``figures`` (expectation column -> text) is the
        figure each expectation judges, as the gate states it (``97.3 % valid: 12,012 of 12,345 records``); the
        Data Docs show it in a column of its own."""
        gx = self._gx
        definition = load_suite_definition(suite_file)
        name, expectations = definition["name"], definition["expectations"]
        if gate is not None:
            expectations = [e for e in expectations if (e.get("meta") or {}).get("gate", "quality") == gate]
            name = f"{name}__{gate}"
        if figures:
            expectations = [_with_figure(e, figures) for e in expectations]
        suite = self.ctx.suites.add_or_update(
            gx.ExpectationSuite(name=name, expectations=expectations, meta=definition.get("meta", {}))
        )
        try:
            asset = self._source.get_asset(name)
        except LookupError:
            asset = self._source.add_dataframe_asset(name)
        try:
            batch_definition = asset.get_batch_definition("whole")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        validation = self.ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]}
        if not self.persistent:
            return validation.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=parameters,
                result_format=result_format,
            )
        # A checkpoint stores the result where Data Docs find it.
        checkpoint = self.ctx.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[validation], result_format=result_format)
        )
        from great_expectations.core.run_identifier import RunIdentifier

        run = checkpoint.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            run_id=RunIdentifier(run_name=self.run_name, run_time=dt.datetime.now(dt.UTC))
            if self.run_name
            else None,
        )
        key, result = next(iter(run.run_results.items()))
        # GE 1.24's validation page reads the data asset from the batch spec, which a dataframe batch leaves
        # without one ("Data asset: None"); the batch definition has it. Store the result again with the name.
        asset_name = (result.meta.get("active_batch_definition") or {}).get("data_asset_name")
        if asset_name and not (result.meta.get("batch_spec") or {}).get("data_asset_name"):
            result.meta["batch_spec"] = {
                **(result.meta.get("batch_spec") or {}),
                "data_asset_name": asset_name,
            }
            self.ctx.validation_results_store.set(key, result)
        return result

    def build_docs(self) -> Path | None:
        """Rebuild the Data Docs site; returns its index.html (None for an in-memory context)."""
        if not self.persistent:
            return None
        from pipelines.lib.quality.data_docs import make_offline

        urls = self.ctx.build_data_docs()
        index = Path(next(iter(urls.values())).removeprefix("file://"))
        make_offline(index.parent)  # GE's pages load their CSS/JS from CDNs; these point them at local copies
        return index


def _with_figure(expectation: dict[str, Any], figures: dict[str, str]) -> dict[str, Any]:
    """The expectation described by what it checks and the gate's figure for its column (GE's templates read
    ``$`` as a parameter, so none may appear)."""
    column = (expectation.get("kwargs") or {}).get("column")
    if column not in figures:
        return expectation
    why = (expectation.get("meta") or {}).get("why")
    text = f"{column}: {FIGURE_PREFIX}{figures[column]}" + (f" ({why})" if why else "")
    return {**expectation, "description": text.replace("$", "")}


def source_figures(row: dict[str, Any], *, min_quality: float, min_history_months: int) -> dict[str, str]:
    """What a source's gate figures say, per suite column, in the words of the gate's own line."""
    records, invalid = int(row.get("records") or 0), int(row.get("invalid") or 0)
    out: dict[str, str] = {}
    if "valid_share" in row:
        out["valid_share"] = (
            f"{float(row['valid_share']):.1%} valid, {records - invalid:,} of {records:,} records "
            f"({invalid:,} faulty); the gate asks for at least {min_quality:.0%}"
        )
    if "months_of_history" in row:
        span = f"{row.get('first_date') or '–'} to {row.get('last_date') or '–'}"
        out["months_of_history"] = (
            f"{int(row['months_of_history'])} months of usable records, {span}; the gate asks for at least "
            f"{min_history_months}"
        )
    return out


def _failing_indexes(result, index_column: str) -> list[str]:
    failing: list[str] = []
    for r in result.results:
        for item in r.result.get("unexpected_index_list") or []:
            label = str(item.get(index_column))
            if label not in failing:
                failing.append(label)
    return failing


def source_suites(
    validator: Validator, figures: pd.DataFrame, *, gate: str, min_quality: float, min_history_months: int
) -> dict[str, bool]:
    """``gate``'s expectations of each present source's own suite over its figures row: ``{table: passed}``."""
    verdicts: dict[str, bool] = {}
    params = {"min_quality": min_quality, "min_history_months": min_history_months}
    for row in figures.to_dict(orient="records"):
        table = row["table"]
        result = validator.validate(
            f"sources/{table}",
            pd.DataFrame([row]),
            params,
            index_column="table",
            gate=gate,
            figures=source_figures(row, **params),
        )
        if not result.results:
            raise ValueError(f"expectations/sources/{table}.json has no expectation for the {gate} gate")
        verdicts[table] = all(bool(r.success) for r in result.results)
    return verdicts


def quality_gate(validator: Validator, figures: pd.DataFrame, *, min_quality: float) -> GateResult:
    """At least ``min_quality`` valid records in every present source (the worst source is the figure)."""
    verdicts = source_suites(
        validator, figures, gate="quality", min_quality=min_quality, min_history_months=0
    )
    failing = [t for t, passed in verdicts.items() if not passed]
    return GateResult(
        name="quality",
        passed=not failing and len(figures) > 0,
        value=round(float(figures["valid_share"].min()), 4) if len(figures) else 0.0,
        threshold=min_quality,
        unit="share",
        details=figures.to_dict(orient="records"),
        failing=failing,
    )


def history_gate(validator: Validator, figures: pd.DataFrame, *, min_months: int) -> GateResult:
    """At least ``min_months`` of history in every present event source (the shortest is the figure)."""
    if figures.empty:
        # Only accounts were delivered: there is no event history at all to learn from.
        return GateResult("history", False, 0.0, float(min_months), "months", failing=["(no event source)"])
    verdicts = source_suites(
        validator, figures, gate="history", min_quality=0.0, min_history_months=min_months
    )
    failing = [t for t, passed in verdicts.items() if not passed]
    return GateResult(
        name="history",
        passed=not failing,
        value=float(figures["months_of_history"].min()),
        threshold=float(min_months),
        unit="months",
        details=figures.to_dict(orient="records"),
        failing=failing,
    )


def feature_mart_gate(validator: Validator, mart: pd.DataFrame) -> GateResult:
    """The feature mart keeps its contract: the share of its suite's expectations that hold (must be all)."""
    result = validator.validate("customer_features", mart, {}, index_column="customer_id")
    failed = [
        f"{r.expectation_config.type.removeprefix('expect_')}({r.expectation_config.kwargs.get('column') or ','.join(r.expectation_config.kwargs.get('column_list', []))})"
        for r in result.results
        if not r.success
    ]
    total = len(result.results)
    return GateResult(
        name="feature_mart",
        passed=not failed,
        value=round((total - len(failed)) / total, 4) if total else 0.0,
        threshold=1.0,
        unit="share",
        details=[{"rows": len(mart), "expectations": total, "failed": failed}],
        failing=failed,
    )


def learnability_gate(
    figures: dict[str, Any], *, min_active: int, min_churns: int, validator: Validator | None = None
) -> list[GateResult]:
    """Two verdicts from one suite run: enough active customers, and enough churn history."""
    frame = pd.DataFrame([{"population": "all", **figures}])
    as_of = figures.get("as_of_date", "the newest snapshot")
    result = (validator or Validator()).validate(
        "learnability",
        frame,
        {"min_active_customers": min_active, "min_churns": min_churns},
        index_column="population",
        figures={
            "active_customers": f"{int(figures['active_customers']):,} active customers at {as_of} "
            f"(at least {min_active:,})",
            "churns_in_lookback": f"{int(figures['churns_in_lookback']):,} churns in the lookback before {as_of} "
            f"(at least {min_churns:,})",
        },
    )
    by_column = {r.expectation_config.kwargs["column"]: bool(r.success) for r in result.results}
    return [
        GateResult(
            name="active_customers",
            passed=by_column["active_customers"],
            value=float(figures["active_customers"]),
            threshold=float(min_active),
            unit="customers",
            details=[figures],
        ),
        GateResult(
            name="churn_history",
            passed=by_column["churns_in_lookback"],
            value=float(figures["churns_in_lookback"]),
            threshold=float(min_churns),
            unit="churns",
            details=[figures],
        ),
    ]
