"""``DELETE /nextPageToken/{token}`` (REST binding ``openapi.yaml``; EPCIS 2.0 §12.6).

Tokens are keyset cursors, so "release" means: the token is invalidated, and every later
request carrying it gets the same ``400 QueryParameterException`` as an altered token.
"""

from __future__ import annotations

import base64

import orjson
import pytest
from litestar.testing import TestClient
from tests.api.conftest import Api
from tests.api.test_rest_capture import document, event

from medtrace.api.app import create_app

SERIALS = [f"urn:epc:id:sgtin:0614141.107346.{n}" for n in range(3)]


@pytest.fixture
def paged(api: Api) -> Api:
    """Three events, two named queries and two subscriptions: every list has two pages."""
    events = [event(epcList=[serial]) for serial in SERIALS]
    assert api.capture(document(*events), "application/ld+json")["success"] is True
    assert api.capture(document(event()), "application/ld+json")["success"] is True
    for name in ("all", "shipped"):
        response = api.client.post("/queries", json={"name": name, "query": {}}, headers=api.auth())
        assert response.status_code == 201, response.text
    for _ in range(2):
        response = api.client.post(
            "/queries/all/subscriptions",
            json={"dest": "http://127.0.0.1:9/hook", "stream": True},
            headers=api.auth(),
        )
        assert response.status_code == 201, response.text
    return api


def next_url(api: Api, url: str, who: str = "admin") -> str:
    """The ``Link: rel="next"`` URL of the first page of ``url``."""
    response = api.client.get(url, headers=api.auth(who))
    assert response.status_code == 200, response.text
    link = response.headers["link"]
    return link[1 : link.index(">")]


def token_of(url: str) -> str:
    return url.rsplit("nextPageToken=", 1)[1]


def assert_refused(api: Api, url: str, who: str = "admin") -> None:
    response = api.client.get(url, headers=api.auth(who))
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["parameter"] == "nextPageToken"


LISTS = [
    # an event query (keyset cursor of the event log)
    "/events?perPage=1",
    # a named query run
    "/queries/all/events?perPage=1",
    # the named queries
    "/queries?perPage=1",
    # a top-level resource
    "/eventTypes?perPage=1",
    # capture jobs
    "/capture?perPage=1",
    # subscriptions
    "/queries/all/subscriptions?perPage=1",
]


@pytest.mark.parametrize("url", LISTS)
def test_invalidated_token_is_refused_and_others_still_work(paged: Api, url: str) -> None:
    mine, theirs = next_url(paged, url), next_url(paged, url)
    assert token_of(mine) != token_of(theirs)  # every issued token has its own id
    assert paged.client.get(mine, headers=paged.auth()).status_code == 200
    response = paged.client.delete(f"/nextPageToken/{token_of(mine)}", headers=paged.auth())
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_refused(paged, mine)
    # idempotent
    again = paged.client.delete(f"/nextPageToken/{token_of(mine)}", headers=paged.auth())
    assert again.status_code == 204
    # another client's token for the same page, and a fresh one, are unaffected
    assert paged.client.get(theirs, headers=paged.auth()).status_code == 200
    assert paged.client.get(next_url(paged, url), headers=paged.auth()).status_code == 200


def test_invalidation_is_persisted_for_every_process(paged: Api) -> None:
    url = next_url(paged, "/events?perPage=1")
    deleted = paged.client.delete(f"/nextPageToken/{token_of(url)}", headers=paged.auth())
    assert deleted.status_code == 204
    # a second service process over the same database refuses it too
    with TestClient(create_app(paged.settings, repository=paged.repo)) as other:
        response = other.get(url, headers=paged.auth())
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "nextPageToken"


def test_any_authenticated_organization_may_invalidate(paged: Api) -> None:
    url = next_url(paged, "/events?perPage=1", who="regulator")
    token = token_of(url)
    # no credentials: 401, and the token still works
    assert paged.client.delete(f"/nextPageToken/{token}").status_code == 401
    assert paged.client.get(url, headers=paged.auth("regulator")).status_code == 200
    # a regulator (a role that may not write) releases its own token
    response = paged.client.delete(f"/nextPageToken/{token}", headers=paged.auth("regulator"))
    assert response.status_code == 204, response.text
    assert_refused(paged, url, who="regulator")


def _sealed_junk() -> str:
    payload = orjson.dumps(["[1,2,3]", "0000000000000000"])
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # no store state involved
@pytest.mark.parametrize(
    "token",
    [
        # not base64 JSON at all
        "not-a-token",
        # base64 of JSON that is no token
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        # the envelope with a wrong checksum
        _sealed_junk(),
        # a token of the pre-id format (version 1, no token id)
        base64.urlsafe_b64encode(orjson.dumps(["queries", "q1"])).decode(),
        # percent-encoded garbage and non-ASCII
        "%E2%82%AC%00",
    ],
)
def test_malformed_tokens_are_a_problem_not_a_500(api: Api, token: str) -> None:
    response = api.client.delete(f"/nextPageToken/{token}", headers=api.auth())
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["parameter"] == "nextPageToken"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_token_of_one_list_does_not_page_another(paged: Api) -> None:
    url = next_url(paged, "/queries?perPage=1")
    assert_refused(paged, f"/eventTypes?perPage=1&nextPageToken={token_of(url)}")
    assert_refused(paged, f"/events?perPage=1&nextPageToken={token_of(url)}")
