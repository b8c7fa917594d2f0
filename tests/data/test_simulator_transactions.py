"""The transaction-only simulator: two contract tables, a retail-like customer base, determinism."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.quality.quality import table_quality
from pipelines.lib.simulate import generate_sources
from pipelines.lib.simulate.retail import generate_transactions

END = pd.Timestamp(2026, 10, 31)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("retail")
    generate_transactions(out, customers=3000, months=24, seed=5)
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pq.read_table(folder / f"{name}.parquet").to_pandas(date_as_object=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_only_accounts_and_orders_are_written_with_the_contract_columns(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["accounts.parquet", "orders.parquet"]
    for table in ("accounts", "orders"):
        assert list(_read(folder, table).columns) == list(CONTRACT[table].columns), table
    orders, accounts = _read(folder, "orders"), _read(folder, "accounts")
    assert orders.order_id.is_unique and accounts.customer_id.is_unique
    assert orders.customer_id.isin(accounts.customer_id).all()
    assert (orders.amount > 0).all()


def test_orders_lie_in_the_window_and_never_before_the_account_was_created(folder: Path) -> None:
    orders = _read(folder, "orders").merge(_read(folder, "accounts"), on="customer_id")
    start = END + pd.Timedelta(days=1) - pd.DateOffset(months=24)
    assert orders.order_date.min() >= start and orders.order_date.max() <= END
    assert (orders.order_date >= orders.created_at).all()
    new = orders[orders.created_at >= start]
    first = new.groupby("customer_id").order_date.min()
    created = new.groupby("customer_id").created_at.first()
    assert (first == created).all()  # a new customer's account opens with its first order


def test_many_customers_buy_once_and_a_few_carry_much_of_the_revenue(folder: Path) -> None:
    orders = _read(folder, "orders")
    per_customer = orders.groupby("customer_id").agg(n=("order_id", "size"), revenue=("amount", "sum"))
    assert 0.35 <= (per_customer.n == 1).mean() <= 0.65
    assert per_customer.n.max() >= 30  # wholesalers and keen regulars
    top = per_customer.revenue.sort_values(ascending=False)
    assert top.head(len(top) // 10).sum() / top.sum() > 0.4


def test_some_customers_lapse_for_half_a_year_and_come_back(folder: Path) -> None:
    orders = _read(folder, "orders").sort_values(["customer_id", "order_date"])
    gap = orders.groupby("customer_id").order_date.diff()
    returning = orders.customer_id[gap > pd.Timedelta(days=180)].nunique()
    assert returning >= 0.02 * orders.customer_id.nunique()


def test_november_and_december_are_the_busiest_months(folder: Path) -> None:
    orders = _read(folder, "orders")
    per_month = orders.groupby(orders.order_date.dt.month).size()
    assert set(per_month.nlargest(2).index) == {11, 12}


def test_truth_dropout_dates_end_every_customers_orders(folder: Path) -> None:
    truth = _read(folder, "_truth/customers")
    orders = _read(folder, "orders")
    assert set(truth.kind) == {"one_time", "regular", "wholesale"}
    last = orders.groupby("customer_id").order_date.max()
    dropped = truth.dropna(subset=["dropout_at"]).set_index("customer_id").dropout_at
    seen = dropped.index.intersection(last.index)
    assert (last.loc[seen] <= dropped.loc[seen]).all()
    counts = orders.customer_id.value_counts()
    one_time = truth.customer_id[truth.kind == "one_time"]
    assert (counts.reindex(one_time).fillna(0) <= 1).all()
    assert 0.2 <= truth.dropout_at.notna().mean() <= 0.9  # some drop out, others are alive at the end


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, 3), (again, 3), (other, 4)):
        generate_transactions(out, customers=400, months=12, seed=seed)
    files = _files(first)
    assert files == _files(again)
    assert files["orders.parquet"] != _files(other)["orders.parquet"]


def test_csv_output_replaces_a_contractual_demo_and_its_late_delivery_in_the_same_folder(
    tmp_path: Path,
) -> None:
    generate_sources(tmp_path, customers=60, months=12, seed=1, defects={"late": 0.05})
    assert list((tmp_path / "_late").glob("*.*"))
    rows = generate_transactions(tmp_path, customers=200, months=12, seed=1, file_format="csv")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["accounts.csv", "orders.csv"]
    assert sorted(p.name for p in (tmp_path / "_truth").iterdir()) == [
        "customers.parquet",
        "transactions.json",
    ]
    assert not list((tmp_path / "_late").glob("*.*"))  # nor a demo's next delivery
    orders = pd.read_csv(tmp_path / "orders.csv", dtype=str)
    assert len(orders) == rows["orders"]
    assert orders.order_date.str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert orders.amount.str.fullmatch(r"\d+(\.\d{1,2})?").all()  # cents, as a shop exports them


def test_both_tables_load_into_the_raw_zone_without_a_faulty_record(folder: Path) -> None:
    con = duckdb.connect()
    assert load_table(con, "accounts", folder).status == "loaded"
    assert load_table(con, "orders", folder).status == "loaded"
    for table in ("accounts", "orders"):
        quality = table_quality(con, table)
        assert quality["records"] > 0 and quality["invalid"] == 0, quality
    assert table_quality(con, "orders")["months_of_history"] == 24
    assert load_table(con, "contracts", folder).status == "missing"
