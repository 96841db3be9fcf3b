"""Write EPCIS documents as XML 2.0 or XML 1.2 (EPCIS 2.0 §9.3; EPCIS 1.2 §9.5).

:func:`write_xml` returns the whole document; :func:`iter_write_xml` streams it as byte
chunks from any iterator of events (the document supplies header and root attributes), so
a large export never needs all events in memory.

Choices (see :mod:`medtrace.epcis.xml_event_writer` for the event-level mapping):

* The root declares the EPCIS namespace of the chosen version plus the document's
  ``namespaces``; other namespaces (user extensions, SBDH, GS1 US healthcare) are declared
  where they are first used, so reading a written document gives the same ``namespaces``.
* 1.2 output of 2.0-only content follows the GS1 2.0→1.2 down-conversion; nothing raises
  for being "not representable": every 2.0 field has a 1.2 extension point.
* Query documents are written as ``EPCISQueryDocument/EPCISBody/QueryResults`` and master
  data documents as ``EPCISMasterDataDocument/EPCISBody/VocabularyList``.

>>> from datetime import datetime, timezone
>>> from medtrace.epcis.model import EPCISDocument, ObjectEvent
>>> when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
>>> ev = ObjectEvent(event_time=when, event_time_zone_offset="+00:00", action="ADD")
>>> xml = write_xml(EPCISDocument(schema_version="2.0", creation_date=when, events=(ev,)))
>>> b"<action>ADD</action>" in xml, xml.startswith(b"<?xml")
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from medtrace.epcis.model import (
    EPCISDocument,
    EPCISHeader,
    Event,
    Partner,
    StandardBusinessDocumentHeader,
    Vocabulary,
)
from medtrace.epcis.xml_event_writer import Scope, Version, XmlOut, esc_attr, format_dt
from medtrace.epcis.xml_names import EPCIS_NS, GS1USHC_NS, MASTERDATA_NS, QUERY_NS, SBDH_NS

__all__ = ["iter_write_xml", "write_xml"]

_BATCH: Final = 256


def _root(doc: EPCISDocument, version: Version) -> tuple[str, str, Scope]:
    """(qualified root name, opening tag text, namespace scope) of the document."""
    if doc.kind == "query":
        prefix, ns, local = "epcisq", QUERY_NS[version], "EPCISQueryDocument"
    elif doc.kind == "masterdata":
        prefix, ns, local = "epcismd", MASTERDATA_NS[version], "EPCISMasterDataDocument"
    else:
        prefix, ns, local = "epcis", EPCIS_NS[version], "EPCISDocument"
    scope: Scope = {}
    decls = [f' xmlns:{prefix}="{ns}"']
    scope[prefix] = ns
    for p, uri in doc.namespaces:
        if p in scope or p in ("xml", "xmlns"):
            continue
        scope[p] = uri
        decls.append(f' xmlns:{p}="{esc_attr(uri)}"')
    name = f"{prefix}:{local}"
    opening = (
        f"<{name}{''.join(decls)}"
        f' schemaVersion="{version}" creationDate="{format_dt(doc.creation_date)}">'
    )
    return name, opening, scope


def _ns_prefix(out: XmlOut, ns: str, wanted: str) -> tuple[str, str]:
    """(prefix, declaration) for ``ns``: the root's prefix if bound there, else ``wanted``."""
    for prefix, uri in out.scope.items():
        if uri == ns and prefix is not None:
            return prefix, ""
    return wanted, f' xmlns:{wanted}="{ns}"'


def _partner(out: XmlOut, p: str, tag: str, partner: Partner, d: int) -> None:
    out.open(d, f"{p}:{tag}")
    attrs = f' Authority="{esc_attr(partner.authority)}"' if partner.authority else ""
    out.leaf(d + 1, f"{p}:Identifier", partner.identifier, attrs)
    for contact in partner.contacts:
        out.open(d + 1, f"{p}:ContactInformation")
        for name, value in (
            ("Contact", contact.contact),
            ("EmailAddress", contact.email_address),
            ("FaxNumber", contact.fax_number),
            ("TelephoneNumber", contact.telephone_number),
            ("ContactTypeIdentifier", contact.contact_type_identifier),
        ):
            if value is not None:
                out.leaf(d + 2, f"{p}:{name}", value)
        out.close(d + 1, f"{p}:ContactInformation")
    out.close(d, f"{p}:{tag}")


def _sbdh(out: XmlOut, sbdh: StandardBusinessDocumentHeader, d: int) -> None:
    """``sbdh:StandardBusinessDocumentHeader`` (UN/CEFACT SBDH 1.3)."""
    p, decl = _ns_prefix(out, SBDH_NS, "sbdh")
    saved = out.scope
    out.scope = {**saved, p: SBDH_NS}
    out.open(d, f"{p}:StandardBusinessDocumentHeader{decl}")
    out.leaf(d + 1, f"{p}:HeaderVersion", sbdh.header_version)
    for sender in sbdh.senders:
        _partner(out, p, "Sender", sender, d + 1)
    for receiver in sbdh.receivers:
        _partner(out, p, "Receiver", receiver, d + 1)
    di = sbdh.document_identification
    out.open(d + 1, f"{p}:DocumentIdentification")
    out.leaf(d + 2, f"{p}:Standard", di.standard)
    out.leaf(d + 2, f"{p}:TypeVersion", di.type_version)
    out.leaf(d + 2, f"{p}:InstanceIdentifier", di.instance_identifier)
    out.leaf(d + 2, f"{p}:Type", di.type)
    if di.multiple_type is not None:
        out.leaf(d + 2, f"{p}:MultipleType", "true" if di.multiple_type else "false")
    out.leaf(d + 2, f"{p}:CreationDateAndTime", format_dt(di.creation_date_and_time))
    out.close(d + 1, f"{p}:DocumentIdentification")
    for ext in sbdh.extensions:
        if ext.namespace == SBDH_NS and ext.name == "Manifest":
            out.extension(ext, d + 1)
    if sbdh.business_scope:
        out.open(d + 1, f"{p}:BusinessScope")
        for scope in sbdh.business_scope:
            out.open(d + 2, f"{p}:Scope")
            out.leaf(d + 3, f"{p}:Type", scope.type)
            out.leaf(d + 3, f"{p}:InstanceIdentifier", scope.instance_identifier)
            if scope.identifier is not None:
                out.leaf(d + 3, f"{p}:Identifier", scope.identifier)
            for ext in scope.extensions:
                out.extension(ext, d + 3)
            out.close(d + 2, f"{p}:Scope")
        out.close(d + 1, f"{p}:BusinessScope")
    for ext in sbdh.extensions:
        if not (ext.namespace == SBDH_NS and ext.name == "Manifest"):
            out.extension(ext, d + 1)
    out.close(d, f"{p}:StandardBusinessDocumentHeader")
    out.scope = saved


def _vocabulary_list(out: XmlOut, vocabularies: tuple[Vocabulary, ...], d: int) -> None:
    """``VocabularyList`` (EPCIS 2.0 §9.3.4)."""
    out.open(d, "VocabularyList")
    for vocab in vocabularies:
        out.open(d + 1, "Vocabulary", f' type="{esc_attr(vocab.type)}"')
        out.open(d + 2, "VocabularyElementList")
        for element in vocab.elements:
            out.open(d + 3, "VocabularyElement", f' id="{esc_attr(element.id)}"')
            for attr in element.attributes:
                head = f' id="{esc_attr(attr.id)}"'
                if attr.children:
                    out.open(d + 4, "attribute", head)
                    for child in attr.children:
                        out.extension(child, d + 5)
                    out.close(d + 4, "attribute")
                else:
                    out.leaf(d + 4, "attribute", attr.value or "", head)
            if element.children:
                out.open(d + 4, "children")
                for child_id in element.children:
                    out.leaf(d + 5, "id", child_id)
                out.close(d + 4, "children")
            out.close(d + 3, "VocabularyElement")
        out.close(d + 2, "VocabularyElementList")
        out.close(d + 1, "Vocabulary")
    out.close(d, "VocabularyList")


def _header(out: XmlOut, header: EPCISHeader, d: int) -> None:
    """``EPCISHeader``: SBDH, ``extension/EPCISMasterData``, DSCSA statement, extensions."""
    out.open(d, "EPCISHeader")
    if header.sbdh is not None:
        _sbdh(out, header.sbdh, d + 1)
    local = [e for e in header.extensions if not e.namespace]
    if header.master_data or local:
        out.open(d + 1, "extension")
        if header.master_data:
            out.open(d + 2, "EPCISMasterData")
            _vocabulary_list(out, header.master_data, d + 3)
            out.close(d + 2, "EPCISMasterData")
        if local:
            out.open(d + 2, "extension")
            for ext in local:
                out.extension(ext, d + 3)
            out.close(d + 2, "extension")
        out.close(d + 1, "extension")
    for ext in header.extensions:
        if ext.namespace:
            out.extension(ext, d + 1)
    statement = header.dscsa_transaction_statement
    if statement is not None:
        p, decl = _ns_prefix(out, GS1USHC_NS, "gs1ushc")
        out.open(d + 1, f"{p}:dscsaTransactionStatement{decl}")
        if statement.affirm_transaction_statement is not None:
            value = "true" if statement.affirm_transaction_statement else "false"
            out.leaf(d + 2, f"{p}:affirmTransactionStatement", value)
        if statement.legal_notice is not None:
            out.leaf(d + 2, f"{p}:legalNotice", statement.legal_notice)
        saved = out.scope
        out.scope = {**saved, p: GS1USHC_NS}
        for ext in statement.extensions:
            out.extension(ext, d + 2)
        out.scope = saved
        out.close(d + 1, f"{p}:dscsaTransactionStatement")
    out.close(d, "EPCISHeader")


def iter_write_xml(
    doc: EPCISDocument,
    events: Iterable[Event] | None = None,
    *,
    version: Version = "2.0",
    indent: bool = True,
) -> Iterator[bytes]:
    """Stream ``doc`` as UTF-8 XML chunks; ``events`` (if given) replaces ``doc.events``."""
    name, opening, scope = _root(doc, version)
    out = XmlOut(version, scope, indent=indent)
    out.parts.append('<?xml version="1.0" encoding="UTF-8"?>\n' + opening)
    if doc.header is not None:
        _header(out, doc.header, 1)
    out.open(1, "EPCISBody")
    if doc.kind == "masterdata":
        _vocabulary_list(out, doc.vocabularies, 2)
        out.close(1, "EPCISBody")
        out.extensions(doc.extensions, 1)
        out.close(0, name)
        yield (out.text() + "\n").encode()
        return
    depth = 2
    if doc.kind == "query":
        out.open(2, "epcisq:QueryResults")
        out.leaf(3, "queryName", doc.query_name or "SimpleEventQuery")
        if doc.subscription_id is not None:
            out.leaf(3, "subscriptionID", doc.subscription_id)
        out.open(3, "resultsBody")
        depth = 4
    out.open(depth, "EventList")
    yield out.text().encode()
    pending = 0
    for event in doc.events if events is None else events:
        out.event(event, depth + 1)
        pending += 1
        if pending >= _BATCH:
            yield out.text().encode()
            pending = 0
    out.close(depth, "EventList")
    if doc.kind == "query":
        out.close(3, "resultsBody")
        out.close(2, "epcisq:QueryResults")
    out.close(1, "EPCISBody")
    out.extensions(doc.extensions, 1)
    out.close(0, name)
    yield (out.text() + "\n").encode()


def write_xml(doc: EPCISDocument, *, version: Version = "2.0", indent: bool = True) -> bytes:
    """The whole document as UTF-8 XML bytes, in EPCIS ``version`` "2.0" or "1.2"."""
    return b"".join(iter_write_xml(doc, version=version, indent=indent))
