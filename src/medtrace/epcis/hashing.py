"""The EPCIS event hash (CBV 2.0 §8.9 "Event hash"; EPCIS 2.0 §7.4.1 ``eventID``).

An event's hash is ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920 named information) over its
*pre-hash string*: the event's fields in the canonical property order, each written
``key=value`` (parents as their bare key), concatenated without separators. Lists and user
extensions are sorted by the case-sensitive code-point order of their written form, so the
hash does not depend on the syntax (XML or JSON-LD), on element order, on namespace prefixes,
on identifier forms (EPC URN or Digital Link) or on time-zone notation. The canonical value
forms are in :mod:`medtrace.epcis.hashing_canon`.

Left out of the pre-hash: ``eventID`` (it may hold the hash itself), ``recordTime`` (set by the
repository), ``errorDeclaration`` (an error declaration re-states the erroneous event, whose
hash must not change, EPCIS 2.0 §7.4.1.2), ``xsi:`` attributes of XML extension elements
(XML typing syntax, not data; JSON-LD has no counterpart) and ``rdfs:comment`` members (the
JSON-LD rendering of an XML comment).

Canonical property order (CBV 2.0 §8.9 and the published event-hash vectors):

``eventType eventTime eventTimeZoneOffset certificationInfo epcList parentID inputEPCList
childEPCs quantityList childQuantityList inputQuantityList outputEPCList outputQuantityList
action transformationID bizStep disposition persistentDisposition readPoint bizLocation
bizTransactionList destinationList sourceList sensorElementList ilmd {user extensions}``

Two places follow the published vectors rather than the order table of the algorithm's
README: ``destinationList`` precedes ``sourceList`` (every vector with both), and in a
TransactionEvent ``bizTransactionList`` follows ``sensorElementList`` (vector
``SensorDataExamples`` #10). See ``docs/event-hash.md``.

>>> from datetime import datetime, timezone, timedelta
>>> from medtrace.epcis.model import ObjectEvent
>>> event = ObjectEvent(
...     event_time=datetime(2020, 3, 4, 11, 0, 30, tzinfo=timezone(timedelta(hours=1))),
...     event_time_zone_offset="+01:00",
...     epc_list=("urn:epc:id:sscc:4012345.0000000111",),
...     action="OBSERVE",
...     biz_step="urn:epcglobal:cbv:bizstep:departing",
... )
>>> prehash(event)
'eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00epcList\
epc=https://id.gs1.org/00/040123450000001112action=OBSERVE\
bizStep=https://ref.gs1.org/cbv/BizStep-departing'
>>> event_hash(event)[:14], event_hash(event)[-11:]
('ni:///sha-256;', '?ver=CBV2.0')
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from medtrace.epcis.hashing_canon import (
    CBV_WEB,
    GS1_VOC,
    canonical_bool,
    canonical_epc,
    canonical_number,
    canonical_number_text,
    canonical_time,
    canonical_value,
    cbv_term,
    joined_canonical_epcs,
)
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    ObjectEvent,
    TransactionEvent,
    TransformationEvent,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable
    from datetime import datetime

    import msgspec

    from medtrace.epcis.model import (
        BizTransaction,
        EPCISDocument,
        Event,
        ExtAttribute,
        Extension,
        Location,
        PersistentDisposition,
        QuantityElement,
        SensorElement,
        SensorMetadata,
        SensorReport,
        SourceDest,
    )

__all__ = [
    "HASH_ALGORITHM",
    "HASH_VERSION",
    "document_ignore_fields",
    "event_hash",
    "event_hashes",
    "extension_key",
    "prehash",
]

HASH_ALGORITHM: Final = "sha-256"
HASH_VERSION: Final = "CBV2.0"

_XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
_RDFS_NS: Final = "http://www.w3.org/2000/01/rdf-schema#"
_CBVMDA_NS: Final = "urn:epcglobal:cbv:mda"
_CBVMDA_IRI_PREFIX: Final = "urn:epcglobal:cbv:mda:"
_BIZSTEP: Final = CBV_WEB + "BizStep-"
_DISP: Final = CBV_WEB + "Disp-"
_BTT: Final = CBV_WEB + "BTT-"
_SDT: Final = CBV_WEB + "SDT-"
_COMP: Final = CBV_WEB + "Comp-"

_Out = list[str]

#: Identifiers other than EPCs (locations, parties, vocabulary, devices) repeat from event to
#: event; their canonical forms are cached. EPCs in lists are mostly unique and go uncached.
_value_of = lru_cache(maxsize=16384)(canonical_value)
_term_of = lru_cache(maxsize=4096)(cbv_term)


# --------------------------------------------------------------------------- extensions


def extension_key(namespace: str, name: str) -> str:
    """The pre-hash key of an extension: ``{namespace}name`` (bare ``name`` without namespace).

    The CBV master-data namespace has two spellings: ``urn:epcglobal:cbv:mda`` in XML (CBV 2.0
    §10) and ``urn:epcglobal:cbv:mda:`` as the JSON-LD context's IRI prefix. Both are written
    without the colon, so that the DSCSA lot/expiry ILMD of XML and JSON-LD hash equal.

    >>> extension_key("https://ns.example.com/epcis/", "myField")
    '{https://ns.example.com/epcis/}myField'
    >>> extension_key("urn:epcglobal:cbv:mda:", "lotNumber")
    '{urn:epcglobal:cbv:mda}lotNumber'
    """
    if not namespace:
        return name
    if namespace == _CBVMDA_IRI_PREFIX:
        namespace = _CBVMDA_NS
    return f"{{{namespace}}}{name}"


def _hashed(node: Extension | ExtAttribute) -> bool:
    """Whether an extension takes part in the hash (XML typing and comments do not)."""
    return node.namespace != _XSI_NS and not (node.namespace == _RDFS_NS and node.name == "comment")


def _attribute(attribute: ExtAttribute) -> str:
    key = extension_key(attribute.namespace, attribute.name)
    value = _value_of(attribute.value)
    return f"{key}={value}" if value else key


def _attributes(attributes: Iterable[ExtAttribute]) -> list[str]:
    return [_attribute(a) for a in attributes if _hashed(a)]


def _extension(node: Extension) -> str:
    """One user extension element, its attributes and children (CBV 2.0 §8.9, extensions)."""
    text = extension_key(node.namespace, node.name)
    if node.value is not None:
        if node.value_type == "number":
            value = canonical_number_text(node.value)
        elif node.value_type == "boolean":
            value = node.value.strip().lower()
        else:
            value = _value_of(node.value)
        if value:
            text = f"{text}={value}"
    if node.children or node.attributes:
        inner = [_extension(child) for child in node.children if _hashed(child)]
        inner += _attributes(node.attributes)
        inner.sort()
        text += "".join(inner)
    return text


def _extensions(nodes: Iterable[Extension], out: _Out) -> None:
    texts = [_extension(node) for node in nodes if _hashed(node)]
    texts.sort()
    out.extend(texts)


# --------------------------------------------------------------------------- field writers


def _epcs(key: str) -> Callable[[tuple[str, ...], _Out], None]:
    def write(epcs: tuple[str, ...], out: _Out) -> None:
        out.append(key)
        if epcs:
            out.append(joined_canonical_epcs(epcs, "epc="))

    return write


def _quantity(element: QuantityElement) -> str:
    text = "quantityElementepcClass=" + _value_of(element.epc_class)
    if element.quantity is not None:
        text += "quantity=" + canonical_number(element.quantity)
    if element.uom is not None and element.uom.strip():
        text += "uom=" + element.uom.strip()
    return text


def _quantities(key: str) -> Callable[[tuple[QuantityElement, ...], _Out], None]:
    def write(elements: tuple[QuantityElement, ...], out: _Out) -> None:
        out.append(key)
        out.extend(sorted(_quantity(element) for element in elements))

    return write


def _value(key: str) -> Callable[[str, _Out], None]:
    prefix = key + "="

    def write(value: str, out: _Out) -> None:
        out.append(prefix + _value_of(value))

    return write


def _epc(key: str) -> Callable[[str, _Out], None]:
    """A single EPC (``parentID``): mostly unique, so not worth caching."""
    prefix = key + "="

    def write(value: str, out: _Out) -> None:
        out.append(prefix + canonical_epc(value))

    return write


def _term(key: str, web_prefix: str) -> Callable[[str, _Out], None]:
    prefix = key + "="

    def write(value: str, out: _Out) -> None:
        out.append(prefix + _term_of(value, web_prefix))

    return write


def _time(moment: datetime, out: _Out) -> None:
    out.append("eventTime=" + canonical_time(moment))


def _offset(offset: str, out: _Out) -> None:
    out.append("eventTimeZoneOffset=" + offset.strip())


def _certification(values: tuple[str, ...], out: _Out) -> None:
    out.extend(sorted("certificationInfo=" + _value_of(value) for value in values))


def _action(action: str, out: _Out) -> None:
    out.append("action=" + action)


def _persistent(disposition: PersistentDisposition, out: _Out) -> None:
    if not disposition.set and not disposition.unset:
        return
    out.append("persistentDisposition")
    out.extend(sorted("set=" + _term_of(value, _DISP) for value in disposition.set))
    out.extend(sorted("unset=" + _term_of(value, _DISP) for value in disposition.unset))


def _location(key: str) -> Callable[[Location, _Out], None]:
    prefix = key + "id="

    def write(location: Location, out: _Out) -> None:
        out.append(prefix + _value_of(location.id))
        if location.extensions:
            _extensions(location.extensions, out)

    return write


def _biz_transaction(transaction: BizTransaction) -> str:
    text = "bizTransaction=" + _value_of(transaction.value)
    if transaction.type is not None and transaction.type.strip():
        return "type=" + _term_of(transaction.type, _BTT) + text
    return text


def _biz_transactions(transactions: tuple[BizTransaction, ...], out: _Out) -> None:
    out.append("bizTransactionList")
    out.extend(sorted(_biz_transaction(transaction) for transaction in transactions))


def _source_dest(key: str, item: str) -> Callable[[tuple[SourceDest, ...], _Out], None]:
    item_prefix = item + "="

    def write(entries: tuple[SourceDest, ...], out: _Out) -> None:
        out.append(key)
        out.extend(
            sorted(
                "type=" + _term_of(entry.type, _SDT) + item_prefix + _value_of(entry.value)
                for entry in entries
            )
        )

    return write


# --------------------------------------------------------------------------- sensors


def _sensor_metadata(metadata: SensorMetadata) -> str:
    """``sensorMetadata`` fields in canonical order, then its extension attributes sorted."""
    parts = ["sensorMetadata"]
    if metadata.time is not None:
        parts.append("time=" + canonical_time(metadata.time))
    if metadata.start_time is not None:
        parts.append("startTime=" + canonical_time(metadata.start_time))
    if metadata.end_time is not None:
        parts.append("endTime=" + canonical_time(metadata.end_time))
    for key, value in (
        ("deviceID=", metadata.device_id),
        ("deviceMetadata=", metadata.device_metadata),
        ("rawData=", metadata.raw_data),
        ("dataProcessingMethod=", metadata.data_processing_method),
        ("bizRules=", metadata.biz_rules),
    ):
        if value is not None:
            parts.append(key + _value_of(value))
    parts.extend(sorted(_attributes(metadata.extensions)))
    return "".join(parts)


def _sensor_report(report: SensorReport) -> str:
    """``sensorReport`` fields in canonical order, then its extension attributes sorted."""
    parts = ["sensorReport"]
    if report.type is not None:
        parts.append("type=" + _term_of(report.type, GS1_VOC))
    if report.exception is not None:
        parts.append("exception=" + _term_of(report.exception, GS1_VOC))
    for key, uri in (
        ("deviceID=", report.device_id),
        ("deviceMetadata=", report.device_metadata),
        ("rawData=", report.raw_data),
        ("dataProcessingMethod=", report.data_processing_method),
    ):
        if uri is not None:
            parts.append(key + _value_of(uri))
    if report.time is not None:
        parts.append("time=" + canonical_time(report.time))
    if report.microorganism is not None:
        parts.append("microorganism=" + _value_of(report.microorganism))
    if report.chemical_substance is not None:
        parts.append("chemicalSubstance=" + _value_of(report.chemical_substance))
    if report.value is not None:
        parts.append("value=" + canonical_number(report.value))
    if report.component is not None:
        parts.append("component=" + _term_of(report.component, _COMP))
    if report.string_value is not None:
        parts.append("stringValue=" + report.string_value.strip())
    if report.boolean_value is not None:
        parts.append("booleanValue=" + canonical_bool(report.boolean_value))
    if report.hex_binary_value is not None:
        parts.append("hexBinaryValue=" + report.hex_binary_value.strip())
    if report.uri_value is not None:
        parts.append("uriValue=" + _value_of(report.uri_value))
    for key, number in (
        ("minValue=", report.min_value),
        ("maxValue=", report.max_value),
        ("meanValue=", report.mean_value),
        ("sDev=", report.s_dev),
        ("percRank=", report.perc_rank),
        ("percValue=", report.perc_value),
    ):
        if number is not None:
            parts.append(key + canonical_number(number))
    if report.uom is not None:
        parts.append("uom=" + report.uom.strip())
    if report.coordinate_reference_system is not None:
        parts.append("coordinateReferenceSystem=" + _value_of(report.coordinate_reference_system))
    parts.extend(sorted(_attributes(report.extensions)))
    return "".join(parts)


def _sensor_element(element: SensorElement) -> str:
    parts = ["sensorElement"]
    if element.metadata is not None:
        parts.append(_sensor_metadata(element.metadata))
    parts.extend(sorted(_sensor_report(report) for report in element.reports))
    _extensions(element.extensions, parts)
    return "".join(parts)


def _sensor_elements(elements: tuple[SensorElement, ...], out: _Out) -> None:
    out.append("sensorElementList")
    out.extend(sorted(_sensor_element(element) for element in elements))


def _ilmd(nodes: tuple[Extension, ...], out: _Out) -> None:
    out.append("ilmd")
    _extensions(nodes, out)


# --------------------------------------------------------------------------- property order

#: (model attribute, writer) in the canonical property order (CBV 2.0 §8.9). Attributes an
#: event type lacks are dropped per type below; eventType is written first by ``prehash``.
_CANONICAL_ORDER: Final[tuple[tuple[str, Callable[[Any, _Out], None]], ...]] = (
    ("event_time", _time),
    ("event_time_zone_offset", _offset),
    ("certification_info", _certification),
    ("epc_list", _epcs("epcList")),
    ("parent_id", _epc("parentID")),
    ("input_epcs", _epcs("inputEPCList")),
    ("child_epcs", _epcs("childEPCs")),
    ("quantity_list", _quantities("quantityList")),
    ("child_quantities", _quantities("childQuantityList")),
    ("input_quantities", _quantities("inputQuantityList")),
    ("output_epcs", _epcs("outputEPCList")),
    ("output_quantities", _quantities("outputQuantityList")),
    ("action", _action),
    ("transformation_id", _value("transformationID")),
    ("biz_step", _term("bizStep", _BIZSTEP)),
    ("disposition", _term("disposition", _DISP)),
    ("persistent_disposition", _persistent),
    ("read_point", _location("readPoint")),
    ("biz_location", _location("bizLocation")),
    ("biz_transactions", _biz_transactions),
    ("destinations", _source_dest("destinationList", "destination")),
    ("sources", _source_dest("sourceList", "source")),
    ("sensor_elements", _sensor_elements),
    ("ilmd", _ilmd),
)

_EVENT_TYPES: Final = (
    ObjectEvent,
    AggregationEvent,
    TransactionEvent,
    TransformationEvent,
    AssociationEvent,
)


#: Fields whose values repeat from event to event: a shipment's events share the time zone,
#: action, bizStep, disposition, locations, business transactions, sources and destinations;
#: a lot's commissioning events share the ILMD; certifications are mostly absent. Each run of
#: them in the canonical order is written as a block, remembered per tuple of values: the
#: written form is a pure function of them, and these fields hold strings (and structures
#: of strings), which compare equal only when they write equally. EPCs, times, quantities
#: (numbers: 1 == 1.0 == True) and sensor data are not remembered.
_REPEATING: Final = frozenset(
    {
        "event_time_zone_offset", "certification_info", "action", "biz_step", "disposition",
        "persistent_disposition", "read_point", "biz_location", "biz_transactions",
        "destinations", "sources", "ilmd",
    }
)  # fmt: skip
_MEMO_MAX: Final = 4096

if TYPE_CHECKING:
    _Writer = Callable[[Any, _Out], None]
    _Memo = dict[Any, str]
    _Step = tuple[Callable[[Any], Any], _Writer, _Memo | None]


def _block(writers: tuple[_Writer, ...]) -> _Writer:
    """A writer of consecutive fields, given the tuple of their values."""

    def write(values: tuple[Any, ...], out: _Out) -> None:
        for value, field_writer in zip(values, writers, strict=True):
            if value is not None and value != ():
                field_writer(value, out)

    return write


def _steps(plan: list[tuple[str, _Writer]]) -> tuple[_Step, ...]:
    """Single fields (their getter and writer) and blocks of repeating fields (a getter of
    the tuple of their values, its writer and its memo), in canonical order."""
    steps: list[_Step] = []
    run: list[tuple[str, _Writer]] = []

    def flush() -> None:
        if run:
            names = tuple(name for name, _write in run)
            write = _block(tuple(field_writer for _name, field_writer in run))
            steps.append((attrgetter(names[0], *names[1:]), _as_tuple(write, len(names)), {}))
            run.clear()

    for attribute, write in plan:
        if attribute in _REPEATING:
            run.append((attribute, write))
        else:
            flush()
            steps.append((attrgetter(attribute), write, None))
    flush()
    return tuple(steps)


def _as_tuple(write: _Writer, size: int) -> _Writer:
    """``write`` for a block, also when ``attrgetter`` of one name gives a bare value."""
    if size > 1:
        return write

    def write_one(value: Any, out: _Out) -> None:
        write((value,), out)

    return write_one


def _plan(event_type: type[msgspec.Struct]) -> tuple[_Step, ...]:
    """The canonical order restricted to the fields of ``event_type``."""
    plan = [entry for entry in _CANONICAL_ORDER if entry[0] in event_type.__struct_fields__]
    if event_type is TransactionEvent:
        # TransactionEvent: business transactions after the sensor data (published vectors).
        moved = next(entry for entry in plan if entry[0] == "biz_transactions")
        plan.remove(moved)
        plan.insert(plan.index(next(e for e in plan if e[0] == "sensor_elements")) + 1, moved)
    return _steps(plan)


def _written(write: _Writer, value: Any, memo: _Memo) -> str:
    """What ``write`` writes for ``value``, remembered in ``memo``."""
    parts: _Out = []
    write(value, parts)
    text = "".join(parts)
    try:
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[value] = text
    except TypeError:  # an unhashable value (a list where the model has a tuple)
        pass
    return text


_PLANS: Final = {
    event_type: (f"eventType={event_type.__name__}", _plan(event_type))
    for event_type in _EVENT_TYPES
}


# --------------------------------------------------------------------------- public API


def prehash(event: Event, *, ignore_fields: Collection[str] = ()) -> str:
    """The canonical pre-hash string of ``event`` (CBV 2.0 §8.9).

    ``ignore_fields`` names event-level user extensions (``{namespace}name``) to leave out.
    That is **not** part of the standard: it serves documents that carry a tool-specific
    ``ignoreFields`` list (see :func:`document_ignore_fields`); the default hashes them all.
    """
    event_type, plan = _PLANS[type(event)]
    out: _Out = [event_type]
    for get, write, memo in plan:
        value = get(event)
        if memo is None:
            if value is not None and value != ():
                write(value, out)
            continue
        try:
            text = memo.get(value)
        except TypeError:  # unhashable
            text = None
        if text is None:
            text = _written(write, value, memo)
        if text:
            out.append(text)
    if event.extensions:
        if ignore_fields:
            _extensions(
                (
                    node
                    for node in event.extensions
                    if extension_key(node.namespace, node.name) not in ignore_fields
                ),
                out,
            )
        else:
            _extensions(event.extensions, out)
    return "".join(out)


def event_hash(event: Event, *, ignore_fields: Collection[str] = ()) -> str:
    """The event hash ``ni:///sha-256;<64 lowercase hex>?ver=CBV2.0`` (CBV 2.0 §8.9, RFC 6920)."""
    digest = hashlib.sha256(prehash(event, ignore_fields=ignore_fields).encode()).hexdigest()
    return f"ni:///{HASH_ALGORITHM};{digest}?ver={HASH_VERSION}"


def event_hashes(doc: EPCISDocument, *, ignore_fields: Collection[str] = ()) -> list[str]:
    """The hash of every event of ``doc``, in document order."""
    return [event_hash(event, ignore_fields=ignore_fields) for event in doc.events]


def document_ignore_fields(doc: EPCISDocument) -> frozenset[str]:
    """The non-standard ``ignoreFields`` list of a document, as ``{namespace}name`` keys.

    Some repositories (the GS1 Germany reference tool among them) put a document-level
    ``<prefix>:ignoreFields`` extension in the document that names event extensions to leave
    out of the hash: as empty child elements in XML, as a list of CURIEs in JSON-LD. The
    standard has no such field; pass the result to :func:`event_hashes` only by choice.
    """
    namespaces = dict(doc.namespaces)
    keys: set[str] = set()
    for node in doc.extensions:
        if node.name != "ignoreFields":
            continue
        for field in (node, *node.children):
            if field.value is not None and field.value.strip():
                keys.add(_field_key(field.value.strip(), namespaces))
            elif field is not node:
                keys.add(extension_key(field.namespace, field.name))
    return frozenset(keys)


def _field_key(name: str, namespaces: dict[str, str]) -> str:
    """``{ns}local`` of a CURIE (``prefix:local``), an IRI or an already-expanded key."""
    if name.startswith("{"):
        return name
    prefix, colon, local = name.partition(":")
    if colon and prefix in namespaces and not local.startswith("//"):
        return extension_key(namespaces[prefix], local)
    for uri in sorted(namespaces.values(), key=len, reverse=True):
        if uri and name.startswith(uri) and len(name) > len(uri):
            return extension_key(uri, name[len(uri) :])
    return name
