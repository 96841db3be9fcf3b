"""The Repository façade: opening, delegation, jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from medtrace.epcis.query import parse_query
from medtrace.store.repository import Repository, StoreNotInitializedError
from tests.store.test_capture import document, event

DSCSA = "dscsa/gs1us-guideline-example/GS1_US_Pharma_Example_2_2_1_1.xml"


def test_unmigrated_database_is_refused(db_url: str) -> None:
    with pytest.raises(StoreNotInitializedError, match="medtrace db init"):
        Repository.open(db_url, create=False)


def test_sqlite_file_is_created_on_first_open(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with Repository.open(path) as repo:
        assert repo.event_count() == 0
    with Repository.open(f"sqlite:///{path}", create=False) as repo:
        assert repo.event_count() == 0


def test_query_delegates(repo: Repository) -> None:
    repo.capture(document(event("1"), {**event("2"), "bizStep": "shipping"}))
    page = repo.query(parse_query({"EQ_bizStep": "shipping"}))
    assert [e.epc_list for e in page.events] == [("urn:epc:id:sgtin:0614141.107346.2",)]


def test_event_lookup(repo: Repository) -> None:
    result = repo.capture(document(event("1")))
    stored = repo.event(result.event_ids[0])
    assert stored is not None and stored.event_id == result.event_ids[0]
    assert repo.event("urn:uuid:00000000-0000-4000-8000-000000000000") is None


@pytest.mark.conformance
def test_items_history_children_and_rebuild(repo: Repository, conformance_dir: Path) -> None:
    repo.capture(conformance_dir / DSCSA)
    item = repo.item("urn:epc:id:sgtin:030001.0012345.11")
    assert item is not None
    assert repo.history("urn:epc:id:sgtin:030001.0012345.11")
    assert repo.rebuild_state() > 0
    assert repo.item("https://id.gs1.org/01/00300010123455/21/11") == item


def test_jobs_are_recorded(repo: Repository) -> None:
    ok = repo.capture(document(event("1")))
    again = repo.capture(document(event("1")))
    job = repo.job(ok.job_id)
    assert job is not None
    assert (job.running, job.success, job.captured, job.duplicates) == (False, True, 1, 0)
    assert {j.id for j in repo.jobs()} == {ok.job_id, again.job_id}
    assert repo.job("nope") is None


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_reads_keep_the_connections_prepared_statements(repo: Repository) -> None:
    """A read ends with ``COMMIT`` (``engine.read_connection``): the pool's ``ROLLBACK`` made
    psycopg forget every prepared statement, so PostgreSQL planned every query afresh."""
    query = parse_query({"MATCH_anyEPC": "urn:epc:id:sgtin:0614141.107346.2017"})
    for _ in range(8):  # psycopg prepares a statement on its sixth execution
        repo.query(query)
    with repo.engine.connect() as conn:
        statements = conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars()
        assert any("event_epc" in str(statement) for statement in statements)
