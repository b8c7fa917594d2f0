"""The demo source systems: a simulated B2B customer base written in the layout of the source contract.

``generate_sources`` writes one file per contract table plus ``_truth/`` (the churn probabilities the
simulation used and the churns it drew), so the whole pipeline can run, and be judged against the best
achievable model, without a company's data. Same arguments and seed give byte-identical files; nothing depends
on the clock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import get_args

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from tqdm import tqdm

from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.simulate import activity, records
from pipelines.lib.simulate.activity import Columns, Month
from pipelines.lib.simulate.defects import KINDS, LATE_DIR, post_process
from pipelines.lib.simulate.population import INVOLUNTARY, Calendar, Population, build_population
from pipelines.lib.simulate.sinks import SCHEMAS, TRUTH_SCHEMAS, FileFormat, TableSink, pick, string_ids

__all__ = ["SIMULATOR_VERSION", "customer_ids", "generate_sources", "simulate_population"]

# Bumped whenever the same arguments give different data, so that a demo folder from an older simulator is
# generated again rather than reused (2: contract terms and payment timing, 2026-11-23; 3: a future-dated defect
# moves its end date too, so it breaks one rule; 4: accounts.parent_id, some customers grouped under a parent).
SIMULATOR_VERSION = 4
TRUTH_DIR = "_truth"
SIMULATION_FILE = "simulation.json"  # in TRUTH_DIR: the arguments that rebuild the simulation
CUSTOMER_ID = ("C", 6)
# Prefix and zero-padded width of each table's own id; a wider number simply grows past the padding.
ROW_IDS = {
    "contacts": ("P", 7),
    "contracts": ("K", 7),
    "orders": ("O", 7),
    "invoices": ("I", 7),
    "interactions": ("M", 8),
    "tickets": ("T", 7),
}
MONTHLY_TABLES = ("orders", "invoices", "interactions", "tickets", "usage", "surveys")
# One random stream per purpose, so that changing how one table is drawn leaves the others as they were. New
# streams go last: spawned children are numbered, so the earlier streams keep their draws.
STREAMS = ("accounts", "dynamics", "contracts", "contacts", *MONTHLY_TABLES, "truth", "hierarchy")


def generate_sources(
    out_dir: Path,
    *,
    customers: int = 2000,
    months: int = 36,
    seed: int = 42,
    end: dt.date = dt.date(2026, 10, 31),
    horizon_days: int = 90,
    file_format: FileFormat = "parquet",
    progress: bool = False,
    defects: Mapping[str, float] | None = None,
    drift_months: int = 0,
    drift_strength: float = 0.5,
) -> dict[str, int]:
    """Simulate ``customers`` accounts over the ``months`` calendar months ending at ``end`` and write them.

    Writes ``out_dir/<table>.<file_format>`` for all nine contract tables and ``out_dir/_truth/*.parquet``.
    Each file is written under a temporary name and renamed when complete. A leftover file of the same table
    in the other format is removed, because a source folder must hold one file per table.
    Returns the rows written per table, with ``_truth/churn_probability`` and ``_truth/churn_events``.

    ``defects`` (kind -> share of records, kinds in ``defects.KINDS``) and ``drift_months``/``drift_strength``
    make the data imperfect on purpose; what was done, with true counts, is written to ``_truth/defects.json`` and
    ``_truth/drift.json`` (see ``defects.py``). The clean simulation is the same with or without them.
    """
    _validate(customers=customers, months=months, end=end, horizon_days=horizon_days, file_format=file_format)
    rates = {k: float(v) for k, v in (defects or {}).items() if v}
    unknown = sorted(set(rates) - set(KINDS))
    if unknown or drift_months < 0 or not 0 < drift_strength <= 1:
        raise ValueError(f"defect kinds are {', '.join(KINDS)}; drift_months >= 0; 0 < drift_strength <= 1")
    final_format, post = file_format, bool(rates or drift_months)
    file_format = "parquet" if post else file_format  # defects and drift rewrite the clean Parquet tables
    out_dir = Path(out_dir)
    for stale in ("defects.json", "drift.json"):
        (out_dir / TRUTH_DIR / stale).unlink(missing_ok=True)
    for stale in (out_dir / LATE_DIR).glob("*.*"):
        stale.unlink()
    (out_dir / TRUTH_DIR).mkdir(parents=True, exist_ok=True)
    rngs = _streams(seed)
    cal = Calendar.ending(end, months)
    pop = build_population(rngs, customers, cal, horizon_days)
    writer = _Writer(customer_ids(customers))

    with ExitStack() as stack:
        sinks: dict[str, TableSink] = {}
        targets = [(t, out_dir / f"{t}.{file_format}", SCHEMAS[t], file_format) for t in SCHEMAS] + [
            (f"{TRUTH_DIR}/{t}", out_dir / TRUTH_DIR / f"{t}.parquet", TRUTH_SCHEMAS[t], "parquet")
            for t in TRUTH_SCHEMAS
        ]
        for name, path, schema, fmt in targets:
            sinks[name] = TableSink(path, schema, fmt)
            stack.callback(sinks[name].abort)  # on failure no half-written file stays behind

        accounts = records.accounts(rngs["accounts"], pop)
        accounts["parent_id"] = writer.customer_ids(records.parents(rngs["hierarchy"], pop))
        writer.write(sinks["accounts"], "accounts", np.arange(customers), accounts)
        writer.write(sinks["contracts"], "contracts", *records.contracts(rngs["contracts"], pop))
        writer.write(sinks["contacts"], "contacts", *records.contacts(rngs["contacts"], pop, cal.end))
        _write_activity(writer, sinks, rngs, pop, cal, progress)
        _write_truth(writer, sinks, pop, cal, horizon_days)
        rows = {name: sink.commit() for name, sink in sinks.items()}

    if post:
        rows |= post_process(
            out_dir,
            file_format=final_format,
            seed=seed,
            rates=rates,
            drift_months=drift_months,
            drift_strength=drift_strength,
            end=end,
        )
    stale = "csv" if final_format == "parquet" else "parquet"
    for table in SCHEMAS:
        (out_dir / f"{table}.{stale}").unlink(missing_ok=True)
    arguments = {
        "simulator_version": SIMULATOR_VERSION,
        "customers": customers,
        "months": months,
        "seed": seed,
        "end": end.isoformat(),
        "horizon_days": horizon_days,
        "defects": rates,
        "drift_months": drift_months,
    }
    write_atomic(out_dir / TRUTH_DIR / SIMULATION_FILE, lambda tmp: tmp.write_text(json.dumps(arguments)))
    return rows


def simulate_population(source_folder: Path) -> tuple[Population, Calendar]:
    """The latent side of the simulation that wrote ``source_folder`` (rebuilt from the arguments in its
    ``_truth/simulation.json``): every customer's monthly health and distress, and when it churned.

    For evaluation only (``benchmarks/oracle_gap.py`` asks how much of the distance to the oracle is information
    the sources cannot show); the pipeline never sees it. Customer ``i`` is ``customer_ids(customers)[i]``."""
    args = json.loads((Path(source_folder) / TRUTH_DIR / SIMULATION_FILE).read_text())
    if args.get("simulator_version") != SIMULATOR_VERSION:
        raise ValueError(
            f"{source_folder} was written by simulator version {args.get('simulator_version')}, this is "
            f"version {SIMULATOR_VERSION}: generate it again to rebuild its simulation"
        )
    cal = Calendar.ending(dt.date.fromisoformat(args["end"]), args["months"])
    return build_population(_streams(args["seed"]), args["customers"], cal, args["horizon_days"]), cal


def customer_ids(customers: int) -> pa.Array:
    """The ids of the first ``customers`` simulated customers, in the order of the simulation's arrays."""
    return string_ids(CUSTOMER_ID[0], 1, customers, CUSTOMER_ID[1])


def _streams(seed: int) -> dict[str, np.random.Generator]:
    return dict(zip(STREAMS, np.random.Generator(np.random.PCG64(seed)).spawn(len(STREAMS)), strict=True))


def _validate(*, customers: int, months: int, end: dt.date, horizon_days: int, file_format: str) -> None:
    if (end + dt.timedelta(days=1)).day != 1:
        raise ValueError(f"end must be the last day of a month, got {end.isoformat()}")
    if customers < 1 or months < 1 or horizon_days < 1:
        raise ValueError("customers, months and horizon_days must be positive")
    if file_format not in get_args(FileFormat):
        raise ValueError(f"file_format must be one of {get_args(FileFormat)}, got {file_format!r}")


class _Writer:
    """Adds ``customer_id`` and sequential row ids to generated chunks; ids continue across chunks."""

    def __init__(self, customer_ids: pa.Array) -> None:
        self._customer_ids = customer_ids
        self._next_id = dict.fromkeys(ROW_IDS, 1)

    def customer_ids(self, customer: NDArray[np.int64]) -> pa.Array:
        """The ids of customers by index; null where the index is negative (no customer)."""
        return self._customer_ids.take(pa.array(np.maximum(customer, 0), mask=customer < 0))

    def write(self, sink: TableSink, table: str, customer: NDArray[np.int64], columns: Columns) -> None:
        columns = {"customer_id": self._customer_ids.take(pa.array(customer)), **columns}
        if table in ROW_IDS:
            prefix, width = ROW_IDS[table]
            id_column = sink.schema.names[0]
            columns[id_column] = string_ids(prefix, self._next_id[table], customer.size, width)
            self._next_id[table] += customer.size
        sink.write(columns)


def _write_activity(
    writer: _Writer,
    sinks: dict[str, TableSink],
    rngs: dict[str, np.random.Generator],
    pop: Population,
    cal: Calendar,
    progress: bool,
) -> None:
    """Month by month, so that memory holds one month of events at a time whatever the population."""
    last_day = pop.last_day(cal.end)
    carried = np.zeros(pop.size)  # last month's order value, billed with this month's invoice
    for index in tqdm(range(cal.months), desc="simulating", unit="month", disable=not progress):
        month = Month.of(pop, cal, index, last_day)
        chunks = {
            "orders": activity.orders(rngs["orders"], pop, month),
            "invoices": activity.invoices(rngs["invoices"], pop, month, carried, cal.end),
            "interactions": activity.interactions(rngs["interactions"], pop, month),
            "tickets": activity.tickets(rngs["tickets"], pop, month, cal.end),
            "usage": activity.usage(rngs["usage"], pop, month),
            "surveys": activity.surveys(rngs["surveys"], pop, month),
        }
        for table, (customer, columns) in chunks.items():
            writer.write(sinks[table], table, customer, columns)
        ordered, columns = chunks["orders"]
        carried = np.bincount(ordered, weights=columns["amount"], minlength=pop.size)


def _write_truth(
    writer: _Writer, sinks: dict[str, TableSink], pop: Population, cal: Calendar, horizon_days: int
) -> None:
    customer, as_of, p_churn = records.churn_probability(pop, cal)
    writer.write(
        sinks[f"{TRUTH_DIR}/churn_probability"],
        "churn_probability",
        customer,
        {
            "as_of": as_of,
            "horizon_days": np.full(customer.size, horizon_days),
            "p_churn": p_churn,
        },
    )
    churned = np.flatnonzero(~np.isnat(pop.churned))
    churned = churned[np.argsort(pop.churned[churned], kind="stable")]
    writer.write(
        sinks[f"{TRUTH_DIR}/churn_events"],
        "churn_events",
        churned,
        {
            "churned_at": pop.churned[churned],
            "churn_type": pick(records.CHURN_TYPES, pop.churn_kind[churned] == INVOLUNTARY),
        },
    )
