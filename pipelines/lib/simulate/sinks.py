"""Table writers: one fixed schema per table, written in chunks, published atomically.

Tables are streamed month by month so that memory stays bounded for large populations; a file appears under
its final name only once it is complete (temporary name in the same folder, then ``os.replace``), so a reader
never sees half a table. Schemas are explicit so that an empty chunk, or an all-null column, keeps its type.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FileFormat = Literal["parquet", "csv"]
ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%S"

_ID = pa.string()
_DATE = pa.date32()
_TS = pa.timestamp("s")

SCHEMAS: dict[str, pa.Schema] = {
    "accounts": pa.schema(
        [
            ("customer_id", _ID),
            ("created_at", _DATE),
            ("name", pa.string()),
            ("industry", pa.string()),
            ("country", pa.string()),
            ("segment", pa.string()),
            ("account_manager", pa.string()),
            ("acquisition_cost", pa.float64()),
            ("parent_id", _ID),
        ]
    ),
    "contacts": pa.schema(
        [
            ("contact_id", _ID),
            ("customer_id", _ID),
            ("started_at", _DATE),
            ("ended_at", _DATE),
            ("role", pa.string()),
            ("email", pa.string()),
            ("name", pa.string()),
        ]
    ),
    "surveys": pa.schema(
        [
            ("customer_id", _ID),
            ("answered_at", _DATE),
            ("nps", pa.int32()),
            ("comment", pa.string()),
        ]
    ),
    "contracts": pa.schema(
        [
            ("contract_id", _ID),
            ("customer_id", _ID),
            ("start_date", _DATE),
            ("end_date", _DATE),
            ("status", pa.string()),
            ("churn_type", pa.string()),
            ("cancel_reason", pa.string()),
            ("monthly_value", pa.float64()),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", _ID),
            ("customer_id", _ID),
            ("order_date", _DATE),
            ("amount", pa.float64()),
            ("category", pa.string()),
        ]
    ),
    "invoices": pa.schema(
        [
            ("invoice_id", _ID),
            ("customer_id", _ID),
            ("issued_at", _DATE),
            ("due_date", _DATE),
            ("amount", pa.float64()),
            ("paid_at", _DATE),
        ]
    ),
    "interactions": pa.schema(
        [
            ("interaction_id", _ID),
            ("customer_id", _ID),
            ("occurred_at", _TS),
            ("channel", pa.string()),
            ("direction", pa.string()),
            ("response_hours", pa.float64()),
        ]
    ),
    "tickets": pa.schema(
        [
            ("ticket_id", _ID),
            ("customer_id", _ID),
            ("opened_at", _TS),
            ("closed_at", _TS),
            ("category", pa.string()),
            ("priority", pa.string()),
            ("csat", pa.int32()),
        ]
    ),
    "usage": pa.schema(
        [
            ("customer_id", _ID),
            ("date", _DATE),
            ("logins", pa.int32()),
            ("active_users", pa.int32()),
            ("features_used", pa.int32()),
            ("page_views", pa.int32()),
            ("downloads", pa.int32()),
        ]
    ),
}

TRUTH_SCHEMAS: dict[str, pa.Schema] = {
    "churn_probability": pa.schema(
        [
            ("customer_id", _ID),
            ("as_of", _DATE),
            ("horizon_days", pa.int32()),
            ("p_churn", pa.float64()),
        ]
    ),
    "churn_events": pa.schema([("customer_id", _ID), ("churned_at", _DATE), ("churn_type", pa.string())]),
}

Column = pa.Array | pa.ChunkedArray | np.ndarray


class TableSink:
    """Append chunks of one table to a temporary file; ``commit`` publishes it under its final name."""

    def __init__(self, path: Path, schema: pa.Schema, file_format: FileFormat) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._committed = False
        self._csv = file_format == "csv"
        self._tmp = path.with_name(f".{path.name}.partial")
        if self._csv:
            # The contract asks for ISO 8601 timestamps with a 'T'; Arrow's CSV writer would use a space.
            text_schema = pa.schema(
                [pa.field(f.name, pa.string()) if pa.types.is_timestamp(f.type) else f for f in schema]
            )
            self._writer: pq.ParquetWriter | pacsv.CSVWriter = pacsv.CSVWriter(self._tmp, text_schema)
        else:
            self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")

    def write(self, columns: Mapping[str, Column]) -> None:
        arrays = [_as_arrow(columns[f.name], f.type) for f in self.schema]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if table.num_rows == 0:
            return
        if self._csv:
            for i, field in enumerate(self.schema):
                if pa.types.is_timestamp(field.type):
                    table = table.set_column(i, field.name, pc.strftime(table[i], format=ISO_TIMESTAMP))
        self._writer.write_table(table)
        self.rows += table.num_rows

    def commit(self) -> int:
        self._writer.close()
        os.replace(self._tmp, self.path)
        self._committed = True
        return self.rows

    def abort(self) -> None:
        """Drop the temporary file unless the table was committed; safe to call in any state."""
        if not self._committed:
            self._writer.close()
            self._tmp.unlink(missing_ok=True)


def _as_arrow(values: Column, type_: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """NumPy NaN/NaT become nulls, so optional columns can be built with plain arrays."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values if values.type == type_ else values.cast(type_)
    return pa.array(values, type=type_, from_pandas=True)


def string_ids(prefix: str, first: int, count: int, width: int) -> pa.Array:
    """Sequential string ids such as ``O0000001``; zero-padded so that they sort like numbers."""
    numbers = pa.array(np.arange(first, first + count, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width=width, padding="0"), "")


def pick(labels: tuple[str, ...], codes: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Labels for integer codes (null where ``null`` is true), built in Arrow: no Python object per row."""
    return pa.array(labels, type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int32), mask=null))
