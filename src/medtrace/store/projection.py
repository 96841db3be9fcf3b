"""The item-state projection: ``item_state`` as a fold of the event log (EPCIS 2.0 §7.4).

Capture calls :func:`apply` in its transaction with the events it has just written (their
``event``/``event_epc`` rows already in place). The projection is set-based: it loads the
states of every touched EPC and of everything inside them in a few chunked queries, folds the
events in Python with :func:`medtrace.store.lifecycle.next_state`, and writes the changed rows
back set-based. The rows of identifiers that capture has just created are inserted (multi-row
``INSERT`` statements on SQLite, ``COPY`` on PostgreSQL); the others are upserted: one
``executemany`` of ``INSERT … ON CONFLICT (epc_id) DO UPDATE`` on SQLite, on PostgreSQL ``COPY``
into a temporary table and one ``INSERT … SELECT … ON CONFLICT``.

Rules on top of the per-item lifecycle:

* **Aggregation** (EPCIS 2.0 §7.4.3): ``ADD`` sets the children's ``parent_id``; ``DELETE``
  clears it (for every current child when ``childEPCs`` is empty); ``OBSERVE`` changes no
  containment. Transaction and Association events change no containment.
* **Container inference** (what DSCSA lets a trading partner infer from an unopened, sealed
  container): an ObjectEvent on a container applies to every case and item inside it,
  recursively along the current ``parent_id`` hierarchy (status, disposition, custodian,
  location, last event), except ``DELETE``: a container that ceases to exist releases its
  contents instead.
* **Transformation** (EPCIS 2.0 §7.4.6): inputs are consumed; outputs are commissioned and take
  their inputs' custodian and location unless the event names them.
* **eventTime order**: the state of an item follows its events in ``(event_time, seq)`` order,
  not in arrival order. An event older than an item's last event, an errorDeclaration
  (EPCIS 2.0 §7.4.1.2: the declared event no longer counts), and an item whose stored status
  may hide persistent dispositions (``item_state`` keeps no column for them, see
  :func:`medtrace.store.lifecycle.next_state`) make the projection **replay**: the affected
  items, everything ever aggregated inside them (or made from them) and every container those
  were ever in are recomputed from the log in ``(event_time, seq)`` order.
* Master data: a missing expiry is filled from the ``cbvmda`` ``itemExpirationDate`` of the
  item's LGTIN class (CBV 2.0 §10).

:func:`rebuild` replays the whole log and yields the same rows as incremental application.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    Event,
    ObjectEvent,
    TransactionEvent,
)
from medtrace.store import dbapi, schema
from medtrace.store.codec import CapturedEvent, canonical_epc, decode_event
from medtrace.store.lifecycle import (
    DISPOSITION_STATUS,
    FLAG_PRIORITY,
    TERMINAL_STATUSES,
    EventView,
    ItemSnapshot,
    ItemStatus,
    Role,
    Transition,
    new_item,
    transition,
    view_of,
)

__all__ = [
    "ITEM_COLUMNS",
    "CapturedEvent",
    "ItemState",
    "apply",
    "get_item",
    "item_from_row",
    "rebuild",
]

_CHUNK: Final = 900
_REBUILD_BATCH: Final = 2000
_EPC_CLASS: Final = "urn:epcglobal:epcisq:vtype:EPCClass"
_EXPIRY_ATTRS: Final = (
    "urn:epcglobal:cbv:mda#itemExpirationDate",
    "cbvmda:itemExpirationDate",
    "https://ref.gs1.org/cbv/mda#itemExpirationDate",
)
#: Stored statuses under which persistent dispositions may be in force (replay to recover them).
_MAY_HIDE_FLAGS: Final = TERMINAL_STATUSES | {DISPOSITION_STATUS[flag] for flag in FLAG_PRIORITY}
_STATE = schema.item_state
_COLUMNS: Final = tuple(column.name for column in _STATE.columns)
ITEM_COLUMNS: Final = _COLUMNS
"""The ``item_state`` columns in the order :func:`item_from_row` reads them."""


class ItemState(msgspec.Struct, frozen=True, kw_only=True):
    """One ``item_state`` row (times in UTC microseconds since the epoch)."""

    epc_id: int
    uri: str
    kind: str
    gtin: str | None
    serial: str | None
    lot: str | None
    expiry: str | None
    status: ItemStatus
    disposition: str | None
    custodian: str | None
    location: str | None
    parent_id: int | None
    last_event_seq: int
    last_event_time: int
    commissioned_seq: int | None
    updated_seq: int


@dataclass(slots=True)
class _Occurrence:
    """One event to fold: its view and the EPCs it names, ``(epc_id, uri, role code)``.

    Role codes are plain ints (the :class:`Role` values): tuples of plain values are not
    tracked by Python's garbage collector, and a big capture holds a hundred thousand.
    """

    view: EventView
    members: list[tuple[int, str, int]]
    moves: dict[int, Transition] = field(default_factory=dict)

    def move(self, role: int) -> Transition:
        """The event's transition for the items it touches in ``role`` (built once)."""
        found = self.moves.get(role)
        if found is None:
            found = self.moves[role] = transition(self.view, _ROLES[role])
        return found


# --------------------------------------------------------------------------- the fold


@dataclass(slots=True)
class _Fold:
    """Folds occurrences into ``states`` (``epc_id`` → snapshot), tracking containment.

    ``scope`` (replay) restricts the items written; ``check_late`` (incremental) records the
    items an occurrence older than their last event touched; ``touched`` records the items of
    ``watch`` that an occurrence stepped (the others need no record).
    """

    states: dict[int, ItemSnapshot]
    scope: set[int] | None = None
    check_late: bool = False
    watch: Set[int] = frozenset()
    children: dict[int, set[int]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)
    late: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        for epc_id, state in self.states.items():
            if state.parent_id is not None:
                self.children.setdefault(state.parent_id, set()).add(epc_id)

    def _reparent(self, epc_id: int, old_parent: int | None, new_parent: int | None) -> None:
        """Move ``epc_id`` between the containers' child sets (the parents differ)."""
        children = self.children
        if old_parent is not None:
            siblings = children.get(old_parent)
            if siblings is not None:
                siblings.discard(epc_id)
        if new_parent is not None:
            inside = children.get(new_parent)
            if inside is None:
                children[new_parent] = {epc_id}
            else:
                inside.add(epc_id)

    def _put(self, epc_id: int, new: ItemSnapshot) -> None:
        old = self.states.get(epc_id)
        old_parent = old.parent_id if old is not None else None
        if old_parent != new.parent_id:
            self._reparent(epc_id, old_parent, new.parent_id)
        self.states[epc_id] = new
        self.dirty.add(epc_id)

    def _in_scope(self, epc_id: int) -> bool:
        return self.scope is None or epc_id in self.scope

    def _steps(
        self,
        members: Iterable[tuple[int, str, int]],
        move: Transition,
        parent: int | None = None,
    ) -> None:
        """Apply ``move`` to each member in turn (their roles are ``move``'s); with ``parent``,
        also put each one except the parent itself into that container (what
        :meth:`_set_parent` does after the step: ``updated_seq`` is the event's already)."""
        states, scope, dirty = self.states, self.scope, self.dirty
        watch, touched = self.watch, self.touched
        late = self.late if self.check_late else None
        event_time = move.view.event_time
        apply_into = move.apply_into
        for epc_id, uri, _role in members:
            if scope is not None and epc_id not in scope:
                continue
            old = states.get(epc_id)
            if old is None:
                old_parent = None
            else:
                old_parent = old.parent_id
                if late is not None and old.last_event_time > event_time:
                    late.add(epc_id)
            if epc_id in watch:
                touched.add(epc_id)
            # a transition passes the container through unless the step puts it into ``parent``
            into = old_parent if parent is None or parent == epc_id else parent
            states[epc_id] = apply_into(old, uri, into)
            dirty.add(epc_id)
            if into != old_parent:
                self._reparent(epc_id, old_parent, into)

    def _set_parent(self, epc_id: int, parent_id: int | None, seq: int) -> None:
        old = self.states.get(epc_id)
        if old is None or old.parent_id == parent_id or not self._in_scope(epc_id):
            return
        updated = max(old.updated_seq, seq)
        self._put(epc_id, msgspec.structs.replace(old, parent_id=parent_id, updated_seq=updated))

    def descendants(self, epc_id: int) -> list[int]:
        """Everything inside ``epc_id`` by the current ``parent_id`` hierarchy."""
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

    def apply(self, occurrence: _Occurrence) -> None:
        """Fold one event into the states."""
        view, members = occurrence.view, occurrence.members
        if view.declared:
            for epc_id, uri, role in members:
                if epc_id in self.states and self._in_scope(epc_id):
                    if self.check_late:
                        self.late.add(epc_id)
                    self._put(epc_id, occurrence.move(role).apply(self.states[epc_id], uri))
            return
        if view.event_type == "ObjectEvent":
            self._object(occurrence)
        elif view.event_type == "AggregationEvent":
            self._aggregation(occurrence)
        elif view.event_type == "TransformationEvent":
            self._transformation(occurrence)
        else:
            self._by_role(occurrence)

    def _by_role(self, occurrence: _Occurrence, parent: int | None = None) -> None:
        """Step every member in ``members`` order, each with the transition of its role."""
        members = occurrence.members
        count = len(members)
        start = 0
        while start < count:
            # members come grouped by role: one transition per run of the same role
            role = members[start][2]
            end = start + 1
            while end < count and members[end][2] == role:
                end += 1
            into = parent if role == _CHILD else None
            self._steps(members[start:end], occurrence.move(role), into)
            start = end

    def _object(self, occurrence: _Occurrence) -> None:
        view, members = occurrence.view, occurrence.members
        self._by_role(occurrence)
        children = self.children
        direct = {epc_id for epc_id, _, _ in members}
        if children.keys().isdisjoint(direct):
            return  # no member contains anything (most events)
        for epc_id, _, _ in members:
            if not children.get(epc_id):
                continue  # nothing inside (most items)
            if view.action == "DELETE":
                for child in list(self.children.get(epc_id, ())):
                    self._set_parent(child, None, view.seq)
                continue
            inside = [inner for inner in self.descendants(epc_id) if inner not in direct]
            if inside:
                direct.update(inside)
                self._contained(inside, occurrence.move(_CONTAINED))

    def _contained(self, inside: list[int], move: Transition) -> None:
        """:meth:`_steps` of the contents of a container an ObjectEvent names (``inside``: its
        descendants, every one with a state; ``move``: the event's ``CONTAINED`` transition),
        for all of them at once: a descendant keeps its container (no child set changes, no
        tuple per descendant), and the scope and the watched items are checked in one pass."""
        states, scope = self.states, self.scope
        if scope is not None:
            inside = [inner for inner in inside if inner in scope]
        watch = self.watch
        if watch:
            self.touched.update(inner for inner in inside if inner in watch)
        apply_into = move.apply_into
        if self.check_late:
            event_time, late = move.view.event_time, self.late
            for inner in inside:
                old = states[inner]
                if old.last_event_time > event_time:
                    late.add(inner)
                states[inner] = apply_into(old, old.uri, old.parent_id)
        else:
            for inner in inside:
                old = states[inner]
                states[inner] = apply_into(old, old.uri, old.parent_id)
        self.dirty.update(inside)

    def _aggregation(self, occurrence: _Occurrence) -> None:
        view, members = occurrence.view, occurrence.members
        # members come grouped by role, the parent (if any) first
        parent = members[0][0] if members and members[0][2] == _PARENT else None
        if parent is not None and view.action == "ADD":
            # each child is stepped and put into the parent at once (the parent comes first
            # in ``members``; a child's containment concerns only the child)
            self._by_role(occurrence, parent)
            return
        self._by_role(occurrence)
        if parent is not None and view.action == "DELETE":
            children = [epc_id for epc_id, _, role in members if role == _CHILD]
            released = children if children else list(self.children.get(parent, ()))
            for child in released:
                state = self.states.get(child)
                if state is not None and state.parent_id == parent:
                    self._set_parent(child, None, view.seq)

    def _transformation(self, occurrence: _Occurrence) -> None:
        members = occurrence.members
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
            self._steps(((epc_id, uri, role),), occurrence.move(role))


# --------------------------------------------------------------------------- reading


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


# plain SQL of the hot paths (medtrace.store.dbapi); every name is a schema constant
_STATUSES: Final = {status.value: status for status in ItemStatus}
_ROLES: Final = {role.value: role for role in Role}
_CONTAINED: Final = Role.CONTAINED.value
_PARENT: Final = Role.PARENT.value
_CHILD: Final = Role.CHILD.value
#: ``status.value`` without the enum property's cost (one lookup per written row).
_STATUS_TEXT: Final = {status: status.value for status in ItemStatus}
_SELECT_STATES: Final = f"SELECT {', '.join(_COLUMNS)} FROM {_STATE.name} WHERE "  # noqa: S608
_DELETE_STATES: Final = f"DELETE FROM {_STATE.name} WHERE epc_id {{in}}"  # noqa: S608
_OUTPUT: Final = schema.ROLE_OUTPUT
_EPCS_OF: Final = f"SELECT epc_id FROM event_epc WHERE role <= {_OUTPUT} AND seq {{in}}"  # noqa: S608
_SEQS_OF: Final = f"SELECT seq FROM event_epc WHERE role <= {_OUTPUT} AND epc_id {{in}}"  # noqa: S608
_EVENTS: Final = "SELECT seq, event_time, error_declared, body FROM event WHERE seq {in}"
_MEMBERS_OF: Final = (
    "SELECT ee.seq, ee.epc_id, epc.uri, ee.role FROM event_epc ee "  # noqa: S608
    "JOIN epc ON epc.id = ee.epc_id "
    f"WHERE ee.role <= {_OUTPUT} AND ee.seq {{in}} "
    "ORDER BY ee.seq, ee.role, ee.epc_id"
)
_EXPIRY_SQL: Final = (
    "SELECT id, value FROM vocabulary_attribute "  # noqa: S608
    f"WHERE vtype = {{m}} AND attr IN ({', '.join(['{m}'] * len(_EXPIRY_ATTRS))}) AND id {{in}}"
)


_GET_ITEM: Final = (
    f"SELECT {', '.join('s.' + name for name in _COLUMNS)} FROM {_STATE.name} s "  # noqa: S608
    "JOIN epc ON epc.id = s.epc_id WHERE epc.uri = {m}"
)


def _snapshot(row: Sequence[Any]) -> tuple[int, ItemSnapshot]:
    """``(epc_id, state)`` of an ``item_state`` row (a tuple in :data:`_COLUMNS` order)."""
    (
        epc_id,
        uri,
        kind,
        gtin,
        serial,
        lot,
        expiry,
        status,
        disposition,
        custodian,
        location,
        parent_id,
        last_event_seq,
        last_event_time,
        commissioned_seq,
        updated_seq,
    ) = row
    return int(epc_id), ItemSnapshot(
        uri=uri,
        kind=kind,
        gtin=gtin,
        serial=serial,
        lot=lot,
        expiry=expiry,
        status=_STATUSES.get(status) or ItemStatus(status),
        disposition=disposition,
        custodian=custodian,
        location=location,
        parent_id=parent_id,
        last_event_seq=last_event_seq,
        last_event_time=last_event_time,
        commissioned_seq=commissioned_seq,
        updated_seq=updated_seq,
    )


def _load_states(conn: Connection, ids: Iterable[int]) -> dict[int, ItemSnapshot]:
    rows = dbapi.select_in(conn, _SELECT_STATES + "epc_id {in}", sorted(ids), "bigint")
    return dict(_snapshot(row) for row in rows)


def _load_contents(conn: Connection, states: dict[int, ItemSnapshot]) -> None:
    """Add to ``states`` everything stored inside the loaded items (level by level)."""
    frontier = set(states)
    while frontier:
        found: set[int] = set()
        rows = dbapi.select_in(conn, _SELECT_STATES + "parent_id {in}", sorted(frontier), "bigint")
        for row in rows:
            epc_id, state = _snapshot(row)
            if epc_id not in states:
                states[epc_id] = state
                found.add(epc_id)
        frontier = found


def _related(conn: Connection, ids: set[int], *, downward: bool) -> set[int]:
    """``ids`` closed under "was ever aggregated into / made from" (down) or its inverse (up)."""
    a = schema.event_epc.alias("a")
    b = schema.event_epc.alias("b")
    ev = schema.event
    if downward:
        pairs = [(schema.ROLE_PARENT, schema.ROLE_CHILD), (schema.ROLE_INPUT, schema.ROLE_OUTPUT)]
    else:
        pairs = [(schema.ROLE_CHILD, schema.ROLE_PARENT), (schema.ROLE_OUTPUT, schema.ROLE_INPUT)]
    aggregation, transformation = pairs
    link = sa.or_(
        sa.and_(
            a.c.role == aggregation[0],
            b.c.role == aggregation[1],
            ev.c.event_type == AggregationEvent.__name__,
        ),
        sa.and_(a.c.role == transformation[0], b.c.role == transformation[1]),
    )
    closed = set(ids)
    frontier = set(ids)
    while frontier:
        found: set[int] = set()
        for chunk in _chunks(frontier):
            query = (
                sa.select(b.c.epc_id)
                .distinct()
                .select_from(a.join(b, b.c.seq == a.c.seq).join(ev, ev.c.seq == a.c.seq))
                .where(a.c.epc_id.in_(chunk), link)
            )
            found.update(epc_id for (epc_id,) in conn.execute(query))
        frontier = found - closed
        closed |= frontier
    return closed


def _members_of(conn: Connection, seqs: Sequence[int]) -> dict[int, list[tuple[int, str, int]]]:
    members: dict[int, list[tuple[int, str, int]]] = {seq: [] for seq in seqs}
    for seq, epc_id, uri, role in dbapi.select_in(conn, _MEMBERS_OF, sorted(seqs), "bigint"):
        members[seq].append((epc_id, uri, int(role)))
    return members


def _occurrences(
    conn: Connection, rows: Sequence[tuple[int, int, bool, bytes]]
) -> list[_Occurrence]:
    """Occurrences of stored events ``(seq, event_time, error_declared, body)``, in that order."""
    members = _members_of(conn, [row[0] for row in rows])
    return [
        _Occurrence(
            view_of(seq, decode_event(body), canonical_epc, declared=declared), members[seq]
        )
        for seq, _, declared, body in rows
    ]


_Bound = tuple[int, int]


def _replay(conn: Connection, scope: set[int], bound: _Bound | None) -> dict[int, ItemSnapshot]:
    """States of ``scope`` from the log in (event_time, seq) order, up to ``bound`` if given."""
    seqs = {seq for (seq,) in dbapi.select_in(conn, _SEQS_OF, sorted(scope), "bigint")}
    rows = [
        (seq, time, bool(declared), bytes(body))
        for seq, time, declared, body in dbapi.select_in(conn, _EVENTS, sorted(seqs), "bigint")
        if bound is None or (time, seq) <= bound
    ]
    rows.sort(key=lambda row: (row[1], row[0]))
    fold = _Fold({}, scope=scope)
    for occurrence in _occurrences(conn, rows):
        fold.apply(occurrence)
    return {epc_id: state for epc_id, state in fold.states.items() if epc_id in scope}


# --------------------------------------------------------------------------- writing


def _lgtin(gtin: str, lot: str) -> str:
    return canonical_epc(f"https://id.gs1.org/01/{gtin}/10/{quote(lot, safe='')}")


def _fill_expiry(conn: Connection, states: dict[int, ItemSnapshot]) -> None:
    """Fill a missing expiry from the LGTIN class master data (CBV 2.0 §10 cbvmda)."""
    wanted = {
        epc_id: _lgtin(state.gtin, state.lot)
        for epc_id, state in states.items()
        if state.expiry is None and state.gtin is not None and state.lot is not None
    }
    if not wanted:
        return
    expiry: dict[str, str] = {}
    for class_id, value in dbapi.select_in(
        conn, _EXPIRY_SQL, sorted(set(wanted.values())), "text", (_EPC_CLASS, *_EXPIRY_ATTRS)
    ):
        if value:
            expiry[class_id] = str(value)[:10]
    for epc_id, class_id in wanted.items():
        if class_id in expiry:
            states[epc_id] = msgspec.structs.replace(states[epc_id], expiry=expiry[class_id])


def _row(epc_id: int, state: ItemSnapshot) -> tuple[object, ...]:
    """The ``item_state`` row of a state, in :data:`_COLUMNS` order."""
    return (
        epc_id,
        state.uri,
        state.kind,
        state.gtin,
        state.serial,
        state.lot,
        state.expiry,
        _STATUS_TEXT[state.status],
        state.disposition,
        state.custodian,
        state.location,
        state.parent_id,
        state.last_event_seq,
        state.last_event_time,
        state.commissioned_seq,
        state.updated_seq,
    )


def _upsert_sql(marker: str) -> str:
    names = ", ".join(_COLUMNS)
    values = ", ".join([marker] * len(_COLUMNS))
    updates = ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "epc_id")
    # every name comes from the schema constants, no value is interpolated
    return (
        f"INSERT INTO {_STATE.name} ({names}) VALUES ({values}) "  # noqa: S608
        f"ON CONFLICT (epc_id) DO UPDATE SET {updates}"
    )


#: The upsert per DBAPI paramstyle (``qmark`` for sqlite3, ``format`` for psycopg).
_UPSERT: Final = {"sqlite": _upsert_sql("?"), "postgresql": _upsert_sql("%s")}
_PG_TEMP: Final = "medtrace_item_state_in"
_PG_STAGE: Final = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_TEMP} "
    f"(LIKE {_STATE.name} INCLUDING DEFAULTS) ON COMMIT DROP"
)
_PG_MERGE: Final = (
    f"INSERT INTO {_STATE.name} ({', '.join(_COLUMNS)}) "  # noqa: S608 - schema constants only
    f"SELECT {', '.join(_COLUMNS)} FROM {_PG_TEMP} ORDER BY epc_id "
    "ON CONFLICT (epc_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS if name != "epc_id")
)
_PG_CLEAR: Final = f"DELETE FROM {_PG_TEMP}"  # noqa: S608 - schema constants only
_INSERT_SQLITE: Final = f"INSERT INTO {_STATE.name} ({', '.join(_COLUMNS)})"


def _write(
    conn: Connection,
    states: dict[int, ItemSnapshot],
    gone: set[int],
    new_keys: Set[int] = frozenset(),
) -> None:
    """Delete ``gone`` rows; write ``states`` set-based: insert the rows of ``new_keys`` (they
    cannot exist yet; multi-row ``INSERT`` on SQLite, ``COPY`` on PostgreSQL), upsert the others
    (``executemany`` on SQLite, ``COPY`` and one merge on PostgreSQL)."""
    dbapi.select_in(conn, _DELETE_STATES, sorted(gone), "bigint")
    if not states:
        return
    _fill_expiry(conn, states)
    inserts: list[tuple[object, ...]] = []
    upserts: list[tuple[object, ...]] = []
    # sorted keys (plain ints sort much faster than (key, state) pairs)
    for epc_id in sorted(states):
        (inserts if epc_id in new_keys else upserts).append(_row(epc_id, states[epc_id]))
    raw = dbapi.driver(conn)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            if inserts:
                dbapi.pg_copy(cursor, _STATE, inserts)
            if upserts:
                # psycopg's executemany sends one upsert per row; COPY the rows into a temporary
                # table (dropped at commit) and upsert them all with one INSERT … ON CONFLICT
                cursor.execute(_PG_STAGE)
                dbapi.pg_copy(cursor, _STATE, upserts, into=_PG_TEMP)
                cursor.execute(_PG_MERGE)
                cursor.execute(_PG_CLEAR)
        return
    cursor = raw.cursor()
    try:
        if inserts:
            dbapi.sqlite_insert(cursor, _INSERT_SQLITE, len(_COLUMNS), inserts)
        if upserts:
            cursor.executemany(_UPSERT[conn.dialect.name], upserts)
    finally:
        cursor.close()


# --------------------------------------------------------------------------- public API


def _run(
    conn: Connection,
    occurrences: Sequence[_Occurrence],
    bound: _Bound | None,
    retracted: Iterable[int] = (),
    new_keys: Set[int] = frozenset(),
) -> None:
    """Fold ``occurrences`` onto the stored states; replay where order or flags demand it.

    ``bound`` is None for incremental application (late events are detected) and the
    ``(event_time, seq)`` of the last occurrence during :func:`rebuild`; ``retracted`` are EPCs
    to replay because an event of theirs was declared erroneous; ``new_keys`` (see
    :func:`apply`) have no stored state and nothing stored inside them, so they are not read.
    """
    ids = {epc_id for occurrence in occurrences for epc_id, _, _ in occurrence.members}
    states = _load_states(conn, ids.difference(new_keys))
    hidden = {epc_id for epc_id, state in states.items() if state.status in _MAY_HIDE_FLAGS}
    _load_contents(conn, states)
    fold = _Fold(states, check_late=bound is None, watch=hidden)
    for occurrence in occurrences:
        fold.apply(occurrence)
    marks = fold.late | fold.touched | set(retracted)
    gone: set[int] = set()
    if marks:
        scope = _related(conn, _related(conn, marks, downward=True), downward=False)
        replayed = _replay(conn, scope, bound)
        gone = {epc_id for epc_id in scope if epc_id not in replayed}
        fold.states.update(replayed)
        fold.dirty = (fold.dirty | set(replayed)) - gone
    _write(conn, {epc_id: fold.states[epc_id] for epc_id in fold.dirty}, gone, new_keys)


def _members(event: Event, epc_ids: dict[str, int]) -> list[tuple[int, str, int]]:
    if isinstance(event, ObjectEvent):
        groups = [(event.epc_list, Role.EPC)]
    elif isinstance(event, TransactionEvent):
        parent = (event.parent_id,) if event.parent_id else ()
        groups = [(parent, Role.PARENT), (event.epc_list, Role.EPC)]
    elif isinstance(event, AggregationEvent | AssociationEvent):
        parent = (event.parent_id,) if event.parent_id else ()
        groups = [(parent, Role.PARENT), (event.child_epcs, Role.CHILD)]
    else:
        groups = [(event.input_epcs, Role.INPUT), (event.output_epcs, Role.OUTPUT)]
    members: list[tuple[int, str, int]] = []
    seen: set[tuple[int, Role]] = set()
    for uris, role in groups:
        for uri in uris:
            key = canonical_epc(uri)
            epc_id = epc_ids[key]
            if (epc_id, role) not in seen:
                seen.add((epc_id, role))
                members.append((epc_id, key, role.value))
    return members


def _touched_by(conn: Connection, seqs: Sequence[int]) -> set[int]:
    rows = dbapi.select_in(conn, _EPCS_OF, sorted(seqs), "bigint")
    return {epc_id for (epc_id,) in rows}


def apply(
    conn: Connection,
    captured: Sequence[CapturedEvent],
    *,
    declared: Sequence[int] = (),
    new_keys: Set[int] = frozenset(),
) -> None:
    """Update ``item_state`` for the events capture has just written (same transaction).

    ``declared`` are the ``seq`` of stored events that an errorDeclaration of this capture has
    just marked (``event.error_declared``): the items they touched are replayed without them
    (EPCIS 2.0 §7.4.1.2). Call it after the event rows and declarations are written.

    ``new_keys`` are ``epc.id`` keys that the caller created in this transaction for these
    events (never used by any earlier event): they cannot have an ``item_state`` row or stored
    contents yet, so the projection neither reads nor upserts them — their rows are inserted.
    """
    if not captured and not declared:
        return
    ordered = sorted(captured, key=lambda item: item.seq)
    occurrences = [
        _Occurrence(
            view_of(item.seq, item.event, canonical_epc),
            _members(item.event, item.epc_ids) if item.members is None else item.members,
        )
        for item in ordered
    ]
    _run(conn, occurrences, None, _touched_by(conn, declared), new_keys)


def rebuild(conn: Connection) -> int:
    """Rebuild ``item_state`` from the whole log in (event_time, seq) order; return its rows."""
    ev = schema.event
    conn.execute(sa.delete(_STATE))
    after: _Bound | None = None
    while True:
        query = sa.select(ev.c.seq, ev.c.event_time, ev.c.error_declared, ev.c.body)
        if after is not None:
            query = query.where(sa.tuple_(ev.c.event_time, ev.c.seq) > sa.tuple_(*after))
        batch = conn.execute(query.order_by(ev.c.event_time, ev.c.seq).limit(_REBUILD_BATCH)).all()
        if not batch:
            break
        rows = [(seq, time, bool(declared), bytes(body)) for seq, time, declared, body in batch]
        after = (rows[-1][1], rows[-1][0])
        _run(conn, _occurrences(conn, rows), after)
    count = conn.execute(sa.select(sa.func.count()).select_from(_STATE)).scalar_one()
    return int(count)


def get_item(conn: Connection, canonical_uri: str) -> ItemState | None:
    """The state of the item with this canonical key, or None if the log never touched it.

    Plain SQL through the driver (:mod:`medtrace.store.dbapi`): SQLAlchemy's statement handling
    cost more than the lookup. (A verification reads the same columns in one statement with the
    pack's persistent dispositions: :mod:`medtrace.verify.responder`, :func:`item_from_row`.)
    """
    rows = dbapi.execute(conn, _GET_ITEM, (canonical_uri,))
    return item_from_row(rows[0]) if rows else None


def item_from_row(row: Sequence[Any]) -> ItemState:
    """The :class:`ItemState` of an ``item_state`` row selected in :data:`ITEM_COLUMNS` order."""
    epc_id, state = _snapshot(row)
    return ItemState(
        epc_id=epc_id,
        **{name: getattr(state, name) for name in _COLUMNS if name != "epc_id"},
    )
