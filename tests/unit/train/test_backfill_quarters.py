from __future__ import annotations

import pytest

from pipelines.runner import backfill_quarters

TRAINABLE = ["2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]


def test_a_backfill_takes_the_trainable_quarters_up_to_the_one_holding_through_oldest_first() -> None:
    assert backfill_quarters(4, TRAINABLE, through="2026-08-15") == TRAINABLE[:4]
    assert backfill_quarters(4, TRAINABLE, through="2025-12-31") == ["2025-10-01"], "none before the data's"
    assert backfill_quarters(2, TRAINABLE) == ["2026-07-01", "2026-10-01"]


def test_a_quarter_the_data_cannot_train_is_refused_in_one_line() -> None:
    with pytest.raises(
        ValueError, match=r"quarter 2025-04-01 cannot be trained on this data \(the trainable "
    ):
        backfill_quarters(2, TRAINABLE, through="2025-05-01")
    with pytest.raises(ValueError, match="no quarter of the data has enough matured labels"):
        backfill_quarters(2, [])
