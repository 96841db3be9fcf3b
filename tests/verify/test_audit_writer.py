"""Group commit of the verification audit log, and the responder cache (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from medtrace.gs1.gtin import Gtin
from medtrace.store import schema
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_organization
from medtrace.verify import audit
from medtrace.verify.audit import AuditWriter, AuditWriterStoppedError, VerificationRecord
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
