from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.lib.drift import measure_drift


def test_an_obviously_shifted_feature_is_flagged_and_a_stable_one_is_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {"stable": rng.normal(0, 1, 600), "shifted": rng.normal(0, 1, 600), "empty": np.nan}
    )
    current = pd.DataFrame(
        {"stable": rng.normal(0, 1, 600), "shifted": rng.normal(3, 1, 600), "empty": np.nan}
    )
    summary = measure_drift(
        reference,
        current,
        ["stable", "shifted", "empty"],
        out_dir=tmp_path,
        stem="t",
        sample_rows=500,
        drift_share=0.5,
    )
    assert summary.drifted_columns == ["shifted"]
    assert summary.drift_share == 0.5 and summary.columns_compared == 2
    assert summary.reference_rows == 500
    assert summary.html_path.stat().st_size > 10_000 and summary.json_path.exists()
    assert not list(tmp_path.glob("*.tmp"))
