"""Database URLs and engines for the store: SQLite (embedded) and PostgreSQL (psycopg 3).

Accepted locations (``--db`` / ``MEDTRACE_DB``):

* ``sqlite:///relative/file.sqlite``, ``sqlite:////absolute/file.sqlite``;
* a plain file path (``./medtrace.sqlite``, ``/var/lib/medtrace.db``) → SQLite;
* ``postgresql://user@host/db`` or ``postgres://…`` → the psycopg 3 driver
  (``postgresql+psycopg://``). An extra query parameter ``search_path=name`` selects a schema
  (used by the tests: one fresh schema per test); it is turned into the libpq ``options``.

SQLite runs in WAL mode with ``synchronous=NORMAL``, a busy timeout and a WAL checkpoint every
10,000 pages (instead of 1,000): readers never block the single writer. Write transactions
begin with ``BEGIN IMMEDIATE`` (see :func:`write_transaction`), so two writers queue on the
lock instead of failing at commit, and ``max(seq) + 1`` inside the transaction is safe.

>>> str(normalize_url("postgres://u@h/db"))
'postgresql+psycopg://u@h/db'
>>> normalize_url("sqlite:///x.sqlite").drivername
'sqlite'
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from medtrace.errors import MedtraceError

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "StoreConfigError",
    "create_store_engine",
    "driver_pragma",
    "is_sqlite",
    "normalize_url",
    "read_connection",
    "resolve_db",
    "write_transaction",
]

#: The environment variable naming the database when ``--db`` is not given.
ENV_VAR: Final = "MEDTRACE_DB"
#: The database used when neither ``--db`` nor ``MEDTRACE_DB`` is set.
DEFAULT_DB: Final = "./medtrace.sqlite"
#: SQLite busy timeout (milliseconds): how long a writer waits for the write lock.
BUSY_TIMEOUT_MS: Final = 60_000
#: WAL pages after which a commit checkpoints (SQLite's default is 1,000, ~4 MB): each
#: checkpoint syncs the database file, and one document per capture commits many small
#: transactions, so checkpoints ten times rarer (a WAL of up to ~40 MB) cut their cost a lot.
WAL_AUTOCHECKPOINT_PAGES: Final = 10_000

_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_WRITE_OPTION: Final = "medtrace_write"


class StoreConfigError(MedtraceError):
    """A database location that cannot be used (bad URL, unsupported backend)."""


def resolve_db(db: str | None) -> str:
    """The database location: ``db`` if given, else ``$MEDTRACE_DB``, else ``./medtrace.sqlite``."""
    if db:
        return db
    return os.environ.get(ENV_VAR) or DEFAULT_DB


def normalize_url(location: str | Path) -> sa.URL:
    """A SQLAlchemy URL for a store location (see the module docstring)."""
    if isinstance(location, Path) or "://" not in location:
        path = str(location)
        if not path.strip():
            raise StoreConfigError("expected a database URL or a file path, got an empty string")
        return sa.URL.create("sqlite", database=path)
    try:
        url = make_url(location)
    except ArgumentError as exc:
        raise StoreConfigError(f"not a database URL: {location!r} ({exc})") from exc
    backend = url.drivername.split("+", 1)[0]
    if backend in {"postgresql", "postgres"}:
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    raise StoreConfigError(
        f"unsupported database {url.drivername!r} in {location!r}: "
        "expected sqlite:///FILE, a file path or postgresql://..."
    )


#: Connections kept open per engine, and opened beyond that under load (then closed again). A
#: server process runs its store work in up to 40 threads (anyio's default); with SQLAlchemy's
#: default of 5 + 10, busy servers opened and closed a connection (and ran the SQLite pragmas)
#: for a large share of requests.
POOL_SIZE: Final = 16
POOL_OVERFLOW: Final = 24


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether ``bind`` talks to SQLite."""
    return bind.dialect.name == "sqlite"


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver's own transaction handling is switched off; SQLAlchemy's begin event below
    # emits BEGIN (readers) or BEGIN IMMEDIATE (writers) itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(
    location: str | Path,
    *,
    echo: bool = False,
    pool_size: int = POOL_SIZE,
    max_overflow: int = POOL_OVERFLOW,
) -> Engine:
    """An engine for ``location``, configured for the store (pragmas, search_path, driver).

    ``pool_size`` and ``max_overflow`` size its connection pool (an in-memory SQLite database
    has exactly one connection). The caller owns the engine and must ``dispose()`` it.
    """
    url = normalize_url(location)
    if url.drivername == "sqlite":
        database = url.database or ""
        if database in {"", ":memory:"}:
            engine = sa.create_engine(
                "sqlite://",
                echo=echo,
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreConfigError(
                    f"cannot open SQLite database {database!r}: directory {parent} does not exist"
                )
            engine = sa.create_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=max_overflow
            )
        sa_event.listen(engine, "connect", _sqlite_on_connect)
        sa_event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    query = dict(url.query)
    search_path = query.pop("search_path", None)
    connect_args: dict[str, object] = {}
    if search_path is not None:
        name = search_path if isinstance(search_path, str) else ",".join(search_path)
        if not all(_SCHEMA_NAME.fullmatch(part) for part in name.split(",")):
            raise StoreConfigError(f"invalid search_path {name!r}: expected schema identifiers")
        connect_args["options"] = f"-csearch_path={name}"
    # No ``pool_pre_ping``: it costs one round trip per checkout on every capture and query.
    # A connection the server dropped fails its first statement instead; SQLAlchemy recognises
    # the disconnect, invalidates the whole pool, and the next checkout connects afresh.
    return sa.create_engine(
        url.set(query=query),
        echo=echo,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )


@contextmanager
def write_transaction(
    engine: Engine, *, busy_timeout_ms: int | None = None
) -> Iterator[Connection]:
    """A connection inside one write transaction, committed on success, rolled back on error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the single-writer lock is taken
    up front, waiting up to the busy timeout). ``busy_timeout_ms`` replaces the busy timeout for
    this transaction (SQLite only): a caller with somewhere else to put its write (the audit
    log's spool) gives up quickly with ``OperationalError`` "database is locked" instead of
    waiting behind a long capture.
    """
    with engine.connect() as conn:
        sqlite = is_sqlite(conn)
        if sqlite:
            conn.execution_options(**{_WRITE_OPTION: True})
            if busy_timeout_ms is not None:
                driver_pragma(conn, f"busy_timeout={int(busy_timeout_ms)}")
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite and busy_timeout_ms is not None:
                driver_pragma(conn, f"busy_timeout={BUSY_TIMEOUT_MS}")


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only, its transaction ended with ``COMMIT``.

    SQLAlchemy's pool ends every checkout with ``ROLLBACK``, and psycopg forgets every
    prepared statement of a connection on ``ROLLBACK`` (and deallocates them on the server: a
    statement prepared inside a rolled-back transaction may be gone). So on PostgreSQL no
    statement of the read paths was ever prepared, and every query was planned afresh: 30 to
    50 ms of planning for an events query by an organization with custody rules on a 10M-row
    store, which then ran in 4 ms. A transaction that only read commits as it rolls back. An
    exception still ends in the pool's ``ROLLBACK``. Never use it for writes.
    """
    with engine.connect() as conn:
        yield conn
        if conn.in_transaction():
            conn.commit()
        else:  # reads sent straight to the driver (medtrace.store.dbapi) began its own
            raw = conn.connection.dbapi_connection
            if raw is not None:
                raw.commit()


def driver_pragma(conn: Connection, pragma: str) -> None:
    """A SQLite ``PRAGMA`` on the driver connection, outside SQLAlchemy's transaction."""
    raw = conn.connection.dbapi_connection
    if raw is None:  # pragma: no cover - an open connection always has one
        return
    cursor = raw.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()
