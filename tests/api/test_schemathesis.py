"""Schemathesis over medtrace's own OpenAPI document (``/openapi.json``).

Every operation of the document gets a bounded number of generated requests (valid and
invalid), sent in-process through Schemathesis' ASGI transport with the admin key, and every
response is checked: no ``5xx`` (``not_a_server_error``), a documented status code, a
documented content type and a body that conforms to the documented schema.

The application runs over a fresh SQLite repository (one per module). Schemathesis starts
the application's lifespan itself (capture and delivery workers) and keeps it for the
process; the fixture shuts it down before the repository is closed.

Operations are run as subtests of one test, each with its own Hypothesis run, rather than
through ``schema.parametrize()``: the schema comes from a fixture, and Schemathesis' lazy
fixture loader (``schemathesis.pytest.from_fixture``, 4.32) fails under pytest 9
(``Function`` has no ``_nodeid``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.schemas import OpenApiSchema
from tests.api.test_rest_capture import CONTEXT, event

from medtrace.api.app import create_app
from medtrace.api.settings import ApiSettings
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key, create_organization

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _Target:
    """The application under test and the admin key."""

    def __init__(self, app: Litestar, token: str) -> None:
        self.app = app
        self.token = token


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Target]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    db = f"sqlite:///{tmp / 'api.sqlite'}"
    repo = Repository.open(db, create=True)
    org = create_organization(repo.engine, name="admin org", role=Role.ADMIN, glns=())
    token = create_api_key(repo.engine, org.org_id, name="schemathesis")[1]
    app = create_app(ApiSettings(db=db, spool_dir=tmp / "spool"), repository=repo)
    try:
        yield _Target(app, token)
    finally:
        shutdown_lifespans()
        repo.close()


@pytest.fixture(scope="module")
def api_schema(target: _Target) -> OpenApiSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", target.app)


def _operations(api_schema: OpenApiSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    # Every documented operation: the WebSocket subscriptions (``Upgrade: websocket`` on
    # ``/queries/{name}/events``) and ``OPTIONS`` are not in the document, so nothing is excluded.
    operations: list[APIOperation[Any, Any, Any, Any]] = []
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


def test_openapi_conformance(
    api_schema: OpenApiSchema, target: _Target, subtests: pytest.Subtests
) -> None:
    headers = {"Authorization": f"Bearer {target.token}"}
    operations = _operations(api_schema)
    assert operations
    for operation in operations:
        with subtests.test(msg=operation.label):
            strategy = st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )

            @given(case=strategy)
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Case[Any]) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            run()


def test_success_responses_conform(api_schema: OpenApiSchema, target: _Target) -> None:
    """The success paths random data rarely reaches: a stored event, then its queries."""
    headers = {"Authorization": f"Bearer {target.token}"}
    event_id = "urn:uuid:5d1c2a4e-7f3b-4c8e-9a0d-2b6e1f4c3a77"
    body = {"@context": [CONTEXT], **event(eventID=event_id)}
    created = (
        api_schema["/events"]["POST"]
        .Case(body=body, media_type="application/ld+json")
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert created.status_code == 201, created.text
    found = (
        api_schema["/events/{rest}"]["GET"]
        .Case(path_parameters={"rest": event_id})
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert found.status_code == 200, found.text
    listed = api_schema["/events"]["GET"].Case().call_and_validate(headers=headers, checks=CHECKS)
    assert listed.status_code == 200, listed.text
    named = (
        api_schema["/queries"]["POST"]
        .Case(body={"name": "all", "query": {}}, media_type="application/json")
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert named.status_code == 201, named.text
    ran = (
        api_schema["/queries/{query_name}/events"]["GET"]
        .Case(path_parameters={"query_name": "all"})
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert ran.status_code == 200, ran.text


NEGOTIATED_ID = "urn:uuid:5d1c2a4e-7f3b-4c8e-9a0d-2b6e1f4c3a78"


@pytest.mark.parametrize(
    "accept",
    [
        # JSON-LD, the default
        "application/ld+json",
        # plain JSON
        "application/json",
        # EPCIS 2.0 XML (§9)
        "application/xml",
        # XML, text/ flavour
        "text/xml",
    ],
)
def test_negotiated_answers_conform(
    api_schema: OpenApiSchema, target: _Target, accept: str
) -> None:
    """Every media type an event answer can take is documented (``content_type_conformance``)."""
    auth = {"Authorization": f"Bearer {target.token}"}
    epc = "urn:epc:id:sgtin:0614141.107346.negotiated"  # not captured by the other tests
    body = {"@context": [CONTEXT], **event(eventID=NEGOTIATED_ID, epcList=[epc])}
    stored = api_schema["/events"]["POST"].Case(body=body, media_type="application/ld+json")
    assert stored.call(headers=auth).status_code in (201, 409)
    for path, parameters in [
        ("/events", {}),
        ("/events/{rest}", {"rest": NEGOTIATED_ID}),
        ("/queries/{query_name}/events", {"query_name": "negotiated"}),
        # the events of a top-level resource member: ``rest`` is ``{id}/events``
        ("/bizSteps/{rest}", {"rest": "shipping/events"}),
    ]:
        if "query_name" in parameters:
            api_schema["/queries"]["POST"].Case(
                body={"name": "negotiated", "query": {}}, media_type="application/json"
            ).call(headers=auth)
        case = api_schema[path]["GET"].Case(path_parameters=parameters)
        response = case.call_and_validate(headers={**auth, "Accept": accept}, checks=CHECKS)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"][0].split(";")[0] == accept, path


def test_capture_and_token_release_conform(api_schema: OpenApiSchema, target: _Target) -> None:
    """``POST /capture``: ``202`` without content; ``DELETE /nextPageToken/{token}``: ``204``."""
    auth = {"Authorization": f"Bearer {target.token}"}
    body = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": [event(), event(bizStep="receiving")]},
    }
    accepted = (
        api_schema["/capture"]["POST"]
        .Case(body=body, media_type="application/ld+json")
        .call_and_validate(headers=auth, checks=CHECKS)
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.content == b""
    assert accepted.headers["location"][0].startswith("/capture/")
    member = (
        api_schema["/bizSteps/{rest}"]["GET"]
        .Case(path_parameters={"rest": "shipping"})
        .call_and_validate(headers=auth, checks=CHECKS)
    )
    assert member.status_code == 200, member.text
    page = api_schema["/eventTypes"]["GET"].Case(query={"perPage": 1}).call(headers=auth)
    link = page.headers["link"][0]
    token = link[: link.index(">")].rsplit("nextPageToken=", 1)[1]
    released = (
        api_schema["/nextPageToken/{token}"]["DELETE"]
        .Case(path_parameters={"token": token})
        .call_and_validate(headers=auth, checks=CHECKS)
    )
    assert released.status_code == 204, released.text
