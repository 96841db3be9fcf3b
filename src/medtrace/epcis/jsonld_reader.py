"""Read EPCIS 2.0 JSON-LD into the medtrace model (EPCIS 2.0 §10, JSON/JSON-LD binding).

Accepted input: an ``EPCISDocument``, an ``EPCISQueryDocument`` (EPCIS 2.0 §8.2.7) and, where
the REST binding takes a single event (``POST /events``), a bare event with its own
``@context``. Nothing is fetched: see :mod:`medtrace.epcis.jsonld_context`.

* Vocabulary values (bizStep, disposition, persistentDisposition, bizTransaction and
  source/destination types, error reasons, sensor measurement/alert types, components) are
  accepted as bare words (``shipping``), CURIEs (``cbv:BizStep-shipping``, ``gs1:Temperature``),
  CBV URNs and web URIs, and stored in the canonical form of :mod:`medtrace.epcis.vocab`. A
  bare word that is no CBV term of its kind is an error with the value's JSON pointer.
* Members ``prefix:name`` (or full IRIs) are user extensions (EPCIS 2.0 §7.3.2); JSON values
  keep their type in :attr:`Extension.value_type`; arrays become repeated elements, objects
  nested elements. ``{"@value": v, "@type": t}`` is a typed literal, read as the element's
  ``xsi:type``; ``"@attributes": {...}`` (ignored by JSON-LD processors) carries XML
  attributes written by :mod:`medtrace.epcis.jsonld_writer`.
* Times must carry a time zone. Numbers are read exactly (:class:`~decimal.Decimal`).
* Documents larger than ``max_bytes`` raise :class:`DocumentTooLargeError`; for big
  documents :func:`iter_jsonld_events` streams events with bounded memory.

The document members ``id``, ``sender``, ``receiver`` and ``instanceIdentifier`` have no
model field: they are kept as document extensions in the EPCIS namespace
(:data:`EPCIS_JSONLD_NS`) and written back by the writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Final

import ijson  # type: ignore[import-untyped]
import msgspec

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError
from medtrace.epcis.jsonld_context import JsonLdContext
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    EPCISHeader,
    ErrorDeclaration,
    Event,
    ExtAttribute,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
    Vocabulary,
    VocabularyAttribute,
    VocabularyElement,
    plain_location,
)
from medtrace.epcis.vocab import VocabKind, is_standard, to_canonical
from medtrace.epcis.xml_names import XSI_NS
from medtrace.epcis.xml_values import parse_bool, parse_datetime, parse_offset

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DOCUMENT_MEMBERS",
    "EPCIS_JSONLD_NS",
    "iter_jsonld_events",
    "read_jsonld",
    "read_jsonld_event",
    "read_jsonld_message",
]

DEFAULT_MAX_BYTES: Final = 256 * 1024**2
"""In-memory reads refuse larger input; use :func:`iter_jsonld_events` beyond it."""

EPCIS_JSONLD_NS: Final = "https://ref.gs1.org/epcis/"
"""The ``epcis:`` namespace of the JSON-LD context (EPCIS 2.0 §10)."""

DOCUMENT_MEMBERS: Final = ("id", "sender", "receiver", "instanceIdentifier")
"""Document members without a model field, kept as EPCIS-namespace document extensions."""

_DECODER: Final = msgspec.json.Decoder(float_hook=Decimal)
_IJSON: Final[Any] = ijson  # untyped third-party module, used through Any
_EVENT_TYPES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_COMMON: Final = frozenset(
    {
        "@context", "type", "eventTime", "recordTime", "eventTimeZoneOffset", "eventID",
        "certificationInfo", "errorDeclaration", "bizStep", "disposition",
        "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
        "sourceList", "destinationList", "sensorElementList",
    }
)  # fmt: skip
_WHAT: Final[Mapping[str, frozenset[str]]] = {
    "ObjectEvent": frozenset({"action", "epcList", "quantityList", "ilmd"}),
    "AggregationEvent": frozenset({"action", "parentID", "childEPCs", "childQuantityList"}),
    "TransactionEvent": frozenset({"action", "parentID", "epcList", "quantityList"}),
    "TransformationEvent": frozenset(
        {
            "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
            "transformationID", "ilmd",
        }
    ),
    "AssociationEvent": frozenset({"action", "parentID", "childEPCs", "childQuantityList"}),
}  # fmt: skip
_KNOWN: Final = {kind: _COMMON | what for kind, what in _WHAT.items()}
_METADATA_FIELDS: Final = {
    "time": "time", "startTime": "start_time", "endTime": "end_time", "deviceID": "device_id",
    "deviceMetadata": "device_metadata", "rawData": "raw_data",
    "dataProcessingMethod": "data_processing_method", "bizRules": "biz_rules",
}  # fmt: skip
_REPORT_STRINGS: Final = {
    "deviceID": "device_id", "deviceMetadata": "device_metadata", "rawData": "raw_data",
    "dataProcessingMethod": "data_processing_method", "microorganism": "microorganism",
    "chemicalSubstance": "chemical_substance", "stringValue": "string_value",
    "hexBinaryValue": "hex_binary_value", "uriValue": "uri_value", "uom": "uom",
    "coordinateReferenceSystem": "coordinate_reference_system",
}  # fmt: skip
_REPORT_NUMBERS: Final = {
    "value": "value", "minValue": "min_value", "maxValue": "max_value",
    "meanValue": "mean_value", "sDev": "s_dev", "percRank": "perc_rank",
    "percValue": "perc_value",
}  # fmt: skip
_GS1_VOC_KINDS: Final = frozenset({"measurementType", "sensorAlertType"})
_REPORT_VOCAB: Final[Mapping[str, tuple[str, VocabKind]]] = {
    "type": ("type", "measurementType"),
    "exception": ("exception", "sensorAlertType"),
    "component": ("component", "component"),
}


def _ptr(base: str, key: str | int) -> str:
    """Append a reference token to a JSON pointer (RFC 6901 escaping)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


def _fail(message: str, pointer: str) -> EpcisDocumentError:
    return EpcisDocumentError(message, location=pointer or "/")


def _decode(data: bytes | str, max_bytes: int | None) -> object:
    raw = data.encode() if isinstance(data, str) else data
    if max_bytes is not None and len(raw) > max_bytes:
        raise DocumentTooLargeError(
            f"JSON document of {len(raw)} bytes exceeds the limit of {max_bytes} bytes; "
            "use iter_jsonld_events for large documents"
        )
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise EpcisDocumentError(f"not well-formed JSON: {exc}") from None


_IS_STR: Final = str.__instancecheck__


def _obj(value: object, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"expected a JSON object, got {value!r}", pointer)
    return value


def _str(value: object, pointer: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"expected a string, got {value!r}", pointer)
    return value


def _strs(value: object, pointer: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(f"expected an array of strings, got {value!r}", pointer)
    if all(map(_IS_STR, value)):  # the usual case: no item pointer to build
        return tuple(value)
    return tuple(_str(item, _ptr(pointer, i)) for i, item in enumerate(value))


def _list(value: object, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(f"expected an array, got {value!r}", pointer)
    return value


def _time(value: object, pointer: str) -> datetime:
    try:
        return parse_datetime(_str(value, pointer))
    except ValueError as exc:
        raise _fail(str(exc), pointer) from None


def _number(value: object, pointer: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _fail(f"expected a JSON number, got {value!r}", pointer)
    return Decimal(value)


def _scalar_text(value: object, pointer: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    raise _fail(f"expected a string, number or boolean, got {value!r}", pointer)


def _vocab(kind: VocabKind, value: object, pointer: str) -> str:
    """A CBV value in canonical form; an unknown bare word is an error (EPCIS 2.0 §10).

    Measurement and alert types are terms of the open GS1 Web Vocabulary (CBV 2.0 §7.6,
    ``https://gs1.org/voc/``), which grows faster than the context's term list: a bare word
    there is read as a ``gs1:`` term, as the XML binding's ``gs1:EffectiveDoseRate`` is.
    """
    text = _str(value, pointer)
    if ":" not in text and kind in _GS1_VOC_KINDS:
        return to_canonical(kind, "gs1:" + text)
    if ":" not in text and not is_standard(kind, text):
        raise _fail(
            f"{text!r} is not a CBV {kind} term; expected a standard bare word or a URI", pointer
        )
    return to_canonical(kind, text)


# Readers of one member of an event object. The member's JSON pointer is only built when a
# problem is reported: valid events (nearly all of a big document) never need it.


def _str_of(node: Mapping[str, Any], key: str, pointer: str) -> str:
    value = node[key]
    return value if isinstance(value, str) else _str(value, _ptr(pointer, key))


def _time_of(node: Mapping[str, Any], key: str, pointer: str) -> datetime:
    value = node[key]
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    return _time(value, _ptr(pointer, key))


#: Time zone offsets already found valid (``±hh:mm``: a few hundred at most).
_VALID_OFFSETS: Final[set[str]] = set()


def _offset_of(node: Mapping[str, Any], pointer: str) -> str:
    value = node["eventTimeZoneOffset"]
    if isinstance(value, str):
        if value in _VALID_OFFSETS:
            return value
        try:
            offset = parse_offset(value)
        except ValueError:
            pass
        else:
            _VALID_OFFSETS.add(offset)
            return offset
    where = _ptr(pointer, "eventTimeZoneOffset")
    try:
        return parse_offset(_str(value, where))
    except ValueError as exc:
        raise _fail(str(exc), where) from None


#: Canonical forms of the vocabulary values read so far, per kind (:func:`_vocab` depends on
#: nothing else); emptied past :data:`_VOCAB_MEMO_MAX` entries.
_VOCAB_MEMO: Final[dict[str, dict[str, str]]] = {}
_VOCAB_MEMO_MAX: Final = 1024


def _vocab_of(kind: VocabKind, node: Mapping[str, Any], key: str, pointer: str) -> str:
    value = node[key]
    memo = _VOCAB_MEMO.get(kind)
    if memo is None:
        memo = _VOCAB_MEMO[kind] = {}
    if isinstance(value, str):
        hit = memo.get(value)
        if hit is not None:
            return hit
    canonical = _vocab(kind, value, _ptr(pointer, key))
    if isinstance(value, str):
        if len(memo) >= _VOCAB_MEMO_MAX:
            memo.clear()
        memo[value] = canonical
    return canonical


def _strs_of(node: Mapping[str, Any], key: str, pointer: str) -> tuple[str, ...]:
    if key not in node:
        return ()
    value = node[key]
    if isinstance(value, list) and all(map(_IS_STR, value)):
        return tuple(value)
    return _strs(value, _ptr(pointer, key))


class _Reader:
    """One document's reading state: the namespace declarations met so far."""

    def __init__(self) -> None:
        self.declared: list[tuple[str, str]] = []

    def context(
        self, parent: JsonLdContext, node: Mapping[str, Any], pointer: str
    ) -> JsonLdContext:
        if "@context" not in node:
            return parent
        ctx = parent.extended(node["@context"], _ptr(pointer, "@context"))
        for pair in ctx.declared:
            if pair not in self.declared:
                self.declared.append(pair)
        return ctx

    # ------------------------------------------------------------------ extensions

    def extensions(
        self, key: str, value: object, ctx: JsonLdContext, pointer: str
    ) -> list[Extension]:
        """The extension element(s) of one member; an array gives repeated elements."""
        expanded = ctx.expand_key(key, pointer)
        namespace, name, prefix = expanded if expanded is not None else ("", key, None)
        if isinstance(value, list):
            out: list[Extension] = []
            for index, item in enumerate(value):
                out.extend(self.extensions(key, item, ctx, _ptr(pointer, index)))
            return out
        return [self._element((namespace, name, prefix), value, ctx, pointer)]

    def _element(
        self, qname: tuple[str, str, str | None], value: object, ctx: JsonLdContext, pointer: str
    ) -> Extension:
        namespace, name, prefix = qname
        if value is None:
            return Extension(namespace=namespace, name=name, prefix=prefix)
        if isinstance(value, bool):
            text = "true" if value else "false"
            return Extension(
                namespace=namespace, name=name, prefix=prefix, value=text, value_type="boolean"
            )
        if isinstance(value, int | Decimal):
            return Extension(
                namespace=namespace, name=name, prefix=prefix, value=str(value), value_type="number"
            )
        if isinstance(value, str):
            return Extension(namespace=namespace, name=name, prefix=prefix, value=value)
        node = _obj(value, pointer)
        ctx = self.context(ctx, node, pointer)
        attributes = self._attributes(node, ctx, pointer)
        if "@value" in node:
            leaf = self._element(qname, node["@value"], ctx, pointer)
            return msgspec.structs.replace(leaf, attributes=attributes)
        return Extension(
            namespace=namespace,
            name=name,
            prefix=prefix,
            children=self.members(node, ctx, pointer, skip=frozenset({"@attributes"})),
            attributes=attributes,
        )

    def _attributes(
        self, node: Mapping[str, Any], ctx: JsonLdContext, pointer: str
    ) -> tuple[ExtAttribute, ...]:
        out: list[ExtAttribute] = []
        if "@type" in node:
            out.append(
                ExtAttribute(
                    namespace=XSI_NS,
                    name="type",
                    value=_str(node["@type"], _ptr(pointer, "@type")),
                    prefix="xsi",
                )
            )
        if "@attributes" in node:
            where = _ptr(pointer, "@attributes")
            out.extend(self.attributes(_obj(node["@attributes"], where), ctx, where))
        return tuple(out)

    def attributes(
        self, node: Mapping[str, Any], ctx: JsonLdContext, pointer: str
    ) -> list[ExtAttribute]:
        """Members of ``node`` as flat attributes (sensor metadata/report extensions)."""
        out = []
        for key, value in node.items():
            where = _ptr(pointer, key)
            expanded = ctx.expand_key(key, where)
            namespace, name, prefix = expanded if expanded is not None else ("", key, None)
            text = _scalar_text(value, where)
            out.append(ExtAttribute(namespace=namespace, name=name, value=text, prefix=prefix))
        return out

    def members(
        self,
        node: Mapping[str, Any],
        ctx: JsonLdContext,
        pointer: str,
        skip: frozenset[str] = frozenset(),
    ) -> tuple[Extension, ...]:
        """All members of ``node`` not in ``skip`` (nor keywords) as extension elements."""
        out: list[Extension] = []
        for key, value in node.items():
            if key in skip or key.startswith("@"):
                continue
            if isinstance(value, str):
                # The usual member (ILMD lot, expiry): a string under a known CURIE.
                qname = ctx.expanded(key)
                if qname is not None:
                    namespace, name, prefix = qname
                    out.append(
                        Extension(namespace=namespace, name=name, prefix=prefix, value=value)
                    )
                    continue
            out.extend(self.extensions(key, value, ctx, _ptr(pointer, key)))
        return tuple(out)

    # ------------------------------------------------------------------ structures

    def quantities(self, value: object, pointer: str) -> tuple[QuantityElement, ...]:
        out = []
        for index, item in enumerate(_list(value, pointer)):
            where = _ptr(pointer, index)
            node = _obj(item, where)
            unknown = set(node) - {"epcClass", "quantity", "uom"}
            if unknown:
                raise _fail(f"unexpected member(s) {sorted(unknown)} in a quantity element", where)
            if "epcClass" not in node:
                raise _fail("quantity element without epcClass", where)
            out.append(
                QuantityElement(
                    epc_class=_str(node["epcClass"], _ptr(where, "epcClass")),
                    quantity=(
                        _number(node["quantity"], _ptr(where, "quantity"))
                        if "quantity" in node
                        else None
                    ),
                    uom=_str(node["uom"], _ptr(where, "uom")) if "uom" in node else None,
                )
            )
        return tuple(out)

    def location(self, value: object, ctx: JsonLdContext, pointer: str) -> Location:
        node = _obj(value, pointer)
        ctx = self.context(ctx, node, pointer)
        if "id" not in node:
            raise _fail("location without id", pointer)
        return Location(
            id=_str(node["id"], _ptr(pointer, "id")),
            extensions=self.members(node, ctx, pointer, skip=frozenset({"id"})),
        )

    def _location_of(
        self, node: Mapping[str, Any], key: str, ctx: JsonLdContext, pointer: str
    ) -> Location:
        value = node[key]
        if type(value) is dict and len(value) == 1:
            ident = value.get("id")
            if isinstance(ident, str):
                # {"id": …} alone: what location() gives, without extensions to read.
                return plain_location(ident)
        return self.location(value, ctx, _ptr(pointer, key))

    def biz_transactions(self, value: object, pointer: str) -> tuple[BizTransaction, ...]:
        out = []
        for index, item in enumerate(_list(value, pointer)):
            where = _ptr(pointer, index)
            node = _obj(item, where)
            if "bizTransaction" not in node:
                raise _fail("business transaction without bizTransaction", where)
            kind = node.get("type")
            out.append(
                BizTransaction(
                    value=_str(node["bizTransaction"], _ptr(where, "bizTransaction")),
                    type=(
                        None
                        if kind is None
                        else _vocab("bizTransactionType", kind, _ptr(where, "type"))
                    ),
                )
            )
        return tuple(out)

    def source_dests(self, value: object, member: str, pointer: str) -> tuple[SourceDest, ...]:
        out = []
        for index, item in enumerate(_list(value, pointer)):
            where = _ptr(pointer, index)
            node = _obj(item, where)
            if member not in node or "type" not in node:
                raise _fail(f"expected members 'type' and {member!r}", where)
            out.append(
                SourceDest(
                    type=_vocab("sourceDestType", node["type"], _ptr(where, "type")),
                    value=_str(node[member], _ptr(where, member)),
                )
            )
        return tuple(out)

    def persistent(self, value: object, pointer: str) -> PersistentDisposition:
        node = _obj(value, pointer)

        def values(key: str) -> tuple[str, ...]:
            where = _ptr(pointer, key)
            items = _list(node.get(key, []), where)
            return tuple(_vocab("disposition", v, _ptr(where, i)) for i, v in enumerate(items))

        return PersistentDisposition(set=values("set"), unset=values("unset"))

    def error_declaration(
        self, value: object, ctx: JsonLdContext, pointer: str
    ) -> ErrorDeclaration:
        node = _obj(value, pointer)
        ctx = self.context(ctx, node, pointer)
        if "declarationTime" not in node:
            raise _fail("errorDeclaration without declarationTime", pointer)
        reason = node.get("reason")
        return ErrorDeclaration(
            declaration_time=_time(node["declarationTime"], _ptr(pointer, "declarationTime")),
            reason=None
            if reason is None
            else _vocab("errorReason", reason, _ptr(pointer, "reason")),
            corrective_event_ids=_strs(
                node.get("correctiveEventIDs", []), _ptr(pointer, "correctiveEventIDs")
            ),
            extensions=self.members(
                node,
                ctx,
                pointer,
                skip=frozenset({"declarationTime", "reason", "correctiveEventIDs"}),
            ),
        )

    def sensor_elements(
        self, value: object, ctx: JsonLdContext, pointer: str
    ) -> tuple[SensorElement, ...]:
        out = []
        for index, item in enumerate(_list(value, pointer)):
            where = _ptr(pointer, index)
            node = _obj(item, where)
            ectx = self.context(ctx, node, where)
            metadata = None
            if "sensorMetadata" in node:
                metadata = self.sensor_metadata(
                    node["sensorMetadata"], ectx, _ptr(where, "sensorMetadata")
                )
            reports_where = _ptr(where, "sensorReport")
            reports = tuple(
                self.sensor_report(report, ectx, _ptr(reports_where, i))
                for i, report in enumerate(_list(node.get("sensorReport", []), reports_where))
            )
            out.append(
                SensorElement(
                    metadata=metadata,
                    reports=reports,
                    extensions=self.members(
                        node, ectx, where, skip=frozenset({"sensorMetadata", "sensorReport"})
                    ),
                )
            )
        return tuple(out)

    def sensor_metadata(self, value: object, ctx: JsonLdContext, pointer: str) -> SensorMetadata:
        node = _obj(value, pointer)
        fields: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for key, item in node.items():
            where = _ptr(pointer, key)
            field = _METADATA_FIELDS.get(key)
            if field is None:
                rest[key] = item
            elif key in {"time", "startTime", "endTime"}:
                fields[field] = _time(item, where)
            else:
                fields[field] = _str(item, where)
        return SensorMetadata(**fields, extensions=tuple(self.attributes(rest, ctx, pointer)))

    def sensor_report(self, value: object, ctx: JsonLdContext, pointer: str) -> SensorReport:
        node = _obj(value, pointer)
        fields: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for key, item in node.items():
            where = _ptr(pointer, key)
            if key in _REPORT_STRINGS:
                fields[_REPORT_STRINGS[key]] = _str(item, where)
            elif key in _REPORT_NUMBERS:
                fields[_REPORT_NUMBERS[key]] = _number(item, where)
            elif key in _REPORT_VOCAB:
                field, kind = _REPORT_VOCAB[key]
                fields[field] = _vocab(kind, item, where)
            elif key == "time":
                fields["time"] = _time(item, where)
            elif key == "booleanValue":
                fields["boolean_value"] = self._bool(item, where)
            else:
                rest[key] = item
        return SensorReport(**fields, extensions=tuple(self.attributes(rest, ctx, pointer)))

    @staticmethod
    def _bool(value: object, pointer: str) -> bool:
        if isinstance(value, bool):
            return value
        try:
            return parse_bool(_str(value, pointer))
        except ValueError as exc:
            raise _fail(str(exc), pointer) from None

    # ------------------------------------------------------------------ events

    def event(self, value: object, parent: JsonLdContext, pointer: str) -> Event:
        """One event object (EPCIS 2.0 §7.4) at JSON pointer ``pointer``.

        Members are read in a fixed order (so that of several problems the same one is
        reported); absent members are left to the model's defaults.
        """
        node = _obj(value, pointer)
        ctx = self.context(parent, node, pointer) if "@context" in node else parent
        kind = node.get("type")
        if kind not in _EVENT_TYPES:
            raise _fail(
                f"unknown event type {kind!r}, expected one of {', '.join(_EVENT_TYPES)}",
                _ptr(pointer, "type"),
            )
        for required in ("eventTime", "eventTimeZoneOffset"):
            if required not in node:
                raise _fail(f"{kind} without {required}", pointer)
        fields: dict[str, Any] = {
            "event_time": _time_of(node, "eventTime", pointer),
            "event_time_zone_offset": _offset_of(node, pointer),
        }
        if "eventID" in node:
            fields["event_id"] = _str_of(node, "eventID", pointer)
        if "recordTime" in node:
            fields["record_time"] = _time_of(node, "recordTime", pointer)
        if "certificationInfo" in node:
            fields["certification_info"] = self._certification(
                node["certificationInfo"], lambda key: _ptr(pointer, key)
            )
        if "bizStep" in node:
            fields["biz_step"] = _vocab_of("bizStep", node, "bizStep", pointer)
        if "disposition" in node:
            fields["disposition"] = _vocab_of("disposition", node, "disposition", pointer)
        if "bizTransactionList" in node:
            fields["biz_transactions"] = self.biz_transactions(
                node["bizTransactionList"], _ptr(pointer, "bizTransactionList")
            )
        if "sourceList" in node:
            fields["sources"] = self.source_dests(
                node["sourceList"], "source", _ptr(pointer, "sourceList")
            )
        if "destinationList" in node:
            fields["destinations"] = self.source_dests(
                node["destinationList"], "destination", _ptr(pointer, "destinationList")
            )
        if "sensorElementList" in node:
            fields["sensor_elements"] = self.sensor_elements(
                node["sensorElementList"], ctx, _ptr(pointer, "sensorElementList")
            )
        known = _KNOWN[kind]
        if not node.keys() <= known:
            fields["extensions"] = self.members(node, ctx, pointer, skip=known)
        if "errorDeclaration" in node:
            fields["error_declaration"] = self.error_declaration(
                node["errorDeclaration"], ctx, _ptr(pointer, "errorDeclaration")
            )
        if "persistentDisposition" in node:
            fields["persistent_disposition"] = self.persistent(
                node["persistentDisposition"], _ptr(pointer, "persistentDisposition")
            )
        if "readPoint" in node:
            fields["read_point"] = self._location_of(node, "readPoint", ctx, pointer)
        if "bizLocation" in node:
            fields["biz_location"] = self._location_of(node, "bizLocation", ctx, pointer)
        return self._typed(kind, node, ctx, pointer, fields)

    def _typed(
        self,
        kind: str,
        node: Mapping[str, Any],
        ctx: JsonLdContext,
        pointer: str,
        common: dict[str, Any],
    ) -> Event:
        def quantities(key: str) -> tuple[QuantityElement, ...]:
            if key not in node:
                return ()
            return self.quantities(node[key], _ptr(pointer, key))

        def optional(key: str) -> str | None:
            return _str_of(node, key, pointer) if key in node else None

        def ilmd() -> tuple[Extension, ...]:
            if "ilmd" not in node:
                return ()
            where = _ptr(pointer, "ilmd")
            ilmd_node = _obj(node["ilmd"], where)
            return self.members(ilmd_node, self.context(ctx, ilmd_node, where), where)

        if kind == "TransformationEvent":
            return TransformationEvent(
                **common,
                input_epcs=_strs_of(node, "inputEPCList", pointer),
                input_quantities=quantities("inputQuantityList"),
                output_epcs=_strs_of(node, "outputEPCList", pointer),
                output_quantities=quantities("outputQuantityList"),
                transformation_id=optional("transformationID"),
                ilmd=ilmd(),
            )
        if "action" not in node:
            raise _fail(f"{kind} without action", pointer)
        action = node["action"]
        if action not in ("ADD", "OBSERVE", "DELETE"):
            raise _fail(
                f"expected action ADD, OBSERVE or DELETE, got {action!r}", _ptr(pointer, "action")
            )
        if kind == "ObjectEvent":
            return ObjectEvent(
                **common,
                action=action,
                epc_list=_strs_of(node, "epcList", pointer),
                quantity_list=quantities("quantityList"),
                ilmd=ilmd(),
            )
        if kind == "TransactionEvent":
            return TransactionEvent(
                **common,
                action=action,
                parent_id=optional("parentID"),
                epc_list=_strs_of(node, "epcList", pointer),
                quantity_list=quantities("quantityList"),
            )
        cls = AggregationEvent if kind == "AggregationEvent" else AssociationEvent
        return cls(
            **common,
            action=action,
            parent_id=optional("parentID"),
            child_epcs=_strs_of(node, "childEPCs", pointer),
            child_quantities=quantities("childQuantityList"),
        )

    @staticmethod
    def _offset(value: object, at: Callable[[str], str]) -> str:
        try:
            return parse_offset(_str(value, at("eventTimeZoneOffset")))
        except ValueError as exc:
            raise _fail(str(exc), at("eventTimeZoneOffset")) from None

    @staticmethod
    def _certification(value: object, at: Callable[[str], str]) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        return _strs(value, at("certificationInfo"))

    # ------------------------------------------------------------------ documents

    def vocabularies(
        self, value: object, ctx: JsonLdContext, pointer: str
    ) -> tuple[Vocabulary, ...]:
        out = []
        for index, item in enumerate(_list(value, pointer)):
            where = _ptr(pointer, index)
            node = _obj(item, where)
            elements_where = _ptr(where, "vocabularyElementList")
            elements = []
            for e_index, element in enumerate(
                _list(node.get("vocabularyElementList", []), elements_where)
            ):
                e_where = _ptr(elements_where, e_index)
                e_node = _obj(element, e_where)
                attrs_where = _ptr(e_where, "attributes")
                attributes = []
                for a_index, attr in enumerate(_list(e_node.get("attributes", []), attrs_where)):
                    a_where = _ptr(attrs_where, a_index)
                    a_node = _obj(attr, a_where)
                    raw = a_node.get("attribute")
                    if isinstance(raw, dict):
                        attributes.append(
                            VocabularyAttribute(
                                id=_str(a_node.get("id"), _ptr(a_where, "id")),
                                children=self.members(raw, ctx, _ptr(a_where, "attribute")),
                            )
                        )
                    else:
                        attributes.append(
                            VocabularyAttribute(
                                id=_str(a_node.get("id"), _ptr(a_where, "id")),
                                value=None if raw is None else _scalar_text(raw, a_where),
                            )
                        )
                elements.append(
                    VocabularyElement(
                        id=_str(e_node.get("id"), _ptr(e_where, "id")),
                        attributes=tuple(attributes),
                        children=_strs(e_node.get("children", []), _ptr(e_where, "children")),
                    )
                )
            out.append(
                Vocabulary(
                    type=_str(node.get("type"), _ptr(where, "type")), elements=tuple(elements)
                )
            )
        return tuple(out)

    def header(self, value: object, ctx: JsonLdContext, pointer: str) -> EPCISHeader:
        node = _obj(value, pointer)
        master: tuple[Vocabulary, ...] = ()
        if "epcisMasterData" in node:
            where = _ptr(pointer, "epcisMasterData")
            md = _obj(node["epcisMasterData"], where)
            master = self.vocabularies(
                md.get("vocabularyList", []), ctx, _ptr(where, "vocabularyList")
            )
        return EPCISHeader(
            master_data=master,
            extensions=self.members(node, ctx, pointer, skip=frozenset({"epcisMasterData"})),
        )

    def document(self, value: object, *, max_events: int | None) -> EPCISDocument:
        node = _obj(value, "")
        kind = node.get("type")
        if kind not in ("EPCISDocument", "EPCISQueryDocument"):
            raise _fail(f"expected type EPCISDocument or EPCISQueryDocument, got {kind!r}", "/type")
        if "@context" not in node:
            raise _fail("document without @context (EPCIS 2.0 §10 requires one)", "")
        ctx = self.context(JsonLdContext.standard(), node, "")
        for required in ("schemaVersion", "creationDate", "epcisBody"):
            if required not in node:
                raise _fail(f"{kind} without {required}", "")
        body = _obj(node["epcisBody"], "/epcisBody")
        query: dict[str, Any] = {}
        if kind == "EPCISQueryDocument":
            results = _obj(body.get("queryResults"), "/epcisBody/queryResults")
            events_node = _obj(results.get("resultsBody"), "/epcisBody/queryResults/resultsBody")
            events_ptr = "/epcisBody/queryResults/resultsBody/eventList"
            query = {
                "kind": "query",
                "query_name": _str(results.get("queryName"), "/epcisBody/queryResults/queryName"),
                "subscription_id": (
                    _str(results["subscriptionID"], "/epcisBody/queryResults/subscriptionID")
                    if "subscriptionID" in results
                    else None
                ),
            }
        else:
            events_node, events_ptr = body, "/epcisBody/eventList"
        raw_events = _list(events_node.get("eventList", []), events_ptr)
        if max_events is not None and len(raw_events) > max_events:
            raise DocumentTooLargeError(
                f"document has {len(raw_events)} events, the limit is {max_events}"
            )
        events = tuple(
            self.event(item, ctx, _ptr(events_ptr, i)) for i, item in enumerate(raw_events)
        )
        header = (
            self.header(node["epcisHeader"], ctx, "/epcisHeader") if "epcisHeader" in node else None
        )
        extensions = [
            Extension(
                namespace=EPCIS_JSONLD_NS,
                name=member,
                prefix="epcis",
                value=_str(node[member], _ptr("", member)),
            )
            for member in DOCUMENT_MEMBERS
            if member in node
        ]
        skip = frozenset(
            {"@context", "type", "schemaVersion", "creationDate", "epcisBody", "epcisHeader"}
        ) | frozenset(DOCUMENT_MEMBERS)
        extensions.extend(self.members(node, ctx, "", skip=skip))
        return EPCISDocument(
            schema_version=_scalar_text(node["schemaVersion"], "/schemaVersion"),
            creation_date=_time(node["creationDate"], "/creationDate"),
            events=events,
            header=header,
            namespaces=tuple(self.declared),
            extensions=tuple(extensions),
            **query,
        )


def read_jsonld(
    data: bytes | str, *, max_bytes: int | None = DEFAULT_MAX_BYTES, max_events: int | None = None
) -> EPCISDocument:
    """Read an EPCIS 2.0 JSON-LD ``EPCISDocument`` or ``EPCISQueryDocument`` (EPCIS 2.0 §10).

    >>> doc = read_jsonld(b'''{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    ...   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
    ...   "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE",
    ...     "eventTime": "2024-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
    ...     "bizStep": "shipping", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}]}}''')
    >>> doc.events[0].biz_step
    'urn:epcglobal:cbv:bizstep:shipping'
    """
    return _Reader().document(_decode(data, max_bytes), max_events=max_events)


def read_jsonld_event(data: bytes | str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Event:
    """Read one bare JSON-LD event with its own ``@context`` (REST binding ``POST /events``)."""
    node = _obj(_decode(data, max_bytes), "")
    if "@context" not in node:
        raise _fail("event without @context (EPCIS 2.0 §10 requires one)", "")
    return _Reader().event(node, JsonLdContext.standard(), "")


def read_jsonld_message(
    data: bytes | str, *, max_bytes: int | None = DEFAULT_MAX_BYTES, max_events: int | None = None
) -> EPCISDocument | Event:
    """Read a document, query document or bare event, whichever ``data`` holds."""
    value = _decode(data, max_bytes)
    reader = _Reader()
    if isinstance(value, dict) and value.get("type") in _EVENT_TYPES:
        if "@context" not in value:
            raise _fail("event without @context (EPCIS 2.0 §10 requires one)", "")
        return reader.event(value, JsonLdContext.standard(), "")
    return reader.document(value, max_events=max_events)


_DOCUMENT_TYPES: Final = ("EPCISDocument", "EPCISQueryDocument")


def _document_head(source: IO[bytes], *, whole: bool) -> tuple[object, object]:
    """The top-level ``@context`` and ``type`` of a JSON-LD document, read with ijson.

    ``whole=False`` stops at the start of ``epcisBody`` (the members before it are all that is
    read); ``whole=True`` reads every token, for a document whose members follow the body.
    """
    context_value: object = None
    kind: object = None
    builder: Any = None
    for prefix, event, value in _IJSON.parse(source, use_float=False):
        if builder is not None:
            builder.event(event, value)
            if prefix == "@context" and event in ("end_map", "end_array"):
                context_value, builder = builder.value, None
        elif prefix == "@context":
            if event in ("start_map", "start_array"):
                builder = _IJSON.ObjectBuilder()
                builder.event(event, value)
            else:
                context_value = value
        elif prefix == "type" and event == "string":
            kind = value
        elif not whole and prefix == "epcisBody":
            break
    return context_value, kind


def iter_jsonld_events(source: IO[bytes], *, max_events: int | None = None) -> Iterator[Event]:
    """Stream the events of a large JSON-LD document with bounded memory (EPCIS 2.0 §10).

    ``source`` must be seekable: the top-level ``@context`` and document ``type`` are read
    first, then a second pass yields the events one by one. When both come before
    ``epcisBody`` (the usual order) only those first members are read; otherwise (JSON allows
    ``@context`` after the body) the first pass reads the whole document. Memory is bounded by
    the largest single event. Event-level ``@context`` objects apply as in
    :func:`read_jsonld`.
    """
    if not source.seekable():
        raise EpcisDocumentError("streaming needs a seekable source (two passes)")
    try:
        start = source.tell()
        context_value, kind = _document_head(source, whole=False)
        if context_value is None or kind not in _DOCUMENT_TYPES:
            source.seek(start)
            context_value, kind = _document_head(source, whole=True)
        if kind not in _DOCUMENT_TYPES:
            raise _fail(f"expected type EPCISDocument or EPCISQueryDocument, got {kind!r}", "/type")
        if context_value is None:
            raise _fail("document without @context (EPCIS 2.0 §10 requires one)", "")
        reader = _Reader()
        ctx = reader.context(JsonLdContext.standard(), {"@context": context_value}, "")
        if kind == "EPCISQueryDocument":
            path, pointer = (
                "epcisBody.queryResults.resultsBody.eventList.item",
                ("/epcisBody/queryResults/resultsBody/eventList"),
            )
        else:
            path, pointer = "epcisBody.eventList.item", "/epcisBody/eventList"
        source.seek(0)
        for index, item in enumerate(_IJSON.items(source, path, use_float=False)):
            if max_events is not None and index >= max_events:
                raise DocumentTooLargeError(f"document has more than {max_events} events")
            yield reader.event(item, ctx, f"{pointer}/{index}")
    except _IJSON.JSONError as exc:
        raise EpcisDocumentError(f"not well-formed JSON: {exc}") from None
