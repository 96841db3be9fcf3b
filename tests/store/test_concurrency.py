"""Two processes, or two threads, capturing overlapping documents into one store lose and
duplicate nothing, and their events' ``recordTime`` grows with ``seq`` (commit order)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
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


REPO_ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_overlapping_documents(
    repo: Repository, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # spawned workers import this module by name: make the repository root importable for them
    # however pytest was started, and use an executor that fails (never hangs) if a worker dies
    # (spawn hands the parent's sys.path to the children)
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    context = multiprocessing.get_context("spawn")
    # process one captures items 0..39, process two 20..59: 20 items overlap
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [
            pool.submit(_capture_all, db_url, 0, 40),
            pool.submit(_capture_all, db_url, 20, 60),
        ]
        counts = [future.result(timeout=300) for future in futures]
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
    _assert_record_times_follow_seq(repo)


def _assert_record_times_follow_seq(repo: Repository) -> None:
    """A consumer polling by recordTime misses nothing: recordTime never falls as seq grows
    (each capture reads its recordTime under the capture lock, store.capture._Writer.begin)."""
    with repo.engine.connect() as conn:
        times = conn.execute(
            sa.select(schema.event.c.record_time).order_by(schema.event.c.seq)
        ).scalars()
        record_times = list(times)
    assert record_times == sorted(record_times)


def test_two_threads_overlapping_documents(repo: Repository, db_url: str) -> None:
    # the capture worker's threads (MEDTRACE_CAPTURE_THREADS): one engine, one pool
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(_capture_all, db_url, 0, 80),
            pool.submit(_capture_all, db_url, 40, 120),
        ]
        counts = [future.result(timeout=300) for future in futures]
    assert (sum(c for c, _ in counts), sum(d for _, d in counts)) == (120, 40)
    with repo.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(schema.event)).scalar_one()
        states = conn.execute(
            sa.select(sa.func.count()).select_from(schema.item_state)
        ).scalar_one()
    assert (stored, states) == (120, 120)
    _assert_record_times_follow_seq(repo)
