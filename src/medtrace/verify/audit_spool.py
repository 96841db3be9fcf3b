"""The audit log's overflow journal on SQLite: answers never wait behind a long capture.

SQLite has one writer at a time, and a capture holds the write lock for its whole document (a
large one for minutes). A verification answer is only sent once its audit row is safe
(:class:`medtrace.verify.audit.AuditWriter`); waiting for the lock would make verification as
slow as the longest capture. So on SQLite the writer tries the table with a short lock wait
and, when the lock is busy, appends the rows to its **spool file** instead (JSON lines, written
and flushed before the answers are released: as safe against a process crash as the database's
own ``synchronous=NORMAL`` commits). The rows move into ``verification_request`` as soon as the
lock is free, oldest first, before any newer row; the file is then emptied.

Spool files live in ``<database>.audit-spool/``, one per writer (``<uuid>.jsonl``), each held
with an exclusive ``flock`` while its writer lives. A file nobody holds was left by a process
that stopped before draining it: the next writer drains it. A row moved from a file and
committed, but whose file was not emptied before a crash, would be moved again; rows already in
the table (same time, GTIN, serial and ``corrUUID``) are therefore skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Final

import msgspec
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from medtrace.store.engine import write_transaction
from medtrace.verify.audit import VerificationRecord, record_missing

__all__ = ["LOCK_WAIT_MS", "AuditSpool", "is_locked"]

#: How long the writer waits for SQLite's write lock before it spools instead (milliseconds).
LOCK_WAIT_MS: Final = 20
_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(VerificationRecord)


def is_locked(error: OperationalError) -> bool:
    """Whether SQLite refused a write because another connection holds the lock."""
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text


class AuditSpool:
    """One writer's spool file in ``directory`` (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._dir = directory
        self._path = directory / f"{uuid.uuid4().hex}.jsonl"
        self._file: IO[bytes] = self._path.open("ab")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        self._pending = False
        self._orphans_checked = False

    @property
    def pending(self) -> bool:
        """Whether rows wait in a spool file (this writer's, or one left by another)."""
        return self._pending or not self._orphans_checked

    def append(self, entries: Sequence[VerificationRecord]) -> None:
        """Write ``entries`` to this writer's file and flush them to the operating system."""
        self._file.write(b"".join(_ENCODER.encode(entry) + b"\n" for entry in entries))
        self._file.flush()
        self._pending = True

    def drain(self, engine: Engine) -> bool:
        """Move spooled rows into the table; ``False`` when the lock was busy (try later).

        Raises what the write raised for any other database error.
        """
        try:
            if not self._orphans_checked:
                for path in sorted(self._dir.glob("*.jsonl")):
                    if path != self._path:
                        self._drain_orphan(engine, path)
                self._orphans_checked = True
            if self._pending:
                self._move(engine, self._path)
                self._file.truncate(0)
                self._file.seek(0)
                self._pending = False
        except OperationalError as error:
            if is_locked(error):
                return False
            raise
        return True

    def close(self) -> None:
        """Release the file (removed when empty; kept for the next writer otherwise)."""
        empty = not self._pending
        self._file.close()
        if empty:
            self._path.unlink(missing_ok=True)

    def _drain_orphan(self, engine: Engine, path: Path) -> None:
        try:
            handle = path.open("rb+")
        except FileNotFoundError:  # drained and removed by another writer meanwhile
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # its writer is alive
            self._move(engine, path)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @staticmethod
    def _move(engine: Engine, path: Path) -> None:
        entries = []
        for line in path.read_bytes().splitlines():
            try:
                entries.append(_DECODER.decode(line))
            except msgspec.DecodeError:
                # only a line cut short by a crash can be malformed (whole lines are written
                # and flushed before any answer is released): its request was never answered
                continue
        if entries:
            with write_transaction(engine, busy_timeout_ms=LOCK_WAIT_MS) as conn:
                record_missing(conn, entries)
