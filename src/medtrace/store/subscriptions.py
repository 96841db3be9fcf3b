"""Query subscriptions in the ``subscription`` table (EPCIS 2.0 §8.2.5, REST binding
``/queries/{queryName}/subscriptions``).

A subscription is a log consumer (DESIGN.md "The event log is the spine"): ``cursor_seq`` is
the last ``event.seq`` it has *processed* (delivered, or examined and found not matching), so a
delivery never skips or repeats an event and a restart resumes where the last committed
delivery ended. The functions here are the only SQL on the table:

* :func:`create` / :func:`get` / :func:`list_page` — the REST resources, always within one
  organization (``org_id``) and one named query;
* unsubscribing (``DELETE`` of a subscription, or of its named query — openapi.yaml: "Removes a
  named query and forcibly unsubscribes all active subscriptions") is two steps:
  :func:`deactivate_query` (every subscription of the query, or one) clears ``active``
  (committed: no delivery starts after it), then :func:`wait_and_purge` waits until no
  delivery of those subscriptions is in flight and deletes the rows. A delivery is *in
  flight* from :func:`begin_delivery` (which sets ``delivering_until``, only while the
  subscription is active) until :func:`record_success` / :func:`record_failure` clear it, or
  until that deadline passes (a worker that died). Both steps touch the same row, so the
  database orders them: either the delivery began first and unsubscribing waits for it, or
  unsubscribing came first and the delivery never begins. When the ``DELETE`` returns,
  nothing more is sent;
* :func:`due` / :func:`claim` — which subscriptions the delivery worker should serve now; a
  claim is a lease (``next_attempt`` moved to the lease's end by a conditional ``UPDATE``), so
  that several service processes over one database never deliver the same batch twice;
* :func:`pending` — the subscriber's next events: the stored query AND ``seq`` in
  (``cursor_seq``, ``head``] AND ``record_time >= initial_record_time`` AND visible to the
  subscriber (:func:`medtrace.store.visibility.visible_condition`), in ``seq`` order;
* :func:`record_success` — moves ``cursor_seq`` and sets ``last_delivered`` in ONE
  transaction, only if nobody moved the cursor meanwhile; :func:`record_failure` — the retry
  bookkeeping (``attempts``, ``next_attempt``, ``last_error``).

Times are UTC microseconds since the epoch, like every time column of the store.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from medtrace.epcis.model import Event
from medtrace.epcis.query_model import EventQuery
from medtrace.store import schema
from medtrace.store.codec import decode_event
from medtrace.store.engine import read_connection, write_transaction
from medtrace.store.principal import Principal
from medtrace.store.query_sql import where_clause
from medtrace.store.visibility import visible_condition

__all__ = [
    "NewSubscription",
    "Subscription",
    "begin_delivery",
    "claim",
    "create",
    "cursor_before",
    "deactivate",
    "deactivate_query",
    "due",
    "get",
    "head_seq",
    "list_page",
    "pending",
    "record_failure",
    "record_success",
    "unsubscribe",
    "wait_and_purge",
]

_TABLE = schema.subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSubscription:
    """What a client asks for (``POST …/subscriptions``); ``query`` is the stored query blob."""

    id: str
    org_id: str
    query_name: str
    query: bytes
    dest: str
    signature_token: str | None
    stream: bool
    schedule: bytes | None
    report_if_empty: bool
    initial_record_time: int
    created: int
    next_attempt: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription(NewSubscription):
    """A stored subscription with its delivery state."""

    cursor_seq: int
    attempts: int
    last_error: str | None
    last_delivered: int | None
    active: bool


def _row(row: sa.Row[Any]) -> Subscription:
    m = row._mapping
    return Subscription(
        id=m["id"],
        org_id=m["org_id"],
        query_name=m["query_name"],
        query=bytes(m["query"]),
        dest=m["dest"],
        signature_token=m["signature_token"],
        stream=bool(m["stream"]),
        schedule=None if m["schedule"] is None else bytes(m["schedule"]),
        report_if_empty=bool(m["report_if_empty"]),
        initial_record_time=int(m["initial_record_time"]),
        created=int(m["created"]),
        next_attempt=m["next_attempt"],
        cursor_seq=int(m["cursor_seq"]),
        attempts=int(m["attempts"]),
        last_error=m["last_error"],
        last_delivered=m["last_delivered"],
        active=bool(m["active"]),
    )


def head_seq(conn: Connection) -> int:
    """The newest ``event.seq`` (0 for an empty log)."""
    return int(conn.execute(sa.select(sa.func.max(schema.event.c.seq))).scalar() or 0)


def cursor_before(conn: Connection, initial_record_time: int) -> int:
    """The cursor that starts a consumer at the first event recorded at or after
    ``initial_record_time`` (EPCIS 2.0 §8.2.5.2 ``initialRecordTime``; ``seq`` follows
    recordTime)."""
    ev = schema.event
    found = conn.execute(
        sa.select(sa.func.max(ev.c.seq)).where(ev.c.record_time < initial_record_time)
    ).scalar()
    return int(found or 0)


def create(engine: Engine, new: NewSubscription) -> Subscription:
    """Store ``new``; its cursor starts at :func:`cursor_before` its ``initial_record_time``."""
    with write_transaction(engine) as conn:
        before = cursor_before(conn, new.initial_record_time)
        values = {
            "id": new.id,
            "org_id": new.org_id,
            "query_name": new.query_name,
            "query": new.query,
            "dest": new.dest,
            "signature_token": new.signature_token,
            "stream": new.stream,
            "schedule": new.schedule,
            "report_if_empty": new.report_if_empty,
            "initial_record_time": new.initial_record_time,
            "created": new.created,
            "cursor_seq": before,
            "next_attempt": new.next_attempt,
            "attempts": 0,
            "last_error": None,
            "last_delivered": None,
            "active": True,
        }
        conn.execute(sa.insert(_TABLE).values(values))
        return _row(conn.execute(sa.select(_TABLE).where(_TABLE.c.id == new.id)).one())


def get(engine: Engine, org_id: str, query_name: str, sub_id: str) -> Subscription | None:
    """The organization's active subscription ``sub_id`` on ``query_name``, or ``None``."""
    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(_TABLE).where(
                _TABLE.c.id == sub_id,
                _TABLE.c.org_id == org_id,
                _TABLE.c.query_name == query_name,
                _TABLE.c.active.is_(True),
            )
        ).first()
    return None if row is None else _row(row)


def list_page(
    engine: Engine, org_id: str, query_name: str, *, after: str | None, limit: int
) -> list[Subscription]:
    """Up to ``limit`` active subscriptions of the organization on ``query_name``, by id."""
    stmt = sa.select(_TABLE).where(
        _TABLE.c.org_id == org_id, _TABLE.c.query_name == query_name, _TABLE.c.active.is_(True)
    )
    if after is not None:
        stmt = stmt.where(_TABLE.c.id > after)
    with read_connection(engine) as conn:
        rows = conn.execute(stmt.order_by(_TABLE.c.id).limit(limit)).all()
    return [_row(row) for row in rows]


def deactivate_query(
    conn: Connection, org_id: str, query_name: str, reason: str, sub_id: str | None = None
) -> list[str]:
    """Stop the organization's active subscriptions on ``query_name`` (only ``sub_id`` when
    given), in the caller's write transaction; their ids (then :func:`wait_and_purge`)."""
    t = _TABLE
    where = [t.c.org_id == org_id, t.c.query_name == query_name, t.c.active.is_(True)]
    if sub_id is not None:
        where.append(t.c.id == sub_id)
    ids = [str(found) for found in conn.execute(sa.select(t.c.id).where(*where)).scalars()]
    if ids:
        conn.execute(
            sa.update(t).where(t.c.id.in_(ids)).values(active=False, last_error=reason[:2000])
        )
    return ids


def unsubscribe(engine: Engine, org_id: str, query_name: str, sub_id: str) -> bool:
    """Unsubscribe one subscription (:func:`deactivate_query`, then :func:`wait_and_purge`);
    ``False`` if the organization has no such active subscription."""
    with write_transaction(engine) as conn:
        ids = deactivate_query(conn, org_id, query_name, "unsubscribed", sub_id)
    wait_and_purge(engine, ids)
    return bool(ids)


def wait_and_purge(engine: Engine, sub_ids: Sequence[str], *, poll_seconds: float = 0.02) -> None:
    """Wait until no delivery of the (deactivated) ``sub_ids`` is in flight, then delete them."""
    if not sub_ids:
        return
    t = _TABLE
    ids = list(sub_ids)
    while True:
        now = time.time_ns() // 1000
        with read_connection(engine) as conn:
            busy = conn.execute(
                sa.select(sa.func.count())
                .select_from(t)
                .where(t.c.id.in_(ids), t.c.delivering_until > now)
            ).scalar_one()
        if not busy:
            break
        time.sleep(poll_seconds)
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(t).where(t.c.id.in_(ids), t.c.active.is_(False)))


def due(engine: Engine, now: int) -> tuple[int, list[Subscription]]:
    """The log head and the active subscriptions to serve at ``now``: stream subscriptions
    behind the head and not waiting for a retry, scheduled ones whose time has come."""
    t = _TABLE
    with read_connection(engine) as conn:
        head = head_seq(conn)
        stream_due = sa.and_(
            t.c.stream.is_(True),
            t.c.cursor_seq < head,
            sa.or_(t.c.next_attempt.is_(None), t.c.next_attempt <= now),
        )
        scheduled_due = sa.and_(t.c.stream.is_(False), t.c.next_attempt <= now)
        rows = conn.execute(
            sa.select(t)
            .where(t.c.active.is_(True), sa.or_(stream_due, scheduled_due))
            .order_by(t.c.created, t.c.id)
        ).all()
    return head, [_row(row) for row in rows]


def claim(engine: Engine, sub: Subscription, lease_until: int) -> bool:
    """Take the lease on ``sub`` (as read by :func:`due`) until ``lease_until``; ``False`` if
    another worker took it, it was unsubscribed, or its state changed since it was read."""
    t = _TABLE
    same_attempt = (
        t.c.next_attempt.is_(None)
        if sub.next_attempt is None
        else t.c.next_attempt == sub.next_attempt
    )
    with write_transaction(engine) as conn:
        result = conn.execute(
            sa.update(t)
            .where(
                t.c.id == sub.id,
                t.c.active.is_(True),
                t.c.cursor_seq == sub.cursor_seq,
                same_attempt,
            )
            .values(next_attempt=lease_until)
        )
    return bool(result.rowcount)


def pending(
    conn: Connection,
    sub: Subscription,
    query: EventQuery,
    principal: Principal,
    *,
    head: int,
    limit: int,
) -> list[tuple[int, Event]]:
    """Up to ``limit`` events for ``sub`` after its cursor and up to ``head``, in ``seq`` order.

    The query's ordering and count controls (``orderBy``, ``eventCountLimit``,
    ``maxEventCount``) do not apply: a subscription reports every new event once, in capture
    order (EPCIS 2.0 §8.2.5: each report holds the events recorded since the previous one).
    """
    ev = schema.event
    conditions = where_clause(query, conn.dialect.name)
    conditions += [
        ev.c.seq > sub.cursor_seq,
        ev.c.seq <= head,
        ev.c.record_time >= sub.initial_record_time,
    ]
    visible = visible_condition(principal, conn.dialect.name)
    if visible is not None:
        conditions.append(visible)
    rows = conn.execute(
        sa.select(ev.c.seq, ev.c.body).where(*conditions).order_by(ev.c.seq).limit(limit)
    ).all()
    return [(int(seq), decode_event(bytes(body))) for seq, body in rows]


def record_success(
    engine: Engine,
    sub: Subscription,
    *,
    cursor_seq: int,
    delivered_at: int | None,
    next_attempt: int | None,
) -> bool:
    """Advance the cursor to ``cursor_seq`` (and ``last_delivered`` when something was sent)
    in one transaction, only if the cursor is still where ``sub`` found it."""
    t = _TABLE
    values: dict[str, object] = {
        "cursor_seq": cursor_seq,
        "attempts": 0,
        "last_error": None,
        "next_attempt": next_attempt,
        "delivering_until": None,
    }
    if delivered_at is not None:
        values["last_delivered"] = delivered_at
    with write_transaction(engine) as conn:
        result = conn.execute(
            sa.update(t).where(t.c.id == sub.id, t.c.cursor_seq == sub.cursor_seq).values(values)
        )
    return bool(result.rowcount)


def record_failure(engine: Engine, sub: Subscription, *, next_attempt: int, error: str) -> None:
    """Count a failed delivery; retry at ``next_attempt``. The cursor does not move."""
    t = _TABLE
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(t)
            .where(t.c.id == sub.id, t.c.cursor_seq == sub.cursor_seq)
            .values(
                attempts=t.c.attempts + 1,
                next_attempt=next_attempt,
                last_error=error[:2000],
                delivering_until=None,
            )
        )


def begin_delivery(engine: Engine, sub: Subscription, until: int) -> bool:
    """Mark a delivery of ``sub`` in flight until ``until`` (UTC µs, its deadline); ``False``
    (send nothing) if ``sub`` was unsubscribed or its cursor moved since it was read."""
    t = _TABLE
    with write_transaction(engine) as conn:
        result = conn.execute(
            sa.update(t)
            .where(t.c.id == sub.id, t.c.active.is_(True), t.c.cursor_seq == sub.cursor_seq)
            .values(delivering_until=until)
        )
    return bool(result.rowcount)


def deactivate(engine: Engine, sub_ids: Sequence[str], error: str) -> None:
    """Stop serving subscriptions that can no longer run (their organization is gone)."""
    t = _TABLE
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(t).where(t.c.id.in_(list(sub_ids))).values(active=False, last_error=error)
        )
