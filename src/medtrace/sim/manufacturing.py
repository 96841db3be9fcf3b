"""Manufacturing and the manufacturer → wholesaler shipments of one week.

Each week every manufacturer makes the cases the production plan asks for, in one lot per
product, at its own plant or at its contract manufacturer (CMO), and ships them from the plant
or from its 3PL to each distribution centre. For each shipment it sends the wholesaler one
EPCIS 1.2 document in the GS1 US DSCSA Implementation Guideline R1.3 style (see
:mod:`medtrace.sim.emit`): commissioning of units and cases with ILMD lot and expiry, packing
unit → case → pallet, and the shipping event with ``po``/``desadv`` transactions.

Three partner data faults are injected here (GS1 US DSCSA IG R1.3 exceptions): a shipment
without a document, a document whose shipment never arrives, and a case whose packing event
does not list what the case holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from medtrace.epcis.model import Event
from medtrace.sim.clock import month_end, week_day
from medtrace.sim.emit import dscsa_xml_document, master_data
from medtrace.sim.events import Transfer, aggregate, commission, observe, transactions
from medtrace.sim.state import Inbound, SimState, local
from medtrace.sim.stock import Case, Lot, Pallet, Unit
from medtrace.sim.world import Product, Site

__all__ = ["run_manufacturing"]

_PER_COMMISSION = 120  # EPCs per commissioning event
_LOT_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _lot(state: SimState, product: Product, week: int, maker: Site) -> Lot:
    """This week's lot of ``product`` (one lot per product and week)."""
    key = (product.index, week)
    if key not in state.lots:
        rng = state.rng
        made = week_day(week, 0)
        months = rng.randrange(18, 37)
        year, month = made.year + (made.month - 1 + months) // 12, (made.month - 1 + months) % 12
        iso_week = made.isocalendar().week
        number = (
            f"{_LOT_LETTERS[rng.randrange(len(_LOT_LETTERS))]}{made.year % 100:02d}"
            f"{iso_week:02d}{rng.randrange(1000):03d}"
        )
        state.lots[key] = Lot(product, number, month_end(year, month + 1), maker, week)
        state.lots_made += 1
    return state.lots[key]


def _new_units(state: SimState, product: Product, lot: Lot, count: int) -> list[Unit]:
    start = state.unit_counter[product.index]
    state.unit_counter[product.index] = start + count
    lot.units += count
    state.units_made += count
    return [Unit(product.unit_epc(n), product, lot) for n in range(start, start + count)]


def _make(
    state: SimState,
    week: int,
    product: Product,
    *,
    n_cases: int,
    clock: list[datetime],
    fault: str | None,
    record: dict[str, Any] | None,
) -> tuple[list[Event], list[Case], int]:
    """Commission ``n_cases`` of ``product`` and pack them; returns events, cases, units made."""
    maker = state.world.sites[product.maker_site]
    lot = _lot(state, product, week, maker)
    units = _new_units(state, product, lot, n_cases * product.case_size)
    held_back = _new_units(state, product, lot, 1) if fault == "mismatch" else []
    events: list[Event] = []

    def tick(seconds: int) -> datetime:
        clock[0] += timedelta(seconds=seconds)
        return clock[0]

    epcs = [u.epc for u in units] + [u.epc for u in held_back]
    for start in range(0, len(epcs), _PER_COMMISSION):
        chunk = epcs[start : start + _PER_COMMISSION]
        events.append(commission(tick(90), maker, chunk, lot.number, lot.expiry))
    case_start = state.case_counter[product.index]
    state.case_counter[product.index] = case_start + n_cases
    state.cases_made += n_cases
    size = product.case_size
    cases = [
        Case(product.case_epc(case_start + i), product, lot, units[i * size : (i + 1) * size])
        for i in range(n_cases)
    ]
    for start in range(0, len(cases), _PER_COMMISSION):
        chunk = [c.epc for c in cases[start : start + _PER_COMMISSION]]
        events.append(commission(tick(60), maker, chunk, lot.number, lot.expiry))
    for index, case in enumerate(cases):
        declared = [u.epc for u in case.units]
        if held_back and index == 0 and record is not None:
            # The packing event names a unit that stayed behind instead of one that is inside.
            actual = list(declared)
            declared = [*declared[:-1], held_back[0].epc]
            record.update(
                parent=case.epc,
                declared_children=declared,
                actual_children=actual,
                missing=[held_back[0].epc],
                unexpected=[actual[-1]],
            )
        events.append(aggregate(tick(45), maker, case.epc, declared))
    return events, cases, len(units)


def _palletise(
    state: SimState,
    start: datetime,
    maker: Site,
    cases: list[Case],
    *,
    events: list[Event],
    per_pallet: int,
) -> list[Pallet]:
    """Pack the shipment's cases onto (mixed) pallets, each with an SSCC of the maker."""
    owner = state.world.owner(maker)
    pallets = []
    for index, first in enumerate(range(0, len(cases), per_pallet)):
        pallet = Pallet(state.ssccs[owner.key].next(), cases[first : first + per_pallet])
        state.pallets_made += 1
        when = start + timedelta(minutes=5 * (index + 1))
        events.append(aggregate(when, maker, pallet.epc, [c.epc for c in pallet.cases]))
        pallets.append(pallet)
    return pallets


def _fault(state: SimState, week: int) -> str | None:
    for kind, name in (
        ("missing_document", "missing"),
        ("data_without_product", "lost"),
        ("aggregation_mismatch", "mismatch"),
    ):
        if state.book.due(kind, week):  # type: ignore[arg-type]
            return name
    return None


def _shipment(
    state: SimState,
    week: int,
    *,
    seq: int,
    ship_from: Site,
    dc: Site,
    items: Sequence[tuple[Product, int]],
) -> None:
    world = state.world
    seller = world.by_key[items[0][0].manufacturer]
    buyer = world.owner(dc)
    document = f"week-{week:02d}/1-mfg-{seller.key}-{ship_from.key}-to-{dc.key}.xml"
    fault = _fault(state, week)
    record: dict[str, Any] | None = None
    if fault == "mismatch":
        record = state.book.record("aggregation_mismatch", week, document=document)
    clock = [local(world.sites[items[0][0].maker_site], week, 0, 6, seq % 60)]
    events: list[Event] = []
    cases: list[Case] = []
    packs = 0
    for index, (product, n_cases) in enumerate(items):
        made, made_cases, units = _make(
            state,
            week,
            product,
            n_cases=n_cases,
            clock=clock,
            fault=fault if index == 0 else None,
            record=record,
        )
        events.extend(made)
        cases.extend(made_cases)
        packs += units
        if fault != "missing":
            lot = state.lots[(product.index, week)]
            if document not in lot.documents:
                lot.documents.append(document)
    pallets = _palletise(
        state,
        clock[0],
        world.sites[items[0][0].maker_site],
        cases,
        events=events,
        per_pallet=min(product.cases_per_pallet for product, _ in items),
    )
    order = state.next_order()
    po = f"urn:epcglobal:cbv:bt:{buyer.hq.gln}:PO-{order}"
    desadv = f"urn:epcglobal:cbv:bt:{seller.hq.gln}:ASN-{order}"
    shipped = local(ship_from, week, 1, 15, seq % 60)
    possessor = world.owner(ship_from)
    transfer = Transfer(
        seller, ship_from, buyer, dc, possessor=possessor if possessor.role == "3pl" else None
    )
    pallet_ids = [p.epc for p in pallets]
    events.append(
        observe(
            shipped,
            ship_from,
            pallet_ids,
            "shipping",
            "in_transit",
            business_location=False,
            transfer=transfer,
            biz_transactions=transactions(("po", po), ("desadv", desadv)),
        )
    )
    facts = {"po": po, "desadv": desadv, "pallets": pallet_ids, "packs": packs}
    if fault == "missing":
        state.book.record(
            "missing_document",
            week,
            sender=seller.owning_id,
            receiver=buyer.owning_id,
            ship_from=ship_from.sgln,
            ship_to=dc.sgln,
            shipped=shipped.isoformat().replace("+00:00", "Z"),
            expected_document=document,
            cases=[c.epc for c in cases],
            units=[u.epc for c in cases for u in c.units],
            **facts,
        )
    else:
        sites = [seller.hq, *(world.sites[p.maker_site] for p, _ in items), ship_from, buyer.hq, dc]
        doc = dscsa_xml_document(
            sender=seller,
            receiver=buyer,
            instance_id=f"{week:02d}{order:08d}",
            created=shipped + timedelta(minutes=10),
            vocabularies=master_data(world, [p for p, _ in items], sites),
            events=events,
        )
        state.sink.write(document, doc, "xml12")
    if fault == "lost":
        state.book.record("data_without_product", week, document=document, **facts)
        return
    state.inbound[dc.key].append(
        Inbound(
            seller,
            ship_from,
            pallets,
            po,
            desadv,
            None if fault == "missing" else document,
            shipped,
        )
    )


def run_manufacturing(state: SimState, week: int, plan: dict[tuple[int, str], int]) -> None:
    """Make and ship this week's plan: one shipment per manufacturer, ship-from site and DC."""
    world = state.world
    groups: dict[tuple[str, str, str], list[tuple[Product, int]]] = {}
    for product in world.products:
        for dc in world.dcs:
            cases = plan.get((product.index, dc.key), 0)
            if cases:
                key = (product.manufacturer, product.ship_site, dc.key)
                groups.setdefault(key, []).append((product, cases))
    for seq, ((_maker, ship_key, dc_key), items) in enumerate(groups.items()):
        _shipment(
            state,
            week,
            seq=seq,
            ship_from=world.sites[ship_key],
            dc=world.sites[dc_key],
            items=items,
        )
    if state.book.due("recall", week):
        _recall(state, week)


def _recall(state: SimState, week: int) -> None:
    """Recall one of this week's lots that reached a wholesaler with its documents."""
    lots = [lot for (_, made), lot in state.lots.items() if made == week and lot.documents]
    if not lots:
        return
    lot = lots[state.rng.randrange(len(lots))]
    product = lot.product
    state.book.record(
        "recall",
        week,
        gtin=product.unit_gtin.value,
        ndc=str(product.ndc),
        product=product.name,
        lot=lot.number,
        expiry=lot.expiry.isoformat(),
        manufacturer=state.world.by_key[product.manufacturer].owning_id,
        reason="labeling error: wrong strength printed on the carton",
        packs=lot.units,
        documents=list(lot.documents),
    )
