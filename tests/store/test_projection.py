"""The item-state projection on both backends, through capture (``repo`` fixture)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrace.epcis.model import (
    AggregationEvent,
    EPCISDocument,
    ErrorDeclaration,
    Event,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    SourceDest,
    TransformationEvent,
    Vocabulary,
    VocabularyAttribute,
    VocabularyElement,
)
from medtrace.store import projection, schema
from medtrace.store.codec import canonical_epc
from medtrace.store.engine import write_transaction
from medtrace.store.lifecycle import ItemStatus
from medtrace.store.repository import Repository

S = ItemStatus
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
STEP = "urn:epcglobal:cbv:bizstep:"
DISP = "urn:epcglobal:cbv:disp:"
OWNER = "urn:epcglobal:cbv:sdt:owning_party"
MDA = "urn:epcglobal:cbv:mda"

#: Short names of the identifiers used in the scenarios.
IDS = {
    "i1": "urn:epc:id:sgtin:0614141.107346.1001",
    "i2": "urn:epc:id:sgtin:0614141.107346.1002",
    "i3": "urn:epc:id:sgtin:0614141.107346.1003",
    "i9": "urn:epc:id:sgtin:0614141.107346.9009",
    "c1": "urn:epc:id:sscc:0614141.1000000001",
    "c2": "urn:epc:id:sscc:0614141.1000000002",
    "p": "urn:epc:id:sscc:0614141.2000000001",
    "MFG": "urn:epc:id:sgln:0614141.00000.0",
    "MFG_DC": "urn:epc:id:sgln:0614141.00001.0",
    "WHS": "urn:epc:id:sgln:0399999.99999.0",
    "WHS_DC": "urn:epc:id:sgln:0399999.34567.0",
}
KEY = {name: canonical_epc(uri) for name, uri in IDS.items()}
NAME = {key: name for name, key in KEY.items()}


def obj(
    minute: int,
    names: Sequence[str],
    step: str | None = None,
    disp: str | None = None,
    *,
    action: str = "OBSERVE",
    **extra: Any,
) -> ObjectEvent:
    """An ObjectEvent ``minute`` minutes after T0; ``loc``/``src``/``dst`` are short names."""
    loc, src, dst = extra.pop("loc", None), extra.pop("src", None), extra.pop("dst", None)
    return ObjectEvent(
        event_time=T0 + timedelta(minutes=minute),
        event_time_zone_offset="+00:00",
        action=action,  # type: ignore[arg-type]
        epc_list=tuple(IDS[name] for name in names),
        biz_step=None if step is None else STEP + step,
        disposition=None if disp is None else DISP + disp,
        biz_location=Location(id=IDS[loc]) if loc else None,
        sources=(SourceDest(type=OWNER, value=IDS[src]),) if src else (),
        destinations=(SourceDest(type=OWNER, value=IDS[dst]),) if dst else (),
        **extra,
    )


def agg(
    minute: int, parent: str, children: Sequence[str], action: str = "ADD", **extra: Any
) -> AggregationEvent:
    """A packing (ADD) / unpacking (DELETE) AggregationEvent at the manufacturer's DC."""
    step = "packing" if action == "ADD" else "unpacking"
    return AggregationEvent(
        event_time=T0 + timedelta(minutes=minute),
        event_time_zone_offset="+00:00",
        action=action,  # type: ignore[arg-type]
        parent_id=IDS[parent],
        child_epcs=tuple(IDS[name] for name in children),
        biz_step=STEP + step,
        disposition=DISP + "in_progress" if action == "ADD" else None,
        biz_location=Location(id=IDS[extra.pop("loc", "MFG_DC")]),
        **extra,
    )


def ilmd(lot: str, expiry: str | None = None) -> tuple[Extension, ...]:
    fields = [Extension(namespace=MDA, name="lotNumber", value=lot)]
    if expiry:
        fields.append(Extension(namespace=MDA, name="itemExpirationDate", value=expiry))
    return tuple(fields)


COMMISSION = obj(
    1, ["i1", "i2", "i3"], "commissioning", "active",
    action="ADD", loc="MFG_DC", src="MFG", ilmd=ilmd("L1", "2026-03-31"),
)  # fmt: skip
#: The DSCSA supply-chain scenario: commission, pack, ship, receive, unpack, dispense.
SCENARIO: tuple[Event, ...] = (
    COMMISSION,
    agg(2, "c1", ["i1", "i2"]),
    agg(3, "c2", ["i3"]),
    agg(4, "p", ["c1", "c2"]),
    obj(5, ["p"], "shipping", "in_transit", src="MFG", dst="WHS"),
    obj(6, ["p"], "receiving", "in_progress", loc="WHS_DC", dst="WHS"),
    agg(7, "p", [], "DELETE", loc="WHS_DC"),
    agg(8, "c1", ["i1"], "DELETE", loc="WHS_DC"),
    obj(9, ["i1"], "dispensing", "dispensed", loc="WHS_DC"),
)

Row = tuple[str, str | None, str | None, str | None]
MADE: dict[str, Row] = dict.fromkeys(("i1", "i2", "i3"), (S.COMMISSIONED, "MFG", "MFG_DC", None))
PACKED: dict[str, Row] = {
    **MADE,
    "i1": (S.COMMISSIONED, "MFG", "MFG_DC", "c1"),
    "i2": (S.COMMISSIONED, "MFG", "MFG_DC", "c1"),
    "i3": (S.COMMISSIONED, "MFG", "MFG_DC", "c2"),
    "c1": (S.ACTIVE, None, "MFG_DC", "p"),
    "c2": (S.ACTIVE, None, "MFG_DC", "p"),
    "p": (S.ACTIVE, None, "MFG_DC", None),
}
SHIPPED = {n: (S.IN_TRANSIT, "MFG", None, row[3]) for n, row in PACKED.items()}
RECEIVED = {n: (S.RECEIVED, "WHS", "WHS_DC", row[3]) for n, row in PACKED.items()}
UNPACKED = {**RECEIVED, "c1": (*RECEIVED["c1"][:3], None), "c2": (*RECEIVED["c2"][:3], None)}
LOOSE = {**UNPACKED, "i1": (*UNPACKED["i1"][:3], None)}


def state_of(repo: Repository, names: Sequence[str]) -> dict[str, Row | None]:
    """``name → (status, custodian, location, parent)`` in short names."""
    parents = _uris(repo)
    found: dict[str, Row | None] = {}
    for name in names:
        item = repo.item(IDS[name])
        found[name] = (
            None
            if item is None
            else (
                item.status,
                NAME.get(item.custodian or "", item.custodian),
                NAME.get(item.location or "", item.location),
                None if item.parent_id is None else NAME[parents[item.parent_id]],
            )
        )
    return found


def _uris(repo: Repository) -> dict[int, str]:
    with repo.engine.connect() as conn:
        return dict(conn.execute(sa.select(schema.epc.c.id, schema.epc.c.uri)).all())


def capture(repo: Repository, *events: Event) -> None:
    document = EPCISDocument(schema_version="2.0", creation_date=T0, events=events)
    result = repo.capture(document)
    assert result.ok, result.rejected


def table_dump(repo: Repository) -> list[tuple[Any, ...]]:
    """The raw ``item_state`` rows, ordered."""
    with repo.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.item_state).order_by(schema.item_state.c.epc_id))
        return [tuple(row) for row in rows]


def semantic_dump(repo: Repository) -> dict[str, tuple[Any, ...]]:
    """``item_state`` keyed by URI, with ids and seqs replaced by URIs and event times."""
    uris = _uris(repo)
    with repo.engine.connect() as conn:
        times = dict(conn.execute(sa.select(schema.event.c.seq, schema.event.c.event_time)).all())
        rows = conn.execute(sa.select(schema.item_state)).all()
    dump: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        values = row._mapping
        dump[values["uri"]] = (
            values["kind"], values["gtin"], values["serial"], values["lot"], values["expiry"],
            values["status"], values["disposition"], values["custodian"], values["location"],
            None if values["parent_id"] is None else uris[values["parent_id"]],
            times[values["last_event_seq"]], values["last_event_time"],
            values["commissioned_seq"] is not None,
        )  # fmt: skip
    return dump


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # commissioned at the manufacturer's DC, owned by the manufacturer
        (1, MADE),
        # cases packed: the items are in them
        (3, {**MADE, "i1": PACKED["i1"], "i2": PACKED["i2"], "i3": PACKED["i3"]}),
        # pallet packed: the cases are in it
        (4, PACKED),
        # pallet shipped: everything inside is in transit, still the seller's
        (5, SHIPPED),
        # pallet received: everything inside is the wholesaler's, at its DC
        (6, RECEIVED),
        # pallet unpacked (DELETE without children): the cases are loose, items still in them
        (7, UNPACKED),
        # one item taken out of its case (DELETE with children): only it is loose
        (8, LOOSE),
        # dispensed
        (9, {**LOOSE, "i1": (S.DISPENSED, "WHS", "WHS_DC", None)}),
    ],
)
def test_supply_chain(repo: Repository, steps: int, expected: dict[str, Row]) -> None:
    for event in SCENARIO[:steps]:
        capture(repo, event)
    assert state_of(repo, list(expected)) == expected


def test_item_columns(repo: Repository) -> None:
    # identity, ILMD, disposition and event bookkeeping of one dispensed item
    capture(repo, *SCENARIO)
    item = repo.item(IDS["i1"])
    assert item is not None
    assert (item.kind, item.gtin, item.serial, item.lot, item.expiry) == (
        "sgtin", "10614141073464", "1001", "L1", "2026-03-31",
    )  # fmt: skip
    assert (item.disposition, item.commissioned_seq is not None) == (DISP + "dispensed", True)
    assert item.last_event_time == int((SCENARIO[-1].event_time - T0).total_seconds() * 1e6) + (
        int(T0.timestamp()) * 1_000_000
    )
    assert repo.item(IDS["i9"]) is None


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # ObjectEvent DELETE decommissions an item (EPCIS 2.0 §7.4.2)
        ((obj(5, ["i1"], "decommissioning", action="DELETE"),), {"i1": S.DECOMMISSIONED}),
        # decommissioning with disposition inactive
        ((obj(5, ["i2"], "decommissioning", "inactive"),), {"i2": S.DECOMMISSIONED}),
        # ObjectEvent DELETE of a case: the case ends, its items are released, not ended
        ((obj(5, ["c1"], action="DELETE"),), {"c1": S.DECOMMISSIONED, "i1": S.COMMISSIONED}),
        # destroying a case destroys what is inside
        ((obj(5, ["c1"], "destroying", "destroyed"),), {"c1": S.DESTROYED, "i2": S.DESTROYED}),
        # OBSERVE aggregation changes no containment
        ((agg(5, "c2", ["i1"], "OBSERVE"),), {"i1": S.COMMISSIONED}),
    ],
)
def test_end_of_life(repo: Repository, events: tuple[Event, ...], expected: dict[str, S]) -> None:
    capture(repo, COMMISSION, agg(2, "c1", ["i1", "i2"]))
    capture(repo, *events)
    assert {name: repo.item(IDS[name]).status for name in expected} == expected  # type: ignore[union-attr]
    parents = {name: row[3] for name, row in state_of(repo, ["i1", "i2"]).items() if row}
    released = any(
        isinstance(e, ObjectEvent) and e.action == "DELETE" and IDS["c1"] in e.epc_list
        for e in events
    )
    assert parents == ({"i1": None, "i2": None} if released else {"i1": "c1", "i2": "c1"})


RECALL = PersistentDisposition(set=(DISP + "recalled",))
UNRECALL = PersistentDisposition(unset=(DISP + "recalled",))


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # persistent recall on the case reaches the items inside
        ((obj(5, ["c1"], "holding", persistent_disposition=RECALL),), S.RECALLED),
        # shipped back to the manufacturer: still recalled
        (
            (
                obj(5, ["c1"], "holding", persistent_disposition=RECALL),
                obj(6, ["c1"], "shipping", "in_transit", src="WHS", dst="MFG"),
            ),
            S.RECALLED,
        ),
        # received and the recall unset: back in stock
        (
            (
                obj(5, ["c1"], "holding", persistent_disposition=RECALL),
                obj(6, ["c1"], "shipping", "in_transit"),
                obj(7, ["c1"], "receiving", "sellable_accessible", persistent_disposition=UNRECALL),
            ),
            S.RECEIVED,
        ),
        # recalled product destroyed
        (
            (
                obj(5, ["c1"], "holding", persistent_disposition=RECALL),
                obj(7, ["c1"], "destroying", "destroyed"),
            ),
            S.DESTROYED,
        ),
        # a plain recalled disposition does not persist past the next event
        ((obj(5, ["c1"], "holding", "recalled"), obj(6, ["c1"], "shipping")), S.IN_TRANSIT),
    ],
)
def test_recall(repo: Repository, events: tuple[Event, ...], expected: S) -> None:
    capture(repo, COMMISSION, agg(2, "c1", ["i1", "i2"]))
    for event in events:
        capture(repo, event)
    statuses = {name: repo.item(IDS[name]).status for name in ("c1", "i1", "i2")}  # type: ignore[union-attr]
    assert statuses == {"c1": expected, "i1": expected, "i2": expected}
    before = table_dump(repo)
    repo.rebuild_state()
    assert table_dump(repo) == before


def _declare(repo: Repository, event: Event) -> None:
    """Capture an errorDeclaration of ``event`` and let the projection replay its items."""
    error = ErrorDeclaration(declaration_time=T0 + timedelta(days=1))
    capture(repo, msgspec_replace(event, error_declaration=error))
    with write_transaction(repo.engine) as conn:
        seqs = conn.execute(
            sa.select(schema.event.c.seq).where(schema.event.c.error_declared.is_(True))
        ).scalars()
        projection.apply(conn, [], declared=list(seqs))


def msgspec_replace(event: Event, **changes: Any) -> Event:
    import msgspec

    return msgspec.structs.replace(event, **changes)


def test_error_declaration(repo: Repository) -> None:
    # declaring the shipment erroneous puts the pallet contents back as before it
    capture(repo, *SCENARIO[:5])
    assert state_of(repo, ["i1"]) == {"i1": SHIPPED["i1"]}
    _declare(repo, SCENARIO[4])
    assert state_of(repo, ["i1", "p"]) == {"i1": PACKED["i1"], "p": PACKED["p"]}
    before = table_dump(repo)
    assert repo.rebuild_state() == 6
    assert table_dump(repo) == before


def test_error_declaration_of_commissioning(repo: Repository) -> None:
    # an item whose only event is declared erroneous has no state any more
    capture(repo, COMMISSION)
    _declare(repo, COMMISSION)
    assert repo.item(IDS["i1"]) is None
    assert repo.rebuild_state() == 0


def test_transformation(repo: Repository) -> None:
    # inputs consumed; output commissioned where and by whom the inputs were, with its ILMD
    capture(repo, COMMISSION)
    capture(
        repo,
        TransformationEvent(
            event_time=T0 + timedelta(minutes=5),
            event_time_zone_offset="+00:00",
            input_epcs=(IDS["i1"], IDS["i2"]),
            output_epcs=(IDS["i9"],),
            biz_step=STEP + "repackaging",
            ilmd=ilmd("R1", "2027-01-31"),
        ),
    )
    assert state_of(repo, ["i1", "i2", "i9"]) == {
        "i1": (S.CONSUMED, "MFG", "MFG_DC", None),
        "i2": (S.CONSUMED, "MFG", "MFG_DC", None),
        "i9": (S.COMMISSIONED, "MFG", "MFG_DC", None),
    }
    item = repo.item(IDS["i9"])
    assert item is not None
    assert (item.lot, item.expiry) == ("R1", "2027-01-31")


def test_expiry_from_lgtin_master_data(repo: Repository) -> None:
    # commissioning gives only the lot; the LGTIN class master data gives the expiry
    element = VocabularyElement(
        id="urn:epc:class:lgtin:0614141.107346.L7",
        attributes=(VocabularyAttribute(id=MDA + "#itemExpirationDate", value="2027-05-31"),),
    )
    repo.master_data_put(
        Vocabulary(type="urn:epcglobal:epcisq:vtype:EPCClass", elements=(element,))
    )
    capture(repo, obj(1, ["i1"], "commissioning", action="ADD", ilmd=ilmd("L7")))
    item = repo.item(IDS["i1"])
    assert item is not None
    assert (item.lot, item.expiry) == ("L7", "2027-05-31")


def test_late_events_follow_event_time(repo: Repository) -> None:
    # captured backwards, the state is the one of eventTime order, and rebuild agrees
    for event in reversed(SCENARIO):
        capture(repo, event)
    assert state_of(repo, list(LOOSE)) == {
        **LOOSE, "i1": (S.DISPENSED, "WHS", "WHS_DC", None)
    }  # fmt: skip
    before = table_dump(repo)
    repo.rebuild_state()
    assert table_dump(repo) == before


def _wipe(repo: Repository) -> None:
    with write_transaction(repo.engine) as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(sa.delete(table))


#: The scenario plus a recall, so that persistent dispositions meet arrival order too.
RECALL_SCENARIO: tuple[Event, ...] = (
    *SCENARIO[:6],
    obj(7, ["c2"], "holding", persistent_disposition=RECALL),
    *SCENARIO[6:],
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(order=st.permutations(range(len(RECALL_SCENARIO))), together=st.booleans())
def test_capture_order_does_not_matter(repo: Repository, order: list[int], together: bool) -> None:
    # any arrival order (one event per capture, or all in one) gives the eventTime-order state
    _wipe(repo)
    for event in RECALL_SCENARIO:
        capture(repo, event)
    expected = semantic_dump(repo)
    _wipe(repo)
    permuted = [RECALL_SCENARIO[i] for i in order]
    if together:
        capture(repo, *permuted)
    else:
        for event in permuted:
            capture(repo, event)
    assert semantic_dump(repo) == expected
    assert repo.item(IDS["i3"]).status is S.RECALLED  # type: ignore[union-attr]
    before = table_dump(repo)
    repo.rebuild_state()
    assert table_dump(repo) == before
