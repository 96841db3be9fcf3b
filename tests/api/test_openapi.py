"""medtrace's own OpenAPI document (``/openapi.json``) and docs (``/docs``); OPTIONS everywhere."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from tests.api.conftest import Api


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
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_options(api: Api) -> None:
    for path, allowed in OPTIONS_CASES:
        response = api.client.options(path, headers=api.auth())
        assert response.status_code == 204, path
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed, path
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"
