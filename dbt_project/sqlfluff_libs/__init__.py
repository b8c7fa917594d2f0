"""Lint-only stand-ins for dbt's `adapter` and `dbt` objects (sqlfluff's `library_path`, see ../.sqlfluff).

sqlfluff renders the models with plain Jinja: there is no dbt and no adapter, so `adapter.dispatch(...)` and the
cross-database macros (`dbt.datediff`, ...) would be undefined. These render the DuckDB form, the one production
runs; the PostgreSQL forms are checked by really building on PostgreSQL (tests/adapters)."""
