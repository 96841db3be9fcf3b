"""Chain of custody through nested containers, and current children of a container."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from medtrace.store import schema
from medtrace.store.codec import canonical_epc
from tests.store.test_query_sql import document, ev, uid

Repo = Any
ITEM_1 = "urn:epc:id:sgtin:0614141.107346.1001"
ITEM_2 = "urn:epc:id:sgtin:0614141.107346.1002"
CASE = "urn:epc:id:sscc:0614141.1111111111"
CASE_2 = "urn:epc:id:sscc:0614141.1111111112"
PALLET = "urn:epc:id:sscc:0614141.2222222222"
PLANT = "urn:epc:id:sgln:0614141.00777.0"
DC = "urn:epc:id:sgln:0614142.00001.0"
PHARMACY = "urn:epc:id:sgln:0614143.00001.0"
SELLER = "urn:epc:id:pgln:0614141.00777"
BUYER = "urn:epc:id:pgln:0614142.00001"
PO = "urn:epcglobal:cbv:bt:0614141073467:PO-7"


def agg(n: int, hour: int, action: str, parent: str, children: list[str], **more: Any) -> Any:
    """An AggregationEvent."""
    return ev(
        n, "AggregationEvent", hour, action=action, parentID=parent, childEPCs=children, **more
    )


def obs(n: int, hour: int, epcs: list[str], **more: Any) -> Any:
    """An ObjectEvent OBSERVE."""
    return ev(n, "ObjectEvent", hour, action="OBSERVE", epcList=epcs, **more)


SUPPLY_CHAIN = [
    ev(
        1,
        "ObjectEvent",
        1,
        action="ADD",
        epcList=[ITEM_1, ITEM_2],
        bizStep="commissioning",
        disposition="active",
        bizLocation={"id": PLANT},
    ),
    agg(2, 2, "ADD", CASE, [ITEM_1, ITEM_2], bizStep="packing", bizLocation={"id": PLANT}),
    agg(3, 3, "ADD", PALLET, [CASE], bizStep="packing", bizLocation={"id": PLANT}),
    agg(11, 4, "ADD", PALLET, [CASE_2], bizStep="packing", bizLocation={"id": PLANT}),
    obs(
        4,
        5,
        [PALLET],
        bizStep="shipping",
        disposition="in_transit",
        readPoint={"id": PLANT},
        bizTransactionList=[{"type": "po", "bizTransaction": PO}],
        sourceList=[{"type": "owning_party", "source": SELLER}],
        destinationList=[{"type": "owning_party", "destination": BUYER}],
    ),
    obs(
        5,
        6,
        [PALLET],
        bizStep="receiving",
        disposition="in_progress",
        bizLocation={"id": DC},
        sourceList=[{"type": "owning_party", "source": SELLER}],
        destinationList=[{"type": "owning_party", "destination": BUYER}],
    ),
    agg(6, 7, "DELETE", PALLET, [CASE], bizStep="unpacking", bizLocation={"id": DC}),
    agg(7, 8, "DELETE", CASE, [ITEM_1], bizStep="unpacking", bizLocation={"id": DC}),
    obs(8, 9, [PALLET], bizStep="shipping", disposition="in_transit"),
    obs(9, 10, [CASE], bizStep="storing", bizLocation={"id": DC}),
    obs(
        10,
        11,
        [ITEM_1],
        bizStep="dispensing",
        disposition="dispensed",
        bizLocation={"id": PHARMACY},
    ),
]


@pytest.fixture
def chain(repo: Repo) -> Repo:
    """The repository with the supply chain captured."""
    assert repo.capture(document(SUPPLY_CHAIN)).captured == len(SUPPLY_CHAIN)
    return repo


def steps(repo: Repo, epc: str) -> list[tuple[int, str | None]]:
    """(event number, via) of each step of ``epc``'s history."""
    return [(int(s.event_id[-12:]), s.via) for s in repo.history(epc)]


C, P = canonical_epc(CASE), canonical_epc(PALLET)


@pytest.mark.parametrize(
    ("epc", "expected"),
    [
        # the unpacked item: pallet shipping via the pallet, nothing of the pallet afterwards
        (ITEM_1, [(1, None), (2, None), (3, C), (4, P), (5, P), (6, C), (7, None), (10, None)]),
        # the item left in the case: case events after the unpacking of its sibling
        (ITEM_2, [(1, None), (2, None), (3, C), (4, P), (5, P), (6, C), (9, C)]),
        # the case itself: the pallet's events while it was on it
        (CASE, [(2, None), (3, None), (4, P), (5, P), (6, None), (7, None), (9, None)]),
        # Digital Link input form of the first item
        (
            "https://id.gs1.org/01/10614141073464/21/1001",
            [(1, None), (2, None), (3, C), (4, P), (5, P), (6, C), (7, None), (10, None)],
        ),
        # an unknown EPC has no history
        ("urn:epc:id:sgtin:0614141.107346.404", []),
    ],
)
def test_history_follows_containers(chain: Repo, epc: str, expected: list[Any]) -> None:
    assert steps(chain, epc) == expected


def test_custodian_location_and_transactions(chain: Repo) -> None:
    # seller owns until receipt; location from bizLocation, unknown while in transit
    history = {int(s.event_id[-12:]): s for s in chain.history(ITEM_1)}
    shipped, received, dispensed = history[4], history[5], history[10]
    assert (shipped.custodian, shipped.location) == (canonical_epc(SELLER), None)
    assert [(t.type, t.value) for t in shipped.biz_transactions] == [
        ("urn:epcglobal:cbv:btt:po", PO)
    ]
    assert shipped.read_point == canonical_epc(PLANT)
    assert (received.custodian, received.location) == (canonical_epc(BUYER), canonical_epc(DC))
    assert dispensed.location == canonical_epc(PHARMACY)
    assert history[1].custodian is None
    assert [s.event_time.hour for s in chain.history(ITEM_1)] == [1, 2, 3, 5, 6, 7, 8, 11]


def test_emptying_delete_ends_containment(repo: Repo) -> None:
    # a DELETE without children empties the case: its later shipping is not the item's
    events = [
        agg(1, 1, "ADD", CASE, [ITEM_1]),
        obs(2, 2, [CASE], bizStep="shipping"),
        agg(3, 3, "DELETE", CASE, []),
        obs(4, 4, [CASE], bizStep="shipping"),
    ]
    assert repo.capture(document(events)).captured == len(events)
    assert steps(repo, ITEM_1) == [(1, None), (2, C), (3, C)]


@pytest.mark.parametrize(
    ("container", "drop_projection", "expected"),
    [
        # the case still holds the second item (projection)
        (CASE, False, [ITEM_2]),
        # the pallet holds the other case (projection)
        (PALLET, False, [CASE_2]),
        # the case, replayed from the aggregation log
        (CASE, True, [ITEM_2]),
        # the pallet, replayed from the aggregation log
        (PALLET, True, [CASE_2]),
        # an item has no children
        (ITEM_2, True, []),
    ],
)
def test_children(chain: Repo, container: str, drop_projection: bool, expected: list[str]) -> None:
    if drop_projection:
        with chain.engine.begin() as conn:
            conn.execute(sa.delete(schema.item_state))
    assert chain.children(container) == [canonical_epc(e) for e in expected]


def test_event_ids_are_the_stored_ones(chain: Repo) -> None:
    # steps carry the captured eventIDs
    assert chain.history(ITEM_1)[0].event_id == uid(1)
