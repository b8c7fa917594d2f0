"""What the Dagster UI shows of an asset's or a check's metadata: rounded figures, tables without "nan"."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

from pipelines.defs.metadata import markdown_table, rounded, shown
from pipelines.defs.quality.checks import per_source_quality


def test_figures_are_rounded_to_four_significant_digits_and_whole_amounts_keep_their_digits() -> None:
    assert rounded(0.8445545232376859) == 0.8446
    assert rounded(0.0001234567) == 0.0001235
    assert rounded(12.345678) == 12.35
    assert rounded(599849.76) == 599850.0
    assert rounded(0.0) == 0.0
    assert np.isnan(rounded(float("nan")))


def test_every_kind_of_float_in_metadata_is_rounded_and_other_values_pass_unchanged() -> None:
    url = dg.MetadataValue.url("http://127.0.0.1:8000/review.html")
    out = shown(
        {
            "roc_auc": dg.MetadataValue.float(0.8445545232376859),
            "brier": np.float64(0.13912345),
            "mean": 0.0712345678,
            "customers": 1633,
            "rows": np.int64(7),
            "passed": True,
            "as_of": "2026-10-31",
            "report_url": url,
        }
    )
    assert out["roc_auc"] == dg.MetadataValue.float(0.8446)
    assert out["brier"] == dg.MetadataValue.float(0.1391)
    assert out["mean"] == dg.MetadataValue.float(0.07123)
    assert out["customers"] == 1633 and isinstance(out["rows"], int) and out["passed"] is True
    assert out["as_of"] == "2026-10-31" and out["report_url"] is url


def _figures() -> pd.DataFrame:
    """Two sources as `quality.table_quality` describes them: each has only the rules that apply to it, so the
    frame has NaN where a rule does not apply (accounts have no dates, no orphans)."""
    return pd.DataFrame(
        [
            {
                "table": "accounts",
                "records": 2000,
                "rule_missing_required": 3,
                "rule_duplicate": 0,
                "invalid": 3,
                "valid_share": 0.9985,
                "first_date": None,
                "last_date": None,
                "months_of_history": 0,
            },
            {
                "table": "orders",
                "records": 51234,
                "rule_missing_required": 0,
                "rule_bad_date": 12,
                "rule_orphan": 40,
                "rule_duplicate": 1,
                "invalid": 53,
                "valid_share": 0.998965531,
                "first_date": "2023-11-01",
                "last_date": "2026-10-31",
                "months_of_history": 36,
            },
        ]
    )


def test_the_quality_gates_per_source_table_is_narrow_and_has_no_nan() -> None:
    figures = _figures()
    assert figures.isna().any().any()  # what the check starts from
    table = markdown_table(per_source_quality(figures)).value
    assert "nan" not in table.lower() and "None" not in table
    assert list(per_source_quality(figures).columns) == [
        "table",
        "records",
        "invalid",
        "valid",
        "rules broken (records)",
        "history",
    ]
    assert "orphan 40, bad_date 12, duplicate 1" in table
    assert "| 99.9%" in table and "51,234" in table
    assert "2023-11-01 to 2026-10-31" in table and "– to –" in table


def test_markdown_tables_show_missing_cells_as_a_dash_and_round_their_floats() -> None:
    frame = pd.DataFrame({"a": [0.8445545232376859, np.nan], "b": [True, False], "c": [None, "x"]})
    table = markdown_table(frame).value
    assert "0.8446" in table and "0.84455" not in table
    assert "nan" not in table.lower() and "None" not in table and "True" not in table
    assert "yes" in table and "–" in table
    assert markdown_table(frame.iloc[0:0]).value == "(none)"


def test_every_metadata_builder_in_the_definitions_passes_through_the_one_helper() -> None:
    """A new asset that hands Dagster raw floats would show 0.8445545232376859 again. (An input's instruction to
    the IO manager, `allow_missing_partitions`, is not shown anywhere.)"""
    import re

    from pipelines.lib.core.paths import REPO_ROOT

    unrounded = [
        f"{path.relative_to(REPO_ROOT)}:{source[: m.start()].count(chr(10)) + 1}"
        for path in sorted((REPO_ROOT / "pipelines" / "defs").rglob("*.py"))
        for source in [path.read_text()]
        for m in re.finditer(r"(?<![\w.])metadata=(?!shown\(|\{\"allow_missing_partitions\": True\})", source)
    ]
    assert unrounded == []
