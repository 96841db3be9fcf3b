"""Top-level resources over HTTP (``/eventTypes``, ``/epcs``, ``/bizSteps``, …)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from tests.api.conftest import Api
from tests.api.test_rest_capture import document, event

from medtrace.epcis.documents import read_document

READ_POINT = "urn:epc:id:sgln:0614141.00777.0"
SERIALS = [f"urn:epc:id:sgtin:0614141.107346.{n}" for n in range(5)]


@pytest.fixture
def stored(api: Api) -> Api:
    events = [
        event(
            epcList=[serial],
            bizStep="receiving" if i % 2 else "shipping",
            disposition="in_transit",
            readPoint={"id": READ_POINT},
            bizLocation={"id": READ_POINT},
        )
        for i, serial in enumerate(SERIALS)
    ]
    assert api.capture(document(*events), "application/ld+json")["success"] is True
    return api


def members(api: Api, url: str) -> list[str]:
    """Every member of a collection, following Link headers."""
    found: list[str] = []
    next_url: str | None = url
    while next_url is not None:
        response = api.client.get(next_url, headers=api.auth())
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "Collection"
        found += body["member"]
        link = response.headers.get("link")
        next_url = link[1 : link.index(">")] if link else None
    return found


COLLECTIONS_CASES = [
    # the five event types
    ("/eventTypes", {"ObjectEvent", "AggregationEvent", "TransactionEvent"}),
    # CBV business steps (bare words), stored or not
    ("/bizSteps?perPage=7", {"shipping", "receiving", "commissioning"}),
    # dispositions
    ("/dispositions", {"in_transit", "active"}),
    # identifiers in canonical Digital Link form, paginated
    ("/epcs?perPage=2", {"https://id.gs1.org/01/10614141073464/21/3"}),
    # read points and business locations
    ("/readPoints", {"https://id.gs1.org/414/0614141007776"}),
    ("/bizLocations", {"https://id.gs1.org/414/0614141007776"}),
]


def test_collections(stored: Api) -> None:
    for url, expected in COLLECTIONS_CASES:
        found = members(stored, url)
        assert expected <= set(found)
        assert len(found) == len(set(found))
        assert found == sorted(found)


MEMBER_AND_ITS_EVENTS_CASES = [
    # by event type
    ("/eventTypes/ObjectEvent", 5),
    # by EPC, URN form percent-encoded
    ("/epcs/" + quote(SERIALS[1], safe=""), 1),
    # by EPC, Digital Link form percent-encoded
    ("/epcs/" + quote("https://id.gs1.org/01/10614141073464/21/3", safe=""), 1),
    # by business step, bare word and URN
    ("/bizSteps/shipping", 3),
    ("/bizSteps/" + quote("urn:epcglobal:cbv:bizstep:receiving", safe=""), 2),
    # by disposition, read point and business location
    ("/dispositions/in_transit", 5),
    ("/readPoints/" + quote(READ_POINT, safe=""), 5),
    ("/bizLocations/" + quote(READ_POINT, safe=""), 5),
]


def test_member_and_its_events(stored: Api) -> None:
    for resource, count in MEMBER_AND_ITS_EVENTS_CASES:
        member = stored.client.get(resource, headers=stored.auth())
        assert member.status_code == 200, member.text
        assert member.json()["member"] == ["events"]
        events = stored.client.get(f"{resource}/events?perPage=100", headers=stored.auth())
        assert events.status_code == 200, events.text
        assert len(read_document(events.content).events) == count
        # query parameters narrow a member's events further
        narrowed = stored.client.get(f"{resource}/events?EQ_action=ADD", headers=stored.auth())
        assert read_document(narrowed.content).events == ()


UNKNOWN_MEMBERS_CASES = [
    # not an event type
    "/eventTypes/SensorEvent",
    # an identifier never captured
    "/epcs/" + quote("urn:epc:id:sgtin:0614141.107346.999", safe=""),
    # a custom business step nobody used
    "/bizSteps/" + quote("urn:example:step:teleporting", safe=""),
    # a location nobody used
    "/readPoints/" + quote("urn:epc:id:sgln:0614141.00888.0", safe=""),
    # below a member: only events
    "/bizSteps/shipping/schema",
]


def test_unknown_members(stored: Api) -> None:
    for resource in UNKNOWN_MEMBERS_CASES:
        response = stored.client.get(resource, headers=stored.auth())
        assert response.status_code == 404, response.text
        assert response.json()["type"] == "epcisException:NoSuchResourceException"
