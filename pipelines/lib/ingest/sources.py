"""Connectors: where the source tables come from (a folder of files, a DuckDB or SQLite file, PostgreSQL).

Every connector does the same two things for the raw zone: say whether a table is there (and where), and stage it
into the DuckDB connection as a relation of text columns under the source's own column names. The raw zone then
maps, validates and appends it, whatever the connector.

DuckDB's own ``sqlite`` and ``postgres`` scanner extensions would be the natural readers, but DuckDB downloads
extensions from its repository at run time, and no extension package on PyPI matches duckdb 1.5.6 (the
``duckdb-ext-*`` packages are built for 1.4.4). So SQLite is read with Python's ``sqlite3`` and PostgreSQL with
``psycopg`` (``COPY ... TO STDOUT`` as CSV), each handed to DuckDB as Arrow or CSV. Both read every value as text,
as the raw zone keeps it.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa


class ContractError(ValueError):
    """A source table that breaks the contract; the message is one line naming the table's location and problem."""


def first_line(exc: BaseException) -> str:
    """DuckDB's multi-line errors reduced to the part a person needs: what failed, and on which line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    kept: list[str] = []
    for line in lines:
        if line.startswith(("Possible fixes", "* ", "The search space")):
            break
        if line.startswith("Original Line"):
            continue
        kept.append(line.removeprefix("Invalid Input Error: "))
    return "; ".join(kept[:3]) or type(exc).__name__


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes with inner quotes doubled: any column or table name, however hostile,
    stays one identifier (DuckDB, SQLite and PostgreSQL share this rule)."""
    return '"' + name.replace('"', '""') + '"'


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Source(ABC):
    """One company's source system(s). ``tables`` maps contract table names to the source's own names."""

    kind: str

    def __init__(self, tables: Mapping[str, str] | None = None) -> None:
        self.tables = dict(tables or {})

    def name_of(self, table: str) -> str:
        return self.tables.get(table, table)

    @abstractmethod
    def describe(self) -> str:
        """Where the data comes from, for logs and the load ledger (never a password)."""

    @abstractmethod
    def locate(self, table: str) -> str | None:
        """The table's location (file path, ``db#schema.table``), or None when the source does not have it."""

    def quick_fingerprint(self, table: str) -> str | None:
        """A fingerprint available without reading the data (a file hash); None when the data must be read."""
        return None

    @abstractmethod
    def stage(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str | None:
        """Make the table readable in ``con`` as relation ``view``; raise ContractError if it cannot be read.

        Returns the delimiter detected in a CSV file, which the run reports (it is a guess from the header), or
        None when nothing was guessed."""

    @contextmanager
    def session(self, con: duckdb.DuckDBPyConnection) -> Iterator[Source]:
        """Open what the connector needs for a whole extract (a database connection, an ATTACH)."""
        yield self


def file_name_problem(stem: str) -> str | None:
    """Why ``stem`` cannot name a file inside the sources folder (an absolute path, a ``..`` step, a folder
    separator), or None. The configuration and the folder connector both ask, so the rule is said once."""
    if not stem.strip():
        return "is empty"
    if Path(stem).is_absolute() or "/" in stem or "\\" in stem or stem in (".", ".."):
        return "must be a file name in the sources folder, not a path"
    return None


class FolderSource(Source):
    """``<table>.csv`` or ``<table>.parquet`` files in one folder: exports as a company's systems write them."""

    kind = "folder"

    def __init__(self, folder: Path, tables: Mapping[str, str] | None = None) -> None:
        super().__init__(tables)
        self.folder = Path(folder)

    def describe(self) -> str:
        return str(self.folder)

    def file(self, table: str) -> Path | None:
        """The table's file, or None when the folder has none; raise ContractError for a file the contract does
        not allow: a name that is a path, a broken symbolic link, or a link that leaves the folder (raw data must
        come from the folder the user named, not from wherever a link happens to point)."""
        stem = self.name_of(table)
        if problem := file_name_problem(stem):
            raise ContractError(f"sources.tables.{table}: '{stem}' {problem}")
        candidates = [self.folder / f"{stem}.csv", self.folder / f"{stem}.parquet"]
        for path in candidates:
            if path.is_symlink():
                self._check_link(table, path)
        found = [p for p in candidates if p.is_file()]
        if len(found) > 1:
            raise ContractError(f"{self.folder}: both {stem}.csv and {stem}.parquet exist; keep one")
        return found[0] if found else None

    def _check_link(self, table: str, path: Path) -> None:
        target = path.resolve()
        if not target.exists():
            raise ContractError(
                f"{path.name}: table '{table}' is a broken symbolic link (to {os.readlink(path)})"
            )
        if not target.is_relative_to(self.folder.resolve()):
            raise ContractError(
                f"{path.name}: table '{table}' is a symbolic link that leaves the sources folder (to {target}); "
                "copy the file into the folder instead"
            )

    def locate(self, table: str) -> str | None:
        path = self.file(table)
        return str(path) if path else None

    def quick_fingerprint(self, table: str) -> str | None:
        path = self.file(table)
        return file_sha256(path) if path else None

    def stage(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str | None:
        path = self.file(table)
        assert path is not None
        delimiter = None
        if path.suffix == ".csv":
            reader, delimiter = _csv_reader(path)
        else:
            reader = f"read_parquet({_sql_text(str(path))})"
        try:
            con.execute(f"create or replace temp view {view} as select * from {reader}")
        except duckdb.Error as exc:
            raise ContractError(
                f"{path.name}: cannot be read as {path.suffix[1:]} ({first_line(exc)})"
            ) from exc
        return delimiter


DELIMITER_NAMES = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tab", "|": "'|' (pipe)"}


def _csv_reader(path: Path) -> tuple[str, str]:
    """A strict CSV reader with the header read here: DuckDB's sniffer would silently turn a malformed file into
    one wide column, while explicit columns make it name the offending line. Returns the reader and the
    delimiter, which the header decides (the most frequent of ``, ; tab |``)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise ContractError(f"{path.name}: empty file, no header line")
    delimiter = max(",;\t|", key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter))
    blank = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if blank:
        raise ContractError(f"{path.name}: header has an empty column name at position(s) {blank}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ContractError(f"{path.name}: header repeats column(s) {', '.join(repeated)}")
    columns = "{" + ", ".join(f"{_sql_text(name)}: 'VARCHAR'" for name in header) + "}"
    return (
        f"read_csv({_sql_text(str(path))}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = {_sql_text(delimiter)}, quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8')",
        delimiter,
    )


class DuckDBFileSource(Source):
    """Tables in another DuckDB database file, attached read-only (DuckDB reads its own format natively)."""

    kind = "duckdb"
    ALIAS = "radar_source_db"

    def __init__(
        self, path: Path, schema: str | None = None, tables: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(tables)
        self.path = Path(path)
        self.schema = schema or "main"
        self._con: duckdb.DuckDBPyConnection | None = None

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    @contextmanager
    def session(self, con: duckdb.DuckDBPyConnection) -> Iterator[Source]:
        if not self.path.is_file():
            raise ContractError(f"{self.path}: DuckDB source file does not exist")
        try:
            con.execute(f"attach {_sql_text(str(self.path))} as {self.ALIAS} (read_only)")
        except duckdb.Error as exc:
            raise ContractError(
                f"{self.path}: cannot be opened as a DuckDB database ({first_line(exc)})"
            ) from exc
        self._con = con
        try:
            yield self
        finally:
            self._con = None
            con.execute(f"detach {self.ALIAS}")

    def locate(self, table: str) -> str | None:
        assert self._con is not None, "use within session()"
        found = self._con.execute(
            "select count(*) from information_schema.tables where table_catalog = ? and table_schema = ?"
            " and table_name = ?",
            [self.ALIAS, self.schema, self.name_of(table)],
        ).fetchone()[0]
        return f"{self.describe()}#{self.schema}.{self.name_of(table)}" if found else None

    def stage(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str | None:
        con.execute(
            f"create or replace temp view {view} as select * from "
            f"{self.ALIAS}.{quote_ident(self.schema)}.{quote_ident(self.name_of(table))}"
        )
        return None


class SQLiteSource(Source):
    """Tables in a SQLite file, read with Python's sqlite3 (every value cast to text in SQLite) into Arrow."""

    kind = "sqlite"
    BATCH_ROWS = 100_000

    def __init__(self, path: Path, tables: Mapping[str, str] | None = None) -> None:
        super().__init__(tables)
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def describe(self) -> str:
        return f"sqlite:{self.path}"

    @contextmanager
    def session(self, con: duckdb.DuckDBPyConnection) -> Iterator[Source]:
        if not self.path.is_file():
            raise ContractError(f"{self.path}: SQLite source file does not exist")
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            db.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise ContractError(f"{self.path}: cannot be opened as a SQLite database ({exc})") from exc
        self._db = db
        try:
            yield self
        finally:
            self._db = None
            db.close()

    def locate(self, table: str) -> str | None:
        assert self._db is not None, "use within session()"
        row = self._db.execute(
            "select count(*) from sqlite_master where type in ('table', 'view') and name = ?",
            [self.name_of(table)],
        ).fetchone()
        return f"{self.describe()}#{self.name_of(table)}" if row[0] else None

    def stage(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str | None:
        assert self._db is not None, "use within session()"
        name = quote_ident(self.name_of(table))
        columns = [r[1] for r in self._db.execute(f"pragma table_info({name})").fetchall()]
        select = ", ".join(f"cast({quote_ident(c)} as text)" for c in columns)
        cursor = self._db.execute(f"select {select} from {name}")
        schema = pa.schema([(c, pa.string()) for c in columns])
        batches = []
        while rows := cursor.fetchmany(self.BATCH_ROWS):
            # A transpose of the fetched tuples (C-level zip), not a Python loop over rows.
            batches.append(
                pa.record_batch([pa.array(col, pa.string()) for col in zip(*rows, strict=True)], schema)
            )
        arrow = pa.Table.from_batches(batches, schema)
        con.register(f"{view}_arrow", arrow)
        con.execute(f"create or replace temp table {view} as select * from {view}_arrow")
        con.unregister(f"{view}_arrow")
        return None


class PostgresSource(Source):
    """Tables in PostgreSQL, streamed with ``COPY (select ...) TO STDOUT`` as CSV (PostgreSQL's own text form)
    through a temporary file that DuckDB reads. Connection settings come from ``dsn`` plus libpq's environment
    (``PGPASSWORD``, ``~/.pgpass``), so no password needs to be in radar.yaml."""

    kind = "postgres"

    def __init__(self, dsn: str, schema: str | None = None, tables: Mapping[str, str] | None = None) -> None:
        super().__init__(tables)
        self.dsn = dsn
        self.schema = schema or "public"
        self._pg = None
        self._tmp: Path | None = None

    def describe(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.dsn)
        host = info.get("host", "localhost")
        port = info.get("port", "5432")
        return f"postgresql://{info.get('user', '')}@{host}:{port}/{info.get('dbname', '')}"

    @contextmanager
    def session(self, con: duckdb.DuckDBPyConnection) -> Iterator[Source]:
        import psycopg

        try:
            pg = psycopg.connect(self.dsn, connect_timeout=10)
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ContractError(f"{self.describe()}: cannot connect ({message})") from exc
        pg.read_only = True
        with tempfile.TemporaryDirectory(prefix="radar-pg-") as tmp:
            self._pg, self._tmp = pg, Path(tmp)
            try:
                yield self
            finally:
                self._pg, self._tmp = None, None
                pg.close()

    def locate(self, table: str) -> str | None:
        assert self._pg is not None, "use within session()"
        row = self._pg.execute(
            "select count(*) from information_schema.tables where table_schema = %s and table_name = %s",
            [self.schema, self.name_of(table)],
        ).fetchone()
        return f"{self.describe()}#{self.schema}.{self.name_of(table)}" if row[0] else None

    def stage(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str | None:
        from psycopg import sql

        assert self._pg is not None and self._tmp is not None, "use within session()"
        target = self._tmp / f"{table}.csv"
        query = sql.SQL("copy (select * from {}.{}) to stdout with (format csv, header true)").format(
            sql.Identifier(self.schema), sql.Identifier(self.name_of(table))
        )
        with self._pg.cursor() as cur, target.open("wb") as out, cur.copy(query) as copy:
            for chunk in copy:
                out.write(chunk)
        self._pg.rollback()  # end the read-only transaction the COPY opened
        con.execute(f"create or replace temp table {view} as select * from {_csv_reader(target)[0]}")
        return None


def build_source(
    *,
    kind: str,
    path: Path | None = None,
    dsn: str | None = None,
    schema: str | None = None,
    tables: Mapping[str, str] | None = None,
) -> Source:
    """The connector for a ``sources.kind`` ('demo' and 'folder' both read a folder)."""
    if kind in ("folder", "demo"):
        assert path is not None
        return FolderSource(path, tables)
    if kind == "duckdb":
        assert path is not None
        return DuckDBFileSource(path, schema, tables)
    if kind == "sqlite":
        assert path is not None
        return SQLiteSource(path, tables)
    if kind == "postgres":
        assert dsn is not None
        return PostgresSource(dsn, schema, tables)
    raise ValueError(f"unknown source kind {kind!r}")
