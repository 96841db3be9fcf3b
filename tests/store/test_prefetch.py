"""Reading ahead in a second thread (store.prefetch): order, errors, early exit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from medtrace.store.prefetch import prefetched


class BoomError(Exception):
    pass


def counting(n: int, fail_at: int | None = None, log: list[str] | None = None) -> Iterator[int]:
    """0..n-1 (raising BoomError instead of ``fail_at``), noting its thread and its closing."""
    try:
        for i in range(n):
            if log is not None:
                log.append(threading.current_thread().name)
            if i == fail_at:
                raise BoomError(i)
            yield i
    finally:
        if log is not None:
            log.append("closed")


@pytest.mark.parametrize(("n", "chunk", "depth"), [(0, 4, 2), (1, 4, 2), (100, 7, 2), (100, 1, 1)])
def test_every_item_in_order(n: int, chunk: int, depth: int) -> None:
    with prefetched(counting(n), chunk=chunk, depth=depth) as items:
        assert list(items) == list(range(n))


def test_the_source_runs_and_closes_in_the_reading_thread() -> None:
    log: list[str] = []
    with prefetched(counting(3, log=log)) as items:
        assert list(items) == [0, 1, 2]
    assert log[-1] == "closed"
    assert set(log[:-1]) == {"medtrace-prefetch"}


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_an_error_comes_after_the_items_before_it(chunk: int) -> None:
    got: list[int] = []
    with (
        pytest.raises(BoomError) as raised,
        prefetched(counting(10, fail_at=7), chunk=chunk) as items,
    ):
        for item in items:
            got.append(item)  # noqa: PERF402 - the items before the error count
    assert got == list(range(7))
    assert raised.value.args == (7,)


def test_leaving_early_stops_the_thread_and_closes_the_source() -> None:
    log: list[str] = []
    # the queue holds 2 chunks of 2: the reader is blocked on a full queue when the consumer goes
    with prefetched(counting(10_000, log=log), chunk=2, depth=2) as items:
        assert next(items) == 0
    assert log[-1] == "closed"
    assert len(log) < 20  # it stopped far before the end
    assert not any(t.name == "medtrace-prefetch" for t in threading.enumerate())


def test_a_consumer_error_stops_the_thread() -> None:
    log: list[str] = []
    with pytest.raises(BoomError), prefetched(counting(10_000, log=log), chunk=2, depth=2) as items:
        for item in items:
            if item == 3:
                raise BoomError(item)
    assert log[-1] == "closed"
    assert not any(t.name == "medtrace-prefetch" for t in threading.enumerate())
