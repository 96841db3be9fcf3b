"""The typed, immutable EPCIS 2.0 event query (SimpleEventQuery, EPCIS 2.0 §8.2.7.1).

:class:`EventQuery` has one field per fixed-name parameter (see
:mod:`medtrace.epcis.query_params`) and one sorted tuple per parameter family. Absent
parameters are ``None``, ``()`` or ``False``. Values are in canonical form: times in UTC, CBV
values as URNs (measurement types as ``https://gs1.org/voc/…`` URIs), extension field names as
:class:`~medtrace.epcis.query_values.FieldName`, numbers as :class:`~decimal.Decimal`.

Semantics the executor must keep (EPCIS 2.0 §8.2.7.1): different parameters are ANDed; the
values of one list parameter are ORed; ``EQ_readPoint`` with ``WD_readPoint`` (and the
``bizLocation`` pair) match an event satisfying either; ranges that cannot be satisfied
(``GE_eventTime`` after ``LT_eventTime``) are valid and select nothing; ``INNER`` filters
look at extension elements nested at any depth, the others at top-level ones only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

import msgspec

from medtrace.epcis.query_params import FIXED_PARAMS
from medtrace.epcis.query_patterns import EpcPattern
from medtrace.epcis.query_values import (
    Action,
    FieldName,
    OrderDirection,
    format_decimal,
    format_timestamp,
    vocab_short_form,
)
from medtrace.epcis.vocab import VocabKind

__all__ = [
    "AttrEquals",
    "EventQuery",
    "ExtensionFilter",
    "ExtensionScope",
    "FieldMatch",
    "FilterOp",
    "HasAttr",
    "QuantityFilter",
    "SensorComponent",
    "SensorFilter",
]


class FilterOp(StrEnum):
    """The comparison prefix of a parameter name (EPCIS 2.0 §8.2.7.1)."""

    EQ = "EQ"
    GT = "GT"
    GE = "GE"
    LT = "LT"
    LE = "LE"
    EXISTS = "EXISTS"


class ExtensionScope(StrEnum):
    """Where an extension field sits; the value is its infix in the parameter name."""

    #: A user extension field of the event itself (``EQ_fieldname``).
    EVENT = ""
    #: Inside ``ilmd`` (``EQ_ILMD_fieldname``).
    ILMD = "ILMD"
    #: Inside ``errorDeclaration`` (``EQ_ERROR_DECLARATION_fieldname``).
    ERROR_DECLARATION = "ERROR_DECLARATION"
    #: Inside a ``sensorElement`` (``EQ_SENSORELEMENT_fieldname``).
    SENSOR_ELEMENT = "SENSORELEMENT"
    #: Inside ``sensorMetadata`` (``EQ_SENSORMETADATA_fieldname``).
    SENSOR_METADATA = "SENSORMETADATA"
    #: Inside a ``sensorReport`` (``EQ_SENSORREPORT_fieldname``).
    SENSOR_REPORT = "SENSORREPORT"
    #: Inside ``readPoint`` (``EQ_readPoint_fieldname``).
    READ_POINT = "readPoint"
    #: Inside ``bizLocation`` (``EQ_bizLocation_fieldname``).
    BIZ_LOCATION = "bizLocation"


class SensorComponent(StrEnum):
    """The ``sensorReport`` attribute compared by a sensor filter (EPCIS 2.0 §7.3.8)."""

    VALUE = "value"
    MIN_VALUE = "minValue"
    MAX_VALUE = "maxValue"
    MEAN_VALUE = "meanValue"
    SDEV = "sDev"
    PERC_VALUE = "percValue"
    PERC_RANK = "percRank"


class FieldMatch(msgspec.Struct, frozen=True, kw_only=True):
    """``EQ_bizTransaction_type`` / ``EQ_source_type`` / ``EQ_destination_type``.

    ``type`` is the canonical URN for CBV types (``urn:epcglobal:cbv:btt:po``), a user URI,
    or a non-CBV bare word as written (the query schema's ``[a-z][a-zA-Z0-9_]+``).
    """

    type: str
    values: tuple[str, ...]


class ExtensionFilter(msgspec.Struct, frozen=True, kw_only=True):
    """``{EQ,GT,GE,LT,LE,EXISTS}_[INNER_][scope_]fieldname`` on an extension field.

    ``EQ`` filters carry ``values`` (strings compared with the field's text; a field of numeric
    or time type may also be compared by value); ``GT``…``LE`` carry ``bound`` (a number or
    a time); ``EXISTS`` carries neither.
    """

    field: FieldName
    op: FilterOp
    values: tuple[str, ...] = ()
    bound: Decimal | datetime | None = None
    inner: bool = False
    scope: ExtensionScope = ExtensionScope.EVENT

    @property
    def ilmd(self) -> bool:
        """Whether the filter looks inside ``ilmd``."""
        return self.scope is ExtensionScope.ILMD

    @property
    def key(self) -> tuple[str, bool, str, str, str]:
        """What makes two filters the same parameter (used for ordering and duplicates)."""
        return (self.scope, self.inner, self.field.namespace, self.field.local, self.op)

    def param(self) -> tuple[str, str]:
        """This filter as a query-string parameter."""
        scope = f"{self.scope}_" if self.scope else ""
        name = f"{self.op}_{'INNER_' if self.inner else ''}{scope}{self.field}"
        if self.op is FilterOp.EXISTS:
            return name, "true"
        if self.op is FilterOp.EQ:
            return name, "|".join(self.values)
        bound = self.bound
        text = format_timestamp(bound) if isinstance(bound, datetime) else str(bound)
        return name, text


class SensorFilter(msgspec.Struct, frozen=True, kw_only=True):
    """``{EQ,GT,GE,LT,LE}_{value,minValue,…}_uom`` and ``{GT,GE,LT,LE}_percRank``.

    ``uom`` is a UN/CEFACT Rec. 20 code (``CEL``); it is ``None`` only for ``percRank``.
    ``EQ`` may list several values; the other operators carry one.
    """

    component: SensorComponent
    op: FilterOp
    uom: str | None
    values: tuple[Decimal, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        """Ordering and duplicate key."""
        return (self.component, self.uom or "", self.op)

    def param(self) -> tuple[str, str]:
        """This filter as a query-string parameter."""
        suffix = f"_{self.uom}" if self.uom else ""
        return f"{self.op}_{self.component}{suffix}", "|".join(map(format_decimal, self.values))


class QuantityFilter(msgspec.Struct, frozen=True, kw_only=True):
    """``{EQ,GT,GE,LT,LE}_quantity[_uom]`` on the quantity of a quantity element.

    Deprecated in EPCIS 1.1 and repurposed by EPCIS 2.0 for ``quantityList`` elements; ``uom``
    ``None`` means the parameter had no unit suffix.
    """

    op: FilterOp
    uom: str | None
    values: tuple[Decimal, ...]

    @property
    def key(self) -> tuple[str, str]:
        """Ordering and duplicate key."""
        return (self.uom or "", self.op)

    def param(self) -> tuple[str, str]:
        """This filter as a query-string parameter."""
        suffix = f"_{self.uom}" if self.uom else ""
        return f"{self.op}_quantity{suffix}", "|".join(map(format_decimal, self.values))


class HasAttr(msgspec.Struct, frozen=True, kw_only=True):
    """``HASATTR_fieldname``: the master data of the vocabulary element in ``field`` has one
    of ``attributes`` (EPCIS 2.0 §8.2.7.1). ``field`` and the attribute names are as given."""

    field: str
    attributes: tuple[str, ...]

    def param(self) -> tuple[str, str]:
        """This filter as a query-string parameter."""
        return f"HASATTR_{self.field}", "|".join(self.attributes)


class AttrEquals(msgspec.Struct, frozen=True, kw_only=True):
    """``EQATTR_fieldname_attrname``: that master-data attribute equals one of ``values``."""

    field: str
    attribute: str
    values: tuple[str, ...]

    def param(self) -> tuple[str, str]:
        """This filter as a query-string parameter."""
        return f"EQATTR_{self.field}_{self.attribute}", "|".join(self.values)


_SOURCE_KINDS: Final[tuple[tuple[str, str, VocabKind], ...]] = (
    ("biz_transactions", "EQ_bizTransaction_", "bizTransactionType"),
    ("sources", "EQ_source_", "sourceDestType"),
    ("destinations", "EQ_destination_", "sourceDestType"),
)


class EventQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A validated SimpleEventQuery (EPCIS 2.0 §8.2.7.1); build it with ``parse_query``.

    Fields are named after their parameters (``GE_eventTime`` → ``ge_event_time``,
    ``EQ_bizStep`` → ``biz_steps``, ``WD_readPoint`` → ``read_points_with_descendants``,
    ``MATCH_anyEPC`` → ``match_any_epc``, ``EQ_type`` → ``measurement_types``).
    """

    event_types: tuple[str, ...] = ()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    actions: tuple[Action, ...] = ()
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    persistent_disposition_set: tuple[str, ...] = ()
    persistent_disposition_unset: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    read_points_with_descendants: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    biz_locations_with_descendants: tuple[str, ...] = ()
    transformation_ids: tuple[str, ...] = ()
    match_epc: tuple[EpcPattern, ...] = ()
    match_parent_id: tuple[EpcPattern, ...] = ()
    match_input_epc: tuple[EpcPattern, ...] = ()
    match_output_epc: tuple[EpcPattern, ...] = ()
    match_any_epc: tuple[EpcPattern, ...] = ()
    match_epc_class: tuple[EpcPattern, ...] = ()
    match_input_epc_class: tuple[EpcPattern, ...] = ()
    match_output_epc_class: tuple[EpcPattern, ...] = ()
    match_any_epc_class: tuple[EpcPattern, ...] = ()
    event_ids: tuple[str, ...] = ()
    exists_error_declaration: bool = False
    ge_error_declaration_time: datetime | None = None
    lt_error_declaration_time: datetime | None = None
    error_reasons: tuple[str, ...] = ()
    corrective_event_ids: tuple[str, ...] = ()
    order_by: str | FieldName | None = None
    order_direction: OrderDirection | None = None
    event_count_limit: int | None = None
    max_event_count: int | None = None
    exists_sensor_element_list: bool = False
    ge_time: datetime | None = None
    lt_time: datetime | None = None
    ge_start_time: datetime | None = None
    lt_start_time: datetime | None = None
    ge_end_time: datetime | None = None
    lt_end_time: datetime | None = None
    measurement_types: tuple[str, ...] = ()
    device_ids: tuple[str, ...] = ()
    data_processing_methods: tuple[str, ...] = ()
    microorganisms: tuple[str, ...] = ()
    chemical_substances: tuple[str, ...] = ()
    biz_rules: tuple[str, ...] = ()
    string_values: tuple[str, ...] = ()
    boolean_value: bool | None = None
    hex_binary_values: tuple[str, ...] = ()
    uri_values: tuple[str, ...] = ()
    quantity_filters: tuple[QuantityFilter, ...] = ()
    sensor_filters: tuple[SensorFilter, ...] = ()
    biz_transactions: tuple[FieldMatch, ...] = ()
    sources: tuple[FieldMatch, ...] = ()
    destinations: tuple[FieldMatch, ...] = ()
    extension_filters: tuple[ExtensionFilter, ...] = ()
    has_attributes: tuple[HasAttr, ...] = ()
    attribute_equals: tuple[AttrEquals, ...] = ()

    @property
    def effective_order_direction(self) -> OrderDirection:
        """``order_direction``, or ``DESC``, the default of EPCIS 2.0 §8.2.7.1."""
        return self.order_direction or OrderDirection.DESC

    def to_params(self) -> list[tuple[str, str]]:
        """The query as REST query-string parameters (unencoded name/value pairs).

        ``parse_query(q.to_params()) == q``. Extension field names are written as
        ``namespace#local`` (no ``GS1-Extensions`` header needed), CBV values as bare words,
        times in UTC. Percent-encode the pairs (``urllib.parse.urlencode``) for a URL.

        >>> from medtrace.epcis.query import parse_query
        >>> parse_query({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"}).to_params()
        [('EQ_bizStep', 'shipping')]
        """
        params: list[tuple[str, str]] = []
        for fixed in FIXED_PARAMS.values():
            value = getattr(self, fixed.field)
            if value == fixed.codec.absent:
                continue
            params.append((fixed.name, fixed.codec.format(value)))
        params.extend(f.param() for f in self.quantity_filters)
        params.extend(f.param() for f in self.sensor_filters)
        for field, prefix, kind in _SOURCE_KINDS:
            matches: tuple[FieldMatch, ...] = getattr(self, field)
            params.extend(
                (prefix + vocab_short_form(kind, m.type), "|".join(m.values)) for m in matches
            )
        params.extend(f.param() for f in self.extension_filters)
        params.extend(f.param() for f in self.has_attributes)
        params.extend(f.param() for f in self.attribute_equals)
        return params
