"""Prepared MATCH_ queries answer exactly what the general query builder answers.

The scenario is the tenancy matrix of ``test_visibility`` (six organizations, thirteen events,
SQLite and PostgreSQL). Every organization (and the installation itself) asks for the events of
each identifier, in every form, through ``Repository.query`` (the prepared SQL of
:mod:`medtrace.store.query_prepared`) and through :func:`medtrace.store.query_sql.run_query`,
one page at a time and all at once: same events, same order, same pages.
"""

from __future__ import annotations

import time

import pytest

from medtrace.epcis.query import parse_query
from medtrace.epcis.query_model import EventQuery
from medtrace.store import query_prepared, query_sql
from medtrace.store.codec import canonical_epc
from medtrace.store.page_tokens import InvalidPageTokenError, revoke
from medtrace.store.principal import Principal
from medtrace.store.repository import Repository
from medtrace.store.visibility import scope_of
from tests.store.pg_plans import plans
from tests.store.test_visibility import (
    CASE,
    ITEM_1,
    ITEM_2,
    ITEM_D,
    PALLET,
    WHO,
    world,
)

__all__ = ["world"]  # the module-scoped scenario fixture, on both backends

World = tuple[Repository, dict[str, Principal]]

VALUES = [
    ITEM_1,
    ITEM_2,
    CASE,
    PALLET,
    ITEM_D,
    canonical_epc(ITEM_1),  # the Digital Link form
    "https://example.com/01/10614141073464/21/1001",  # another domain, same key
    "urn:epc:id:sgtin:0614141.107346.9999",  # never captured
    f"{ITEM_1}|{ITEM_D}",  # one of A's and one of D's
    f"{ITEM_2}|{CASE}",
]
FIELDS = ["MATCH_anyEPC", "MATCH_epc", "MATCH_parentID"]


def pages(
    repo: Repository, query: EventQuery, who: Principal | None, size: int | None, general: bool
) -> list[list[str]]:
    """Every page of ``query`` for ``who`` (event ids), following nextPageToken."""
    found: list[list[str]] = []
    token = None
    while True:
        if general:
            with repo.engine.connect() as conn:
                page = query_sql.run_query(
                    conn, query, page_token=token, per_page=size, principal=who
                )
        else:
            page = repo.query(query, token, size, principal=who)
        found.append([str(event.event_id) for event in page.events])
        token = page.next_page_token
        if token is None:
            return found
        assert len(found) < 20


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", VALUES)
def test_same_pages_as_the_general_builder(world: World, field: str, value: str) -> None:
    repo, orgs = world
    query = parse_query(f"{field}={value}")
    assert query_prepared.match_keys(query) is not None  # the prepared path answers it
    for who in [None, *(orgs[name] for name in WHO)]:
        for size in (None, 1):
            prepared = pages(repo, query, who, size, general=False)
            general = pages(repo, query, who, size, general=True)
            assert prepared == general, (field, value, who and who.name, size)


@pytest.mark.parametrize(
    "text",
    [
        "MATCH_anyEPC=urn:epc:idpat:sgtin:0614141.107346.*",  # a pattern
        f"MATCH_anyEPC={ITEM_1}&EQ_bizStep=shipping",  # another parameter
        f"MATCH_epc={ITEM_1}&MATCH_parentID={CASE}",  # two MATCH_ parameters
        f"MATCH_anyEPC={ITEM_1}&orderBy=eventTime",  # another order
        f"MATCH_anyEPC={ITEM_1}&maxEventCount=3",  # a count limit
        "MATCH_anyEPCClass=urn:epc:class:lgtin:0614141.107346.L1&EQ_action=ADD",
        "EQ_bizStep=shipping",  # no MATCH_ at all
    ],
)
def test_other_queries_take_the_general_builder(text: str) -> None:
    assert query_prepared.match_keys(parse_query(text)) is None


def test_the_visibility_condition_is_left_out_only_for_own_products(world: World) -> None:
    _, orgs = world
    a, d, c = scope_of(orgs["A"]), scope_of(orgs["D"]), scope_of(orgs["C"])

    def keys(value: str) -> tuple[str, ...]:
        found = query_prepared.match_keys(parse_query(f"MATCH_anyEPC={value}"))
        assert found is not None
        return found[1]

    assert query_prepared._all_owned(a, keys(ITEM_1))  # A's product, URN or Digital Link
    assert query_prepared._all_owned(a, keys(canonical_epc(CASE)))
    assert not query_prepared._all_owned(a, keys(f"{ITEM_1}|{ITEM_D}"))  # one is D's
    assert not query_prepared._all_owned(d, keys(ITEM_1))
    assert not query_prepared._all_owned(c, keys(ITEM_1))  # C owns no prefix
    assert not query_prepared._all_owned(a, keys("urn:epc:id:gid:95100000.12345.400"))


def held_for(repo: Repository, who: Principal, query: EventQuery) -> bool:
    """Whether the prepared path leaves ``who``'s visibility condition out for custody."""
    matched = query_prepared.match_keys(query)
    assert matched is not None
    field, keys = matched
    with repo.engine.connect() as conn:
        return query_prepared._all_held(conn, who, scope_of(who), field, keys)


@pytest.mark.parametrize(
    ("who", "value", "held"),
    [
        ("C", ITEM_1, True),  # received from B (event 8 names C's party, captured by B)
        ("B", ITEM_1, True),  # in the case on the pallet B received
        ("B", ITEM_2, True),
        ("E", CASE, True),  # shipped to E by B
        ("E", ITEM_2, True),  # inside that case
        ("E", ITEM_1, False),  # taken out of the case before B shipped it
        ("C", ITEM_2, False),  # C sees two of its events (they name ITEM_1), never held it
        ("D", ITEM_1, False),
        ("C", f"{ITEM_1}|{ITEM_2}", False),  # one of the two was never C's
        ("B", f"{ITEM_1}|{ITEM_2}", True),
        ("C", "urn:epc:id:sgtin:0614141.107346.9999", False),  # never captured
        ("A", ITEM_1, False),  # A's own product: _all_owned decides, no custody check
    ],
)
def test_the_visibility_condition_is_left_out_for_identifiers_held(
    world: World, who: str, value: str, held: bool
) -> None:
    repo, orgs = world
    for field in ("MATCH_anyEPC", "MATCH_epc", "MATCH_parentID"):
        query = parse_query(f"{field}={value}")
        assert held_for(repo, orgs[who], query) is held, field


def test_class_fields_always_keep_the_visibility_condition(world: World) -> None:
    # classes never give custody: a lot is held by many
    repo, orgs = world
    query = parse_query("MATCH_anyEPCClass=urn:epc:class:lgtin:0614141.107346.L1")
    assert not held_for(repo, orgs["C"], query)


def test_tokens_of_another_query_or_revoked_are_refused(world: World) -> None:
    repo, orgs = world
    query = parse_query(f"MATCH_anyEPC={ITEM_1}")
    first = repo.query(query, None, 1, principal=orgs["A"])
    assert first.next_page_token is not None
    other = parse_query(f"MATCH_anyEPC={ITEM_2}")
    with pytest.raises(InvalidPageTokenError):
        repo.query(other, first.next_page_token, 1, principal=orgs["A"])
    revoke(repo.engine, first.next_page_token, org_id=None, now=int(time.time() * 1e6))
    with pytest.raises(InvalidPageTokenError, match="invalidated"):
        repo.query(query, first.next_page_token, 1, principal=orgs["A"])


def test_postgresql_plans_the_statement_once_per_connection(world: World) -> None:
    # psycopg prepares a statement at its sixth execution by default, and PostgreSQL plans a
    # prepared statement afresh five more times before it uses a generic plan: ~11 executions
    # of 20-45 ms planning per pooled connection for an organization's query. Prepared at once
    # and planned once, every execution after the first uses the one plan.
    repo, orgs = world
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("plan caching of prepared statements is PostgreSQL's")
    query = parse_query(f"MATCH_anyEPC={ITEM_2}")
    matched = query_prepared.match_keys(query)
    assert matched is not None
    field, keys = matched

    # C sees ITEM_2's first events (they name ITEM_1, which it held) but never held ITEM_2:
    # each query checks C's custody of ITEM_2, then runs with the visibility condition
    assert not held_for(repo, orgs["C"], query)
    match, check = "SELECT event.body, event.seq%capture_job%", "SELECT count(*)%held_key%"
    with repo.engine.connect() as conn:
        before = plans(conn, match), plans(conn, check)
        for _ in range(7):
            page = query_prepared.run_match_query(
                conn, query, keys, field, per_page=10, principal=orgs["C"]
            )
            assert page.events
        for (generic, custom), statement in zip(before, (match, check), strict=True):
            assert plans(conn, statement) == (generic + 7, custom)
