"""The week of a wholesale distribution centre (DC).

In order of the simulated week:

1. **saleable returns** sent by dispensers last week are received (``receiving``,
   ``returned``, with an ``rma`` transaction), verified and inspected: most go back to stock
   (``inspecting``, ``sellable_accessible``), the rest are destroyed (``destroying``,
   ``destroyed``) — the DSCSA saleable-return verification (FD&C Act §582(c)(4)(D));
2. **orders** of the DC's dispensers, which vary by product, season, region and customer
   (:mod:`medtrace.sim.demand`), are picked from the stock present at the start of the week
   (``unpacking`` of a case when loose units run out, ``picking``), packed into totes (SSCC,
   ``packing``) and shipped (``shipping``, ``in_transit``, ``po``/``desadv``,
   ``owning_party``/``location`` source and destination); each shipment is one EPCIS 2.0
   JSON-LD document with master data and the DSCSA transaction statement;
3. **manufacturer shipments** that arrive are received (``receiving``, ``in_progress``) and their
   pallets unpacked into sealed cases;
4. the **cold room** reports its temperature every day (:mod:`medtrace.sim.coldchain`).

Internal events go into the DC's weekly JSON-LD document.
"""

from __future__ import annotations

from datetime import timedelta

from medtrace.epcis.model import Event
from medtrace.sim.coldchain import daily_readings
from medtrace.sim.demand import affinity, largest_remainder
from medtrace.sim.emit import dscsa_jsonld_document, master_data
from medtrace.sim.events import Transfer, aggregate, observe, transactions
from medtrace.sim.state import Delivery, SimState, local
from medtrace.sim.stock import Case, Unit
from medtrace.sim.world import Party, Product, Site

__all__ = ["run_distribution"]

_SHIP_SHARE = 0.85  # share of a product's stock shipped to dispensers each week
_TOTE_SIZE = 40
_SALEABLE_SHARE = 0.85  # returns that pass verification and inspection


def dc_document(week: int, dc: Site) -> str:
    """The path of a DC's weekly document."""
    return f"week-{week:02d}/2-dc-{dc.key}.jsonld"


def _receive_returns(
    state: SimState, week: int, dc: Site, owner: Party, events: list[Event]
) -> None:
    returns = state.returns[dc.key]
    state.returns[dc.key] = []
    by_rma: dict[str, list[int]] = {}
    for index, item in enumerate(returns):
        by_rma.setdefault(item.rma, []).append(index)
    for seq, (rma, indexes) in enumerate(by_rma.items()):
        items = [returns[i] for i in indexes]
        dispenser = items[0].dispenser
        epcs = [item.unit.epc for item in items]
        transfer = Transfer(dispenser, dispenser.sites[0], owner, dc)
        events.append(
            observe(
                local(dc, week, 1, 10, seq % 60),
                dc,
                epcs,
                "receiving",
                "returned",
                transfer=transfer,
                biz_transactions=transactions(("rma", rma)),
            )
        )
        keep = [item.unit for item in items if state.rng.random() < _SALEABLE_SHARE]
        kept = {unit.epc for unit in keep}
        scrap = [epc for epc in epcs if epc not in kept]
        if keep:
            events.append(
                observe(
                    local(dc, week, 2, 9, seq % 60),
                    dc,
                    [u.epc for u in keep],
                    "inspecting",
                    "sellable_accessible",
                )
            )
            for unit in keep:
                state.bin(dc.key, unit.product.index).loose.append(unit)
        if scrap:
            events.append(
                observe(local(dc, week, 2, 11, seq % 60), dc, scrap, "destroying", "destroyed")
            )


def _orders(
    state: SimState, dc: Site, customers: list[Party]
) -> dict[str, list[tuple[Product, int]]]:
    """What each customer of the DC gets this week, product by product."""
    orders: dict[str, list[tuple[Product, int]]] = {d.key: [] for d in customers}
    rng = state.rng
    for product in state.world.products:
        stock = state.bin(dc.key, product.index).units
        if not stock or not customers:
            continue
        weights = [affinity(d, product) * d.size * rng.lognormvariate(0.0, 0.3) for d in customers]
        shares = largest_remainder(weights, int(stock * _SHIP_SHARE) or stock)
        for dispenser, quantity in zip(customers, shares, strict=True):
            if quantity:
                orders[dispenser.key].append((product, quantity))
    return orders


def _pick(
    state: SimState,
    week: int,
    day: int,
    *,
    dc: Site,
    dispenser: Party,
    lines: list[tuple[Product, int]],
    events: list[Event],
    minute: int,
) -> list[Unit | Case]:
    picked: list[Unit | Case] = []
    for product, quantity in lines:
        stock = state.bin(dc.key, product.index)
        wanted = quantity
        if dispenser.role == "hospital":
            while wanted >= product.case_size and stock.cases:
                case = stock.cases.popleft()
                picked.append(case)
                wanted -= len(case.units)
        while wanted > 0:
            if not stock.loose:
                if not stock.cases:
                    break
                case = stock.cases.popleft()
                when = local(dc, week, day, 7, minute % 60)
                events.append(
                    aggregate(when, dc, case.epc, [u.epc for u in case.units], action="DELETE")
                )
                stock.loose.extend(case.units)
            picked.append(stock.loose.popleft())
            wanted -= 1
    if picked:
        when = local(dc, week, day, 8 + minute // 60 % 8, minute % 60)
        events.append(observe(when, dc, [item.epc for item in picked], "picking", "in_progress"))
    return picked


def _ship(
    state: SimState,
    week: int,
    day: int,
    *,
    dc: Site,
    owner: Party,
    dispenser: Party,
    picked: list[Unit | Case],
    minute: int,
) -> None:
    world = state.world
    ship_to = dispenser.sites[0]
    document = f"week-{week:02d}/3-ship-{dc.key}-to-{dispenser.key}.jsonld"
    events: list[Event] = []
    totes: list[tuple[str, list[Unit | Case]]] = []
    for start in range(0, len(picked), _TOTE_SIZE):
        tote = state.ssccs[owner.key].next()
        items = picked[start : start + _TOTE_SIZE]
        when = local(dc, week, day, 13, minute % 60, second=start % 60)
        events.append(aggregate(when, dc, tote, [item.epc for item in items]))
        totes.append((tote, items))
    order = state.next_order()
    po = f"urn:epcglobal:cbv:bt:{dispenser.hq.gln}:PO-{order}"
    desadv = f"urn:epcglobal:cbv:bt:{owner.hq.gln}:ASN-{order}"
    shipped = local(dc, week, day, 17, minute % 60)
    events.append(
        observe(
            shipped,
            dc,
            [tote for tote, _ in totes],
            "shipping",
            "in_transit",
            business_location=False,
            transfer=Transfer(owner, dc, dispenser, ship_to),
            biz_transactions=transactions(("po", po), ("desadv", desadv)),
        )
    )
    products = list(dict.fromkeys(item.product for item in picked))
    doc = dscsa_jsonld_document(
        created=shipped + timedelta(minutes=10),
        vocabularies=master_data(world, products, [owner.hq, dc, dispenser.hq, ship_to]),
        events=events,
    )
    state.sink.write(document, doc, "jsonld")
    state.arriving[dispenser.key].append(Delivery(dc, totes, po, desadv, day + 1, document))


def _receive_inbound(
    state: SimState, week: int, dc: Site, owner: Party, events: list[Event]
) -> None:
    arrivals = state.inbound[dc.key]
    state.inbound[dc.key] = []
    for seq, shipment in enumerate(arrivals):
        when = local(dc, week, 3, 9, seq % 60)
        transfer = Transfer(shipment.seller, shipment.ship_from, owner, dc)
        pallet_ids = [p.epc for p in shipment.pallets]
        events.append(
            observe(
                when,
                dc,
                pallet_ids,
                "receiving",
                "in_progress",
                transfer=transfer,
                biz_transactions=transactions(("po", shipment.po), ("desadv", shipment.desadv)),
            )
        )
        for index, pallet in enumerate(shipment.pallets):
            unpacked = when + timedelta(minutes=20, seconds=index)
            events.append(
                aggregate(unpacked, dc, pallet.epc, [c.epc for c in pallet.cases], action="DELETE")
            )
            for case in pallet.cases:
                state.bin(dc.key, case.product.index).cases.append(case)


def _cold_room(
    state: SimState,
    week: int,
    dc: Site,
    *,
    owner: Party,
    days: range,
    events: list[Event],
    last_chance: bool = False,
) -> None:
    cold = [
        epc
        for product in state.world.products
        if product.cold_chain
        for epc in state.bin(dc.key, product.index).epcs()
    ]
    events.extend(
        daily_readings(
            state,
            week,
            day,
            party=owner,
            site=dc,
            place=dc.sub_location("COLD"),
            epcs=cold,
            document=dc_document(week, dc),
            last_chance=last_chance and day == days.stop - 1,
        )
        for day in days
    )


def _delivery_day(dispenser: Party) -> int:
    """The weekday (Monday to Thursday) a dispenser's order is picked and shipped."""
    return int(dispenser.key[1:]) % 4


def run_distribution(state: SimState, week: int) -> None:
    """One week of every DC (see the module docstring)."""
    world = state.world
    dispensers = world.of_role("pharmacy", "hospital")
    # Without hospital refrigerators, the last DC cold room is the excursion's last chance.
    fridges = bool(world.of_role("hospital"))
    for dc in world.dcs:
        owner = world.owner(dc)
        events = state.bucket(dc_document(week, dc))
        customers = [d for d in dispensers if d.supplier == dc.key]
        orders = _orders(state, dc, customers)
        # Each customer has its delivery day; picks happen in time order.
        by_day = sorted(customers, key=_delivery_day)
        for minute, dispenser in enumerate(by_day):
            lines = orders[dispenser.key]
            if not lines:
                continue
            day = _delivery_day(dispenser)
            picked = _pick(
                state,
                week,
                day,
                dc=dc,
                dispenser=dispenser,
                lines=lines,
                events=events,
                minute=minute,
            )
            if picked:
                _ship(
                    state,
                    week,
                    day,
                    dc=dc,
                    owner=owner,
                    dispenser=dispenser,
                    picked=picked,
                    minute=minute,
                )
        # Returns join the stock after this week's picks (they are inspected on day 2).
        _receive_returns(state, week, dc, owner, events)
        _cold_room(state, week, dc, owner=owner, days=range(3), events=events)
        _receive_inbound(state, week, dc, owner, events)
        last = not fridges and week == state.weeks - 1 and dc == world.dcs[-1]
        _cold_room(state, week, dc, owner=owner, days=range(3, 7), events=events, last_chance=last)
