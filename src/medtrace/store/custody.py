"""Chain of custody of one EPC, through the containers it travelled in (EPCIS 2.0 §7.4.3).

An item packed into a case, the case onto a pallet, and the pallet shipped never appears in the
shipping event itself: that event names the pallet's SSCC only. The item's history is therefore
its own events **plus the events of every container it was inside, while it was inside**.

Containment comes from the AggregationEvent log (EPCIS 2.0 §7.4.3): ``ADD`` (and ``OBSERVE``,
which confirms it) puts the children into the parent from that event on; ``DELETE`` takes the
listed children out, and a ``DELETE`` without children empties the parent. An ``ADD`` into
another parent ends the previous containment (a thing is in one container at a time). Intervals
are computed on ``(eventTime, seq)``, level by level up to the outermost container (two indexed
queries per level), then one query reads every event of the item and its containers and keeps a
container's event when it happened strictly inside the item's interval in that container, or
closed it. AggregationEvents in which a container only appears as the parent (other children
packed or unpacked) are not part of the item's history.

After each step the chain carries the **custodian** and the **location**, by the same rules as
the item-state projection (:mod:`medtrace.store.lifecycle`): the custodian is the owning party
(CBV 2.0 §7.4 source/destination type ``owning_party``); commissioning and shipping set it to
the *source* owning party (under DSCSA the seller stays owner of record until the buyer
receives), ``receiving``/``accepting`` to the *destination* owning party, other events leave
it. The location is the event's ``bizLocation``; an event without one keeps the previous
location, unless its disposition is ``in_transit`` (CBV 2.0 §7.2): then it is unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from medtrace.epcis.model import BizTransaction
from medtrace.store.codec import canonical_epc, from_micros
from medtrace.store.schema import (
    ROLE_CHILD,
    ROLE_CHILD_CLASS,
    ROLE_PARENT,
    epc,
    event,
    event_biz_transaction,
    event_epc,
    event_source_dest,
    item_state,
)

__all__ = ["CustodyStep", "children", "history"]

OWNING_PARTY: Final = "urn:epcglobal:cbv:sdt:owning_party"
_BIZSTEP: Final = "urn:epcglobal:cbv:bizstep:"
#: Steps after which the source owning party holds the item (CBV 2.0 §7.1).
SOURCE_OWNER_STEPS: Final = frozenset({_BIZSTEP + "commissioning", _BIZSTEP + "shipping"})
#: Steps after which the destination owning party holds the item.
DESTINATION_OWNER_STEPS: Final = frozenset({_BIZSTEP + "receiving", _BIZSTEP + "accepting"})
IN_TRANSIT: Final = "urn:epcglobal:cbv:disp:in_transit"
AGGREGATION: Final = "AggregationEvent"
#: Containers nested deeper than this are not followed (guards against cyclic data).
MAX_DEPTH: Final = 16

Key = tuple[int, int]
"""A point in the log: ``(event_time µs, seq)``."""
_BEFORE_ALL: Final[Key] = (-(2**63), 0)
_AFTER_ALL: Final[Key] = (2**63, 0)


@dataclass(frozen=True, slots=True)
class CustodyStep:
    """One event in an item's chain of custody, with custodian and location after it.

    ``via`` is the container (canonical URI) whose event this is, ``None`` for the item's own.
    """

    event_id: str
    event_time: datetime
    event_type: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    via: str | None
    custodian: str | None
    location: str | None
    read_point: str | None
    biz_transactions: tuple[BizTransaction, ...] = ()


@dataclass(frozen=True, slots=True)
class _Interval:
    """A child inside ``parent`` from ``start`` to ``end`` (exclusive keys)."""

    parent: int
    start: Key
    end: Key


# The statements of :func:`history`, built once (expanding bind parameters for the IN lists):
# building them per call cost most of a history lookup; SQLAlchemy caches their compiled form.
_C, _P = event_epc.alias("c"), event_epc.alias("p")
_EPC_ID: Final = sa.select(epc.c.id).where(epc.c.uri == sa.bindparam("uri"))
_CONTAINED: Final = (
    sa.select(_C.c.epc_id, _P.c.epc_id, event.c.action, event.c.event_time, event.c.seq)
    .select_from(_C)
    .join(event, event.c.seq == _C.c.seq)
    .join(_P, sa.and_(_P.c.seq == _C.c.seq, _P.c.role == ROLE_PARENT))
    .where(
        _C.c.role == ROLE_CHILD,
        _C.c.epc_id.in_(sa.bindparam("ids", expanding=True)),
        event.c.event_type == AGGREGATION,
    )
)
_HAS_CHILDREN: Final = sa.select(_C.c.seq).where(
    _C.c.seq == _P.c.seq, _C.c.role.in_((ROLE_CHILD, ROLE_CHILD_CLASS))
)
_EMPTIED: Final = (
    sa.select(_P.c.epc_id, event.c.event_time, event.c.seq)
    .select_from(_P)
    .join(event, event.c.seq == _P.c.seq)
    .where(
        _P.c.role == ROLE_PARENT,
        _P.c.epc_id.in_(sa.bindparam("parents", expanding=True)),
        event.c.event_type == AGGREGATION,
        event.c.action == "DELETE",
        ~_HAS_CHILDREN.exists(),
    )
)
_URIS: Final = sa.select(epc.c.id, epc.c.uri).where(
    epc.c.id.in_(sa.bindparam("ids", expanding=True))
)
_EVENTS: Final = (
    sa.select(
        event_epc.c.epc_id,
        event_epc.c.role,
        event.c.seq,
        event.c.event_time,
        event.c.event_id,
        event.c.event_type,
        event.c.action,
        event.c.biz_step,
        event.c.disposition,
        event.c.read_point,
        event.c.biz_location,
    )
    .select_from(event_epc)
    .join(event, event.c.seq == event_epc.c.seq)
    .where(event_epc.c.epc_id.in_(sa.bindparam("ids", expanding=True)))
)
_PARTIES: Final = sa.select(
    event_source_dest.c.seq,
    event_source_dest.c.kind,
    event_source_dest.c.type,
    event_source_dest.c.value,
).where(event_source_dest.c.seq.in_(sa.bindparam("seqs", expanding=True)))
_TRANSACTIONS: Final = (
    sa.select(
        event_biz_transaction.c.seq, event_biz_transaction.c.type, event_biz_transaction.c.value
    )
    .where(event_biz_transaction.c.seq.in_(sa.bindparam("seqs", expanding=True)))
    .order_by(
        event_biz_transaction.c.seq, event_biz_transaction.c.type, event_biz_transaction.c.value
    )
)


def _epc_id(conn: Connection, uri: str) -> int | None:
    found = conn.execute(_EPC_ID, {"uri": canonical_epc(uri)}).scalar()
    return None if found is None else int(found)


def _containment(conn: Connection, child_ids: Iterable[int]) -> dict[int, list[_Interval]]:
    """Every interval each child spent in a parent, from the aggregation log (two queries)."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    rows = conn.execute(_CONTAINED, {"ids": ids}).all()
    parents = sorted({int(row[1]) for row in rows})
    emptied: dict[int, list[Key]] = defaultdict(list)
    if parents:
        for parent, time, seq in conn.execute(_EMPTIED, {"parents": parents}):
            emptied[int(parent)].append((int(time), int(seq)))
    steps: dict[int, list[tuple[Key, str, int]]] = defaultdict(list)
    for child, parent, action, time, seq in rows:
        steps[int(child)].append(((int(time), int(seq)), str(action), int(parent)))
    result: dict[int, list[_Interval]] = {}
    for child, child_steps in steps.items():
        result[child] = _replay(child_steps, emptied)
    return result


def _replay(steps: list[tuple[Key, str, int]], emptied: dict[int, list[Key]]) -> list[_Interval]:
    """The intervals of one child, replaying its aggregation steps in ``(eventTime, seq)`` order."""
    timeline = [(key, action, parent) for key, action, parent in steps]
    for parent in {parent for _, _, parent in steps}:
        timeline += [(key, "EMPTY", parent) for key in emptied.get(parent, ())]
    timeline.sort()
    intervals: list[_Interval] = []
    current: int | None = None
    since = _BEFORE_ALL
    for key, action, parent in timeline:
        if action in {"ADD", "OBSERVE"}:
            if current == parent:
                continue
            if current is not None:
                intervals.append(_Interval(current, since, key))
            current, since = parent, key
        elif current == parent:  # DELETE of this child, or the parent emptied
            intervals.append(_Interval(current, since, key))
            current = None
    if current is not None:
        intervals.append(_Interval(current, since, _AFTER_ALL))
    return intervals


def _containers(conn: Connection, item: int) -> dict[int, tuple[int, list[tuple[Key, Key]]]]:
    """Containers of ``item``, each with its nesting level and the item's time inside it."""
    found: dict[int, tuple[int, list[tuple[Key, Key]]]] = {item: (0, [(_BEFORE_ALL, _AFTER_ALL)])}
    frontier = {item: found[item][1]}
    for level in range(1, MAX_DEPTH + 1):
        if not frontier:
            break
        history = _containment(conn, frontier)
        reached: dict[int, list[tuple[Key, Key]]] = defaultdict(list)
        for child, intervals in history.items():
            for inside in intervals:
                for start, end in frontier[child]:
                    lo, hi = max(start, inside.start), min(end, inside.end)
                    if lo < hi:
                        reached[inside.parent].append((lo, hi))
        frontier = {}
        for parent, spans in reached.items():
            if parent in found:
                continue  # cyclic data: a container already on the path
            found[parent] = (level, spans)
            frontier[parent] = spans
    return found


def _keep(
    key: Key, roles: set[int], event_type: str, spans: Sequence[tuple[Key, Key]], level: int
) -> bool:
    if level == 0:
        return True
    if any(key == end for _, end in spans):
        return True
    if event_type == AGGREGATION and roles == {ROLE_PARENT}:
        return False
    return any(start < key < end for start, end in spans)


def _by_seq(
    conn: Connection, seqs: list[int]
) -> tuple[dict[int, list[tuple[str, str, str]]], dict[int, list[BizTransaction]]]:
    parties: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for seq, kind, type_, value in conn.execute(_PARTIES, {"seqs": seqs}):
        parties[int(seq)].append((str(kind), str(type_), str(value)))
    transactions: dict[int, list[BizTransaction]] = defaultdict(list)
    for seq, type_, value in conn.execute(_TRANSACTIONS, {"seqs": seqs}):
        transactions[int(seq)].append(BizTransaction(value=value, type=type_))
    return parties, transactions


def _custodian(
    parties: list[tuple[str, str, str]], biz_step: str | None, previous: str | None
) -> str | None:
    owners = {kind: value for kind, type_, value in sorted(parties) if type_ == OWNING_PARTY}
    if biz_step in SOURCE_OWNER_STEPS and "s" in owners:
        return owners["s"]
    if biz_step in DESTINATION_OWNER_STEPS and "d" in owners:
        return owners["d"]
    return previous


def history(conn: Connection, epc_uri: str) -> list[CustodyStep]:
    """The chain of custody of ``epc_uri`` (any EPC form), oldest first (by eventTime, seq)."""
    item = _epc_id(conn, epc_uri)
    if item is None:
        return []
    containers = _containers(conn, item)
    ids = sorted(containers)
    uris = {int(key): str(uri) for key, uri in conn.execute(_URIS, {"ids": ids})}
    rows = conn.execute(_EVENTS, {"ids": ids}).all()
    roles: dict[tuple[int, int], set[int]] = defaultdict(set)
    for found in rows:
        roles[(int(found.epc_id), int(found.seq))].add(int(found.role))
    details = {int(found.seq): found for found in rows}
    chosen: dict[int, int] = {}  # seq -> container it applies through (nearest level)
    for (holder, seq), held in roles.items():
        level, spans = containers[holder]
        key = (int(details[seq].event_time), seq)
        if not _keep(key, held, str(details[seq].event_type), spans, level):
            continue
        if seq not in chosen or containers[chosen[seq]][0] > level:
            chosen[seq] = holder
    ordered = sorted(chosen, key=lambda seq: (int(details[seq].event_time), seq))
    parties, transactions = _by_seq(conn, ordered)
    steps: list[CustodyStep] = []
    custodian: str | None = None
    location: str | None = None
    for seq in ordered:
        row = details[seq]
        custodian = _custodian(parties.get(seq, []), row.biz_step, custodian)
        if row.biz_location is not None:
            location = str(row.biz_location)
        elif row.disposition == IN_TRANSIT:
            location = None
        holder = chosen[seq]
        steps.append(
            CustodyStep(
                event_id=str(row.event_id),
                event_time=from_micros(int(row.event_time)),
                event_type=str(row.event_type),
                action=row.action,
                biz_step=row.biz_step,
                disposition=row.disposition,
                via=None if holder == item else str(uris[holder]),
                custodian=custodian,
                location=location,
                read_point=row.read_point,
                biz_transactions=tuple(transactions.get(seq, ())),
            )
        )
    return steps


def children(conn: Connection, epc_uri: str) -> list[str]:
    """The current direct children (canonical URIs) of the container ``epc_uri``, sorted.

    Read from the item-state projection (``item_state.parent_id``); when the projection does
    not know the container, replayed from the aggregation log (EPCIS 2.0 §7.4.3).
    """
    parent = _epc_id(conn, epc_uri)
    if parent is None:
        return []
    projected = sorted(
        conn.execute(sa.select(item_state.c.uri).where(item_state.c.parent_id == parent)).scalars()
    )
    known = conn.execute(
        sa.select(item_state.c.epc_id).where(item_state.c.epc_id == parent)
    ).first()
    if projected or known is not None:
        return [str(uri) for uri in projected]
    c, p = event_epc.alias("c"), event_epc.alias("p")
    candidates = conn.execute(
        sa.select(c.c.epc_id)
        .distinct()
        .select_from(p)
        .join(c, sa.and_(c.c.seq == p.c.seq, c.c.role == ROLE_CHILD))
        .join(event, event.c.seq == p.c.seq)
        .where(p.c.role == ROLE_PARENT, p.c.epc_id == parent, event.c.event_type == AGGREGATION)
    ).scalars()
    current = [
        child
        for child, intervals in _containment(conn, (int(x) for x in candidates)).items()
        if intervals and intervals[-1].parent == parent and intervals[-1].end == _AFTER_ALL
    ]
    if not current:
        return []
    uris = conn.execute(sa.select(epc.c.uri).where(epc.c.id.in_(current))).scalars()
    return sorted(str(uri) for uri in uris)
