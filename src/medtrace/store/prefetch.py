"""Read ahead in a second thread, so that a capture's reading overlaps its writing.

A capture alternates between pure Python work (parsing, validating and hashing events) and
waits on the database (PostgreSQL executing a ``COPY``; psycopg releases the GIL while it
waits). Run the reading in a second thread and each side's waits are the other's working time:
on two cores the server works on one batch while Python reads the next. The capture uses it on
PostgreSQL only (:func:`medtrace.store.capture._reading`): SQLite's driver holds the GIL for most
of the writing, and reading ahead made a SQLite capture slower.

:func:`prefetched` keeps the order of the items and the point at which the source failed: the
consumer gets every item the source produced before an exception, then the exception itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

__all__ = ["prefetched"]

T = TypeVar("T")

#: Seconds between two looks at the stop flag while the producer waits for room in the queue.
_POLL: Final = 0.05


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True, slots=True)
class _Chunk(Generic[T]):
    items: list[T]
    last: bool


class _Producer(Generic[T]):
    """The reading thread: chunks of items into a bounded queue, then the end or the error."""

    def __init__(self, source: Iterable[T], chunk: int, depth: int) -> None:
        self.source = source
        self.chunk = chunk
        self.handoff: queue.Queue[_Chunk[T] | _Failed] = queue.Queue(depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="medtrace-prefetch", daemon=True)

    def _put(self, item: _Chunk[T] | _Failed) -> bool:
        """Hand ``item`` over; False once the consumer has gone."""
        while not self.stop.is_set():
            try:
                self.handoff.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        items: list[T] = []
        chunk = self.chunk
        try:
            # no explicit yield of the GIL between items: a time.sleep(0) per item doubled the
            # time of a re-capture (every event a duplicate) and cost 10% more CPU
            for item in self.source:
                items.append(item)
                if len(items) >= chunk:
                    if not self._put(_Chunk(items, last=False)):
                        return
                    items = []
            self._put(_Chunk(items, last=True))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            if self._put(_Chunk(items, last=False)):
                self._put(_Failed(exc))
        finally:
            close = getattr(self.source, "close", None)
            if close is not None:
                close()

    def items(self) -> Iterator[T]:
        while True:
            got = self.handoff.get()
            if isinstance(got, _Failed):
                raise got.error
            yield from got.items
            if got.last:
                return

    def finish(self) -> None:
        """Stop the thread (if it still reads) and wait for it."""
        self.stop.set()
        self.thread.join()


@contextmanager
def prefetched(source: Iterable[T], *, chunk: int = 64, depth: int = 32) -> Iterator[Iterator[T]]:
    """The items of ``source``, produced by a second thread up to ``chunk * depth`` ahead.

    The source runs (and is closed, if it is a generator) in that thread only. Leaving the
    block stops the thread and waits for it, so the source is done with when this returns.
    Exceptions of the source reach the consumer after the items produced before them.
    """
    producer = _Producer(source, chunk, depth)
    producer.thread.start()
    try:
        yield producer.items()
    finally:
        producer.finish()
