"""Every error path answers the same RFC 7807 problem shape with an EPCIS exception type."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.api.conftest import Api
from tests.api.test_rest_capture import CONTEXT, INVALID, document, event

from medtrace.store.repository import Repository

MEMBERS = {"type", "title", "status", "detail", "instance", "parameter", "errors"}
JSONLD = {"Content_Type": "application/ld+json"}

# (method, url, who, headers, body, status, exception type, parameter)
CASES: list[tuple[str, str, str | None, dict[str, str], bytes | None, int, str, str | None]] = [
    # not authenticated
    ("GET", "/events", None, {}, None, 401, "SecurityException", None),
    # an unknown bearer token
    ("GET", "/events", "nobody", {}, None, 401, "SecurityException", None),
    # an auditor may not capture
    ("POST", "/capture", "auditor", JSONLD, document(event()), 403, "SecurityException", None),
    # an unknown CBV value in a query parameter
    (
        "GET",
        "/events?EQ_bizStep=teleporting",
        "admin",
        {},
        None,
        400,
        "QueryParameterException",
        "EQ_bizStep",
    ),
    # an unknown query parameter
    (
        "GET",
        "/events?EQ_nothing=1",
        "admin",
        {},
        None,
        400,
        "QueryParameterException",
        "EQ_nothing",
    ),
    # a page token that was not issued by the server
    (
        "GET",
        "/events?nextPageToken=abc",
        "admin",
        {},
        None,
        400,
        "QueryParameterException",
        "nextPageToken",
    ),
    # perPage not a number
    ("GET", "/events?perPage=many", "admin", {}, None, 400, "QueryParameterException", "perPage"),
    # a list parameter given twice
    (
        "GET",
        "/epcs?perPage=1&perPage=2",
        "admin",
        {},
        None,
        400,
        "QueryParameterException",
        "perPage",
    ),
    # more events than maxEventCount
    ("GET", "/events?maxEventCount=1", "admin", {}, None, 413, "QueryTooLargeException", None),
    # an unknown GS1-EPC-Format
    (
        "GET",
        "/events",
        "admin",
        {"GS1_EPC_Format": "Sometimes"},
        None,
        400,
        "ValidationException",
        "GS1-EPC-Format",
    ),
    # a malformed GS1-Extensions header
    (
        "GET",
        "/events",
        "admin",
        {"GS1_Extensions": "no-equals"},
        None,
        400,
        "ValidationException",
        "GS1-Extensions",
    ),
    # no acceptable media type
    ("GET", "/events", "admin", {"Accept": "text/html"}, None, 406, "NotAcceptableException", None),
    (
        "GET",
        "/capture",
        "admin",
        {"Accept": "application/xml"},
        None,
        406,
        "NotAcceptableException",
        None,
    ),
    # a document that is not JSON
    ("POST", "/capture", "admin", JSONLD, b"{not json", 400, "ValidationException", None),
    # an empty body
    ("POST", "/capture", "admin", JSONLD, b"", 400, "ValidationException", None),
    # an unsupported media type
    (
        "POST",
        "/capture",
        "admin",
        {"Content_Type": "text/plain"},
        b"x",
        415,
        "UnsupportedMediaTypeException",
        None,
    ),
    # an unknown error behaviour
    (
        "POST",
        "/capture",
        "admin",
        {**JSONLD, "GS1_Capture_Error_Behaviour": "maybe"},
        document(event()),
        400,
        "ValidationException",
        "GS1-Capture-Error-Behaviour",
    ),
    # an invalid single event
    (
        "POST",
        "/events",
        "admin",
        JSONLD,
        orjson.dumps({"@context": [CONTEXT], **INVALID}),
        400,
        "ValidationException",
        None,
    ),
    # unknown resources
    ("GET", "/nothing/here", "admin", {}, None, 404, "NoSuchResourceException", None),
    (
        "GET",
        "/events/urn%3Auuid%3Aunknown",
        "admin",
        {},
        None,
        404,
        "NoSuchResourceException",
        None,
    ),
    ("GET", "/capture/unknown-job", "admin", {}, None, 404, "NoSuchResourceException", None),
    ("GET", "/queries/unknown", "admin", {}, None, 404, "NoSuchResourceException", None),
    # a method the resource does not have
    ("DELETE", "/events", "admin", {}, None, 405, "MethodNotAllowedException", None),
    ("PUT", "/capture", "admin", {}, None, 405, "MethodNotAllowedException", None),
]


def assert_problem(response: Any, status: int, kind: str, parameter: str | None) -> dict[str, Any]:
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, (where, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    problem: dict[str, Any] = response.json()
    assert set(problem) <= MEMBERS
    assert problem["type"] == f"epcisException:{kind}"
    assert isinstance(problem["title"], str) and problem["title"]
    assert problem["status"] == status
    assert isinstance(problem["detail"], str) and problem["detail"]
    assert problem["instance"] == response.request.url.path
    assert problem.get("parameter") == parameter
    for item in problem.get("errors", []):
        assert isinstance(item["message"], str)
    return problem


@pytest.fixture
def populated(api: Api) -> Api:
    api.tokens["nobody"] = "not-a-key"
    assert api.capture(document(event(), event(action="ADD")), "application/ld+json")["success"]
    return api


def test_every_error_path_has_the_problem_shape(populated: Api) -> None:
    for method, url, who, headers, body, status, kind, parameter in CASES:
        sent = (
            populated.auth(who, **headers)
            if who
            else {k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = populated.client.request(method, url, headers=sent, content=body)
        problem = assert_problem(response, status, kind, parameter)
        if url == "/events" and method == "POST":
            assert problem["errors"][0]["rule"] == "aggregation.parent-required"
        if status == 401:
            assert "www-authenticate" in response.headers


def test_unexpected_errors_leak_nothing(populated: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(Repository, "query", broken)
    response = populated.client.get("/events", headers=populated.auth())
    problem = assert_problem(response, 500, "ImplementationException", None)
    assert "secret" not in response.text
    assert "reference" in problem["detail"]
