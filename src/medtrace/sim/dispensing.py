"""The week of a dispenser (retail pharmacy or hospital), day by day.

Each day a dispenser receives the totes its DC shipped the day before (``receiving``,
``in_progress`` with the transaction's ``po``/``desadv`` and source/destination, then
``unpacking`` of totes and whole cases), dispenses units to patients (``dispensing``,
``dispensed``: the DSCSA end of the trace), and, in hospitals, its pharmacy refrigerator
reports the temperature. At the end of the week a few units go back to the DC as saleable
returns (``shipping``, ``returned``, with an ``rma`` transaction) and a few damaged ones are
destroyed (``destroying``, ``destroyed``).

Dispenser-side incidents are injected here: counterfeit serials, clones, diversion and double
dispensing (see :mod:`medtrace.sim.incidents`). Each dispenser's events of the week form one
EPCIS 2.0 JSON-LD document.
"""

from __future__ import annotations

from typing import Final

from medtrace.epcis.model import Event
from medtrace.sim.coldchain import daily_readings
from medtrace.sim.events import Transfer, aggregate, observe, transactions
from medtrace.sim.ids import COUNTERFEIT_BASE
from medtrace.sim.incidents import sighting
from medtrace.sim.state import Delivery, ReturnedUnit, SimState, local
from medtrace.sim.stock import Case, Unit
from medtrace.sim.world import Party

__all__ = ["run_dispensing"]

_DISPENSE_PER_DAY: Final = 0.2
_RETURN_RATE: Final = 0.01
_DESTROY_RATE: Final = 0.003


def dispenser_document(week: int, dispenser: Party) -> str:
    """The path of a dispenser's weekly document."""
    return f"week-{week:02d}/4-disp-{dispenser.key}.jsonld"


def _receive(
    state: SimState,
    week: int,
    dispenser: Party,
    delivery: Delivery,
    *,
    seq: int,
    events: list[Event],
    shelf: list[Unit],
) -> None:
    site = dispenser.sites[0]
    wholesaler = state.world.owner(delivery.dc)
    when = local(site, week, delivery.arrival_day, 9, seq % 60)
    events.append(
        observe(
            when,
            site,
            [tote for tote, _ in delivery.totes],
            "receiving",
            "in_progress",
            transfer=Transfer(wholesaler, delivery.dc, dispenser, site),
            biz_transactions=transactions(("po", delivery.po), ("desadv", delivery.desadv)),
        )
    )
    for index, (tote, items) in enumerate(delivery.totes):
        opened = local(site, week, delivery.arrival_day, 10, seq % 60, second=index % 60)
        events.append(aggregate(opened, site, tote, [i.epc for i in items], action="DELETE"))
        for item in items:
            if isinstance(item, Case):
                events.append(
                    aggregate(opened, site, item.epc, [u.epc for u in item.units], action="DELETE")
                )
                shelf.extend(item.units)
            else:
                shelf.append(item)


def _dispense(
    state: SimState,
    week: int,
    day: int,
    dispenser: Party,
    units: list[Unit],
    *,
    hour: int = 19,
    minute: int = 0,
) -> Event:
    site = dispenser.sites[0]
    when = local(site, week, day, hour, minute)
    state.units_dispensed += len(units)
    return observe(when, site, [u.epc for u in units], "dispensing", "dispensed")


def _other(state: SimState, dispenser: Party, *, other_chain: bool) -> Party:
    """Another dispenser; with ``other_chain``, one supplied by another wholesaler."""
    world = state.world
    mine = world.owner(world.sites[dispenser.supplier or ""]).key
    candidates = [
        d
        for d in world.of_role("pharmacy", "hospital")
        if d.key != dispenser.key
        and (not other_chain or world.owner(world.sites[d.supplier or ""]).key != mine)
    ]
    return candidates[state.rng.randrange(len(candidates))]


def _incidents_of_day(
    state: SimState, week: int, day: int, dispenser: Party, *, today: list[Unit], event: Event
) -> None:
    """Double dispensing and clones of units dispensed today (not on the last day)."""
    site, book, rng = dispenser.sites[0], state.book, state.rng
    document = dispenser_document(week, dispenser)
    if day >= 6 or not today:
        return
    if book.due("double_dispensing", week):
        unit = today[rng.randrange(len(today))]
        again = _dispense(state, week, day + 1, dispenser, [unit], hour=10, minute=day)
        state.bucket(document).append(again)
        book.record(
            "double_dispensing",
            week,
            epc=unit.epc,
            sightings=[
                sighting(dispenser.owning_id, site.sgln, e.event_time, document, "dispensing")
                for e in (event, again)
            ],
        )
    elif book.due("clone", week):
        unit = today[rng.randrange(len(today))]
        other = _other(state, dispenser, other_chain=False)
        clone_document = dispenser_document(week, other)
        clone = _dispense(state, week, day + 1, other, [unit], hour=16, minute=day)
        state.bucket(clone_document).append(clone)
        book.record(
            "clone",
            week,
            epc=unit.epc,
            sightings=[
                sighting(dispenser.owning_id, site.sgln, event.event_time, document, "dispensing"),
                sighting(
                    other.owning_id,
                    other.sites[0].sgln,
                    clone.event_time,
                    clone_document,
                    "dispensing",
                ),
            ],
        )


def _divert(state: SimState, week: int, dispenser: Party, shelf: list[Unit]) -> None:
    """A unit leaves the shelf without an event and surfaces in another wholesaler's chain."""
    unit = shelf.pop(state.rng.randrange(len(shelf)))
    world = state.world
    target = _other(state, dispenser, other_chain=True)
    site = target.sites[0]
    document = dispenser_document(week, target)
    seen = observe(local(site, week, 5, 11, 0), site, [unit.epc], "receiving", "in_progress")
    bucket = state.bucket(document)
    bucket.append(seen)
    bucket.append(_dispense(state, week, 6, target, [unit], hour=15))
    dc = world.sites[dispenser.supplier or ""]
    state.book.record(
        "diversion",
        week,
        epc=unit.epc,
        expected_chain=[
            world.by_key[unit.product.manufacturer].owning_id,
            world.owner(dc).owning_id,
            dispenser.owning_id,
        ],
        left_from=dispenser.owning_id,
        surfaced_at=sighting(target.owning_id, site.sgln, seen.event_time, document, "receiving"),
    )


def _counterfeit(state: SimState, week: int, dispenser: Party, events: list[Event]) -> None:
    products = state.world.products
    product = products[state.rng.randrange(len(products))]
    n = state.counterfeit_counter[product.index]
    state.counterfeit_counter[product.index] = n + 1
    serial = product.unit_serials.serial(COUNTERFEIT_BASE + n)
    fake = product.unit_epc(COUNTERFEIT_BASE + n)
    site = dispenser.sites[0]
    event = observe(local(site, week, 4, 14), site, [fake], "dispensing", "dispensed")
    events.append(event)
    state.book.record(
        "counterfeit",
        week,
        epc=fake,
        gtin=product.unit_gtin.value,
        serial=serial,
        **sighting(
            dispenser.owning_id,
            site.sgln,
            event.event_time,
            dispenser_document(week, dispenser),
            "dispensing",
        ),
    )


def _end_of_week(state: SimState, week: int, dispenser: Party, events: list[Event]) -> None:
    site, rng = dispenser.sites[0], state.rng
    shelf = state.shelves[dispenser.key]
    returned = [u for u in shelf if rng.random() < _RETURN_RATE]
    gone = {id(u) for u in returned}
    destroyed = [u for u in shelf if id(u) not in gone and rng.random() < _DESTROY_RATE]
    gone.update(id(u) for u in destroyed)
    if returned:
        dc = state.world.sites[dispenser.supplier or ""]
        rma = f"urn:epcglobal:cbv:bt:{dispenser.hq.gln}:RMA-{state.next_order()}"
        events.append(
            observe(
                local(site, week, 5, 15),
                site,
                [u.epc for u in returned],
                "shipping",
                "returned",
                business_location=False,
                transfer=Transfer(dispenser, site, state.world.owner(dc), dc),
                biz_transactions=transactions(("rma", rma)),
            )
        )
        document = dispenser_document(week, dispenser)
        state.returns[dc.key].extend(ReturnedUnit(u, dispenser, rma, document) for u in returned)
    if destroyed:
        events.append(
            observe(
                local(site, week, 6, 12),
                site,
                [u.epc for u in destroyed],
                "destroying",
                "destroyed",
            )
        )
    if gone:
        state.shelves[dispenser.key] = [u for u in shelf if id(u) not in gone]


def run_dispensing(state: SimState, week: int) -> None:
    """One week of every dispenser (see the module docstring)."""
    world, book, rng = state.world, state.book, state.rng
    dispensers = world.of_role("pharmacy", "hospital")
    hospitals = [d for d in dispensers if d.role == "hospital"]
    for dispenser in dispensers:
        site = dispenser.sites[0]
        document = dispenser_document(week, dispenser)
        events = state.bucket(document)
        deliveries = state.arriving[dispenser.key]
        state.arriving[dispenser.key] = []
        for day in range(7):
            shelf = state.shelves[dispenser.key]
            for seq, delivery in enumerate(d for d in deliveries if d.arrival_day == day):
                _receive(state, week, dispenser, delivery, seq=seq, events=events, shelf=shelf)
            today = [u for u in shelf if rng.random() < _DISPENSE_PER_DAY]
            if today:
                taken = {id(u) for u in today}
                shelf = state.shelves[dispenser.key] = [u for u in shelf if id(u) not in taken]
                event = _dispense(state, week, day, dispenser, today)
                events.append(event)
                _incidents_of_day(state, week, day, dispenser, today=today, event=event)
            if day == 2 and shelf and book.due("diversion", week):
                _divert(state, week, dispenser, shelf)
            if day == 4 and book.due("counterfeit", week):
                _counterfeit(state, week, dispenser, events)
            if dispenser.role == "hospital":
                cold = [u.epc for u in shelf if u.product.cold_chain]
                last = week == state.weeks - 1 and dispenser is hospitals[-1] and day == 6
                events.append(
                    daily_readings(
                        state,
                        week,
                        day,
                        party=dispenser,
                        site=site,
                        place=site.sub_location("FRIDGE"),
                        epcs=cold,
                        document=document,
                        last_chance=last,
                    )
                )
        _end_of_week(state, week, dispenser, events)
