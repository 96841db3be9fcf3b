"""Builders of the EPCIS events the simulated partners record (EPCIS 2.0 §7.4, CBV 2.0 §7).

Each builder returns an immutable :mod:`medtrace.epcis.model` event with canonical CBV URNs
and the local ``eventTimeZoneOffset`` of the site where it happens. The event vocabulary is the
one of the GS1 US DSCSA Implementation Guideline R1.3: commissioning with ILMD lot and expiry,
packing/unpacking aggregations, shipping and receiving with ``po``/``desadv`` business
transactions and ``owning_party``/``location`` sources and destinations, and, beyond the
guideline, dispensing, saleable returns, destruction and sensor readings (EPCIS 2.0 §7.3.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from medtrace.epcis.model import (
    Action,
    AggregationEvent,
    BizTransaction,
    Extension,
    Location,
    ObjectEvent,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
)
from medtrace.sim.clock import local_offset
from medtrace.sim.world import Party, Site

__all__ = [
    "CBVMDA_NS",
    "Transfer",
    "aggregate",
    "commission",
    "observe",
    "temperature_readings",
    "transactions",
]

CBVMDA_NS: Final = "urn:epcglobal:cbv:mda"
"""CBV 2.0 §10 master data attributes namespace (``cbvmda``), used for ILMD."""

_STEP: Final = "urn:epcglobal:cbv:bizstep:"
_DISP: Final = "urn:epcglobal:cbv:disp:"
_BTT: Final = "urn:epcglobal:cbv:btt:"
_SDT: Final = "urn:epcglobal:cbv:sdt:"
_TEMPERATURE: Final = "https://gs1.org/voc/Temperature"


class Transfer:
    """The parties and places of a change of custody (CBV 2.0 §7.4 source/destination).

    ``owning_party`` is the headquarters SGLN of the seller / buyer, ``location`` the ship-from /
    ship-to site; a 3PL that holds stock for the owner is the ``possessing_party``.
    """

    __slots__ = ("destinations", "sources")

    def __init__(
        self,
        seller: Party,
        ship_from: Site,
        buyer: Party,
        ship_to: Site,
        *,
        possessor: Party | None = None,
    ) -> None:
        sources = [SourceDest(type=_SDT + "owning_party", value=seller.owning_id)]
        if possessor is not None:
            sources.append(SourceDest(type=_SDT + "possessing_party", value=possessor.owning_id))
        sources.append(SourceDest(type=_SDT + "location", value=ship_from.sgln))
        self.sources = tuple(sources)
        self.destinations = (
            SourceDest(type=_SDT + "owning_party", value=buyer.owning_id),
            SourceDest(type=_SDT + "location", value=ship_to.sgln),
        )


def transactions(*pairs: tuple[str, str]) -> tuple[BizTransaction, ...]:
    """Business transactions from ``(CBV type word, identifier)`` pairs (CBV 2.0 §7.3)."""
    return tuple(BizTransaction(type=_BTT + kind, value=value) for kind, value in pairs)


def commission(
    when: datetime, site: Site, epcs: Sequence[str], lot: str, expiry: date
) -> ObjectEvent:
    """Commissioning (``ADD``, ``commissioning``, ``active``) with ILMD ``cbvmda:lotNumber`` and
    ``cbvmda:itemExpirationDate`` (GS1 US DSCSA IG R1.3; CBV 2.0 §10.2)."""
    location = Location(id=site.sgln)
    return ObjectEvent(
        event_time=when,
        event_time_zone_offset=local_offset(site.zone, when),
        action="ADD",
        epc_list=tuple(epcs),
        biz_step=_STEP + "commissioning",
        disposition=_DISP + "active",
        read_point=location,
        biz_location=location,
        ilmd=(
            Extension(namespace=CBVMDA_NS, name="lotNumber", prefix="cbvmda", value=lot),
            Extension(
                namespace=CBVMDA_NS,
                name="itemExpirationDate",
                prefix="cbvmda",
                value=expiry.isoformat(),
            ),
        ),
    )


def aggregate(
    when: datetime,
    site: Site,
    parent: str,
    children: Sequence[str],
    *,
    action: Action = "ADD",
) -> AggregationEvent:
    """Packing (``ADD``: ``packing``, ``in_progress``) or unpacking (``DELETE``: ``unpacking``,
    ``sellable_accessible``) of ``children`` into/out of ``parent`` (EPCIS 2.0 §7.4.3)."""
    location = Location(id=site.sgln)
    packing = action == "ADD"
    return AggregationEvent(
        event_time=when,
        event_time_zone_offset=local_offset(site.zone, when),
        action=action,
        parent_id=parent,
        child_epcs=tuple(children),
        biz_step=_STEP + ("packing" if packing else "unpacking"),
        disposition=_DISP + ("in_progress" if packing else "sellable_accessible"),
        read_point=location,
        biz_location=location,
    )


def observe(
    when: datetime,
    site: Site,
    epcs: Sequence[str],
    step: str,
    disposition: str,
    *,
    read_point: str | None = None,
    business_location: bool = True,
    transfer: Transfer | None = None,
    biz_transactions: tuple[BizTransaction, ...] = (),
    sensors: tuple[SensorElement, ...] = (),
) -> ObjectEvent:
    """An ``OBSERVE`` ObjectEvent with CBV business step ``step`` and ``disposition`` words.

    Shipping events have no business location (the goods leave it, EPCIS 2.0 §7.3.4).
    """
    return ObjectEvent(
        event_time=when,
        event_time_zone_offset=local_offset(site.zone, when),
        action="OBSERVE",
        epc_list=tuple(epcs),
        biz_step=_STEP + step,
        disposition=_DISP + disposition,
        read_point=Location(id=read_point or site.sgln),
        biz_location=Location(id=read_point or site.sgln) if business_location else None,
        biz_transactions=biz_transactions,
        sources=transfer.sources if transfer else (),
        destinations=transfer.destinations if transfer else (),
        sensor_elements=sensors,
    )


def temperature_readings(
    device: str, readings: Sequence[tuple[datetime, Decimal]]
) -> tuple[SensorElement, ...]:
    """One sensor element of Temperature reports in degrees Celsius (UN/ECE Rec 20 ``CEL``),
    the device's identifier in the metadata (EPCIS 2.0 §7.3.7)."""
    return (
        SensorElement(
            metadata=SensorMetadata(device_id=device),
            reports=tuple(
                SensorReport(type=_TEMPERATURE, value=value, uom="CEL", time=moment)
                for moment, value in readings
            ),
        ),
    )
