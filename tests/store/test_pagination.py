"""Keyset pagination of event queries: pages add up to the whole result; tokens are checked."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from medtrace.epcis.query import parse_query
from medtrace.store import page_tokens, schema
from medtrace.store.pagination import InvalidPageTokenError
from tests.store.test_query_sql import EVENTS, EX, document, ev

Repo = Any


def labels(page_events: list[Any]) -> list[int]:
    """Test numbers of events (the last 12 digits of their eventID)."""
    return [int(e.event_id[-12:]) for e in page_events]


def all_pages(repo: Repo, params: str, per_page: int) -> tuple[list[int], int]:
    """Every event of ``params`` read page by page, and the number of pages."""
    query = parse_query(params, extensions={"ex": EX})
    found: list[int] = []
    token: str | None = None
    pages = 0
    while True:
        page = repo.query(query, page_token=token, per_page=per_page)
        pages += 1
        found += labels(page.events)
        token = page.next_page_token
        if token is None:
            return found, pages


@pytest.fixture
def loaded(repo: Repo) -> Repo:
    """The repository with the query test corpus captured."""
    assert repo.capture(document(EVENTS)).captured == len(EVENTS)
    return repo


@pytest.mark.parametrize(
    ("params", "per_page"),
    [
        # capture order, one event per page
        ("", 1),
        # eventTime descending, uneven last page
        ("orderBy=eventTime", 2),
        # eventTime ascending with a filter
        ("orderBy=eventTime&orderDirection=ASC&eventType=ObjectEvent", 3),
        # recordTime: all ties, broken by seq
        ("orderBy=recordTime", 2),
        # an extension field: numbers, then events without the field
        ("orderBy=ex:count&orderDirection=ASC", 1),
        # an extension field descending
        ("orderBy=ex:count", 2),
    ],
)
def test_pages_add_up_to_the_whole_result(loaded: Repo, params: str, per_page: int) -> None:
    whole = labels(loaded.query(parse_query(params, extensions={"ex": EX})).events)
    paged, pages = all_pages(loaded, params, per_page)
    assert paged == whole
    assert pages == max(1, -(-len(whole) // per_page))


def test_event_count_limit_spans_pages(loaded: Repo) -> None:
    # eventCountLimit=3 with two per page: 2 + 1 events, then no token
    paged, pages = all_pages(loaded, "orderBy=eventTime&eventCountLimit=3", 2)
    assert (paged, pages) == ([7, 6, 5], 2)


def test_new_events_do_not_shift_later_pages(loaded: Repo) -> None:
    # an event captured between pages lands after the cursor, never repeats a seen one
    query = parse_query("")
    first = loaded.query(query, per_page=4)
    late = ev(8, "ObjectEvent", 9, action="OBSERVE", epcList=["urn:epc:id:sgtin:0614141.107346.5"])
    assert loaded.capture(document([late])).captured == 1
    rest = loaded.query(query, page_token=first.next_page_token)
    assert labels(first.events) + labels(rest.events) == [1, 2, 3, 4, 5, 6, 7, 8]


def _tamper(token: str) -> str:
    raw = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    body = orjson.loads(raw[0])
    body[3] += 1  # skip one event
    raw[0] = orjson.dumps(body).decode()
    return base64.urlsafe_b64encode(orjson.dumps(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("make_token", "other_query", "message"),
    [
        # the cursor was edited: checksum mismatch
        (_tamper, False, "altered"),
        # a token of another query
        (lambda token: token, True, "different query"),
        # not base64/JSON at all
        (lambda _token: "!!not-a-token!!", False, "not a page token"),
        # a truncated token
        (lambda token: token[:-5], False, "page token"),
    ],
)
def test_bad_tokens_are_rejected(
    loaded: Repo, make_token: Any, other_query: bool, message: str
) -> None:
    query = parse_query("orderBy=eventTime")
    token = loaded.query(query, per_page=2).next_page_token
    asked = parse_query("orderBy=eventTime&eventType=ObjectEvent") if other_query else query
    with pytest.raises(InvalidPageTokenError, match=message) as raised:
        loaded.query(asked, page_token=make_token(token), per_page=2)
    assert raised.value.exception_type == "QueryParameterException"
    assert raised.value.parameter == "nextPageToken"


def test_revoked_tokens_are_refused_and_each_token_is_unique(loaded: Repo) -> None:
    query = parse_query("orderBy=eventTime")
    mine = loaded.query(query, per_page=2).next_page_token
    theirs = loaded.query(query, per_page=2).next_page_token
    assert mine is not None and theirs is not None and mine != theirs
    page_tokens.revoke(loaded.engine, mine, org_id=None, now=0)
    page_tokens.revoke(loaded.engine, mine, org_id="again", now=1)  # idempotent
    with pytest.raises(InvalidPageTokenError, match="invalidated") as raised:
        loaded.query(query, page_token=mine, per_page=2)
    assert raised.value.parameter == "nextPageToken"
    # the same position reached by another client is not affected
    assert labels(loaded.query(query, page_token=theirs, per_page=2).events)
    with loaded.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.page_token_revocation)).all()
    assert [(r.token_id, r.org_id) for r in rows] == [(page_tokens.token_id(mine), None)]
