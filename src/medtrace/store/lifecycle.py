"""Item lifecycle: the status of one EPC derived from its EPCIS events (pure, no database).

The item-state projection (:mod:`medtrace.store.projection`) folds the event log into one
:class:`ItemSnapshot` per EPC with :func:`next_state`. This module holds the rules; it knows
nothing of SQL.

Status (:class:`ItemStatus`) comes from the CBV 2.0 business step (§7.1, *bizStep*) and
disposition (§7.2), in this order of precedence:

1. a TransformationEvent **input** is ``consumed`` (EPCIS 2.0 §7.4.6);
2. an ObjectEvent with action ``DELETE`` **decommissions** its EPCs (EPCIS 2.0 §7.4.2: the
   objects cease to exist in the supply chain);
3. a disposition that names a condition decides (:data:`DISPOSITION_STATUS`), e.g.
   ``in_transit`` → ``in_transit``, ``dispensed`` → ``dispensed``, ``recalled`` → ``recalled``;
   the DSCSA quarantine of suspect product (bizStep ``holding`` with ``non_sellable_other`` or
   no disposition) is ``quarantined``;
4. else a business step that names a lifecycle step decides (:data:`STEP_STATUS`), e.g.
   ``commissioning`` → ``commissioned``, ``shipping`` → ``in_transit``, ``receiving`` →
   ``received``, ``dispensing`` → ``dispensed``, ``destroying`` → ``destroyed``;
5. else an ObjectEvent ``ADD`` or a TransformationEvent output **commissions** (EPCIS 2.0
   §7.4.2, §7.4.6);
6. else a *stock* disposition (``active``, ``sellable_accessible``, ``in_progress``, ...; see
   :data:`STOCK_DISPOSITIONS`) keeps a stock status and restores ``active`` stock otherwise;
7. else the status stays (``unknown`` for an item seen first without any of the above).

**persistentDisposition** (EPCIS 2.0 §7.3.5.2.1): ``set`` values stay on the item until an
event ``unset``\\ s them (unset first, then set). While one of the condition dispositions of
:data:`FLAG_PRIORITY` is set, it overrides the status of every later event (a recalled item
stays ``recalled`` while it is shipped back), unless that status is terminal
(:data:`TERMINAL_STATUSES`: a destroyed recalled item is ``destroyed``).

**Custodian** is the owning party (CBV 2.0 §7.4 source/destination type ``owning_party``).
Under DSCSA ownership changes with the transaction that a shipment carries, and the buyer
takes it on receipt: the transaction information names the seller as source and the buyer as
destination, and until the buyer's receiving event the seller remains owner of record. So:
commissioning and shipping set the custodian to the **source** owning party (the originator /
the seller); receiving (``receiving``, ``accepting``) sets it to the **destination** owning
party; TransformationEvent outputs take the source owning party or, when absent, their inputs'
custodian (set by the projection). Other events leave it.

**Location** is the bizLocation (EPCIS 2.0 §7.3.4): set when the event gives one; an item put in
transit without one has no location (it is between the parties).

**Lot and expiry** come from the ILMD of the commissioning event (CBV 2.0 §10.2 ``cbvmda``
``lotNumber`` and ``itemExpirationDate``, namespace ``urn:epcglobal:cbv:mda``); the projection
fills a missing expiry from the master data of the LGTIN class.

>>> view = EventView(seq=1, event_time=0, event_type="ObjectEvent", action="ADD",
...                  biz_step="urn:epcglobal:cbv:bizstep:commissioning")
>>> item = next_state(None, view, "https://id.gs1.org/01/00300012345678/21/A1")
>>> item.status, item.kind, item.gtin, item.serial
(<ItemStatus.COMMISSIONED: 'commissioned'>, 'sgtin', '00300012345678', 'A1')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import IntEnum, StrEnum
from typing import Final
from urllib.parse import unquote

import msgspec

from medtrace.epcis.model import (
    Event,
    Extension,
    ObjectEvent,
    SourceDest,
    TransformationEvent,
)

__all__ = [
    "DISPOSITION_STATUS",
    "FLAG_PRIORITY",
    "MDA_NAMESPACE",
    "STEP_STATUS",
    "STOCK_DISPOSITIONS",
    "STOCK_STATUSES",
    "TERMINAL_STATUSES",
    "EventView",
    "ItemSnapshot",
    "ItemStatus",
    "Role",
    "Transition",
    "epoch_micros",
    "identity",
    "new_item",
    "next_state",
    "parse_key",
    "transition",
    "view_of",
]

#: Namespace of the CBV master data attributes (CBV 2.0 §10).
MDA_NAMESPACE: Final = "urn:epcglobal:cbv:mda"
_BIZSTEP: Final = "urn:epcglobal:cbv:bizstep:"
_DISP: Final = "urn:epcglobal:cbv:disp:"
_OWNING_PARTY: Final = "urn:epcglobal:cbv:sdt:owning_party"
_DL: Final = "https://id.gs1.org/"
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO: Final = dt.timedelta(microseconds=1)


class ItemStatus(StrEnum):
    """Lifecycle status of an item; the CBV 2.0 terms that lead to each are in the rules."""

    COMMISSIONED = "commissioned"
    """bizStep ``commissioning``; ObjectEvent ``ADD``; TransformationEvent output."""
    ACTIVE = "active"
    """In a party's stock again: a stock disposition after a non-stock status, ``void_shipping``."""
    IN_TRANSIT = "in_transit"
    """Disposition ``in_transit``; bizStep ``shipping``."""
    RECEIVED = "received"
    """bizStep ``receiving`` / ``accepting`` (with ``in_progress``, ``sellable_*``)."""
    QUARANTINED = "quarantined"
    """bizStep ``holding`` with ``non_sellable_other`` or without disposition (DSCSA quarantine)."""
    SUSPECT = "suspect"
    """Disposition ``no_pedigree_match``."""
    RETURNED = "returned"
    """Disposition ``returned`` (a saleable return awaiting verification)."""
    RECALLED = "recalled"
    """Disposition ``recalled``."""
    EXPIRED = "expired"
    """Disposition ``expired``."""
    DAMAGED = "damaged"
    """Disposition ``damaged``."""
    STOLEN = "stolen"
    """Disposition ``stolen``."""
    NON_SELLABLE = "non_sellable"
    """Disposition ``non_sellable_other``."""
    PARTIALLY_DISPENSED = "partially_dispensed"
    """Disposition ``partially_dispensed``."""
    DISPENSED = "dispensed"
    """Disposition ``dispensed``; bizStep ``dispensing`` (DSCSA dispense to the patient)."""
    SOLD = "sold"
    """Disposition ``retail_sold``; bizStep ``retail_selling``."""
    DECOMMISSIONED = "decommissioned"
    """ObjectEvent ``DELETE``; disposition ``inactive``; bizStep ``decommissioning``/``killing``."""
    DESTROYED = "destroyed"
    """Disposition ``destroyed``; bizStep ``destroying``."""
    DISPOSED = "disposed"
    """Disposition ``disposed``."""
    CONSUMED = "consumed"
    """Input of a TransformationEvent (EPCIS 2.0 §7.4.6)."""
    UNKNOWN = "unknown"
    """Disposition ``unknown``, or seen without any status-bearing step or disposition."""


class Role(IntEnum):
    """How an event touches an item: the ``event_epc.role`` codes, plus inference."""

    CONTAINED = 0
    """Inside a container that an ObjectEvent names (DSCSA inference; no ILMD, no DELETE)."""
    EPC = 1
    PARENT = 2
    CHILD = 3
    INPUT = 4
    OUTPUT = 5


#: Dispositions (CBV 2.0 §7.2) that decide the status on their own.
DISPOSITION_STATUS: Final[dict[str, ItemStatus]] = {
    _DISP + "in_transit": ItemStatus.IN_TRANSIT,
    _DISP + "no_pedigree_match": ItemStatus.SUSPECT,
    _DISP + "returned": ItemStatus.RETURNED,
    _DISP + "recalled": ItemStatus.RECALLED,
    _DISP + "expired": ItemStatus.EXPIRED,
    _DISP + "damaged": ItemStatus.DAMAGED,
    _DISP + "stolen": ItemStatus.STOLEN,
    _DISP + "non_sellable_other": ItemStatus.NON_SELLABLE,
    _DISP + "partially_dispensed": ItemStatus.PARTIALLY_DISPENSED,
    _DISP + "dispensed": ItemStatus.DISPENSED,
    _DISP + "retail_sold": ItemStatus.SOLD,
    _DISP + "inactive": ItemStatus.DECOMMISSIONED,
    _DISP + "destroyed": ItemStatus.DESTROYED,
    _DISP + "disposed": ItemStatus.DISPOSED,
    _DISP + "unknown": ItemStatus.UNKNOWN,
}

#: Business steps (CBV 2.0 §7.1) that decide the status when the disposition does not.
STEP_STATUS: Final[dict[str, ItemStatus]] = {
    _BIZSTEP + "commissioning": ItemStatus.COMMISSIONED,
    _BIZSTEP + "shipping": ItemStatus.IN_TRANSIT,
    _BIZSTEP + "receiving": ItemStatus.RECEIVED,
    _BIZSTEP + "accepting": ItemStatus.RECEIVED,
    _BIZSTEP + "void_shipping": ItemStatus.ACTIVE,
    _BIZSTEP + "holding": ItemStatus.QUARANTINED,
    _BIZSTEP + "dispensing": ItemStatus.DISPENSED,
    _BIZSTEP + "retail_selling": ItemStatus.SOLD,
    _BIZSTEP + "decommissioning": ItemStatus.DECOMMISSIONED,
    _BIZSTEP + "killing": ItemStatus.DECOMMISSIONED,
    _BIZSTEP + "destroying": ItemStatus.DESTROYED,
}

#: Dispositions of goods in a party's stock: they keep a stock status, or restore ``active``.
STOCK_DISPOSITIONS: Final = frozenset(
    _DISP + name
    for name in (
        "active", "available", "container_closed", "container_open", "encoded", "in_progress",
        "reserved", "sellable_accessible", "sellable_not_accessible",
    )
)  # fmt: skip

#: Statuses of goods in stock, which a stock disposition keeps.
STOCK_STATUSES: Final = frozenset({ItemStatus.COMMISSIONED, ItemStatus.ACTIVE, ItemStatus.RECEIVED})

#: End-of-life statuses, which a persistent disposition does not override.
TERMINAL_STATUSES: Final = frozenset(
    {
        ItemStatus.DISPENSED,
        ItemStatus.SOLD,
        ItemStatus.DECOMMISSIONED,
        ItemStatus.DESTROYED,
        ItemStatus.DISPOSED,
        ItemStatus.CONSUMED,
    }
)

#: Persistent dispositions that override the status, most important first.
FLAG_PRIORITY: Final[tuple[str, ...]] = tuple(
    _DISP + name
    for name in (
        "recalled", "stolen", "no_pedigree_match", "expired", "damaged", "non_sellable_other",
        "returned",
    )
)  # fmt: skip

#: Statuses the per-item rules use, as plain module constants (an enum class attribute is a
#: lookup through the enum's machinery, on every item).
_ACTIVE: Final = ItemStatus.ACTIVE
_UNKNOWN: Final = ItemStatus.UNKNOWN
_IN_TRANSIT: Final = ItemStatus.IN_TRANSIT

_RECEIVING: Final = frozenset({_BIZSTEP + "receiving", _BIZSTEP + "accepting"})
_HOLDING: Final = _BIZSTEP + "holding"
_NON_SELLABLE: Final = _DISP + "non_sellable_other"


class ItemSnapshot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The state of one item: the ``item_state`` row plus its persistent dispositions.

    ``last_event_time`` is UTC microseconds since the epoch; ``parent_id`` is the ``epc.id`` of
    the container (managed by the projection, passed through here); ``persistent`` holds the
    persistentDisposition values in force (EPCIS 2.0 §7.3.5.2.1), sorted.
    """

    uri: str
    kind: str
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: str | None = None
    status: ItemStatus = ItemStatus.UNKNOWN
    disposition: str | None = None
    custodian: str | None = None
    location: str | None = None
    parent_id: int | None = None
    last_event_seq: int = 0
    last_event_time: int = 0
    commissioned_seq: int | None = None
    updated_seq: int = 0
    persistent: tuple[str, ...] = ()


class EventView(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What the lifecycle needs of one event, identifiers already canonical.

    ``event_time`` is UTC microseconds since the epoch; ``lot``/``expiry`` come from the ILMD;
    ``source_owner``/``destination_owner`` are the ``owning_party`` source and destination;
    ``declared`` is true for an event under an errorDeclaration (EPCIS 2.0 §7.4.1.2).
    """

    seq: int
    event_time: int
    event_type: str
    action: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    persistent_set: tuple[str, ...] = ()
    persistent_unset: tuple[str, ...] = ()
    biz_location: str | None = None
    source_owner: str | None = None
    destination_owner: str | None = None
    lot: str | None = None
    expiry: str | None = None
    declared: bool = False


def epoch_micros(moment: dt.datetime) -> int:
    """UTC microseconds since the Unix epoch of an aware datetime.

    >>> epoch_micros(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC))
    1000000
    """
    return (moment - _EPOCH) // _MICRO


def parse_key(uri: str) -> tuple[str, str | None, str | None]:
    """``(kind, gtin, serial)`` of a canonical Digital Link key (see ``store.codec``).

    >>> parse_key("https://id.gs1.org/01/09506000134352/21/1%2F2")
    ('sgtin', '09506000134352', '1/2')
    >>> parse_key("https://id.gs1.org/00/106141411234567897")
    ('sscc', None, None)
    >>> parse_key("https://id.gs1.org/414/4012345000115/254/987")
    ('sgln', None, None)
    >>> parse_key("urn:epc:id:gid:95100000.12345.400")
    ('other', None, None)
    """
    if not uri.startswith(_DL):
        return "other", None, None
    parts = uri[len(_DL) :].split("/")
    if len(parts) == 4 and parts[0] == "01" and parts[2] == "21":
        serial = parts[3]
        return "sgtin", parts[1], unquote(serial) if "%" in serial else serial
    if len(parts) == 2 and parts[0] == "00":
        return "sscc", None, None
    if parts[0] == "414" and len(parts) in (2, 4):
        return "sgln", None, None
    return "other", None, None


#: ``(kind, gtin)`` of a canonical key by the key less its last ``/`` segment (bounded cache).
_HEADS: Final[dict[str, tuple[str, str | None]]] = {}
_HEADS_LIMIT: Final = 4096


def identity(uri: str) -> tuple[str, str | None, str | None]:
    """:func:`parse_key` of ``uri``, with the part that depends on all but its last segment
    cached: the thousands of items of one product share it. What :func:`parse_key` decides
    depends on that last segment only through the serial of an SGTIN.

    >>> identity("https://id.gs1.org/01/09506000134352/21/1%2F2")
    ('sgtin', '09506000134352', '1/2')
    """
    head, _, last = uri.rpartition("/")
    found = _HEADS.get(head)
    if found is None:
        kind, gtin, _serial = parse_key(head + "/0")
        if len(_HEADS) >= _HEADS_LIMIT:
            _HEADS.clear()
        found = _HEADS[head] = (kind, gtin)
    kind, gtin = found
    if gtin is None:
        return kind, None, None
    return kind, gtin, unquote(last) if "%" in last else last


def new_item(uri: str) -> ItemSnapshot:
    """A never-seen item: kind, GTIN and serial from its canonical key, status ``unknown``."""
    kind, gtin, serial = parse_key(uri)
    return ItemSnapshot(uri=uri, kind=kind, gtin=gtin, serial=serial)


def _ilmd_value(ilmd: tuple[Extension, ...], name: str) -> str | None:
    for field in ilmd:
        if field.namespace == MDA_NAMESPACE and field.name == name and field.value:
            return field.value.strip()
    return None


def _iso_date(text: str | None) -> str | None:
    """An ``xsd:date`` (optionally with a zone suffix) as ``YYYY-MM-DD``, or None if invalid."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _owner(parties: tuple[SourceDest, ...], canon: Callable[[str], str]) -> str | None:
    for party in parties:
        if party.type == _OWNING_PARTY:
            return canon(party.value)
    return None


def view_of(
    seq: int, event: Event, canon: Callable[[str], str], *, declared: bool = False
) -> EventView:
    """The :class:`EventView` of a model event; ``canon`` makes identifiers canonical.

    ``declared`` forces the error-declared flag (the store marks an event retracted by a later
    errorDeclaration without rewriting its body).
    """
    ilmd = event.ilmd if isinstance(event, ObjectEvent | TransformationEvent) else ()
    persistent = event.persistent_disposition
    return EventView(
        seq=seq,
        event_time=epoch_micros(event.event_time),
        event_type=type(event).__name__,
        action=None if isinstance(event, TransformationEvent) else event.action,
        biz_step=event.biz_step,
        disposition=event.disposition,
        persistent_set=persistent.set if persistent else (),
        persistent_unset=persistent.unset if persistent else (),
        biz_location=canon(event.biz_location.id) if event.biz_location else None,
        source_owner=_owner(event.sources, canon),
        destination_owner=_owner(event.destinations, canon),
        lot=_ilmd_value(ilmd, "lotNumber"),
        expiry=_iso_date(_ilmd_value(ilmd, "itemExpirationDate")),
        declared=declared or event.error_declaration is not None,
    )


def _commissions(view: EventView, role: Role) -> bool:
    if role is Role.OUTPUT:
        return True
    return (
        role is Role.EPC
        and view.event_type == "ObjectEvent"
        and (view.action == "ADD" or view.biz_step == _BIZSTEP + "commissioning")
    )


def _status_rule(view: EventView, role: Role) -> ItemStatus | None:
    """Rules 1-5 of the module docstring: the status the event decides on its own, if any."""
    if role is Role.INPUT:
        return ItemStatus.CONSUMED
    if role is Role.EPC and view.event_type == "ObjectEvent" and view.action == "DELETE":
        return ItemStatus.DECOMMISSIONED
    disposition, step = view.disposition, view.biz_step
    if step == _HOLDING and disposition in (None, _NON_SELLABLE):
        return ItemStatus.QUARANTINED
    if disposition is not None and disposition in DISPOSITION_STATUS:
        return DISPOSITION_STATUS[disposition]
    if step is not None and step in STEP_STATUS:
        return STEP_STATUS[step]
    if _commissions(view, role):
        return ItemStatus.COMMISSIONED
    return None


def _persistent(prev: tuple[str, ...], view: EventView) -> tuple[str, ...]:
    if not view.persistent_set and not view.persistent_unset:
        return prev
    kept = set(prev).difference(view.persistent_unset)
    return tuple(sorted(kept.union(view.persistent_set)))


def _with_flags(status: ItemStatus, persistent: tuple[str, ...]) -> ItemStatus:
    if not persistent or status in TERMINAL_STATUSES:
        return status
    for flag in FLAG_PRIORITY:
        if flag in persistent:
            return DISPOSITION_STATUS[flag]
    return status


class Transition:
    """What one event does to every item it touches in one role (:func:`next_state`).

    The parts of the rules that depend on the event alone (status rules 1-5, custodian, ILMD,
    disposition, and the whole status of an item never seen) are worked out once here, so that
    applying an event to the thousands of items of a shipment only does the per-item rest
    (previous status, persistent dispositions, location). Build one with :func:`transition`.
    """

    __slots__ = (
        "custodian",
        "declared",
        "disposition",
        "first",
        "flags",
        "ilmd",
        "new_flags",
        "role",
        "sets_custodian",
        "sets_disposition",
        "status",
        "stock",
        "view",
    )

    def __init__(self, view: EventView, role: Role) -> None:
        self.view = view
        self.role = role
        self.declared = view.declared
        #: the status of rules 1-5, or None: rule 6 (``stock``) or 7 decide from the previous
        self.status = _status_rule(view, role)
        self.stock = view.disposition in STOCK_DISPOSITIONS
        #: whether the event sets or unsets persistent dispositions
        self.flags = bool(view.persistent_set or view.persistent_unset)
        self.new_flags = _persistent((), view)
        commissioning = _commissions(view, role)
        custodian: str | None = None
        step = view.biz_step
        if role is not Role.INPUT:
            if (commissioning or step == _BIZSTEP + "shipping") and view.source_owner:
                custodian = view.source_owner
            elif step in _RECEIVING and view.destination_owner:
                custodian = view.destination_owner
        self.sets_custodian = custodian is not None
        self.custodian = custodian
        self.ilmd = commissioning and role is not Role.CONTAINED
        self.sets_disposition = view.disposition is not None and role is not Role.INPUT
        self.disposition = view.disposition if self.sets_disposition else None
        self.first = self._first_state()

    def _first_state(self) -> ItemSnapshot:
        """The state of an item never seen after the event, but for its identity and container.

        Everything in it depends on the event alone (rules 1-7 without a previous status or
        persistent dispositions); :meth:`apply_into` fills in the key, its parts and the parent.
        """
        view, seq = self.view, self.view.seq
        status = self.status
        if status is None:
            status = _ACTIVE if self.stock else _UNKNOWN
        if self.new_flags:
            status = _with_flags(status, self.new_flags)
        return ItemSnapshot(
            uri="",
            kind="",
            lot=view.lot if self.ilmd else None,
            expiry=view.expiry if self.ilmd else None,
            status=status,
            disposition=self.disposition,
            custodian=self.custodian,
            location=view.biz_location,
            last_event_seq=seq,
            last_event_time=view.event_time,
            commissioned_seq=seq if self.ilmd else None,
            updated_seq=max(0, seq),
            persistent=self.new_flags,
        )

    def apply(self, state: ItemSnapshot | None, uri: str) -> ItemSnapshot:
        """The state after the event; ``state`` None for an item never seen (key ``uri``)."""
        return self.apply_into(state, uri, None if state is None else state.parent_id)

    def apply_into(
        self, state: ItemSnapshot | None, uri: str, parent_id: int | None
    ) -> ItemSnapshot:
        """:meth:`apply`, with ``parent_id`` as the container of the resulting state.

        The projection puts the children of an aggregation into their parent with the same
        step (one new state instead of two); :meth:`apply` passes the item's own through.
        """
        view = self.view
        seq = view.seq
        if self.declared:
            item = state if state is not None else new_item(uri)
            return msgspec.structs.replace(
                item, parent_id=parent_id, updated_seq=max(item.updated_seq, seq)
            )
        if state is None:
            # an item never seen: the event's first state with this item's identity
            kind, gtin, serial = identity(uri)
            return msgspec.structs.replace(
                self.first, uri=uri, kind=kind, gtin=gtin, serial=serial, parent_id=parent_id
            )
        persistent = _persistent(state.persistent, view) if self.flags else state.persistent
        status = self.status
        if status is None:
            status = state.status
            if self.stock and status not in STOCK_STATUSES:
                status = _ACTIVE
        if persistent:
            status = _with_flags(status, persistent)
        location = view.biz_location
        if location is None and status is not _IN_TRANSIT:
            location = state.location
        lot, expiry, commissioned_seq = state.lot, state.expiry, state.commissioned_seq
        if self.ilmd:
            if view.lot is not None:
                lot = view.lot
            if view.expiry is not None:
                expiry = view.expiry
            if commissioned_seq is None:
                commissioned_seq = seq
        return msgspec.structs.replace(
            state,
            lot=lot,
            expiry=expiry,
            status=status,
            disposition=self.disposition if self.sets_disposition else state.disposition,
            custodian=self.custodian if self.sets_custodian else state.custodian,
            location=location,
            parent_id=parent_id,
            last_event_seq=seq,
            last_event_time=view.event_time,
            commissioned_seq=commissioned_seq,
            updated_seq=seq if seq > state.updated_seq else state.updated_seq,
            persistent=persistent,
        )


def transition(view: EventView, role: Role = Role.EPC) -> Transition:
    """The :class:`Transition` of ``view`` for the items it touches in ``role``."""
    return Transition(view, role)


def next_state(
    state: ItemSnapshot | None, view: EventView, uri: str, role: Role = Role.EPC
) -> ItemSnapshot:
    """The item's state after ``view`` touched it in ``role`` (EPCIS 2.0 §7.4; CBV 2.0 §7).

    ``state`` is None for an item never seen; ``uri`` (its canonical key) is then used to
    start it. An error-declared view only records that the item was touched
    (``updated_seq``). Containment (``parent_id``) is the projection's business and passes
    through unchanged. (To apply one event to many items, build its :func:`transition` once.)
    """
    return Transition(view, role).apply(state, uri)
