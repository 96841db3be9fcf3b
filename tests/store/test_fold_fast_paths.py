"""The projection's fold and capture's bulk inserts give what their straightforward forms give.

* ``projection._Fold`` (children stepped into their container in one step, by
  ``Transition.apply_into``; ``touched`` recorded only for the watched items; enum-free role
  tests) against :class:`ReferenceFold`: the fold as written before those shortcuts, on top of
  the former rules (:func:`reference_next_state`), on generated workloads of every event type
  with stored states, containers, scopes, late and error-declared events;
* ``projection._Fold._contained`` (the contents of a container an ObjectEvent names, stepped
  all at once) against the former fold, with stored, late, watched and out-of-scope items;
* ``Transition.apply_into`` against ``apply`` followed by a change of container;
* ``lifecycle.identity`` (the key's head cached) against ``lifecycle.parse_key``;
* ``dbapi.sqlite_insert`` (many rows per ``INSERT``) and ``dbapi.sqlite_insert_flat`` (the
  rows as one flat list of values) against one ``INSERT`` per row;
* ``codec.canonical_epcs`` (a one-product SGTIN list converted as a whole) against
  ``codec.canonical_epc`` of each identifier, and the ``event_epc`` rows built with it against
  the former ``codec._epc_rows`` (duplicates and other spellings of one identifier included),
  and the per-role key lists of ``codec.index_event`` that capture inserts from.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrace.epcis.model import (
    AggregationEvent,
    Event,
    ObjectEvent,
    QuantityElement,
    TransactionEvent,
    TransformationEvent,
)
from medtrace.store import codec, dbapi, projection
from medtrace.store.lifecycle import (
    EventView,
    ItemSnapshot,
    ItemStatus,
    Role,
    identity,
    new_item,
    parse_key,
    transition,
)
from medtrace.store.schema import ROLE_OUTPUT
from tests.store.test_capture_fast_paths import STATES, URIS, VIEWS, reference_next_state

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- the former fold


@dataclass
class ReferenceFold:
    """``projection._Fold`` as written before its fast paths (every step through the former
    ``next_state``, a container change as a second new state, every stepped item touched)."""

    states: dict[int, ItemSnapshot]
    scope: set[int] | None = None
    check_late: bool = False
    children: dict[int, set[int]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)
    late: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        for epc_id, state in self.states.items():
            if state.parent_id is not None:
                self.children.setdefault(state.parent_id, set()).add(epc_id)

    def _put(self, epc_id: int, new: ItemSnapshot) -> None:
        old = self.states.get(epc_id)
        old_parent = old.parent_id if old is not None else None
        if old_parent != new.parent_id:
            if old_parent is not None:
                self.children.get(old_parent, set()).discard(epc_id)
            if new.parent_id is not None:
                self.children.setdefault(new.parent_id, set()).add(epc_id)
        self.states[epc_id] = new
        self.dirty.add(epc_id)

    def _in_scope(self, epc_id: int) -> bool:
        return self.scope is None or epc_id in self.scope

    def _steps(
        self,
        members: Iterable[tuple[int, str, int]],
        view: EventView,
        role: int,
        parent: int | None = None,
    ) -> None:
        for epc_id, uri, _role in members:
            if not self._in_scope(epc_id):
                continue
            old = self.states.get(epc_id)
            if self.check_late and old is not None and old.last_event_time > view.event_time:
                self.late.add(epc_id)
            self.touched.add(epc_id)
            new = reference_next_state(old, view, uri, Role(role))
            if parent is not None and parent not in (epc_id, new.parent_id):
                new = msgspec.structs.replace(new, parent_id=parent)
            self._put(epc_id, new)

    def _set_parent(self, epc_id: int, parent_id: int | None, seq: int) -> None:
        old = self.states.get(epc_id)
        if old is None or old.parent_id == parent_id or not self._in_scope(epc_id):
            return
        updated = max(old.updated_seq, seq)
        self._put(epc_id, msgspec.structs.replace(old, parent_id=parent_id, updated_seq=updated))

    def descendants(self, epc_id: int) -> list[int]:
        found: list[int] = []
        seen = {epc_id}
        stack = [epc_id]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    found.append(child)
                    stack.append(child)
        return found

    def apply(self, view: EventView, members: list[tuple[int, str, int]]) -> None:
        if view.declared:
            for epc_id, uri, role in members:
                if epc_id in self.states and self._in_scope(epc_id):
                    if self.check_late:
                        self.late.add(epc_id)
                    state = self.states[epc_id]
                    self._put(epc_id, reference_next_state(state, view, uri, Role(role)))
            return
        if view.event_type == "ObjectEvent":
            self._object(view, members)
        elif view.event_type == "AggregationEvent":
            self._aggregation(view, members)
        elif view.event_type == "TransformationEvent":
            self._transformation(view, members)
        else:
            self._by_role(view, members)

    def _by_role(
        self, view: EventView, members: list[tuple[int, str, int]], parent: int | None = None
    ) -> None:
        start = 0
        while start < len(members):
            role = members[start][2]
            end = start + 1
            while end < len(members) and members[end][2] == role:
                end += 1
            into = parent if role == Role.CHILD else None
            self._steps(members[start:end], view, role, into)
            start = end

    def _object(self, view: EventView, members: list[tuple[int, str, int]]) -> None:
        direct = {epc_id for epc_id, _, _ in members}
        self._by_role(view, members)
        for epc_id, _, _ in members:
            if not self.children.get(epc_id):
                continue
            if view.action == "DELETE":
                for child in list(self.children.get(epc_id, ())):
                    self._set_parent(child, None, view.seq)
                continue
            inside = [inner for inner in self.descendants(epc_id) if inner not in direct]
            if inside:
                direct.update(inside)
                contained = [(inner, self.states[inner].uri, Role.CONTAINED) for inner in inside]
                self._steps(contained, view, Role.CONTAINED)

    def _aggregation(self, view: EventView, members: list[tuple[int, str, int]]) -> None:
        parents = [epc_id for epc_id, _, role in members if role == Role.PARENT]
        children = [epc_id for epc_id, _, role in members if role == Role.CHILD]
        parent = parents[0] if parents else None
        if parent is not None and view.action == "ADD":
            self._by_role(view, members, parent)
            return
        self._by_role(view, members)
        if parent is not None and view.action == "DELETE":
            released = children if children else list(self.children.get(parent, ()))
            for child in released:
                state = self.states.get(child)
                if state is not None and state.parent_id == parent:
                    self._set_parent(child, None, view.seq)

    def _transformation(self, view: EventView, members: list[tuple[int, str, int]]) -> None:
        inputs = [
            self.states[i] for i, _, role in members if role == Role.INPUT and i in self.states
        ]
        origin = inputs[0] if inputs else None
        for epc_id, uri, role in members:
            fresh = epc_id not in self.states and self._in_scope(epc_id)
            if role == Role.OUTPUT and fresh and origin is not None:
                self.states[epc_id] = msgspec.structs.replace(
                    new_item(uri), custodian=origin.custodian, location=origin.location
                )
            self._steps(((epc_id, uri, role),), view, role)


# --------------------------------------------------------------------------- workloads

IDS = list(range(1, 13))
KEYS = [
    "https://id.gs1.org/01/10614141073464/21/{n}",
    "https://id.gs1.org/00/10614141{n:09d}",
    "urn:epc:id:gid:95100000.12345.{n}",
]


def uri_of(epc_id: int) -> str:
    return KEYS[epc_id % len(KEYS)].format(n=epc_id)


#: (event type, the member roles it names in order; the first may hold at most one EPC)
SHAPES = {
    "ObjectEvent": (Role.EPC,),
    "AggregationEvent": (Role.PARENT, Role.CHILD),
    "AssociationEvent": (Role.PARENT, Role.CHILD),
    "TransactionEvent": (Role.PARENT, Role.EPC),
    "TransformationEvent": (Role.INPUT, Role.OUTPUT),
}


@st.composite
def occurrences(draw: st.DrawFn) -> tuple[EventView, list[tuple[int, str, int]]]:
    """One event: a view from the lifecycle strategy with a shape-consistent member list."""
    view = draw(VIEWS)
    event_type = draw(st.sampled_from(sorted(SHAPES)))
    action = (
        None
        if event_type == "TransformationEvent"
        else draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"]))
    )
    view = msgspec.structs.replace(view, event_type=event_type, action=action)
    members: list[tuple[int, str, int]] = []
    for role in SHAPES[event_type]:
        single = role == Role.PARENT
        ids = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=1 if single else 6))
        members += [(epc_id, uri_of(epc_id), int(role)) for epc_id in ids]
    return view, members


@st.composite
def stored_states(draw: st.DrawFn) -> dict[int, ItemSnapshot]:
    """Stored states of some of the ids, some of them inside others."""
    states: dict[int, ItemSnapshot] = {}
    for epc_id in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=8)):
        state = draw(STATES.filter(lambda s: s is not None))
        assert state is not None
        parent = draw(st.sampled_from([None, *IDS]))
        states[epc_id] = msgspec.structs.replace(
            state, uri=uri_of(epc_id), parent_id=None if parent == epc_id else parent
        )
    return states


def fold_both(
    states: dict[int, ItemSnapshot],
    events: Sequence[tuple[EventView, list[tuple[int, str, int]]]],
    scope: set[int] | None,
    *,
    check_late: bool,
    watch: set[int],
) -> tuple[projection._Fold, ReferenceFold]:
    fast = projection._Fold(dict(states), scope=scope, check_late=check_late, watch=watch)
    reference = ReferenceFold(dict(states), scope=scope, check_late=check_late)
    for view, members in events:
        fast.apply(projection._Occurrence(view, members))
        reference.apply(view, members)
    return fast, reference


def assert_same_fold(fast: Any, reference: Any, watch: set[int]) -> None:
    """Same states, same written and late items, same watched items touched, same containers."""
    assert fast.states == reference.states
    assert fast.dirty == reference.dirty
    assert fast.late == reference.late
    assert fast.touched == reference.touched & watch
    assert {k: v for k, v in fast.children.items() if v} == {
        k: v for k, v in reference.children.items() if v
    }


@settings(max_examples=400, deadline=None)
@given(
    states=stored_states(),
    events=st.lists(occurrences(), max_size=12),
    scope=st.one_of(st.none(), st.sets(st.sampled_from(IDS))),
    check_late=st.booleans(),
    watch=st.sets(st.sampled_from(IDS)),
)
def test_fold_is_the_former_fold(
    states: dict[int, ItemSnapshot],
    events: list[tuple[EventView, list[tuple[int, str, int]]]],
    scope: set[int] | None,
    check_late: bool,
    watch: set[int],
) -> None:
    # same states, same written and late items, same watched items touched, same containers
    fast, reference = fold_both(states, events, scope, check_late=check_late, watch=watch)
    assert_same_fold(fast, reference, watch)


def test_shipment_fold_is_the_former_fold() -> None:
    # commission, pack into cases, cases onto a pallet, ship the pallet (inference), unpack one
    # case, decommission a case: the path of a DSCSA document, on items never seen before
    step = "urn:epcglobal:cbv:bizstep:"
    items = [(n, uri_of(3 * n), int(Role.EPC)) for n in range(100, 124)]
    cases = [(200 + c, uri_of(1 + 3 * c), int(Role.PARENT)) for c in range(3)]
    pallet = (300, uri_of(301), int(Role.PARENT))

    def view(seq: int, event_type: str, action: str, biz_step: str, **more: Any) -> EventView:
        return EventView(
            seq=seq, event_time=seq, event_type=event_type, action=action,
            biz_step=step + biz_step, **more,
        )  # fmt: skip

    child = int(Role.CHILD)
    events = [
        (view(1, "ObjectEvent", "ADD", "commissioning", lot="L1"), items),
        *(
            (
                view(2 + c, "AggregationEvent", "ADD", "packing"),
                [cases[c], *((i, u, child) for i, u, _ in items[8 * c : 8 * c + 8])],
            )
            for c in range(3)
        ),
        (
            view(5, "AggregationEvent", "ADD", "packing"),
            [pallet, *((i, u, child) for i, u, _ in cases)],
        ),
        (
            view(6, "ObjectEvent", "OBSERVE", "shipping", disposition="urn:x:in_transit"),
            [(300, pallet[1], int(Role.EPC))],
        ),
        (view(7, "AggregationEvent", "DELETE", "unpacking"), [cases[0]]),
        (view(8, "ObjectEvent", "DELETE", "decommissioning"), [(201, cases[1][1], 1)]),
    ]
    fast, reference = fold_both({}, events, None, check_late=True, watch=set())
    assert fast.states == reference.states
    assert fast.dirty == reference.dirty == set(fast.states)
    assert fast.states[100].parent_id is None  # unpacked
    assert fast.states[110].parent_id is None  # its case ceased to exist
    assert fast.states[120].parent_id == 202
    assert fast.states[120].last_event_seq == 6  # shipped inside the pallet
    assert fast.states[201].status == ItemStatus.DECOMMISSIONED


@pytest.mark.parametrize("check_late", [False, True])
@pytest.mark.parametrize("scope", [None, {300, 200, 100, 101, 110}])
def test_contents_of_a_shipped_container_are_stepped_as_by_the_former_fold(
    check_late: bool, scope: set[int] | None
) -> None:
    # ``_Fold._contained``: the contents of a container that an ObjectEvent names, stepped all
    # at once: stored states (some newer than the event: late), watched ones, a scope, nested
    # containers, and an item named by the event itself (stepped once, as an EPC)
    base = ItemSnapshot(uri="", kind="sgtin", status=ItemStatus.COMMISSIONED, last_event_time=5)
    states: dict[int, ItemSnapshot] = {300: msgspec.structs.replace(base, uri=uri_of(300))}
    for case in (200, 201):
        states[case] = msgspec.structs.replace(base, uri=uri_of(case), parent_id=300)
    for n in range(100, 116):
        states[n] = msgspec.structs.replace(
            base,
            uri=uri_of(n),
            parent_id=200 if n < 108 else 201,
            last_event_time=50 if n % 5 == 0 else 5,  # newer than the shipment: late
            persistent=("urn:epcglobal:cbv:disp:recalled",) if n % 7 == 0 else (),
            status=ItemStatus.RECALLED if n % 7 == 0 else ItemStatus.COMMISSIONED,
        )
    view = EventView(
        seq=9, event_time=10, event_type="ObjectEvent", action="OBSERVE",
        biz_step="urn:epcglobal:cbv:bizstep:shipping", disposition="urn:x:in_transit",
    )  # fmt: skip
    epc = int(Role.EPC)
    events = [(view, [(300, uri_of(300), epc), (103, uri_of(103), epc)])]
    watch = {101, 105, 110, 201, 999}
    fast, reference = fold_both(states, events, scope, check_late=check_late, watch=watch)
    assert_same_fold(fast, reference, watch)
    stepped = set(states) if scope is None else scope
    assert fast.dirty == stepped
    assert fast.late == ({100, 105, 110, 115} & stepped if check_late else set())


@settings(max_examples=300)
@given(
    state=STATES,
    view=VIEWS,
    uri=URIS,
    role=st.sampled_from(list(Role)),
    parent=st.sampled_from([None, 7, 8]),
)
def test_apply_into_is_apply_then_the_container(
    state: ItemSnapshot | None, view: EventView, uri: str, role: Role, parent: int | None
) -> None:
    # the step into a container is the step followed by the change of container
    move = transition(view, role)
    expected = msgspec.structs.replace(move.apply(state, uri), parent_id=parent)
    assert move.apply_into(state, uri, parent) == expected
    assert move.apply(state, uri) == reference_next_state(state, view, uri, role)


# --------------------------------------------------------------------------- bulk inserts


@pytest.mark.parametrize("count", [0, 1, 55, 56, 57, 99, 100, 101, 250, 1001])
@pytest.mark.parametrize("width", [1, 2, 5, 16])
def test_sqlite_insert_is_one_insert_per_row(count: int, width: int) -> None:
    # full statements of up to 100 rows (at most 900 markers), then the rest one by one:
    # the same rows, in the same order (rowids), as one INSERT per row
    columns = ", ".join(f"c{i}" for i in range(width))
    rows = [
        tuple(
            None if (n + i) % 7 == 0 else f"{n}.{i}" if i % 2 else n * 10 + i for i in range(width)
        )
        for n in range(count)
    ]
    stores = []
    for how in ("bulk", "flat", "row by row"):
        conn = sqlite3.connect(":memory:")
        conn.execute(f"CREATE TABLE t ({columns})")
        cursor = conn.cursor()
        if how == "bulk":
            dbapi.sqlite_insert(cursor, f"INSERT INTO t ({columns})", width, rows)
        elif how == "flat":
            # the same rows as one flat list of values (capture's event_epc rows)
            values = [value for row in rows for value in row]
            dbapi.sqlite_insert_flat(cursor, f"INSERT INTO t ({columns})", width, values)
        else:
            marks = ", ".join(["?"] * width)
            cursor.executemany(f"INSERT INTO t ({columns}) VALUES ({marks})", rows)  # noqa: S608
        stores.append(conn.execute("SELECT rowid, * FROM t ORDER BY rowid").fetchall())
        conn.close()
    assert stores[0] == stores[1] == stores[2]
    assert [row[1:] for row in stores[0]] == rows


def test_sqlite_insert_flat_wants_whole_rows() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b)")
    with pytest.raises(ValueError, match="no whole number of rows"):
        dbapi.sqlite_insert_flat(conn.cursor(), "INSERT INTO t (a, b)", 2, [1, 2, 3])
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.close()


def test_sqlite_insert_fails_as_row_by_row() -> None:
    # a constraint violation in a multi-row statement fails the insert as one row would
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    rows = [(n, str(n)) for n in range(150)] + [(3, "again")]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        dbapi.sqlite_insert(conn.cursor(), "INSERT INTO t (k, v)", 2, rows)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        dbapi.sqlite_insert(conn.cursor(), "INSERT INTO t (k, v)", 2, [(0, "x"), *rows[1:100]])
    conn.close()


# --------------------------------------------------------------------------- canonical keys

SERIALS = st.one_of(
    st.text("AZaz09", min_size=1, max_size=6),
    st.sampled_from(["", "0", "a.b", "a%2Fb", "x y", " 7", "Ä1", "١٢", "%41", "-", "9\n"]),
)
CLASSES = st.sampled_from(
    ["0614141.107346", "0614141.812345", "4012345.011111", "061414.1073460", "12.34", "1.2"]
)
OTHER_EPCS = st.sampled_from(
    [
        "urn:epc:id:sscc:0614141.1234567890",
        "https://id.gs1.org/01/10614141073464/21/2017",
        "https://example.org/01/10614141073464/10/L1/21/2017",
        "urn:epc:id:gid:95100000.12345.400",
        " urn:epc:id:sgtin:0614141.107346.2017",
        "urn:epc:id:sgtin:0614141.107346",
    ]
)


@st.composite
def epc_lists(draw: st.DrawFn) -> list[str]:
    """Lists of SGTINs of one product (mostly), now and then with another key among them."""
    product = draw(CLASSES)
    items = [
        f"urn:epc:id:sgtin:{draw(CLASSES) if draw(st.integers(0, 9)) == 0 else product}.{serial}"
        for serial in draw(st.lists(SERIALS, max_size=8))
    ]
    if items and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), draw(OTHER_EPCS))
    return items


@settings(max_examples=500)
@given(uris=epc_lists())
def test_canonical_epcs_is_canonical_epc_of_each(uris: list[str]) -> None:
    # a one-product SGTIN list converted as a whole = every identifier converted on its own
    assert codec.canonical_epcs(uris) == [codec.canonical_epc(uri) for uri in uris]


def test_canonical_epcs_of_a_commissioning_list() -> None:
    # the common case: one product, plain serials (leading zeros kept, letters as they are)
    uris = [f"urn:epc:id:sgtin:0614141.107346.{serial}" for serial in ("0012", "12", "Ab9")]
    assert codec.canonical_epcs(uris) == [
        "https://id.gs1.org/01/10614141073464/21/0012",
        "https://id.gs1.org/01/10614141073464/21/12",
        "https://id.gs1.org/01/10614141073464/21/Ab9",
    ]
    assert codec.canonical_epcs([]) == []


def reference_epc_rows(event: Event) -> list[tuple[str, int, Decimal | None, str | None]]:
    """``codec._epc_rows`` as written before ``canonical_epcs`` (one key at a time)."""
    seen: set[tuple[str, int]] = set()
    rows: list[tuple[str, int, Decimal | None, str | None]] = []
    for uris, role in codec._what(event):
        for uri in uris:
            key = (codec.canonical_epc(uri), role)
            if key not in seen:
                seen.add(key)
                rows.append((key[0], role, None, None))
    for elements, role in codec._what_classes(event):
        for element in elements:
            key = (codec.canonical_epc(element.epc_class), role)
            if key not in seen:
                seen.add(key)
                rows.append((key[0], role, element.quantity, element.uom))
    return rows


#: The same SGTIN as a URN and as Digital Link URIs: one key in the store.
SAME_ITEM = st.sampled_from(
    [
        "urn:epc:id:sgtin:0614141.107346.2017",
        "https://id.gs1.org/01/10614141073464/21/2017",
        "https://example.org/01/10614141073464/21/2017",
    ]
)
EPC_LISTS = st.one_of(
    epc_lists(),
    epc_lists().flatmap(lambda uris: st.permutations([*uris, *uris[:2]])),
    st.lists(st.one_of(SAME_ITEM, OTHER_EPCS), max_size=5),
)


@st.composite
def events_with_epcs(draw: st.DrawFn) -> Event:
    """An event of any type naming generated identifier lists (duplicates and aliases too)."""
    when = {"event_time": T0, "event_time_zone_offset": "+00:00"}
    parent = draw(st.one_of(st.none(), SAME_ITEM, OTHER_EPCS))
    first, second = draw(EPC_LISTS), draw(EPC_LISTS)
    quantities = tuple(
        QuantityElement(epc_class=epc_class, quantity=Decimal(n), uom=None)
        for n, epc_class in enumerate(
            draw(st.lists(st.sampled_from(["urn:epc:class:lgtin:0614141.107346.L1", "x"])))
        )
    )
    kind = draw(st.sampled_from(["object", "aggregation", "transaction", "transformation"]))
    if kind == "object":
        return ObjectEvent(**when, action="ADD", epc_list=tuple(first), quantity_list=quantities)
    if kind == "aggregation":
        return AggregationEvent(
            **when, action="ADD", parent_id=parent, child_epcs=tuple(first),
            child_quantities=quantities,
        )  # fmt: skip
    if kind == "transaction":
        return TransactionEvent(
            **when, action="ADD", parent_id=parent, epc_list=tuple(first),
            quantity_list=quantities,
        )  # fmt: skip
    return TransformationEvent(
        **when, input_epcs=tuple(first), output_epcs=tuple(second), input_quantities=quantities
    )


@settings(max_examples=400)
@given(event=events_with_epcs())
def test_epc_rows_are_the_former_rows(event: Event) -> None:
    # the index rows of the what dimension: same keys, roles, quantities, order, one per
    # (key, role) even when a list names an item twice or under another spelling
    rows = reference_epc_rows(event)
    assert codec._epc_rows(event) == rows
    # what capture inserts: the instance keys per role and the class rows, in that order
    indexed = codec.index_event(
        event, event_id="urn:uuid:1", event_hash="h", record_time=T0, job_id=None
    )
    assert indexed.epcs == rows
    assert [(key, role, None, None) for keys, role in indexed.instances for key in keys] == [
        row for row in rows if row[1] <= ROLE_OUTPUT
    ]
    assert all(keys for keys, _role in indexed.instances)
    assert indexed.classes == [row for row in rows if row[1] > ROLE_OUTPUT]


@settings(max_examples=500)
@given(
    uri=st.one_of(
        URIS,
        st.builds(
            "{}{}/{}".format,
            st.sampled_from(["https://id.gs1.org/", "https://id.gs1.org", "urn:x:", ""]),
            st.sampled_from(["01/10614141073464/21", "00", "414/4012345000115/254", "01", ""]),
            st.text(alphabet="aZ09%2F/-.", max_size=6),
        ),
        st.text(alphabet="htps:/.idgs1org0%2F", max_size=30),
    )
)
def test_identity_is_parse_key(uri: str) -> None:
    # the cached head of a key gives what parsing the whole key gives (twice: cold and cached)
    assert identity(uri) == parse_key(uri)
    assert identity(uri) == parse_key(uri)
