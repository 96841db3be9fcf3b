"""The event loop's own PostgreSQL connections, for the hot path of the HTTP service.

On PostgreSQL the verification responder used to read in a worker thread through the engine's
pool, and its audit rows were committed by another thread. On a small machine that costs more
than the work: the loop and the threads take the interpreter lock from each other around every
network wait (psycopg releases it), a thread hand-off and a pool checkout come with every
request, and a thread waiting for the lock waits up to the interpreter's switch interval.
:class:`LoopPostgres` instead keeps a few psycopg :class:`~psycopg.AsyncConnection` of the event
loop's own and awaits the network on the loop: read sequences
(:data:`medtrace.store.dbapi.Reads`, the same code the threads run through
:func:`~medtrace.store.dbapi.run_reads`) with :meth:`LoopPostgres.run`, writes with
:meth:`LoopPostgres.execute`.

The connections are in autocommit mode: every read is a statement of its own, which at
PostgreSQL's default isolation (READ COMMITTED: each statement sees the rows committed before it
began, PostgreSQL documentation §13.2.1) is what a transaction of several statements would have
seen too, without the round trips of ``BEGIN`` and ``COMMIT``. A write is one statement, so
atomic on its own (a batch of rows: one ``INSERT … SELECT … FROM unnest(…)`` of arrays). The
connections are opened on first use with the parameters of the engine's own connections (host,
database, user, password, ``search_path``), at most ``size`` of them; a connection that broke
or whose statement was cancelled half-way is closed, not reused.

The hot path's statements are a few fixed lookups by key. psycopg prepares a statement once it
has run it five times on a connection (``prepare_threshold``), and these connections set
``plan_cache_mode = force_generic_plan`` (PostgreSQL 12+, documentation §20.7.2) so that a
prepared statement is planned once. With the default (``auto``) PostgreSQL kept planning the
persistent-disposition query of every verification afresh, its generic plan never looking
cheaper to the heuristic: 0.35 to 0.45 ms of planning for 0.07 ms of execution, most of the
server's CPU per verification (measured: 508 → 98 µs per query, the item lookup 90 → 56 µs).
The engine's own connections keep ``auto``: the visibility conditions of the event queries
need plans made for their values (a prefix ``LIKE`` on a parameter cannot use an index).

All methods must be called from the one event loop that first used the object (asyncio
primitives belong to one loop); the HTTP service keeps one per application.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Final, TypeVar

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import Engine

from medtrace.store.dbapi import Reads, Rows, driver

__all__ = ["LOOP_CONNECTIONS", "LoopPostgres", "LoopPostgresClosedError"]

#: Connections per event loop. A verification is two short indexed reads; one connection
#: carries a few thousand reads a second, and a process has one event loop.
LOOP_CONNECTIONS: Final = 4

_T = TypeVar("_T")
_Connection = psycopg.AsyncConnection[tuple[Any, ...]]
_Cursor = psycopg.AsyncCursor[tuple[Any, ...]]
_IDLE: Final = psycopg.pq.TransactionStatus.IDLE


class LoopPostgresClosedError(RuntimeError):
    """:meth:`LoopPostgres.close` was called: no more work is taken."""


@lru_cache(maxsize=256)
def _psycopg_sql(sql: str) -> str:
    """``sql`` with its ``{m}`` markers written as psycopg's ``%s``."""
    return sql.format(m="%s")


class LoopPostgres:
    """At most ``size`` connections of the running event loop to ``engine``'s database."""

    def __init__(self, engine: Engine, *, size: int = LOOP_CONNECTIONS) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(f"LoopPostgres needs a PostgreSQL engine, got {engine.dialect.name}")
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._engine = engine
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[_Connection, _Cursor]] = []
        self._conninfo: str | None = None
        self._closed = False

    async def run(self, reads: Reads[_T]) -> _T:
        """Run the read sequence ``reads`` on one connection (taken only once it reads, as
        :func:`~medtrace.store.dbapi.run_reads_with`); its value. Every read must return rows
        (a ``SELECT``, or a statement with ``RETURNING``)."""
        try:
            read = next(reads)
        except StopIteration as done:
            first: _T = done.value
            return first
        async with self._connection() as (_, cursor):
            try:
                while True:
                    sql, params = read
                    await cursor.execute(_psycopg_sql(sql), tuple(params))
                    rows: Rows = await cursor.fetchall()
                    read = reads.send(rows)
            except StopIteration as done:
                result: _T = done.value
                return result

    async def execute(self, sql: str, params: Sequence[object]) -> None:
        """Run one statement (``{m}`` markers) that returns no rows, as its own transaction."""
        async with self._connection() as (_, cursor):
            await cursor.execute(_psycopg_sql(sql), tuple(params))

    async def close(self) -> None:
        """Close the idle connections; those in use close when their work ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await conn.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[_Connection, _Cursor]]:
        """A connection at rest and its cursor (one per connection: creating one per
        statement, and reading its description, cost more than the statement's own work)."""
        if self._closed:
            raise LoopPostgresClosedError("the event loop's PostgreSQL connections are closed")
        async with self._slots:
            conn, cursor = self._idle.pop() if self._idle else await self._connect()
            try:
                yield conn, cursor
            finally:
                # reused only when at rest: not after a broken link, nor a statement cancelled
                # half-way (its status is then ACTIVE, its result still to come)
                if not self._closed and not conn.closed and conn.info.transaction_status == _IDLE:
                    self._idle.append((conn, cursor))
                else:
                    await _close_quietly(conn)

    async def _connect(self) -> tuple[_Connection, _Cursor]:
        if self._conninfo is None:
            self._conninfo = await asyncio.to_thread(_conninfo_of, self._engine)
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            await conn.execute("SET plan_cache_mode = force_generic_plan")
        except BaseException:
            await _close_quietly(conn)
            raise
        return conn, conn.cursor()


def _conninfo_of(engine: Engine) -> str:
    """The connection string of ``engine``'s connections, read off one of them (so that the
    parameters the engine adds, such as ``search_path`` in ``options``, carry over)."""
    with engine.connect() as conn:
        info = driver(conn).info
        password = info.password
        return make_conninfo(info.dsn, password=password) if password else str(info.dsn)


async def _close_quietly(conn: _Connection) -> None:
    with contextlib.suppress(Exception):  # a failed connection closes as far as it can
        await conn.close()
