"""How an event is stored: canonical keys, the lossless body, integer times, index rows.

* :func:`canonical_epc` — the one identifier form inside the store (DESIGN.md): GS1 keys in
  canonical GS1 Digital Link form (GS1 Digital Link URI Syntax 1.2 §4.11, as CBV 2.0 §8.9
  canonicalises them for the event hash), so that an EPC URN and a Digital Link URI of the same
  item land on the same ``epc`` row. Other URIs stay as given.
* :func:`encode_event` / :func:`decode_event` — the ``event.body`` blob: msgspec JSON of the
  model event (EPCIS 2.0 §7), lossless (exact decimals, time-zone-aware times, extensions).
* :func:`to_micros` / :func:`from_micros` — UTC microseconds since the epoch (``BIGINT``).
* :func:`index_event` — the rows of the index tables for one event (see ``schema.py``).

>>> canonical_epc("urn:epc:id:sgtin:0614141.107346.2017")
'https://id.gs1.org/01/10614141073464/21/2017'
>>> canonical_epc("https://example.org/01/10614141073464/10/L1/21/2017?17=260101")
'https://id.gs1.org/01/10614141073464/21/2017'
>>> canonical_epc("urn:epc:id:gid:95100000.12345.400")
'urn:epc:id:gid:95100000.12345.400'
>>> from_micros(to_micros(datetime(2024, 5, 1, 12, 0, 0, 7, tzinfo=UTC)))
datetime.datetime(2024, 5, 1, 12, 0, 0, 7, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

import msgspec

from medtrace.epcis.hashing_canon import canonical_digital_link, epc_uri_to_digital_link
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    Event,
    ExtAttribute,
    Extension,
    ObjectEvent,
    QuantityElement,
    SensorElement,
    SensorReport,
    TransactionEvent,
    TransformationEvent,
)
from medtrace.errors import MedtraceError
from medtrace.store import schema

__all__ = [
    "CapturedEvent",
    "FieldRow",
    "IndexedEvent",
    "StoreDataError",
    "canonical_epc",
    "canonical_epcs",
    "decode_event",
    "encode_event",
    "from_micros",
    "index_event",
    "to_micros",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)
_ENCODER: Final = msgspec.json.Encoder(decimal_format="string")
_DECODER: Final[msgspec.json.Decoder[Event]] = msgspec.json.Decoder(Event)
_NUMBER: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATETIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


class StoreDataError(MedtraceError):
    """A value the store cannot keep as given (e.g. a time without a time zone)."""


@lru_cache(maxsize=65536)
def canonical_epc(uri: str) -> str:
    """The store key of an identifier: canonical GS1 Digital Link for GS1 keys, else as given.

    EPC URNs (pure identity, LGTIN class, ``idpat`` patterns) of GS1 schemes become
    ``https://id.gs1.org/…`` URIs (TDS 2.x → GS1 Digital Link 1.2 §4.11); Digital Link URIs on any
    domain are reduced to the constrained canonical form. URNs without a GS1 key (``gid``,
    ``usdod``), malformed ones and any other URI are returned unchanged (only trimmed).

    >>> canonical_epc("urn:epc:id:sscc:0614141.1234567890")
    'https://id.gs1.org/00/106141412345678908'
    >>> canonical_epc("urn:epc:id:sgln:0614141.00777.0")
    'https://id.gs1.org/414/0614141007776'
    """
    value = uri.strip()
    if value.startswith("urn:epc:"):
        return epc_uri_to_digital_link(value) or value
    if value.startswith(("https://", "http://")):
        return canonical_digital_link(value) or value
    return value


#: ``urn:epc:id:sgtin:CP.IR.`` (ASCII digits) and a serial of ASCII letters and digits.
_PLAIN_SGTIN: Final = re.compile(r"(urn:epc:id:sgtin:[0-9]+\.[0-9]+\.)[A-Za-z0-9]+").fullmatch
#: Digital Link heads ``https://id.gs1.org/01/{gtin}/21/`` by URN head (None: not a GTIN).
_SGTIN_HEADS: Final[dict[str, str | None]] = {}
_SGTIN_HEADS_LIMIT: Final = 4096


def _sgtin_head(urn_head: str) -> str | None:
    """The Digital Link head of ``urn:epc:id:sgtin:CP.IR.`` (cached), or None if CP.IR is no GTIN.

    It is what :func:`canonical_epc` makes of that URN with the serial ``0``, less the serial: a
    serial of ASCII letters and digits is written in the Digital Link URI as it is (TDS §6.3.1,
    GS1 Digital Link 1.2 §4.11).
    """
    head = _SGTIN_HEADS.get(urn_head, "")
    if head == "":
        probe = canonical_epc(urn_head + "0")
        head = probe[:-1] if probe.startswith("https://") and probe.endswith("/21/0") else None
        if len(_SGTIN_HEADS) >= _SGTIN_HEADS_LIMIT:
            _SGTIN_HEADS.clear()
        _SGTIN_HEADS[urn_head] = head
    return head


def canonical_epcs(uris: Sequence[str]) -> list[str]:
    """:func:`canonical_epc` of every identifier of a list, in list order.

    A list of SGTIN URNs of one product with plain serials (ASCII letters and digits: the
    ``epcList`` of a commissioning event, the ``childEPCs`` of a packing event) is converted as
    a whole: the product's Digital Link head once, then each serial after it. Any other list
    goes identifier by identifier.

    >>> canonical_epcs(["urn:epc:id:sgtin:0614141.107346.B2", "urn:epc:id:sgtin:0614141.107346.1"])
    ['https://id.gs1.org/01/10614141073464/21/B2', 'https://id.gs1.org/01/10614141073464/21/1']
    """
    match = _PLAIN_SGTIN(uris[0]) if uris else None
    if match is not None:
        urn_head = match[1]
        size = len(urn_head)
        serials = [uri[size:] for uri in uris]
        text = "".join(serials)
        if (
            [uri[:size] for uri in uris].count(urn_head) == len(uris)
            and "" not in serials
            and text.isascii()
            and text.isalnum()
        ):
            head = _sgtin_head(urn_head)
            if head is not None:
                return [head + serial for serial in serials]
    return list(map(canonical_epc, uris))


def to_micros(moment: datetime) -> int:
    """UTC microseconds since 1970-01-01 of a timezone-aware ``moment``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StoreDataError(f"expected a timezone-aware time, got naive {moment.isoformat()!r}")
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    """The UTC time of ``micros`` (inverse of :func:`to_micros`)."""
    return _EPOCH + timedelta(microseconds=micros)


def encode_event(event: Event) -> bytes:
    """The lossless ``event.body`` blob (msgspec JSON, tagged by event type)."""
    return _ENCODER.encode(event)


def decode_event(body: bytes) -> Event:
    """The model event of an ``event.body`` blob (inverse of :func:`encode_event`)."""
    return _DECODER.decode(body)


class CapturedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event as committed by capture, handed to the item-state projection.

    ``event`` carries the stored ``event_id`` and the server ``record_time``. ``members``, when
    given, are its instance-level ``event_epc`` rows as ``(epc_id, canonical uri, role code)``
    in index-row order (roles 1-5, see ``schema.py``), which spares the projection working them
    out again from ``event``; without them, ``epc_ids`` must map every canonical identifier of
    the event (:func:`canonical_epc`) to its ``epc.id`` (capture hands ``members`` and no map).
    """

    seq: int
    event: Event
    event_id: str
    epc_ids: dict[str, int] = msgspec.field(default_factory=dict)
    members: list[tuple[int, str, int]] | None = None


FieldRow = tuple[str, str, str, int, str | None, Decimal | None, int | None]
"""An ``event_field`` row without ``seq``: scope, path, name, depth, text, number, time."""


@dataclass(slots=True)
class IndexedEvent:
    """One event ready to store: its ``event`` row (without ``seq``) and its index rows.

    ``instances`` and ``classes`` are the ``event_epc`` rows (:func:`_epc_groups`): per
    instance role the list of its canonical keys, and the class-level rows ``(canonical class,
    role, quantity, uom)``; :attr:`epcs` gives them as one list of rows. The other index rows
    are the empty tuple when the event has none (most events: no list object per event and
    table to allocate and keep).
    """

    event: Event
    event_id: str
    event_hash: str
    row: dict[str, object]
    instances: list[tuple[list[str], int]] = field(default_factory=list)
    classes: list[tuple[str, int, Decimal | None, str | None]] = field(default_factory=list)
    biz_transactions: Sequence[tuple[str | None, str]] = ()
    source_dest: Sequence[tuple[str, str, str]] = ()
    fields: Sequence[FieldRow] = ()
    sensors: Sequence[dict[str, object]] = ()
    corrections: Sequence[str] = ()
    persistent: Sequence[tuple[str, str]] = ()

    @property
    def epcs(self) -> list[tuple[str, int, Decimal | None, str | None]]:
        """The ``event_epc`` rows as ``(canonical uri, role, quantity, uom)``, at most one per
        (uri, role), in index-row order."""
        rows: list[tuple[str, int, Decimal | None, str | None]] = [
            (key, role, None, None) for keys, role in self.instances for key in keys
        ]
        return rows + self.classes


def _number(text: str) -> Decimal | None:
    if not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None
    return number if number.is_finite() else None


def _time(text: str) -> int | None:
    if not _DATETIME.fullmatch(text):
        return None
    try:
        return to_micros(datetime.fromisoformat(text))
    except ValueError:
        return None


def _field(scope: str, path: str, name: str, depth: int, text: str | None) -> FieldRow:
    if text is None:
        return (scope, path, name, depth, None, None, None)
    value = text.strip()
    return (scope, path, name, depth, text, _number(value), _time(value))


def _extension_rows(
    scope: str, nodes: tuple[Extension, ...], out: list[FieldRow], parent: str = "", depth: int = 0
) -> None:
    """Rows for user extension elements (EPCIS 2.0 §7.3.2), depth-first in document order."""
    for node in nodes:
        name = f"{node.namespace}#{node.name}"
        path = f"{parent}/{name}" if parent else name
        out.append(_field(scope, path, name, depth, node.value))
        if node.children:
            _extension_rows(scope, node.children, out, path, depth + 1)


def _attribute_rows(scope: str, attributes: tuple[ExtAttribute, ...], out: list[FieldRow]) -> None:
    for attribute in attributes:
        name = f"{attribute.namespace}#{attribute.name}"
        out.append(_field(scope, name, name, 0, attribute.value))


def _micros_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


_REPORT_TEXT: Final = (
    "type",
    "exception",
    "device_id",
    "data_processing_method",
    "microorganism",
    "chemical_substance",
    "component",
    "string_value",
    "boolean_value",
    "hex_binary_value",
    "uri_value",
    "uom",
    "coordinate_reference_system",
)
_REPORT_NUMBERS: Final = (
    "value",
    "min_value",
    "max_value",
    "mean_value",
    "s_dev",
    "perc_rank",
    "perc_value",
)


def _sensor_rows(index: int, element: SensorElement) -> list[dict[str, object]]:
    """``event_sensor`` rows of one sensorElement (EPCIS 2.0 §7.3.7)."""
    meta = element.metadata
    base: dict[str, object] = {
        "element": index,
        "meta_time": _micros_or_none(meta.time) if meta else None,
        "start_time": _micros_or_none(meta.start_time) if meta else None,
        "end_time": _micros_or_none(meta.end_time) if meta else None,
        "meta_device_id": meta.device_id if meta else None,
        "meta_data_processing_method": meta.data_processing_method if meta else None,
        "biz_rules": meta.biz_rules if meta else None,
    }
    reports: tuple[SensorReport | None, ...] = element.reports or (None,)
    rows = []
    for position, report in enumerate(reports):
        row = dict(base)
        row["report"] = position if report is not None else -1
        for name in _REPORT_TEXT + _REPORT_NUMBERS:
            row[name] = getattr(report, name) if report is not None else None
        row["time"] = _micros_or_none(report.time) if report is not None else None
        rows.append(row)
    return rows


def _what(event: Event) -> list[tuple[tuple[str, ...], int]]:
    """Instance identifiers with their role codes (EPCIS 2.0 §7.3.3)."""
    if isinstance(event, ObjectEvent):
        return [(event.epc_list, schema.ROLE_EPC)]
    if isinstance(event, TransactionEvent):
        parent = (event.parent_id,) if event.parent_id else ()
        return [(parent, schema.ROLE_PARENT), (event.epc_list, schema.ROLE_EPC)]
    if isinstance(event, AggregationEvent | AssociationEvent):
        parent = (event.parent_id,) if event.parent_id else ()
        return [(parent, schema.ROLE_PARENT), (event.child_epcs, schema.ROLE_CHILD)]
    return [(event.input_epcs, schema.ROLE_INPUT), (event.output_epcs, schema.ROLE_OUTPUT)]


def _what_classes(event: Event) -> list[tuple[tuple[QuantityElement, ...], int]]:
    """Class-level quantities with their role codes (EPCIS 2.0 §7.3.3.3)."""
    if isinstance(event, ObjectEvent | TransactionEvent):
        return [(event.quantity_list, schema.ROLE_QUANTITY_CLASS)]
    if isinstance(event, AggregationEvent | AssociationEvent):
        return [(event.child_quantities, schema.ROLE_CHILD_CLASS)]
    return [
        (event.input_quantities, schema.ROLE_INPUT_CLASS),
        (event.output_quantities, schema.ROLE_OUTPUT_CLASS),
    ]


EpcGroups = tuple[list[tuple[list[str], int]], list[tuple[str, int, Decimal | None, str | None]]]
"""An event's ``event_epc`` rows without ``epc_id``/``seq`` (:func:`_epc_groups`)."""


def _epc_groups(event: Event) -> EpcGroups:
    """The event's ``event_epc`` rows in two parts: per instance role (in role order) the list
    of its canonical keys, each once, first occurrences in order (no row tuple per identifier,
    which capture builds with the key itself); and the class-level rows
    ``(canonical class, role, quantity, uom)``, each ``(class, role)`` once."""
    instances: list[tuple[list[str], int]] = []
    for uris, role in _what(event):
        if uris:
            # each role once per list: the canonical keys of one list, first occurrences in order
            keys = canonical_epcs(uris)
            unique = list(dict.fromkeys(keys))
            instances.append((keys if len(unique) == len(keys) else unique, role))
    classes: list[tuple[str, int, Decimal | None, str | None]] = []
    seen: set[tuple[str, int]] = set()
    for elements, role in _what_classes(event):
        for element in elements:
            key = (canonical_epc(element.epc_class), role)
            if key not in seen:
                seen.add(key)
                classes.append((key[0], role, element.quantity, element.uom))
    return instances, classes


def _epc_rows(event: Event) -> list[tuple[str, int, Decimal | None, str | None]]:
    """The event's ``event_epc`` rows as ``(canonical uri, role, quantity, uom)``, at most one
    per (uri, role), in index-row order (:func:`_epc_groups` flattened)."""
    instances, classes = _epc_groups(event)
    rows: list[tuple[str, int, Decimal | None, str | None]] = [
        (key, role, None, None) for keys, role in instances for key in keys
    ]
    return rows + classes


def _event_fields(event: Event) -> list[FieldRow]:
    rows: list[FieldRow] = []
    _extension_rows("event", event.extensions, rows)
    if isinstance(event, ObjectEvent | TransformationEvent):
        _extension_rows("ilmd", event.ilmd, rows)
    if event.error_declaration is not None:
        _extension_rows("error", event.error_declaration.extensions, rows)
    for element in event.sensor_elements:
        _extension_rows("sensorElement", element.extensions, rows)
        if element.metadata is not None:
            _attribute_rows("sensorMetadata", element.metadata.extensions, rows)
        for report in element.reports:
            _attribute_rows("sensorReport", report.extensions, rows)
    if event.read_point is not None:
        _extension_rows("readPoint", event.read_point.extensions, rows)
    if event.biz_location is not None:
        _extension_rows("bizLocation", event.biz_location.extensions, rows)
    return rows


def index_event(
    event: Event, *, event_id: str, event_hash: str, record_time: datetime, job_id: str | None
) -> IndexedEvent:
    """The stored form of ``event``: ``event`` row and index rows (EPCIS 2.0 §7.4).

    ``event_id`` is the given eventID or else ``event_hash``; the stored body carries it and the
    server's ``record_time`` (EPCIS 2.0 §7.4.1: recordTime is set by the capturing system).
    """
    stored = msgspec.structs.replace(event, event_id=event_id, record_time=record_time)
    error = event.error_declaration
    action = None if isinstance(event, TransformationEvent) else event.action
    row: dict[str, object] = {
        "event_id": event_id,
        "event_hash": event_hash,
        "event_type": type(event).__name__,
        "action": action,
        "event_time": to_micros(event.event_time),
        "event_tz": event.event_time_zone_offset,
        "record_time": to_micros(record_time),
        "biz_step": event.biz_step,
        "disposition": event.disposition,
        "read_point": canonical_epc(event.read_point.id) if event.read_point else None,
        "biz_location": canonical_epc(event.biz_location.id) if event.biz_location else None,
        "transformation_id": (
            event.transformation_id if isinstance(event, TransformationEvent) else None
        ),
        "error_declared": error is not None,
        "error_declaration_time": to_micros(error.declaration_time) if error else None,
        "error_reason": error.reason if error else None,
        "capture_job": job_id,
        "body": encode_event(stored),
    }
    instances, classes = _epc_groups(event)
    indexed = IndexedEvent(
        event=stored,
        event_id=event_id,
        event_hash=event_hash,
        row=row,
        instances=instances,
        classes=classes,
    )
    if event.biz_transactions:
        indexed.biz_transactions = [(bt.type, bt.value) for bt in event.biz_transactions]
    if event.sources or event.destinations:
        indexed.source_dest = [("s", s.type, canonical_epc(s.value)) for s in event.sources] + [
            ("d", d.type, canonical_epc(d.value)) for d in event.destinations
        ]
    indexed.fields = _event_fields(event) or ()
    if event.sensor_elements:
        indexed.sensors = [
            row
            for position, element in enumerate(event.sensor_elements)
            for row in _sensor_rows(position, element)
        ]
    if error is not None:
        indexed.corrections = list(dict.fromkeys(error.corrective_event_ids))
    persistent = event.persistent_disposition
    if persistent is not None:
        indexed.persistent = [("s", d) for d in dict.fromkeys(persistent.set)] + [
            ("u", d) for d in dict.fromkeys(persistent.unset)
        ]
    return indexed
