"""Documents as partners send them, written with medtrace's own EPCIS writers.

* A manufacturer → wholesaler shipment is one **EPCIS 1.2 XML** document in the style of the
  GS1 US DSCSA Implementation Guideline R1.3: an SBDH (sender and receiver SGLNs), product
  master data (``EPCClass`` vocabulary with ``cbvmda`` attributes for the unit and case GTINs)
  and location master data (``Location`` vocabulary with name and address) in the header,
  ``gs1ushc:dscsaTransactionStatement``, then commissioning, packing and shipping events.
* Everything else is **EPCIS 2.0 JSON-LD** (EPCIS 2.0 §10): wholesaler → dispenser shipments
  (with master data and the DSCSA transaction statement as a header extension, since JSON-LD
  has no SBDH), a weekly document of each distribution centre's internal events and a weekly
  document of each dispenser.

:class:`DocumentSink` writes documents under the output directory and counts what it wrote.
Bytes are deterministic: creation dates come from the simulated clock and events are written
in a stable order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from medtrace.epcis.jsonld_writer import write_jsonld
from medtrace.epcis.model import (
    AggregationEvent,
    DocumentIdentification,
    DscsaTransactionStatement,
    EPCISDocument,
    EPCISHeader,
    Event,
    Extension,
    ObjectEvent,
    Partner,
    StandardBusinessDocumentHeader,
    Vocabulary,
    VocabularyAttribute,
    VocabularyElement,
)
from medtrace.epcis.xml_names import GS1USHC_NS, SBDH_NS
from medtrace.epcis.xml_writer import write_xml
from medtrace.sim.events import CBVMDA_NS
from medtrace.sim.world import Party, Product, Site, World

__all__ = [
    "LEGAL_NOTICE",
    "DocumentSink",
    "dscsa_jsonld_document",
    "dscsa_xml_document",
    "master_data",
    "plain_jsonld_document",
]

LEGAL_NOTICE: Final = (
    "Seller has complied with each applicable subsection of FDCA Sec. 581(27)(A)-(G)."
)
_MDA: Final = CBVMDA_NS + "#"
_EPC_CLASS: Final = "urn:epcglobal:epcis:vtype:EPCClass"
_LOCATION: Final = "urn:epcglobal:epcis:vtype:Location"


def _attributes(pairs: Iterable[tuple[str, str]]) -> tuple[VocabularyAttribute, ...]:
    return tuple(VocabularyAttribute(id=_MDA + name, value=value) for name, value in pairs)


def _product_elements(product: Product, manufacturer: Party) -> tuple[VocabularyElement, ...]:
    """CBV 2.0 §10 trade-item master data of the unit and case GTINs (GS1 US DSCSA IG R1.3)."""
    attributes = _attributes(
        (
            ("additionalTradeItemIdentification", str(product.ndc)),
            ("additionalTradeItemIdentificationTypeCode", "US_FDA_NDC"),
            ("regulatedProductName", product.name),
            ("manufacturerOfTradeItemPartyName", manufacturer.name),
            ("dosageFormType", product.dosage_form),
            ("strengthDescription", product.strength),
            ("netContentDescription", product.net_content),
        )
    )
    return (
        VocabularyElement(id=product.unit_class, attributes=attributes),
        VocabularyElement(id=product.case_class, attributes=attributes),
    )


def _site_element(site: Site, party: Party) -> VocabularyElement:
    """CBV 2.0 §10 location master data: name and postal address."""
    return VocabularyElement(
        id=site.sgln,
        attributes=_attributes(
            (
                ("name", site.name if site.key != party.hq.key else party.name),
                ("streetAddressOne", site.street),
                ("city", site.city),
                ("state", site.state),
                ("postalCode", site.postal_code),
                ("countryCode", "US"),
            )
        ),
    )


def master_data(
    world: World, products: Sequence[Product], sites: Sequence[Site]
) -> tuple[Vocabulary, ...]:
    """``EPCClass`` and ``Location`` vocabularies for ``products`` and ``sites`` (in order,
    duplicates dropped)."""
    seen_products = dict.fromkeys(products)
    seen_sites = dict.fromkeys(sites)
    classes = tuple(
        element
        for product in seen_products
        for element in _product_elements(product, world.by_key[product.manufacturer])
    )
    locations = tuple(_site_element(site, world.owner(site)) for site in seen_sites)
    return (
        Vocabulary(type=_EPC_CLASS, elements=classes),
        Vocabulary(type=_LOCATION, elements=locations),
    )


def _partner(party: Party) -> Partner:
    return Partner(identifier=party.owning_id, authority="GS1")


def dscsa_xml_document(
    *,
    sender: Party,
    receiver: Party,
    instance_id: str,
    created: datetime,
    vocabularies: tuple[Vocabulary, ...],
    events: Sequence[Event],
) -> EPCISDocument:
    """An EPCIS 1.2 document with SBDH, header master data and the DSCSA transaction statement
    (GS1 US DSCSA Implementation Guideline R1.3 §3, EPCIS 1.2 §9.5)."""
    sbdh = StandardBusinessDocumentHeader(
        header_version="1.0",
        document_identification=DocumentIdentification(
            standard="EPCglobal",
            type_version="1.0",
            instance_identifier=instance_id,
            type="Events",
            creation_date_and_time=created,
        ),
        senders=(_partner(sender),),
        receivers=(_partner(receiver),),
    )
    header = EPCISHeader(
        sbdh=sbdh,
        master_data=vocabularies,
        dscsa_transaction_statement=DscsaTransactionStatement(
            affirm_transaction_statement=True, legal_notice=LEGAL_NOTICE
        ),
    )
    return EPCISDocument(
        schema_version="1.2",
        creation_date=created,
        events=tuple(events),
        header=header,
        namespaces=(("cbvmda", CBVMDA_NS), ("sbdh", SBDH_NS), ("gs1ushc", GS1USHC_NS)),
    )


def dscsa_jsonld_document(
    *, created: datetime, vocabularies: tuple[Vocabulary, ...], events: Sequence[Event]
) -> EPCISDocument:
    """An EPCIS 2.0 document for JSON-LD with master data and, as a header extension, the
    ``gs1ushc:dscsaTransactionStatement`` (EPCIS 2.0 §10; GS1 US DSCSA IG R1.3)."""
    statement = Extension(
        namespace=GS1USHC_NS,
        name="dscsaTransactionStatement",
        prefix="gs1ushc",
        children=(
            Extension(
                namespace=GS1USHC_NS,
                name="affirmTransactionStatement",
                prefix="gs1ushc",
                value="true",
                value_type="boolean",
            ),
            Extension(
                namespace=GS1USHC_NS, name="legalNotice", prefix="gs1ushc", value=LEGAL_NOTICE
            ),
        ),
    )
    return EPCISDocument(
        schema_version="2.0",
        creation_date=created,
        events=tuple(events),
        header=EPCISHeader(master_data=vocabularies, extensions=(statement,)),
        namespaces=(("cbvmda", CBVMDA_NS), ("gs1ushc", GS1USHC_NS)),
    )


def plain_jsonld_document(created: datetime, events: Sequence[Event]) -> EPCISDocument:
    """An EPCIS 2.0 document of events only (a party's own records)."""
    return EPCISDocument(
        schema_version="2.0",
        creation_date=created,
        events=tuple(events),
        namespaces=(("cbvmda", CBVMDA_NS),),
    )


def epc_references(event: Event) -> int:
    """How many identifiers an event names (EPC lists, parents and children)."""
    if isinstance(event, ObjectEvent):
        return len(event.epc_list)
    if isinstance(event, AggregationEvent):
        return len(event.child_epcs) + (1 if event.parent_id else 0)
    return 0


@dataclass(slots=True)
class DocumentSink:
    """Writes documents below ``root`` and keeps the counts of the summary."""

    root: Path
    documents: int = 0
    xml_documents: int = 0
    jsonld_documents: int = 0
    events: int = 0
    epc_references: int = 0
    bytes: int = 0

    def write(self, relative: str, doc: EPCISDocument, syntax: Literal["xml12", "jsonld"]) -> None:
        """Write ``doc`` to ``root / relative`` as EPCIS 1.2 XML or EPCIS 2.0 JSON-LD."""
        data = write_xml(doc, version="1.2") if syntax == "xml12" else write_jsonld(doc)
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.documents += 1
        if syntax == "xml12":
            self.xml_documents += 1
        else:
            self.jsonld_documents += 1
        self.events += len(doc.events)
        self.epc_references += sum(epc_references(event) for event in doc.events)
        self.bytes += len(data)
