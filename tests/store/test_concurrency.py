"""Two processes capturing overlapping documents into one store lose and duplicate nothing."""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

from medtrace.store import schema
from medtrace.store.repository import Repository
from tests.store.test_capture import document, event


def _capture_all(url: str, first: int, last: int) -> tuple[int, int]:
    """Capture items ``first``..``last - 1`` in documents of 10 events; return the counts."""
    captured = duplicates = 0
    with Repository.open(url, create=False) as repo:
        for start in range(first, last, 10):
            result = repo.capture(document(*(event(str(n)) for n in range(start, start + 10))))
            assert result.ok
            captured += result.captured
            duplicates += result.duplicates
    return captured, duplicates


def test_two_processes_overlapping_documents(repo: Repository, db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    # process one captures items 0..39, process two 20..59: 20 items overlap
    with context.Pool(2) as pool:
        counts = pool.starmap(_capture_all, [(db_url, 0, 40), (db_url, 20, 60)])
    captured = sum(c for c, _d in counts)
    duplicates = sum(d for _c, d in counts)
    assert (captured, duplicates) == (60, 20)
    with repo.engine.connect() as conn:
        seqs = conn.execute(sa.select(schema.event.c.seq).order_by(schema.event.c.seq)).scalars()
        seq_list = list(seqs)
        keys = conn.execute(sa.select(sa.func.count()).select_from(schema.epc)).scalar_one()
        links = conn.execute(sa.select(sa.func.count()).select_from(schema.event_epc)).scalar_one()
    assert len(seq_list) == len(set(seq_list)) == 60
    assert (keys, links) == (60, 60)
