"""The demo source simulator: contract layout, determinism, time and churn consistency, realistic signals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from pipelines.lib import simulate
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.simulate import generate_sources

END = pd.Timestamp(2026, 10, 31)
HORIZON_DAYS = 90
EVENT_DATES = {
    "orders": ["order_date"],
    "invoices": ["issued_at", "paid_at"],
    "interactions": ["occurred_at"],
    "tickets": ["opened_at", "closed_at"],
    "usage": ["date"],
    "surveys": ["answered_at"],
}
TRUTH_COLUMNS = {
    "churn_probability": ["customer_id", "as_of", "horizon_days", "p_churn"],
    "churn_events": ["customer_id", "churned_at", "churn_type"],
}
HALF_YEAR = pd.Timedelta(days=182)
YEAR = pd.Timedelta(days=365)
HISTORY_NEEDED = pd.Timedelta(days=550)  # six months plus the same six months a year earlier


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pq.read_table(folder / f"{table}.parquet").to_pandas(date_as_object=False)


class Run:
    """One generated source folder, read back lazily."""

    def __init__(self, folder: Path, rows: dict[str, int], months: int) -> None:
        self.folder, self.rows, self.months = folder, rows, months
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self._frames:
            self._frames[table] = _read(self.folder, table)
        return self._frames[table].copy()

    @property
    def start(self) -> pd.Timestamp:
        return (END + pd.Timedelta(days=1)) - pd.DateOffset(months=self.months)

    def churn(self) -> pd.DataFrame:
        return self["_truth/churn_events"]


def _generate(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs: int) -> Run:
    folder = tmp_path_factory.mktemp(name)
    return Run(folder, generate_sources(folder, **kwargs), kwargs["months"])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _generate(tmp_path_factory, "small", customers=300, months=24, seed=7)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Big enough that the behavioural statistics are stable."""
    return _generate(tmp_path_factory, "large", customers=1500, months=36, seed=11)


def _all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_sources(first, customers=120, months=12, seed=3)
    generate_sources(again, customers=120, months=12, seed=3)
    generate_sources(other, customers=120, months=12, seed=4)
    files = _all_files(first)
    assert files == _all_files(again)
    assert len(files) == len(CONTRACT) + len(TRUTH_COLUMNS) + 1  # and _truth/simulation.json
    others = _all_files(other)
    assert all(others[name] != data for name, data in files.items())


def test_every_contract_table_is_written_with_exactly_the_contract_columns(small: Run) -> None:
    for table, contract in CONTRACT.items():
        assert list(small[table].columns) == list(contract.columns), table
    for name, columns in TRUTH_COLUMNS.items():
        assert list(small[f"_truth/{name}"].columns) == columns


def test_returned_row_counts_match_the_files_and_no_temporary_file_is_left(small: Run) -> None:
    for name, rows in small.rows.items():
        assert len(small[name]) == rows, name
    assert all(small.rows[table] > 0 for table in CONTRACT)
    assert not [p for p in small.folder.rglob("*") if p.name.startswith(".")]


def test_ids_are_unique_zero_padded_strings(small: Run) -> None:
    accounts = small["accounts"]
    assert accounts.customer_id.str.fullmatch(r"C\d{6}").all()
    for table in ("contacts", "contracts", "orders", "invoices", "interactions", "tickets"):
        key = CONTRACT[table].key[0]
        assert small[table][key].is_unique, table
        assert small[table].customer_id.isin(accounts.customer_id).all(), table
    assert not small["usage"].duplicated(["customer_id", "date"]).any()


def test_csv_output_has_the_same_rows_iso_timestamps_and_replaces_a_parquet_file(tmp_path: Path) -> None:
    parquet_rows = generate_sources(tmp_path, customers=80, months=12, seed=5)
    csv_rows = generate_sources(tmp_path, customers=80, months=12, seed=5, file_format="csv")
    assert csv_rows == parquet_rows
    assert not list(tmp_path.glob("*.parquet"))
    interactions = pd.read_csv(tmp_path / "interactions.csv", dtype=str)
    assert interactions.occurred_at.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    assert pd.read_csv(tmp_path / "accounts.csv", dtype=str).customer_id.str.startswith("C0").all()
    assert (tmp_path / "_truth" / "churn_events.parquet").is_file()


def test_a_failure_midway_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(simulate.activity, "usage", broken)
    with pytest.raises(RuntimeError, match="simulated failure"):
        generate_sources(tmp_path, customers=50, months=12)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_end_must_be_a_month_end(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="last day of a month"):
        generate_sources(tmp_path, customers=10, months=12, end=dt.date(2026, 10, 30))


def test_no_event_lies_after_the_end_or_outside_the_customers_lifetime(small: Run) -> None:
    accounts = small["accounts"].merge(small.churn(), on="customer_id", how="left")
    last_day = accounts.churned_at.fillna(END).set_axis(accounts.customer_id)
    created = accounts.created_at.set_axis(accounts.customer_id)
    for table, columns in {**EVENT_DATES, "contacts": ["started_at", "ended_at"]}.items():
        frame = small[table]
        for column in columns:
            day = frame[column].dt.normalize()
            known = day.notna()
            assert (day[known] <= END).all(), (table, column)
            assert (day[known] <= frame.customer_id[known].map(last_day)).all(), (table, column)
            assert (day[known] >= frame.customer_id[known].map(created)).all(), (table, column)
    contracts = small["contracts"]
    assert (contracts.start_date <= contracts.customer_id.map(last_day)).all()


def test_churn_events_agree_with_the_contracts(small: Run) -> None:
    contracts, churn = small["contracts"], small.churn()
    last_end = contracts.groupby("customer_id").end_date.max()
    has_active = contracts.assign(active=contracts.status.eq("active")).groupby("customer_id").active.any()
    assert churn.customer_id.is_unique
    assert (churn.churned_at.values == last_end.loc[churn.customer_id].values).all()
    assert not has_active.loc[churn.customer_id].any()
    stayers = has_active.index.difference(churn.customer_id)
    assert has_active.loc[stayers].all()
    assert (contracts.groupby("customer_id").status.apply(lambda s: s.eq("active").sum()) <= 1).all()
    final = contracts.sort_values("start_date").groupby("customer_id").tail(1).set_index("customer_id")
    final = final.loc[churn.customer_id]
    assert (final.churn_type.values == churn.churn_type.values).all()
    assert final.cancel_reason.notna().all()
    assert set(final.status) <= {"cancelled", "expired"}
    assert contracts[contracts.status == "active"].end_date.isna().all()
    assert contracts[~contracts.customer_id.isin(churn.customer_id)].churn_type.isna().all()


def test_a_twelve_month_run_spans_only_those_twelve_months(tmp_path: Path) -> None:
    generate_sources(tmp_path, customers=150, months=12, seed=9)
    start = pd.Timestamp(2025, 11, 1)
    accounts = _read(tmp_path, "accounts")
    for table, columns in EVENT_DATES.items():
        dates = _read(tmp_path, table)[columns[0]].dt.normalize()
        assert dates.min() >= start and dates.max() <= END, table
    assert _read(tmp_path, "usage").date.dt.to_period("M").nunique() == 12
    contracts = _read(tmp_path, "contracts").merge(accounts[["customer_id", "created_at"]], on="customer_id")
    before_window = contracts.start_date < start
    assert (contracts.start_date[before_window] == contracts.created_at[before_window]).all()
    assert (accounts.created_at < start).mean() > 0.8  # most accounts existed before the window


def test_small_population_has_enough_churns_and_active_customers_for_the_gates(small: Run) -> None:
    churn = small.churn()
    assert len(churn) >= 20
    assert len(small["accounts"]) - len(churn) >= 100
    involuntary = churn.churn_type.eq("involuntary").mean()
    assert 0.05 <= involuntary <= 0.4


def test_the_simulation_rebuilt_from_its_truth_folder_is_the_one_that_wrote_the_files(small: Run) -> None:
    pop, _ = simulate.simulate_population(small.folder)
    ids = np.asarray(simulate.customer_ids(pop.size).to_pylist())
    churned = ~np.isnat(pop.churned)
    rebuilt = pd.Series(pop.churned[churned], index=ids[churned]).sort_index()
    written = small.churn().set_index("customer_id").churned_at.sort_index()
    assert rebuilt.index.tolist() == written.index.tolist()
    assert (rebuilt.to_numpy() == written.to_numpy().astype("datetime64[D]")).all()


def test_a_folder_from_another_simulator_version_is_not_rebuilt_silently(small: Run, tmp_path: Path) -> None:
    copy = tmp_path / "old"
    (copy / "_truth").mkdir(parents=True)
    spec = json.loads((small.folder / "_truth" / "simulation.json").read_text())
    (copy / "_truth" / "simulation.json").write_text(json.dumps(spec | {"simulator_version": 1}))
    with pytest.raises(ValueError, match="simulator version 1"):
        simulate.simulate_population(copy)


def test_most_voluntary_leavers_do_not_renew_rather_than_leave_mid_term(large: Run) -> None:
    """B2B contracts run for a year: most leavers wait for the last month of a term (from the first contract)."""
    leavers = large["accounts"].merge(large.churn(), on="customer_id")
    months = (leavers.churned_at.dt.year - leavers.created_at.dt.year) * 12 + (
        leavers.churned_at.dt.month - leavers.created_at.dt.month
    )
    last_term_month = (months % 12 == 11).groupby(leavers.churn_type).mean()
    assert last_term_month["voluntary"] > 0.4  # 1/12 if churn ignored the term
    assert last_term_month["involuntary"] < 0.2  # a terminated contract does not wait for its renewal


def test_distress_stops_payment_of_what_is_open_and_nothing_paid_reveals_the_future(large: Run) -> None:
    """Payment follows the state of the month in which it is made, so distress shows in the month it starts
    (last month's invoice, still open, goes unpaid or very late), while what was paid within last month does not
    know about it: the sources may show the present, never the future."""
    pop, cal = simulate.simulate_population(large.folder)
    onset = pop.distressed[:, 1:] & ~pop.distressed[:, :-1]
    customer, month = np.nonzero(onset)
    month = month + 1
    ids = np.asarray(simulate.customer_ids(pop.size).to_pylist())
    issued = pd.DataFrame(
        {
            "customer_id": ids[customer],
            "issued_at": pd.to_datetime(cal.starts[month - 1]),
            "month_end": pd.to_datetime(cal.starts[month]) - pd.Timedelta(days=1),
        }
    )
    invoices = large["invoices"].merge(issued, on=["customer_id", "issued_at"])
    paid_in_time = invoices.paid_at <= invoices.month_end  # within the month before the onset
    still_open = invoices[~paid_in_time]
    assert len(still_open) >= 30
    late = (still_open.paid_at - still_open.due_date).dt.days
    assert (still_open.paid_at.isna() | (late > 20)).mean() > 0.8
    everyone = large["invoices"]
    early_share = (everyone.paid_at < everyone.issued_at + pd.DateOffset(months=1)).mean()
    assert paid_in_time.mean() == pytest.approx(early_share, abs=0.12)  # on the state before: as usual


def test_involuntary_churners_leave_unpaid_invoices_behind(large: Run) -> None:
    invoices = large["invoices"].merge(large.churn(), on="customer_id")
    recent = invoices[invoices.issued_at > invoices.churned_at - pd.Timedelta(days=90)]
    unpaid = recent.paid_at.isna().groupby(recent.churn_type).mean()
    assert unpaid["involuntary"] > 0.6
    assert unpaid["voluntary"] < 0.1


def _signal_ratio(events: pd.DataFrame, date_column: str, refs: pd.Series, value: str | None = None) -> float:
    """Activity in the six months up to each customer's reference day ÷ the same six months a year earlier."""
    frame = events.assign(ref=events.customer_id.map(refs)).dropna(subset=["ref"])
    weight = frame[value] if value else pd.Series(1, index=frame.index)
    age = frame.ref - frame[date_column]
    recent = weight[(age >= pd.Timedelta(0)) & (age < HALF_YEAR)].sum()
    year_before = weight[(age >= YEAR) & (age < YEAR + HALF_YEAR)].sum()
    return recent / year_before


def _reference_days(run: Run) -> tuple[pd.Series, pd.Series]:
    """Voluntary churners with 18 months of history in the window (day = churn), and stayers (day = end)."""
    accounts = run["accounts"].merge(run.churn(), on="customer_id", how="left")
    since = accounts.churned_at.fillna(END) - HISTORY_NEEDED
    old = (accounts.created_at <= since) & (since >= run.start)
    leavers = accounts[old & accounts.churn_type.eq("voluntary")]
    stayers = accounts[old & accounts.churned_at.isna()]
    return leavers.set_index("customer_id").churned_at, pd.Series(END, index=stayers.customer_id)


def test_churners_interact_and_log_in_less_than_a_year_before_while_stayers_do_not(large: Run) -> None:
    leavers, stayers = _reference_days(large)
    assert len(leavers) >= 50
    interactions = large["interactions"]
    usage = large["usage"]
    for name, ratio in {
        "interactions": lambda refs: _signal_ratio(interactions, "occurred_at", refs),
        "logins": lambda refs: _signal_ratio(usage, "date", refs, "logins"),
        "features": lambda refs: _signal_ratio(usage, "date", refs, "features_used"),
    }.items():
        leaving, staying = ratio(leavers), ratio(stayers)
        assert leaving < 0.8, (name, leaving)
        assert 0.9 < staying < 1.1, (name, staying)
        assert staying - leaving > 0.2, name


def test_churners_pay_later_than_their_own_earlier_norm(large: Run) -> None:
    leavers, stayers = _reference_days(large)
    invoices = large["invoices"]
    invoices = invoices[invoices.due_date <= END - pd.Timedelta(days=60)]  # later payments are not known yet
    invoices = invoices.assign(days_late=(invoices.paid_at - invoices.due_date).dt.days)

    def shift(refs: pd.Series) -> float:
        frame = invoices.assign(ref=invoices.customer_id.map(refs)).dropna(subset=["ref", "days_late"])
        frame = frame[frame.due_date <= frame.ref]
        recent = frame.issued_at > frame.ref - HALF_YEAR
        by_customer = frame.groupby([frame.customer_id, recent]).days_late.mean().unstack()
        return float((by_customer[True] - by_customer[False]).mean())

    leaving, staying = shift(leavers), shift(stayers - pd.Timedelta(days=60))
    assert leaving > 2.0
    assert abs(staying) < 1.0


def test_signals_before_churn_include_tickets_nps_and_contact_changes(large: Run) -> None:
    churn = large.churn().set_index("customer_id").churned_at
    tickets = large["tickets"].assign(churned_at=lambda f: f.customer_id.map(churn))
    before = (tickets.churned_at - tickets.opened_at) < pd.Timedelta(days=120)
    export = tickets.category.isin(["data_export", "compatibility"])
    assert export[before].mean() > 2 * export[~before].mean()
    surveys = large["surveys"].assign(churned_at=lambda f: f.customer_id.map(churn))
    soon = (surveys.churned_at - surveys.answered_at) < HALF_YEAR
    assert surveys.nps[soon].mean() < 7 <= surveys.nps[~soon].mean()
    contacts = large["contacts"].assign(churned_at=lambda f: f.customer_id.map(churn))
    left_before = ((contacts.churned_at - contacts.ended_at) < HALF_YEAR).groupby(contacts.customer_id).any()
    stayer_ids = large["accounts"].customer_id[~large["accounts"].customer_id.isin(churn.index)]
    left_lately = (contacts.ended_at > END - HALF_YEAR).groupby(contacts.customer_id).any()
    stayers_rate = left_lately.reindex(stayer_ids, fill_value=False).mean()
    assert left_before.loc[churn.index].mean() > 1.5 * stayers_rate


def test_truth_covers_exactly_the_active_customers_at_each_month_end(small: Run) -> None:
    truth, accounts = small["_truth/churn_probability"], small["accounts"]
    churn = small.churn().set_index("customer_id").churned_at
    assert (truth.horizon_days == HORIZON_DAYS).all()
    assert truth.p_churn.between(0, 1).all()
    assert (truth.as_of + pd.Timedelta(days=1)).dt.day.eq(1).all()
    assert truth.as_of.nunique() == small.months and truth.as_of.max() == END
    churned_at = truth.customer_id.map(churn)
    assert (churned_at.isna() | (churned_at > truth.as_of)).all()
    assert (truth.customer_id.map(accounts.set_index("customer_id").created_at) <= truth.as_of).all()
    active_at_end = truth[truth.as_of == END].customer_id
    assert set(active_at_end) == set(accounts.customer_id) - set(churn.index)


def test_truth_probability_ranks_real_churn_well_but_not_perfectly(large: Run) -> None:
    truth = large["_truth/churn_probability"]
    truth = truth[truth.as_of <= END - pd.Timedelta(days=HORIZON_DAYS)]
    churned_at = truth.customer_id.map(large.churn().set_index("customer_id").churned_at)
    realised = (churned_at > truth.as_of) & (churned_at <= truth.as_of + pd.Timedelta(days=HORIZON_DAYS))
    auc = roc_auc_score(realised, truth.p_churn)
    assert 0.7 < auc < 0.97
    assert truth.p_churn.mean() == pytest.approx(realised.mean(), rel=0.25)  # calibrated, not just ranked


def test_value_is_concentrated_in_a_few_large_accounts(large: Run) -> None:
    first = large["contracts"].sort_values("start_date").groupby("customer_id").monthly_value.first()
    top_decile = first.nlargest(len(first) // 10).sum() / first.sum()
    assert 0.3 < top_decile < 0.6
    assert set(large["accounts"].segment) == {"small", "mid", "enterprise"}


def test_industries_differ_in_churn(large: Run) -> None:
    accounts = large["accounts"].merge(large.churn(), on="customer_id", how="left")
    rate = accounts.churned_at.notna().groupby(accounts.industry).mean()
    assert rate["consulting"] > 1.5 * rate["manufacturing"]
    assert min(rate["retail"], rate["agency"]) > rate["saas"]


def test_truth_knows_the_state_at_the_month_end_but_not_the_shocks_to_come() -> None:
    """A shock (an acquisition, a new head office) ends a relationship without warning: the month before, the
    truth must not have seen it coming, or the oracle would be a ceiling no model can reach."""
    from pipelines.lib.simulate import STREAMS
    from pipelines.lib.simulate.population import SHOCK, Calendar, build_population

    cal = Calendar.ending(END.date(), 36)
    seeds = np.random.Generator(np.random.PCG64(7)).spawn(len(STREAMS))
    pop = build_population(dict(zip(STREAMS, seeds, strict=True)), 2000, cal, HORIZON_DAYS)
    month = (pop.churned.astype("datetime64[M]") - cal.start.astype("datetime64[M]")).astype("int64")
    shocked = np.flatnonzero((pop.churn_kind == SHOCK) & (month >= 1))
    assert shocked.size >= 10
    before = pop.p_churn[shocked, month[shocked] - 1]
    everyone = pop.p_churn[~np.isnan(pop.p_churn)]
    # The realised path's hazard in a shock month is at least 0.6; the state's expectation is ordinary.
    assert np.median(before) < 5 * np.median(everyone) < 0.2
