"""Planner statistics after bulk loads (``store.maintenance``), on SQLite and PostgreSQL."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from medtrace.store.maintenance import refresh_after_load
from medtrace.store.repository import Repository

CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"


def document(count: int) -> bytes:
    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2024-05-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.S{i}" for i in range(count)],
        "bizStep": "shipping",
    }
    return orjson.dumps(
        {
            "@context": [CONTEXT],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-05-01T10:00:00Z",
            "epcisBody": {"eventList": [event]},
        }
    )


def reltuples(repo: Repository) -> float:
    with repo.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('event_epc')")
        ).scalar_one()
    return float(value)


def test_analyze_runs_after_a_load_that_is_a_large_share_of_the_table(db_url: str) -> None:
    with Repository.open(db_url, create=True) as repo:
        assert repo.capture(document(40)).captured == 1
        if db_url.startswith("sqlite"):
            assert not refresh_after_load(repo.engine, inserted_rows=40, minimum=1)
            return
        assert reltuples(repo) < 0  # never analyzed: the planner has no statistics
        # below the minimum: left to autovacuum
        assert not refresh_after_load(repo.engine, inserted_rows=40)
        assert refresh_after_load(repo.engine, inserted_rows=40, minimum=1)
        assert reltuples(repo) == 40
        # a small share of what the table holds now: no new ANALYZE
        assert not refresh_after_load(repo.engine, inserted_rows=3, minimum=1)
        assert refresh_after_load(repo.engine, inserted_rows=4, minimum=1)


def test_a_large_first_capture_leaves_statistics_behind(db_url: str) -> None:
    """Capture calls refresh_after_load: a first load of the store gets planner statistics."""
    with Repository.open(db_url, create=True) as repo:
        result = repo.capture(document(60_000))
        assert result.captured == 1
        if not db_url.startswith("sqlite"):
            assert reltuples(repo) == 60_000
