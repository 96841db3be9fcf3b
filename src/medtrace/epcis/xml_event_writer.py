"""EPCIS events and user extensions from the model to XML text (EPCIS 2.0 §9.3, 1.2 §9.3).

Element order follows the XSDs of each version. For **EPCIS 1.2**, what 1.2 keeps in
extension points is wrapped as 1.2 does (``baseExtension`` for eventID/errorDeclaration,
``extension`` for quantity lists, source/destination lists and ILMD), and the 2.0-only
fields go where the GS1 2.0→1.2 down-conversion (``convert-2.0-to-1.2.xsl`` of the GS1
EPCIS artefacts, EPCIS 2.0 Annex on backward compatibility) puts them:
``persistentDisposition`` and ``sensorElementList`` in the event's ``extension`` (ObjectEvent)
or its inner ``extension`` (Aggregation/TransactionEvent; TransformationEvent's own
``extension``); AssociationEvent in ``EventList/extension/extension``. ``certificationInfo``,
which that conversion drops, goes to ``baseExtension/extension`` so nothing is lost; our
reader finds all of them again. Unqualified extensions (``namespace == ""``) are written
inside an ``extension`` wrapper, the ``##local`` extension point they came from.

CBV values are written in their URN form (the canonical form inside), sensor measurement
and alert types and components as full URIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal, TypeAlias

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
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
)
from medtrace.epcis.xml_values import (
    format_bool,
    format_datetime,
    format_decimal,
    format_xsd_decimal,
)

__all__ = ["Version", "XmlOut", "esc_attr", "esc_text", "format_dt"]

Version: TypeAlias = Literal["1.2", "2.0"]
Scope: TypeAlias = dict[str | None, str]

_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
_INVALID_CHARS: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NEEDS_ESCAPE: Final = re.compile('[&<>"\t\n\r]')


def _check_chars(value: str) -> None:
    bad = _INVALID_CHARS.search(value)
    if bad is not None:
        raise EpcisDocumentError(
            f"character U+{ord(bad.group()):04X} cannot be written in XML 1.0: {value!r}"
        )


def esc_text(value: str) -> str:
    """Escape element text (``&``, ``<``, ``>``); refuse characters XML 1.0 cannot hold."""
    if _NEEDS_ESCAPE.search(value) is None and value.isprintable():
        return value
    _check_chars(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(value: str) -> str:
    """Escape an attribute value (also quotes and whitespace that would be normalised)."""
    if _NEEDS_ESCAPE.search(value) is None and value.isprintable():
        return value
    _check_chars(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def format_dt(value: datetime) -> str:
    try:
        return format_datetime(value)
    except ValueError as exc:
        raise EpcisDocumentError(str(exc)) from None


class XmlOut:
    """Accumulates XML text for one document part, tracking in-scope namespace prefixes.

    ``scope`` maps prefixes (``None`` = default namespace) to URIs declared on the root.
    """

    def __init__(self, version: Version, scope: Scope, *, indent: bool = True) -> None:
        self.version = version
        self.scope = scope
        self.parts: list[str] = []
        self.indent = indent
        self._gen = 0

    # ------------------------------------------------------------------ primitives

    def _nl(self, depth: int) -> str:
        return "\n" + "  " * depth if self.indent else ""

    def leaf(self, depth: int, name: str, text: str, attrs: str = "") -> None:
        """``<name attrs>text</name>`` on its own line."""
        self.parts.append(f"{self._nl(depth)}<{name}{attrs}>{esc_text(text)}</{name}>")

    def open(self, depth: int, name: str, attrs: str = "") -> None:
        self.parts.append(f"{self._nl(depth)}<{name}{attrs}>")

    def close(self, depth: int, name: str) -> None:
        self.parts.append(f"{self._nl(depth)}</{name}>")

    def text(self) -> str:
        """Take the accumulated text (and reset)."""
        out = "".join(self.parts)
        self.parts = []
        return out

    # ------------------------------------------------------------------ extensions

    def _prefix_for(self, ns: str, wanted: str | None, scope: Scope, decls: list[str]) -> str:
        """A prefix bound to ``ns``: reuse, declare ``wanted`` or declare a fresh one."""
        if ns == _XML_NS:
            return "xml"
        if wanted is not None and scope.get(wanted) == ns:
            return wanted
        if wanted is not None and wanted not in scope and wanted not in ("xml", "xmlns"):
            scope[wanted] = ns
            decls.append(f' xmlns:{wanted}="{esc_attr(ns)}"')
            return wanted
        for prefix, uri in scope.items():
            if uri == ns and prefix is not None:
                return prefix
        while True:
            self._gen += 1
            fresh = f"ns{self._gen}"
            if fresh not in scope:
                break
        scope[fresh] = ns
        decls.append(f' xmlns:{fresh}="{esc_attr(ns)}"')
        return fresh

    def _ext_attrs(
        self, attributes: tuple[ExtAttribute, ...], scope: Scope, decls: list[str]
    ) -> str:
        out = []
        for attr in attributes:
            if attr.namespace:
                prefix = self._prefix_for(attr.namespace, attr.prefix, scope, decls)
                out.append(f' {prefix}:{attr.name}="{esc_attr(attr.value)}"')
            else:
                out.append(f' {attr.name}="{esc_attr(attr.value)}"')
        return "".join(out)

    def extension(self, ext: Extension, depth: int, scope: Scope | None = None) -> None:
        """One user extension element (and its subtree), declaring namespaces as needed."""
        outer = self.scope if scope is None else scope
        local = dict(outer)
        decls: list[str] = []
        if not ext.namespace:
            if local.get(None):
                local[None] = ""
                decls.append(' xmlns=""')
            name = ext.name
        elif ext.prefix is None:
            if local.get(None) != ext.namespace:
                local[None] = ext.namespace
                decls.append(f' xmlns="{esc_attr(ext.namespace)}"')
            name = ext.name
        else:
            prefix = self._prefix_for(ext.namespace, ext.prefix, local, decls)
            name = f"{prefix}:{ext.name}"
        attrs = self._ext_attrs(ext.attributes, local, decls)
        head = f"{name}{''.join(decls)}{attrs}"
        if ext.children:
            self.open(depth, head)
            for child in ext.children:
                self.extension(child, depth + 1, local)
            self.close(depth, name)
        elif ext.value:
            self.parts.append(f"{self._nl(depth)}<{head}>{esc_text(ext.value)}</{name}>")
        else:
            self.parts.append(f"{self._nl(depth)}<{head}/>")

    def extensions(
        self, exts: tuple[Extension, ...], depth: int, *, local_wrapper: bool = True
    ) -> None:
        """User extensions of one element: unqualified ones in an ``extension`` wrapper first
        (``##local``), then the namespaced ones (``##other``), each in model order."""
        if not exts:
            return
        unqualified = [e for e in exts if not e.namespace]
        if unqualified and local_wrapper:
            self.open(depth, "extension")
            for ext in unqualified:
                self.extension(ext, depth + 1)
            self.close(depth, "extension")
        for ext in exts:
            if ext.namespace or not local_wrapper:
                self.extension(ext, depth)

    # ------------------------------------------------------------------ what/where/why

    def epc_list(self, name: str, epcs: tuple[str, ...], depth: int, *, always: bool) -> None:
        if not epcs:
            if always:
                self.parts.append(f"{self._nl(depth)}<{name}/>")
            return
        nl = self._nl(depth + 1)
        self.parts.append(
            f"{self._nl(depth)}<{name}>"
            + "".join(f"{nl}<epc>{esc_text(epc)}</epc>" for epc in epcs)
            + f"{self._nl(depth)}</{name}>"
        )

    def quantity_list(self, name: str, items: tuple[QuantityElement, ...], depth: int) -> None:
        if not items:
            return
        self.open(depth, name)
        for qe in items:
            self.open(depth + 1, "quantityElement")
            self.leaf(depth + 2, "epcClass", qe.epc_class)
            if qe.quantity is not None:
                self.leaf(depth + 2, "quantity", _xsd_decimal(qe.quantity))
            if qe.uom is not None:
                self.leaf(depth + 2, "uom", qe.uom)
            self.close(depth + 1, "quantityElement")
        self.close(depth, name)

    def location(self, name: str, loc: Location | None, depth: int) -> None:
        if loc is None:
            return
        self.open(depth, name)
        self.leaf(depth + 1, "id", loc.id)
        self.extensions(loc.extensions, depth + 1)
        self.close(depth, name)

    def biz_transactions(self, items: tuple[BizTransaction, ...], depth: int) -> None:
        if not items:
            return
        self.open(depth, "bizTransactionList")
        for bt in items:
            attrs = f' type="{esc_attr(bt.type)}"' if bt.type is not None else ""
            self.leaf(depth + 1, "bizTransaction", bt.value, attrs)
        self.close(depth, "bizTransactionList")

    def source_dest(self, name: str, items: tuple[SourceDest, ...], depth: int) -> None:
        if not items:
            return
        child = name[:-4]  # sourceList -> source, destinationList -> destination
        self.open(depth, name)
        for sd in items:
            self.leaf(depth + 1, child, sd.value, f' type="{esc_attr(sd.type)}"')
        self.close(depth, name)

    def persistent_disposition(self, pd: PersistentDisposition | None, depth: int) -> None:
        if pd is None:
            return
        self.open(depth, "persistentDisposition")
        for value in pd.unset:
            self.leaf(depth + 1, "unset", value)
        for value in pd.set:
            self.leaf(depth + 1, "set", value)
        self.close(depth, "persistentDisposition")

    def error_declaration(self, ed: ErrorDeclaration | None, depth: int) -> None:
        if ed is None:
            return
        self.open(depth, "errorDeclaration")
        self.leaf(depth + 1, "declarationTime", format_dt(ed.declaration_time))
        if ed.reason is not None:
            self.leaf(depth + 1, "reason", ed.reason)
        if ed.corrective_event_ids:
            self.open(depth + 1, "correctiveEventIDs")
            for eid in ed.corrective_event_ids:
                self.leaf(depth + 2, "correctiveEventID", eid)
            self.close(depth + 1, "correctiveEventIDs")
        self.extensions(ed.extensions, depth + 1)
        self.close(depth, "errorDeclaration")

    def ilmd(self, items: tuple[Extension, ...], depth: int) -> None:
        if not items:
            return
        self.open(depth, "ilmd")
        self.extensions(items, depth + 1)
        self.close(depth, "ilmd")

    # ------------------------------------------------------------------ sensors

    def _sensor_attrs(
        self,
        obj: SensorMetadata | SensorReport,
        spec: tuple[tuple[str, str], ...],
        extra: tuple[ExtAttribute, ...],
        scope: Scope,
        decls: list[str],
    ) -> str:
        out = []
        for xml_name, field in spec:
            value = getattr(obj, field)
            if value is None:
                continue
            out.append(f' {xml_name}="{esc_attr(_attr_text(value))}"')
        return "".join(out) + self._ext_attrs(extra, scope, decls)

    def sensor_elements(self, items: tuple[SensorElement, ...], depth: int) -> None:
        if not items:
            return
        self.open(depth, "sensorElementList")
        for se in items:
            self.open(depth + 1, "sensorElement")
            if se.metadata is not None:
                decls: list[str] = []
                scope = dict(self.scope)
                attrs = self._sensor_attrs(
                    se.metadata, _METADATA_SPEC, se.metadata.extensions, scope, decls
                )
                self.parts.append(f"{self._nl(depth + 2)}<sensorMetadata{''.join(decls)}{attrs}/>")
            for report in se.reports:
                decls = []
                scope = dict(self.scope)
                attrs = self._sensor_attrs(report, _REPORT_SPEC, report.extensions, scope, decls)
                self.parts.append(f"{self._nl(depth + 2)}<sensorReport{''.join(decls)}{attrs}/>")
            self.extensions(se.extensions, depth + 2)
            self.close(depth + 1, "sensorElement")
        self.close(depth, "sensorElementList")

    # ------------------------------------------------------------------ events

    def _head(self, ev: Event, depth: int) -> None:
        """eventTime … certificationInfo (2.0) or … baseExtension (1.2)."""
        self.leaf(depth, "eventTime", format_dt(ev.event_time))
        if ev.record_time is not None:
            self.leaf(depth, "recordTime", format_dt(ev.record_time))
        self.leaf(depth, "eventTimeZoneOffset", ev.event_time_zone_offset)
        if self.version == "2.0":
            if ev.event_id is not None:
                self.leaf(depth, "eventID", ev.event_id)
            self.error_declaration(ev.error_declaration, depth)
            for cert in ev.certification_info:
                self.leaf(depth, "certificationInfo", cert)
            return
        if ev.event_id is None and ev.error_declaration is None and not ev.certification_info:
            return
        self.open(depth, "baseExtension")
        if ev.event_id is not None:
            self.leaf(depth + 1, "eventID", ev.event_id)
        self.error_declaration(ev.error_declaration, depth + 1)
        if ev.certification_info:
            self.open(depth + 1, "extension")
            for cert in ev.certification_info:
                self.leaf(depth + 2, "certificationInfo", cert)
            self.close(depth + 1, "extension")
        self.close(depth, "baseExtension")

    def _why(self, ev: Event, depth: int, *, with_bt: bool = True) -> None:
        if ev.biz_step is not None:
            self.leaf(depth, "bizStep", ev.biz_step)
        if ev.disposition is not None:
            self.leaf(depth, "disposition", ev.disposition)
        self.location("readPoint", ev.read_point, depth)
        self.location("bizLocation", ev.biz_location, depth)
        if with_bt:
            self.biz_transactions(ev.biz_transactions, depth)

    def _tail_20(self, ev: Event, depth: int) -> None:
        self.source_dest("sourceList", ev.sources, depth)
        self.source_dest("destinationList", ev.destinations, depth)
        self.sensor_elements(ev.sensor_elements, depth)
        self.persistent_disposition(ev.persistent_disposition, depth)

    def _user(self, ev: Event, depth: int) -> None:
        self.extensions(ev.extensions, depth)

    def event(self, ev: Event, depth: int) -> None:
        """One event element (with the 1.2 ``extension`` wrappers where needed)."""
        writer = _WRITERS[self.version][type(ev)]
        writer(self, ev, depth)

    # 2.0 ---------------------------------------------------------------

    def _object_20(self, ev: ObjectEvent, d: int) -> None:
        self.open(d, "ObjectEvent")
        self._head(ev, d + 1)
        self.epc_list("epcList", ev.epc_list, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1)
        self.quantity_list("quantityList", ev.quantity_list, d + 1)
        self._tail_20(ev, d + 1)
        self.ilmd(ev.ilmd, d + 1)
        self._user(ev, d + 1)
        self.close(d, "ObjectEvent")

    def _aggregation_20(self, ev: AggregationEvent, d: int) -> None:
        self.open(d, "AggregationEvent")
        self._head(ev, d + 1)
        if ev.parent_id is not None:
            self.leaf(d + 1, "parentID", ev.parent_id)
        self.epc_list("childEPCs", ev.child_epcs, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1)
        self.quantity_list("childQuantityList", ev.child_quantities, d + 1)
        self._tail_20(ev, d + 1)
        self._user(ev, d + 1)
        self.close(d, "AggregationEvent")

    def _transaction_20(self, ev: TransactionEvent, d: int) -> None:
        self.open(d, "TransactionEvent")
        self._head(ev, d + 1)
        self.biz_transactions(ev.biz_transactions, d + 1)
        if ev.parent_id is not None:
            self.leaf(d + 1, "parentID", ev.parent_id)
        self.epc_list("epcList", ev.epc_list, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1, with_bt=False)
        self.quantity_list("quantityList", ev.quantity_list, d + 1)
        self._tail_20(ev, d + 1)
        self._user(ev, d + 1)
        self.close(d, "TransactionEvent")

    def _transformation_body(self, ev: TransformationEvent, d: int) -> None:
        self._head(ev, d)
        self.epc_list("inputEPCList", ev.input_epcs, d, always=False)
        self.quantity_list("inputQuantityList", ev.input_quantities, d)
        self.epc_list("outputEPCList", ev.output_epcs, d, always=False)
        self.quantity_list("outputQuantityList", ev.output_quantities, d)
        if ev.transformation_id is not None:
            self.leaf(d, "transformationID", ev.transformation_id)
        self._why(ev, d)
        self.source_dest("sourceList", ev.sources, d)
        self.source_dest("destinationList", ev.destinations, d)

    def _transformation_20(self, ev: TransformationEvent, d: int) -> None:
        self.open(d, "TransformationEvent")
        self._transformation_body(ev, d + 1)
        self.sensor_elements(ev.sensor_elements, d + 1)
        self.persistent_disposition(ev.persistent_disposition, d + 1)
        self.ilmd(ev.ilmd, d + 1)
        self._user(ev, d + 1)
        self.close(d, "TransformationEvent")

    def _association_body(self, ev: AssociationEvent, d: int) -> None:
        self._head(ev, d)
        if ev.parent_id is not None:
            self.leaf(d, "parentID", ev.parent_id)
        self.epc_list("childEPCs", ev.child_epcs, d, always=False)
        self.quantity_list("childQuantityList", ev.child_quantities, d)
        self.leaf(d, "action", ev.action)
        self._why(ev, d)
        self._tail_20(ev, d)
        self._user(ev, d)

    def _association_20(self, ev: AssociationEvent, d: int) -> None:
        self.open(d, "AssociationEvent")
        self._association_body(ev, d + 1)
        self.close(d, "AssociationEvent")

    # 1.2 ---------------------------------------------------------------

    def _inner_12(self, ev: Event, d: int) -> None:
        """``extension`` (2nd level) of 1.2 Aggregation/Transaction/Transformation events:
        2.0-only fields and unqualified extensions."""
        local = [e for e in ev.extensions if not e.namespace]
        if not (ev.sensor_elements or ev.persistent_disposition or local):
            return
        self.open(d, "extension")
        self.sensor_elements(ev.sensor_elements, d + 1)
        self.persistent_disposition(ev.persistent_disposition, d + 1)
        for ext in local:
            self.extension(ext, d + 1)
        self.close(d, "extension")

    def _namespaced(self, ev: Event, d: int) -> None:
        for ext in ev.extensions:
            if ext.namespace:
                self.extension(ext, d)

    def _object_12(self, ev: ObjectEvent, d: int) -> None:
        self.open(d, "ObjectEvent")
        self._head(ev, d + 1)
        self.epc_list("epcList", ev.epc_list, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1)
        local = [e for e in ev.extensions if not e.namespace]
        if (
            ev.quantity_list
            or ev.sources
            or ev.destinations
            or ev.persistent_disposition
            or ev.sensor_elements
            or ev.ilmd
            or local
        ):
            self.open(d + 1, "extension")
            self.quantity_list("quantityList", ev.quantity_list, d + 2)
            self.source_dest("sourceList", ev.sources, d + 2)
            self.source_dest("destinationList", ev.destinations, d + 2)
            self.persistent_disposition(ev.persistent_disposition, d + 2)
            self.sensor_elements(ev.sensor_elements, d + 2)
            self.ilmd(ev.ilmd, d + 2)
            if local:
                self.open(d + 2, "extension")
                for ext in local:
                    self.extension(ext, d + 3)
                self.close(d + 2, "extension")
            self.close(d + 1, "extension")
        self._namespaced(ev, d + 1)
        self.close(d, "ObjectEvent")

    def _aggregation_12(self, ev: AggregationEvent, d: int) -> None:
        self.open(d, "AggregationEvent")
        self._head(ev, d + 1)
        if ev.parent_id is not None:
            self.leaf(d + 1, "parentID", ev.parent_id)
        self.epc_list("childEPCs", ev.child_epcs, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1)
        self._extension_12(ev, "childQuantityList", ev.child_quantities, d + 1)
        self._namespaced(ev, d + 1)
        self.close(d, "AggregationEvent")

    def _extension_12(
        self, ev: Event, qname: str, quantities: tuple[QuantityElement, ...], d: int
    ) -> None:
        has_inner = ev.sensor_elements or ev.persistent_disposition
        local = any(not e.namespace for e in ev.extensions)
        if not (quantities or ev.sources or ev.destinations or has_inner or local):
            return
        self.open(d, "extension")
        self.quantity_list(qname, quantities, d + 1)
        self.source_dest("sourceList", ev.sources, d + 1)
        self.source_dest("destinationList", ev.destinations, d + 1)
        self._inner_12(ev, d + 1)
        self.close(d, "extension")

    def _transaction_12(self, ev: TransactionEvent, d: int) -> None:
        self.open(d, "TransactionEvent")
        self._head(ev, d + 1)
        if ev.biz_transactions:
            self.biz_transactions(ev.biz_transactions, d + 1)
        else:
            self.parts.append(f"{self._nl(d + 1)}<bizTransactionList/>")
        if ev.parent_id is not None:
            self.leaf(d + 1, "parentID", ev.parent_id)
        self.epc_list("epcList", ev.epc_list, d + 1, always=True)
        self.leaf(d + 1, "action", ev.action)
        self._why(ev, d + 1, with_bt=False)
        self._extension_12(ev, "quantityList", ev.quantity_list, d + 1)
        self._namespaced(ev, d + 1)
        self.close(d, "TransactionEvent")

    def _transformation_12(self, ev: TransformationEvent, d: int) -> None:
        self.open(d, "extension")
        self.open(d + 1, "TransformationEvent")
        self._transformation_body(ev, d + 2)
        self.ilmd(ev.ilmd, d + 2)
        self._inner_12(ev, d + 2)
        self._namespaced(ev, d + 2)
        self.close(d + 1, "TransformationEvent")
        self.close(d, "extension")

    def _association_12(self, ev: AssociationEvent, d: int) -> None:
        self.open(d, "extension")
        self.open(d + 1, "extension")
        self.open(d + 2, "AssociationEvent")
        self._association_body(ev, d + 3)
        self.close(d + 2, "AssociationEvent")
        self.close(d + 1, "extension")
        self.close(d, "extension")


def _xsd_decimal(value: Decimal) -> str:
    try:
        return format_xsd_decimal(value)
    except ValueError as exc:
        raise EpcisDocumentError(str(exc)) from None


def _attr_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return format_bool(value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return format_dt(value)
    raise EpcisDocumentError(f"cannot write attribute value {value!r}")  # pragma: no cover


_METADATA_SPEC: Final = (
    ("time", "time"),
    ("startTime", "start_time"),
    ("endTime", "end_time"),
    ("deviceID", "device_id"),
    ("deviceMetadata", "device_metadata"),
    ("rawData", "raw_data"),
    ("dataProcessingMethod", "data_processing_method"),
    ("bizRules", "biz_rules"),
)
_REPORT_SPEC: Final = (
    ("type", "type"),
    ("exception", "exception"),
    ("deviceID", "device_id"),
    ("deviceMetadata", "device_metadata"),
    ("rawData", "raw_data"),
    ("dataProcessingMethod", "data_processing_method"),
    ("time", "time"),
    ("microorganism", "microorganism"),
    ("chemicalSubstance", "chemical_substance"),
    ("value", "value"),
    ("component", "component"),
    ("stringValue", "string_value"),
    ("booleanValue", "boolean_value"),
    ("hexBinaryValue", "hex_binary_value"),
    ("uriValue", "uri_value"),
    ("minValue", "min_value"),
    ("maxValue", "max_value"),
    ("meanValue", "mean_value"),
    ("sDev", "s_dev"),
    ("percRank", "perc_rank"),
    ("percValue", "perc_value"),
    ("uom", "uom"),
    ("coordinateReferenceSystem", "coordinate_reference_system"),
)

_WRITERS: Final[dict[str, dict[type, Callable[..., None]]]] = {
    "2.0": {
        ObjectEvent: XmlOut._object_20,
        AggregationEvent: XmlOut._aggregation_20,
        TransactionEvent: XmlOut._transaction_20,
        TransformationEvent: XmlOut._transformation_20,
        AssociationEvent: XmlOut._association_20,
    },
    "1.2": {
        ObjectEvent: XmlOut._object_12,
        AggregationEvent: XmlOut._aggregation_12,
        TransactionEvent: XmlOut._transaction_12,
        TransformationEvent: XmlOut._transformation_12,
        AssociationEvent: XmlOut._association_12,
    },
}
