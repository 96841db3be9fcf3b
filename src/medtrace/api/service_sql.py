"""SQL the HTTP service needs beyond :class:`~medtrace.store.repository.Repository`.

Named queries (``named_query``, EPCIS 2.0 §12.7 ``/queries``), capture-job recovery and
listing (``capture_job.org_id``, ``/capture``) and the distinct values behind the top-level
resources (``/epcs``, ``/bizLocations``, ``/readPoints``, ``/bizSteps``, ``/dispositions``).
Every function takes the engine and runs one short transaction; lists are cut with keyset
pagination (the page after ``after`` starts strictly after it), never ``OFFSET``.

Visibility (DESIGN.md "Tenancy"): the resource lists only show values of events the principal
may see (:func:`medtrace.store.visibility.visible_condition`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from medtrace.store import jobs, schema, subscriptions
from medtrace.store.codec import from_micros, to_micros
from medtrace.store.engine import read_connection, write_transaction
from medtrace.store.jobs import CaptureJob
from medtrace.store.principal import Principal
from medtrace.store.visibility import visible_condition

__all__ = [
    "ResourceKind",
    "StoredQuery",
    "delete_named_query",
    "distinct_values",
    "forget_interrupted_job",
    "get_job",
    "get_named_query",
    "has_value",
    "insert_named_query",
    "job_owner",
    "list_jobs",
    "list_named_queries",
    "visible_events",
]

ResourceKind = Literal["epcs", "bizSteps", "bizLocations", "readPoints", "dispositions"]

_EVENT_COLUMNS: Final[dict[str, sa.Column[str]]] = {
    "bizSteps": schema.event.c.biz_step,
    "bizLocations": schema.event.c.biz_location,
    "readPoints": schema.event.c.read_point,
    "dispositions": schema.event.c.disposition,
}


@dataclass(frozen=True, slots=True)
class StoredQuery:
    """A named query row: its JSON definition (as stored) and creation time."""

    name: str
    definition: bytes
    created: datetime


def visible_events(principal: Principal | None, dialect: str) -> sa.ColumnElement[bool] | None:
    """The condition on ``event`` rows ``principal`` may see (``None``: no restriction), as
    defined in :mod:`medtrace.store.visibility`."""
    return visible_condition(principal, dialect)


# --------------------------------------------------------------------------- named queries


def insert_named_query(
    engine: Engine, org_id: str, name: str, definition: bytes, created: datetime
) -> bool:
    """Store a named query; ``False`` if the organization already has one of that name."""
    table = schema.named_query
    with write_transaction(engine) as conn:
        exists = conn.execute(
            sa.select(sa.literal(1)).where(table.c.org_id == org_id, table.c.name == name)
        ).first()
        if exists is not None:
            return False
        conn.execute(
            sa.insert(table).values(
                org_id=org_id, name=name, definition=definition, created=to_micros(created)
            )
        )
    return True


def get_named_query(engine: Engine, org_id: str, name: str) -> StoredQuery | None:
    """The organization's named query ``name``, or ``None``."""
    table = schema.named_query
    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(table.c.name, table.c.definition, table.c.created).where(
                table.c.org_id == org_id, table.c.name == name
            )
        ).first()
    if row is None:
        return None
    return StoredQuery(name=str(row[0]), definition=bytes(row[1]), created=from_micros(row[2]))


def list_named_queries(
    engine: Engine, org_id: str, *, after: str | None, limit: int
) -> list[StoredQuery]:
    """Up to ``limit`` of the organization's named queries by name, after ``after``."""
    table = schema.named_query
    stmt = sa.select(table.c.name, table.c.definition, table.c.created).where(
        table.c.org_id == org_id
    )
    if after is not None:
        stmt = stmt.where(table.c.name > after)
    with read_connection(engine) as conn:
        rows = conn.execute(stmt.order_by(table.c.name).limit(limit)).all()
    return [
        StoredQuery(name=str(r[0]), definition=bytes(r[1]), created=from_micros(r[2])) for r in rows
    ]


def delete_named_query(engine: Engine, org_id: str, name: str) -> list[str] | None:
    """Delete the organization's named query ``name`` and, in the same transaction, stop its
    subscriptions (openapi.yaml ``DELETE /queries/{queryName}``: "forcibly unsubscribes all
    active subscriptions"). The ids of the stopped subscriptions, for
    :func:`medtrace.store.subscriptions.wait_and_purge`; ``None`` if there was no such query.
    """
    table = schema.named_query
    with write_transaction(engine) as conn:
        result = conn.execute(
            sa.delete(table).where(table.c.org_id == org_id, table.c.name == name)
        )
        if not result.rowcount:
            return None
        return subscriptions.deactivate_query(
            conn, org_id, name, f"the named query {name!r} was deleted"
        )


# --------------------------------------------------------------------------- capture jobs


def forget_interrupted_job(engine: Engine, job_id: str) -> bool:
    """Delete the row of a job that never finished (its process died; its capture
    transaction was rolled back, so no event refers to it). ``True`` if a row was deleted."""
    table = schema.capture_job
    with write_transaction(engine) as conn:
        result = conn.execute(
            sa.delete(table).where(table.c.id == job_id, table.c.finished.is_(None))
        )
    return bool(result.rowcount)


def job_owner(engine: Engine, job_id: str) -> tuple[bool, str | None]:
    """``(exists, org_id)`` of the capture job row ``job_id``."""
    table = schema.capture_job
    with read_connection(engine) as conn:
        row = conn.execute(sa.select(table.c.org_id).where(table.c.id == job_id)).first()
    return (False, None) if row is None else (True, row[0])


def get_job(engine: Engine, job_id: str) -> CaptureJob | None:
    """The capture job row ``job_id``, or ``None``."""
    with read_connection(engine) as conn:
        return jobs.get_job(conn, job_id)


def list_jobs(
    engine: Engine,
    principal: Principal | None,
    *,
    after: tuple[int, str] | None,
    limit: int,
) -> list[CaptureJob]:
    """Capture jobs newest first (``created`` descending, then ``id``), after ``after``
    (``(created µs, id)`` of the previous page's last job); only the principal's own jobs
    unless it sees everything."""
    table = schema.capture_job
    stmt = sa.select(table.c.id)
    if principal is not None and not principal.sees_everything:
        stmt = stmt.where(table.c.org_id == principal.org_id)
    if after is not None:
        created, job_id = after
        stmt = stmt.where(
            sa.or_(
                table.c.created < created,
                sa.and_(table.c.created == created, table.c.id > job_id),
            )
        )
    stmt = stmt.order_by(table.c.created.desc(), table.c.id).limit(limit)
    with read_connection(engine) as conn:
        ids = [str(row[0]) for row in conn.execute(stmt)]
        found = [jobs.get_job(conn, job_id) for job_id in ids]
    return [job for job in found if job is not None]


# --------------------------------------------------------------------------- resources


def _values_stmt(kind: ResourceKind, principal: Principal | None, dialect: str) -> sa.Select[Any]:
    visible = visible_events(principal, dialect)
    if kind == "epcs":
        epc, link = schema.epc, schema.event_epc
        stmt = sa.select(epc.c.uri)
        if visible is not None:
            seqs = sa.select(schema.event.c.seq).where(visible)
            ids = sa.select(link.c.epc_id).where(link.c.seq.in_(seqs))
            stmt = stmt.where(epc.c.id.in_(ids))
        return stmt
    column = _EVENT_COLUMNS[kind]
    stmt = sa.select(column).distinct().where(column.is_not(None))
    if visible is not None:
        stmt = stmt.where(visible)
    return stmt


def distinct_values(
    engine: Engine,
    kind: ResourceKind,
    principal: Principal | None,
    *,
    after: str | None,
    limit: int,
) -> list[str]:
    """Up to ``limit`` distinct stored values of ``kind`` in code-point order, after ``after``."""
    stmt = _values_stmt(kind, principal, engine.dialect.name)
    column = stmt.selected_columns[0]
    if after is not None:
        stmt = stmt.where(column > after)
    with read_connection(engine) as conn:
        return [str(row[0]) for row in conn.execute(stmt.order_by(column).limit(limit))]


def has_value(
    engine: Engine, kind: ResourceKind, principal: Principal | None, values: Sequence[str]
) -> bool:
    """Whether any of ``values`` (spellings of one resource) is stored and visible."""
    stmt = _values_stmt(kind, principal, engine.dialect.name)
    column = stmt.selected_columns[0]
    with read_connection(engine) as conn:
        return conn.execute(stmt.where(column.in_(list(values))).limit(1)).first() is not None
