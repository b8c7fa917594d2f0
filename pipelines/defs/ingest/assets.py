"""Extract: every source table into the raw zone of the warehouse."""

import json

import dagster as dg

from pipelines.defs.resources import RadarResource
from pipelines.lib.config import DemoSettings
from pipelines.lib.contract import CONTRACT, REQUIRED_TABLES
from pipelines.lib.raw_zone import ContractError, find_source_file, load_table
from pipelines.lib.warehouse import connect

RAW_KEYS = {table: dg.AssetKey(["raw", table]) for table in CONTRACT}


def ensure_demo_sources(radar: RadarResource, settings: DemoSettings) -> None:
    """Generate the demo source systems once per setting; the same settings always give the same files."""
    from pipelines.lib.simulate import generate_sources

    folder = radar.paths.demo_sources
    marker = folder / "_generated.json"
    wanted = settings.model_dump(mode="json")
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    generate_sources(
        folder,
        customers=settings.customers,
        months=settings.months,
        seed=settings.seed,
        end=settings.end,
        horizon_days=radar.config.churn.horizon_days,
    )
    marker.write_text(json.dumps(wanted))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="ingest",
            description=f"Raw `{table}` ({CONTRACT[table].system.upper()}): every load of the source file, as text, "
            "append-only, with load id, file, hash and time.",
            kinds={"duckdb"},
        )
        for table, key in RAW_KEYS.items()
    ],
    pool="warehouse",
)
def extract_sources(context: dg.AssetExecutionContext, radar: RadarResource):
    """Load each present source table into `raw.<table>`; a file already loaded (same hash) is not loaded again.

    Optional tables that are absent are created empty, so downstream models run and their features are simply
    missing; the run's metadata says which tables were missing.
    """
    if radar.uses_demo:
        ensure_demo_sources(radar, radar.config.sources.demo)
    folder = radar.source_folder()
    if not folder.is_dir():
        raise dg.Failure(description=f"sources folder {folder} does not exist")
    for table in REQUIRED_TABLES:
        if find_source_file(folder, table) is None:
            raise dg.Failure(description=f"{folder}: required table '{table}' (.csv or .parquet) is missing")
    missing: list[str] = []
    with connect(radar.paths.warehouse) as con:
        for table, key in RAW_KEYS.items():
            try:
                result = load_table(con, table, folder, radar.config.sources.mapping.get(table))
            except ContractError as exc:
                raise dg.Failure(description=str(exc)) from exc
            if not result.present:
                missing.append(table)
            context.log.info(f"{table}: {result.status} ({result.rows} rows)")
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "status": result.status,
                    "rows": result.rows,
                    "load_id": result.load_id or 0,
                    "source_file": result.source_file or "(missing)",
                    "source_hash": result.source_hash or "",
                    "source_dir": str(folder),
                },
            )
    if missing:
        context.log.warning(
            f"tables not delivered: {', '.join(missing)}; their features will be empty (see the source contract)"
        )
