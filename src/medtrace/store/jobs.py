"""Capture jobs (EPCIS 2.0 REST binding, ``/capture`` and ``/capture/{captureID}``).

Every capture is recorded as a job: created as running before the document is read (in a
short transaction of its own, so that it is visible at once), finished with its counts and its
errors (the validation problems, EPCIS 2.0 §8.2.7 ValidationException details) whatever the
outcome. A capture that stores anything finishes its job inside the capture transaction
(:func:`record_finish`): the events and the finished job become visible together. One that
stores nothing (rolled back, unreadable) finishes it in a transaction of its own
(:func:`finish_job`). The HTTP layer reports jobs from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from medtrace.epcis.validate import Problem
from medtrace.store import dbapi, schema
from medtrace.store.codec import from_micros, to_micros
from medtrace.store.engine import write_transaction

__all__ = [
    "Behaviour",
    "CaptureJob",
    "finish_job",
    "get_job",
    "list_jobs",
    "record_finish",
    "start_job",
]

Behaviour = Literal["rollback", "proceed"]
"""EPCIS 2.0 REST ``GS1-Capture-Error-Behaviour``: ``rollback`` (all or nothing) or ``proceed``."""

_ENCODER: Final = msgspec.json.Encoder()
_PROBLEMS: Final[msgspec.json.Decoder[tuple[Problem, ...]]] = msgspec.json.Decoder(
    tuple[Problem, ...]
)


class CaptureJob(msgspec.Struct, frozen=True, kw_only=True):
    """A capture job as recorded (times UTC)."""

    id: str
    created: datetime
    finished: datetime | None
    running: bool
    success: bool | None
    error_behaviour: Behaviour
    captured: int
    duplicates: int
    rejected: int
    errors: tuple[Problem, ...]
    source: str | None


_START: Final = (
    "INSERT INTO capture_job (id, created, finished, running, success, error_behaviour, "
    "captured, duplicates, rejected, errors, source, org_id) "
    "VALUES ({m}, {m}, NULL, {m}, NULL, {m}, 0, 0, 0, {m}, {m}, {m})"
)
_FINISH: Final = (
    "UPDATE capture_job SET finished = {m}, running = {m}, success = {m}, captured = {m}, "
    "duplicates = {m}, rejected = {m}, errors = {m} WHERE id = {m}"
)


def start_job(
    engine: Engine,
    *,
    job_id: str,
    behaviour: Behaviour,
    source: str | None,
    org_id: str | None = None,
) -> None:
    """Record a new running job (own short transaction, so that it is visible at once).

    ``org_id`` is the organization the capture acts for (``None``: the installation itself).
    """
    created = to_micros(datetime.now(UTC))
    with write_transaction(engine) as conn:
        dbapi.execute(conn, _START, (job_id, created, True, behaviour, b"[]", source, org_id))


def finish_job(
    engine: Engine,
    *,
    job_id: str,
    success: bool,
    captured: int,
    duplicates: int,
    errors: tuple[Problem, ...],
) -> None:
    """Mark job ``job_id`` finished with its outcome (in a transaction of its own)."""
    with write_transaction(engine) as conn:
        record_finish(
            conn,
            job_id=job_id,
            success=success,
            captured=captured,
            duplicates=duplicates,
            errors=errors,
        )


def record_finish(
    conn: Connection,
    *,
    job_id: str,
    success: bool,
    captured: int,
    duplicates: int,
    errors: tuple[Problem, ...],
) -> None:
    """Mark job ``job_id`` finished with its outcome, inside the caller's transaction."""
    rejected = sum(1 for p in errors if p.severity == "error")
    finished = to_micros(datetime.now(UTC))
    dbapi.execute(
        conn,
        _FINISH,
        (finished, False, success, captured, duplicates, rejected, _ENCODER.encode(errors), job_id),
    )


def _job(row: sa.Row[tuple[object, ...]]) -> CaptureJob:
    values = row._mapping
    finished = values["finished"]
    behaviour = values["error_behaviour"]
    return CaptureJob(
        id=str(values["id"]),
        created=from_micros(int(values["created"])),
        finished=from_micros(int(finished)) if finished is not None else None,
        running=bool(values["running"]),
        success=None if values["success"] is None else bool(values["success"]),
        error_behaviour="proceed" if behaviour == "proceed" else "rollback",
        captured=int(values["captured"]),
        duplicates=int(values["duplicates"]),
        rejected=int(values["rejected"]),
        errors=_PROBLEMS.decode(bytes(values["errors"])),
        source=None if values["source"] is None else str(values["source"]),
    )


def get_job(conn: Connection, job_id: str) -> CaptureJob | None:
    """The job ``job_id``, or ``None``."""
    row = conn.execute(
        sa.select(schema.capture_job).where(schema.capture_job.c.id == job_id)
    ).first()
    return None if row is None else _job(row)


def list_jobs(conn: Connection, *, limit: int = 100) -> list[CaptureJob]:
    """The newest ``limit`` jobs, newest first."""
    rows = conn.execute(
        sa.select(schema.capture_job)
        .order_by(schema.capture_job.c.created.desc(), schema.capture_job.c.id)
        .limit(limit)
    )
    return [_job(row) for row in rows]
