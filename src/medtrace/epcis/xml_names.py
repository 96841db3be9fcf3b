"""XML namespaces and element names of EPCIS 1.2 / 2.0 documents (EPCIS 2.0 §9.3, Annex B).

Standard EPCIS elements inside documents are unqualified (``elementFormDefault`` is
unqualified in the EPCIS XSDs). Some producers qualify them with the EPCIS namespace
(``<epcis:eventTime>``); the reader tolerates that, so :func:`tag_variants` gives every
spelling under which a standard name may appear.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CBVMDA_NS",
    "EPCIS_NAMESPACES",
    "EPCIS_NS",
    "EVENT_NAMES",
    "GS1USHC_NS",
    "MASTERDATA_NS",
    "QUERY_NS",
    "SBDH_NS",
    "XSD_NS",
    "XSI_NS",
    "local_name",
    "split_tag",
    "tag_variants",
]

EPCIS_NS: Final = {"1.2": "urn:epcglobal:epcis:xsd:1", "2.0": "urn:epcglobal:epcis:xsd:2"}
QUERY_NS: Final = {
    "1.2": "urn:epcglobal:epcis-query:xsd:1",
    "2.0": "urn:epcglobal:epcis-query:xsd:2",
}
MASTERDATA_NS: Final = {
    "1.2": "urn:epcglobal:epcis-masterdata:xsd:1",
    "2.0": "urn:epcglobal:epcis-masterdata:xsd:2",
}
#: All namespaces of the EPCIS schemas themselves (not written back as user namespaces).
EPCIS_NAMESPACES: Final = frozenset(
    (*EPCIS_NS.values(), *QUERY_NS.values(), *MASTERDATA_NS.values())
)
SBDH_NS: Final = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
GS1USHC_NS: Final = "http://epcis.gs1us.org/hc/ns"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
CBVMDA_NS: Final = "urn:epcglobal:cbv:mda"

#: EPCIS event element names (EPCIS 2.0 §7.4; QuantityEvent only to refuse it clearly).
EVENT_NAMES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
    "QuantityEvent",
)

_SPLIT_CACHE: dict[str, tuple[str, str]] = {}


def split_tag(tag: str) -> tuple[str, str]:
    """Split a Clark-notation tag into ``(namespace, local name)``; namespace ``""`` if none.

    >>> split_tag("{urn:epcglobal:cbv:mda}lotNumber")
    ('urn:epcglobal:cbv:mda', 'lotNumber')
    >>> split_tag("myField")
    ('', 'myField')
    """
    hit = _SPLIT_CACHE.get(tag)
    if hit is None:
        if tag[:1] == "{":
            ns, _, local = tag[1:].partition("}")
            hit = (ns, local)
        else:
            hit = ("", tag)
        if len(_SPLIT_CACHE) < 10_000:
            _SPLIT_CACHE[tag] = hit
    return hit


def local_name(tag: str) -> str:
    """The local part of a Clark-notation tag.

    >>> local_name("{urn:epcglobal:epcis:xsd:1}EPCISDocument")
    'EPCISDocument'
    """
    return split_tag(tag)[1]


def tag_variants(name: str) -> tuple[str, ...]:
    """Tags under which the standard unqualified element ``name`` is accepted.

    >>> tag_variants("eventTime")[:2]
    ('eventTime', '{urn:epcglobal:epcis:xsd:1}eventTime')
    """
    return (name, *(f"{{{ns}}}{name}" for ns in EPCIS_NS.values()))
