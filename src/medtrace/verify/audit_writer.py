"""Group commit of the verification audit log (:mod:`medtrace.verify.audit`) for the service.

A DSCSA responder must record every answer it gives (§582(b)(4)(E)) and answer thousands of
requests a second. One transaction per request makes the commit (and on SQLite the single write
lock) the bottleneck. :meth:`AuditWriter.submit` queues an entry and returns a future that
completes when the entry is **safe**; the caller sends its answer only then, so no answer is
ever given without its record. A background thread takes everything queued (up to
``max_batch``), writes it in one transaction and completes the futures; while it commits, the
next batch gathers. A failed write fails every future of its batch (those requests answer with
an error instead).

On SQLite, where a capture holds the only write lock for its whole document, the writer waits
at most :data:`medtrace.verify.audit_spool.LOCK_WAIT_MS` for the lock and otherwise appends the
batch to its spool file (:mod:`medtrace.verify.audit_spool`), moved into the table as soon as
the lock is free. PostgreSQL has no such lock between captures and audit rows: there the writer
always writes the table.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Final, TypeAlias

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from medtrace.errors import MedtraceError
from medtrace.store.engine import is_sqlite, write_transaction
from medtrace.store.held import HeldConnection
from medtrace.store.loop_pg import LoopPostgres
from medtrace.verify.audit import (
    POSTGRES_INSERT_ARRAYS_SQL,
    VerificationRecord,
    column_arrays,
    record_many,
)
from medtrace.verify.audit_spool import LOCK_WAIT_MS, AuditSpool, is_locked

__all__ = [
    "AuditWriter",
    "AuditWriterStoppedError",
    "LoopAuditWriter",
    "PostgresLoopAuditWriter",
    "default_spool_dir",
]

#: Milliseconds the event loop's writer waits for SQLite's write lock (another worker process
#: commits its batch in well under that) before handing its batch to the thread writer.
LOOP_LOCK_WAIT_MS: Final = 2
#: Seconds between attempts to move spooled rows while no new request arrives.
RETRY_SECONDS: Final = 0.1
#: Seconds between the write-ahead log checkpoints of a :class:`LoopAuditWriter`.
CHECKPOINT_SECONDS: Final = 5.0
_STOP: Final = object()
_LOG: Final = logging.getLogger(__name__)
_LoopWaiter: TypeAlias = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]
_Waiter: TypeAlias = Future[None] | _LoopWaiter
_Batch = list[tuple[VerificationRecord, _Waiter]]


class AuditWriterStoppedError(MedtraceError):
    """The audit writer was stopped: a verification cannot be recorded, so it is not answered."""


def default_spool_dir(engine: Engine) -> Path | None:
    """``<database file>.audit-spool`` for a SQLite file store; ``None`` otherwise."""
    database = engine.url.database
    if not is_sqlite(engine) or not database or database == ":memory:":
        return None
    path = Path(database).expanduser().resolve()
    return path.with_name(path.name + ".audit-spool")


class AuditWriter:
    """Group commit of audit entries (see the module docstring).

    ``spool_dir`` (SQLite only; default :func:`default_spool_dir`) holds the spool files; with
    none, the writer waits for the lock like any other writer.
    """

    def __init__(
        self, engine: Engine, *, max_batch: int = 1000, spool_dir: Path | None = None
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._spool_dir = spool_dir if spool_dir is not None else default_spool_dir(engine)
        self._spool: AuditSpool | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._outstanding = 0
        #: When moving spooled rows last found the lock taken (``time.monotonic()``), if the
        #: last attempt failed: until :data:`RETRY_SECONDS` later, batches go straight to the
        #: spool instead of waiting for the lock again (a capture holds it for a while).
        self._locked_at: float | None = None

    def submit(self, entry: VerificationRecord) -> Future[None]:
        """Queue ``entry``; the future completes once it is safe (or failed to be)."""
        future: Future[None] = Future()
        if not self._queue_entry(entry, future):
            future.set_exception(AuditWriterStoppedError("the audit writer is stopped"))
        return future

    def submit_async(self, entry: VerificationRecord) -> asyncio.Future[None]:
        """:meth:`submit` for a coroutine of the running event loop: await the result.

        The writer settles every awaiting request of a batch with one wake-up of the loop
        (:meth:`asyncio.AbstractEventLoop.call_soon_threadsafe` once per batch, not once per
        request): at thousands of requests a second the per-request wake-ups and thread
        switches cost more than the commit.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if not self._queue_entry(entry, (loop, future)):
            future.set_exception(AuditWriterStoppedError("the audit writer is stopped"))
        return future

    def _queue_entry(self, entry: VerificationRecord, waiter: _Waiter) -> bool:
        with self._lock:
            if self._stopped:
                return False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="medtrace-audit-writer", daemon=True
                )
                self._thread.start()
            self._queue.put((entry, waiter))
            self._outstanding += 1
        return True

    def quiet(self) -> bool:
        """Whether another writer may append now without overtaking this one: nothing queued
        or being written, no spooled rows waiting (and any orphaned spool already drained,
        which the writer thread does when it starts: before that, never quiet with a spool)."""
        with self._lock:
            if self._outstanding or self._stopped:
                return False
        if self._spool_dir is None:
            return True
        spool = self._spool
        return spool is not None and not spool.pending

    def write(self, entry: VerificationRecord, timeout: float | None = 30.0) -> None:
        """Record ``entry`` and wait until it is safe (raises what the write raised)."""
        self.submit(entry).result(timeout=timeout)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, move what is spooled if the lock allows, then stop."""
        with self._lock:
            self._stopped = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)

    # ---------------------------------------------------------------- the writer thread

    def _run(self) -> None:
        if self._spool_dir is not None:
            self._spool = AuditSpool(self._spool_dir)
        try:
            stopping = False
            while not stopping:
                batch: _Batch = []
                try:
                    item = self._queue.get(timeout=RETRY_SECONDS if self._pending() else None)
                except queue.Empty:
                    self._drain()
                    continue
                while True:
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, tuple):
                        batch.append(item)
                    if len(batch) >= self._max_batch:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    self._write(batch)
            self._drain()
        finally:
            if self._spool is not None:
                self._spool.close()

    def _pending(self) -> bool:
        return self._spool is not None and self._spool.pending

    def _drain(self) -> bool:
        if self._spool is None or not self._spool.pending:
            return True
        try:
            drained = self._spool.drain(self._engine)
        except Exception:  # noqa: BLE001 - kept in the spool; retried on the next round
            drained = False
        self._locked_at = None if drained else time.monotonic()
        return drained

    def _lock_recently_taken(self) -> bool:
        locked_at = self._locked_at
        return locked_at is not None and time.monotonic() - locked_at < RETRY_SECONDS

    def _write(self, batch: _Batch) -> None:
        entries = [entry for entry, _ in batch]
        try:
            if self._spool is None:
                with write_transaction(self._engine) as conn:
                    record_many(conn, entries)
            elif (self._spool.pending and self._lock_recently_taken()) or not self._drain():
                self._spool.append(entries)  # older rows wait: keep the order
            else:
                try:
                    with write_transaction(self._engine, busy_timeout_ms=LOCK_WAIT_MS) as conn:
                        record_many(conn, entries)
                except OperationalError as error:
                    if not is_locked(error):
                        raise
                    self._locked_at = time.monotonic()
                    self._spool.append(entries)
        except Exception as error:  # noqa: BLE001 - handed to every waiting request
            self._done(batch, error)
            return
        self._done(batch, None)

    def _done(self, batch: _Batch, error: BaseException | None) -> None:
        with self._lock:
            self._outstanding -= len(batch)
        _settle(batch, error)


def _settle(batch: _Batch, error: BaseException | None) -> None:
    """Complete the waiters of ``batch``: thread futures at once, loop futures per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for _, waiter in batch:
        if isinstance(waiter, Future):
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
        else:
            by_loop.setdefault(waiter[0], []).append(waiter[1])
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, futures, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            continue


def _resolve(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    """In the loop's thread: settle each future still waited on (a cancelled one is not)."""
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class LoopAuditWriter:
    """Group commit on the event loop's own thread, for a service on a SQLite file.

    The verification service answers from the event loop's thread on SQLite
    (:mod:`medtrace.api.vrs_fast`). Committing its audit entries in a second thread made the
    two threads take the interpreter lock from each other on every database call (each call
    releases it), and the waits cost more than the work. Here every entry submitted during one
    turn of the loop is written in one transaction at the end of that turn, on the loop's
    thread, with ``held`` (a connection of the loop's own).

    It waits for SQLite's write lock at most the held connection's busy timeout
    (:data:`LOOP_LOCK_WAIT_MS` in the service: another worker process committing its own
    batch); when a capture holds it, or when ``fallback`` (the thread writer) still has entries
    queued, in flight or spooled, the batch goes to ``fallback`` instead, which waits longer
    for the lock or spools (and keeps the order).

    The service's held connection does not checkpoint the write-ahead log itself (a checkpoint
    can take hundreds of milliseconds, all requests of the process would wait): after a
    commit, at most every :data:`CHECKPOINT_SECONDS`, a passive checkpoint runs in a worker
    thread instead (:meth:`medtrace.store.held.HeldConnection.checkpoint`).
    """

    def __init__(self, held: HeldConnection, fallback: AuditWriter) -> None:
        self._held = held
        self._fallback = fallback
        self._batch: list[tuple[VerificationRecord, asyncio.Future[None]]] = []
        self._checkpoint_due = time.monotonic() + CHECKPOINT_SECONDS
        self._checkpointing = False

    async def write(self, entry: VerificationRecord) -> None:
        """Record ``entry``; returns once it is committed (raises what the write raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if not self._batch:
            loop.call_soon(self._flush)
        self._batch.append((entry, future))
        await future

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if self._fallback.quiet():
            try:
                with self._held.write() as conn:
                    record_many(conn, [entry for entry, _ in batch])
            except OperationalError as error:
                if not is_locked(error):
                    _resolve([future for _, future in batch], error)
                    return
            except Exception as error:  # noqa: BLE001 - handed to every waiting request
                _resolve([future for _, future in batch], error)
                return
            else:
                _resolve([future for _, future in batch], None)
                self._after_commit()
                return
        for entry, future in batch:  # the lock is taken, or older entries wait
            self._fallback.submit_async(entry).add_done_callback(partial(_copy, future))

    def _after_commit(self) -> None:
        """Start a checkpoint in a worker thread when one is due and none is running."""
        now = time.monotonic()
        if self._checkpointing or now < self._checkpoint_due:
            return
        self._checkpointing = True
        self._checkpoint_due = now + CHECKPOINT_SECONDS
        running = asyncio.get_running_loop().run_in_executor(None, self._held.checkpoint)
        running.add_done_callback(self._checkpointed)

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = False
        if not done.cancelled():
            done.exception()  # seen: a failed checkpoint is retried when the next one is due


class PostgresLoopAuditWriter:
    """Group commit on the event loop, for a service on PostgreSQL (see :class:`LoopAuditWriter`
    for why not a thread).

    Entries submitted while no write is in flight start one at the end of the loop's turn;
    those submitted while a write is in flight wait for it and go together in the next, one
    statement each (:data:`medtrace.verify.audit.POSTGRES_INSERT_ARRAYS_SQL` on
    :meth:`medtrace.store.loop_pg.LoopPostgres.execute`), as the thread writer batches. A
    batch that fails (the server is unreachable, …), and every batch while ``fallback`` (the
    thread writer) still has entries of its own, goes to ``fallback`` instead, which retries
    and keeps the order; a request is answered only once its entry is committed either way.
    """

    def __init__(self, pg: LoopPostgres, fallback: AuditWriter) -> None:
        self._pg = pg
        self._fallback = fallback
        self._batch: list[tuple[VerificationRecord, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, entry: VerificationRecord) -> None:
        """Record ``entry``; returns once it is committed (raises what the write raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._batch.append((entry, future))
        if self._writing is None:
            self._writing = loop.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        try:
            while self._batch:
                batch, self._batch = self._batch, []
                if self._fallback.quiet():
                    try:
                        arrays = column_arrays([entry for entry, _ in batch])
                        await self._pg.execute(POSTGRES_INSERT_ARRAYS_SQL, arrays)
                    except Exception as error:  # noqa: BLE001 - the thread writer takes over
                        _LOG.warning(
                            "audit batch of %d entries not written on the event loop (%s); "
                            "handed to the thread writer",
                            len(batch),
                            error,
                        )
                    else:
                        _resolve([future for _, future in batch], None)
                        continue
                for entry, future in batch:
                    self._fallback.submit_async(entry).add_done_callback(partial(_copy, future))
        finally:
            self._writing = None


def _copy(future: asyncio.Future[None], done: asyncio.Future[None]) -> None:
    """Settle ``future`` as ``done`` was settled (unless nobody waits for it any more)."""
    if future.done():
        return
    if done.cancelled():
        future.cancel()
        return
    error = done.exception()
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
