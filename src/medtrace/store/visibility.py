"""Which events and items an organization may see (DESIGN.md "Tenancy"; docs/security.md).

Regulators and admins see everything. Any other organization *P* sees an event *e* when

1. **P captured it** (``event.capture_job`` → ``capture_job.org_id``);
2. **it names P**: its ``readPoint`` or ``bizLocation`` is one of P's locations, or one of its
   sources/destinations (CBV 2.0 §7.4 ``owning_party``, ``possessing_party``, ``location``) is
   one of P's locations or parties — the event is *addressed to* P;
3. **it names P's own product or container**: an identifier whose GTIN (SGTIN, LGTIN, GTIN
   class) or SSCC carries one of P's GS1 Company Prefixes (a manufacturer sees the events of
   its own products, wherever they are);
4. **it names an instance identifier that was in P's custody** (see below), at any time.

P's locations and parties are its GLNs in canonical GS1 Digital Link form
(:func:`medtrace.store.codec.canonical_epc`): ``https://id.gs1.org/414/{gln}`` with or without a
``/254/{extension}`` (SGLN), and ``https://id.gs1.org/417/{gln}`` (party GLN, PGLN).

**Custody.** An *anchor* of P is an event that names P (rule 2) and that was captured by
someone else — another organization, or the installation itself (an unauthenticated capture such
as ``medtrace capture``). P had custody of an instance identifier *X* (EPCIS 2.0 §7.3.3
``epcList``/``parentID``/``childEPCs``/``inputEPCList``/``outputEPCList``) if an anchor names *X*,
or names a container *X* was inside at the anchor's moment, through up to :data:`NESTING`
levels (item ⊂ case ⊂ pallet ⊂ …). Containment follows the AggregationEvent log exactly as
:mod:`medtrace.store.custody` replays it (EPCIS 2.0 §7.4.3): *X* is inside *Y* from an ``ADD``
or ``OBSERVE`` of *X* into *Y* until a ``DELETE`` of *X* from *Y*, an ``ADD``/``OBSERVE`` of *X*
into another parent, or a ``DELETE`` emptying *Y*. Requiring the anchor to be captured by
someone else means an organization cannot grant itself custody of other parties' products by
capturing an event that claims it (it sees that event, nothing more). Classes (quantity lists)
never give custody: a lot is held by many.

**Items.** The chain of an item is its history (:func:`medtrace.store.custody.history`: its
events and those of its containers while it was inside). P sees the whole chain — the DSCSA
transaction history — of an item in its custody or carrying its prefix; of any other item it
sees only the steps whose events it sees, with custodian and location withheld, and the item
state without custodian, location and parent. An item none of whose events P sees does not
exist for P (not found, never forbidden: existence is not leaked).

Every condition is a correlated ``EXISTS`` driven by the store's indexes: ``capture_job`` by
primary key, ``event_source_dest`` by (``type``, ``value``), ``event_epc`` by ``seq`` and by
(``epc_id``, …), ``epc`` by primary key; the organization's canonical values and key prefixes
are computed once per principal (:func:`scope_of`). The custody rule is one flat ``EXISTS`` per
nesting depth on SQLite (:func:`_flat`) and one recursive query over the item's containers on
PostgreSQL (:func:`_chain`); ``tests/store/test_custody_chain.py`` holds both to the
level-by-level statement of the rule (:func:`_reached`).

>>> from medtrace.store.principal import Role
>>> p = Principal("o1", "Pharmacy", Role.OPERATOR, glns=frozenset({"0614141000005"}))
>>> scope_of(p).parties
('https://id.gs1.org/414/0614141000005', 'https://id.gs1.org/417/0614141000005')
>>> owns_identifier(Principal("o2", "Maker", Role.OPERATOR, company_prefixes=frozenset(
...     {"0614141"})), "https://id.gs1.org/01/10614141073464/21/7")
True
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from medtrace.store import dbapi
from medtrace.store.custody import CustodyStep
from medtrace.store.principal import Principal
from medtrace.store.projection import ItemState
from medtrace.store.schema import (
    ROLE_CHILD,
    ROLE_CHILD_CLASS,
    ROLE_EPC,
    ROLE_INPUT,
    ROLE_OUTPUT,
    ROLE_PARENT,
    capture_job,
    epc,
    event,
    event_epc,
    event_source_dest,
)

__all__ = [
    "INSTANCE_ROLES",
    "NESTING",
    "OrgScope",
    "custody_condition",
    "held_count",
    "in_custody",
    "owns_identifier",
    "restrict_history",
    "restrict_item",
    "scope_condition",
    "scope_of",
    "visible_condition",
    "visible_epc_ids",
    "visible_event_ids",
]

#: Container levels followed when deriving custody (item ⊂ case ⊂ pallet ⊂ shipper).
NESTING: Final = 3
_DL: Final = "https://id.gs1.org"
#: The ``event_epc`` roles of instance identifiers (EPCIS 2.0 §7.3.3), the ones custody covers.
INSTANCE_ROLES: Final = (ROLE_EPC, ROLE_PARENT, ROLE_CHILD, ROLE_INPUT, ROLE_OUTPUT)
#: CBV 2.0 §7.4 source/destination types that name a party or a location.
_SD_TYPES: Final = (
    "urn:epcglobal:cbv:sdt:owning_party",
    "urn:epcglobal:cbv:sdt:possessing_party",
    "urn:epcglobal:cbv:sdt:location",
)
_AGGREGATION: Final = "AggregationEvent"
_INTO: Final = ("ADD", "OBSERVE")
_CHUNK: Final = 900
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class OrgScope:
    """The canonical values that identify an organization in the event log.

    ``locations``: SGLNs without extension; ``location_prefixes``: the same followed by
    ``/254/`` (any extension); ``parties``: locations and PGLNs (sources/destinations);
    ``key_prefixes``: Digital Link prefixes of GTINs and SSCCs under the company prefixes.
    """

    org_id: str
    locations: tuple[str, ...]
    location_prefixes: tuple[str, ...]
    parties: tuple[str, ...]
    key_prefixes: tuple[str, ...]


@lru_cache(maxsize=1024)
def scope_of(principal: Principal) -> OrgScope:
    """Precompute ``principal``'s canonical location, party and key prefixes."""
    glns = sorted(principal.glns)
    locations = tuple(f"{_DL}/414/{gln}" for gln in glns)
    keys = [
        f"{_DL}/{ai}/{digit}{prefix}"
        for prefix in sorted(principal.company_prefixes)
        for ai in ("01", "00")
        for digit in "0123456789"
    ]
    return OrgScope(
        org_id=principal.org_id,
        locations=locations,
        location_prefixes=tuple(f"{loc}/254/" for loc in locations),
        parties=tuple(sorted((*locations, *(f"{_DL}/417/{gln}" for gln in glns)))),
        key_prefixes=tuple(keys),
    )


def owns_identifier(principal: Principal, uri: str) -> bool:
    """Whether the canonical identifier ``uri`` is a GTIN/SSCC under the principal's prefixes."""
    return uri.startswith(scope_of(principal).key_prefixes)


# --------------------------------------------------------------------------- SQL pieces


def _has_prefix(column: ColumnElement[str], prefix: str, dialect: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``: a case-sensitive, index-friendly range on SQLite
    (whose ``LIKE`` ignores ASCII case), ``LIKE 'prefix%'`` on PostgreSQL."""
    if dialect == "sqlite":
        successor = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return sa.and_(column >= prefix, column < successor)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def _one_of(
    column: ColumnElement[str], exact: Sequence[str], prefixes: Sequence[str], dialect: str
) -> ColumnElement[bool]:
    options: list[ColumnElement[bool]] = [column.in_(list(exact))] if exact else []
    stems = _sgln_stems(prefixes)
    if dialect == "postgresql" and stems is not None:
        # one condition instead of a LIKE per location: PostgreSQL initialises every
        # expression of a plan on every execution, and the organization's locations appear in
        # a dozen of the visibility condition's subplans (a 20-GLN distributor's MATCH_anyEPC:
        # ExecutorStart was a quarter of the server's CPU)
        options.append(
            sa.and_(
                sa.func.strpos(column, _SGLN_EXTENSION) > 0,
                sa.func.split_part(column, _SGLN_EXTENSION, 1).in_(stems),
            )
        )
    else:
        options += [_has_prefix(column, prefix, dialect) for prefix in prefixes]
    return sa.or_(*options) if options else sa.false()


#: What separates a GLN from its extension in a canonical SGLN (``…/414/{gln}/254/{ext}``).
_SGLN_EXTENSION: Final = "/254/"


def _sgln_stems(prefixes: Sequence[str]) -> list[str] | None:
    """The locations of ``prefixes`` when every one is ``{location}/254/`` (an SGLN with any
    extension) and no location holds ``/254/`` itself; else ``None``.

    Then "``value`` starts with one of the prefixes" is "``value`` holds ``/254/`` and its part
    before the first ``/254/`` is one of the locations".
    """
    stems = [prefix[: -len(_SGLN_EXTENSION)] for prefix in prefixes]
    if not prefixes or any(
        not prefix.endswith(_SGLN_EXTENSION) or _SGLN_EXTENSION in stem
        for prefix, stem in zip(prefixes, stems, strict=True)
    ):
        return None
    return stems


Key = tuple[ColumnElement[int], ColumnElement[int]]


def _key(table: sa.FromClause) -> Key:
    return (table.c.event_time, table.c.seq)


def _before(a: Key, b: Key) -> ColumnElement[bool]:
    """``a < b`` in ``(eventTime, seq)`` order."""
    return sa.or_(a[0] < b[0], sa.and_(a[0] == b[0], a[1] < b[1]))


def _not_after(a: Key, b: Key) -> ColumnElement[bool]:
    """``a <= b`` in ``(eventTime, seq)`` order."""
    return sa.or_(a[0] < b[0], sa.and_(a[0] == b[0], a[1] <= b[1]))


def names_org(scope: OrgScope, ev: sa.FromClause, dialect: str) -> ColumnElement[bool]:
    """Rule 2: the event ``ev`` names one of the organization's locations or parties."""
    if not scope.locations:
        return sa.false()
    sd = event_source_dest.alias()
    addressed = (
        sa.exists()
        .where(
            sd.c.seq == ev.c.seq,
            sd.c.type.in_(_SD_TYPES),
            _one_of(sd.c.value, scope.parties, scope.location_prefixes, dialect),
        )
        .correlate_except(sd)
    )
    return sa.or_(
        _one_of(ev.c.biz_location, scope.locations, scope.location_prefixes, dialect),
        _one_of(ev.c.read_point, scope.locations, scope.location_prefixes, dialect),
        addressed,
    )


def _captured_by(scope: OrgScope, ev: sa.FromClause) -> ColumnElement[bool]:
    cj = capture_job.alias()
    return (
        sa.exists()
        .where(cj.c.id == ev.c.capture_job, cj.c.org_id == scope.org_id)
        .correlate_except(cj)
    )


def _anchor(scope: OrgScope, ev: sa.FromClause, dialect: str) -> ColumnElement[bool]:
    """An event naming the organization, captured by someone else (attested custody)."""
    return sa.and_(names_org(scope, ev, dialect), sa.not_(_captured_by(scope, ev)))


def _never(found: sa.Exists, dialect: str) -> ColumnElement[bool]:
    """``NOT EXISTS``; on PostgreSQL kept as a (cheap, indexed) subplan, which would otherwise
    pull every anti-join up into one join problem whose planning time grows steeply with its
    size. (SQLite plans it well as it is, and its parser limits the nesting depth.)"""
    if dialect == "sqlite":
        return ~found
    return sa.case((found, 1), else_=0) == 0


def _aggregation(ev: sa.FromClause, dialect: str) -> ColumnElement[bool]:
    """``ev`` is an AggregationEvent, as a filter that never chooses the access path.

    Every custody subquery starts from an identifier (``event_epc`` by ``epc_id``) and reaches
    its events by primary key. Without planner statistics (no ``ANALYZE``: the normal state
    of a SQLite store) SQLite estimates an equality on an indexed column at a handful of rows
    whatever the column, and it drove the ``DELETE``-emptied check from ``ix_event_event_type``
    instead: every AggregationEvent of the store for every identifier checked (182 s for one
    query on a 10M-row store). On SQLite the column is written ``+event_type``, which the
    planner never answers from an index (sqlite.org/optoverview.html §"Disqualifying WHERE
    clause terms"); PostgreSQL plans from its statistics and gets the plain column.
    """
    column: ColumnElement[str] = ev.c.event_type
    if dialect == "sqlite":
        column = UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return column == _AGGREGATION


Ending = tuple[sa.FromClause, tuple[sa.FromClause, ...], list[ColumnElement[bool]]]


def _moves(gc: sa.FromClause, gp: sa.FromClause, dialect: str) -> Ending:
    """Events that end the child ``gc``'s stay in the parent ``gp`` by moving it (EPCIS 2.0
    §7.4.3): a ``DELETE`` of the child from that parent, an ``ADD``/``OBSERVE`` of it into
    another parent. ``(the event, the aliases to keep uncorrelated, conditions)``."""
    e2, c2, p2 = event.alias(), event_epc.alias(), event_epc.alias()
    return (
        e2,
        (e2, c2, p2),
        [
            c2.c.epc_id == gc.c.epc_id,
            c2.c.role == ROLE_CHILD,
            e2.c.seq == c2.c.seq,
            p2.c.seq == e2.c.seq,
            p2.c.role == ROLE_PARENT,
            _aggregation(e2, dialect),
            sa.or_(
                sa.and_(e2.c.action == "DELETE", p2.c.epc_id == gp.c.epc_id),
                sa.and_(e2.c.action.in_(_INTO), p2.c.epc_id != gp.c.epc_id),
            ),
        ],
    )


def _emptyings(gp: sa.FromClause, dialect: str) -> Ending:
    """Events that empty the parent ``gp``: a ``DELETE`` naming no child (EPCIS 2.0 §7.4.3)."""
    e3, p3, x3 = event.alias(), event_epc.alias(), event_epc.alias()
    return (
        e3,
        (e3, p3),
        [
            p3.c.epc_id == gp.c.epc_id,
            p3.c.role == ROLE_PARENT,
            e3.c.seq == p3.c.seq,
            _aggregation(e3, dialect),
            e3.c.action == "DELETE",
            ~sa.exists()
            .where(x3.c.seq == e3.c.seq, x3.c.role.in_((ROLE_CHILD, ROLE_CHILD_CLASS)))
            .correlate_except(x3),
        ],
    )


def _still_inside(
    g: sa.FromClause, gc: sa.FromClause, gp: sa.FromClause, at: Key, dialect: str
) -> list[ColumnElement[bool]]:
    """The containment ``g`` put in place (child ``gc`` into parent ``gp``) held at ``at``.

    ``g`` is an ``ADD``/``OBSERVE`` not after ``at``, and no event ended the containment
    strictly between the two (EPCIS 2.0 §7.4.3): a ``DELETE`` of the child from that parent,
    an ``ADD``/``OBSERVE`` of the child into another parent, or a ``DELETE`` emptying the parent.
    """
    added = _key(g)
    ended = []
    for end, aliases, conditions in (_moves(gc, gp, dialect), _emptyings(gp, dialect)):
        between = [_before(added, _key(end)), _before(_key(end), at)]
        found = sa.exists().where(*conditions, *between).correlate_except(*aliases)
        ended.append(_never(found, dialect))
    return [_not_after(added, at), *ended]


def _reached(
    scope: OrgScope,
    holder: ColumnElement[int],
    levels: list[tuple[sa.FromClause, sa.FromClause, sa.FromClause]],
    depth: int,
    dialect: str,
) -> ColumnElement[bool]:
    """``holder`` is named by an anchor, or sits (within ``depth`` more levels) in a container
    that is, with every containment on the way (``levels``) holding at the anchor's moment.

    Each level is its own small correlated ``EXISTS`` so that the planners never face one
    large join (PostgreSQL's planning time grows steeply with the number of joined tables).
    """
    anchor, named = event.alias(), event_epc.alias()
    where = [
        named.c.epc_id == holder,
        named.c.role.in_(INSTANCE_ROLES),
        anchor.c.seq == named.c.seq,
        _anchor(scope, anchor, dialect),
    ]
    for g, gc, gp in levels:
        where += _still_inside(g, gc, gp, _key(anchor), dialect)
    options: list[ColumnElement[bool]] = [sa.exists().where(*where).correlate_except(anchor, named)]
    if depth > 0:
        (g, gc, gp), conditions = _level(holder)
        inner = _reached(scope, gp.c.epc_id, [*levels, (g, gc, gp)], depth - 1, dialect)
        options.append(sa.exists().where(*conditions, inner).correlate_except(g, gc, gp))
    return sa.or_(*options)


def _level(
    holder: ColumnElement[int],
) -> tuple[tuple[sa.FromClause, sa.FromClause, sa.FromClause], list[ColumnElement[bool]]]:
    """A containment step up from ``holder``: an ``ADD``/``OBSERVE`` aggregation ``g`` naming
    it as a child (``gc``) of a parent (``gp``)."""
    g, gc, gp = event.alias(), event_epc.alias(), event_epc.alias()
    return (g, gc, gp), [
        gc.c.epc_id == holder,
        gc.c.role == ROLE_CHILD,
        g.c.seq == gc.c.seq,
        g.c.event_type == _AGGREGATION,
        g.c.action.in_(_INTO),
        gp.c.seq == g.c.seq,
        gp.c.role == ROLE_PARENT,
    ]


def _flat(scope: OrgScope, item: ColumnElement[int], dialect: str) -> ColumnElement[bool]:
    """SQLite form of :func:`_reached`: one flat ``EXISTS`` per depth (SQLite's parser limits
    the nesting depth of a statement; its planner handles the joins well)."""
    options: list[ColumnElement[bool]] = []
    for depth in range(NESTING + 1):
        anchor, named = event.alias(), event_epc.alias()
        froms: list[sa.FromClause] = [named, anchor]
        where: list[ColumnElement[bool]] = []
        holder = item
        for _ in range(depth):
            (g, gc, gp), conditions = _level(holder)
            froms += [gc, g, gp]
            where += conditions + _still_inside(g, gc, gp, _key(anchor), dialect)
            holder = gp.c.epc_id
        where += [
            named.c.epc_id == holder,
            named.c.role.in_(INSTANCE_ROLES),
            anchor.c.seq == named.c.seq,
            _anchor(scope, anchor, dialect),
        ]
        select = sa.select(sa.literal(1)).select_from(*froms).where(*where)
        options.append(select.correlate_except(*froms).exists())
    return sa.or_(*options)


#: ``(eventTime, seq)`` as one ordered number on PostgreSQL: ``eventTime · SEQ_SPAN + seq``
#: (``numeric``; sequences stay far below 10¹²).
SEQ_SPAN: Final = 10**12


def _moment(ev: sa.FromClause) -> ColumnElement[Any]:
    """``(eventTime, seq)`` of ``ev`` as one ``numeric`` (same order)."""
    return sa.cast(ev.c.event_time, sa.Numeric) * SEQ_SPAN + ev.c.seq


def _ends(g: sa.FromClause, gc: sa.FromClause, gp: sa.FromClause) -> list[ColumnElement[Any]]:
    """The moments of the first events after ``g`` that ended the containment ``g`` put in
    place (child ``gc`` into parent ``gp``), by kind (:func:`_moves`, :func:`_emptyings`);
    ``NULL`` when none."""
    firsts: list[ColumnElement[Any]] = []
    for end, aliases, conditions in (_moves(gc, gp, "postgresql"), _emptyings(gp, "postgresql")):
        first = sa.select(sa.func.min(_moment(end))).where(*conditions, _before(_key(g), _key(end)))
        firsts.append(first.correlate_except(*aliases).scalar_subquery())
    return firsts


def _chain(scope: OrgScope, item: ColumnElement[int]) -> ColumnElement[bool]:
    """PostgreSQL form of the custody rule: one recursive query instead of :func:`_reached`.

    ``chain`` holds ``item`` and every container it was inside, up to :data:`NESTING` levels,
    each with the span ``[lo, hi]`` of moments (:func:`_moment`) during which every
    containment on the way held: a containment ``g`` holds from ``g`` to the first event that
    ended it, inclusive (:func:`_still_inside`: no ending event *strictly* between ``g`` and
    the anchor), and the spans of the levels intersect. Custody is an anchor naming a holder of
    the chain within its span. Same answers as :func:`_reached` (the tests compare the two),
    but its plan has a handful of subplans instead of ~30: PostgreSQL initialises and tears
    down every subplan of a statement on every execution, which was most of its time for a
    custody check (0.6 to 0.8 ms of server CPU per check, ~0.25 ms with the chain).
    """
    none = sa.cast(sa.null(), sa.Numeric)
    # the cast: psycopg sends a small bound integer as int2, the recursive term gives bigint
    start = sa.select(
        sa.cast(item, sa.BigInteger).label("holder"),
        sa.literal(0, sa.Integer).label("depth"),
        none.label("lo"),
        none.label("hi"),
    ).correlate_except()
    chain = start.cte("custody_chain", recursive=True, nesting=True)
    link = chain.alias("custody_link")
    (g, gc, gp), step_up = _level(link.c.holder)
    chain = chain.union_all(
        sa.select(
            gp.c.epc_id,
            link.c.depth + 1,
            sa.func.greatest(link.c.lo, _moment(g)),
            sa.func.least(link.c.hi, *_ends(g, gc, gp)),  # LEAST ignores NULLs
        ).where(
            *step_up,
            link.c.depth < NESTING,
            sa.or_(link.c.hi.is_(None), _moment(g) <= link.c.hi),
        )
    )
    anchor, named = event.alias(), event_epc.alias()
    at = _moment(anchor)
    return (
        sa.select(sa.literal(1))
        .select_from(chain)
        .where(
            named.c.epc_id == chain.c.holder,
            named.c.role.in_(INSTANCE_ROLES),
            anchor.c.seq == named.c.seq,
            sa.or_(chain.c.lo.is_(None), at >= chain.c.lo),
            sa.or_(chain.c.hi.is_(None), at <= chain.c.hi),
            _anchor(scope, anchor, "postgresql"),
        )
        .exists()
    )


def _custody(scope: OrgScope, item: ColumnElement[int], dialect: str) -> ColumnElement[bool]:
    if not scope.locations:
        return sa.false()
    if dialect == "sqlite":
        return _flat(scope, item, dialect)
    if dialect == "postgresql":
        return _chain(scope, item)
    return _reached(scope, item, [], NESTING, dialect)


def custody_condition(
    principal: Principal, item: ColumnElement[int], dialect: str
) -> ColumnElement[bool]:
    """The identifier ``item`` (an ``epc_id`` column) was in the principal's custody."""
    return _custody(scope_of(principal), item, dialect)


def _visible_expression(scope: OrgScope, dialect: str) -> ColumnElement[bool]:
    """The visibility rules of the module docstring as one SQLAlchemy expression on ``event``."""
    options = [_captured_by(scope, event), names_org(scope, event, dialect)]
    if scope.key_prefixes:
        ee = event_epc.alias()
        key = epc.alias()
        options.append(
            sa.exists()
            .where(
                ee.c.seq == event.c.seq,
                key.c.id == ee.c.epc_id,
                _one_of(key.c.uri, (), scope.key_prefixes, dialect),
            )
            .correlate_except(ee, key)
        )
    if scope.locations:
        held = event_epc.alias()
        options.append(
            sa.exists()
            .where(
                held.c.seq == event.c.seq,
                held.c.role.in_(INSTANCE_ROLES),
                _custody(scope, held.c.epc_id, dialect),
            )
            .correlate_except(held)
        )
    return sa.or_(*options)


#: Dialects that render the cached conditions (``named`` parameters: ``:name`` markers).
_RENDERERS: Final = {
    "sqlite": sqlite_dialect.dialect(paramstyle="named"),
    "postgresql": postgresql_dialect.base.PGDialect(paramstyle="named"),  # type: ignore[no-untyped-call]
}
#: PostgreSQL as psycopg's driver SQL writes it (``%(name)s``, ``%`` doubled).
_PG_DRIVER: Final = postgresql_dialect.base.PGDialect(paramstyle="pyformat")  # type: ignore[no-untyped-call]
_BIND: Final = re.compile(r"(?<![:\w\\]):(\w+)")  # not an escaped colon (\:)


def _render(
    condition: ColumnElement[bool], dialect: str, *, bound: frozenset[str] = frozenset()
) -> tuple[str, dict[str, object]]:
    """``condition`` (on ``event``) as SQL text, and the values of its remaining parameters.

    The organization's values are written into the text as SQL literals (:func:`_sql_literal`),
    except the parameters named in ``bound`` (renamed ``vis_*`` so that they cannot collide
    with those of the enclosing statement). They are fixed for the organization, and both
    databases do far better with them in the text:

    * SQLite: a custodian's ``MATCH_anyEPC`` query on a 10M-row store took 3.1 ms with the
      ~1,150 values bound and 0.4 ms with literals (the custody check of one identifier alone
      1.5 → 0.13 ms; same rows, same plans): binding every value on every execution and
      evaluating the conditions on parameters cost ten times the lookups themselves.
    * PostgreSQL: bound, they made it plan the statement afresh on every execution (its
      generic plan, without the values, is far worse), 30 to 50 ms of planning for the same
      query, which then ran in 4 ms. With literals the prepared statement's generic plan is
      the custom one and is made once per connection.
    """
    statement = sa.select(event.c.seq).where(condition)
    compiled = statement.compile(
        dialect=_RENDERERS[dialect], compile_kwargs={"render_postcompile": True}
    )
    head, found, where = str(compiled).partition("\nWHERE ")
    if not found or "WHERE" in head:  # pragma: no cover - the select above has one WHERE
        raise RuntimeError(f"unexpected rendering of a visibility condition: {head!r}")
    values = {f"vis_{name}": value for name, value in compiled.params.items()}
    kept = {f"vis_{name}" for name in bound}

    def marker(match: re.Match[str]) -> str:
        name = f"vis_{match.group(1)}"
        return f":{name}" if name in kept else _sql_literal(values[name])

    text = _BIND.sub(marker, where)
    values = {name: value for name, value in values.items() if name in kept}
    missing = set(_BIND.findall(text)) - set(values)
    if missing:  # pragma: no cover - every marker comes from compiled.params
        raise RuntimeError(f"visibility condition: no values for {sorted(missing)}")
    return f"({text})", values


def _sql_literal(value: object) -> str:
    """``value`` as a SQL literal inside SQLAlchemy text: a string in single quotes (quotes
    doubled; SQLite, and PostgreSQL with ``standard_conforming_strings``, on since 9.1, keep
    backslashes literal) with its colons escaped for :class:`~sqlalchemy.sql.expression.
    TextClause` (which would read ``:name`` as a parameter), an integer as digits."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"a visibility value must be text or an integer, got {value!r}")
    if isinstance(value, int):
        return str(value)
    if "\x00" in value:
        raise ValueError(f"a visibility value cannot hold a NUL character: {value!r}")
    return "'" + value.replace("'", "''").replace(":", "\\:") + "'"


@lru_cache(maxsize=256)
def _visible_sql(scope: OrgScope, dialect: str) -> ColumnElement[bool]:
    """:func:`_visible_expression` rendered once to SQL text, per organization and dialect.

    The expression has hundreds of nodes (the custody rule alone is a few dozen correlated
    subqueries); building it and computing its SQLAlchemy cache key took tens of milliseconds
    per query. As text (:func:`_render`) its cache key is cheap, and the database's statement
    cache sees the same SQL for every query of the organization. It has no parameters (the
    organization's values are literals), so its cache key is the text alone.
    """
    text, values = _render(_visible_expression(scope, dialect), dialect)
    if values:  # pragma: no cover - nothing is kept bound here
        raise RuntimeError(f"visibility condition: unexpected parameters {sorted(values)}")
    return sa.and_(sa.text(text))


def visible_condition(principal: Principal | None, dialect: str) -> ColumnElement[bool] | None:
    """The condition on ``event`` rows ``principal`` may see; ``None`` when unrestricted.

    The condition refers to the ``event`` table itself (not an alias): use it in statements
    whose ``FROM`` has ``event`` under its own name.
    """
    if principal is None or principal.sees_everything:
        return None
    return scope_condition(scope_of(principal), dialect)


def scope_condition(scope: OrgScope, dialect: str) -> ColumnElement[bool]:
    """:func:`visible_condition` of an organization's precomputed :func:`scope_of`."""
    if dialect in _RENDERERS:
        return _visible_sql(scope, dialect)
    return _visible_expression(scope, dialect)


# --------------------------------------------------------------------------- checks


def _chunks(values: Sequence[_T]) -> Iterable[list[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def in_custody(conn: Connection, principal: Principal, uri: str) -> bool:
    """Whether the stored identifier ``uri`` (canonical) was ever in the principal's custody."""
    return held_count(conn, principal, [uri]) == 1


def held_count(conn: Connection, principal: Principal, uris: Sequence[str]) -> int:
    """How many of the (distinct, canonical) identifiers ``uris`` the store holds and were ever
    in the principal's custody: one statement, whatever their number.

    ``len(uris)`` means every one of them is stored and was held. A key the store does not hold
    yet counts as not held: a capture committed between this check and a later statement could
    add it.
    """
    if not uris:
        return 0
    dialect = conn.dialect.name
    if dialect not in _RENDERERS:
        key = epc.alias("held_key")
        select = (
            sa.select(sa.func.count())
            .select_from(key)
            .where(key.c.uri.in_(list(uris)), custody_condition(principal, key.c.id, dialect))
        )
        return int(conn.execute(select).scalar_one())
    scope = scope_of(principal)
    if not scope.locations:
        return 0
    params = {f"vis_k{i}": uri for i, uri in enumerate(uris)}
    if dialect == "postgresql":
        # prepared and planned once per connection, like the MATCH_ queries (the custody SQL
        # is the organization's, with only the keys bound: the generic plan is the plan)
        rows = dbapi.execute_planned_once(conn, _held_count_pg(scope, len(uris)), params)
        return int(rows[0][0])
    return int(conn.execute(_held_count_sql(scope, dialect, len(uris)), params).scalar_one())


@lru_cache(maxsize=256)
def _held_count_sql(scope: OrgScope, dialect: str, count: int) -> sa.Select[int]:
    """:func:`held_count`'s statement for ``count`` keys (``:vis_k0``…), rendered once."""
    key = epc.alias("held_key")
    names = [f"k{i}" for i in range(count)]
    condition = sa.and_(
        key.c.uri.in_([sa.bindparam(name, "", type_=epc.c.uri.type) for name in names]),
        _custody(scope, key.c.id, dialect),
    )
    text, _ = _render(condition, dialect, bound=frozenset(names))
    return sa.select(sa.func.count()).select_from(key).where(sa.text(text))


@lru_cache(maxsize=256)
def _held_count_pg(scope: OrgScope, count: int) -> str:
    """:func:`_held_count_sql` as psycopg SQL (``%(vis_k0)s``…)."""
    return str(_held_count_sql(scope, "postgresql", count).compile(dialect=_PG_DRIVER))


def visible_event_ids(conn: Connection, principal: Principal, event_ids: Sequence[str]) -> set[str]:
    """The subset of ``event_ids`` the principal may see."""
    condition = visible_condition(principal, conn.dialect.name)
    found: set[str] = set()
    for chunk in _chunks(sorted(set(event_ids))):
        select = sa.select(event.c.event_id).where(event.c.event_id.in_(chunk))
        if condition is not None:
            select = select.where(condition)
        found.update(str(value) for value in conn.execute(select).scalars())
    return found


def visible_epc_ids(conn: Connection, principal: Principal, epc_ids: Sequence[int]) -> set[int]:
    """The subset of ``epc_ids`` named by at least one event the principal may see."""
    condition = visible_condition(principal, conn.dialect.name)
    found: set[int] = set()
    for chunk in _chunks(sorted(set(epc_ids))):
        ee = event_epc.alias()
        select = sa.select(ee.c.epc_id).distinct().where(ee.c.epc_id.in_(chunk))
        if condition is not None:
            select = select.join(event, event.c.seq == ee.c.seq).where(condition)
        found.update(int(value) for value in conn.execute(select).scalars())
    return found


def _whole_chain(conn: Connection, principal: Principal, uri: str) -> bool:
    """The principal sees the whole chain of ``uri``: its own product, or in its custody."""
    if owns_identifier(principal, uri):
        return True
    return in_custody(conn, principal, uri)


def restrict_history(
    conn: Connection, principal: Principal, uri: str, steps: list[CustodyStep]
) -> list[CustodyStep]:
    """The part of the chain of ``uri`` (canonical) the principal may see (module docstring)."""
    if principal.sees_everything or not steps or _whole_chain(conn, principal, uri):
        return steps
    seen = visible_event_ids(conn, principal, [step.event_id for step in steps])
    return [
        dataclasses.replace(step, custodian=None, location=None)
        for step in steps
        if step.event_id in seen
    ]


def restrict_item(
    conn: Connection, principal: Principal, state: ItemState, steps: list[CustodyStep]
) -> ItemState | None:
    """The item state the principal may see, given the item's full chain ``steps``."""
    if principal.sees_everything or _whole_chain(conn, principal, state.uri):
        return state
    if not visible_event_ids(conn, principal, [step.event_id for step in steps]):
        return None
    return msgspec.structs.replace(state, custodian=None, location=None, parent_id=None)
