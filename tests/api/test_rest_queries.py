"""Named queries over HTTP (``/queries``): create, list, read, run, delete; per organization."""

from __future__ import annotations

import pytest
from tests.api.conftest import Api
from tests.api.test_rest_capture import document, event

from medtrace.epcis.documents import read_document


@pytest.fixture
def stored(api: Api) -> Api:
    events = [event(bizStep=step) for step in ("shipping", "receiving", "shipping")]
    events = [
        e | {"epcList": [f"urn:epc:id:sgtin:0614141.107346.{i}"]} for i, e in enumerate(events)
    ]
    assert api.capture(document(*events), "application/ld+json")["success"] is True
    return api


def create(api: Api, name: str, query: dict[str, object], who: str = "admin") -> int:
    response = api.client.post(
        "/queries", json={"name": name, "query": query}, headers=api.auth(who)
    )
    return response.status_code


def test_named_query_lifecycle(stored: Api) -> None:
    assert (
        create(stored, "shipped", {"EQ_bizStep": ["shipping"], "eventType": ["ObjectEvent"]}) == 201
    )
    assert create(stored, "shipped", {"EQ_bizStep": ["receiving"]}) == 409
    read = stored.client.get("/queries/shipped", headers=stored.auth())
    assert read.json() == {
        "name": "shipped",
        "query": {"EQ_bizStep": ["shipping"], "eventType": ["ObjectEvent"]},
    }
    pages = stored.client.get("/queries/shipped/events?perPage=1", headers=stored.auth())
    assert pages.status_code == 200, pages.text
    first = read_document(pages.content)
    assert first.query_name == "shipped"
    assert len(first.events) == 1
    link = pages.headers["link"]
    second = stored.client.get(link[1 : link.index(">")], headers=stored.auth())
    assert len(read_document(second.content).events) == 1
    assert "link" not in second.headers
    assert stored.client.delete("/queries/shipped", headers=stored.auth()).status_code == 204
    assert stored.client.get("/queries/shipped", headers=stored.auth()).status_code == 404
    assert stored.client.delete("/queries/shipped", headers=stored.auth()).status_code == 404


def test_queries_are_listed_paginated_and_private(stored: Api) -> None:
    names = [f"q{i}" for i in range(5)]
    for name in names:
        assert create(stored, name, {"EQ_bizStep": ["shipping"]}) == 201
    seen: list[str] = []
    url: str | None = "/queries?perPage=2"
    while url is not None:
        response = stored.client.get(url, headers=stored.auth())
        seen += [q["name"] for q in response.json()]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == names
    # another organization has its own namespace
    assert stored.client.get("/queries", headers=stored.auth("partner")).json() == []
    assert stored.client.get("/queries/q0", headers=stored.auth("partner")).status_code == 404
    assert create(stored, "q0", {"EQ_bizStep": ["receiving"]}, who="partner") == 201


@pytest.mark.parametrize(
    ("body", "kind", "parameter"),
    [
        # an unknown query parameter
        ({"name": "x", "query": {"EQ_nothing_here": ["a"]}}, "QueryParameterException", None),
        # a malformed value
        (
            {"name": "x", "query": {"GE_eventTime": ["yesterday"]}},
            "QueryParameterException",
            "GE_eventTime",
        ),
        # a name with characters a URL path would need escaped
        ({"name": "a b", "query": {}}, "QueryParameterException", "queryName"),
        # no query
        ({"name": "x"}, "ValidationException", None),
    ],
)
def test_invalid_definitions(
    stored: Api, body: dict[str, object], kind: str, parameter: str | None
) -> None:
    response = stored.client.post("/queries", json=body, headers=stored.auth())
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == f"epcisException:{kind}"
    if parameter is not None:
        assert problem["parameter"] == parameter
