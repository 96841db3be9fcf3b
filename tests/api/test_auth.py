"""Authentication: API keys, the OAuth 2.0 token endpoint (RFC 6749 §4.4), JWTs and guards."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.testing import TestClient
from tests.api.conftest import Api

from medtrace.api.auth import (
    KEY_CACHE_SECONDS,
    KeyCache,
    auth_middleware,
    require_admin,
    require_write,
)
from medtrace.api.errors import exception_handlers
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key, create_organization, revoke_api_key

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def app(api_factory: Callable[..., Api]) -> Api:
    """The application without the capture worker (these tests capture nothing)."""
    return api_factory(capture_worker=False)


def _flip(text: str) -> str:
    """``text`` with its last character changed."""
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def _jwt(app: Api, who: str = "operator") -> str:
    key_id, secret = app.tokens[who].split("_", 2)[1:]
    response = app.client.post(
        "/oauth/token",
        content=f"grant_type=client_credentials&client_id={key_id}&client_secret={secret}",
        headers=FORM,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == "epcisException:SecurityException"
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == 401
    assert body["instance"] == "/events"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # no credential at all
        (lambda _: {}, 401),
        # a scheme other than Bearer
        (lambda _: {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        # "Bearer" without a credential
        (lambda _: {"Authorization": "Bearer "}, 401),
        # a malformed API key
        (lambda _: {"Authorization": "Bearer mt_nothex_x"}, 401),
        # a well-formed API key with a wrong secret
        (lambda app: {"Authorization": f"Bearer {_flip(app.tokens['operator'])}"}, 401),
        # a valid API key as a bearer credential
        (lambda app: {"Authorization": f"Bearer {app.tokens['operator']}"}, 200),
        # a valid API key in X-API-Key
        (lambda app: {"X-API-Key": app.tokens["auditor"]}, 200),
        # a JWT from /oauth/token
        (lambda app: {"Authorization": f"Bearer {_jwt(app)}"}, 200),
        # a JWT with an altered signature
        (lambda app: {"Authorization": f"Bearer {_flip(_jwt(app))}"}, 401),
        # something that is neither
        (lambda _: {"Authorization": "Bearer not.a.jwt"}, 401),
    ],
)
def test_credentials(app: Api, headers: Callable[[Api], dict[str, str]], status: int) -> None:
    response = app.client.get("/events", headers=headers(app))
    if status == 401:
        _assert_401(response)
    else:
        assert response.status_code == status, response.text


def test_revoked_key_and_its_tokens_are_refused(app: Api) -> None:
    token = app.tokens["operator"]
    access = _jwt(app)
    assert app.client.get("/events", headers={"Authorization": f"Bearer {access}"}).is_success
    revoke_api_key(app.repo.engine, token.split("_", 2)[1])
    # the key itself, and the JWT issued to it
    _assert_401(app.client.get("/events", headers={"Authorization": f"Bearer {token}"}))
    _assert_401(app.client.get("/events", headers={"Authorization": f"Bearer {access}"}))


@pytest.mark.parametrize(
    "path",
    [
        # the OpenAPI document and the docs are open
        "/openapi.json",
        "/docs",
    ],
)
def test_open_paths(app: Api, path: str) -> None:
    assert app.client.get(path).status_code == 200


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    ("body", "basic", "status", "error"),
    [
        # client credentials in the form body
        ("grant_type=client_credentials&client_id={id}&client_secret={secret}", False,
         200, None),
        # client credentials as HTTP Basic (RFC 6749 §2.3.1)
        ("grant_type=client_credentials", True, 200, None),
        # a wrong secret
        ("grant_type=client_credentials&client_id={id}&client_secret=wrong", False,
         401, "invalid_client"),
        # an unknown client
        ("grant_type=client_credentials&client_id=0000000000000000&client_secret={secret}",
         False, 401, "invalid_client"),
        # another grant type
        ("grant_type=password&username=a&password=b", False, 400,
         "unsupported_grant_type"),
        # no grant type
        ("client_id={id}&client_secret={secret}", False, 400,
         "invalid_request"),
        # no client credentials
        ("grant_type=client_credentials", False, 400, "invalid_request"),
        # credentials twice (Basic and body)
        ("grant_type=client_credentials&client_id={id}&client_secret={secret}", True,
         400, "invalid_request"),
        # not a form (a JSON body)
        ('{"grant_type": "client_credentials"}', False, 400, "invalid_request"),
    ],
)  # fmt: skip
def test_token_endpoint(app: Api, body: str, basic: bool, status: int, error: str | None) -> None:
    key_id, secret = app.tokens["operator"].split("_", 2)[1:]
    json = body.startswith("{")
    headers = {"Content-Type": "application/json" if json else FORM["Content-Type"]}
    if basic:
        headers["Authorization"] = _basic(key_id, secret)
    response = app.client.post(
        "/oauth/token",
        content=body.replace("{id}", key_id).replace("{secret}", secret),
        headers=headers,
    )
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    payload = response.json()
    if error is None:
        assert payload["token_type"] == "Bearer"  # noqa: S105
        assert payload["expires_in"] == 3600
        assert payload["access_token"].count(".") == 2
    else:
        assert payload["error"] == error
        assert payload["error_description"]
        assert secret not in response.text


# --------------------------------------------------------------------------- guards


@get("/write", guards=[require_write], sync_to_thread=False)
def _write() -> str:
    return "written"


@get("/admin", guards=[require_admin], sync_to_thread=False)
def _admin() -> str:
    return "administered"


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    """A fresh store on ``db_url``."""
    with Repository.open(db_url, create=True) as repository:
        yield repository


@pytest.fixture
def guarded(repo: Repository) -> Iterator[tuple[TestClient[Litestar], dict[Role, str]]]:
    """A small application with the guarded routes, and a key per role."""
    keys = {}
    for role in Role:
        org = create_organization(repo.engine, name=f"org {role.value}", role=role)
        keys[role] = create_api_key(repo.engine, org.org_id)[1]
    app = Litestar(
        route_handlers=[_write, _admin],
        middleware=[auth_middleware(repo)],
        exception_handlers=exception_handlers(),
        state=State({"repository": repo}),
    )
    with TestClient(app) as client:
        yield client, keys


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        # operators and admins write; auditors and regulators do not
        ("/write", Role.OPERATOR, 200),
        ("/write", Role.ADMIN, 200),
        ("/write", Role.AUDITOR, 403),
        ("/write", Role.REGULATOR, 403),
        # only admins administer
        ("/admin", Role.ADMIN, 200),
        ("/admin", Role.OPERATOR, 403),
        ("/admin", Role.REGULATOR, 403),
    ],
)
def test_guards(
    guarded: tuple[TestClient[Litestar], dict[Role, str]], path: str, role: Role, status: int
) -> None:
    client, keys = guarded
    response = client.get(path, headers={"X-API-Key": keys[role]})
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["type"] == "epcisException:SecurityException"


def test_a_revoked_key_is_refused_once_its_cached_principal_expires(app: Api) -> None:
    token = app.tokens["operator"]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.client.get("/events", headers=headers).is_success  # now cached
    revoke_api_key(app.repo.engine, token.split("_", 2)[1])
    time.sleep(KEY_CACHE_SECONDS + 0.1)
    _assert_401(app.client.get("/events", headers=headers))


@pytest.mark.parametrize(
    ("authorization", "api_key", "cached"),
    [
        ("Bearer mt_abc_def", None, True),
        (None, " mt_abc_def ", True),
        ("Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJtdF94In0.mt_sig", None, False),  # a JWT
        (None, None, False),
    ],
)
def test_only_api_keys_are_cached(
    authorization: str | None, api_key: str | None, cached: bool
) -> None:
    assert (KeyCache.key(authorization, api_key) is not None) is cached


def _principal(name: str) -> Principal:
    return Principal(name, name, Role.OPERATOR, key_id=f"k-{name}")


def test_key_cache_lets_one_request_look_a_stale_key_up_while_the_others_keep_it() -> None:
    cache = KeyCache(ttl=0.2)
    key = KeyCache.key("Bearer mt_a_b", None)
    assert key is not None
    assert cache.get(key) is None and cache.claim(key) is None  # never seen
    first = _principal("first")
    cache.put(key, first)
    assert cache.get(key) is first and cache.claim(key) is first  # fresh
    time.sleep(0.25)
    assert cache.get(key) is None  # stale, and nobody looks it up: the fast path declines
    assert cache.claim(key) is None  # this caller looks it up ...
    assert cache.get(key) is first  # ... meanwhile the others keep the principal
    assert cache.claim(key) is first  # and are not asked to look it up too
    second = _principal("second")
    cache.put(key, second)
    assert cache.get(key) is second
    time.sleep(0.25)
    assert cache.claim(key) is None
    time.sleep(0.25)  # the lookup never finished: the stale principal is kept at most ttl
    assert cache.get(key) is None
    assert cache.claim(key) is None  # the next request looks it up again
    cache.forget(key)  # its lookup failed (revoked)
    assert cache.get(key) is None and cache.claim(key) is None
