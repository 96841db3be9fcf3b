"""EPCIS event elements (XML 1.2 and 2.0) onto the typed model.

One reader for both versions (EPCIS 2.0 §9.3; EPCIS 1.2 §9.3): children are dispatched by
tag through a dict, so element order does not matter, and EPCIS 1.2's ``extension`` and
``baseExtension`` wrappers (EPCIS 1.2 §9.3, "extension mechanism") are unwrapped in place:
``<extension><quantityList>`` and ``<baseExtension><eventID>`` read like their 2.0 forms.
2.0-only fields that the GS1 2.0→1.2 down-conversion stores in 1.2 extension points
(``persistentDisposition``, ``sensorElementList``, ``certificationInfo``) are found there too.

Unqualified elements that EPCIS does not define are refused, except inside an
``extension`` wrapper (the ``##local`` extension points of the XSDs), where they are kept as
:class:`~medtrace.epcis.model.Extension` with ``namespace == ""``. Elements in other
namespaces are user extensions. Standard elements qualified with the EPCIS namespace
(``<epcis:eventTime>``) are tolerated. CBV values are canonicalised (see ``vocab``).

Errors are raised as :class:`XmlValueProblem` carrying the offending element; the document
reader turns them into located :class:`~medtrace.epcis.errors.EpcisDocumentError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from lxml import etree

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
    plain_location,
)
from medtrace.epcis.vocab import to_canonical
from medtrace.epcis.xml_names import EPCIS_NAMESPACES, XSI_NS, split_tag, tag_variants
from medtrace.epcis.xml_values import (
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_offset,
    parse_xsd_decimal,
)

__all__ = ["EVENT_CLASSES", "XmlValueProblem", "element_to_event", "to_extension"]

Element = etree._Element
Fields = dict[str, Any]


class XmlValueProblem(Exception):  # noqa: N818 - internal signal, becomes EpcisDocumentError
    """A problem with one element (or one of its attributes); located by the caller."""

    def __init__(self, message: str, element: Element, attribute: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element = element
        self.attribute = attribute


EVENT_CLASSES: Final[dict[str, type[Event]]] = {
    "ObjectEvent": ObjectEvent,
    "AggregationEvent": AggregationEvent,
    "TransactionEvent": TransactionEvent,
    "TransformationEvent": TransformationEvent,
    "AssociationEvent": AssociationEvent,
}
_ALLOWED: Final = {name: frozenset(cls.__struct_fields__) for name, cls in EVENT_CLASSES.items()}
_ACTIONS: Final = {"ADD": "ADD", "OBSERVE": "OBSERVE", "DELETE": "DELETE"}
_NIL: Final = f"{{{XSI_NS}}}nil"


def _variants(names: str) -> frozenset[str]:
    return frozenset(t for name in names.split() for t in tag_variants(name))


_EXTENSION_TAGS: Final = _variants("extension baseExtension")
_EPC_TAGS: Final = _variants("epc")
_ID_TAGS: Final = _variants("id")
_QE_TAGS: Final = _variants("quantityElement")


# --------------------------------------------------------------------------- small values


def text_of(el: Element) -> str:
    """The trimmed, non-empty text of a simple element."""
    t = el.text
    if t is not None:
        t = t.strip()
        if t:
            return t
    raise XmlValueProblem(f"element {split_tag(el.tag)[1]} is empty; a value is required", el)


def _convert(parse: Callable[[str], Any], el: Element) -> Any:
    text = text_of(el)
    try:
        return parse(text)
    except ValueError as exc:
        raise XmlValueProblem(str(exc), el) from None


def _epc_list(el: Element) -> tuple[str, ...]:
    # Fast path: every child an unqualified <epc> with text (one C-level filtered pass).
    texts = [child.text for child in el.iterchildren("epc")]
    if len(texts) == len(el):
        try:
            epcs = tuple(map(str.strip, texts))  # type: ignore[arg-type]
        except TypeError:  # an <epc> without text (None)
            return _epc_list_checked(el)
        if all(epcs):
            return epcs
    return _epc_list_checked(el)


def _epc_list_checked(el: Element) -> tuple[str, ...]:
    out: list[str] = []
    append = out.append
    for child in el:
        tag = child.tag
        if tag != "epc" and tag not in _EPC_TAGS:
            raise XmlValueProblem(f"expected epc, got {split_tag(tag)[1]}", child)
        t = child.text
        if t is None or not (t := t.strip()):
            raise XmlValueProblem("element epc is empty; an EPC URI is required", child)
        append(t)
    return tuple(out)


def _quantity_list(el: Element) -> tuple[QuantityElement, ...]:
    out: list[QuantityElement] = []
    for qe in el:
        if qe.tag not in _QE_TAGS:
            raise XmlValueProblem(f"expected quantityElement, got {split_tag(qe.tag)[1]}", qe)
        epc_class: str | None = None
        quantity = None
        uom: str | None = None
        for child in qe:
            name = split_tag(child.tag)[1]
            if name == "epcClass":
                epc_class = text_of(child)
            elif name == "quantity":
                if child.get(_NIL) not in ("true", "1"):
                    quantity = _convert(parse_xsd_decimal, child)
            elif name == "uom":
                uom = text_of(child)
            else:
                raise XmlValueProblem(f"unexpected element {name} in quantityElement", child)
        if epc_class is None:
            raise XmlValueProblem("quantityElement without epcClass", qe)
        out.append(QuantityElement(epc_class=epc_class, quantity=quantity, uom=uom))
    return tuple(out)


# --------------------------------------------------------------------------- extensions


def _attr_prefix(el: Element, ns: str) -> str | None:
    for prefix, uri in el.nsmap.items():
        if uri == ns and prefix is not None:
            return prefix
    return None


def ext_attributes(el: Element, skip: frozenset[str] = frozenset()) -> tuple[ExtAttribute, ...]:
    """The attributes of ``el`` (except names in ``skip``) as :class:`ExtAttribute`."""
    out: list[ExtAttribute] = []
    for key, value in el.attrib.items():
        if key in skip:
            continue
        ns, name = split_tag(str(key))
        prefix = _attr_prefix(el, ns) if ns else None
        out.append(ExtAttribute(namespace=ns, name=name, value=str(value), prefix=prefix))
    return tuple(out)


def to_extension(el: Element) -> Extension:
    """A user extension element (any namespace) as a generic :class:`Extension` tree."""
    ns, name = split_tag(el.tag)
    attributes = ext_attributes(el) if len(el.attrib) else ()
    if len(el):
        return Extension(
            namespace=ns,
            name=name,
            prefix=el.prefix,
            children=tuple(to_extension(c) for c in el),
            attributes=attributes,
        )
    return Extension(
        namespace=ns,
        name=name,
        prefix=el.prefix,
        value=(el.text or "").strip(),
        attributes=attributes,
    )


def is_user_tag(tag: str) -> bool:
    """Whether ``tag`` is qualified with a namespace other than the EPCIS ones."""
    return tag[:1] == "{" and split_tag(tag)[0] not in EPCIS_NAMESPACES


def collect_extensions(el: Element, *, in_extension: bool = False) -> list[Extension]:
    """The user extensions among ``el``'s children; ``extension`` wrappers are unwrapped."""
    out: list[Extension] = []
    for child in el:
        tag = child.tag
        if tag in _EXTENSION_TAGS:
            out.extend(collect_extensions(child, in_extension=True))
        elif is_user_tag(tag) or (in_extension and tag[:1] != "{"):
            out.append(to_extension(child))
        else:
            raise XmlValueProblem(
                f"unexpected element {split_tag(tag)[1]} in {split_tag(el.tag)[1]}", child
            )
    return out


# --------------------------------------------------------------------------- structures


def _location(el: Element) -> Location:
    if len(el) == 1:
        child = el[0]
        if child.tag == "id" and not len(child):
            text = child.text
            if text is not None and (text := text.strip()):
                return plain_location(text)
    return _location_checked(el)


def _location_checked(el: Element) -> Location:
    loc_id: str | None = None
    extensions: list[Extension] = []
    for child in el:
        tag = child.tag
        if tag in _ID_TAGS:
            loc_id = text_of(child)
        elif tag in _EXTENSION_TAGS:
            extensions.extend(collect_extensions(child, in_extension=True))
        elif is_user_tag(tag):
            extensions.append(to_extension(child))
        else:
            raise XmlValueProblem(f"unexpected element {split_tag(tag)[1]} in location", child)
    if loc_id is None:
        raise XmlValueProblem(f"{split_tag(el.tag)[1]} without id", el)
    return Location(id=loc_id, extensions=tuple(extensions))


def _biz_transactions(el: Element) -> tuple[BizTransaction, ...]:
    out = []
    for child in el:
        btt = child.get("type")
        out.append(
            BizTransaction(
                value=text_of(child),
                type=to_canonical("bizTransactionType", btt.strip()) if btt else None,
            )
        )
    return tuple(out)


def _source_dest(el: Element) -> tuple[SourceDest, ...]:
    out = []
    for child in el:
        sdt = child.get("type")
        if not sdt:
            raise XmlValueProblem(f"{split_tag(child.tag)[1]} without type attribute", child)
        out.append(
            SourceDest(type=to_canonical("sourceDestType", sdt.strip()), value=text_of(child))
        )
    return tuple(out)


def _persistent_disposition(el: Element) -> PersistentDisposition:
    sets: list[str] = []
    unsets: list[str] = []
    for child in el:
        name = split_tag(child.tag)[1]
        target = sets if name == "set" else unsets if name == "unset" else None
        if target is None:
            raise XmlValueProblem(f"unexpected element {name} in persistentDisposition", child)
        target.append(to_canonical("disposition", text_of(child)))
    return PersistentDisposition(set=tuple(sets), unset=tuple(unsets))


def _error_declaration(el: Element) -> ErrorDeclaration:
    f: Fields = {}
    extensions: list[Extension] = []
    for child in el:
        tag = child.tag
        name = split_tag(tag)[1] if not is_user_tag(tag) else ""
        if name == "declarationTime":
            f["declaration_time"] = _convert(parse_datetime, child)
        elif name == "reason":
            f["reason"] = to_canonical("errorReason", text_of(child))
        elif name == "correctiveEventIDs":
            f["corrective_event_ids"] = tuple(text_of(c) for c in child)
        elif tag in _EXTENSION_TAGS:
            extensions.extend(collect_extensions(child, in_extension=True))
        elif not name:
            extensions.append(to_extension(child))
        else:
            raise XmlValueProblem(f"unexpected element {name} in errorDeclaration", child)
    if "declaration_time" not in f:
        raise XmlValueProblem("errorDeclaration without declarationTime", el)
    return ErrorDeclaration(**f, extensions=tuple(extensions))


def _attr_values(
    el: Element, spec: dict[str, tuple[str, Callable[[str], Any]]]
) -> tuple[Fields, tuple[ExtAttribute, ...]]:
    f: Fields = {}
    extra: list[ExtAttribute] = []
    for key, value in el.attrib.items():
        key, value = str(key), str(value)
        hit = spec.get(key)
        if hit is None:
            ns, name = split_tag(key)
            prefix = _attr_prefix(el, ns) if ns else None
            extra.append(ExtAttribute(namespace=ns, name=name, value=value, prefix=prefix))
            continue
        field, parse = hit
        try:
            f[field] = parse(value.strip())
        except ValueError as exc:
            raise XmlValueProblem(str(exc), el, key) from None
    return f, tuple(extra)


def _ident(value: str) -> str:
    return value


_METADATA_ATTRS: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "time": ("time", parse_datetime),
    "startTime": ("start_time", parse_datetime),
    "endTime": ("end_time", parse_datetime),
    "deviceID": ("device_id", _ident),
    "deviceMetadata": ("device_metadata", _ident),
    "rawData": ("raw_data", _ident),
    "dataProcessingMethod": ("data_processing_method", _ident),
    "bizRules": ("biz_rules", _ident),
}
_REPORT_ATTRS: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "type": ("type", lambda v: to_canonical("measurementType", v)),
    "exception": ("exception", lambda v: to_canonical("sensorAlertType", v)),
    "component": ("component", lambda v: to_canonical("component", v)),
    "deviceID": ("device_id", _ident),
    "deviceMetadata": ("device_metadata", _ident),
    "rawData": ("raw_data", _ident),
    "dataProcessingMethod": ("data_processing_method", _ident),
    "time": ("time", parse_datetime),
    "microorganism": ("microorganism", _ident),
    "chemicalSubstance": ("chemical_substance", _ident),
    "value": ("value", parse_decimal),
    "stringValue": ("string_value", _ident),
    "booleanValue": ("boolean_value", parse_bool),
    "hexBinaryValue": ("hex_binary_value", _ident),
    "uriValue": ("uri_value", _ident),
    "minValue": ("min_value", parse_decimal),
    "maxValue": ("max_value", parse_decimal),
    "meanValue": ("mean_value", parse_decimal),
    "sDev": ("s_dev", parse_decimal),
    "percRank": ("perc_rank", parse_decimal),
    "percValue": ("perc_value", parse_decimal),
    "uom": ("uom", _ident),
    "coordinateReferenceSystem": ("coordinate_reference_system", _ident),
}
_METADATA_TAGS: Final = _variants("sensorMetadata sensorMetaData")
_REPORT_TAGS: Final = _variants("sensorReport")
_SENSOR_ELEMENT_TAGS: Final = _variants("sensorElement")


def _sensor_element(el: Element) -> SensorElement:
    metadata: SensorMetadata | None = None
    reports: list[SensorReport] = []
    extensions: list[Extension] = []
    for child in el:
        tag = child.tag
        if tag in _REPORT_TAGS:
            f, extra = _attr_values(child, _REPORT_ATTRS)
            reports.append(SensorReport(**f, extensions=extra))
        elif tag in _METADATA_TAGS:
            f, extra = _attr_values(child, _METADATA_ATTRS)
            metadata = SensorMetadata(**f, extensions=extra)
        elif tag in _EXTENSION_TAGS:
            extensions.extend(collect_extensions(child, in_extension=True))
        elif is_user_tag(tag):
            extensions.append(to_extension(child))
        else:
            raise XmlValueProblem(f"unexpected element {split_tag(tag)[1]} in sensorElement", child)
    return SensorElement(metadata=metadata, reports=tuple(reports), extensions=tuple(extensions))


def _sensor_elements(el: Element) -> tuple[SensorElement, ...]:
    out = []
    for child in el:
        if child.tag not in _SENSOR_ELEMENT_TAGS:
            name = split_tag(child.tag)[1]
            raise XmlValueProblem(f"unexpected element {name} in sensorElementList", child)
        out.append(_sensor_element(child))
    return tuple(out)


# --------------------------------------------------------------------------- dispatch


def _datetime_of(el: Element) -> Any:
    t = el.text
    try:
        return parse_datetime(t.strip() if t else "")
    except ValueError as exc:
        raise XmlValueProblem(str(exc), el) from None


#: Time zone offsets already found valid (``±hh:mm``: a few hundred at most).
_VALID_OFFSETS: Final[set[str]] = set()


def _offset_of(el: Element) -> str:
    t = el.text
    text = t.strip() if t else ""
    if text in _VALID_OFFSETS:
        return text
    try:
        offset = parse_offset(text)
    except ValueError as exc:
        raise XmlValueProblem(str(exc), el) from None
    _VALID_OFFSETS.add(offset)
    return offset


def _action_of(el: Element) -> str:
    t = el.text
    action = _ACTIONS.get(t.strip()) if t else None
    if action is None:
        raise XmlValueProblem(f"action must be ADD, OBSERVE or DELETE, got {t!r}", el)
    return action


def _biz_step_of(el: Element) -> str:
    return to_canonical("bizStep", text_of(el))


def _disposition_of(el: Element) -> str:
    return to_canonical("disposition", text_of(el))


def _certification_of(el: Element) -> tuple[str, ...]:
    return (text_of(el),)


def _ilmd_of(el: Element) -> tuple[Extension, ...]:
    return tuple(collect_extensions(el))


Handler = Callable[[Element], Any]
_HANDLERS: dict[str, tuple[str, Handler]] = {}
_WRAP: Final = "*extension"
_CERTS: Final = "certification_info"

for _name, _field, _handler in (
    ("eventTime", "event_time", _datetime_of),
    ("recordTime", "record_time", _datetime_of),
    ("eventTimeZoneOffset", "event_time_zone_offset", _offset_of),
    ("eventID", "event_id", text_of),
    ("errorDeclaration", "error_declaration", _error_declaration),
    ("certificationInfo", _CERTS, _certification_of),
    ("epcList", "epc_list", _epc_list),
    ("childEPCs", "child_epcs", _epc_list),
    ("inputEPCList", "input_epcs", _epc_list),
    ("outputEPCList", "output_epcs", _epc_list),
    ("quantityList", "quantity_list", _quantity_list),
    ("childQuantityList", "child_quantities", _quantity_list),
    ("inputQuantityList", "input_quantities", _quantity_list),
    ("outputQuantityList", "output_quantities", _quantity_list),
    ("action", "action", _action_of),
    ("parentID", "parent_id", text_of),
    ("transformationID", "transformation_id", text_of),
    ("bizStep", "biz_step", _biz_step_of),
    ("disposition", "disposition", _disposition_of),
    ("persistentDisposition", "persistent_disposition", _persistent_disposition),
    ("readPoint", "read_point", _location),
    ("bizLocation", "biz_location", _location),
    ("bizTransactionList", "biz_transactions", _biz_transactions),
    ("sourceList", "sources", _source_dest),
    ("destinationList", "destinations", _source_dest),
    ("sensorElementList", "sensor_elements", _sensor_elements),
    ("ilmd", "ilmd", _ilmd_of),
    ("extension", _WRAP, _ilmd_of),
    ("baseExtension", _WRAP, _ilmd_of),
):
    for _tag in tag_variants(_name):
        _HANDLERS[_tag] = (_field, _handler)

#: the XML element name of each model field, for messages.
_XML_NAME: Final = {field: split_tag(tag)[1] for tag, (field, _h) in _HANDLERS.items()}

#: Fields whose value depends on nothing but the element's text (EPCIS 2.0 §7.4.1 time zone
#: offset, §7.4.2 action, CBV 2.0 §7.1/§7.2 business step and disposition): a shipment's
#: events repeat the same few texts, so the value read from each text is remembered (per
#: field; emptied past :data:`_BY_TEXT_MAX` entries). A text the handler refuses is never
#: remembered, so each of its elements is refused with its own location.
_BY_TEXT: Final = ("eventTimeZoneOffset", "action", "bizStep", "disposition")
_BY_TEXT_MAX: Final = 1024

#: tag -> (model field, handler, memo of values by text or None), for :func:`_fill`.
_DISPATCH: Final[dict[str, tuple[str, Handler, dict[str | None, Any] | None]]] = {}
for _name in {split_tag(_tag)[1] for _tag in _HANDLERS}:
    _memo: dict[str | None, Any] | None = {} if _name in _BY_TEXT else None
    for _tag in tag_variants(_name):
        _DISPATCH[_tag] = (*_HANDLERS[_tag], _memo)


def _fill(el: Element, f: Fields, extensions: list[Extension], *, in_extension: bool) -> None:
    dispatch = _DISPATCH
    for child in el:
        tag = child.tag
        hit = dispatch.get(tag)
        if hit is None:
            if is_user_tag(tag) or (in_extension and tag[:1] != "{"):
                extensions.append(to_extension(child))
                continue
            raise XmlValueProblem(
                f"unexpected element {split_tag(tag)[1]} in {split_tag(el.tag)[1]}", child
            )
        field, handler, memo = hit
        if field in f:
            if field != _CERTS:
                raise XmlValueProblem(f"duplicate element {_XML_NAME[field]}", child)
            f[field] += handler(child)
        elif memo is not None:
            text = child.text
            value = memo.get(text)
            if value is None:
                value = handler(child)
                if len(memo) >= _BY_TEXT_MAX:
                    memo.clear()
                memo[text] = value
            f[field] = value
        elif field is _WRAP:
            _fill(child, f, extensions, in_extension=True)
        else:
            f[field] = handler(child)


_REQUIRED: Final = (
    ("event_time", "eventTime"),
    ("event_time_zone_offset", "eventTimeZoneOffset"),
)


#: event tag -> (event type name, model class, fields allowed), every accepted spelling.
_EVENT_KINDS: Final = {
    tag: (kind, cls, _ALLOWED[kind])
    for kind, cls in EVENT_CLASSES.items()
    for tag in tag_variants(kind)
}


def element_to_event(el: Element) -> Event:
    """Convert one event element (any EPCIS version) into its model class."""
    found = _EVENT_KINDS.get(el.tag)
    if found is None:  # another namespace, or not an event
        kind = split_tag(el.tag)[1]
        cls = EVENT_CLASSES.get(kind)
        if cls is None:
            if kind == "QuantityEvent":
                raise XmlValueProblem(
                    "QuantityEvent (deprecated since EPCIS 1.1, removed in 2.0) is not "
                    "supported; use an ObjectEvent with a quantityList",
                    el,
                )
            raise XmlValueProblem(f"unknown event type {kind}", el)
        found = (kind, cls, _ALLOWED[kind])
    kind, cls, allowed = found
    f: Fields = {}
    extensions: list[Extension] = []
    _fill(el, f, extensions, in_extension=False)
    if extensions:
        f["extensions"] = tuple(extensions)
    if not f.keys() <= allowed:
        field = next(k for k in f if k not in allowed)
        name = _XML_NAME.get(field, field)
        raise XmlValueProblem(f"element {name} is not allowed in {kind}", el)
    for required, name in _REQUIRED:
        if required not in f:
            raise XmlValueProblem(f"{kind} without required element {name}", el)
    if "action" not in f and kind != "TransformationEvent":
        raise XmlValueProblem(f"{kind} without required element action", el)
    return cls(**f)
