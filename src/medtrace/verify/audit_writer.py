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

import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Final

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from medtrace.errors import MedtraceError
from medtrace.store.engine import is_sqlite, write_transaction
from medtrace.verify.audit import VerificationRecord, record_many
from medtrace.verify.audit_spool import LOCK_WAIT_MS, AuditSpool, is_locked

__all__ = ["AuditWriter", "AuditWriterStoppedError", "default_spool_dir"]

#: Seconds between attempts to move spooled rows while no new request arrives.
RETRY_SECONDS: Final = 0.1
_STOP: Final = object()
_Batch = list[tuple[VerificationRecord, Future[None]]]


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

    def submit(self, entry: VerificationRecord) -> Future[None]:
        """Queue ``entry``; the future completes once it is safe (or failed to be)."""
        future: Future[None] = Future()
        with self._lock:
            if self._stopped:
                future.set_exception(AuditWriterStoppedError("the audit writer is stopped"))
                return future
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="medtrace-audit-writer", daemon=True
                )
                self._thread.start()
            self._queue.put((entry, future))
        return future

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
            return self._spool.drain(self._engine)
        except Exception:  # noqa: BLE001 - kept in the spool; retried on the next round
            return False

    def _write(self, batch: _Batch) -> None:
        entries = [entry for entry, _ in batch]
        try:
            if self._spool is None:
                with write_transaction(self._engine) as conn:
                    record_many(conn, entries)
            elif not self._drain():
                self._spool.append(entries)  # older rows wait: keep the order
            else:
                try:
                    with write_transaction(self._engine, busy_timeout_ms=LOCK_WAIT_MS) as conn:
                        record_many(conn, entries)
                except OperationalError as error:
                    if not is_locked(error):
                        raise
                    self._spool.append(entries)
        except Exception as error:  # noqa: BLE001 - handed to every waiting request
            for _, future in batch:
                future.set_exception(error)
            return
        for _, future in batch:
            future.set_result(None)
