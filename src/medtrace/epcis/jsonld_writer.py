"""Write the medtrace model as EPCIS 2.0 JSON-LD (EPCIS 2.0 §10, JSON/JSON-LD binding).

* The ``@context`` is the ratified 2.0.0 context plus one inline object declaring the
  prefixes of the document's namespace declarations and of every extension namespace used.
* CBV values are written as the context's bare words (``shipping``, ``in_transit``,
  ``Temperature``); other values as the URIs they are.
* Members follow the field order of the GS1 EPCIS 2.0 JSON-LD examples
  (``WithFullCombinationOfFields``), which is the XML schema order; output is pretty-printed
  with two-space indentation. The same model always gives the same bytes.
* ``epc_format`` selects the form of EPC identifiers (EPC lists, parentID, epcClass, read
  point, business location, source and destination): ``"as_given"``, ``"urn"`` (EPC TDS §6)
  or ``"digital_link"`` (canonical GS1 Digital Link URI, ``https://id.gs1.org``). Converting a
  Digital Link to a URN needs the GS1 Company Prefix length (from ``registry``); when it is
  unknown an error is raised, never a guess. Identifiers of other schemes stay as given.
* Extension values keep their JSON type (:attr:`Extension.value_type`); an ``xsi:type`` on a
  leaf becomes a typed literal ``{"@value": ..., "@type": ...}``; other XML attributes go in
  an ``"@attributes"`` object, which JSON-LD processors ignore and medtrace reads back.
  Repeated sibling elements become one array at the place of the first of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, Final, Literal, TypeAlias

import msgspec

from medtrace.epcis.errors import EpcisError
from medtrace.epcis.jsonld_context import DEFAULT_CONTEXT_URL, PrefixAllocator
from medtrace.epcis.jsonld_reader import DOCUMENT_MEMBERS, EPCIS_JSONLD_NS
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    EPCISDocument,
    EPCISEvent,
    EPCISHeader,
    Event,
    ExtAttribute,
    Extension,
    Location,
    ObjectEvent,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
    Vocabulary,
)
from medtrace.epcis.vocab import to_bare
from medtrace.epcis.xml_names import XSI_NS
from medtrace.epcis.xml_values import format_datetime
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import Gs1Message
from medtrace.gs1.epc import EpcKey, EpcUri, epc_from_key, parse_epc_urn
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.prefix import PrefixRegistry
from medtrace.gs1.product import Lgtin, Sgtin

__all__ = ["EpcFormat", "event_to_jsonld", "write_jsonld", "write_jsonld_event"]

EpcFormat: TypeAlias = Literal["as_given", "urn", "digital_link"]

_ENCODER: Final = msgspec.json.Encoder(decimal_format="number")
Json: TypeAlias = dict[str, Any]


# --------------------------------------------------------------------------- identifiers


def _to_digital_link(value: str) -> str:
    if not value.startswith(("urn:epc:id:", "urn:epc:class:")):
        return value
    try:
        uri = parse_epc_urn(value)
        if not isinstance(uri, EpcUri):
            return value
        return DigitalLink.from_message(Gs1Message.of(*uri.element_pairs())).canonical()
    except Gs1Error as exc:
        raise EpcisError(f"cannot write {value!r} as a GS1 Digital Link: {exc}") from None


def _key_of(message: Gs1Message) -> EpcKey | None:
    found = message.as_dict()
    if "01" in found:
        gtin = Gtin.parse(found["01"])
        if "21" in found:
            return Sgtin(gtin, found["21"])
        return Lgtin(gtin, found["10"]) if "10" in found else None
    if "00" in found:
        return Sscc.parse(found["00"])
    if "414" in found:
        gln = Gln.parse(found["414"])
        return Sgln(gln, found["254"]) if "254" in found else Sgln(gln)
    return None


def _to_urn(value: str, registry: PrefixRegistry | None) -> str:
    if not value.startswith(("http://", "https://")):
        return value
    try:
        link = DigitalLink.parse(value)
    except Gs1Error:
        return value  # not a GS1 Digital Link: some other URI
    try:
        key = _key_of(link.to_message())
        return value if key is None else str(epc_from_key(key, registry=registry))
    except Gs1Error as exc:
        raise EpcisError(f"cannot write {value!r} as an EPC URN: {exc}") from None


def _converter(epc_format: EpcFormat, registry: PrefixRegistry | None) -> Callable[[str], str]:
    if epc_format == "as_given":
        return lambda value: value
    if epc_format == "digital_link":
        return _to_digital_link
    if epc_format == "urn":
        return lambda value: _to_urn(value, registry)
    raise ValueError(f"epc_format must be as_given, urn or digital_link, got {epc_format!r}")


# --------------------------------------------------------------------------- extensions


def _walk(extensions: Iterable[Extension]) -> Iterator[tuple[str, str | None]]:
    for ext in extensions:
        if ext.namespace:
            yield ext.namespace, ext.prefix
        for attr in ext.attributes:
            if attr.namespace and not _is_typed_literal(ext):
                yield attr.namespace, attr.prefix
        yield from _walk(ext.children)


def _used_namespaces(
    doc_extensions: Iterable[Extension], events: Iterable[Event]
) -> list[tuple[str, str | None]]:
    used = list(_walk(doc_extensions))
    for event in events:
        used.extend(_walk(_event_extension_trees(event)))
        for element in event.sensor_elements:
            for attrs in (
                element.metadata.extensions if element.metadata else (),
                *(report.extensions for report in element.reports),
            ):
                used.extend((a.namespace, a.prefix) for a in attrs if a.namespace)
    return used


def _event_extension_trees(event: Event) -> Iterator[Extension]:
    yield from event.extensions
    for location in (event.read_point, event.biz_location):
        if location is not None:
            yield from location.extensions
    if event.error_declaration is not None:
        yield from event.error_declaration.extensions
    for element in event.sensor_elements:
        yield from element.extensions
    if isinstance(event, ObjectEvent | TransformationEvent):
        yield from event.ilmd


def _is_typed_literal(ext: Extension) -> bool:
    return (
        not ext.children
        and len(ext.attributes) == 1
        and ext.attributes[0].namespace == XSI_NS
        and ext.attributes[0].name == "type"
    )


class _Writer:
    def __init__(self, alloc: PrefixAllocator, convert: Callable[[str], str]) -> None:
        self.alloc = alloc
        self.convert = convert

    def key(self, namespace: str, name: str, prefix: str | None) -> str:
        if namespace == EPCIS_JSONLD_NS and prefix == "epcis":
            return f"epcis:{name}"
        if not namespace:
            return name
        return f"{self.alloc.prefix_for(namespace, prefix)}:{name}"

    def members(self, extensions: Iterable[Extension], out: Json) -> None:
        """Add extension elements to ``out``; same-named siblings become one array."""
        for ext in extensions:
            key = self.key(ext.namespace, ext.name, ext.prefix)
            value = self.value(ext)
            if key in out:
                existing = out[key]
                if isinstance(existing, list):
                    existing.append(value)
                else:
                    out[key] = [existing, value]
            else:
                out[key] = value

    def value(self, ext: Extension) -> Any:
        if _is_typed_literal(ext):
            return {"@value": self.leaf(ext), "@type": ext.attributes[0].value}
        if not ext.attributes:
            if ext.children:
                node: Json = {}
                self.members(ext.children, node)
                return node
            return self.leaf(ext)
        node = {"@attributes": self.attributes(ext.attributes)}
        if ext.children:
            self.members(ext.children, node)
        else:
            node["@value"] = self.leaf(ext)
        return node

    @staticmethod
    def leaf(ext: Extension) -> Any:
        if ext.value is None:
            return None
        if ext.value_type == "number":
            return Decimal(ext.value)
        if ext.value_type == "boolean":
            return ext.value == "true"
        return ext.value

    def attributes(self, attributes: Iterable[ExtAttribute]) -> Json:
        return {self.key(a.namespace, a.name, a.prefix): a.value for a in attributes}

    # ------------------------------------------------------------------ structures

    def quantities(self, elements: Iterable[QuantityElement]) -> list[Json]:
        out = []
        for element in elements:
            node: Json = {"epcClass": self.convert(element.epc_class)}
            if element.quantity is not None:
                _check_finite(element.quantity)
                node["quantity"] = element.quantity
            if element.uom is not None:
                node["uom"] = element.uom
            out.append(node)
        return out

    def location(self, location: Location) -> Json:
        node: Json = {"id": self.convert(location.id)}
        self.members(location.extensions, node)
        return node

    def source_dests(self, items: Iterable[SourceDest], member: str) -> list[Json]:
        return [
            {"type": to_bare("sourceDestType", item.type), member: self.convert(item.value)}
            for item in items
        ]

    def sensor_element(self, element: SensorElement) -> Json:
        node: Json = {}
        if element.metadata is not None:
            node["sensorMetadata"] = self.sensor_metadata(element.metadata)
        if element.reports:
            node["sensorReport"] = [self.sensor_report(report) for report in element.reports]
        self.members(element.extensions, node)
        return node

    def sensor_metadata(self, meta: SensorMetadata) -> Json:
        node: Json = {}
        for key, value in (
            ("time", meta.time), ("startTime", meta.start_time), ("endTime", meta.end_time),
        ):  # fmt: skip
            if value is not None:
                node[key] = format_datetime(value)
        for key, text in (
            ("deviceID", meta.device_id),
            ("deviceMetadata", meta.device_metadata),
            ("rawData", meta.raw_data),
            ("dataProcessingMethod", meta.data_processing_method),
            ("bizRules", meta.biz_rules),
        ):
            if text is not None:
                node[key] = text
        node.update(self.attributes(meta.extensions))
        return node

    def sensor_report(self, report: SensorReport) -> Json:
        r = report
        fields: tuple[tuple[str, Any], ...] = (
            ("type", None if r.type is None else to_bare("measurementType", r.type)),
            ("exception", None if r.exception is None else to_bare("sensorAlertType", r.exception)),
            ("deviceID", r.device_id),
            ("deviceMetadata", r.device_metadata),
            ("rawData", r.raw_data),
            ("dataProcessingMethod", r.data_processing_method),
            ("time", None if r.time is None else format_datetime(r.time)),
            ("microorganism", r.microorganism),
            ("chemicalSubstance", r.chemical_substance),
            ("value", r.value),
            ("component", None if r.component is None else to_bare("component", r.component)),
            ("stringValue", r.string_value),
            ("booleanValue", r.boolean_value),
            ("hexBinaryValue", r.hex_binary_value),
            ("uriValue", r.uri_value),
            ("minValue", r.min_value),
            ("maxValue", r.max_value),
            ("meanValue", r.mean_value),
            ("sDev", r.s_dev),
            ("percRank", r.perc_rank),
            ("percValue", r.perc_value),
            ("uom", r.uom),
            ("coordinateReferenceSystem", r.coordinate_reference_system),
        )
        node: Json = {}
        for key, value in fields:
            if value is not None:
                if isinstance(value, Decimal):
                    _check_finite(value)
                node[key] = value
        node.update(self.attributes(r.extensions))
        return node

    # ------------------------------------------------------------------ events

    def event(self, event: Event) -> Json:
        """One event in GS1 example member order (EPCIS 2.0 §7.4, §10)."""
        node: Json = {"type": type(event).__name__, "eventTime": format_datetime(event.event_time)}
        if event.record_time is not None:
            node["recordTime"] = format_datetime(event.record_time)
        node["eventTimeZoneOffset"] = event.event_time_zone_offset
        if event.event_id is not None:
            node["eventID"] = event.event_id
        if event.certification_info:
            info = event.certification_info
            node["certificationInfo"] = info[0] if len(info) == 1 else list(info)
        if event.error_declaration is not None:
            err = event.error_declaration
            decl: Json = {"declarationTime": format_datetime(err.declaration_time)}
            if err.reason is not None:
                decl["reason"] = to_bare("errorReason", err.reason)
            if err.corrective_event_ids:
                decl["correctiveEventIDs"] = list(err.corrective_event_ids)
            self.members(err.extensions, decl)
            node["errorDeclaration"] = decl
        what, after_transactions = self.what(event)
        node.update(what)
        self.why(event, node, after_transactions)
        if isinstance(event, ObjectEvent | TransformationEvent) and event.ilmd:
            ilmd: Json = {}
            self.members(event.ilmd, ilmd)
            node["ilmd"] = ilmd
        self.members(event.extensions, node)
        return node

    def epcs(self, values: Iterable[str]) -> list[str]:
        return [self.convert(value) for value in values]

    def what(self, event: Event) -> tuple[Json, Json]:
        """The what-dimension members, and those GS1 writes after bizTransactionList."""
        node: Json = {}
        later: Json = {}
        if isinstance(event, ObjectEvent):
            if event.epc_list:
                node["epcList"] = self.epcs(event.epc_list)
            node["action"] = event.action
            if event.quantity_list:
                later["quantityList"] = self.quantities(event.quantity_list)
        elif isinstance(event, AggregationEvent | AssociationEvent):
            if event.parent_id is not None:
                node["parentID"] = self.convert(event.parent_id)
            if event.child_epcs:
                node["childEPCs"] = self.epcs(event.child_epcs)
            children = self.quantities(event.child_quantities)
            if isinstance(event, AssociationEvent) and children:
                node["childQuantityList"] = children
            elif children:
                later["childQuantityList"] = children
            node["action"] = event.action
        elif isinstance(event, TransactionEvent):
            if event.parent_id is not None:
                node["parentID"] = self.convert(event.parent_id)
            if event.epc_list:
                node["epcList"] = self.epcs(event.epc_list)
            node["action"] = event.action
            if event.quantity_list:
                later["quantityList"] = self.quantities(event.quantity_list)
        else:
            for key, epcs, quantities in (
                ("input", event.input_epcs, event.input_quantities),
                ("output", event.output_epcs, event.output_quantities),
            ):
                if epcs:
                    node[f"{key}EPCList"] = self.epcs(epcs)
                if quantities:
                    node[f"{key}QuantityList"] = self.quantities(quantities)
            if event.transformation_id is not None:
                node["transformationID"] = event.transformation_id
        return node, later

    def why(self, event: EPCISEvent, node: Json, after_transactions: Json) -> None:
        if event.biz_step is not None:
            node["bizStep"] = to_bare("bizStep", event.biz_step)
        if event.disposition is not None:
            node["disposition"] = to_bare("disposition", event.disposition)
        if event.persistent_disposition is not None:
            pd = event.persistent_disposition
            persistent: Json = {}
            if pd.set:
                persistent["set"] = [to_bare("disposition", v) for v in pd.set]
            if pd.unset:
                persistent["unset"] = [to_bare("disposition", v) for v in pd.unset]
            node["persistentDisposition"] = persistent
        if event.read_point is not None:
            node["readPoint"] = self.location(event.read_point)
        if event.biz_location is not None:
            node["bizLocation"] = self.location(event.biz_location)
        if event.biz_transactions:
            transactions = []
            for bt in event.biz_transactions:
                item: Json = {}
                if bt.type is not None:
                    item["type"] = to_bare("bizTransactionType", bt.type)
                item["bizTransaction"] = bt.value
                transactions.append(item)
            node["bizTransactionList"] = transactions
        node.update(after_transactions)
        if event.sources:
            node["sourceList"] = self.source_dests(event.sources, "source")
        if event.destinations:
            node["destinationList"] = self.source_dests(event.destinations, "destination")
        if event.sensor_elements:
            node["sensorElementList"] = [self.sensor_element(e) for e in event.sensor_elements]

    # ------------------------------------------------------------------ documents

    def header(self, header: EPCISHeader) -> Json:
        node: Json = {}
        if header.master_data:
            node["epcisMasterData"] = {"vocabularyList": self.vocabularies(header.master_data)}
        self.members(header.extensions, node)
        return node

    def vocabularies(self, vocabularies: Iterable[Vocabulary]) -> list[Json]:
        out = []
        for vocabulary in vocabularies:
            elements = []
            for element in vocabulary.elements:
                item: Json = {"id": element.id}
                if element.attributes:
                    attributes = []
                    for attr in element.attributes:
                        entry: Json = {"id": attr.id}
                        if attr.children:
                            value: Json = {}
                            self.members(attr.children, value)
                            entry["attribute"] = value
                        elif attr.value is not None:
                            entry["attribute"] = attr.value
                        attributes.append(entry)
                    item["attributes"] = attributes
                if element.children:
                    item["children"] = list(element.children)
                elements.append(item)
            out.append({"type": vocabulary.type, "vocabularyElementList": elements})
        return out


def _check_finite(value: Decimal) -> None:
    if not value.is_finite():
        raise EpcisError(f"JSON cannot hold the number {value}; expected a finite decimal")


def _context(alloc: PrefixAllocator) -> list[Any]:
    inline = alloc.context_object()
    return [DEFAULT_CONTEXT_URL, inline] if inline else [DEFAULT_CONTEXT_URL]


def _encode(node: Json) -> bytes:
    return msgspec.json.format(_ENCODER.encode(node), indent=2) + b"\n"


def write_jsonld(
    doc: EPCISDocument,
    *,
    epc_format: EpcFormat = "as_given",
    registry: PrefixRegistry | None = None,
) -> bytes:
    """Serialise ``doc`` as an EPCIS 2.0 JSON-LD document or query document (EPCIS 2.0 §10).

    A master-data-only document (``kind == "masterdata"``) is written as an ``EPCISDocument``
    with an empty event list and its vocabularies in ``epcisHeader.epcisMasterData``.
    """
    convert = _converter(epc_format, registry)
    doc_members = [e for e in doc.extensions if _is_document_member(e)]
    doc_extensions = [e for e in doc.extensions if not _is_document_member(e)]
    used = _used_namespaces(doc_extensions, doc.events)
    if doc.header is not None:
        used.extend(_walk(doc.header.extensions))
        for vocabulary in doc.header.master_data:
            for element in vocabulary.elements:
                for attr in element.attributes:
                    used.extend(_walk(attr.children))
    alloc = PrefixAllocator(doc.namespaces, used=[namespace for namespace, _ in used])
    writer = _Writer(alloc, convert)
    alloc.reserve(used)
    kind = "EPCISQueryDocument" if doc.kind == "query" else "EPCISDocument"
    node: Json = {"@context": None, "type": kind}
    members = {e.name: e.value for e in doc_members}
    if "id" in members:
        node["id"] = members.pop("id")
    # JSON-LD is an EPCIS 2.0 syntax: a 1.x document converted to it becomes a 2.0 document.
    node["schemaVersion"] = "2.0" if doc.schema_version.startswith("1") else doc.schema_version
    node["creationDate"] = format_datetime(doc.creation_date)
    node.update(members)
    header = doc.header
    vocabularies = doc.vocabularies
    if header is not None or vocabularies:
        header_node = writer.header(header) if header is not None else {}
        if vocabularies:
            master = header_node.setdefault("epcisMasterData", {"vocabularyList": []})
            master["vocabularyList"].extend(writer.vocabularies(vocabularies))
        node["epcisHeader"] = header_node
    events = [writer.event(event) for event in doc.events]
    if doc.kind == "query":
        results: Json = {}
        if doc.subscription_id is not None:
            results["subscriptionID"] = doc.subscription_id
        results["queryName"] = doc.query_name or "SimpleEventQuery"
        results["resultsBody"] = {"eventList": events}
        node["epcisBody"] = {"queryResults": results}
    else:
        node["epcisBody"] = {"eventList": events}
    writer.members(doc_extensions, node)
    node["@context"] = _context(alloc)
    return _encode(node)


def _is_document_member(ext: Extension) -> bool:
    return (
        ext.namespace == EPCIS_JSONLD_NS
        and ext.name in DOCUMENT_MEMBERS
        and ext.value is not None
        and not ext.children
    )


def event_to_jsonld(
    event: Event,
    *,
    alloc: PrefixAllocator,
    epc_format: EpcFormat = "as_given",
    registry: PrefixRegistry | None = None,
) -> dict[str, Any]:
    """One event as a JSON object (no ``@context``); prefixes are bound in ``alloc``."""
    return _Writer(alloc, _converter(epc_format, registry)).event(event)


def write_jsonld_event(
    event: Event,
    *,
    namespaces: Iterable[tuple[str, str]] = (),
    epc_format: EpcFormat = "as_given",
    registry: PrefixRegistry | None = None,
) -> bytes:
    """One bare event with its own ``@context`` (REST binding capture of a single event)."""
    used = _used_namespaces((), (event,))
    alloc = PrefixAllocator(namespaces, used=[namespace for namespace, _ in used])
    alloc.reserve(used)
    body = event_to_jsonld(event, alloc=alloc, epc_format=epc_format, registry=registry)
    return _encode({"@context": _context(alloc), **body})
