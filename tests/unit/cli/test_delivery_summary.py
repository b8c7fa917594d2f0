"""What the terminal says about a delivery after `radar run`: the extract's notes and the tables not delivered,
read from the `raw/*` materialisations as the runner does."""

from __future__ import annotations

import dagster as dg

from pipelines.lib.ingest.contract import CONTRACT
from pipelines.runner import delivery_lines


def _events(statuses: dict[str, tuple[str, str]]) -> list:
    @dg.multi_asset(specs=[dg.AssetSpec(["raw", t]) for t in statuses])
    def extract():
        for table, (status, notes) in statuses.items():
            yield dg.MaterializeResult(
                asset_key=["raw", table], metadata={"status": status, "notes": dg.MetadataValue.text(notes)}
            )

    return dg.materialize([extract]).get_asset_materialization_events()


def test_the_notes_and_the_tables_not_delivered_are_one_line_each() -> None:
    statuses = {t: ("loaded", "") for t in CONTRACT}
    statuses["contacts"] = (
        "loaded",
        "contacts.csv: read with delimiter ';' (semicolon), detected from the header",
    )
    statuses["tickets"] = ("empty", "tickets.csv: header only, no rows; 'tickets' is used as not delivered")
    statuses["usage"] = ("missing", "")
    lines = delivery_lines(_events(statuses))
    assert lines[:2] == [statuses["contacts"][1], statuses["tickets"][1]]
    assert lines[2].startswith("tables not delivered: tickets (support load") and "; usage (" in lines[2]
    assert len(lines) == 3


def test_an_extract_that_stopped_early_does_not_claim_the_rest_of_the_pipeline_runs() -> None:
    lines = delivery_lines(_events({"accounts": ("loaded", ""), "contacts": ("missing", "")}))
    assert lines == []
