"""Parse and validate EPCIS 2.0 event queries (SimpleEventQuery, EPCIS 2.0 §8.2.7.1).

Input is the REST binding's ``/events`` query string (EPCIS 2.0 §12, ``openapi.yaml``) or the
JSON query body of a named query (``query-schema.json``). The result is an immutable, typed
:class:`~medtrace.epcis.query_model.EventQuery` for the store to execute.

Decisions (where the standard leaves room):

* **Lists** use ``|`` (OpenAPI ``pipeDelimited``): ``EQ_bizStep=shipping|receiving``.
  **Repeating a parameter is an error** (``QueryParameterException``): parameter names of a
  query are unique (EPCIS 2.0 §8.2.7.1), and the OpenAPI style is not ``explode``. A mapping
  value given as a sequence (as :func:`urllib.parse.parse_qs` returns) lists the occurrences.
* **Extension field names** (``EQ_fieldname``, ``EQ_ILMD_fieldname``, ``orderBy``…) are read as
  ``prefix:name`` CURIEs resolved through the ``GS1-Extensions`` header (``extensions``:
  prefix → namespace), as ``namespace#name`` (EPCIS 2.0 §8.2.7.1) or as ``{namespace}name``;
  :meth:`EventQuery.to_params` writes ``namespace#name``.
* **CBV values** may be bare words, URNs, web URIs or ``cbv:`` CURIEs and are kept as URNs;
  an unknown word, or an unknown value inside a CBV namespace, is an error.
* ``perPage``/``nextPageToken`` are REST pagination, not query parameters:
  :func:`parse_query` refuses them, :func:`parse_rest_query` returns them beside the query.
* ``eventCountLimit`` with ``maxEventCount`` is an error, so is ``eventCountLimit`` without
  ``orderBy`` (EPCIS 2.0 §8.2.7.1). ``maxEventCount`` makes the executor raise
  ``QueryTooLargeException`` when exceeded; ``eventCountLimit`` truncates.
* Contradictory ranges (``GE_eventTime`` after ``LT_eventTime``) are valid and select nothing.
* ``EXISTS_…=false`` is the same as leaving the parameter out (REST binding).

>>> q = parse_query("EQ_bizStep=shipping|receiving&GE_eventTime=2024-05-01T00:00:00%2B02:00")
>>> q.biz_steps
('urn:epcglobal:cbv:bizstep:shipping', 'urn:epcglobal:cbv:bizstep:receiving')
>>> q.to_params()
[('GE_eventTime', '2024-04-30T22:00:00Z'), ('EQ_bizStep', 'shipping|receiving')]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final
from urllib.parse import parse_qsl

import msgspec

from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.query_model import (
    AttrEquals,
    EventQuery,
    ExtensionFilter,
    ExtensionScope,
    FieldMatch,
    FilterOp,
    HasAttr,
    QuantityFilter,
    SensorComponent,
    SensorFilter,
)
from medtrace.epcis.query_params import ALIASES, FIXED_PARAMS, PAGINATION_PARAMS
from medtrace.epcis.query_patterns import EpcPattern, PatternKind, parse_pattern
from medtrace.epcis.query_values import (
    DEFAULT_PREFIXES,
    Action,
    FieldName,
    InvalidValueError,
    OrderDirection,
    parse_count,
    parse_decimal,
    parse_exists,
    parse_field_name,
    parse_timestamp,
    parse_uri,
    parse_vocab,
    split_list,
)
from medtrace.epcis.vocab import VocabKind, is_standard, to_canonical

__all__ = [
    "DEFAULT_PREFIXES",
    "Action",
    "AttrEquals",
    "EpcPattern",
    "EventQuery",
    "ExtensionFilter",
    "ExtensionScope",
    "FieldMatch",
    "FieldName",
    "FilterOp",
    "HasAttr",
    "NamedQuery",
    "OrderDirection",
    "PatternKind",
    "QuantityFilter",
    "RestQuery",
    "SensorComponent",
    "SensorFilter",
    "parse_pattern",
    "parse_query",
    "parse_query_body",
    "parse_rest_query",
]

Params = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | str

_SENSOR = re.compile(
    r"(?P<op>EQ|GT|GE|LT|LE)_(?P<c>value|minValue|maxValue|meanValue|sDev|percValue|percRank)"
    r"(?:_(?P<uom>[A-Z0-9]{2,4}))?"
)
_QUANTITY = re.compile(r"(?P<op>EQ|GT|GE|LT|LE)_quantity(?:_(?P<uom>[A-Z0-9]{2,4}))?")
_SOURCE = re.compile(r"EQ_(?P<family>bizTransaction|source|destination)_(?P<type>.+)")
_HASATTR = re.compile(r"HASATTR_(?P<field>[^|]+)")
_EQATTR = re.compile(r"(?:EQATTR|EQ_ATTR)_(?P<field>[^_|]+)_(?P<attr>[^|]+)")
_EXTENSION = re.compile(
    r"(?P<op>EQ|GT|GE|LT|LE|EXISTS)_(?P<inner>INNER_)?"
    r"(?:(?P<scope>ILMD|ERROR_DECLARATION|SENSORELEMENT|SENSORMETADATA|SENSORREPORT"
    r"|readPoint|bizLocation)_)?(?P<field>.+)"
)
_TYPE_WORD = re.compile(r"[a-z][a-zA-Z0-9_]+")
_SENSOR_SCOPES: Final = frozenset(
    {ExtensionScope.SENSOR_ELEMENT, ExtensionScope.SENSOR_METADATA, ExtensionScope.SENSOR_REPORT}
)
_SOURCE_FAMILIES: Final[dict[str, tuple[str, VocabKind]]] = {
    "bizTransaction": ("biz_transactions", "bizTransactionType"),
    "source": ("sources", "sourceDestType"),
    "destination": ("destinations", "sourceDestType"),
}


class RestQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A ``GET /events`` request: the query plus REST pagination (EPCIS 2.0 §12.6).

    ``per_page`` is ``None`` when not given (the server default applies, 30 in the binding).
    """

    query: EventQuery
    per_page: int | None = None
    next_page_token: str | None = None


class _Builder:
    """Collects parsed parameters and enforces the cross-parameter rules."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes
        self.fields: dict[str, object] = {}
        self.families: dict[str, dict[object, object]] = {
            "quantity_filters": {},
            "sensor_filters": {},
            "biz_transactions": {},
            "sources": {},
            "destinations": {},
            "extension_filters": {},
            "has_attributes": {},
            "attribute_equals": {},
        }

    def add(self, name: str, raw: str) -> None:
        canonical = ALIASES.get(name, name)
        fixed = FIXED_PARAMS.get(canonical)
        if fixed is not None:
            if fixed.field in self.fields:
                raise QueryParameterError(
                    f"given twice (also as {canonical})", parameter=name, value=raw
                )
            value = fixed.codec.parse(raw, self.prefixes)
            if value != fixed.codec.absent:
                self.fields[fixed.field] = value
            return
        if name in PAGINATION_PARAMS:
            raise QueryParameterError(
                "is REST pagination, not part of an EPCIS query (use parse_rest_query)",
                parameter=name,
                value=raw,
            )
        for pattern, handler in (
            (_SENSOR, self._sensor),
            (_QUANTITY, self._quantity),
            (_SOURCE, self._source),
            (_EQATTR, self._eqattr),
            (_HASATTR, self._hasattr),
            (_EXTENSION, self._extension),
        ):
            match = pattern.fullmatch(name)
            if match is not None:
                handler(match, raw)
                return
        raise QueryParameterError("unknown query parameter", parameter=name, value=raw)

    def _put(self, family: str, key: object, item: object) -> None:
        bucket = self.families[family]
        if key in bucket:
            raise InvalidValueError("the same filter is given twice under different spellings")
        bucket[key] = item

    def _sensor(self, match: re.Match[str], raw: str) -> None:
        op, component, uom = FilterOp(match["op"]), SensorComponent(match["c"]), match["uom"]
        if component is SensorComponent.PERC_RANK:
            if uom is not None or op is FilterOp.EQ:
                raise InvalidValueError("percRank takes GT_, GE_, LT_ or LE_ and no unit suffix")
        elif uom is None:
            raise InvalidValueError(f"{component} needs a UN/CEFACT unit suffix, e.g. _CEL")
        elif op is FilterOp.EQ and component is not SensorComponent.VALUE:
            raise InvalidValueError("EQ_ is defined for value only; use GE_ and LE_")
        values = _numbers(raw, several=op is FilterOp.EQ)
        item = SensorFilter(component=component, op=op, uom=uom, values=values)
        self._put("sensor_filters", item.key, item)

    def _quantity(self, match: re.Match[str], raw: str) -> None:
        op = FilterOp(match["op"])
        values = _numbers(raw, several=op is FilterOp.EQ)
        item = QuantityFilter(op=op, uom=match["uom"], values=values)
        self._put("quantity_filters", item.key, item)

    def _source(self, match: re.Match[str], raw: str) -> None:
        field, kind = _SOURCE_FAMILIES[match["family"]]
        text = match["type"]
        if is_standard(kind, text):
            type_ = to_canonical(kind, text)
        elif _TYPE_WORD.fullmatch(text):
            type_ = text
        else:
            type_ = parse_vocab(kind, text, self.prefixes)
        values = tuple(parse_uri(value) for value in split_list(raw))
        self._put(field, type_, FieldMatch(type=type_, values=values))

    def _hasattr(self, match: re.Match[str], raw: str) -> None:
        field = match["field"]
        self._put("has_attributes", field, HasAttr(field=field, attributes=split_list(raw)))

    def _eqattr(self, match: re.Match[str], raw: str) -> None:
        field, attribute = match["field"], match["attr"]
        item = AttrEquals(field=field, attribute=attribute, values=split_list(raw))
        self._put("attribute_equals", (field, attribute), item)

    def _extension(self, match: re.Match[str], raw: str) -> None:
        op, inner = FilterOp(match["op"]), match["inner"] is not None
        scope = ExtensionScope(match["scope"] or "")
        if scope in {ExtensionScope.READ_POINT, ExtensionScope.BIZ_LOCATION} and op is not (
            FilterOp.EQ
        ):
            raise InvalidValueError(f"only EQ_ is defined for {scope} extension fields")
        if scope in _SENSOR_SCOPES and inner and op is FilterOp.EXISTS:
            raise InvalidValueError("EXISTS_INNER_ is not defined for sensor fields")
        field = parse_field_name(match["field"], self.prefixes)
        values: tuple[str, ...] = ()
        bound: Decimal | datetime | None = None
        if op is FilterOp.EXISTS:
            if not parse_exists(raw):
                return
        elif op is FilterOp.EQ:
            values = split_list(raw)
        else:
            bound = _bound(raw)
        item = ExtensionFilter(
            field=field, op=op, values=values, bound=bound, inner=inner, scope=scope
        )
        self._put("extension_filters", item.key, item)

    def build(self) -> EventQuery:
        fields = dict(self.fields)
        if "event_count_limit" in fields:
            limit = str(fields["event_count_limit"])
            if "max_event_count" in fields:
                raise QueryParameterError(
                    "cannot be combined with maxEventCount",
                    parameter="eventCountLimit",
                    value=limit,
                )
            if "order_by" not in fields:
                raise QueryParameterError(
                    "requires orderBy", parameter="eventCountLimit", value=limit
                )
        for family, bucket in self.families.items():
            fields[family] = tuple(item for _, item in sorted(bucket.items(), key=_sort_key))
        return msgspec.structs.replace(EventQuery(), **fields)


def _sort_key(entry: tuple[object, object]) -> str:
    return repr(entry[0])


def _numbers(raw: str, *, several: bool) -> tuple[Decimal, ...]:
    items = split_list(raw) if several else (raw,)
    return tuple(parse_decimal(item) for item in items)


def _bound(raw: str) -> Decimal | datetime:
    try:
        return parse_decimal(raw)
    except InvalidValueError:
        pass
    try:
        return parse_timestamp(raw)
    except InvalidValueError:
        raise InvalidValueError("expected a number or an xsd:dateTime with a time zone") from None


def _pairs(params: Params) -> Iterator[tuple[str, str]]:
    if isinstance(params, str):
        yield from parse_qsl(params, keep_blank_values=True, strict_parsing=False)
    elif isinstance(params, Mapping):
        for name, value in params.items():
            if isinstance(value, str):
                yield name, value
            else:
                for item in value:
                    yield name, item
    else:
        yield from params


def parse_query(params: Params, *, extensions: Mapping[str, str] | None = None) -> EventQuery:
    """Parse and validate SimpleEventQuery parameters (EPCIS 2.0 §8.2.7.1).

    ``params`` is a mapping (a value may be a sequence of occurrences, as ``parse_qs`` gives),
    an iterable of ``(name, value)`` pairs, or a raw query string. ``extensions`` is the
    ``GS1-Extensions`` header as a prefix → namespace mapping. Every problem raises
    :class:`~medtrace.epcis.errors.QueryParameterError` naming the parameter and its value.

    >>> try:
    ...     parse_query([("eventCountLimit", "-1")])
    ... except QueryParameterError as exc:
    ...     print(exc)
    query parameter eventCountLimit='-1': expected a non-negative integer
    """
    pairs = list(_pairs(params))
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise QueryParameterError(
                "names and values must be strings", parameter=str(name), value=repr(value)
            )
    repeated = [name for name, count in Counter(name for name, _ in pairs).items() if count > 1]
    if repeated:
        raise QueryParameterError(
            "given more than once; list several values as one value separated by '|'",
            parameter=repeated[0],
        )
    builder = _Builder(dict(extensions or {}))
    for name, raw in pairs:
        try:
            builder.add(name, raw)
        except InvalidValueError as exc:
            raise QueryParameterError(str(exc), parameter=name, value=raw) from None
    return builder.build()


def parse_rest_query(params: Params, *, extensions: Mapping[str, str] | None = None) -> RestQuery:
    """Parse a ``GET /events`` query string: the query plus ``perPage``/``nextPageToken``.

    >>> parse_rest_query("eventType=ObjectEvent&perPage=50").per_page
    50
    """
    query_pairs: list[tuple[str, str]] = []
    paging: dict[str, str] = {}
    for name, value in _pairs(params):
        if name in PAGINATION_PARAMS:
            if name in paging:
                raise QueryParameterError("given more than once", parameter=name, value=value)
            paging[name] = value
        else:
            query_pairs.append((name, value))
    per_page: int | None = None
    if "perPage" in paging:
        raw = paging["perPage"]
        try:
            per_page = parse_count(raw)
        except InvalidValueError as exc:
            raise QueryParameterError(str(exc), parameter="perPage", value=raw) from None
        if per_page < 1:
            raise QueryParameterError("must be at least 1", parameter="perPage", value=raw)
    token = paging.get("nextPageToken")
    if token == "":
        raise QueryParameterError("must not be empty", parameter="nextPageToken", value=token)
    return RestQuery(
        query=parse_query(query_pairs, extensions=extensions),
        per_page=per_page,
        next_page_token=token,
    )


def _json_scalar(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if value is None:
        return ""
    raise QueryParameterError(
        f"unexpected JSON value of type {type(value).__name__}", parameter=name, value=repr(value)
    )


def _context_prefixes(context: object) -> dict[str, str]:
    """Prefix definitions of a JSON-LD ``@context`` (EPCIS 2.0 §9.4; remote contexts ignored)."""
    found: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, Mapping):
            found.update(
                (key, value)
                for key, value in entry.items()
                if isinstance(key, str) and isinstance(value, str) and not key.startswith("@")
            )
    return found


def parse_query_body(
    body: Mapping[str, object], *, extensions: Mapping[str, str] | None = None
) -> EventQuery:
    """Parse a JSON query (the ``query`` of a named query, ``query-schema.json``).

    JSON arrays become ``|`` lists, numbers and booleans their lexical forms, ``null`` (the
    value of ``EXISTS_`` parameters) the empty value. Prefixes defined in an ``@context``
    object are added to ``extensions``.

    >>> parse_query_body({"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping"]}).event_types
    ('ObjectEvent',)
    """
    prefixes = dict(extensions or {})
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        if name == "@context":
            prefixes.update(_context_prefixes(value))
            continue
        if isinstance(value, list):
            items = [_json_scalar(name, item) for item in value]
            if not items or any("|" in item for item in items):
                raise QueryParameterError(
                    "expected a non-empty array of values without '|'",
                    parameter=name,
                    value=repr(value),
                )
            pairs.append((name, "|".join(items)))
        else:
            pairs.append((name, _json_scalar(name, value)))
    return parse_query(pairs, extensions=prefixes)


#: Query names: URL-safe (RFC 3986 unreserved) characters only, so that ``/queries/{queryName}``
#: needs no escaping. The REST binding (``QueryName`` in openapi.yaml) sets no pattern.
QUERY_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")


class NamedQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A query stored under a name (EPCIS 2.0 §12.7, ``POST /queries``).

    >>> from datetime import UTC
    >>> NamedQuery(name="bad name", query=EventQuery(), created=datetime.now(UTC))
    Traceback (most recent call last):
    ...
    medtrace.epcis.errors.QueryParameterError: query parameter queryName='bad name': ...
    """

    name: str
    query: EventQuery
    created: datetime

    def __post_init__(self) -> None:
        if QUERY_NAME.fullmatch(self.name) is None:
            raise QueryParameterError(
                "expected 1-128 characters of A-Z a-z 0-9 . _ ~ -, the first a letter or digit",
                parameter="queryName",
                value=self.name,
            )
        if self.created.tzinfo is None or self.created.utcoffset() is None:
            raise ValueError("NamedQuery.created must be timezone-aware")

    @classmethod
    def from_definition(
        cls,
        definition: Mapping[str, object],
        *,
        created: datetime,
        extensions: Mapping[str, str] | None = None,
    ) -> NamedQuery:
        """Build from a ``QueryDefinition`` body: ``{"name": …, "query": {…}}``."""
        name, query = definition.get("name"), definition.get("query")
        if not isinstance(name, str):
            raise QueryParameterError("expected a string", parameter="name", value=repr(name))
        if not isinstance(query, Mapping):
            raise QueryParameterError(
                "expected a JSON object", parameter="query", value=repr(query)
            )
        return cls(name=name, query=parse_query_body(query, extensions=extensions), created=created)
