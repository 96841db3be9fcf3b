"""The verification audit log: every DSCSA verification request and its answer.

DSCSA §582(b)(4)(C)/(c)(4)(C) (manufacturers and repackagers respond to verification requests)
and §582(b)(4)(E) (records of verification are kept for six years) make the answers a
manufacturer gives part of its records. Every request the responder handles is written to
``verification_request`` **in the transaction that read the item state**, so the log shows exactly
what was known when the answer was given. Integrity analysis reads it later (many requests for one
serial, requests for serials never commissioned, requests from unexpected GLNs).

Row meaning (see ``docs/verification.md``):

* ``verified`` true/false and ``failure_reason`` as answered (GS1 Lightweight Messaging Standard
  for Verification of Product Identifiers, response ``data``);
* ``additional_info`` — the ``additionalInfo`` values as JSON list text, NULL when none;
* a request refused because no organization on this responder owns the GTIN's company prefix is
  kept with ``verified`` false and neither ``failure_reason`` nor ``responder_gln``;
* ``expiry`` is the YYMMDD the requester sent (``DD = 00`` kept), ``time`` is UTC microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from medtrace.store import dbapi, schema
from medtrace.store.codec import from_micros, to_micros

__all__ = [
    "POSTGRES_INSERT_ARRAYS_SQL",
    "VerificationRecord",
    "column_arrays",
    "list_records",
    "record",
    "record_many",
    "record_missing",
]

_TABLE: Final = schema.verification_request
_MAX_LIMIT: Final = 10_000


class VerificationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One ``verification_request`` row; ``id`` is None until :func:`record` stored it."""

    time: datetime
    gtin: str
    serial: str
    verified: bool
    org_id: str | None = None
    req_gln: str | None = None
    corr_uuid: str | None = None
    context: str | None = None
    link_type: str | None = None
    lot: str | None = None
    expiry: str | None = None
    failure_reason: str | None = None
    additional_info: tuple[str, ...] = ()
    responder_gln: str | None = None
    id: int | None = None


def _values(entry: VerificationRecord) -> dict[str, object]:
    info = None
    if entry.additional_info:
        info = msgspec.json.encode(list(entry.additional_info)).decode()
    return {
        "time": to_micros(entry.time),
        "org_id": entry.org_id,
        "req_gln": entry.req_gln,
        "corr_uuid": entry.corr_uuid,
        "context": entry.context,
        "link_type": entry.link_type,
        "gtin": entry.gtin,
        "serial": entry.serial,
        "lot": entry.lot,
        "expiry": entry.expiry,
        "verified": entry.verified,
        "failure_reason": entry.failure_reason,
        "additional_info": info,
        "responder_gln": entry.responder_gln,
    }


def record(conn: Connection, entry: VerificationRecord) -> int:
    """Append ``entry`` to the audit log (in the caller's transaction); return its ``id``."""
    statement = sa.insert(_TABLE).values(**_values(entry)).returning(_TABLE.c.id)
    return int(conn.execute(statement).scalar_one())


_COLUMNS: Final = (
    "time",
    "org_id",
    "req_gln",
    "corr_uuid",
    "context",
    "link_type",
    "gtin",
    "serial",
    "lot",
    "expiry",
    "verified",
    "failure_reason",
    "additional_info",
    "responder_gln",
)
_INSERT: Final = (
    f"INSERT INTO {_TABLE.name} ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join(['{m}'] * len(_COLUMNS))})"
)
"""One audit row, ``{m}`` standing for the driver's marker (:mod:`medtrace.store.dbapi`)."""
_POSTGRES_TYPES: Final = {"time": "bigint", "verified": "boolean"}
POSTGRES_INSERT_ARRAYS_SQL: Final = (
    f"INSERT INTO {_TABLE.name} ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant names
    f"SELECT {', '.join(_COLUMNS)} FROM unnest("
    + ", ".join(f"%s::{_POSTGRES_TYPES.get(name, 'text')}[]" for name in _COLUMNS)
    + f") WITH ORDINALITY AS batch({', '.join(_COLUMNS)}, n) ORDER BY n"
)
"""A batch of audit rows as one PostgreSQL statement: one array per column
(:func:`column_arrays`), rows appended in the arrays' order. One statement, so atomic without
``BEGIN``/``COMMIT`` round trips, and the same text for every batch size (prepared once)."""


def record_many(conn: Connection, entries: Sequence[VerificationRecord]) -> None:
    """Append ``entries`` in order (in the caller's transaction).

    Plain SQL through the driver (:mod:`medtrace.store.dbapi`): the service's group commit
    writes thousands of rows a second and SQLAlchemy's per-row statement handling cost more
    than the insert.
    """
    if entries:
        dbapi.execute_many(conn, _INSERT, _insert_rows(entries))


def column_arrays(entries: Sequence[VerificationRecord]) -> tuple[list[object], ...]:
    """The parameters of :data:`POSTGRES_INSERT_ARRAYS_SQL` for ``entries`` (in order)."""
    columns: tuple[list[object], ...] = tuple([] for _ in _COLUMNS)
    for row in _insert_rows(entries):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def _insert_rows(entries: Sequence[VerificationRecord]) -> list[tuple[object, ...]]:
    """The parameters of :data:`_INSERT` for ``entries``, one tuple each, in order."""
    return [tuple(values[name] for name in _COLUMNS) for values in map(_values, entries)]


#: The identity of stored entries at the given times (see :func:`record_missing`).
_STORED_AT: Final = f"SELECT time, gtin, serial, corr_uuid FROM {_TABLE.name} WHERE time {{in}}"  # noqa: S608


def record_missing(conn: Connection, entries: Sequence[VerificationRecord]) -> int:
    """Append the ``entries`` not yet in the log (same time, GTIN, serial and ``corr_uuid``).

    For rows that may have been written once already (a spool moved again after a crash, see
    :mod:`medtrace.verify.audit_spool`); returns how many were appended. One indexed read per
    chunk of distinct times, not one statement per entry: a spool holds every answer given
    while a capture held SQLite's write lock, and the move holds that lock itself.
    """
    if not entries:
        return 0
    times = sorted({to_micros(entry.time) for entry in entries})
    stored = {
        (int(time), gtin, serial, corr_uuid)
        for time, gtin, serial, corr_uuid in dbapi.select_in(conn, _STORED_AT, times, "bigint")
    }
    fresh = [
        entry
        for entry in entries
        if (to_micros(entry.time), entry.gtin, entry.serial, entry.corr_uuid) not in stored
    ]
    record_many(conn, fresh)
    return len(fresh)


def _entry(row: sa.Row[tuple[object, ...]]) -> VerificationRecord:
    values = row._mapping
    info = values["additional_info"]
    return VerificationRecord(
        id=int(values["id"]),
        time=from_micros(int(values["time"])),
        org_id=values["org_id"],
        req_gln=values["req_gln"],
        corr_uuid=values["corr_uuid"],
        context=values["context"],
        link_type=values["link_type"],
        gtin=values["gtin"],
        serial=values["serial"],
        lot=values["lot"],
        expiry=values["expiry"],
        verified=bool(values["verified"]),
        failure_reason=values["failure_reason"],
        additional_info=tuple(msgspec.json.decode(info, type=list[str])) if info else (),
        responder_gln=values["responder_gln"],
    )


def list_records(
    conn: Connection,
    *,
    gtin: str | None = None,
    serial: str | None = None,
    org_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int | None = None,
    limit: int = 1000,
) -> list[VerificationRecord]:
    """Audit rows in ``id`` (= arrival) order, filtered; ``after_id`` pages through the log.

    ``since`` is inclusive, ``until`` exclusive (aware datetimes). ``limit`` is 1 to 10,000.
    """
    if not 1 <= limit <= _MAX_LIMIT:
        raise ValueError(f"limit {limit} is out of range, expected 1 to {_MAX_LIMIT}")
    query = sa.select(_TABLE)
    if gtin is not None:
        query = query.where(_TABLE.c.gtin == gtin)
    if serial is not None:
        query = query.where(_TABLE.c.serial == serial)
    if org_id is not None:
        query = query.where(_TABLE.c.org_id == org_id)
    if since is not None:
        query = query.where(_TABLE.c.time >= to_micros(since))
    if until is not None:
        query = query.where(_TABLE.c.time < to_micros(until))
    if after_id is not None:
        query = query.where(_TABLE.c.id > after_id)
    rows = conn.execute(query.order_by(_TABLE.c.id).limit(limit))
    return [_entry(row) for row in rows]
