"""Drift between the training reference and now, measured by Evidently: of the features (data drift), of one
column such as the model's churn probability (prediction drift) or the churn label (target drift).

Both sides are sampled deterministically so that monitoring stays fast on large marts and gives the same answer
on a re-run. A failure inside Evidently propagates: monitoring that did not run must never read as "no drift".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pipelines.lib.core.atomic import write_atomic


@dataclass(frozen=True)
class Periods:
    """Which data each side of a comparison is, in words for the report's reader (Evidently's pages say only
    "reference" and "current")."""

    title: str
    reference: str
    current: str

    def tags(self) -> list[str]:
        return [f"reference: {self.reference}", f"current: {self.current}"]


_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)


def save_html(snapshot: Any, path: Path, periods: Periods | None) -> Path:
    """Evidently's self-contained HTML, atomically, with a header naming the reference and current data."""

    def write(target: Path) -> None:
        snapshot.save_html(str(target))
        if periods is None:
            return
        page = target.read_text(encoding="utf-8")
        header = (
            '<div style="font-family:system-ui,sans-serif;padding:12px 20px;background:#f3f6f9;'
            'border-bottom:1px solid #d5dbe1">'
            f"<div style='font-size:18px;font-weight:600'>{html.escape(periods.title)}</div>"
            f"<div><b>reference</b>: {html.escape(periods.reference)}</div>"
            f"<div><b>current</b>: {html.escape(periods.current)}</div></div>"
        )
        match = _BODY.search(page)
        if match is None:
            raise RuntimeError("Evidently's HTML has no <body>; cannot say which months it compares")
        target.write_text(page[: match.end()] + header + page[match.end() :], encoding="utf-8")

    return write_atomic(path, write)


@dataclass(frozen=True)
class DriftSummary:
    drift_share: float
    drifted_columns: list[str]
    columns_compared: int
    reference_rows: int
    current_rows: int
    html_path: Path
    json_path: Path
    per_column: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns,
            "columns_compared": self.columns_compared,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "html_path": str(self.html_path),
            "json_path": str(self.json_path),
        }


def deterministic_sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows, the same ones on every run with the same ``seed``: monitoring stays fast on large
    data and a re-run gives the same answer."""
    return frame.sample(n=rows, random_state=seed) if len(frame) > rows else frame


def measure_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: list[str],
    *,
    out_dir: Path,
    stem: str,
    sample_rows: int,
    drift_share: float,
    seed: int = 0,
    periods: Periods | None = None,
) -> DriftSummary:
    from evidently import DataDefinition, Dataset, Report  # heavy import: only where drift is measured
    from evidently.presets import DataDriftPreset

    # A column that is empty on either side (a source the company does not have) cannot drift; leave it out.
    usable = [c for c in features if reference[c].notna().any() and current[c].notna().any()]
    if not usable:
        raise ValueError("no feature has data in both the reference and the current snapshot")
    ref = deterministic_sample(reference[usable], sample_rows, seed)
    cur = deterministic_sample(current[usable], sample_rows, seed)
    schema = DataDefinition(numerical_columns=usable)
    snapshot = Report([DataDriftPreset(drift_share=drift_share)], include_tests=True).run(
        current_data=Dataset.from_pandas(cur, data_definition=schema),
        reference_data=Dataset.from_pandas(ref, data_definition=schema),
        name=periods.title if periods else None,
        tags=periods.tags() if periods else None,
    )
    result = snapshot.dict()
    per_column: dict[str, dict[str, Any]] = {}
    share = None
    for metric in result["metrics"]:
        kind = metric["config"]["type"]
        if kind.endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith("ValueDrift"):
            cfg = metric["config"]
            score, threshold, method = float(metric["value"]), float(cfg["threshold"]), cfg["method"]
            # p-value methods flag drift below the threshold, distance methods at or above it.
            drifted = score < threshold if "p_value" in method else score >= threshold
            per_column[cfg["column"]] = {
                "method": method,
                "score": score,
                "threshold": threshold,
                "drifted": drifted,
            }
    if share is None:
        raise RuntimeError("Evidently's report has no DriftedColumnsCount metric; drift was not measured")
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = save_html(snapshot, out_dir / f"{stem}.html", periods)
    json_path = write_atomic(out_dir / f"{stem}.json", lambda p: p.write_text(snapshot.json()))
    return DriftSummary(
        drift_share=share,
        drifted_columns=sorted(c for c, v in per_column.items() if v["drifted"]),
        columns_compared=len(usable),
        reference_rows=len(ref),
        current_rows=len(cur),
        html_path=html_path,
        json_path=json_path,
        per_column=per_column,
    )


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift: Evidently's score under a fixed method, and whether its test flagged drift."""

    column: str
    method: str
    score: float
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    reference_mean: float
    current_mean: float
    html_path: Path
    json_path: Path

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "method": self.method,
            "score": self.score,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "reference_mean": self.reference_mean,
            "current_mean": self.current_mean,
            "html_path": str(self.html_path),
            "json_path": str(self.json_path),
        }


def measure_column_drift(
    reference: pd.Series,
    current: pd.Series,
    *,
    kind: Literal["numerical", "categorical"],
    method: str,
    threshold: float,
    out_dir: Path,
    stem: str,
    sample_rows: int,
    seed: int = 0,
    periods: Periods | None = None,
) -> ColumnDrift:
    """Evidently's ValueDrift of one column, with the method fixed by the caller.

    Evidently would otherwise switch methods with the sample size (a p-value up to 1,000 rows, a distance above),
    and a score plotted over time must mean the same thing every time. Whether the column drifted is Evidently's
    own test verdict (p-value methods flag drift below the threshold, distances at or above it).
    """
    from evidently import DataDefinition, Dataset, Report  # heavy import: only where drift is measured
    from evidently.metrics import ValueDrift

    name = str(reference.name or current.name or "value")
    ref = deterministic_sample(reference.dropna().rename(name).to_frame(), sample_rows, seed)
    cur = deterministic_sample(current.dropna().rename(name).to_frame(), sample_rows, seed)
    if ref.empty or cur.empty:
        raise ValueError(f"no {name} values in the {'reference' if ref.empty else 'current'} data to compare")
    columns = {"numerical_columns": [name]} if kind == "numerical" else {"categorical_columns": [name]}
    schema = DataDefinition(**columns)
    snapshot = Report([ValueDrift(column=name, method=method, threshold=threshold)], include_tests=True).run(
        current_data=Dataset.from_pandas(cur, data_definition=schema),
        reference_data=Dataset.from_pandas(ref, data_definition=schema),
        name=periods.title if periods else None,
        tags=periods.tags() if periods else None,
    )
    result = snapshot.dict()
    metrics = [m for m in result["metrics"] if m["config"]["type"].endswith("ValueDrift")]
    tests = [t for t in result["tests"] if t["metric_config"]["params"]["type"].endswith("ValueDrift")]
    if len(metrics) != 1 or len(tests) != 1:
        raise RuntimeError(f"Evidently's report has no drift verdict for {name}; drift was not measured")
    status = tests[0]["status"]
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = save_html(snapshot, out_dir / f"{stem}.html", periods)
    json_path = write_atomic(out_dir / f"{stem}.json", lambda p: p.write_text(snapshot.json()))
    return ColumnDrift(
        column=name,
        method=metrics[0]["config"]["method"],
        score=float(metrics[0]["value"]),
        threshold=float(metrics[0]["config"]["threshold"]),
        drifted=str(getattr(status, "value", status)).upper().endswith("FAIL"),
        reference_rows=len(ref),
        current_rows=len(cur),
        reference_mean=float(ref[name].astype(float).mean()),
        current_mean=float(cur[name].astype(float).mean()),
        html_path=html_path,
        json_path=json_path,
    )
