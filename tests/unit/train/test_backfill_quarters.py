from __future__ import annotations

import pytest

from pipelines.runner import backfill_quarters


def test_a_backfill_takes_the_quarters_up_to_the_one_holding_through_oldest_first() -> None:
    assert backfill_quarters(4, through="2026-08-15") == [
        "2025-10-01",
        "2026-01-01",
        "2026-04-01",
        "2026-07-01",
    ]
    assert backfill_quarters(2, through="2020-02-29") == ["2020-01-01"], "partitions start in 2020"
    default = backfill_quarters(4)
    assert len(default) == 4 and default == sorted(default)


def test_a_quarter_outside_the_partitions_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"quarter 2019-04-01 is not a partition \(they run from 2020-01-01"):
        backfill_quarters(2, through="2019-05-01")
