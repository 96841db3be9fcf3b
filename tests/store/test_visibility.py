"""The tenancy matrix: which events, items, histories and children each organization sees.

The supply chain (each organization captures its own events, with its own principal):

* A (manufacturer, company prefix 0614141) commissions ITEM_1 and ITEM_2, packs them into CASE,
  CASE onto PALLET, and ships PALLET to B's distribution centre (an SGLN with extension);
* B (wholesaler, GLN) receives PALLET, unpacks CASE and ITEM_1, ships ITEM_1 to C and CASE
  (holding ITEM_2 only) to E;
* C (pharmacy, GLN) receives and dispenses ITEM_1;
* D (unrelated, own prefix and GLN) commissions and ships its own ITEM_D;
* E (clinic, GLN) only receives CASE (through B's shipment, captured by B);
* R (regulator) captures nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from medtrace.epcis.query import parse_query
from medtrace.store import visibility
from medtrace.store.codec import canonical_epc
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.store.schema import event
from medtrace.store.tenancy import create_organization
from medtrace.store.visibility import (
    _sql_literal,
    owns_identifier,
    scope_of,
    visible_condition,
)
from tests.store.pg_plans import plans
from tests.store.test_query_sql import document, ev, fresh_store, uid

_DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

ITEM_1 = "urn:epc:id:sgtin:0614141.107346.1001"
ITEM_2 = "urn:epc:id:sgtin:0614141.107346.1002"
CASE = "urn:epc:id:sscc:0614141.1111111111"
PALLET = "urn:epc:id:sscc:0614141.2222222222"
ITEM_D = "urn:epc:id:sgtin:0614149.107346.1"
PLANT = "urn:epc:id:sgln:0614141.00777.0"
A_PARTY = "urn:epc:id:pgln:0614141.00777"
B_DC = "urn:epc:id:sgln:0614142.00001.7"  # B's GLN 0614142000011 with extension 7
B_PARTY = "urn:epc:id:pgln:0614142.00001"
C_SITE = "urn:epc:id:sgln:0614143.00001.0"
C_PARTY = "urn:epc:id:pgln:0614143.00001"
D_SITE = "urn:epc:id:sgln:0614149.00001.0"
D_STORE = "urn:epc:id:sgln:0614149.00001.5"
E_PARTY = "https://id.gs1.org/417/0614144000019"

GLNS = {
    "B": "0614142000011",
    "C": "0614143000010",
    "D": "0614149000014",
    "E": "0614144000019",
}


def _owning(source: str, destination: str) -> dict[str, Any]:
    return {
        "sourceList": [{"type": "owning_party", "source": source}],
        "destinationList": [{"type": "owning_party", "destination": destination}],
    }


def agg(n: int, action: str, parent: str, children: list[str], where: str) -> dict[str, Any]:
    """An AggregationEvent at ``n`` o'clock."""
    return ev(
        n,
        "AggregationEvent",
        n,
        action=action,
        parentID=parent,
        childEPCs=children,
        bizStep="packing" if action == "ADD" else "unpacking",
        bizLocation={"id": where},
    )


def obj(n: int, epcs: list[str], step: str, **more: Any) -> dict[str, Any]:
    """An ObjectEvent OBSERVE at ``n`` o'clock (ADD for commissioning)."""
    action = "ADD" if step == "commissioning" else "OBSERVE"
    return ev(n, "ObjectEvent", n, action=action, epcList=epcs, bizStep=step, **more)


CAPTURES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "A",
        [
            obj(1, [ITEM_1, ITEM_2], "commissioning", bizLocation={"id": PLANT}),
            agg(2, "ADD", CASE, [ITEM_1, ITEM_2], PLANT),
            agg(3, "ADD", PALLET, [CASE], PLANT),
            obj(
                4,
                [PALLET],
                "shipping",
                readPoint={"id": PLANT},
                sourceList=[{"type": "owning_party", "source": A_PARTY}],
                destinationList=[{"type": "location", "destination": B_DC}],
            ),
        ],
    ),
    (
        "B",
        [
            obj(5, [PALLET], "receiving", bizLocation={"id": B_DC}),
            agg(6, "DELETE", PALLET, [CASE], B_DC),
            agg(7, "DELETE", CASE, [ITEM_1], B_DC),
            obj(8, [ITEM_1], "shipping", readPoint={"id": B_DC}, **_owning(B_PARTY, C_PARTY)),
            obj(11, [CASE], "shipping", readPoint={"id": B_DC}, **_owning(B_PARTY, E_PARTY)),
        ],
    ),
    (
        "C",
        [
            obj(9, [ITEM_1], "receiving", bizLocation={"id": C_SITE}, **_owning(B_PARTY, C_PARTY)),
            obj(10, [ITEM_1], "dispensing", bizLocation={"id": C_SITE}),
        ],
    ),
    (
        "D",
        [
            obj(12, [ITEM_D], "commissioning", bizLocation={"id": D_SITE}),
            obj(
                13,
                [ITEM_D],
                "shipping",
                readPoint={"id": D_SITE},
                destinationList=[{"type": "location", "destination": D_STORE}],
            ),
        ],
    ),
]

EVERYTHING = list(range(1, 14))
WHO = ["A", "B", "C", "D", "E", "R"]


def principals(engine: sa.Engine) -> dict[str, Principal]:
    """The six organizations of the scenario."""
    return {
        "A": create_organization(
            engine, name="A Pharma", role=Role.OPERATOR, company_prefixes=["0614141"]
        ),
        "B": create_organization(engine, name="B Wholesale", role="operator", glns=[GLNS["B"]]),
        "C": create_organization(engine, name="C Pharmacy", role="operator", glns=[GLNS["C"]]),
        "D": create_organization(
            engine, name="D Other", role="operator", glns=[GLNS["D"]], company_prefixes=["0614149"]
        ),
        "E": create_organization(engine, name="E Clinic", role="auditor", glns=[GLNS["E"]]),
        "R": create_organization(engine, name="FDA", role=Role.REGULATOR),
    }


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Repository, dict[str, Principal]]]:
    """The scenario captured on one backend, with the organizations' principals."""
    with fresh_store(request, tmp_path_factory) as engine:
        repo = Repository(engine)
        orgs = principals(engine)
        for who, events in CAPTURES:
            result = repo.capture(document(events), principal=orgs[who])
            assert result.captured == len(events), result.rejected
        yield repo, orgs


def numbers(event_ids: list[str]) -> list[int]:
    """Test event numbers from event ids."""
    return [int(event_id[-12:]) for event_id in event_ids]


def step_numbers(repo: Repository, epc: str, who: Principal) -> list[int]:
    """Event numbers of the history ``who`` sees."""
    return numbers([step.event_id for step in repo.history(epc, principal=who)])


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # A: its own captures and every event naming its products and containers; nothing of D
        ("A", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        # B: the pallet shipped to its DC (extension SGLN) brings the pallet, case and items
        ("B", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        # C: ITEM_1 (shipped to it by B) and the events naming ITEM_1; not the case/pallet-only ones
        ("C", [1, 2, 7, 8, 9, 10]),
        # D: only its own events
        ("D", [12, 13]),
        # E: CASE (shipped to it) and ITEM_2 still inside; not ITEM_1, unpacked before
        ("E", [1, 2, 3, 6, 7, 11]),
        # the regulator sees everything
        ("R", EVERYTHING),
    ],
)
def test_query_returns_visible_events(
    world: tuple[Repository, dict[str, Principal]], who: str, expected: list[int]
) -> None:
    repo, orgs = world
    page = repo.query(parse_query("orderBy=eventTime&orderDirection=ASC"), principal=orgs[who])
    assert numbers([str(e.event_id) for e in page.events]) == expected


def test_query_without_principal_sees_everything(
    world: tuple[Repository, dict[str, Principal]],
) -> None:
    repo, _ = world
    page = repo.query(parse_query("orderBy=eventTime&orderDirection=ASC"))
    assert numbers([str(e.event_id) for e in page.events]) == EVERYTHING


@pytest.mark.parametrize(
    ("who", "params", "per_page", "expected"),
    [
        # filters and visibility are ANDed
        ("C", "EQ_bizStep=shipping", None, [8]),
        # a MATCH_ on an invisible item gives nothing, not an error
        ("D", f"MATCH_epc={ITEM_1}", None, []),
        # maxEventCount counts only visible events: two visible, limit 2 is fine
        ("D", "maxEventCount=2", None, [12, 13]),
        # pages of visible events only, the second page after the token
        ("E", "orderBy=eventTime&orderDirection=ASC", 4, [1, 2, 3, 6, 7, 11]),
    ],
)
def test_query_filters_and_pages_within_visibility(
    world: tuple[Repository, dict[str, Principal]],
    who: str,
    params: str,
    per_page: int | None,
    expected: list[int],
) -> None:
    repo, orgs = world
    query = parse_query(params)
    page = repo.query(query, per_page=per_page, principal=orgs[who])
    found = [str(e.event_id) for e in page.events]
    if per_page is not None:
        assert len(found) == per_page
        assert page.next_page_token is not None
        rest = repo.query(query, page.next_page_token, per_page, principal=orgs[who])
        found += [str(e.event_id) for e in rest.events]
        assert rest.next_page_token is None
    assert numbers(found) == expected


ITEM_1_CHAIN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
ITEM_2_CHAIN = [1, 2, 3, 4, 5, 6, 11]


@pytest.mark.parametrize(
    ("who", "epc", "expected", "whole"),
    [
        # the manufacturer: the whole chain of its product
        ("A", ITEM_1, ITEM_1_CHAIN, True),
        # the wholesaler: the whole chain (ITEM_1 was in its custody)
        ("B", ITEM_1, ITEM_1_CHAIN, True),
        # the dispenser: the whole chain, upstream container shipments included (DSCSA T3)
        ("C", ITEM_1, ITEM_1_CHAIN, True),
        # the unrelated organization sees nothing: not found
        ("D", ITEM_1, [], False),
        # E never held ITEM_1: only the steps it sees, custodian and location withheld
        ("E", ITEM_1, [1, 2, 3, 6, 7], False),
        # the regulator: everything
        ("R", ITEM_1, ITEM_1_CHAIN, True),
        # E holds ITEM_2: its whole chain
        ("E", ITEM_2, ITEM_2_CHAIN, True),
        # C never held ITEM_2: the commissioning and packing events it shares with ITEM_1
        ("C", ITEM_2, [1, 2], False),
        # D's own item, seen by D only
        ("D", ITEM_D, [12, 13], True),
        ("A", ITEM_D, [], False),
    ],
)
def test_history(
    world: tuple[Repository, dict[str, Principal]],
    who: str,
    epc: str,
    expected: list[int],
    whole: bool,
) -> None:
    repo, orgs = world
    steps = repo.history(epc, principal=orgs[who])
    assert numbers([s.event_id for s in steps]) == expected
    # a partial view withholds custodian and location; a whole chain keeps them
    assert any(s.custodian or s.location for s in steps) is whole


@pytest.mark.parametrize(
    ("who", "epc", "expected"),
    [
        # the owner of ITEM_1 at the end: C (receiving sets the destination owning party)
        ("A", ITEM_1, "full"),
        ("B", ITEM_1, "full"),
        ("C", ITEM_1, "full"),
        # not found for D
        ("D", ITEM_1, None),
        # E sees events of ITEM_1, but not its custodian or location
        ("E", ITEM_1, "masked"),
        ("R", ITEM_1, "full"),
        ("C", ITEM_2, "masked"),
        ("E", ITEM_2, "full"),
        ("B", ITEM_D, None),
        ("D", ITEM_D, "full"),
        # an identifier no event names is unknown to everybody
        ("R", "urn:epc:id:sgtin:0614141.107346.404", None),
    ],
)
def test_item(
    world: tuple[Repository, dict[str, Principal]], who: str, epc: str, expected: str | None
) -> None:
    repo, orgs = world
    state = repo.item(epc, principal=orgs[who])
    full = repo.item(epc)
    if expected is None:
        assert state is None
        return
    assert state is not None
    assert full is not None
    assert state.uri == canonical_epc(epc)
    assert state.status == full.status
    if expected == "full":
        assert state == full
    else:
        assert (state.custodian, state.location, state.parent_id) == (None, None, None)


@pytest.mark.parametrize(
    ("who", "container", "expected"),
    [
        # ITEM_2 is still in CASE
        ("A", CASE, [ITEM_2]),
        ("B", CASE, [ITEM_2]),
        ("E", CASE, [ITEM_2]),
        # C sees CASE through events naming ITEM_1, and ITEM_2 through the shared events
        ("C", CASE, [ITEM_2]),
        # the unrelated organization: not found
        ("D", CASE, []),
        ("R", CASE, [ITEM_2]),
    ],
)
def test_children(
    world: tuple[Repository, dict[str, Principal]], who: str, container: str, expected: list[str]
) -> None:
    repo, orgs = world
    found = repo.children(container, principal=orgs[who])
    assert found == [canonical_epc(epc) for epc in expected]


@pytest.mark.parametrize(
    ("event", "seen_by"),
    [
        # the pallet shipment A → B: A captured it, B is named; C, E only see it in history
        (4, {"A", "B", "R"}),
        # C's dispensing: C, the manufacturer, the wholesaler who held ITEM_1
        (10, {"A", "B", "C", "R"}),
        # B's shipment of CASE to E
        (11, {"A", "B", "E", "R"}),
        # D's own event
        (12, {"D", "R"}),
    ],
)
def test_event(
    world: tuple[Repository, dict[str, Principal]], event: int, seen_by: set[str]
) -> None:
    repo, orgs = world
    seen = {who for who in WHO if repo.event(uid(event), principal=orgs[who]) is not None}
    assert seen == seen_by
    assert repo.event(uid(event)) is not None


@pytest.mark.parametrize(
    ("claimant", "expected_d", "d_history"),
    [
        # D captures a claim on ITEM_1 at its own site: it sees that event and nothing more
        ("D", [12, 13, 14], [14]),
        # the installation (no principal) records ITEM_1 at D's site: attested custody
        (None, [1, 2, 7, 8, 9, 10, 12, 13, 14], [*ITEM_1_CHAIN, 14]),
    ],
)
def test_custody_needs_attestation(
    repo: Repository,
    claimant: str | None,
    expected_d: list[int],
    d_history: list[int],
) -> None:
    orgs = principals(repo.engine)
    for who, events in CAPTURES:
        assert repo.capture(document(events), principal=orgs[who]).captured == len(events)
    claim = obj(14, [ITEM_1], "inspecting", bizLocation={"id": D_SITE})
    by = None if claimant is None else orgs[claimant]
    assert repo.capture(document([claim]), principal=by).captured == 1
    query = parse_query("orderBy=eventTime&orderDirection=ASC")
    page = repo.query(query, principal=orgs["D"])
    assert numbers([str(e.event_id) for e in page.events]) == expected_d
    assert step_numbers(repo, ITEM_1, orgs["D"]) == d_history
    # the owner of the product sees the claim either way
    assert repo.event(uid(14), principal=orgs["A"]) is not None


@pytest.mark.parametrize(
    ("principal", "uri", "owned"),
    [
        # an SGTIN under the prefix
        (Principal("a", "A", Role.OPERATOR, company_prefixes=frozenset({"0614141"})),
         canonical_epc(ITEM_1), True),
        # an SSCC under the prefix (any extension digit)
        (Principal("a", "A", Role.OPERATOR, company_prefixes=frozenset({"0614141"})),
         canonical_epc(PALLET), True),
        # another company's GTIN
        (Principal("a", "A", Role.OPERATOR, company_prefixes=frozenset({"0614141"})),
         canonical_epc(ITEM_D), False),
        # a GLN is not a product
        (Principal("a", "A", Role.OPERATOR, company_prefixes=frozenset({"0614141"})),
         canonical_epc(PLANT), False),
        # no prefix, nothing owned
        (Principal("b", "B", Role.OPERATOR, glns=frozenset({GLNS["B"]})),
         canonical_epc(ITEM_1), False),
    ],
)  # fmt: skip
def test_owns_identifier(principal: Principal, uri: str, owned: bool) -> None:
    assert owns_identifier(principal, uri) is owned


def test_scope_values() -> None:
    scope = scope_of(Principal("b", "B", Role.OPERATOR, glns=frozenset({GLNS["B"]})))
    # exact SGLN, extension prefix, and the party form
    assert scope.locations == ("https://id.gs1.org/414/0614142000011",)
    assert scope.location_prefixes == ("https://id.gs1.org/414/0614142000011/254/",)
    assert "https://id.gs1.org/417/0614142000011" in scope.parties
    assert canonical_epc(B_DC).startswith(scope.location_prefixes[0])


#: Access paths a visibility condition may take on SQLite: by primary key, or by an index whose
#: leading column the correlation fixes (``event_epc`` by ``epc_id`` or ``seq``, …).
_KEYED_ACCESS = (
    "USING INTEGER PRIMARY KEY",
    "sqlite_autoindex_event_epc_1 (epc_id=?",
    "ix_event_epc_seq (seq=?)",
    "ix_event_source_dest_seq (seq=?)",
    "sqlite_autoindex_capture_job_1 (id=?)",
    "sqlite_autoindex_epc_1 (uri",
)


@pytest.mark.parametrize(
    "principal",
    [
        Principal("w", "Wholesaler", Role.OPERATOR, glns=frozenset({"0614142000011"})),
        Principal(
            "m",
            "Maker",
            Role.OPERATOR,
            glns=frozenset({"0614141000005"}),
            company_prefixes=frozenset({"0614141"}),
        ),
    ],
    ids=["gln-only", "gln-and-prefix"],
)
def test_sqlite_plans_every_visibility_check_from_keys_without_statistics(
    tmp_path: Any, principal: Principal
) -> None:
    """On a SQLite store without planner statistics (never ``ANALYZE``d: the normal state),
    every subquery of the visibility condition reaches its rows by key from the event or
    identifier it checks, never by scanning a table or an index of a frequent value (the
    custody checks once drove from ``ix_event_event_type``: 182 s for one query at 10M rows)."""
    location = f"sqlite:///{tmp_path / 'plan.sqlite'}"
    with Repository.open(location, create=True) as repo, repo.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar()
            == 0
        )
        condition = visible_condition(principal, "sqlite")
        assert condition is not None
        statement = sa.select(event.c.seq).where(event.c.seq == 1, condition)
        compiled = statement.compile(dialect=conn.dialect)
        values = tuple(compiled.params[name] for name in compiled.positiontup or ())
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values).all()
    accesses = [str(row[3]) for row in plan if str(row[3]).startswith(("SEARCH", "SCAN"))]
    assert len(accesses) > 50  # the custody rule's subqueries are all there
    unkeyed = [line for line in accesses if not any(key in line for key in _KEYED_ACCESS)]
    assert unkeyed == []


def test_organization_values_written_into_the_sql_are_quoted(
    world: tuple[Repository, dict[str, Principal]],
) -> None:
    """The organization's values are SQL literals (``visibility._render``): an identifier
    with quotes, colons, percent signs and backslashes must behave as a value."""
    repo, orgs = world
    query = parse_query("orderBy=eventTime&orderDirection=ASC")
    odd = dataclasses.replace(orgs["C"], org_id="C'o:l%\\x'); DROP TABLE event; --")
    plain = dataclasses.replace(orgs["C"], org_id="nobody")
    seen = numbers([str(e.event_id) for e in repo.query(query, principal=odd).events])
    assert seen == numbers([str(e.event_id) for e in repo.query(query, principal=plain).events])
    assert seen  # C still sees the events that name it
    assert repo.query(query).events  # and the table is still there
    # the custody check of one item (its own statement: in_custody)
    state = repo.item(ITEM_1, principal=odd)
    assert state is not None and state.custodian is not None  # ITEM_1 was in C's custody
    assert state == repo.item(ITEM_1, principal=plain)


def test_postgresql_plans_the_custody_check_once_per_connection(
    world: tuple[Repository, dict[str, Principal]],
) -> None:
    # see test_query_prepared: prepared at once and planned once, not ~11 times per connection
    repo, orgs = world
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("plan caching of prepared statements is PostgreSQL's")

    with repo.engine.connect() as conn:
        generic, custom = plans(conn, "SELECT count(*)%held_key%")
        for _ in range(7):
            assert visibility.in_custody(conn, orgs["C"], canonical_epc(ITEM_1))
        assert plans(conn, "SELECT count(*)%held_key%") == (generic + 7, custom)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_organization_values_are_literals_not_parameters(dialect: str) -> None:
    """The organization's values are written into the condition's SQL, on both databases: on
    SQLite the ~1,150 values of a 20-GLN custodian, bound on every execution, made its
    ``MATCH_anyEPC`` query 8x slower (``visibility._render``); on PostgreSQL they spoiled the
    prepared statement's generic plan."""
    principal = Principal(
        "d",
        "Distributor",
        Role.OPERATOR,
        glns=frozenset({"0614142000011", "0614143000010"}),
        company_prefixes=frozenset({"0614141"}),
    )
    condition = visible_condition(principal, dialect)
    assert condition is not None
    compiled = sa.select(event.c.seq).where(condition).compile(dialect=_DIALECTS[dialect])
    assert compiled.params == {}
    assert "'https://id.gs1.org/414/0614142000011'" in str(compiled)


def test_postgresql_matches_sgln_extensions_with_one_condition() -> None:
    """On PostgreSQL "any extension of one of the organization's locations" is one
    ``split_part(…) IN (…)`` per column, not a ``LIKE`` per location: every expression of a plan
    is initialised on every execution (a 20-GLN distributor's query spent a quarter of the
    server's CPU there). The tenancy matrix above checks the meaning on both databases."""
    glns = frozenset(f"06141{n:02d}000017"[:13] for n in range(20))
    principal = Principal("d", "Distributor", Role.OPERATOR, glns=glns)
    condition = visible_condition(principal, "postgresql")
    assert condition is not None
    text = str(sa.select(event.c.seq).where(condition).compile(dialect=_DIALECTS["postgresql"]))
    assert "/254/%" not in text  # no LIKE 'https://id.gs1.org/414/…/254/%'
    assert text.count("split_part(") == text.count("strpos(") > 0
    sqlite_text = str(
        sa.select(event.c.seq)
        .where(visible_condition(principal, "sqlite"))
        .compile(dialect=_DIALECTS["sqlite"])
    )
    assert "split_part(" not in sqlite_text  # SQLite keeps its index-friendly ranges


@pytest.mark.parametrize(
    ("prefixes", "stems"),
    [
        (("https://id.gs1.org/414/0614141000005/254/",), ["https://id.gs1.org/414/0614141000005"]),
        (("https://id.gs1.org/01/0614141",), None),  # a company prefix: not an SGLN stem
        (("https://x/254/y/254/",), None),  # the stem holds /254/: split_part would cut it
        ((), None),
    ],
)
def test_sgln_stems(prefixes: tuple[str, ...], stems: list[str] | None) -> None:
    assert visibility._sgln_stems(prefixes) == stems


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("urn:epcglobal:cbv", "'urn\\:epcglobal\\:cbv'"),
        ("50%\\", "'50%\\'"),
        (42, "42"),
    ],
)
def test_sql_literal(value: object, literal: str) -> None:
    assert _sql_literal(value) == literal


@pytest.mark.parametrize("value", [True, 1.5, None, b"x", "nul\x00"])
def test_sql_literal_refuses_what_it_cannot_write(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        _sql_literal(value)
