"""medtrace's own OpenAPI document (``/openapi.json``) and docs (``/docs``); OPTIONS everywhere."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from tests.api.conftest import Api
from tests.api.test_rest_capture import document, event


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_openapi_document(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    for path in ("/", "/events", "/capture", "/capture/{capture_id}", "/queries", "/eventTypes"):
        assert path in paths, sorted(paths)
    schemas = spec["components"]["schemas"]
    job = next(v for k, v in schemas.items() if k.endswith("CaptureJobResource"))
    assert {"captureID", "createdAt", "running", "success", "errors"} <= set(job["properties"])
    assert any(k.endswith("Collection") for k in schemas)
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


EVENT_ANSWERS = ("/events", "/events/{rest}", "/queries/{query_name}/events", "/epcs/{rest}")
XML_TYPES = {"application/xml", "text/xml"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_documented_content_matches_the_answers(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    # every answer that can be an EPCISQueryDocument lists JSON-LD, JSON and both XML types
    for path in EVENT_ANSWERS:
        ok = paths[path]["get"]["responses"]["200"]
        assert {"application/ld+json", "application/json", *XML_TYPES} == set(ok["content"]), path
        assert all(ok["content"][t]["schema"]["type"] == "string" for t in XML_TYPES), path
        assert "Link" in ok["headers"], path
    # /{resource}/{id} is a Collection (JSON), /{resource}/{id}/events a query document
    member = paths["/bizSteps/{rest}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert {"$ref": "#/components/schemas/Collection"} in member["schema"]["anyOf"]
    # POST /capture: 202 without content, Location names the job
    accepted = paths["/capture"]["post"]["responses"]["202"]
    assert "content" not in accepted
    assert accepted["headers"]["Location"]["required"] is True
    # DELETE /nextPageToken/{token}: 204 or a problem; any authenticated role (no 403)
    release = paths["/nextPageToken/{token}"]["delete"]["responses"]
    assert "content" not in release["204"]
    assert {"204", "400", "401", "500"} <= set(release) and "403" not in release
    assert release["400"]["content"]["application/problem+json"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_capture_answers_202_without_content(api: Api) -> None:
    response = api.client.post(
        "/capture", content=document(event()), headers=api.auth(Content_Type="application/ld+json")
    )
    assert response.status_code == 202, response.text
    assert response.content == b""
    api.wait_job(response.headers["location"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_xml_content_type_names_the_charset_once(api: Api) -> None:
    for accept in ("application/xml", "text/xml"):
        response = api.client.get("/events", headers=api.auth(Accept=accept))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{accept}; charset=utf-8"


OPTIONS_CASES: list[tuple[str, set[str]]] = [
    # discovery
    ("/", {"GET", "OPTIONS"}),
    # capture interface
    ("/capture", {"GET", "POST", "OPTIONS"}),
    ("/capture/some-id", {"GET", "OPTIONS"}),
    # events
    ("/events", {"GET", "POST", "OPTIONS"}),
    ("/events/" + quote("urn:uuid:1", safe=""), {"GET", "OPTIONS"}),
    # top-level resources
    ("/epcs", {"GET", "OPTIONS"}),
    ("/bizSteps/shipping/events", {"GET", "OPTIONS"}),
    # named queries
    ("/queries", {"GET", "POST", "OPTIONS"}),
    ("/queries/q", {"GET", "DELETE", "OPTIONS"}),
    ("/queries/q/events", {"GET", "OPTIONS"}),
    # releasing a page token
    ("/nextPageToken/abc", {"DELETE", "OPTIONS"}),
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_options(api: Api) -> None:
    for path, allowed in OPTIONS_CASES:
        response = api.client.options(path, headers=api.auth())
        assert response.status_code == 204, path
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed, path
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"
