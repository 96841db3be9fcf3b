"""Result ordering and stable keyset pagination of event queries (EPCIS 2.0 §8.2.7.1, §12.6).

Ordering follows the query's ``orderBy``/``orderDirection`` (EPCIS 2.0 §8.2.7.1):

* ``eventTime`` / ``recordTime`` sort on the integer µs columns, ties broken by ``event.seq``;
* an extension field (``orderBy=namespace#name``, types Int, Float, Time or String) sorts on
  its top-level value: events with a numeric or time value first (by that value), then events
  with a string value (by code point), then events without the field ("may occur in any
  position" — EPCIS 2.0 §8.2.7.1);
* without ``orderBy`` the standard leaves the order open; medtrace returns events in capture
  order (``event.seq`` ascending = recordTime order), which is deterministic and cheapest.

``orderDirection`` defaults to ``DESC`` and applies to every key, including ``seq``.

Pages are cut with **keyset pagination** (the page after a token starts strictly after the
last row's sort key), never ``OFFSET``: page *n* costs the same as page 1, and rows captured
while a client pages never shift the pages it has yet to read. The ``nextPageToken`` of the
REST binding (EPCIS 2.0 §12.6) is opaque to clients: a token sealed by
:mod:`medtrace.store.page_tokens` (checksum, random token id) holding the last row's sort key,
its ``seq``, how many events were returned so far (for ``eventCountLimit``) and a fingerprint of
the query parameters. A token that was altered, revoked (``DELETE /nextPageToken/{token}``) or
that belongs to another query is refused with :class:`InvalidPageTokenError` (a
``QueryParameterException``).

>>> from medtrace.epcis.query import parse_query
>>> q = parse_query("EQ_bizStep=shipping")
>>> token = encode_token(q, Cursor(keys=(1700000000000000,), seq=42, returned=10))
>>> decode_token(q, token)
Cursor(keys=(1700000000000000,), seq=42, returned=10)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import orjson
import sqlalchemy as sa

from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.query_model import EventQuery
from medtrace.epcis.query_values import FieldName, OrderDirection
from medtrace.store.page_tokens import InvalidPageTokenError, seal, unseal
from medtrace.store.schema import DecimalNumber, event, event_field

__all__ = [
    "Cursor",
    "InvalidPageTokenError",
    "SortKey",
    "decode_token",
    "encode_token",
    "keyset_condition",
    "query_fingerprint",
    "sort_key",
]

#: Version of the event-query cursor fields (2: sealed with a token id).
_TOKEN_VERSION: Final = 2
_FINGERPRINT_HEX: Final = 16

KeyValue = int | str | Decimal | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page ended: its last row's sort key and ``seq``, and the count so far."""

    keys: tuple[KeyValue, ...]
    seq: int
    returned: int


@dataclass(frozen=True, slots=True)
class SortKey:
    """The ORDER BY of a query: key expressions (``seq`` last) and their direction."""

    columns: tuple[sa.ColumnElement[object], ...]
    descending: bool

    def order_by(self) -> list[sa.ColumnElement[object]]:
        """The ORDER BY clauses."""
        return [col.desc() if self.descending else col.asc() for col in self.columns]


def _field_value(field: FieldName, column: sa.ColumnElement[object]) -> sa.ScalarSelect[object]:
    """The smallest value of a top-level event extension field of the current event."""
    return (
        sa.select(sa.func.min(column))
        .where(
            event_field.c.seq == event.c.seq,
            event_field.c.scope == "event",
            event_field.c.depth == 0,
            event_field.c.path == str(field),
        )
        .scalar_subquery()
    )


def sort_key(query: EventQuery) -> SortKey:
    """The sort key of ``query`` (see the module docstring), ``event.seq`` last."""
    seq: sa.ColumnElement[object] = event.c.seq
    if query.order_by is None:
        return SortKey(columns=(seq,), descending=False)
    descending = query.effective_order_direction is OrderDirection.DESC
    if query.order_by == "eventTime":
        return SortKey(columns=(event.c.event_time, seq), descending=descending)
    if query.order_by == "recordTime":
        return SortKey(columns=(event.c.record_time, seq), descending=descending)
    field = query.order_by
    if not isinstance(field, FieldName):
        raise QueryParameterError(
            "expected eventTime, recordTime or an extension field name",
            parameter="orderBy",
            value=str(field),
        )
    number = sa.func.coalesce(
        _field_value(field, event_field.c.num_value),
        sa.cast(_field_value(field, event_field.c.time_value), DecimalNumber),
    )
    text = _field_value(field, event_field.c.text_value)
    rank = sa.case((number.is_not(None), 0), (text.is_not(None), 1), else_=2)
    columns: tuple[sa.ColumnElement[object], ...] = (
        rank,
        sa.func.coalesce(number, sa.cast(sa.literal(0), DecimalNumber)),
        sa.func.coalesce(text, sa.literal("")),
        seq,
    )
    return SortKey(columns=columns, descending=descending)


def keyset_condition(key: SortKey, cursor: Cursor) -> sa.ColumnElement[bool]:
    """Rows strictly after ``cursor`` in ``key`` order (a row-value comparison).

    The leading key also gets a plain range bound so that its index can serve the scan.
    """
    values = (*cursor.keys, cursor.seq)
    if len(values) != len(key.columns):
        raise InvalidPageTokenError("the token does not fit the query's ordering")
    bound = [sa.literal(v, type_=col.type) for col, v in zip(key.columns, values, strict=True)]
    lead, lead_value = key.columns[0], bound[0]
    if len(values) == 1:
        return lead < lead_value if key.descending else lead > lead_value
    row, after = sa.tuple_(*key.columns), sa.tuple_(*bound)
    if key.descending:
        return sa.and_(lead <= lead_value, row < after)
    return sa.and_(lead >= lead_value, row > after)


def query_fingerprint(query: EventQuery) -> str:
    """A short digest of the query parameters (order-independent)."""
    params = sorted(query.to_params())
    return hashlib.sha256(orjson.dumps(params)).hexdigest()[:_FINGERPRINT_HEX]


def _key_json(value: KeyValue) -> object:
    if isinstance(value, Decimal):
        return ["d", str(value)]
    return value


def _key_from_json(value: object) -> KeyValue:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, list)
        and len(value) == 2
        and value[0] == "d"
        and isinstance(value[1], str)
    ):
        return Decimal(value[1])
    raise InvalidPageTokenError("the token holds a sort key of an unexpected type")


def encode_token(query: EventQuery, cursor: Cursor) -> str:
    """A new opaque ``nextPageToken`` for the page after ``cursor`` of ``query``."""
    return seal(
        [
            _TOKEN_VERSION,
            query_fingerprint(query),
            [_key_json(k) for k in cursor.keys],
            cursor.seq,
            cursor.returned,
        ]
    )


def decode_token(query: EventQuery, token: str) -> Cursor:
    """The cursor in ``token``; raises :class:`InvalidPageTokenError` unless it is intact and
    was issued for ``query`` (revocation is checked by the caller, which has the database:
    :func:`medtrace.store.page_tokens.check_not_revoked`).

    >>> from medtrace.epcis.query import parse_query
    >>> decode_token(parse_query(""), "bm90LWEtdG9rZW4")
    Traceback (most recent call last):
    ...
    medtrace.store.page_tokens.InvalidPageTokenError: query parameter nextPageToken: ...
    """
    fields, _ = unseal(token)
    if len(fields) != 5 or fields[0] != _TOKEN_VERSION:
        raise InvalidPageTokenError("not a page token of an event query")
    _, fingerprint, keys, seq, returned = fields
    if fingerprint != query_fingerprint(query):
        raise InvalidPageTokenError(
            "the token belongs to a different query; repeat the query parameters of the "
            "request that returned it"
        )
    if not isinstance(keys, list) or not isinstance(seq, int) or not isinstance(returned, int):
        raise InvalidPageTokenError("the token is malformed")
    return Cursor(keys=tuple(_key_from_json(k) for k in keys), seq=seq, returned=returned)
