"""The event loop's own PostgreSQL connections (:mod:`medtrace.store.loop_pg`), on a real server.

Every test runs in a fresh schema selected by ``?search_path=`` in the store URL: the loop's
connections see the store's tables only if they carry the engine's parameters over.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from medtrace.store import dbapi
from medtrace.store.loop_pg import LoopPostgres, LoopPostgresClosedError
from medtrace.store.repository import Repository
from medtrace.verify.audit import POSTGRES_INSERT_ARRAYS_SQL, VerificationRecord, column_arrays
from tests.verify.test_audit_writer import entry

pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _backend_pid() -> dbapi.Reads[int]:
    rows = yield "SELECT pg_backend_pid()", ()
    return int(rows[0][0])


def _sleep(seconds: float) -> dbapi.Reads[int]:
    rows = yield "SELECT pg_backend_pid() FROM pg_sleep({m})", (seconds,)
    return int(rows[0][0])


def _two_dependent_reads() -> dbapi.Reads[tuple[int, str]]:
    """A read that depends on the one before, on the store's own tables."""
    rows = yield "SELECT count(*) FROM organization", ()
    count = int(rows[0][0])
    rows = yield "SELECT current_schema() || ':' || {m}", (str(count),)
    return count, str(rows[0][0])


def _serials(repo: Repository) -> list[str]:
    with repo.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT serial FROM verification_request ORDER BY id"))
        return [str(row[0]) for row in rows]


def test_read_sequences_run_in_the_stores_schema(repo: Repository) -> None:
    with repo.engine.connect() as conn:
        expected_schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar())
    assert expected_schema.startswith("t_")

    async def main() -> tuple[int, str]:
        pg = LoopPostgres(repo.engine)
        try:
            return await pg.run(_two_dependent_reads())
        finally:
            await pg.close()

    count, answer = asyncio.run(main())
    assert count == 0
    assert answer == f"{expected_schema}:0"


def test_prepared_statements_are_planned_once(repo: Repository) -> None:
    """The connections plan a prepared statement once (``force_generic_plan``), and psycopg
    prepares the statements that run again and again."""

    def settings() -> dbapi.Reads[tuple[str, int]]:
        rows = yield "SELECT current_setting('plan_cache_mode'), {m}::int", (1,)
        return str(rows[0][0]), int(rows[0][1])

    def prepared() -> dbapi.Reads[int]:
        rows = yield "SELECT count(*) FROM pg_prepared_statements", ()
        return int(rows[0][0])

    async def main() -> tuple[tuple[str, int], int]:
        pg = LoopPostgres(repo.engine, size=1)
        try:
            for _ in range(6):
                setting = await pg.run(settings())
            return setting, await pg.run(prepared())
        finally:
            await pg.close()

    (mode, one), count = asyncio.run(main())
    assert (mode, one) == ("force_generic_plan", 1)
    assert count >= 1


def test_a_sequence_that_never_reads_takes_no_connection(repo: Repository) -> None:
    def no_read() -> dbapi.Reads[str]:
        return "checked"
        yield ("", ())  # pragma: no cover - makes this a generator

    async def main() -> tuple[str, int]:
        pg = LoopPostgres(repo.engine)
        try:
            return await pg.run(no_read()), len(pg._idle)
        finally:
            await pg.close()

    assert asyncio.run(main()) == ("checked", 0)


def test_connections_are_limited_and_reused(repo: Repository) -> None:
    async def main() -> tuple[list[int], list[int]]:
        pg = LoopPostgres(repo.engine, size=2)
        try:
            first = await asyncio.gather(*(pg.run(_sleep(0.05)) for _ in range(8)))
            again = await asyncio.gather(*(pg.run(_backend_pid()) for _ in range(4)))
            return list(first), list(again)
        finally:
            await pg.close()

    started = time.monotonic()
    first, again = asyncio.run(main())
    assert len(set(first)) == 2  # never more than two connections at a time
    assert set(again) <= set(first)  # the same two, reused
    assert time.monotonic() - started >= 0.2  # 8 sleeps of 50 ms, two at a time


def test_execute_writes_a_batch_atomically_and_in_order(repo: Repository) -> None:
    good = [entry(f"W{i}") for i in (3, 1, 4, 0, 2)]
    bad = [
        *good[:2],
        VerificationRecord(time=good[0].time, gtin=None, serial="X", verified=True),  # type: ignore[arg-type]
    ]

    async def main() -> BaseException | None:
        pg = LoopPostgres(repo.engine)
        failed: BaseException | None = None
        try:
            await pg.execute(POSTGRES_INSERT_ARRAYS_SQL, column_arrays(good))
            try:
                await pg.execute(POSTGRES_INSERT_ARRAYS_SQL, column_arrays(bad))
            except psycopg.Error as error:
                failed = error
            await pg.run(_backend_pid())  # the connections still work
            return failed
        finally:
            await pg.close()

    failed = asyncio.run(main())
    assert isinstance(failed, psycopg.errors.NotNullViolation)
    assert _serials(repo) == ["W3", "W1", "W4", "W0", "W2"]  # the failed batch left nothing


def test_a_cancelled_statement_does_not_leave_its_connection_in_the_pool(
    repo: Repository,
) -> None:
    async def main() -> tuple[int, float]:
        pg = LoopPostgres(repo.engine, size=1)
        try:
            slow = asyncio.ensure_future(pg.run(_sleep(5)))
            await asyncio.sleep(0.3)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            started = time.monotonic()
            pid = await pg.run(_backend_pid())
            return pid, time.monotonic() - started
        finally:
            await pg.close()

    pid, waited = asyncio.run(main())
    assert pid > 0
    assert waited < 4  # a fresh connection, not the one still sleeping


def test_a_connection_the_server_ended_is_replaced(repo: Repository) -> None:
    async def main() -> tuple[int, type[BaseException] | None, int]:
        pg = LoopPostgres(repo.engine, size=1)
        try:
            first = await pg.run(_backend_pid())
            with repo.engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await asyncio.sleep(0.2)
            failure: type[BaseException] | None = None
            try:
                await pg.run(_backend_pid())
            except psycopg.OperationalError as error:
                failure = type(error)
            return first, failure, await pg.run(_backend_pid())
        finally:
            await pg.close()

    first, failure, after = asyncio.run(main())
    assert failure is not None  # the request that met the dead connection fails
    assert after != first  # the next one gets a new connection


def test_closed_connections_take_no_more_work(repo: Repository) -> None:
    async def main() -> Any:
        pg = LoopPostgres(repo.engine)
        await pg.run(_backend_pid())
        await pg.close()
        return await pg.run(_backend_pid())

    with pytest.raises(LoopPostgresClosedError):
        asyncio.run(main())


def test_only_postgres_engines_and_positive_sizes(repo: Repository, tmp_path: Any) -> None:
    sqlite = sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        with pytest.raises(ValueError, match="PostgreSQL engine"):
            LoopPostgres(sqlite)
    finally:
        sqlite.dispose()
    with pytest.raises(ValueError, match="at least 1"):
        LoopPostgres(repo.engine, size=0)
