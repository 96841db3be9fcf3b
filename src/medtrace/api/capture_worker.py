"""Asynchronous capture jobs: the spool and the background worker (EPCIS 2.0 REST ``/capture``).

``POST /capture`` streams the document into the **spool directory** and answers ``202`` at
once; worker threads owned by the application's lifespan capture it with
:func:`medtrace.store.capture.capture` under the promised job id (``MEDTRACE_CAPTURE_THREADS`` of
them, each claiming jobs as another process would: on PostgreSQL one reads a document while
another writes). A job in the spool is two files: ``<id>.doc`` (the document bytes) and
``<id>.json`` (who, error behaviour, syntax, creation time), published by an atomic rename of
the ``.json`` last. The files are deleted only after the job row is finished, so:

* **graceful shutdown** lets the running job finish (the worker stops between jobs); jobs not
  yet started stay in the spool and run on the next start;
* **a crash** mid-capture rolls the capture transaction back; on the next start the worker
  finds the job still spooled, deletes its unfinished row and captures it again (same id);
* **several processes** (``medtrace serve --workers N``, or several hosts sharing the spool
  directory) claim each job with an exclusive ``flock`` on ``<id>.lock``, which the kernel
  releases when a process dies, so a job runs once at a time.

Until the worker starts a job, ``GET /capture/{id}`` answers from the spool (``running``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

import msgspec
from sqlalchemy.engine import Engine

from medtrace.api import service_sql
from medtrace.epcis.validate import Syntax
from medtrace.store.capture import capture
from medtrace.store.jobs import Behaviour

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per spool directory
    fcntl = None  # type: ignore[assignment]

__all__ = ["CaptureWorker", "Spool", "SpooledJob"]

_LOG: Final = logging.getLogger("medtrace.api.capture")


class SpooledJob(msgspec.Struct, frozen=True, kw_only=True):
    """The metadata of a job waiting in (or running from) the spool."""

    id: str
    org_id: str | None
    behaviour: Behaviour
    syntax: Syntax
    created: datetime
    events: int


_META: Final = msgspec.json.Decoder(SpooledJob)
_ENCODER: Final = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Spool:
    """The spool directory (see the module docstring)."""

    directory: Path

    def prepare(self) -> None:
        """Create the directory (owner-only access: documents may be confidential)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def new_id(self) -> str:
        """A fresh capture id."""
        return str(uuid.uuid4())

    def document(self, job_id: str) -> Path:
        """Where the document bytes of ``job_id`` are kept."""
        return self.directory / f"{job_id}.doc"

    def partial(self, job_id: str) -> Path:
        """Where a document is written while it is being received."""
        return self.directory / f"{job_id}.part"

    def _meta(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"

    def publish(self, job: SpooledJob) -> None:
        """Make the received job visible to the workers (atomic)."""
        self.partial(job.id).replace(self.document(job.id))
        staging = self.directory / f"{job.id}.json.tmp"
        staging.write_bytes(_ENCODER.encode(job))
        staging.replace(self._meta(job.id))

    def discard(self, job_id: str) -> None:
        """Delete every file of ``job_id`` (metadata first: then no worker picks it up)."""
        for path in (
            self._meta(job_id),
            self.document(job_id),
            self.partial(job_id),
            self.directory / f"{job_id}.lock",
        ):
            path.unlink(missing_ok=True)

    def get(self, job_id: str) -> SpooledJob | None:
        """The spooled job ``job_id``, or ``None`` once it is done (or unknown)."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            return None
        try:
            return _META.decode(self._meta(job_id).read_bytes())
        except (FileNotFoundError, msgspec.DecodeError):
            return None

    def pending(self) -> list[SpooledJob]:
        """Every spooled job, oldest first."""
        found = []
        for path in self.directory.glob("*.json"):
            job = self.get(path.stem)
            if job is not None:
                found.append(job)
        return sorted(found, key=lambda job: (job.created, job.id))

    @contextlib.contextmanager
    def claim(self, job_id: str) -> Iterator[bool]:
        """Hold the exclusive claim on ``job_id``; yields whether it was obtained."""
        path = self.directory / f"{job_id}.lock"
        handle: IO[bytes] = path.open("ab")
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield False
                    return
            yield True
        finally:
            handle.close()


class CaptureWorker:
    """Runs spooled capture jobs in background threads (see the module docstring).

    ``threads`` jobs run at once, each claimed like a job of another process.
    """

    def __init__(
        self, engine: Engine, spool: Spool, *, poll_seconds: float = 1.0, threads: int = 1
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._engine = engine
        self._spool = spool
        self._poll = poll_seconds
        self._count = threads
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads (jobs left from a previous run are resumed)."""
        self._threads = [
            threading.Thread(target=self._loop, name=f"medtrace-capture-{n}", daemon=True)
            for n in range(1, self._count + 1)
        ]
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Tell the worker that a job was spooled."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the running job, then stop (blocking; call from a thread)."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.run_pending()
            except Exception:  # noqa: BLE001 - the worker outlives a failing database; logged
                _LOG.exception("capture worker: could not process the spool")
            self._wake.wait(self._poll)

    def run_pending(self) -> int:
        """Run every spooled job this process can claim; return how many ran."""
        ran = 0
        for job in self._spool.pending():
            if self._stopping.is_set():
                break
            with self._spool.claim(job.id) as claimed:
                if not claimed:
                    continue
                if self._spool.get(job.id) is None:
                    # finished by another thread or process since the listing: the claim
                    # re-created its lock file
                    self._spool.discard(job.id)
                    continue
                self._run(job)
                ran += 1
        return ran

    def _run(self, job: SpooledJob) -> None:
        done = service_sql.get_job(self._engine, job.id)
        if done is not None and not done.running:
            self._spool.discard(job.id)  # finished before a crash removed the files
            return
        if done is not None and service_sql.forget_interrupted_job(self._engine, job.id):
            _LOG.warning("capture job %s was interrupted; capturing it again", job.id)
        result = capture(
            self._engine,
            self._spool.document(job.id),
            behaviour=job.behaviour,
            syntax=job.syntax,
            job_id=job.id,
            org_id=job.org_id,
        )
        _LOG.info(
            "capture job %s: %d captured, %d duplicates, %d problems",
            job.id,
            result.captured,
            result.duplicates,
            len(result.rejected),
        )
        self._spool.discard(job.id)


def now() -> datetime:
    """The current time (UTC), for job metadata."""
    return datetime.now(UTC)
