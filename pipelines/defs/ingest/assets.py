"""Extract: every source table into the raw zone of the warehouse."""

import json

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import RadarResource
from pipelines.lib.core.config import DemoSettings
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.core.warehouse import connect
from pipelines.lib.ingest.contract import CONTRACT, REQUIRED_TABLES, missing_tables_message
from pipelines.lib.ingest.raw_zone import load_table
from pipelines.lib.ingest.sources import ContractError, FolderSource
from pipelines.lib.ingest.tombstones import kept_out_line

RAW_KEYS = {table: dg.AssetKey(["raw", table]) for table in CONTRACT}


def ensure_demo_sources(radar: RadarResource, settings: DemoSettings) -> None:
    """Generate the demo source systems once per setting and simulator version; the same settings always give the
    same files, and a folder written by an older simulator is written again."""
    from pipelines.lib.simulate import SIMULATOR_VERSION, generate_sources

    folder = radar.paths.demo_sources
    marker = folder / "_generated.json"
    wanted = settings.model_dump(mode="json") | {"simulator_version": SIMULATOR_VERSION}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    generate_sources(
        folder,
        customers=settings.customers,
        months=settings.months,
        seed=settings.seed,
        end=settings.end,
        horizon_days=radar.config.churn.horizon_days,
        defects=settings.defects.model_dump(),
        drift_months=settings.drift.months,
        drift_strength=settings.drift.strength,
    )
    marker.write_text(json.dumps(wanted))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="ingest",
            description=f"Raw `{table}` ({CONTRACT[table].system.upper()}): every load of the source table, as "
            "text, append-only, with load id, location, fingerprint and time; a load adds only its new or changed "
            "rows and a tombstone for each row it no longer holds. Rows that break the contract are kept here and "
            "listed with their reason in `ops.quarantine`.",
            kinds={"duckdb"},
        )
        for table, key in RAW_KEYS.items()
    ],
    pool="warehouse",
)
def extract_sources(context: dg.AssetExecutionContext, radar: RadarResource):
    """Load each present source table into `raw.<table>`; a delivery already loaded (same fingerprint) is not
    loaded again.

    A delivery that cannot be used at all (unreadable, a required column missing) fails the step with one line and
    leaves the raw zone untouched. Rows that break a rule are quarantined (`ops.quarantine`) and reported one line
    per table, column and rule. Optional tables that are absent are created empty, so downstream models run and
    their features are simply missing; the run says which tables, and which signals, are missing.
    """
    if radar.uses_demo:
        ensure_demo_sources(radar, radar.config.sources.demo)
    source = radar.source()
    if isinstance(source, FolderSource) and not source.folder.is_dir():
        raise dg.Failure(description=f"sources folder {source.folder} does not exist")
    missing: list[str] = []
    kept_out: dict[str, int] = {}
    forget_key = key_for(radar.paths.home)
    with connect(radar.paths.warehouse) as con:
        try:
            with source.session(con):
                for table in REQUIRED_TABLES:
                    if source.locate(table) is None:
                        raise ContractError(
                            f"{source.describe()}: required table '{source.name_of(table)}' is missing"
                        )
                for table, key in RAW_KEYS.items():
                    result = load_table(
                        con, table, source, radar.config.sources.mapping.get(table), forget_key=forget_key
                    )
                    kept_out[table] = result.forgotten
                    if not result.present:
                        missing.append(table)
                    context.log.info(
                        f"{table}: {result.status} ({result.rows} rows; {result.appended} new or changed, "
                        f"{result.retired} no longer delivered)"
                    )
                    for line in result.notes():
                        context.log.warning(line)
                    for line in result.problem_lines():
                        context.log.warning(f"quarantined: {line}")
                    yield dg.MaterializeResult(
                        asset_key=key,
                        metadata=shown({
                            "status": result.status,
                            "rows": result.rows,
                            "rows_appended": result.appended,
                            "rows_retired": result.retired,
                            "quarantined_rows": result.quarantined,
                            "problems": dg.MetadataValue.md(
                                "\n".join(f"- {line}" for line in result.problem_lines()) or "none"
                            ),
                            "load_id": result.load_id or 0,
                            "source_file": result.source_file or "(missing)",
                            "source_hash": result.source_hash or "",
                            "source_dir": source.describe(),
                            "forgotten_rows": result.forgotten,
                            "delimiter": result.delimiter
                            or (
                                "(not read again: unchanged)" if result.status == "unchanged" else "(not CSV)"
                            ),
                            # What the terminal shows after the run (pipelines/runner.py reads it).
                            "notes": dg.MetadataValue.text(
                                "\n".join(
                                    result.notes()
                                    + [f"quarantined: {line}" for line in result.problem_lines()]
                                )
                            ),
                        }),
                    )
        except ContractError as exc:
            raise dg.Failure(description=str(exc)) from exc
    if missing:
        context.log.warning(missing_tables_message(missing))
    if line := kept_out_line(kept_out):
        context.log.warning(line)
