"""The EPCIS 2.0 event model: one typed, immutable form for every syntax.

Every codec (XML 1.2, XML 2.0, JSON-LD) reads onto these classes and writes from them; the
hash, the validator and the store only ever see this model. It covers every field of
EPCIS 2.0 §7.3 (data types) and §7.4 (event types), the EPCIS document/header structure of
EPCIS 2.0 §9.3 (XML) and §9.4 (JSON-LD), and the master data of EPCIS 2.0 §7.2 / §9.3.

Conventions
-----------
* Classes are ``msgspec.Struct(frozen=True, kw_only=True)``: immutable, hashable, compared by
  value, fast to build. Sequences are tuples, in document order. Absent optional values are
  ``None`` (or ``()`` for lists); an empty list and an absent list are not distinguished.
* Times are timezone-aware :class:`~datetime.datetime` values (microsecond precision; extra
  fraction digits are truncated by the readers). ``event_time_zone_offset`` keeps the
  ``±HH:MM`` string as given (EPCIS 2.0 §7.4.1).
* **CBV values are stored in one canonical form** (see :mod:`medtrace.epcis.vocab`): the CBV
  URN (``urn:epcglobal:cbv:bizstep:shipping``, ``urn:epcglobal:cbv:disp:in_transit``,
  ``urn:epcglobal:cbv:btt:po``, ``urn:epcglobal:cbv:sdt:owning_party``,
  ``urn:epcglobal:cbv:er:incorrect_data``) for bizStep, disposition (also inside
  ``persistent_disposition``), bizTransaction type, source/destination type and error reason.
  Vocabularies new in CBV 2.0 without a URN form use their web URI: sensor measurement
  types and alert types ``https://gs1.org/voc/Temperature``, components
  ``https://ref.gs1.org/cbv/Comp-x``. Non-CBV (user-defined) URIs are kept as given.
  ``action`` is the upper-case word ``ADD``/``OBSERVE``/``DELETE``.
* EPC, class, location, party and transaction identifiers are strings **as given** (EPC URN
  or GS1 Digital Link URI); conversion between forms is the business of the boundary.
* Quantities and numeric sensor values are :class:`~decimal.Decimal` (exact, as written), so
  that the event hash (CBV 2.0 §8.9) can canonicalise numbers without float noise.
* User extensions (EPCIS 2.0 §7.3.2, §9.3.3) are generic :class:`Extension` trees that keep
  namespace URI, local name, prefix (for writing back) and document order. In XML,
  ``xsi:type`` and other attributes are :class:`ExtAttribute` entries; ``value_type`` is
  only set by the JSON-LD reader, to round-trip JSON numbers and booleans. An extension
  element without a namespace (``namespace == ""``) comes from EPCIS 1.2's ``##local``
  extension points (e.g. ``<extension><extension><myField>``) and is kept, not dropped.
* Events are a tagged union (``msgspec`` tag ``type`` = class name), so
  ``msgspec.json.encode``/``decode(..., type=Event)`` round-trips them for storage.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final, Literal, TypeAlias

import msgspec

__all__ = [
    "Action",
    "AggregationEvent",
    "AssociationEvent",
    "BizTransaction",
    "BusinessScope",
    "Contact",
    "DocumentIdentification",
    "DocumentKind",
    "DscsaTransactionStatement",
    "EPCISDocument",
    "EPCISEvent",
    "EPCISHeader",
    "ErrorDeclaration",
    "Event",
    "ExtAttribute",
    "Extension",
    "Location",
    "ObjectEvent",
    "Partner",
    "PersistentDisposition",
    "QuantityElement",
    "SensorElement",
    "SensorMetadata",
    "SensorReport",
    "SourceDest",
    "StandardBusinessDocumentHeader",
    "TransactionEvent",
    "TransformationEvent",
    "ValueType",
    "Vocabulary",
    "VocabularyAttribute",
    "VocabularyElement",
    "plain_location",
]

Action: TypeAlias = Literal["ADD", "OBSERVE", "DELETE"]
ValueType: TypeAlias = Literal["string", "number", "boolean"]
DocumentKind: TypeAlias = Literal["document", "query", "masterdata"]


# --------------------------------------------------------------------------- extensions


class ExtAttribute(msgspec.Struct, frozen=True, kw_only=True):
    """An attribute of a user extension element (XML), e.g. ``xsi:type="xsd:integer"``.

    ``namespace`` is ``""`` for an unqualified attribute.
    """

    namespace: str
    name: str
    value: str
    prefix: str | None = None


class Extension(msgspec.Struct, frozen=True, kw_only=True):
    """A user extension element (EPCIS 2.0 §7.3.2 "extension mechanism", §9.3.3).

    A leaf has ``value`` (its text, whitespace-trimmed) and no ``children``; an inner node
    has ``children`` and ``value=None``. ``value_type`` is set by JSON-LD readers only.
    """

    namespace: str
    name: str
    prefix: str | None = None
    value: str | None = None
    children: tuple[Extension, ...] = ()
    attributes: tuple[ExtAttribute, ...] = ()
    value_type: ValueType | None = None


# --------------------------------------------------------------------------- what / where / why


class QuantityElement(msgspec.Struct, frozen=True, kw_only=True):
    """A class-level quantity (EPCIS 2.0 §7.3.3.3): EPC class, optional quantity and UOM."""

    epc_class: str
    quantity: Decimal | None = None
    uom: str | None = None


class Location(msgspec.Struct, frozen=True, kw_only=True):
    """A read point or business location (EPCIS 2.0 §7.3.4) with its user extensions."""

    id: str
    extensions: tuple[Extension, ...] = ()


#: Locations that are just an id, shared between events by :func:`plain_location`.
_PLAIN_LOCATIONS: Final[dict[str, Location]] = {}
_PLAIN_LOCATIONS_MAX: Final = 4096


def plain_location(ident: str) -> Location:
    """``Location(id=ident)`` without extensions, one shared object per id (it is immutable):
    a shipment's events name the same few locations again and again. Bounded (emptied when
    full)."""
    location = _PLAIN_LOCATIONS.get(ident)
    if location is None:
        if len(_PLAIN_LOCATIONS) >= _PLAIN_LOCATIONS_MAX:
            _PLAIN_LOCATIONS.clear()
        location = _PLAIN_LOCATIONS[ident] = Location(id=ident)
    return location


class BizTransaction(msgspec.Struct, frozen=True, kw_only=True):
    """A business transaction reference (EPCIS 2.0 §7.3.5.3); ``type`` canonical (CBV URN)."""

    value: str
    type: str | None = None


class SourceDest(msgspec.Struct, frozen=True, kw_only=True):
    """A source or destination (EPCIS 2.0 §7.3.5.4); ``type`` canonical (CBV URN)."""

    type: str
    value: str


class PersistentDisposition(msgspec.Struct, frozen=True, kw_only=True):
    """Dispositions set/unset persistently (EPCIS 2.0 §7.3.5.2.1); values canonical."""

    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()


class ErrorDeclaration(msgspec.Struct, frozen=True, kw_only=True):
    """An error declaration on an event (EPCIS 2.0 §7.4.1.2); ``reason`` canonical."""

    declaration_time: datetime
    reason: str | None = None
    corrective_event_ids: tuple[str, ...] = ()
    extensions: tuple[Extension, ...] = ()


# --------------------------------------------------------------------------- sensors


class SensorMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """Sensor metadata (EPCIS 2.0 §7.3.7.2); ``extensions`` are extra (attribute) fields."""

    time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    device_id: str | None = None
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    biz_rules: str | None = None
    extensions: tuple[ExtAttribute, ...] = ()


class SensorReport(msgspec.Struct, frozen=True, kw_only=True):
    """One sensor report (EPCIS 2.0 §7.3.7.3).

    ``type`` (measurement type) and ``exception`` (alert type) are canonical web URIs
    (``https://gs1.org/voc/Temperature``), ``component`` likewise
    (``https://ref.gs1.org/cbv/Comp-x``); numbers are exact decimals.
    """

    type: str | None = None
    exception: str | None = None
    device_id: str | None = None
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    time: datetime | None = None
    microorganism: str | None = None
    chemical_substance: str | None = None
    value: Decimal | None = None
    component: str | None = None
    string_value: str | None = None
    boolean_value: bool | None = None
    hex_binary_value: str | None = None
    uri_value: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    mean_value: Decimal | None = None
    s_dev: Decimal | None = None
    perc_rank: Decimal | None = None
    perc_value: Decimal | None = None
    uom: str | None = None
    coordinate_reference_system: str | None = None
    extensions: tuple[ExtAttribute, ...] = ()


class SensorElement(msgspec.Struct, frozen=True, kw_only=True):
    """A sensor element (EPCIS 2.0 §7.3.7.1): metadata, reports and user extensions."""

    metadata: SensorMetadata | None = None
    reports: tuple[SensorReport, ...] = ()
    extensions: tuple[Extension, ...] = ()


# --------------------------------------------------------------------------- events


class EPCISEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Fields common to all event types (EPCIS 2.0 §7.4.1).

    ``extensions`` are the event-level user extension elements (EPCIS 2.0 §7.3.2).
    """

    event_time: datetime
    event_time_zone_offset: str
    event_id: str | None = None
    record_time: datetime | None = None
    error_declaration: ErrorDeclaration | None = None
    certification_info: tuple[str, ...] = ()
    biz_step: str | None = None
    disposition: str | None = None
    persistent_disposition: PersistentDisposition | None = None
    read_point: Location | None = None
    biz_location: Location | None = None
    biz_transactions: tuple[BizTransaction, ...] = ()
    sources: tuple[SourceDest, ...] = ()
    destinations: tuple[SourceDest, ...] = ()
    sensor_elements: tuple[SensorElement, ...] = ()
    extensions: tuple[Extension, ...] = ()


class ObjectEvent(EPCISEvent, frozen=True, kw_only=True, tag=True):
    """ObjectEvent (EPCIS 2.0 §7.4.2); ``ilmd`` is instance/lot master data (§7.3.6)."""

    action: Action
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()
    ilmd: tuple[Extension, ...] = ()


class AggregationEvent(EPCISEvent, frozen=True, kw_only=True, tag=True):
    """AggregationEvent (EPCIS 2.0 §7.4.3)."""

    action: Action
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    child_quantities: tuple[QuantityElement, ...] = ()


class TransactionEvent(EPCISEvent, frozen=True, kw_only=True, tag=True):
    """TransactionEvent (EPCIS 2.0 §7.4.5)."""

    action: Action
    parent_id: str | None = None
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()


class TransformationEvent(EPCISEvent, frozen=True, kw_only=True, tag=True):
    """TransformationEvent (EPCIS 2.0 §7.4.6); in EPCIS 1.2 XML it sits in ``extension``."""

    input_epcs: tuple[str, ...] = ()
    input_quantities: tuple[QuantityElement, ...] = ()
    output_epcs: tuple[str, ...] = ()
    output_quantities: tuple[QuantityElement, ...] = ()
    transformation_id: str | None = None
    ilmd: tuple[Extension, ...] = ()


class AssociationEvent(EPCISEvent, frozen=True, kw_only=True, tag=True):
    """AssociationEvent (EPCIS 2.0 §7.4.7), new in EPCIS 2.0."""

    action: Action
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    child_quantities: tuple[QuantityElement, ...] = ()


Event: TypeAlias = (
    ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent
)

# --------------------------------------------------------------------------- master data


class VocabularyAttribute(msgspec.Struct, frozen=True, kw_only=True):
    """A master-data attribute (EPCIS 2.0 §7.2.2, §9.3.4): simple ``value`` or element tree."""

    id: str
    value: str | None = None
    children: tuple[Extension, ...] = ()


class VocabularyElement(msgspec.Struct, frozen=True, kw_only=True):
    """A vocabulary element: its id, attributes and child ids (EPCIS 2.0 §7.2.2).

    DSCSA product master data (cbvmda NDC, regulated product name, dosage form, strength)
    and location master data (name, address) live here (CBV 2.0 §10).
    """

    id: str
    attributes: tuple[VocabularyAttribute, ...] = ()
    children: tuple[str, ...] = ()


class Vocabulary(msgspec.Struct, frozen=True, kw_only=True):
    """A vocabulary of one type (``urn:epcglobal:epcis:vtype:EPCClass``, ``…:Location``)."""

    type: str
    elements: tuple[VocabularyElement, ...] = ()


# --------------------------------------------------------------------------- header


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """SBDH ``ContactInformation`` (GS1 SBDH 1.3 / UN/CEFACT SBDH Partner)."""

    contact: str | None = None
    email_address: str | None = None
    fax_number: str | None = None
    telephone_number: str | None = None
    contact_type_identifier: str | None = None


class Partner(msgspec.Struct, frozen=True, kw_only=True):
    """SBDH ``Sender`` / ``Receiver``: identifier (e.g. an SGLN), its authority, contacts."""

    identifier: str
    authority: str | None = None
    contacts: tuple[Contact, ...] = ()


class DocumentIdentification(msgspec.Struct, frozen=True, kw_only=True):
    """SBDH ``DocumentIdentification``."""

    standard: str
    type_version: str
    instance_identifier: str
    type: str
    creation_date_and_time: datetime
    multiple_type: bool | None = None


class BusinessScope(msgspec.Struct, frozen=True, kw_only=True):
    """One SBDH ``BusinessScope/Scope`` entry; ``extensions`` keeps scope information."""

    type: str
    instance_identifier: str
    identifier: str | None = None
    extensions: tuple[Extension, ...] = ()


class StandardBusinessDocumentHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The SBDH wrapped in ``EPCISHeader`` (EPCIS 2.0 §9.3.2; GS1 US DSCSA IG R1.3 §3).

    ``extensions`` keeps SBDH parts not modelled field by field (e.g. ``Manifest``).
    """

    header_version: str
    document_identification: DocumentIdentification
    senders: tuple[Partner, ...] = ()
    receivers: tuple[Partner, ...] = ()
    business_scope: tuple[BusinessScope, ...] = ()
    extensions: tuple[Extension, ...] = ()


class DscsaTransactionStatement(msgspec.Struct, frozen=True, kw_only=True):
    """``gs1ushc:dscsaTransactionStatement`` (GS1 US DSCSA Implementation Guideline R1.3).

    The seller's affirmation (FD&C Act §581(27)) carried in the EPCIS header.
    """

    affirm_transaction_statement: bool | None = None
    legal_notice: str | None = None
    extensions: tuple[Extension, ...] = ()


class EPCISHeader(msgspec.Struct, frozen=True, kw_only=True):
    """``EPCISHeader`` (EPCIS 2.0 §9.3.2): SBDH, master data, DSCSA statement, extensions."""

    sbdh: StandardBusinessDocumentHeader | None = None
    master_data: tuple[Vocabulary, ...] = ()
    dscsa_transaction_statement: DscsaTransactionStatement | None = None
    extensions: tuple[Extension, ...] = ()


# --------------------------------------------------------------------------- documents


class EPCISDocument(msgspec.Struct, frozen=True, kw_only=True):
    """An EPCIS document (EPCIS 2.0 §9.3, §9.4).

    ``kind`` is ``"document"`` (``EPCISDocument``), ``"query"`` (``EPCISQueryDocument``
    with ``subscription_id``/``query_name``, EPCIS 2.0 §8.2.7) or ``"masterdata"``
    (``EPCISMasterDataDocument``, whose vocabularies are in ``vocabularies``).
    ``namespaces`` are the (prefix, URI) declarations to write back.
    """

    schema_version: str
    creation_date: datetime
    events: tuple[Event, ...] = ()
    header: EPCISHeader | None = None
    namespaces: tuple[tuple[str, str], ...] = ()
    kind: DocumentKind = "document"
    subscription_id: str | None = None
    query_name: str | None = None
    vocabularies: tuple[Vocabulary, ...] = ()
    extensions: tuple[Extension, ...] = ()


# MODEL-STABLE
