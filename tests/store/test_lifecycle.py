"""The item lifecycle rules (pure): status, persistent dispositions, custodian, location, ILMD."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.epcis.model import (
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    SourceDest,
    TransformationEvent,
)
from medtrace.store import schema
from medtrace.store.lifecycle import (
    DISPOSITION_STATUS,
    STEP_STATUS,
    EventView,
    ItemSnapshot,
    ItemStatus,
    Role,
    new_item,
    next_state,
    parse_key,
    view_of,
)

S = ItemStatus
ITEM = "https://id.gs1.org/01/10614141073464/21/2017"
STEP = "urn:epcglobal:cbv:bizstep:"
DISP = "urn:epcglobal:cbv:disp:"
EPC, OUT, IN, CHILD, INNER = Role.EPC, Role.OUTPUT, Role.INPUT, Role.CHILD, Role.CONTAINED
AGG, TRF = "AggregationEvent", "TransformationEvent"


class _Vocab:
    """``B.shipping`` → the canonical CBV URN of a bizStep (``D.`` for dispositions)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __getattr__(self, name: str) -> str:
        return self.prefix + name


B, D = _Vocab(STEP), _Vocab(DISP)
MFG, WHS = "https://id.gs1.org/414/0614141000005", "https://id.gs1.org/414/0399999000009"
DC = "https://id.gs1.org/414/0399999345678"
MDA = "urn:epcglobal:cbv:mda"


def view(**fields: Any) -> EventView:
    base: dict[str, Any] = {"seq": 10, "event_time": 1_000, "event_type": "ObjectEvent"}
    base.update(fields)
    return EventView(**base)


def item(status: ItemStatus, **fields: Any) -> ItemSnapshot:
    return ItemSnapshot(uri=ITEM, kind="sgtin", status=status, **fields)


#: Short event kinds of the status table: (event_type, action).
KINDS = {
    "OBS": ("ObjectEvent", "OBSERVE"),
    "ADD": ("ObjectEvent", "ADD"),
    "DEL": ("ObjectEvent", "DELETE"),
    "AGG+": (AGG, "ADD"),
    "AGG-": (AGG, "DELETE"),
    "TRF": (TRF, None),
}


@pytest.mark.parametrize(
    ("prev", "kind", "cbv", "role", "expected"),
    [
        # commissioning with disposition active: commissioned
        (None, "ADD", ("commissioning", "active"), EPC, S.COMMISSIONED),
        # a bare ObjectEvent ADD commissions (EPCIS 2.0 §7.4.2)
        (None, "ADD", (None, None), EPC, S.COMMISSIONED),
        # shipping with in_transit
        (S.COMMISSIONED, "OBS", ("shipping", "in_transit"), EPC, S.IN_TRANSIT),
        # shipping without disposition still puts it in transit
        (S.RECEIVED, "OBS", ("shipping", None), EPC, S.IN_TRANSIT),
        # receiving with in_progress
        (S.IN_TRANSIT, "OBS", ("receiving", "in_progress"), EPC, S.RECEIVED),
        # receiving with sellable_accessible
        (S.IN_TRANSIT, "OBS", ("receiving", "sellable_accessible"), EPC, S.RECEIVED),
        # receiving a saleable return: the disposition decides
        (S.IN_TRANSIT, "OBS", ("receiving", "returned"), EPC, S.RETURNED),
        # DSCSA dispense
        (S.RECEIVED, "OBS", ("dispensing", "dispensed"), EPC, S.DISPENSED),
        # dispensing step alone
        (S.RECEIVED, "OBS", ("dispensing", None), EPC, S.DISPENSED),
        # partial dispense keeps a distinct status
        (S.RECEIVED, "OBS", ("dispensing", "partially_dispensed"), EPC, S.PARTIALLY_DISPENSED),
        # decommissioning with inactive
        (S.RECEIVED, "OBS", ("decommissioning", "inactive"), EPC, S.DECOMMISSIONED),
        # ObjectEvent DELETE decommissions whatever the step (EPCIS 2.0 §7.4.2)
        (S.RECEIVED, "DEL", ("other", None), EPC, S.DECOMMISSIONED),
        # AggregationEvent DELETE is unpacking, not decommissioning
        (S.RECEIVED, "AGG-", ("unpacking", None), CHILD, S.RECEIVED),
        # destroying
        (S.RECALLED, "OBS", ("destroying", "destroyed"), EPC, S.DESTROYED),
        # disposed
        (S.RECEIVED, "OBS", (None, "disposed"), EPC, S.DISPOSED),
        # stolen
        (S.IN_TRANSIT, "OBS", (None, "stolen"), EPC, S.STOLEN),
        # a plain recalled disposition
        (S.RECEIVED, "OBS", ("holding", "recalled"), EPC, S.RECALLED),
        # expired
        (S.RECEIVED, "OBS", (None, "expired"), EPC, S.EXPIRED),
        # damaged
        (S.RECEIVED, "OBS", ("inspecting", "damaged"), EPC, S.DAMAGED),
        # DSCSA quarantine: holding with non_sellable_other
        (S.RECEIVED, "OBS", ("holding", "non_sellable_other"), EPC, S.QUARANTINED),
        # non_sellable_other elsewhere
        (S.RECEIVED, "OBS", ("inspecting", "non_sellable_other"), EPC, S.NON_SELLABLE),
        # no_pedigree_match is suspect
        (S.RECEIVED, "OBS", (None, "no_pedigree_match"), EPC, S.SUSPECT),
        # retail sale
        (S.RECEIVED, "OBS", ("retail_selling", None), EPC, S.SOLD),
        # disposition unknown
        (S.RECEIVED, "OBS", (None, "unknown"), EPC, S.UNKNOWN),
        # a stock disposition keeps a stock status
        (S.RECEIVED, "OBS", ("storing", "sellable_accessible"), EPC, S.RECEIVED),
        # a stock disposition lifts a quarantine back to active stock
        (S.QUARANTINED, "OBS", ("inspecting", "sellable_accessible"), EPC, S.ACTIVE),
        # first seen with a stock disposition: active
        (None, "AGG+", ("packing", "in_progress"), Role.PARENT, S.ACTIVE),
        # void_shipping puts it back in stock
        (S.IN_TRANSIT, "OBS", ("void_shipping", "sellable_accessible"), EPC, S.ACTIVE),
        # packing without status information changes nothing
        (S.COMMISSIONED, "AGG+", ("packing", None), CHILD, S.COMMISSIONED),
        # a never-seen item without status information is unknown
        (None, "OBS", ("inspecting", None), EPC, S.UNKNOWN),
        # an unknown user step keeps the status
        (S.RECEIVED, "OBS", ("x_custom", None), EPC, S.RECEIVED),
        # transformation input is consumed
        (S.RECEIVED, "TRF", ("repackaging", None), IN, S.CONSUMED),
        # transformation output is commissioned
        (None, "TRF", ("repackaging", None), OUT, S.COMMISSIONED),
        # an item inside a shipped container is in transit (inference)
        (S.COMMISSIONED, "OBS", ("shipping", "in_transit"), INNER, S.IN_TRANSIT),
    ],
)
def test_status_rules(
    prev: ItemStatus | None,
    kind: str,
    cbv: tuple[str | None, str | None],
    role: Role,
    expected: ItemStatus,
) -> None:
    event_type, action = KINDS[kind]
    step, disp = cbv
    event = view(
        event_type=event_type,
        action=action,
        biz_step=None if step is None else STEP + step,
        disposition=None if disp is None else DISP + disp,
    )
    state = None if prev is None else item(prev)
    assert next_state(state, event, ITEM, role).status is expected


@pytest.mark.parametrize(
    ("persistent", "fields", "expected_status", "expected_flags"),
    [
        # set recalled: the item is recalled
        ((), {"persistent_set": (D.recalled,)}, S.RECALLED, (D.recalled,)),
        # a recalled item shipped back stays recalled
        (
            (D.recalled,),
            {"biz_step": B.shipping, "disposition": D.in_transit},
            S.RECALLED,
            (D.recalled,),
        ),
        # unset recalled: the event's own status shows again
        (
            (D.recalled,),
            {"biz_step": B.receiving, "persistent_unset": (D.recalled,)},
            S.RECEIVED,
            (),
        ),
        # recalled outranks expired; unsetting recalled reveals expired
        ((D.expired, D.recalled), {"persistent_unset": (D.recalled,)}, S.EXPIRED, (D.expired,)),
        # a terminal status is not overridden
        (
            (D.recalled,),
            {"biz_step": B.destroying, "disposition": D.destroyed},
            S.DESTROYED,
            (D.recalled,),
        ),
        # a persistent disposition that names no condition leaves the status alone
        (
            (),
            {"biz_step": B.inspecting, "persistent_set": (D.completeness_verified,)},
            S.RECEIVED,
            (D.completeness_verified,),
        ),
    ],
)
def test_persistent_dispositions(
    persistent: tuple[str, ...],
    fields: dict[str, Any],
    expected_status: ItemStatus,
    expected_flags: tuple[str, ...],
) -> None:
    state = item(S.RECEIVED, persistent=persistent)
    after = next_state(state, view(**fields), ITEM)
    assert (after.status, after.persistent) == (expected_status, expected_flags)


@pytest.mark.parametrize(
    ("fields", "role", "expected"),
    [
        # commissioning: the source owning party owns it
        ({"action": "ADD", "biz_step": B.commissioning, "source_owner": MFG}, EPC, MFG),
        # shipping: the seller stays owner of record while in transit
        ({"biz_step": B.shipping, "source_owner": MFG, "destination_owner": WHS}, EPC, MFG),
        # receiving: the destination owning party takes ownership
        ({"biz_step": B.receiving, "destination_owner": WHS}, EPC, WHS),
        # receiving without a destination party: unchanged
        ({"biz_step": B.receiving}, EPC, "prior"),
        # an item in a received container changes hands too
        ({"biz_step": B.receiving, "destination_owner": WHS}, INNER, WHS),
        # other steps never change the owner
        ({"biz_step": B.storing, "source_owner": MFG, "destination_owner": WHS}, EPC, "prior"),
    ],
)
def test_custodian(fields: dict[str, Any], role: Role, expected: str) -> None:
    state = item(S.COMMISSIONED, custodian="prior")
    assert next_state(state, view(**fields), ITEM, role).custodian == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # the bizLocation is where the item is after the event
        ({"biz_step": B.receiving, "biz_location": DC}, DC),
        # in transit without a bizLocation: nowhere
        ({"biz_step": B.shipping, "disposition": D.in_transit}, None),
        # an event without bizLocation otherwise leaves it
        ({"biz_step": B.inspecting}, "prior"),
    ],
)
def test_location(fields: dict[str, Any], expected: str | None) -> None:
    state = item(S.RECEIVED, location="prior")
    assert next_state(state, view(**fields), ITEM).location == expected


@pytest.mark.parametrize(
    ("fields", "role", "state", "expected"),
    [
        # commissioning ILMD gives lot and expiry and the commissioning seq
        (
            {"action": "ADD", "lot": "L1", "expiry": "2026-03-31"},
            EPC,
            None,
            ("L1", "2026-03-31", 10),
        ),
        # a second commissioning keeps the first seq, updates ILMD
        (
            {"action": "ADD", "lot": "L2"},
            EPC,
            item(S.COMMISSIONED, lot="L1", commissioned_seq=3),
            ("L2", None, 3),
        ),
        # ILMD of a container event never reaches its contents
        ({"action": "ADD", "lot": "L9"}, INNER, item(S.COMMISSIONED, lot="L1"), ("L1", None, None)),
        # transformation output takes its ILMD
        (
            {"event_type": TRF, "lot": "R1", "expiry": "2027-01-31"},
            OUT,
            None,
            ("R1", "2027-01-31", 10),
        ),
    ],
)
def test_ilmd(
    fields: dict[str, Any],
    role: Role,
    state: ItemSnapshot | None,
    expected: tuple[str | None, str | None, int | None],
) -> None:
    after = next_state(state, view(**fields), ITEM, role)
    assert (after.lot, after.expiry, after.commissioned_seq) == expected


def test_declared_view_only_touches() -> None:
    # an error-declared event changes nothing but updated_seq
    state = item(S.RECEIVED, last_event_seq=3, updated_seq=3)
    after = next_state(state, view(seq=9, declared=True, disposition=D.destroyed), ITEM)
    assert after == item(S.RECEIVED, last_event_seq=3, updated_seq=9)


def test_view_of_event() -> None:
    # identifiers canonicalised, ILMD read, owners found, time in UTC microseconds
    event = ObjectEvent(
        event_time=datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
        event_time_zone_offset="+00:00",
        action="ADD",
        epc_list=("urn:epc:id:sgtin:0614141.107346.2017",),
        biz_step=B.commissioning,
        biz_location=Location(id="loc"),
        sources=(
            SourceDest(type="urn:epcglobal:cbv:sdt:location", value="src-loc"),
            SourceDest(type="urn:epcglobal:cbv:sdt:owning_party", value="owner"),
        ),
        persistent_disposition=PersistentDisposition(set=(D.recalled,)),
        ilmd=(
            Extension(namespace=MDA, name="lotNumber", value=" A1 "),
            Extension(namespace=MDA, name="itemExpirationDate", value="2026-02-28"),
            Extension(namespace="urn:example", name="lotNumber", value="other"),
        ),
    )
    got = view_of(5, event, str.upper)
    assert got == EventView(
        seq=5,
        event_time=1_704_067_201_000_000,
        event_type="ObjectEvent",
        action="ADD",
        biz_step=B.commissioning,
        persistent_set=(D.recalled,),
        biz_location="LOC",
        source_owner="OWNER",
        lot="A1",
        expiry="2026-02-28",
    )


def test_view_of_transformation_and_bad_expiry() -> None:
    # a transformation has no action; an expiry that is no date is dropped
    event = TransformationEvent(
        event_time=datetime(2024, 1, 1, tzinfo=UTC),
        event_time_zone_offset="+00:00",
        ilmd=(Extension(namespace="urn:epcglobal:cbv:mda", name="itemExpirationDate", value="x"),),
    )
    got = view_of(1, event, str)
    assert (got.action, got.expiry, got.event_type) == (None, None, "TransformationEvent")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        # SGTIN with a percent-encoded serial
        ("https://id.gs1.org/01/09506000134352/21/A%2F1", ("sgtin", "09506000134352", "A/1")),
        # serial keeps leading zeros
        ("https://id.gs1.org/01/09506000134352/21/0012", ("sgtin", "09506000134352", "0012")),
        # SSCC
        ("https://id.gs1.org/00/106141412345678908", ("sscc", None, None)),
        # SGLN without extension
        ("https://id.gs1.org/414/0614141007776", ("sgln", None, None)),
        # a GTIN class is no item
        ("https://id.gs1.org/01/09506000134352", ("other", None, None)),
        # a non-GS1 URI
        ("urn:epc:id:gid:95100000.12345.400", ("other", None, None)),
    ],
)
def test_parse_key(uri: str, expected: tuple[str, str | None, str | None]) -> None:
    assert parse_key(uri) == expected


def test_roles_match_schema() -> None:
    # the lifecycle role codes are the event_epc role codes
    assert [Role.EPC, Role.PARENT, Role.CHILD, Role.INPUT, Role.OUTPUT] == [
        schema.ROLE_EPC,
        schema.ROLE_PARENT,
        schema.ROLE_CHILD,
        schema.ROLE_INPUT,
        schema.ROLE_OUTPUT,
    ]


@given(
    step=st.sampled_from([None, *STEP_STATUS]),
    disposition=st.sampled_from([None, *DISPOSITION_STATUS, D.active]),
    action=st.sampled_from(["ADD", "OBSERVE", "DELETE"]),
    prev=st.sampled_from([None, *ItemStatus]),
)
def test_next_state_invariants(
    step: str | None, disposition: str | None, action: str, prev: ItemStatus | None
) -> None:
    # whatever the event: last event recorded, identity kept, parent untouched
    state = None if prev is None else item(prev, parent_id=7, updated_seq=4)
    got = next_state(
        state, view(biz_step=step, disposition=disposition, action=action), ITEM, Role.EPC
    )
    assert (got.uri, got.kind, got.last_event_seq, got.updated_seq) == (ITEM, "sgtin", 10, 10)
    assert got.parent_id == (None if state is None else 7)
    assert got.status in ItemStatus
    assert new_item(ITEM).status is S.UNKNOWN
