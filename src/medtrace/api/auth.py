"""Authentication of HTTP requests and the OAuth 2.0 token endpoint.

* :func:`auth_middleware` — every request outside the open paths (``/openapi*``, ``/docs*``,
  ``/oauth/token``, ``/health``) must carry ``Authorization: Bearer <credential>`` or
  ``X-API-Key: <API key>``. The credential is an API key (``mt_<key_id>_<secret>``) or a JWT
  issued by ``/oauth/token`` (RFC 7519, ``EdDSA`` per RFC 8037). The principal
  (:class:`~medtrace.store.principal.Principal`) becomes ``request.user``. A missing or invalid
  credential is answered ``401`` with an RFC 7807 problem of type ``SecurityException`` and
  ``WWW-Authenticate: Bearer`` (RFC 6750 §3).
* :data:`auth_handlers` — ``POST /oauth/token``, the client credentials grant (RFC 6749 §4.4):
  ``grant_type=client_credentials`` with ``client_id`` = the API key id and ``client_secret`` =
  its secret, in the form body or as HTTP Basic (RFC 6749 §2.3.1). The answer is
  ``{"access_token", "token_type": "Bearer", "expires_in"}`` (§5.1) with ``Cache-Control:
  no-store``; errors are the JSON of §5.2 (``invalid_request``, ``invalid_client``,
  ``unsupported_grant_type``).
* :func:`require_write`, :func:`require_admin` — route guards: operators and admins write;
  only admins administer. Refusals are ``403`` ``SecurityException`` problems.

Credentials are never logged.

An API key's principal is kept in a per-process cache for :data:`KEY_CACHE_SECONDS` (keyed by a
SHA-256 of the credential, never the credential itself), so that a busy service does not look
the key up on every request: a revoked key, or a changed organization, takes effect within that
time. Access tokens are verified every time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from typing import Any, Final
from urllib.parse import unquote_plus

import anyio.to_thread
import msgspec
from litestar import Request, Response, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ASGIApp
from sqlalchemy.engine import Engine

from medtrace.api.errors import ApiError
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import (
    authenticate_api_key,
    authenticate_client,
    issue_token,
    verify_token,
)

__all__ = [
    "KEY_CACHE_SECONDS",
    "OPEN_PATHS",
    "TOKEN_TTL",
    "KeyCache",
    "TokenError",
    "TokenResponse",
    "auth_handlers",
    "auth_middleware",
    "authenticate",
    "require_admin",
    "require_write",
]

#: Paths served without credentials (regular expressions matched at the start of the path).
OPEN_PATHS: Final = ("^/openapi", "^/docs", "^/oauth/token", "^/health")
#: Lifetime of the access tokens ``/oauth/token`` issues (seconds).
TOKEN_TTL: Final = 3600
#: Seconds an API key's principal is reused without looking the key up again.
KEY_CACHE_SECONDS: Final = 1.0
_KEY_CACHE_MAX: Final = 10_000
_CHALLENGE: Final = 'Bearer realm="medtrace"'
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _unauthorized(detail: str) -> ApiError:
    return ApiError(
        "SecurityException", detail, status=401, headers={"WWW-Authenticate": _CHALLENGE}
    )


def authenticate(engine: Engine, authorization: str | None, api_key: str | None) -> Principal:
    """The principal of a request's ``Authorization`` / ``X-API-Key`` headers.

    Raises a ``401`` :class:`~medtrace.api.errors.ApiError` when the credential is missing or
    not valid (the message never repeats the credential).
    """
    credential: str | None = None
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized(
                "unsupported Authorization header: expected 'Bearer <API key or token>'"
            )
        credential = value.strip()
    elif api_key is not None:
        credential = api_key.strip()
    if not credential:
        raise _unauthorized(
            "authentication required: send 'Authorization: Bearer <API key or token>' "
            "or 'X-API-Key: <API key>'"
        )
    if credential.startswith("mt_"):
        found = authenticate_api_key(engine, credential)
        what = "API key"
    else:
        found = verify_token(engine, credential)
        what = "access token"
    if found is None:
        raise _unauthorized(f"the {what} is not valid (unknown, revoked, expired or altered)")
    return found


class KeyCache:
    """API key principals for :data:`KEY_CACHE_SECONDS`, by SHA-256 of the request's headers.

    A principal is fresh for ``ttl`` seconds. Then the first request that needs it through the
    authentication middleware (:meth:`claim`) looks the key up again, and while that lookup
    runs, for at most ``ttl`` more seconds, every other request keeps the principal it had
    (:meth:`get`, :meth:`claim`). Without this, every request that arrived during the lookup's
    few milliseconds looked the key up too, through the framework's slow path: at thousands
    of verification requests a second, tens of requests once a second per process, and the
    tail of the latency distribution. A revoked key stops working within ``ttl`` plus one
    lookup (at most ``2 * ttl``).
    """

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, max_entries: int = _KEY_CACHE_MAX) -> None:
        self._ttl = ttl
        self._max = max_entries
        # key → (fresh until, principal, kept while a lookup runs until)
        self._entries: dict[bytes, tuple[float, Principal, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(authorization: str | None, api_key: str | None) -> bytes | None:
        """The cache key of an API key credential (``None`` for tokens and missing headers)."""
        if authorization is not None:
            credential = authorization.strip().partition(" ")[2].strip()
        else:
            credential = (api_key or "").strip()
        if not credential.startswith("mt_"):
            return None
        return hashlib.sha256(f"{authorization}\x00{api_key}".encode()).digest()

    def get(self, key: bytes) -> Principal | None:
        """The cached principal while fresh, or while another request looks the key up."""
        hit = self._entries.get(key)
        if hit is None:
            return None
        now = time.monotonic()
        return hit[1] if now < hit[0] or now < hit[2] else None

    def claim(self, key: bytes) -> Principal | None:
        """:meth:`get`; ``None`` also when the principal is stale and no lookup runs, and then
        the caller is the one to look the key up: it must :meth:`put` the principal found, or
        :meth:`forget` the key."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            now = time.monotonic()
            if now < hit[0] or now < hit[2]:
                return hit[1]
            self._entries[key] = (hit[0], hit[1], now + self._ttl)
            return None

    def put(self, key: bytes, principal: Principal) -> None:
        """Remember ``principal`` for the next :data:`KEY_CACHE_SECONDS`."""
        with self._lock:
            if len(self._entries) >= self._max:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if max(v[0], v[2]) > now}
                if len(self._entries) >= self._max:
                    self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, principal, 0.0)

    def forget(self, key: bytes) -> None:
        """Drop the key's principal (its lookup failed: revoked, unknown, or no store)."""
        with self._lock:
            self._entries.pop(key, None)


class _AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to the :class:`Principal` of the request's credential."""

    def __init__(self, app: ASGIApp, engine: Engine, exclude: list[str], cache: KeyCache) -> None:
        super().__init__(app, exclude=exclude)
        self._engine = engine
        self._cache = cache

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
        headers = connection.headers
        authorization, api_key = headers.get("authorization"), headers.get("x-api-key")
        key = KeyCache.key(authorization, api_key)
        principal = self._cache.claim(key) if key is not None else None
        if principal is None:
            try:
                principal = await anyio.to_thread.run_sync(
                    authenticate, self._engine, authorization, api_key
                )
            except BaseException:
                if key is not None:
                    self._cache.forget(key)
                raise
            if key is not None:
                if principal.key_id is not None:
                    self._cache.put(key, principal)
                else:
                    self._cache.forget(key)
        return AuthenticationResult(user=principal, auth=principal.key_id)


def auth_middleware(repository: Repository, cache: KeyCache | None = None) -> DefineMiddleware:
    """The authentication middleware for the application (see the module docstring).

    ``cache`` is the API key cache it fills (shared with :mod:`medtrace.api.vrs_fast`).
    """
    return DefineMiddleware(
        _AuthenticationMiddleware,
        engine=repository.engine,
        exclude=list(OPEN_PATHS),
        cache=cache if cache is not None else KeyCache(),
    )


# --------------------------------------------------------------------------- guards


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise _unauthorized("authentication required")
    return user


def require_write(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: operators and admins only (auditors and regulators read)."""
    user = _principal(connection)
    if not user.may_write:
        raise ApiError(
            "SecurityException",
            f"organization {user.name!r} has role {user.role.value!r}, which may not write",
            status=403,
        )


def require_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: admins only."""
    user = _principal(connection)
    if user.role is not Role.ADMIN:
        raise ApiError(
            "SecurityException",
            f"organization {user.name!r} has role {user.role.value!r}; this needs 'admin'",
            status=403,
        )


# --------------------------------------------------------------------------- /oauth/token


class TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A successful access token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: str
    expires_in: int


class TokenError(msgspec.Struct, frozen=True, kw_only=True):
    """An error response of the token endpoint (RFC 6749 §5.2)."""

    error: str
    error_description: str


def _error(
    error: str, description: str, status: int = 400, *, basic: bool = False
) -> Response[TokenError]:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="medtrace"' if basic else _CHALLENGE
    return Response(
        TokenError(error=error, error_description=description),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def _basic(header: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of an HTTP Basic header (RFC 6749 §2.3.1), else None."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


@post(
    "/oauth/token",
    exclude_from_auth=True,
    status_code=200,
    summary="OAuth 2.0 token",
    responses={
        400: ResponseSpec(TokenError, description="Malformed request (RFC 6749 §5.2)"),
        401: ResponseSpec(TokenError, description="Unknown client (RFC 6749 §5.2)"),
    },
)
async def token(request: Request[Any, Any, Any]) -> Response[Any]:
    """Client credentials grant (RFC 6749 §4.4): an API key's id and secret → a bearer JWT."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _error(
            "invalid_request", "expected an application/x-www-form-urlencoded request body"
        )
    form = await request.form()
    grant = form.get("grant_type")
    if grant is None:
        return _error("invalid_request", "the grant_type parameter is missing")
    if grant != "client_credentials":
        return _error("unsupported_grant_type", "only grant_type=client_credentials is supported")
    basic = _basic(request.headers.get("authorization"))
    posted_id, posted_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None and posted_secret is not None:
        return _error("invalid_request", "send client credentials once: Basic or the body")
    client_id, secret = basic if basic is not None else (posted_id, posted_secret)
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id:
        return _error("invalid_request", "client_id and client_secret are required")
    engine = request.app.state.repository.engine
    found = await anyio.to_thread.run_sync(authenticate_client, engine, client_id, secret)
    if found is None:
        return _error(
            "invalid_client", "client authentication failed", 401, basic=basic is not None
        )
    access = await anyio.to_thread.run_sync(lambda: issue_token(engine, found, ttl=TOKEN_TTL))
    return Response(
        TokenResponse(access_token=access, token_type="Bearer", expires_in=TOKEN_TTL),  # noqa: S106
        status_code=200,
        headers=dict(_NO_STORE),
        media_type="application/json",
    )


#: The route handlers of this module, for :func:`medtrace.api.app.create_app`.
auth_handlers: Final = [token]
