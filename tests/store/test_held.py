"""HeldConnection: one SQLite connection kept by a thread, driver-level transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from medtrace.store import dbapi
from medtrace.store.engine import WAL_AUTOCHECKPOINT_PAGES, create_store_engine
from medtrace.store.held import HeldConnection


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_store_engine(tmp_path / "held.sqlite", pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v INTEGER)")
    yield engine
    engine.dispose()


def values(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(v) for (v,) in conn.exec_driver_sql("SELECT v FROM t ORDER BY v")]


def test_writes_commit_and_the_connection_is_kept(engine: sa.Engine) -> None:
    held = HeldConnection(engine, busy_timeout_ms=50)
    with held.write() as conn:
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (1,))
    first = held._connection()[1]
    with held.write() as conn:
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (2,))
    assert held._connection()[1] is first  # no checkout per transaction
    held.close()
    assert values(engine) == [1, 2]


def test_an_error_inside_rolls_back(engine: sa.Engine) -> None:
    held = HeldConnection(engine, busy_timeout_ms=50)
    with pytest.raises(RuntimeError), held.write() as conn:
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (1,))
        raise RuntimeError("boom")
    with held.write() as conn:  # usable again: the failed transaction is gone
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (3,))
    held.close()
    assert values(engine) == [3]


def test_a_read_sees_one_snapshot(engine: sa.Engine, tmp_path: Path) -> None:
    held = HeldConnection(engine, busy_timeout_ms=50)
    other = sqlite3.connect(tmp_path / "held.sqlite", isolation_level=None)
    try:
        with held.read() as conn:
            before = dbapi.execute(conn, "SELECT count(*) FROM t")
            other.execute("INSERT INTO t (v) VALUES (7)")  # commits meanwhile (WAL)
            during = dbapi.execute(conn, "SELECT count(*) FROM t")
        with held.read() as conn:
            after = dbapi.execute(conn, "SELECT count(*) FROM t")
    finally:
        other.close()
        held.close()
    assert (before, during, after) == ([(0,)], [(0,)], [(1,)])


def test_a_held_lock_fails_fast_as_sqlalchemy_operational_error(
    engine: sa.Engine, tmp_path: Path
) -> None:
    held = HeldConnection(engine, busy_timeout_ms=20)
    holder = sqlite3.connect(tmp_path / "held.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"), held.write():
            pass
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert waited < 5  # its own busy timeout, not the store's minute
    with held.write() as conn:  # and it works once the lock is free
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (5,))
    held.close()
    assert values(engine) == [5]


def test_sqlalchemy_statements_inside_fail_instead_of_mixing_transactions(
    engine: sa.Engine,
) -> None:
    held = HeldConnection(engine, busy_timeout_ms=50)
    with pytest.raises(OperationalError, match="within a transaction"), held.write() as conn:
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (1,))
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (2)")  # SQLAlchemy would BEGIN again
    with held.write() as conn:  # still usable
        dbapi.execute(conn, "INSERT INTO t (v) VALUES ({m})", (3,))
    held.close()
    assert values(engine) == [3]


def test_only_sqlite() -> None:
    engine = sa.create_engine("postgresql+psycopg://u@127.0.0.1/none")
    with pytest.raises(ValueError, match="SQLite"):
        HeldConnection(engine, busy_timeout_ms=1)


def test_without_autocheckpoint_the_log_is_copied_only_by_checkpoint(
    engine: sa.Engine, tmp_path: Path
) -> None:
    database = tmp_path / "held.sqlite"
    plain = HeldConnection(engine, busy_timeout_ms=50)
    quiet = HeldConnection(engine, busy_timeout_ms=50, autocheckpoint=False)
    with plain.read() as conn:
        assert dbapi.execute(conn, "PRAGMA wal_autocheckpoint") == [(WAL_AUTOCHECKPOINT_PAGES,)]
    plain.close()  # the pool has one connection: the quiet one gets it now
    with quiet.read() as conn:
        assert dbapi.execute(conn, "PRAGMA wal_autocheckpoint") == [(0,)]
    before = database.stat().st_size
    with quiet.write() as conn:
        dbapi.execute_many(conn, "INSERT INTO t (v) VALUES ({m})", [(i,) for i in range(5000)])
    assert database.stat().st_size == before  # the rows are in the write-ahead log only
    quiet.close()  # checkpoint() needs the pool's connection
    quiet.checkpoint()
    assert database.stat().st_size > before  # copied into the database file
    assert values(engine) == list(range(5000))
