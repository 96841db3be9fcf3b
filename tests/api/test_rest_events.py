"""``/events`` over HTTP: queries, pagination (RFC 8288 Link), negotiation, single events."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import pytest
from tests.api.conftest import Api
from tests.api.test_rest_capture import CONTEXT, EPC, document, event

from medtrace.epcis.documents import read_document
from medtrace.epcis.hashing import event_hash
from medtrace.epcis.model import ObjectEvent

SERIALS = [f"urn:epc:id:sgtin:0614141.107346.{n}" for n in range(7)]


def capture_seven(api: Api) -> list[str]:
    """Seven shipping events, one per serial; their hashes in capture order."""
    events = [
        event(epcList=[s], eventTime=f"2024-05-01T10:0{i}:00Z") for i, s in enumerate(SERIALS)
    ]
    assert api.capture(document(*events), "application/ld+json")["success"] is True
    return [event_hash(e) for e in read_document(document(*events)).events]


def test_pagination_follows_link_headers(api: Api) -> None:
    hashes = capture_seven(api)
    url: str | None = "/events?EQ_bizStep=shipping&perPage=3"
    pages: list[list[str]] = []
    while url is not None:
        response = api.client.get(url, headers=api.auth())
        assert response.status_code == 200, response.text
        pages.append([event_hash(e) for e in read_document(response.content).events])
        link = response.headers.get("link")
        assert link is None or link.endswith('>; rel="next"')
        url = link[1 : link.index(">")] if link else None
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [h for page in pages for h in page] == hashes


CONTENT_NEGOTIATION_CASES = [
    # no preference: JSON-LD
    (None, "application/ld+json"),
    # JSON-LD explicitly
    ("application/ld+json", "application/ld+json"),
    # plain JSON is the same document
    ("application/json", "application/json"),
    # XML
    ("application/xml", "application/xml"),
    # quality values decide
    ("application/ld+json;q=0.4, application/xml", "application/xml"),
]


def test_content_negotiation(api: Api) -> None:
    hashes = capture_seven(api)
    for accept, syntax in CONTENT_NEGOTIATION_CASES:
        headers = api.auth() if accept is None else api.auth(Accept=accept)
        response = api.client.get("/events?perPage=10", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(syntax)
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"
        document_ = read_document(response.content)
        assert document_.kind == "query"
        assert [event_hash(e) for e in document_.events] == hashes


EPC_FORMAT_HEADER_CASES = [
    # Digital Link form
    ("Always_GS1_Digital_Link", "https://id.gs1.org/01/"),
    # EPC URN form (the captured form, company prefix known from it)
    ("Always_EPC_URN", "urn:epc:id:sgtin:"),
    # no translation
    ("Never_Translates", "urn:epc:id:sgtin:"),
]


def test_epc_format_header(api: Api) -> None:
    capture_seven(api)
    for epc_format, prefix in EPC_FORMAT_HEADER_CASES:
        response = api.client.get("/events", headers=api.auth(GS1_EPC_Format=epc_format))
        assert response.status_code == 200, response.text
        body = orjson.loads(response.content)
        events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert all(e["epcList"][0].startswith(prefix) for e in events)


def test_single_event_post_get_and_conflict(api: Api) -> None:
    body = orjson.dumps(
        {"@context": [CONTEXT], **event(eventID="urn:uuid:1b1e4c3e-0d6f-4f0e-8a1e-4c7d2b9e6a01")}
    )
    created = api.client.post(
        "/events", content=body, headers=api.auth(Content_Type="application/ld+json")
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location == "/events/" + quote("urn:uuid:1b1e4c3e-0d6f-4f0e-8a1e-4c7d2b9e6a01", safe="")
    fetched = api.client.get(location, headers=api.auth())
    assert fetched.status_code == 200
    assert [e.event_id for e in read_document(fetched.content).events] == [
        "urn:uuid:1b1e4c3e-0d6f-4f0e-8a1e-4c7d2b9e6a01"
    ]
    again = api.client.post(
        "/events", content=body, headers=api.auth(Content_Type="application/ld+json")
    )
    assert again.status_code == 409
    assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"


def test_event_by_hash_id_with_reserved_characters(api: Api) -> None:
    capture_seven(api)
    listed = read_document(api.client.get("/events?perPage=1", headers=api.auth()).content)
    [first] = listed.events
    assert first.event_id is not None and first.event_id.startswith("ni:///sha-256;")
    response = api.client.get("/events/" + quote(first.event_id, safe=""), headers=api.auth())
    assert response.status_code == 200, response.text
    assert read_document(response.content).events == (first,)


# SQLite only for now: the visibility condition takes ~10 s per query on an empty PostgreSQL
# schema (store.visibility; reported), which would put this file far over its time budget.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_operator_sees_only_its_events(api: Api) -> None:
    # the admin captured these; the partner organization is not named by them
    capture_seven(api)
    response = api.client.get("/events", headers=api.auth("partner"))
    assert response.status_code == 200
    assert read_document(response.content).events == ()
    mine = orjson.dumps({"@context": [CONTEXT], **event(epcList=[EPC])})
    created = api.client.post(
        "/events", content=mine, headers=api.auth("partner", Content_Type="application/json")
    )
    assert created.status_code == 201, created.text
    response = api.client.get("/events", headers=api.auth("partner"))
    [only] = read_document(response.content).events
    assert isinstance(only, ObjectEvent)
    assert only.epc_list == (EPC,)
    assert (
        api.client.get(created.headers["location"], headers=api.auth("operator")).status_code == 404
    )
