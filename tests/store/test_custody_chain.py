"""The custody rule agrees with itself across its three SQL forms, on random supply chains.

PostgreSQL evaluates custody as one recursive query (:func:`medtrace.store.visibility._chain`),
SQLite as one flat ``EXISTS`` per nesting depth (``_flat``); ``_reached`` (nested correlated
``EXISTS``, PostgreSQL's form until the recursive query replaced it) states the rule level by
level and is kept as the reference. Seeded random histories (packing, re-packing, unpacking,
emptying, out-of-order capture, ties in event time, anchors captured by the organization
itself or by others) are captured into a SQLite and a PostgreSQL store; for every organization
and every identifier the three forms must give the same answer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from medtrace.store import migrations, visibility
from medtrace.store.codec import canonical_epc
from medtrace.store.engine import create_store_engine
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.store.schema import epc
from medtrace.store.tenancy import create_organization
from tests.store.test_query_sql import document, ev, fresh_store, uid

#: Organizations with GLNs: (GLN, its SGLN without and with an extension, its PGLN).
SITES = {
    "B": ("0614142000011", "urn:epc:id:sgln:0614142.00001.0", "urn:epc:id:sgln:0614142.00001.7"),
    "C": ("0614143000010", "urn:epc:id:sgln:0614143.00001.0", "urn:epc:id:sgln:0614143.00001.4"),
    "D": ("0614149000014", "urn:epc:id:sgln:0614149.00001.0", "urn:epc:id:sgln:0614149.00001.5"),
    "E": ("0614144000019", "urn:epc:id:sgln:0614144.00001.0", "urn:epc:id:sgln:0614144.00001.2"),
}
PARTIES = {
    name: f"urn:epc:id:pgln:{sgln.split(':')[-1].rsplit('.', 1)[0]}"
    for name, (_, sgln, _) in SITES.items()
}
ELSEWHERE = "urn:epc:id:sgln:0614141.00777.0"
SCENARIOS = 40
EVENTS_PER_SCENARIO = 18


def identifiers(scenario: int) -> list[list[str]]:
    """The scenario's identifiers by level: items, cases, pallets, shippers."""
    base = 1_000 * scenario
    return [
        [f"urn:epc:id:sgtin:0614141.107346.{base + n}" for n in range(4)],
        [f"urn:epc:id:sscc:0614141.{1_000_000_000 + base + n}" for n in range(2)],
        [f"urn:epc:id:sscc:0614141.{2_000_000_000 + base}"],
        [f"urn:epc:id:sscc:0614141.{3_000_000_000 + base}"],
    ]


def scenario_events(
    rng: random.Random, scenario: int, first: int
) -> list[tuple[str | None, dict[str, Any]]]:
    """Random events of one scenario: ``(capturing organization or None, event)``."""
    levels = identifiers(scenario)
    captured: list[tuple[str | None, dict[str, Any]]] = []
    for n in range(first, first + EVENTS_PER_SCENARIO):
        hour = rng.randrange(0, 24, 2)  # few distinct hours: ties, broken by capture order
        who = rng.choice([*SITES, None])
        kind = rng.random()
        if kind < 0.5:
            level = rng.choice([1, 1, 2, 2, 3, 3, 3])
            parent = rng.choice(levels[level])
            below = (
                levels[level - 1]
                if rng.random() < 0.8
                else [u for lw in levels[:level] for u in lw]
            )
            action = rng.choice(["ADD", "ADD", "OBSERVE", "DELETE"])
            count = rng.randrange(0 if action == "DELETE" else 1, 3)
            children = rng.sample(below, min(count, len(below)))
            fields: dict[str, Any] = {"action": action, "parentID": parent, "childEPCs": children}
            if rng.random() < 0.4:  # an aggregation at a site is an anchor too
                fields["bizLocation"] = {
                    "id": rng.choice([SITES[rng.choice(list(SITES))][2], ELSEWHERE])
                }
            captured.append((who, ev(n, "AggregationEvent", hour, **fields)))
        else:
            outer = rng.choice([0, 1, 2, 3, 3, 3])  # shipments name the outermost containers
            epcs = rng.sample(levels[outer], 1)
            site = rng.choice(list(SITES))
            fields = {"action": "OBSERVE", "epcList": epcs, "bizStep": "receiving"}
            place = rng.random()
            if place < 0.35:
                fields["bizLocation"] = {"id": SITES[site][rng.randrange(1, 3)]}
            elif place < 0.6:
                fields["readPoint"] = {"id": SITES[site][1]}
            elif place < 0.85:
                fields["destinationList"] = [{"type": "owning_party", "destination": PARTIES[site]}]
            else:
                fields["bizLocation"] = {"id": ELSEWHERE}
            captured.append((who, ev(n, "ObjectEvent", hour, **fields)))
    return captured


def agg(hour: int, parent: str, children: list[str], **more: Any) -> dict[str, Any]:
    """An AggregationEvent (ADD, or DELETE without children) numbered later."""
    action = "ADD" if children else "DELETE"
    return ev(
        0, "AggregationEvent", hour, action=action, parentID=parent, childEPCs=children, **more
    )


def seen(hour: int, container: str, **where: Any) -> dict[str, Any]:
    """An ObjectEvent OBSERVE of ``container`` numbered later."""
    return ev(0, "ObjectEvent", hour, action="OBSERVE", epcList=[container], **where)


def fixed() -> list[tuple[str, list[tuple[str | None, dict[str, Any]]], set[str]]]:
    """Edge cases a random history rarely produces: ``(item, events, who held the item)``."""
    cases = []
    item, case, pallet, shipper = (level[0] for level in identifiers(900))
    # the anchor is the DELETE that empties the case: the item was inside until then
    cases.append(
        (
            item,
            [
                (None, agg(1, case, [item])),
                ("C", agg(2, case, [], bizLocation={"id": SITES["B"][2]})),
            ],
            {"B"},
        )
    )
    item, case, pallet, shipper = (level[0] for level in identifiers(901))
    # three levels: only the shipper is named, at D's site
    cases.append(
        (
            item,
            [
                (None, agg(1, case, [item])),
                (None, agg(2, pallet, [case])),
                (None, agg(3, shipper, [pallet])),
                ("C", seen(4, shipper, bizLocation={"id": SITES["D"][1]})),
            ],
            {"D"},
        )
    )
    item, case, other = identifiers(902)[0][0], *identifiers(902)[1]
    # moved to another case before the first case reached E: held by B, not by E
    cases.append(
        (
            item,
            [
                (None, agg(1, case, [item])),
                (None, agg(2, other, [item])),
                ("C", seen(3, case, bizLocation={"id": SITES["E"][1]})),
                ("C", seen(3, other, readPoint={"id": SITES["B"][1]})),
            ],
            {"B"},
        )
    )
    # the case was emptied before it reached B: B never held the item
    item, case = identifiers(904)[0][0], identifiers(904)[1][0]
    cases.append(
        (
            item,
            [
                (None, agg(1, case, [item])),
                (None, agg(2, case, [])),
                ("C", seen(3, case, bizLocation={"id": SITES["B"][1]})),
            ],
            set(),
        )
    )
    # one of the organizations' own captures is no anchor for it
    item, case = identifiers(903)[0][0], identifiers(903)[1][0]
    cases.append(
        (
            item,
            [(None, agg(1, case, [item])), ("B", seen(2, case, bizLocation={"id": SITES["B"][1]}))],
            set(),
        )
    )
    return cases


def history() -> list[tuple[str | None, dict[str, Any]]]:
    rng = random.Random(20261122)
    found: list[tuple[str | None, dict[str, Any]]] = []
    for scenario in range(SCENARIOS):
        found += scenario_events(rng, scenario, 1 + scenario * EVENTS_PER_SCENARIO)
    for _, events, _ in fixed():
        found += events
    return [(who, {**event, "eventID": uid(n)}) for n, (who, event) in enumerate(found, 1)]


def load(engine: sa.Engine) -> dict[str, Principal]:
    """Create the organizations and capture the history, each organization its own events
    (one document per organization: capture order differs from event-time order)."""
    orgs = {
        name: create_organization(engine, name=f"Org {name}", role=Role.OPERATOR, glns=[gln])
        for name, (gln, _, _) in SITES.items()
    }
    repo = Repository(engine)
    events = history()
    for who in [*SITES, None]:
        mine = [event for by, event in events if by == who]
        result = repo.capture(document(mine), principal=orgs[who] if who else None)
        assert result.captured + len(result.duplicate_ids) == len(mine), result.rejected
    return orgs


@pytest.fixture(scope="module", params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, sa.Engine, dict[str, Principal], dict[str, Principal]]]:
    """The history on SQLite and on PostgreSQL, with each store's organizations."""
    path: Path = tmp_path_factory.mktemp("custody") / "store.sqlite"
    lite = create_store_engine(f"sqlite:///{path}")
    migrations.upgrade(lite)
    try:
        with fresh_store(request, tmp_path_factory) as pg:
            yield lite, pg, load(lite), load(pg)
    finally:
        lite.dispose()


def held(engine: sa.Engine, who: Principal, check: Any) -> set[str]:
    """The stored identifiers ``check(conn, who, uri)`` says ``who`` held."""
    with engine.connect() as conn:
        uris = conn.execute(sa.select(epc.c.uri)).scalars().all()
        return {str(uri) for uri in uris if check(conn, who, str(uri))}


def held_by_form(engine: sa.Engine, who: Principal, form: str) -> set[str]:
    """The identifiers ``who`` held by one form of the rule, in one set query."""
    scope = visibility.scope_of(who)
    if form == "reached":
        condition = visibility._reached(scope, epc.c.id, [], visibility.NESTING, "postgresql")
    else:
        condition = visibility._custody(scope, epc.c.id, engine.dialect.name)
    with engine.connect() as conn:
        return {str(uri) for uri in conn.execute(sa.select(epc.c.uri).where(condition)).scalars()}


def test_the_three_forms_of_the_custody_rule_agree(
    stores: tuple[sa.Engine, sa.Engine, dict[str, Principal], dict[str, Principal]],
) -> None:
    lite, pg, lite_orgs, pg_orgs = stores
    total = 0
    for name in SITES:
        chain = held(pg, pg_orgs[name], visibility.in_custody)  # the recursive query
        assert chain == held_by_form(pg, pg_orgs[name], "chain"), name
        assert chain == held_by_form(pg, pg_orgs[name], "reached"), name
        assert chain == held(lite, lite_orgs[name], visibility.in_custody), name  # _flat
        total += len(chain)
    for item, _, holders in fixed():  # the edge cases, by name
        for engine, orgs in ((pg, pg_orgs), (lite, lite_orgs)):
            stored = canonical_epc(item)
            found = {
                name for name in SITES if stored in held(engine, orgs[name], visibility.in_custody)
            }
            assert found == holders, (item, engine.dialect.name)
    every = sum(len(level) for scenario in range(SCENARIOS) for level in identifiers(scenario))
    assert 0.2 * every < total < 0.9 * 4 * every  # the histories give custody, and withhold it


def test_postgresql_checks_custody_with_the_recursive_query() -> None:
    scope = visibility.scope_of(Principal("o", "O", Role.OPERATOR, glns=frozenset({SITES["B"][0]})))
    item = sa.bindparam("item", 0, type_=sa.BigInteger)
    sql = str(
        sa.select(visibility._custody(scope, item, "postgresql")).compile(
            dialect=postgresql.dialect()
        )
    )
    assert "WITH RECURSIVE custody_chain" in sql
    assert sql.count("SELECT") < 12  # the level-by-level form has ~40
