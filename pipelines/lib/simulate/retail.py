"""Transaction-only demo data: a non-contractual retail customer base that writes only ``accounts`` and ``orders``.

Real retail logs carry no contracts, tickets or usage, and nobody tells the shop that a customer has left, so the
pipeline has to infer churn from the orders alone. This mode imitates such a log with the heterogeneity that makes
it hard:

- **one-time buyers** who never come back (a large share of every retail base);
- **regular buyers** with a personal purchase rate (gamma-distributed across customers, as in BG/NBD) who drop out
  after a purchase with a personal probability (beta-distributed), so the number of purchases in a lifetime is
  geometric;
- **wholesalers** with large baskets who order irregularly (the month's rate is itself gamma noise);
- **seasonal peaks** (November and December), in orders and in acquisition;
- **lapses**: regular buyers and wholesalers fall dormant for months and come back;
- **silent dropout**: besides the dropout after a purchase, a small monthly hazard ends any relationship without
  a last purchase to mark it (the customer moved, found another shop);
- **log-normal baskets** around each customer's own mean basket;
- customers **acquired throughout** the window (their first order is their account's ``created_at``), and some
  that existed before it.

The process is simulated month by month, vectorised over customers and orders. ``_truth/customers.parquet`` holds
each customer's kind, parameters and true dropout date, for evaluation only; the pipeline never reads it. The same
arguments and seed give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.simulate.defects import LATE_DIR
from pipelines.lib.simulate.population import COUNTRIES, COUNTRY_WEIGHTS, Calendar
from pipelines.lib.simulate.sinks import SCHEMAS, FileFormat, TableSink, pick, string_ids

__all__ = ["KINDS", "RETAIL_SIMULATOR_VERSION", "TABLES", "generate_transactions"]

RETAIL_SIMULATOR_VERSION = 1
TABLES = ("accounts", "orders")
TRUTH_FILE = "customers"  # _truth/customers.parquet
SIMULATION_FILE = "transactions.json"  # _truth/transactions.json: the arguments that rebuild the data
KINDS = ("one_time", "regular", "wholesale")
KIND_SHARES = (0.32, 0.61, 0.07)
EXISTING_SHARE = 0.3  # customers created before the window (regular buyers and wholesalers only)
EXISTING_MAX_YEARS = 3.0
ONE_TIME, REGULAR, WHOLESALE = 0, 1, 2

# Purchases per year while alive and not dormant: gamma across customers (shape, mean).
RATE_SHAPE = (1.0, 1.2, 2.0)
RATE_MEAN_PER_YEAR = (0.0, 6.0, 12.0)
# Dropout after a purchase: beta across customers (a, b); one-time buyers drop out after their first.
DROPOUT_BETA = ((1.0, 1e-9), (1.0, 7.0), (1.0, 40.0))
SILENT_DROPOUT_PER_MONTH = 0.012
DORMANT_ONSET = (0.0, 0.03, 0.04)  # monthly chance that an alive customer lapses
DORMANT_END = 0.18  # monthly chance that a lapsed customer comes back: lapses last about 5 months
BURST_SHAPE = 0.5  # wholesalers: the month's rate multiplier is Gamma(0.5) with mean 1
# Month-of-year multiplier of purchase and acquisition rates (January first), normalised to mean 1.
SEASON = np.array([0.85, 0.75, 0.85, 0.9, 0.95, 0.9, 0.85, 0.85, 0.95, 1.05, 1.45, 1.8])
SEASON = SEASON / SEASON.mean()
BASKET_MEDIAN = (35.0, 45.0, 200.0)  # a customer's mean basket: log-normal around these
BASKET_BETWEEN_SIGMA = 0.6
BASKET_WITHIN_SIGMA = 0.45
DECEMBER_BASKET_LIFT = 1.15
CATEGORIES = ("apparel", "home", "electronics", "garden", "toys", "grocery")
CATEGORY_WEIGHTS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.15)
STREAMS = ("accounts", "dynamics", "orders")


TRUTH_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("kind", pa.string()),
        ("purchases_per_year", pa.float64()),
        ("dropout_probability", pa.float64()),
        ("mean_basket", pa.float64()),
        # The day the customer dropped out (its last purchase, or the day of a silent dropout); null if alive.
        ("dropout_at", pa.date32()),
    ]
)


@dataclass(frozen=True)
class Customers:
    """The latent side: who each customer is and the parameters of its purchase process."""

    created: NDArray[np.datetime64]
    kind: NDArray[np.int64]
    rate: NDArray[np.float64]  # purchases per day while alive and not dormant
    dropout: NDArray[np.float64]  # probability of dropping out after a purchase
    quota: NDArray[np.int64]  # purchases left until the dropout after a purchase (geometric)
    basket: NDArray[np.float64]  # the customer's mean order value
    country: NDArray[np.int64]

    @property
    def size(self) -> int:
        return self.created.size


def generate_transactions(
    out_dir: Path,
    *,
    customers: int = 2000,
    months: int = 14,
    seed: int = 42,
    end: dt.date = dt.date(2026, 10, 31),
    file_format: FileFormat = "parquet",
) -> dict[str, int]:
    """Simulate ``customers`` retail customers over the ``months`` calendar months ending at ``end``.

    Writes ``out_dir/accounts.<format>`` and ``out_dir/orders.<format>`` in the source contract's columns (the
    optional account columns other than ``country`` stay empty, as in a shop's export), and
    ``out_dir/_truth/customers.parquet``. Any other contract table, or truth file, of an earlier demo in the same
    folder is removed, so the folder is read as transaction-only. Returns the rows written per file.
    """
    if (end + dt.timedelta(days=1)).day != 1:
        raise ValueError(f"end must be the last day of a month, got {end.isoformat()}")
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be positive")
    out_dir = Path(out_dir)
    truth = out_dir / "_truth"
    truth.mkdir(parents=True, exist_ok=True)
    _remove_stale(out_dir, file_format)
    rngs = dict(zip(STREAMS, np.random.Generator(np.random.PCG64(seed)).spawn(len(STREAMS)), strict=True))
    cal = Calendar.ending(end, months)
    pop = _customers(rngs["accounts"], customers, cal)
    ids = string_ids("C", 1, customers, 6)

    with ExitStack() as stack:
        sinks = {t: TableSink(out_dir / f"{t}.{file_format}", SCHEMAS[t], file_format) for t in TABLES}
        sinks["_truth/customers"] = TableSink(truth / f"{TRUTH_FILE}.parquet", TRUTH_SCHEMA, "parquet")
        for sink in sinks.values():
            stack.callback(sink.abort)
        none = np.full(customers, None)
        sinks["accounts"].write(
            {
                "customer_id": ids,
                "created_at": pop.created,
                "country": pick(COUNTRIES, pop.country),
                **dict.fromkeys(("name", "industry", "segment", "account_manager", "acquisition_cost", "parent_id"), none),
            }
        )
        dropped_at = _write_orders(rngs, pop, cal, sinks["orders"], ids)
        sinks["_truth/customers"].write(
            {
                "customer_id": ids,
                "kind": pick(KINDS, pop.kind),
                "purchases_per_year": pop.rate * 365.25,
                "dropout_probability": pop.dropout,
                "mean_basket": pop.basket,
                "dropout_at": dropped_at,
            }
        )
        rows = {name: sink.commit() for name, sink in sinks.items()}
    arguments = {
        "retail_simulator_version": RETAIL_SIMULATOR_VERSION,
        "customers": customers,
        "months": months,
        "seed": seed,
        "end": end.isoformat(),
    }
    write_atomic(truth / SIMULATION_FILE, lambda tmp: tmp.write_text(json.dumps(arguments)))
    return rows


def _remove_stale(out_dir: Path, file_format: str) -> None:
    """A source folder is read as a whole: tables and truth of another demo would mix with this one."""
    for table in SCHEMAS:
        for fmt in ("csv", "parquet"):
            if table not in TABLES or fmt != file_format:
                (out_dir / f"{table}.{fmt}").unlink(missing_ok=True)
    for stale in (
        "churn_probability.parquet",
        "churn_events.parquet",
        "simulation.json",
        "defects.json",
        "drift.json",
    ):
        (out_dir / "_truth" / stale).unlink(missing_ok=True)
    for late in (out_dir / LATE_DIR).glob("*.*"):  # the next delivery of a demo with late records
        late.unlink()


def _customers(rng: np.random.Generator, n: int, cal: Calendar) -> Customers:
    kind = rng.choice(len(KINDS), n, p=KIND_SHARES)
    existing = (kind != ONE_TIME) & (rng.random(n) < EXISTING_SHARE)
    # Acquisition follows the season: a new customer's month is drawn with weight SEASON[month of year].
    month_of_year = cal.starts[:-1].astype("datetime64[M]").astype(np.int64) % 12
    weights = SEASON[month_of_year] * cal.month_lengths
    month = rng.choice(cal.months, n, p=weights / weights.sum())
    day = cal.starts[month] + np.floor(rng.random(n) * cal.month_lengths[month]).astype(np.int64)
    before = cal.start - 1 - np.floor(rng.random(n) * EXISTING_MAX_YEARS * 365.25).astype(np.int64)
    created = np.where(existing, before, day).astype("datetime64[D]")

    shape = np.asarray(RATE_SHAPE)[kind]
    rate = rng.gamma(shape, np.asarray(RATE_MEAN_PER_YEAR)[kind] / shape) / 365.25
    a, b = np.asarray(DROPOUT_BETA).T
    dropout = np.where(kind == ONE_TIME, 1.0, rng.beta(a[kind], b[kind]))
    # Purchases until the one after which the customer leaves; for a customer that existed before the window,
    # the purchases it has left (the geometric distribution has no memory).
    quota = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    basket = rng.lognormal(np.log(np.asarray(BASKET_MEDIAN)[kind]), BASKET_BETWEEN_SIGMA)
    order = np.argsort(created, kind="stable")  # ids in order of acquisition, as a shop numbers them
    return Customers(
        created=created[order],
        kind=kind[order],
        rate=rate[order],
        dropout=dropout[order],
        quota=quota[order],
        basket=basket[order],
        country=rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS)[order],
    )


def _write_orders(
    rngs: dict[str, np.random.Generator], pop: Customers, cal: Calendar, sink: TableSink, ids: pa.Array
) -> NDArray[np.datetime64]:
    """Month by month: who is alive and awake, how many orders each places, on which days, for how much.

    Returns each customer's true dropout date (NaT while alive at the end)."""
    dyn, rng = rngs["dynamics"], rngs["orders"]
    n = pop.size
    remaining = pop.quota.copy()
    dropped_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    dormant = np.zeros(n, dtype=bool)
    onset = np.asarray(DORMANT_ONSET)[pop.kind]
    next_id = 1
    for m in range(cal.months):
        start, length = cal.starts[m], int(cal.month_lengths[m])
        month_of_year = int(start.astype("datetime64[M]").astype(np.int64) % 12)
        created_day = (pop.created - start).astype(np.int64)  # day of the month the account was opened
        alive = np.isnat(dropped_at) & (created_day < length)
        dormant = np.where(dormant, dyn.random(n) >= DORMANT_END, dyn.random(n) < onset) & alive
        # A silent dropout on a random day of the month ends the exposure there, without a purchase.
        silent = alive & (created_day < 0) & (dyn.random(n) < SILENT_DROPOUT_PER_MONTH)
        silent_day = np.where(silent, np.floor(dyn.random(n) * length).astype(np.int64), length)
        lo = np.clip(created_day + 1, 0, length)  # repeat purchases start the day after the first one
        hi = np.maximum(silent_day, lo)
        burst = np.where(pop.kind == WHOLESALE, dyn.gamma(BURST_SHAPE, 1 / BURST_SHAPE, n), 1.0)
        mean = pop.rate * SEASON[month_of_year] * burst * (hi - lo) * (alive & ~dormant)
        count = rng.poisson(mean)
        first = alive & (created_day >= 0)  # a new customer's first order is the day it was created
        customer = np.concatenate([np.flatnonzero(first), np.repeat(np.arange(n), count)])
        span = (hi - lo)[customer[first.sum() :]]
        offset = np.concatenate(
            [created_day[first], lo[customer[first.sum() :]] + np.floor(rng.random(span.size) * span)]
        ).astype(np.int64)
        customer, offset = _within_quota(customer, offset, remaining)
        np.subtract.at(remaining, customer, 1)
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, customer, offset)
        used_up = alive & (remaining <= 0) & (last >= 0)
        dropped_at[used_up] = start + last[used_up]
        dropped_at[silent & ~used_up] = start + silent_day[silent & ~used_up]
        order = np.lexsort((customer, offset))  # the shop's order numbers follow the calendar
        customer, offset = customer[order], offset[order]
        date = start + offset
        lift = np.where(month_of_year == 11, DECEMBER_BASKET_LIFT, 1.0)
        amount = (
            pop.basket[customer]
            * lift
            * rng.lognormal(-(BASKET_WITHIN_SIGMA**2) / 2, BASKET_WITHIN_SIGMA, customer.size)
        )
        sink.write(
            {
                "order_id": string_ids("O", next_id, customer.size, 7),
                "customer_id": ids.take(pa.array(customer)),
                "order_date": date,
                "amount": np.round(np.maximum(amount, 0.5), 2),
                "category": pick(CATEGORIES, rng.choice(len(CATEGORIES), customer.size, p=CATEGORY_WEIGHTS)),
            }
        )
        next_id += customer.size
    return dropped_at


def _within_quota(
    customer: NDArray[np.int64], offset: NDArray[np.int64], remaining: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Keep each customer's earliest orders of the month up to the purchases it has left: the one after which
    it drops out is its last."""
    order = np.lexsort((offset, customer))
    customer, offset = customer[order], offset[order]
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    rank = np.arange(customer.size) - np.repeat(starts, np.diff(np.r_[starts, customer.size]))
    keep = rank < remaining[customer]
    return customer[keep], offset[keep]
