"""The data gates: Great Expectations validates the gate figures against versioned suites in ``expectations/``.

Thresholds are suite parameters filled from ``radar.yaml`` at run time, so the suite files say *what* is checked
and the configuration says *how much* is enough.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipelines.lib.paths import EXPECTATIONS_DIR

logger = logging.getLogger(__name__)


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

    def one_line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
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


def _fmt(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.1%}"
    if unit == "months":
        return f"{value:g} months"
    return f"{value:g} {unit}".strip()


def load_suite_definition(name: str) -> dict[str, Any]:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())


def validate(suite_name: str, frame: pd.DataFrame, parameters: dict[str, float], *, index_column: str):
    """Run one GE suite over ``frame``; returns GE's validation result (raises if GE itself fails)."""
    import great_expectations as gx  # heavy import: only where a gate runs
    from great_expectations.data_context.types.base import ProgressBarsConfig

    definition = load_suite_definition(suite_name)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = ctx.suites.add(
        gx.ExpectationSuite(
            name=definition["name"], expectations=definition["expectations"], meta=definition.get("meta", {})
        )
    )
    batch = ctx.data_sources.add_pandas("gate").add_dataframe_asset(suite_name)
    validation = ctx.validation_definitions.add(
        gx.ValidationDefinition(
            name=suite_name, data=batch.add_batch_definition_whole_dataframe("whole"), suite=suite
        )
    )
    return validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]},
    )


def _failing_indexes(result, index_column: str) -> list[str]:
    failing: list[str] = []
    for r in result.results:
        for item in r.result.get("unexpected_index_list") or []:
            label = str(item.get(index_column))
            if label not in failing:
                failing.append(label)
    return failing


def quality_gate(figures: pd.DataFrame, *, min_quality: float) -> GateResult:
    result = validate("source_quality", figures, {"min_quality": min_quality}, index_column="table")
    return GateResult(
        name="quality",
        passed=bool(result.success),
        value=round(float(figures["valid_share"].min()), 4) if len(figures) else 0.0,
        threshold=min_quality,
        unit="share",
        details=figures.to_dict(orient="records"),
        failing=_failing_indexes(result, "table"),
    )


def history_gate(figures: pd.DataFrame, *, min_months: int) -> GateResult:
    if figures.empty:
        # Only accounts were delivered: there is no event history at all to learn from.
        figures = pd.DataFrame({"table": ["(no event source)"], "months_of_history": [0]})
    result = validate("history", figures, {"min_history_months": min_months}, index_column="table")
    return GateResult(
        name="history",
        passed=bool(result.success),
        value=float(figures["months_of_history"].min()),
        threshold=float(min_months),
        unit="months",
        details=figures.to_dict(orient="records"),
        failing=_failing_indexes(result, "table"),
    )


def learnability_gate(figures: dict[str, Any], *, min_active: int, min_churns: int) -> list[GateResult]:
    """Two verdicts from one suite run: enough active customers, and enough churn history."""
    frame = pd.DataFrame([{"population": "all", **figures}])
    result = validate(
        "learnability",
        frame,
        {"min_active_customers": min_active, "min_churns": min_churns},
        index_column="population",
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
