"""Point-in-time proof: events added after a snapshot date leave that snapshot's features exactly as they were.

The finished demo warehouse is copied, events dated after the snapshot are appended to the newest raw loads of
every activity source (orders, invoices paid late, interactions, tickets, usage, surveys, contacts), and dbt
rebuilds the feature mart. Every snapshot on or before the date is unchanged; the next one does change, so the
test would notice a leak.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import DBT_PROJECT_DIR
from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow

SNAPSHOT = dt.date(2026, 3, 31)

# table -> (columns, SQL select of the extra rows over `active` = customers active at the snapshot, `d` = day)
EXTRA_EVENTS = {
    "orders": "select 'pit-o-' || customer_id || d, customer_id, strftime(day, '%Y-%m-%d'), '5000', 'product'",
    "invoices": "select 'pit-i-' || customer_id || d, customer_id, strftime(day, '%Y-%m-%d'),"
    " strftime(day - 40, '%Y-%m-%d'), '100', strftime(day, '%Y-%m-%d')",
    "interactions": "select 'pit-c-' || customer_id || d, customer_id, strftime(day, '%Y-%m-%d'), 'call',"
    " 'inbound', '99'",
    "tickets": "select 'pit-t-' || customer_id || d, customer_id, strftime(day, '%Y-%m-%d'), null,"
    " 'data_export', 'high', '1'",
    "surveys": "select customer_id, strftime(day, '%Y-%m-%d'), '0', 'leaving'",
    "contacts": "select 'pit-p-' || customer_id || d, customer_id, strftime(day, '%Y-%m-%d'), null,"
    " 'decision_maker', 'x@example.org', 'X'",
}
COLUMNS = {
    "orders": "order_id, customer_id, order_date, amount, category",
    "invoices": "invoice_id, customer_id, issued_at, due_date, amount, paid_at",
    "interactions": "interaction_id, customer_id, occurred_at, channel, direction, response_hours",
    "tickets": "ticket_id, customer_id, opened_at, closed_at, category, priority, csat",
    "surveys": "customer_id, answered_at, nps, comment",
    "contacts": "contact_id, customer_id, started_at, ended_at, role, email, name",
}


def _features(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from marts.customer_features order by snapshot_date, customer_id").df()


def _append_events_after(warehouse: Path, snapshot: dt.date) -> int:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """create temp table active as
               select customer_id from marts.customer_features where snapshot_date = ?""",
            [snapshot],
        )
        con.execute(
            """create temp table days as
               select d, cast(? as date) + cast(d as integer) as day from range(1, 21, 3) as r (d)""",
            [snapshot],
        )
        added = 0
        for table, select in EXTRA_EVENTS.items():
            load = con.execute(f"select max(_load_id) from raw.{table}").fetchone()[0]
            before = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            con.execute(
                f"""insert into raw.{table} ({COLUMNS[table]}, _load_id)
                    select *, {load} from ({select} from active cross join days)"""
            )
            added += con.execute(f"select count(*) from raw.{table}").fetchone()[0] - before
        # Daily usage: a busy day for everyone, after the snapshot.
        load = con.execute("select max(_load_id) from raw.usage").fetchone()[0]
        con.execute(
            f"""insert into raw.usage (customer_id, date, logins, features_used, _load_id)
                select customer_id, strftime(cast(? as date) + 2, '%Y-%m-%d'), '999', '99', {load}
                from active
                where customer_id not in (
                    select customer_id from raw.usage where _load_id = {load}
                    and date = strftime(cast(? as date) + 2, '%Y-%m-%d'))""",
            [snapshot, snapshot],
        )
        return added


def test_events_after_a_snapshot_do_not_change_its_features(full_run: PipelineRun, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(full_run.paths.warehouse, home / "warehouse.duckdb")
    before = _features(home / "warehouse.duckdb")
    assert (before["snapshot_date"].dt.date == SNAPSHOT).sum() > 100

    assert _append_events_after(home / "warehouse.duckdb", SNAPSHOT) > 1000
    env = {**os.environ, "RADAR_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [
            str(dbt),
            "run",
            "--quiet",
            "--profiles-dir",
            ".",
            "--select",
            "+customer_features",
            "--vars",
            json.dumps(load_config().dbt_vars()),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    after = _features(home / "warehouse.duckdb")

    upto = pd.Timestamp(SNAPSHOT)
    pd.testing.assert_frame_equal(
        before[before["snapshot_date"] <= upto].reset_index(drop=True),
        after[after["snapshot_date"] <= upto].reset_index(drop=True),
    )
    next_month = pd.Timestamp(2026, 4, 30)
    changed = (
        before[before["snapshot_date"] == next_month]
        .reset_index(drop=True)
        .compare(after[after["snapshot_date"] == next_month].reset_index(drop=True))
    )
    assert {"orders_30d", "tickets_competitor_180d", "nps_latest", "logins_30d"} <= set(
        changed.columns.get_level_values(0)
    ), "the added events must show in the next snapshot, or this test proves nothing"
