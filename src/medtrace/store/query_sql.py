"""Execute an EPCIS event query in SQL on SQLite and PostgreSQL (EPCIS 2.0 §8.2.7.1).

:func:`run_query` turns every field of a :class:`~medtrace.epcis.query_model.EventQuery` into
one SQL condition on ``event``; different parameters are ANDed, the values of one parameter
ORed (EPCIS 2.0 §8.2.7.1). The conditions are index-friendly:

* columns of ``event`` itself (type, action, bizStep, disposition, readPoint, bizLocation,
  transformationID, eventID, error declaration, the integer µs times) are compared directly;
* everything kept in an index table (EPCs, business transactions, sources/destinations,
  extension fields, sensor reports, corrective event ids, persistent dispositions, master
  data) becomes ``event.seq IN (SELECT seq FROM index_table WHERE …)``, which both planners
  run as a semi-join driven by the index table's own index (``event_epc`` by ``epc_id``);
* ``MATCH_`` values are looked up by canonical key (:func:`medtrace.store.codec.canonical_epc`,
  GS1 Digital Link form): exact values with ``epc.uri IN (…)``, EPC pattern URIs
  (``urn:epc:idpat:…``, EPC TDS §8) with prefix conditions on ``epc.uri``: the pattern's
  pure-identity URN prefixes and the Digital Link prefixes of the same identifiers
  (:func:`digital_link_prefixes`). PostgreSQL runs them as ``LIKE 'prefix%' ESCAPE '\\'``;
  SQLite as the equivalent binary range ``uri >= prefix AND uri < successor(prefix)``, because
  SQLite's ``LIKE`` ignores ASCII case (serials ``abc`` and ``ABC`` differ) and only the range
  can use the ``epc.uri`` index;
* ``WD_readPoint``/``WD_bizLocation`` expand the given locations through the master-data
  hierarchy with a recursive CTE over ``vocabulary_child`` (EPCIS 2.0 §8.2.7.1, §7.2.2).

Ordering and keyset pagination live in :mod:`medtrace.store.pagination`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from medtrace.epcis.errors import EpcisError
from medtrace.epcis.model import Event
from medtrace.epcis.query_model import (
    EventQuery,
    ExtensionFilter,
    ExtensionScope,
    FieldMatch,
    FilterOp,
    QuantityFilter,
    SensorComponent,
    SensorFilter,
)
from medtrace.epcis.query_patterns import EpcPattern, PatternKind
from medtrace.epcis.query_values import InvalidValueError, parse_decimal, parse_timestamp
from medtrace.gs1.checkdigit import mod10
from medtrace.store.codec import canonical_epc, decode_event, to_micros
from medtrace.store.page_tokens import check_not_revoked
from medtrace.store.pagination import (
    Cursor,
    decode_token,
    encode_token,
    keyset_condition,
    sort_key,
)
from medtrace.store.principal import Principal
from medtrace.store.schema import (
    ROLE_CHILD,
    ROLE_CHILD_CLASS,
    ROLE_EPC,
    ROLE_INPUT,
    ROLE_INPUT_CLASS,
    ROLE_OUTPUT,
    ROLE_OUTPUT_CLASS,
    ROLE_PARENT,
    ROLE_QUANTITY_CLASS,
    DecimalNumber,
    epc,
    event,
    event_biz_transaction,
    event_correction,
    event_epc,
    event_field,
    event_persistent_disposition,
    event_sensor,
    event_source_dest,
    vocabulary_attribute,
    vocabulary_child,
)
from medtrace.store.visibility import visible_condition

__all__ = ["MATCH_ROLES", "QueryPage", "QueryTooLargeError", "run_query", "where_clause"]

#: ``MATCH_`` parameter field → the ``event_epc`` roles it looks at (EPCIS 2.0 §8.2.7.1).
MATCH_ROLES: Final[tuple[tuple[str, tuple[int, ...]], ...]] = (
    ("match_epc", (ROLE_EPC, ROLE_CHILD)),
    ("match_parent_id", (ROLE_PARENT,)),
    ("match_input_epc", (ROLE_INPUT,)),
    ("match_output_epc", (ROLE_OUTPUT,)),
    ("match_any_epc", (ROLE_EPC, ROLE_PARENT, ROLE_CHILD, ROLE_INPUT, ROLE_OUTPUT)),
    ("match_epc_class", (ROLE_QUANTITY_CLASS, ROLE_CHILD_CLASS)),
    ("match_input_epc_class", (ROLE_INPUT_CLASS,)),
    ("match_output_epc_class", (ROLE_OUTPUT_CLASS,)),
    (
        "match_any_epc_class",
        (ROLE_QUANTITY_CLASS, ROLE_CHILD_CLASS, ROLE_INPUT_CLASS, ROLE_OUTPUT_CLASS),
    ),
)
_CLASS_ROLES: Final = (ROLE_QUANTITY_CLASS, ROLE_CHILD_CLASS, ROLE_INPUT_CLASS, ROLE_OUTPUT_CLASS)
_IDPAT: Final = re.compile(r"urn:epc:idpat:(?P<scheme>[a-z0-9-]+):(?P<body>.+)")
_DL_BASE: Final = "https://id.gs1.org"
#: ``ExtensionScope`` → ``event_field.scope`` (see ``schema.event_field``).
_FIELD_SCOPES: Final[dict[ExtensionScope, str]] = {
    ExtensionScope.EVENT: "event",
    ExtensionScope.ILMD: "ilmd",
    ExtensionScope.ERROR_DECLARATION: "error",
    ExtensionScope.SENSOR_ELEMENT: "sensorElement",
    ExtensionScope.SENSOR_METADATA: "sensorMetadata",
    ExtensionScope.SENSOR_REPORT: "sensorReport",
    ExtensionScope.READ_POINT: "readPoint",
    ExtensionScope.BIZ_LOCATION: "bizLocation",
}
#: ``SensorComponent`` → ``event_sensor`` column.
_SENSOR_COLUMNS: Final[dict[SensorComponent, str]] = {
    SensorComponent.VALUE: "value",
    SensorComponent.MIN_VALUE: "min_value",
    SensorComponent.MAX_VALUE: "max_value",
    SensorComponent.MEAN_VALUE: "mean_value",
    SensorComponent.SDEV: "s_dev",
    SensorComponent.PERC_VALUE: "perc_value",
    SensorComponent.PERC_RANK: "perc_rank",
}
#: Master-data vocabulary types holding the location hierarchy (EPCIS 1.2/2.0 §7.2, CBV §10).
_LOCATION_VTYPES: Final = (
    "urn:epcglobal:epcis:vtype:ReadPoint",
    "urn:epcglobal:epcis:vtype:BusinessLocation",
    "urn:epcglobal:epcis:vtype:Location",
)


class QueryTooLargeError(EpcisError):
    """More events match than ``maxEventCount`` allows (EPCIS 2.0 §8.2.7.1, §8.2.3)."""

    exception_type = "QueryTooLargeException"


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One page of a query result: events in query order and the token of the next page."""

    events: list[Event]
    next_page_token: str | None = None


def _seq_in(select: sa.Select[tuple[int]]) -> sa.ColumnElement[bool]:
    return event.c.seq.in_(select)


def _in(column: sa.ColumnElement[Any], values: Iterable[object]) -> sa.ColumnElement[bool]:
    """``column IN (:p1, :p2, …)``, one bound parameter per value.

    Not SQLAlchemy's "expanding" parameter: that one is rendered anew on every execution, with
    a pass over the whole statement text, and a statement carrying an organization's
    visibility rules (tens of kilobytes of SQL, :mod:`medtrace.store.visibility`) spent most of
    its time there. Values are still bound, never inlined.
    """
    return column.in_([sa.bindparam(None, value, type_=column.type) for value in values])


def _time_range(
    column: sa.ColumnElement[object], ge: datetime | None, lt: datetime | None
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if ge is not None:
        conditions.append(column >= to_micros(ge))
    if lt is not None:
        conditions.append(column < to_micros(lt))
    return conditions


def _descendants(roots: Sequence[str]) -> sa.CTE:
    """Every descendant of ``roots`` in the location hierarchy (recursive CTE)."""
    vc = vocabulary_child
    seed = sa.select(vc.c.child_id.label("id")).where(
        _in(vc.c.vtype, _LOCATION_VTYPES), _in(vc.c.parent_id, roots)
    )
    tree = seed.cte("wd_location", recursive=True, nesting=True)
    below = sa.select(vc.c.child_id).join(tree, vc.c.parent_id == tree.c.id)
    return tree.union(below.where(_in(vc.c.vtype, _LOCATION_VTYPES)))


def _location(
    column: sa.ColumnElement[object], equal: Sequence[str], within: Sequence[str]
) -> list[sa.ColumnElement[bool]]:
    """``EQ_`` OR ``WD_`` on a location column: either may match (EPCIS 2.0 §8.2.7.1)."""
    if not equal and not within:
        return []
    options: list[sa.ColumnElement[bool]] = []
    if equal:
        options.append(_in(column, [canonical_epc(v) for v in equal]))
    if within:
        roots = [canonical_epc(v) for v in within]
        tree = _descendants(roots)
        options += [_in(column, roots), column.in_(sa.select(tree.c.id))]
    return [sa.or_(*options)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_prefix(column: sa.ColumnElement[str], prefix: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix`` (case-sensitive, index-friendly on both backends)."""
    if dialect == "sqlite":
        successor = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return sa.and_(column >= prefix, column < successor)
    return column.like(_escape_like(prefix) + "%", escape="\\")


#: EPC pattern scheme → (Digital Link path of its key, number of URN fields making up the key,
#: whether the key opens with the indicator/extension digit (the first digit of the second
#: field), padding before the company prefix, what follows a complete key). EPC TDS §7
#: (EPC ↔ GS1 key), GS1 Digital Link URI Syntax §4.
_DL_KEYS: Final[dict[str, tuple[str, int, bool, str, str]]] = {
    "sgtin": ("01", 2, True, "", "/"),
    "sscc": ("00", 2, True, "", "/"),
    "sgln": ("414", 2, False, "", "/"),
    "grai": ("8003", 2, False, "0", ""),
    "giai": ("8004", 2, False, "", ""),
    "gsrn": ("8018", 2, False, "", "/"),
    "gdti": ("253", 2, False, "", ""),
}


def digital_link_prefixes(pattern: str) -> tuple[str, ...]:
    """Prefixes of the canonical Digital Link keys an EPC pattern URI stands for.

    ``sgtin``/``sscc`` keys open with an indicator or extension digit that is the first digit
    of the second URN field, so a pattern fixing only the company prefix gives ten prefixes.

    >>> digital_link_prefixes("urn:epc:idpat:sgtin:0614141.107346.*")
    ('https://id.gs1.org/01/10614141073464/',)
    >>> len(digital_link_prefixes("urn:epc:idpat:sscc:0614141.*"))
    10
    >>> digital_link_prefixes("urn:epc:idpat:grai:0614141.12345.*")
    ('https://id.gs1.org/8003/00614141123452',)
    """
    match = _IDPAT.fullmatch(pattern)
    if match is None or match["scheme"] not in _DL_KEYS:
        return ()
    ai, key_fields, leading_digit, pad, after = _DL_KEYS[match["scheme"]]
    base = f"{_DL_BASE}/{ai}/"
    fixed = [part for part in match["body"].split(".") if part != "*"]
    if not fixed:
        return (base,)
    if not all(part.isdigit() for part in fixed[:key_fields]):
        return ()
    company = fixed[0]
    if len(fixed) < key_fields:
        if leading_digit:
            return tuple(f"{base}{digit}{company}" for digit in "0123456789")
        return (f"{base}{pad}{company}",)
    reference = fixed[1]
    if leading_digit:
        if not reference:
            return ()
        digits = reference[0] + company + reference[1:]
    else:
        digits = pad + company + reference
    return (f"{base}{digits}{mod10(digits)}{after}",)


def _pattern_condition(pattern: EpcPattern, dialect: str) -> sa.ColumnElement[bool]:
    """``epc.uri`` matches one ``MATCH_`` value (EPCIS 2.0 §8.2.7.1.1)."""
    exact = set(pattern.exact) | {canonical_epc(value) for value in pattern.exact}
    prefixes = set(pattern.prefixes)
    if pattern.kind is PatternKind.EPC_PATTERN and pattern.prefixes:
        exact.add(canonical_epc(pattern.uri))
        prefixes.update(digital_link_prefixes(pattern.uri))
    options: list[sa.ColumnElement[bool]] = [_in(epc.c.uri, sorted(exact))] if exact else []
    options += [_has_prefix(epc.c.uri, prefix, dialect) for prefix in sorted(prefixes)]
    return sa.or_(*options)


def _match(
    roles: Sequence[int], patterns: Sequence[EpcPattern], dialect: str
) -> sa.ColumnElement[bool]:
    ids = sa.select(epc.c.id).where(sa.or_(*(_pattern_condition(p, dialect) for p in patterns)))
    return _seq_in(
        sa.select(event_epc.c.seq).where(_in(event_epc.c.role, roles), event_epc.c.epc_id.in_(ids))
    )


def _source_dest(kind: str, matches: Sequence[FieldMatch]) -> list[sa.ColumnElement[bool]]:
    """``EQ_source_type`` / ``EQ_destination_type`` (values canonical, like the stored ones)."""
    sd = event_source_dest
    return [
        _seq_in(
            sa.select(sd.c.seq).where(
                sd.c.kind == kind,
                sd.c.type == match.type,
                _in(sd.c.value, [canonical_epc(v) for v in match.values]),
            )
        )
        for match in matches
    ]


def _compare(
    column: sa.ColumnElement[object], op: FilterOp, value: object
) -> sa.ColumnElement[bool]:
    bound = sa.literal(value, type_=column.type)
    if op is FilterOp.GT:
        return column > bound
    if op is FilterOp.GE:
        return column >= bound
    if op is FilterOp.LT:
        return column < bound
    if op is FilterOp.LE:
        return column <= bound
    return column == bound


def _equal_values(f: ExtensionFilter) -> sa.ColumnElement[bool]:
    """``EQ_`` on an extension field: its text, or its value for numbers and times."""
    ef = event_field
    numbers: list[Decimal] = []
    times: list[int] = []
    for value in f.values:
        try:
            numbers.append(parse_decimal(value))
        except InvalidValueError:
            try:
                times.append(to_micros(parse_timestamp(value)))
            except InvalidValueError:
                continue
    options: list[sa.ColumnElement[bool]] = [_in(ef.c.text_value, f.values)]
    options += [ef.c.num_value == sa.literal(n, type_=DecimalNumber()) for n in numbers]
    if times:
        options.append(_in(ef.c.time_value, times))
    return sa.or_(*options)


def _extension(f: ExtensionFilter) -> sa.ColumnElement[bool]:
    """``{EQ,GT,GE,LT,LE,EXISTS}_[INNER_][scope_]fieldname`` (EPCIS 2.0 §8.2.7.1)."""
    ef = event_field
    name = str(f.field)
    where: list[sa.ColumnElement[bool]] = [ef.c.scope == _FIELD_SCOPES[f.scope]]
    if f.inner:  # nested at any depth below a top-level element (indexed on name)
        where += [ef.c.name == name, ef.c.depth > 0]
    else:
        where += [ef.c.depth == 0, ef.c.path == name]
    if f.op is FilterOp.EQ:
        where.append(_equal_values(f))
    elif f.op is not FilterOp.EXISTS:
        if isinstance(f.bound, datetime):
            where.append(_compare(ef.c.time_value, f.op, to_micros(f.bound)))
        else:
            where.append(_compare(ef.c.num_value, f.op, f.bound))
    return _seq_in(sa.select(ef.c.seq).where(*where))


def _sensor_values(f: SensorFilter) -> sa.ColumnElement[bool]:
    """``{EQ,GT,GE,LT,LE}_{value,minValue,…}_uom`` and ``…_percRank`` (EPCIS 2.0 §8.2.7.1)."""
    es = event_sensor
    column = es.c[_SENSOR_COLUMNS[f.component]]
    where = [es.c.uom == f.uom] if f.uom is not None else []
    if f.op is FilterOp.EQ:
        where.append(sa.or_(*(_compare(column, f.op, v) for v in f.values)))
    else:
        where.append(_compare(column, f.op, f.values[0]))
    return _seq_in(sa.select(es.c.seq).where(*where))


def _sensor_filters(q: EventQuery) -> list[sa.ColumnElement[bool]]:
    """The sensor parameters (EPCIS 2.0 §8.2.7.1), each on its own (ANDed per event)."""
    es = event_sensor
    where: list[sa.ColumnElement[bool]] = []
    if q.exists_sensor_element_list:
        where.append(sa.true())
    for ge, lt, columns in (
        (q.ge_time, q.lt_time, (es.c.meta_time, es.c.time)),
        (q.ge_start_time, q.lt_start_time, (es.c.start_time,)),
        (q.ge_end_time, q.lt_end_time, (es.c.end_time,)),
    ):
        ranges = zip(*(_time_range(col, ge, lt) for col in columns), strict=True)
        where.extend(sa.or_(*column_range) for column_range in ranges)
    for values, columns in (
        (q.measurement_types, (es.c.type,)),
        (q.device_ids, (es.c.device_id, es.c.meta_device_id)),
        (
            q.data_processing_methods,
            (es.c.data_processing_method, es.c.meta_data_processing_method),
        ),
        (q.microorganisms, (es.c.microorganism,)),
        (q.chemical_substances, (es.c.chemical_substance,)),
        (q.biz_rules, (es.c.biz_rules,)),
        (q.string_values, (es.c.string_value,)),
        (q.uri_values, (es.c.uri_value,)),
    ):
        if values:
            where.append(sa.or_(*(_in(column, values) for column in columns)))
    if q.hex_binary_values:
        where.append(_in(sa.func.upper(es.c.hex_binary_value), q.hex_binary_values))
    if q.boolean_value is not None:
        where.append(es.c.boolean_value.is_(q.boolean_value))
    conditions = [_seq_in(sa.select(es.c.seq).where(w)) for w in where]
    return conditions + [_sensor_values(f) for f in q.sensor_filters]


def _quantity(f: QuantityFilter) -> sa.ColumnElement[bool]:
    """``{EQ,GT,GE,LT,LE}_quantity[_uom]`` on quantity elements (EPCIS 2.0 §8.2.7.1)."""
    ee = event_epc
    where: list[sa.ColumnElement[bool]] = [
        _in(ee.c.role, _CLASS_ROLES),
        ee.c.quantity.is_not(None),
    ]
    if f.uom is not None:
        where.append(ee.c.uom == f.uom)
    where.append(sa.or_(*(_compare(ee.c.quantity, f.op, v) for v in f.values)))
    return _seq_in(sa.select(ee.c.seq).where(*where))


def _attribute_targets(field: str) -> sa.ColumnElement[object] | None:
    """The event column holding the vocabulary element of ``field`` (None for epcClass)."""
    return {
        "readPoint": event.c.read_point,
        "bizLocation": event.c.biz_location,
        "bizStep": event.c.biz_step,
        "disposition": event.c.disposition,
    }.get(field)


def _master_data(field: str, ids: sa.Select[tuple[str]]) -> sa.ColumnElement[bool]:
    """Events whose vocabulary-typed ``field`` names one of ``ids`` (HASATTR/EQATTR)."""
    column = _attribute_targets(field)
    if column is not None:
        return column.in_(ids)
    if field == "epcClass":
        classes = sa.select(epc.c.id).where(epc.c.uri.in_(ids))
        return _seq_in(
            sa.select(event_epc.c.seq).where(
                _in(event_epc.c.role, _CLASS_ROLES), event_epc.c.epc_id.in_(classes)
            )
        )
    # a field that is not of a vocabulary type has no master data: nothing matches
    return sa.false()


def where_clause(query: EventQuery, dialect: str) -> list[sa.ColumnElement[bool]]:
    """Every filter of ``query`` as SQL conditions on ``event`` (ANDed by the caller)."""
    q = query
    c: list[sa.ColumnElement[bool]] = []
    if q.event_types:
        c.append(_in(event.c.event_type, q.event_types))
    c += _time_range(event.c.event_time, q.ge_event_time, q.lt_event_time)
    c += _time_range(event.c.record_time, q.ge_record_time, q.lt_record_time)
    if q.actions:
        c.append(_in(event.c.action, [str(a) for a in q.actions]))
    if q.biz_steps:
        c.append(_in(event.c.biz_step, q.biz_steps))
    if q.dispositions:
        c.append(_in(event.c.disposition, q.dispositions))
    for op, values in (("s", q.persistent_disposition_set), ("u", q.persistent_disposition_unset)):
        if values:
            pd = event_persistent_disposition
            c.append(
                _seq_in(sa.select(pd.c.seq).where(pd.c.op == op, _in(pd.c.disposition, values)))
            )
    c += _location(event.c.read_point, q.read_points, q.read_points_with_descendants)
    c += _location(event.c.biz_location, q.biz_locations, q.biz_locations_with_descendants)
    if q.transformation_ids:
        c.append(_in(event.c.transformation_id, q.transformation_ids))
    for name, roles in MATCH_ROLES:
        patterns = getattr(q, name)
        if patterns:
            c.append(_match(roles, patterns, dialect))
    if q.event_ids:
        c.append(sa.or_(_in(event.c.event_id, q.event_ids), _in(event.c.event_hash, q.event_ids)))
    if q.exists_error_declaration:
        c.append(event.c.error_declared.is_(True))
    c += _time_range(
        event.c.error_declaration_time, q.ge_error_declaration_time, q.lt_error_declaration_time
    )
    if q.error_reasons:
        c.append(_in(event.c.error_reason, q.error_reasons))
    if q.corrective_event_ids:
        ec = event_correction
        c.append(
            _seq_in(
                sa.select(ec.c.seq).where(_in(ec.c.corrective_event_id, q.corrective_event_ids))
            )
        )
    for match in q.biz_transactions:
        bt = event_biz_transaction
        c.append(
            _seq_in(
                sa.select(bt.c.seq).where(
                    bt.c.type == match.type,
                    _in(bt.c.value, [*match.values, *(canonical_epc(v) for v in match.values)]),
                )
            )
        )
    c += _source_dest("s", q.sources)
    c += _source_dest("d", q.destinations)
    c += [_quantity(f) for f in q.quantity_filters]
    c += _sensor_filters(q)
    c += [_extension(f) for f in q.extension_filters]
    va = vocabulary_attribute
    for has in q.has_attributes:
        ids = sa.select(va.c.id).where(_in(va.c.attr, has.attributes))
        c.append(_master_data(has.field, ids))
    for eq in q.attribute_equals:
        ids = sa.select(va.c.id).where(va.c.attr == eq.attribute, _in(va.c.value, eq.values))
        c.append(_master_data(eq.field, ids))
    return c


def _check_size(conn: Connection, conditions: list[sa.ColumnElement[bool]], limit: int) -> None:
    """Raise :class:`QueryTooLargeError` if more than ``limit`` events match."""
    probe = sa.select(event.c.seq).where(*conditions).limit(limit + 1).subquery()
    found = conn.execute(sa.select(sa.func.count()).select_from(probe)).scalar_one()
    if found > limit:
        raise QueryTooLargeError(
            f"the query matches more than maxEventCount={limit} events; narrow it or page "
            "through the result with perPage"
        )


def run_query(
    conn: Connection,
    query: EventQuery,
    *,
    page_token: str | None = None,
    per_page: int | None = None,
    principal: Principal | None = None,
) -> QueryPage:
    """Run ``query``; return one page (all events when ``per_page`` is ``None``).

    ``principal`` restricts the result to the events that organization may see
    (:mod:`medtrace.store.visibility`); ``None`` (the CLI, the installation itself) sees all.

    ``eventCountLimit`` truncates the whole result (across pages); ``maxEventCount`` raises
    :class:`QueryTooLargeError` when the whole result would be larger (checked on the first
    page). ``page_token`` is the ``next_page_token`` of the previous page of the same query
    (refused once revoked, :mod:`medtrace.store.page_tokens`).
    """
    if per_page is not None and per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    conditions = where_clause(query, conn.dialect.name)
    visible = visible_condition(principal, conn.dialect.name)
    if visible is not None:
        conditions.append(visible)
    cursor = None
    if page_token is not None:
        cursor = decode_token(query, page_token)
        check_not_revoked(conn, page_token)
    returned = cursor.returned if cursor else 0
    if cursor is None and query.max_event_count is not None:
        _check_size(conn, conditions, query.max_event_count)
    key = sort_key(query)
    if cursor is not None:
        conditions.append(keyset_condition(key, cursor))
    size = per_page
    if query.event_count_limit is not None:
        remaining = max(query.event_count_limit - returned, 0)
        size = remaining if size is None else min(size, remaining)
    if size == 0:
        return QueryPage(events=[])
    stmt = sa.select(event.c.body, *key.columns).where(*conditions).order_by(*key.order_by())
    if size is not None:
        stmt = stmt.limit(size + 1)
    rows = conn.execute(stmt).all()
    more = size is not None and len(rows) > size
    rows = rows[:size] if size is not None else rows
    try:
        events = [decode_event(row[0]) for row in rows]
    except msgspec.DecodeError as exc:  # pragma: no cover - bodies are written by capture
        raise EpcisError(f"a stored event body cannot be decoded: {exc}") from exc
    token = None
    total = returned + len(rows)
    limit_left = query.event_count_limit is None or total < query.event_count_limit
    if more and rows and limit_left:
        last = rows[-1]
        keys = tuple(last[1:-1])
        token = encode_token(query, Cursor(keys=keys, seq=int(last[-1]), returned=total))
    return QueryPage(events=events, next_page_token=token)
