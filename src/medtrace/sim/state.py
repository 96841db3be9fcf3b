"""The mutable state of one simulation run: stock at every site, counters, pending documents.

Only stock in the pipeline is held (what sits at a DC or a dispenser, or is in transit), so
memory follows the weekly volume, not the total: a unit is dropped once it is dispensed,
destroyed or lost. Each weekly document collects its events in a bucket that is written (events
in time order) when the week ends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from medtrace.epcis.model import Event
from medtrace.sim.clock import ZONES, at
from medtrace.sim.emit import DocumentSink, plain_jsonld_document
from medtrace.sim.ids import SsccSource
from medtrace.sim.incidents import IncidentBook
from medtrace.sim.stock import Bin, Case, Lot, Pallet, Unit
from medtrace.sim.world import Party, Site, World

__all__ = ["Delivery", "Inbound", "ReturnedUnit", "SimState", "local"]


def local(
    site: Site, week: int, day: int, hour: int, minute: int = 0, *, second: int = 0
) -> datetime:
    """The UTC moment of ``hour:minute`` local (standard) time at ``site``."""
    return at(week, day, hour, minute, second) - timedelta(hours=ZONES[site.zone])


@dataclass(slots=True)
class Inbound:
    """A manufacturer shipment on its way to a DC (received later in the week)."""

    seller: Party
    ship_from: Site
    pallets: list[Pallet]
    po: str
    desadv: str
    document: str | None
    shipped: datetime


@dataclass(slots=True)
class Delivery:
    """A wholesaler shipment on its way to a dispenser: totes of units or whole cases."""

    dc: Site
    totes: list[tuple[str, list[Unit | Case]]]
    po: str
    desadv: str
    arrival_day: int
    document: str


@dataclass(slots=True)
class ReturnedUnit:
    """A saleable return on its way from a dispenser back to its DC."""

    unit: Unit
    dispenser: Party
    rma: str
    document: str


@dataclass(slots=True)
class SimState:
    """Everything the weekly flows read and change."""

    rng: random.Random
    world: World
    weeks: int
    book: IncidentBook
    sink: DocumentSink
    unit_counter: list[int] = field(init=False)
    case_counter: list[int] = field(init=False)
    counterfeit_counter: list[int] = field(init=False)
    ssccs: dict[str, SsccSource] = field(init=False)
    lots: dict[tuple[int, int], Lot] = field(default_factory=dict)
    dc_stock: dict[str, dict[int, Bin]] = field(init=False)
    inbound: dict[str, list[Inbound]] = field(init=False)
    returns: dict[str, list[ReturnedUnit]] = field(init=False)
    shelves: dict[str, list[Unit]] = field(init=False)
    arriving: dict[str, list[Delivery]] = field(init=False)
    buckets: dict[str, list[Event]] = field(default_factory=dict)
    order_number: int = 100_000
    lots_made: int = 0
    units_made: int = 0
    cases_made: int = 0
    pallets_made: int = 0
    units_dispensed: int = 0

    def __post_init__(self) -> None:
        count = len(self.world.products)
        self.unit_counter = [0] * count
        self.case_counter = [0] * count
        self.counterfeit_counter = [0] * count
        self.ssccs = {}
        for index, party in enumerate(self.world.parties):
            if party.role in ("manufacturer", "cmo", "3pl", "wholesaler"):
                self.ssccs[party.key] = SsccSource(party.company_prefix, str(index % 10))
        self.dc_stock = {dc.key: {} for dc in self.world.dcs}
        self.inbound = {dc.key: [] for dc in self.world.dcs}
        self.returns = {dc.key: [] for dc in self.world.dcs}
        dispensers = self.world.of_role("pharmacy", "hospital")
        self.shelves = {d.key: [] for d in dispensers}
        self.arriving = {d.key: [] for d in dispensers}

    def next_order(self) -> int:
        """A new order / despatch advice number."""
        self.order_number += 1
        return self.order_number

    def bin(self, dc: str, product: int) -> Bin:
        """The stock bin of ``product`` at DC ``dc``."""
        bins = self.dc_stock[dc]
        if product not in bins:
            bins[product] = Bin()
        return bins[product]

    def bucket(self, document: str) -> list[Event]:
        """The events of the weekly document ``document`` (created on first use)."""
        return self.buckets.setdefault(document, [])

    def flush(self, week: int) -> None:
        """Write this week's bucketed documents, events in time order, and empty the buckets."""
        created = at(week + 1, 0, 12)
        for document in sorted(self.buckets):
            events = sorted(self.buckets[document], key=lambda e: e.event_time)
            if events:
                self.sink.write(document, plain_jsonld_document(created, events), "jsonld")
        self.buckets.clear()
