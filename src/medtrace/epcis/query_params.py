"""The fixed-name parameters of SimpleEventQuery and their value codecs (EPCIS 2.0 §8.2.7.1).

Each :class:`FixedParam` ties a parameter name to the :class:`~medtrace.epcis.query.EventQuery`
field that holds it and to a :class:`Codec` (parse from / format to the query-string value).
The parameter families (``EQ_bizTransaction_type``, ``EQ_fieldname``, ``GE_minValue_uom`` …)
are parsed in :mod:`medtrace.epcis.query`; ``EQ_quantity``/``GT_quantity``… and the
``…_percRank`` parameters belong to those families (a quantity or sensor filter without a unit).

The list follows the REST binding's ``query-schema.json`` (properties) and ``openapi.yaml``
(``/events`` parameters). Where they disagree, both spellings are read:
``GE_errorDeclaration_Time`` (schema) is read as ``GE_errorDeclarationTime`` (openapi, EPCIS
2.0 §8.2.7.1), and the latter is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from medtrace.epcis.query_patterns import parse_pattern
from medtrace.epcis.query_values import (
    Action,
    FieldName,
    InvalidValueError,
    OrderDirection,
    format_timestamp,
    parse_bool,
    parse_count,
    parse_exists,
    parse_field_name,
    parse_timestamp,
    parse_uri,
    parse_vocab,
    split_list,
    vocab_short_form,
)
from medtrace.epcis.vocab import VocabKind

__all__ = ["ALIASES", "FIXED_PARAMS", "PAGINATION_PARAMS", "STANDARD_EVENT_TYPES", "FixedParam"]

T = TypeVar("T")
Prefixes = Mapping[str, str]

#: The five standard event types (EPCIS 2.0 §7.4); others must be URIs of extension types.
STANDARD_EVENT_TYPES: Final = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)
#: REST pagination (EPCIS 2.0 §12.6, ``perPage``/``nextPageToken``): not query parameters.
PAGINATION_PARAMS: Final = frozenset({"perPage", "nextPageToken"})
_ORDER_KEYS: Final = frozenset({"eventTime", "recordTime"})


@dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """How one parameter's value is read from and written to a query string.

    ``absent`` is the field value that means "not given"; it is never written.
    """

    parse: Callable[[str, Prefixes], T]
    format: Callable[[T], str]
    absent: object = None


@dataclass(frozen=True, slots=True)
class FixedParam:
    """A fixed-name parameter: its name, the ``EventQuery`` field, and its codec."""

    name: str
    field: str
    codec: Codec[Any]


def _list(item: Callable[[str, Prefixes], T], fmt: Callable[[T], str]) -> Codec[tuple[T, ...]]:
    return Codec(
        parse=lambda text, px: tuple(item(value, px) for value in split_list(text)),
        format=lambda values: "|".join(fmt(value) for value in values),
        absent=(),
    )


def _event_type(text: str, _: Prefixes) -> str:
    if text in STANDARD_EVENT_TYPES:
        return text
    try:
        return parse_uri(text)
    except InvalidValueError:
        raise InvalidValueError(
            f"{text!r} is neither a standard event type nor the URI of an extension event type"
        ) from None


def _action(text: str, _: Prefixes) -> Action:
    try:
        return Action(text)
    except ValueError:
        raise InvalidValueError("expected ADD, OBSERVE or DELETE") from None


def _order_direction(text: str, _: Prefixes) -> OrderDirection:
    try:
        return OrderDirection(text)
    except ValueError:
        raise InvalidValueError("expected ASC or DESC") from None


def _order_by(text: str, prefixes: Prefixes) -> str | FieldName:
    """``eventTime``, ``recordTime`` or a qualified extension field name (EPCIS 2.0 §8.2.7.1)."""
    return text if text in _ORDER_KEYS else parse_field_name(text, prefixes)


def _hex(text: str, _: Prefixes) -> str:
    """``xsd:hexBinary``, upper-cased (its canonical form)."""
    if len(text) % 2 or any(char not in "0123456789abcdefABCDEF" for char in text):
        raise InvalidValueError("expected hexBinary: an even number of hexadecimal digits")
    return text.upper()


def _vocab(kind: VocabKind) -> Codec[tuple[str, ...]]:
    return _list(
        lambda text, px: parse_vocab(kind, text, px),
        lambda value: vocab_short_form(kind, value),
    )


def _ident(value: str) -> str:
    return value


_TIME: Final = Codec(lambda text, _: parse_timestamp(text), format_timestamp)
_COUNT: Final = Codec(lambda text, _: parse_count(text), str)
_EXISTS: Final = Codec(lambda text, _: parse_exists(text), lambda _: "true", absent=False)
_BOOL: Final = Codec(lambda text, _: parse_bool(text), lambda v: "true" if v else "false")
_URIS: Final = _list(lambda text, _: parse_uri(text), _ident)
_STRINGS: Final = _list(lambda text, _: text, _ident)
_PATTERNS: Final = _list(lambda text, _: parse_pattern(text), lambda p: p.uri)


def _fmt_order_by(value: str | FieldName) -> str:
    return str(value)


_PARAMS: Final[tuple[tuple[str, str, Codec[Any]], ...]] = (
    ("eventType", "event_types", _list(_event_type, _ident)),
    ("GE_eventTime", "ge_event_time", _TIME),
    ("LT_eventTime", "lt_event_time", _TIME),
    ("GE_recordTime", "ge_record_time", _TIME),
    ("LT_recordTime", "lt_record_time", _TIME),
    ("EQ_action", "actions", _list(_action, str)),
    ("EQ_bizStep", "biz_steps", _vocab("bizStep")),
    ("EQ_disposition", "dispositions", _vocab("disposition")),
    ("EQ_persistentDisposition_set", "persistent_disposition_set", _vocab("disposition")),
    ("EQ_persistentDisposition_unset", "persistent_disposition_unset", _vocab("disposition")),
    ("EQ_readPoint", "read_points", _URIS),
    ("WD_readPoint", "read_points_with_descendants", _URIS),
    ("EQ_bizLocation", "biz_locations", _URIS),
    ("WD_bizLocation", "biz_locations_with_descendants", _URIS),
    ("EQ_transformationID", "transformation_ids", _URIS),
    ("MATCH_epc", "match_epc", _PATTERNS),
    ("MATCH_parentID", "match_parent_id", _PATTERNS),
    ("MATCH_inputEPC", "match_input_epc", _PATTERNS),
    ("MATCH_outputEPC", "match_output_epc", _PATTERNS),
    ("MATCH_anyEPC", "match_any_epc", _PATTERNS),
    ("MATCH_epcClass", "match_epc_class", _PATTERNS),
    ("MATCH_inputEPCClass", "match_input_epc_class", _PATTERNS),
    ("MATCH_outputEPCClass", "match_output_epc_class", _PATTERNS),
    ("MATCH_anyEPCClass", "match_any_epc_class", _PATTERNS),
    ("EQ_eventID", "event_ids", _URIS),
    ("EXISTS_errorDeclaration", "exists_error_declaration", _EXISTS),
    ("GE_errorDeclarationTime", "ge_error_declaration_time", _TIME),
    ("LT_errorDeclarationTime", "lt_error_declaration_time", _TIME),
    ("EQ_errorReason", "error_reasons", _vocab("errorReason")),
    ("EQ_correctiveEventID", "corrective_event_ids", _URIS),
    ("orderBy", "order_by", Codec(_order_by, _fmt_order_by)),
    ("orderDirection", "order_direction", Codec(_order_direction, str)),
    ("eventCountLimit", "event_count_limit", _COUNT),
    ("maxEventCount", "max_event_count", _COUNT),
    ("EXISTS_sensorElementList", "exists_sensor_element_list", _EXISTS),
    ("GE_time", "ge_time", _TIME),
    ("LT_time", "lt_time", _TIME),
    ("GE_startTime", "ge_start_time", _TIME),
    ("LT_startTime", "lt_start_time", _TIME),
    ("GE_endTime", "ge_end_time", _TIME),
    ("LT_endTime", "lt_end_time", _TIME),
    ("EQ_type", "measurement_types", _vocab("measurementType")),
    ("EQ_deviceID", "device_ids", _URIS),
    ("EQ_dataProcessingMethod", "data_processing_methods", _URIS),
    ("EQ_microorganism", "microorganisms", _URIS),
    ("EQ_chemicalSubstance", "chemical_substances", _URIS),
    ("EQ_bizRules", "biz_rules", _URIS),
    ("EQ_stringValue", "string_values", _STRINGS),
    ("EQ_booleanValue", "boolean_value", _BOOL),
    ("EQ_hexBinaryValue", "hex_binary_values", _list(_hex, _ident)),
    ("EQ_uriValue", "uri_values", _URIS),
)

#: Fixed parameters in the order :meth:`EventQuery.to_params` writes them.
FIXED_PARAMS: Final[Mapping[str, FixedParam]] = {
    name: FixedParam(name, field, codec) for name, field, codec in _PARAMS
}
#: Other spellings read for a fixed parameter (schema spelling → standard spelling).
ALIASES: Final[Mapping[str, str]] = {
    "GE_errorDeclaration_Time": "GE_errorDeclarationTime",
    "LT_errorDeclaration_Time": "LT_errorDeclarationTime",
}
