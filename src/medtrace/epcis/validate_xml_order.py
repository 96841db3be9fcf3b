"""Element order of EPCIS 2.0 XML events (EPCIS 2.0 §9.3, ``EPCglobal-epcis-2_0.xsd``).

The XSD declares every event type as an ``xsd:sequence``: the standard children must come in
one order (``eventTime``, ``recordTime``, ``eventTimeZoneOffset``, …, then the type's own
fields), then the ``extension`` wrapper, then user extension elements (``##other``). The
medtrace reader picks children by name, so order never changes what is read; this module
reports where a document departs from the schema's order, for callers that want XSD
conformance (``strict``) or only a warning.

Only EPCIS 2.0 documents (namespace ``urn:epcglobal:epcis:xsd:2``) are checked.
"""

from __future__ import annotations

from io import BytesIO
from typing import Final

from lxml import etree

from medtrace.epcis.validate_core import Problem, Severity
from medtrace.epcis.xml_names import EPCIS_NAMESPACES, EPCIS_NS, split_tag

__all__ = ["EVENT_SEQUENCES", "check_xml_element_order"]

_BASE: Final = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
    "baseExtension",
)
_WHY_WHERE: Final = ("bizStep", "disposition", "readPoint", "bizLocation")
_TAIL: Final = ("sourceList", "destinationList", "sensorElementList", "persistentDisposition")

#: The XSD sequence of each event type's standard children (EPCIS 2.0 XSD, §9.3).
EVENT_SEQUENCES: Final[dict[str, tuple[str, ...]]] = {
    "ObjectEvent": (
        *_BASE, "epcList", "action", *_WHY_WHERE, "bizTransactionList", "quantityList",
        *_TAIL, "ilmd", "extension",
    ),
    "AggregationEvent": (
        *_BASE, "parentID", "childEPCs", "action", *_WHY_WHERE, "bizTransactionList",
        "childQuantityList", *_TAIL, "extension",
    ),
    "TransactionEvent": (
        *_BASE, "bizTransactionList", "parentID", "epcList", "action", *_WHY_WHERE,
        "quantityList", *_TAIL, "extension",
    ),
    "TransformationEvent": (
        *_BASE, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "transformationID", *_WHY_WHERE, "bizTransactionList", *_TAIL, "ilmd", "extension",
    ),
    "AssociationEvent": (
        *_BASE, "parentID", "childEPCs", "childQuantityList", "action", *_WHY_WHERE,
        "bizTransactionList", *_TAIL, "extension",
    ),
}  # fmt: skip
_POSITIONS: Final = {
    kind: {name: position for position, name in enumerate(sequence)}
    for kind, sequence in EVENT_SEQUENCES.items()
}
_EPCIS2: Final = EPCIS_NS["2.0"]
_EVENT_LIST_PATH: Final = "/EPCISDocument/EPCISBody/EventList"


def _order_problem(event: etree._Element, index: int, severity: Severity) -> Problem | None:
    kind = split_tag(event.tag)[1]
    positions = _POSITIONS[kind]
    user_position = len(positions)
    highest = -1
    previous = ""
    for child in event.iterchildren(etree.Element):  # elements only: no comments or PIs
        namespace, name = split_tag(child.tag)
        standard = namespace in ("", *EPCIS_NAMESPACES)
        position = positions.get(name, user_position) if standard else user_position
        if position < highest:
            expected = ", ".join(EVENT_SEQUENCES[kind])
            return Problem(
                event_index=index,
                location=f"{_EVENT_LIST_PATH}/*[{index + 1}]/{name}",
                value=name,
                message=(
                    f"element {name} comes after {previous}; the EPCIS 2.0 XSD orders the "
                    f"children of {kind} as {expected}, then user extensions"
                ),
                severity=severity,
                rule="xml.element-order",
            )
        highest, previous = position, name
    return None


def check_xml_element_order(data: bytes, *, severity: Severity = "warning") -> list[Problem]:
    """One problem per EPCIS 2.0 event whose children are out of XSD order.

    ``data`` must already have passed the reader's safety checks (no DTD); it is parsed again
    with entities and network access off, one event at a time.

    >>> doc = b'''<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"
    ...   schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
    ...   <ObjectEvent><action>ADD</action><eventTime>2024-01-01T00:00:00Z</eventTime>
    ...   </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>'''
    >>> [(p.location, p.severity) for p in check_xml_element_order(doc, severity="error")]
    [('/EPCISDocument/EPCISBody/EventList/*[1]/eventTime', 'error')]
    """
    problems: list[Problem] = []
    tags = frozenset(t for name in EVENT_SEQUENCES for t in (name, f"{{{_EPCIS2}}}{name}"))
    context = etree.iterparse(
        BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    _action, root = next(context)
    if root.tag != f"{{{_EPCIS2}}}EPCISDocument":
        return problems
    index = 0
    for action, element in context:
        if action != "end" or element.tag not in tags:
            continue
        parent = element.getparent()
        if parent is None or split_tag(parent.tag)[1] != "EventList":
            continue
        found = _order_problem(element, index, severity)
        if found is not None:
            problems.append(found)
        index += 1
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
    return problems
