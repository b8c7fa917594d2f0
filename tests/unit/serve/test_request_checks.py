"""The posted feature row and the one line a bad request gets: no server needed, only the model and the messages."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from pipelines.lib.serve.app import one_line
from pipelines.lib.serve.champion import feature_row_model, signature_columns


def _errors(body: object) -> list[dict]:
    rows = TypeAdapter(list[feature_row_model({"tenure_days": float, "orders_90d": float})])
    with pytest.raises(ValidationError) as exc:
        rows.validate_python(body)
    return exc.value.errors(include_url=False)


def test_a_row_takes_numbers_and_null_ignores_other_keys_and_echoes_the_customer_id() -> None:
    rows = TypeAdapter(list[feature_row_model({"tenure_days": float, "orders_90d": float})])
    [row] = rows.validate_python(
        [{"customer_id": "C1", "tenure_days": 400, "orders_90d": None, "segment": "x"}]
    )
    assert (row.customer_id, row.tenure_days, row.orders_90d) == ("C1", 400.0, None)


@pytest.mark.parametrize("value", ["3", True, [1]])
def test_a_feature_that_is_no_number_is_named_with_its_row(value: object) -> None:
    errors = _errors([{"tenure_days": 1, "orders_90d": 2}, {"tenure_days": value, "orders_90d": 2}])
    assert one_line(errors) == "row 1, field 'tenure_days': Input should be a valid number"


def test_a_missing_feature_is_named_and_further_problems_are_counted() -> None:
    assert one_line(_errors([{"orders_90d": 2}])) == "row 0, field 'tenure_days': Field required"
    assert one_line(_errors([{}, {}])) == "row 0, field 'tenure_days': Field required (and 3 more problem(s))"


def test_without_a_signature_every_booster_feature_is_a_number() -> None:
    assert signature_columns(None, ["a", "b"]) == {"a": float, "b": float}
