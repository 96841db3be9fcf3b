"""One SQLite connection held open by one thread, for short driver-level transactions.

The verification responder answers from the event loop's thread on a SQLite file (see
:mod:`medtrace.api.vrs_fast`): two indexed reads and, once per turn of the loop, one audit
insert. Checking a connection out of SQLAlchemy's pool, running its ``begin`` event, committing
and checking it in again costs about 80 µs a time on the reference machine, several times the
reads themselves. :class:`HeldConnection` checks one connection out on first use and keeps it;
its transactions are ``BEGIN`` / ``BEGIN IMMEDIATE`` … ``COMMIT`` sent straight to the sqlite3
driver (about 5 µs).

The contract, because SQLAlchemy does not see these transactions: inside :meth:`read` and
:meth:`write` only driver-level statements run (:mod:`medtrace.store.dbapi`, which already
reaches the driver under the yielded :class:`~sqlalchemy.engine.Connection`). A SQLAlchemy
``execute`` there would begin a second transaction and fail with "cannot start a transaction
within a transaction", never silently mix the two.

Driver errors surface as SQLAlchemy's (``OperationalError`` "database is locked" after the busy
timeout, …), as they would through SQLAlchemy. The busy timeout is the holder's own (a thread
that must not block, such as an event loop, passes a few milliseconds and declines the work
when it expires).

WAL checkpoints: SQLite copies the write-ahead log into the database file in the connection
whose commit takes the log past its threshold (10,000 pages here, ~40 MB: hundreds of
milliseconds). A thread that must not block turns that off for its connection
(``autocheckpoint=False``) and runs :meth:`HeldConnection.checkpoint` elsewhere instead.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from medtrace.store.engine import driver_pragma, is_sqlite

__all__ = ["HeldConnection"]


class HeldConnection:
    """A connection of ``engine`` (a SQLite file) kept by one thread (see the module docstring).

    ``busy_timeout_ms`` is how long a :meth:`write` waits for SQLite's write lock (and a
    :meth:`read` for the rare lock a reader needs) before raising ``OperationalError``. Not
    thread-safe: one thread uses it; :meth:`close` may run in another once that one is done.
    """

    def __init__(
        self, engine: Engine, *, busy_timeout_ms: int, autocheckpoint: bool = True
    ) -> None:
        if not is_sqlite(engine):
            raise ValueError(f"HeldConnection needs a SQLite engine, got {engine.dialect.name}")
        self._engine = engine
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._autocheckpoint = autocheckpoint
        self._conn: Connection | None = None

    def _connection(self) -> tuple[Connection, sqlite3.Connection]:
        conn = self._conn
        if conn is None:
            conn = self._engine.connect()
            driver_pragma(conn, f"busy_timeout={self._busy_timeout_ms}")
            if not self._autocheckpoint:
                driver_pragma(conn, "wal_autocheckpoint=0")
            self._conn = conn
        raw = conn.connection.driver_connection
        if not isinstance(raw, sqlite3.Connection):  # pragma: no cover - checked in __init__
            raise TypeError(f"expected a sqlite3 connection, got {type(raw).__name__}")
        return conn, raw

    def read(self) -> _Transaction:
        """A read transaction (``BEGIN``: one snapshot for every statement inside)."""
        return _Transaction(self, "BEGIN")

    def write(self) -> _Transaction:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock is taken up front)."""
        return _Transaction(self, "BEGIN IMMEDIATE")

    def _driver(self, raw: sqlite3.Connection, sql: str) -> None:
        """Run ``sql`` on the driver connection; its errors as SQLAlchemy's."""
        try:
            raw.execute(sql)
        except sqlite3.Error as error:
            dialect = self._engine.dialect
            raise sa_exc.DBAPIError.instance(
                sql, None, error, sqlite3.Error, dialect=dialect
            ) from error

    def checkpoint(self) -> None:
        """A passive WAL checkpoint on another connection of the engine, in the calling thread
        (it never waits for readers or the writer: what it cannot copy now, a later one does)."""
        with self._engine.connect() as conn:
            driver_pragma(conn, "wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Return the connection to the engine's pool (it is opened again on next use)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


class _Transaction:
    """``with held.read() as conn:`` — committed on success, rolled back on any error.

    A plain class rather than a generator context manager: it runs twice per verification
    request.
    """

    __slots__ = ("_begin", "_held", "_raw")

    def __init__(self, held: HeldConnection, begin: str) -> None:
        self._held = held
        self._begin = begin
        self._raw: sqlite3.Connection | None = None

    def __enter__(self) -> Connection:
        conn, raw = self._held._connection()
        self._held._driver(raw, self._begin)
        self._raw = raw
        return conn

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        raw, self._raw = self._raw, None
        if raw is None:  # pragma: no cover - __enter__ failed: no transaction to end
            return
        if kind is None:
            try:
                self._held._driver(raw, "COMMIT")
            except BaseException:
                if raw.in_transaction:
                    self._held._driver(raw, "ROLLBACK")
                raise
        elif raw.in_transaction:
            self._held._driver(raw, "ROLLBACK")
