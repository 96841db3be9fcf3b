"""Group commit of the verification audit log, and the responder cache (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from medtrace.gs1.gtin import Gtin
from medtrace.store import schema
from medtrace.store.held import HeldConnection
from medtrace.store.loop_pg import LoopPostgres
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_organization
from medtrace.verify import audit, audit_writer
from medtrace.verify.audit import VerificationRecord
from medtrace.verify.audit_spool import AuditSpool
from medtrace.verify.audit_writer import (
    LOOP_LOCK_WAIT_MS,
    AuditWriter,
    AuditWriterStoppedError,
    LoopAuditWriter,
    PostgresLoopAuditWriter,
    default_spool_dir,
)
from medtrace.verify.responder import ResponderCache

GTIN = "00614141123452"
T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    with Repository.open(db_url, create=True) as repository:
        yield repository


def entry(serial: str, **fields: object) -> VerificationRecord:
    values: dict[str, object] = {"time": T, "gtin": GTIN, "serial": serial, "verified": True}
    values.update(fields)
    return VerificationRecord(**values)  # type: ignore[arg-type]


def stored_serials(repo: Repository) -> list[str]:
    with repo.engine.connect() as conn:
        return [record.serial for record in audit.list_records(conn, limit=10_000)]


def test_every_submitted_entry_is_committed_before_its_future_completes(repo: Repository) -> None:
    writer = AuditWriter(repo.engine, max_batch=7)
    serials = [f"S{i:04d}" for i in range(200)]
    seen_committed: list[bool] = []

    def submit(chunk: list[str]) -> None:
        for serial in chunk:
            writer.write(entry(serial, additional_info=("Recalled",)))
            # the write returned: the row is visible to another connection
            with repo.engine.connect() as conn:
                found = audit.list_records(conn, serial=serial)
            seen_committed.append(len(found) == 1)

    threads = [threading.Thread(target=submit, args=(serials[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.stop()
    assert all(seen_committed) and len(seen_committed) == len(serials)
    assert sorted(stored_serials(repo)) == serials
    with repo.engine.connect() as conn:
        (one,) = audit.list_records(conn, serial="S0001")
    assert one.additional_info == ("Recalled",) and one.verified and one.time == T


def test_a_failed_write_fails_every_request_of_its_batch(repo: Repository) -> None:
    writer = AuditWriter(repo.engine)
    bad = entry("X", gtin=None)  # gtin is NOT NULL in the table
    with pytest.raises(sa.exc.IntegrityError):
        writer.write(bad)
    writer.write(entry("OK"))  # the writer carries on after a failed batch
    writer.stop()
    assert stored_serials(repo) == ["OK"]


def test_stop_flushes_and_refuses_later_entries(repo: Repository) -> None:
    writer = AuditWriter(repo.engine)
    futures = [writer.submit(entry(f"F{i}")) for i in range(50)]
    writer.stop()
    assert all(future.done() and future.exception() is None for future in futures)
    assert len(stored_serials(repo)) == 50
    with pytest.raises(AuditWriterStoppedError):
        writer.write(entry("late"))
    assert len(stored_serials(repo)) == 50


def test_responder_cache_reuses_answers_until_they_expire(repo: Repository) -> None:
    gtin = Gtin.parse(GTIN)
    cache = ResponderCache(ttl=0.3)
    with repo.engine.connect() as conn:
        assert cache.get(conn, gtin) is None
    maker = create_organization(
        repo.engine, name="Maker", role=Role.OPERATOR, company_prefixes=["0614141"]
    )
    with repo.engine.connect() as conn:
        assert cache.get(conn, gtin) is None  # the cached "nobody" is still fresh
        time.sleep(0.35)
        found = cache.get(conn, gtin)
    assert found is not None and found.org_id == maker.org_id
    with repo.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(schema.organization_identifier)
        ).scalar_one()
    assert count == 1


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def sqlite_repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.open(tmp_path / "audit.sqlite", create=True) as repository:
        yield repository


def test_sqlite_answers_do_not_wait_behind_a_writer(sqlite_repo: Repository) -> None:
    """A capture holds the write lock: the entry is spooled, then moved once the lock is free."""
    writer = AuditWriter(sqlite_repo.engine)
    writer.write(entry("first"))  # the table, directly
    holder = sqlite3.connect(str(sqlite_repo.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long capture does
    try:
        started = time.monotonic()
        writer.write(entry("during"), timeout=5)
        writer.write(entry("after"), timeout=5)
        waited = time.monotonic() - started
        spooled = list((Path(f"{sqlite_repo.engine.url.database}.audit-spool")).glob("*.jsonl"))
        assert spooled and any(path.stat().st_size > 0 for path in spooled)
        assert stored_serials(sqlite_repo) == ["first"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert waited < 5  # behaviour, not speed: the writes were not stuck behind the lock
    assert wait_for(lambda: stored_serials(sqlite_repo) == ["first", "during", "after"])
    writer.write(entry("later"))
    writer.stop()
    assert stored_serials(sqlite_repo) == ["first", "during", "after", "later"]
    assert not list(Path(f"{sqlite_repo.engine.url.database}.audit-spool").glob("*.jsonl"))


def test_while_the_lock_stays_taken_batches_go_straight_to_the_spool(
    sqlite_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a batch found the lock taken, the next ones do not wait for it again (each wait
    would delay their answers) until the retry interval has passed."""
    monkeypatch.setattr(audit_writer, "RETRY_SECONDS", 30.0)
    attempts: list[str] = []
    real_drain = AuditSpool.drain

    def counted(spool: AuditSpool, engine: sa.Engine) -> bool:
        attempts.append("drain")
        return real_drain(spool, engine)

    monkeypatch.setattr(AuditSpool, "drain", counted)
    writer = AuditWriter(sqlite_repo.engine)
    writer.write(entry("first"))
    holder = sqlite3.connect(str(sqlite_repo.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        attempts.clear()
        for serial in ("s1", "s2", "s3", "s4"):
            writer.write(entry(serial), timeout=5)
        assert attempts == []  # s1 tried the table and spooled; s2..s4 did not wait again
        assert stored_serials(sqlite_repo) == ["first"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    writer.stop()  # moves what is spooled now that the lock is free
    assert stored_serials(sqlite_repo) == ["first", "s1", "s2", "s3", "s4"]


def test_a_spool_left_by_a_stopped_process_is_moved_once(sqlite_repo: Repository) -> None:
    directory = default_spool_dir(sqlite_repo.engine)
    assert directory is not None
    left = AuditSpool(directory)
    left.append([entry("orphan-1"), entry("orphan-2", corr_uuid="c-2")])
    left.close()  # not drained: the file stays, unlocked
    with next(directory.glob("*.jsonl")).open("ab") as cut:
        cut.write(b'{"time":"2026-01-02T03:04:05Z","gtin":"0061')  # a line cut by a crash
    with sqlite_repo.engine.begin() as conn:  # as if one row had been moved before a crash
        audit.record(conn, entry("orphan-2", corr_uuid="c-2"))
    writer = AuditWriter(sqlite_repo.engine)
    writer.write(entry("new"))
    writer.stop()
    assert sorted(stored_serials(sqlite_repo)) == ["new", "orphan-1", "orphan-2"]
    assert not list(directory.glob("*.jsonl"))


def test_postgres_and_memory_stores_have_no_spool(db_url: str) -> None:
    with Repository.open(db_url, create=True) as repository:
        found = default_spool_dir(repository.engine)
    if db_url.startswith("sqlite"):
        assert found is not None and found.name.endswith(".audit-spool")
    else:
        assert found is None


# --------------------------------------------------------------------------- on the event loop


def held(repo: Repository) -> HeldConnection:
    """The loop's own connection, as the service makes it."""
    return HeldConnection(repo.engine, busy_timeout_ms=LOOP_LOCK_WAIT_MS)


def test_loop_writer_commits_a_turn_of_the_loop_in_one_batch(sqlite_repo: Repository) -> None:
    fallback = AuditWriter(sqlite_repo.engine)
    fallback.write(entry("first"))  # the thread writer has started and found no orphans
    assert fallback.quiet()
    loop_writer = LoopAuditWriter(held(sqlite_repo), fallback)
    serials = [f"L{i:03d}" for i in range(40)]

    async def main() -> list[bool]:
        seen = []

        async def one(serial: str) -> None:
            await loop_writer.write(entry(serial))
            with sqlite_repo.engine.connect() as conn:  # committed before write() returned
                seen.append(len(audit.list_records(conn, serial=serial)) == 1)

        await asyncio.gather(*(one(serial) for serial in serials))
        return seen

    assert all(asyncio.run(main()))
    assert stored_serials(sqlite_repo) == ["first", *serials]
    assert fallback.quiet()  # nothing went through the thread writer
    fallback.stop()


def test_loop_writer_checkpoints_in_a_worker_thread_after_commits(
    sqlite_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_writer, "CHECKPOINT_SECONDS", 0.0)
    fallback = AuditWriter(sqlite_repo.engine)
    fallback.write(entry("first"))
    connection = HeldConnection(
        sqlite_repo.engine, busy_timeout_ms=LOOP_LOCK_WAIT_MS, autocheckpoint=False
    )
    threads: list[int] = []
    monkeypatch.setattr(connection, "checkpoint", lambda: threads.append(threading.get_ident()))
    loop_writer = LoopAuditWriter(connection, fallback)

    async def main() -> int:
        for serial in ("c1", "c2", "c3"):
            await loop_writer.write(entry(serial))
            await asyncio.sleep(0.05)  # the checkpoint of the previous commit has finished
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    fallback.stop()
    assert len(threads) == 3  # one per commit (due at once here), never two at a time
    assert loop_thread not in threads  # never on the event loop's thread
    assert stored_serials(sqlite_repo) == ["first", "c1", "c2", "c3"]


def test_loop_writer_hands_over_to_the_thread_writer_while_the_lock_is_held(
    sqlite_repo: Repository,
) -> None:
    fallback = AuditWriter(sqlite_repo.engine)
    fallback.write(entry("first"))
    loop_writer = LoopAuditWriter(held(sqlite_repo), fallback)
    holder = sqlite3.connect(str(sqlite_repo.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a capture holds the write lock
    try:

        async def main() -> None:
            await asyncio.wait_for(
                asyncio.gather(
                    loop_writer.write(entry("during-1")), loop_writer.write(entry("during-2"))
                ),
                timeout=5,
            )

        asyncio.run(main())  # answered: spooled by the thread writer, not stuck on the lock
        assert stored_serials(sqlite_repo) == ["first"]
        assert not fallback.quiet()  # spooled rows wait: later entries must not overtake them
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert wait_for(lambda: stored_serials(sqlite_repo) == ["first", "during-1", "during-2"])
    assert wait_for(fallback.quiet)

    async def later() -> None:
        await loop_writer.write(entry("later"))

    asyncio.run(later())
    fallback.stop()
    assert stored_serials(sqlite_repo) == ["first", "during-1", "during-2", "later"]


def test_loop_writer_waits_for_orphaned_spools_to_be_moved_first(sqlite_repo: Repository) -> None:
    directory = default_spool_dir(sqlite_repo.engine)
    assert directory is not None
    left = AuditSpool(directory)
    left.append([entry("orphan")])
    left.close()
    fallback = AuditWriter(sqlite_repo.engine)
    assert not fallback.quiet()  # its thread has not looked for orphans yet
    loop_writer = LoopAuditWriter(held(sqlite_repo), fallback)

    async def main() -> None:
        await loop_writer.write(entry("new"))

    asyncio.run(main())
    fallback.stop()
    assert stored_serials(sqlite_repo) == ["orphan", "new"]


def test_loop_writer_fails_every_request_of_a_failed_batch(sqlite_repo: Repository) -> None:
    fallback = AuditWriter(sqlite_repo.engine)
    fallback.write(entry("first"))
    loop_writer = LoopAuditWriter(held(sqlite_repo), fallback)

    async def main() -> list[BaseException | None]:
        results = await asyncio.gather(
            loop_writer.write(entry("ok")),
            loop_writer.write(entry(None)),  # type: ignore[arg-type] - NOT NULL violated
            return_exceptions=True,
        )
        return list(results)

    results = asyncio.run(main())
    assert all(isinstance(result, sa.exc.IntegrityError) for result in results)
    fallback.stop()
    assert stored_serials(sqlite_repo) == ["first"]  # the batch was one transaction


_POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@_POSTGRES_ONLY
def test_postgres_loop_writer_commits_concurrent_entries_in_batches(repo: Repository) -> None:
    fallback = AuditWriter(repo.engine)
    serials = [f"P{i:03d}" for i in range(60)]
    batches: list[int] = []

    async def main() -> list[bool]:
        pg = LoopPostgres(repo.engine)
        execute = pg.execute

        async def counted(sql: str, arrays: Any) -> None:
            batches.append(len(arrays[0]))
            await execute(sql, arrays)

        pg.execute = counted  # type: ignore[method-assign]
        loop_writer = PostgresLoopAuditWriter(pg, fallback)
        seen = []

        async def one(serial: str) -> None:
            await loop_writer.write(entry(serial))
            with repo.engine.connect() as conn:  # committed before write() returned
                seen.append(len(audit.list_records(conn, serial=serial)) == 1)

        try:
            await asyncio.gather(*(one(serial) for serial in serials))
        finally:
            await pg.close()
        return seen

    assert all(asyncio.run(main()))
    assert stored_serials(repo) == serials  # in order
    assert sum(batches) == len(serials) and len(batches) < len(serials)  # group commit
    assert fallback.quiet()
    fallback.stop()


@_POSTGRES_ONLY
def test_postgres_loop_writer_hands_a_failed_batch_to_the_thread_writer(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    fallback = AuditWriter(repo.engine)

    async def main() -> None:
        pg = LoopPostgres(repo.engine)
        await pg.close()  # every write on the loop now fails
        loop_writer = PostgresLoopAuditWriter(pg, fallback)
        await asyncio.gather(*(loop_writer.write(entry(f"F{i}")) for i in range(5)))

    asyncio.run(main())
    assert sorted(stored_serials(repo)) == [f"F{i}" for i in range(5)]
    assert "handed to the thread writer" in caplog.text
    fallback.stop()


def test_record_missing_appends_only_entries_not_stored_yet(repo: Repository) -> None:
    """The identity is (time, GTIN, serial, corrUUID), ``None`` included; more distinct times
    than one statement's chunk (one read per chunk, not one per entry)."""
    later = T.replace(second=6)
    stored = [
        entry("s-1", corr_uuid="c-1"),
        entry("s-2"),  # no corrUUID
        *[entry(f"bulk-{i}", time=T.replace(microsecond=i)) for i in range(0, 2_000, 2)],
    ]
    with repo.engine.begin() as conn:
        audit.record_many(conn, stored)
    offered = [
        *stored,  # all already there (a spool moved twice)
        entry("s-1", corr_uuid="c-other"),  # another request for the same pack
        entry("s-1"),  # no corrUUID: not the stored one's
        entry("s-2", corr_uuid="c-2"),
        entry("s-2", time=later),
        entry("s-3", corr_uuid="c-1"),
        *[entry(f"bulk-{i}", time=T.replace(microsecond=i)) for i in range(1, 2_000, 2)],
    ]
    with repo.engine.begin() as conn:
        appended = audit.record_missing(conn, offered)
    assert appended == 5 + 1_000
    with repo.engine.connect() as conn:
        rows = audit.list_records(conn, limit=10_000)
    identities = [(r.time, r.serial, r.corr_uuid) for r in rows]
    assert len(identities) == len(set(identities)) == len(stored) + appended
    assert (later, "s-2", None) in identities
    assert (T, "s-1", "c-other") in identities and (T, "s-1", None) in identities
