"""Request helpers shared by the EPCIS REST handlers (EPCIS 2.0 §12; RFC 8288 links).

* :func:`principal` / :func:`writer`: who the request acts for (``request.user``, set by the
  authentication middleware), ``401``/``403 SecurityException`` otherwise.
* :func:`path_ids`: identifiers in the path **as sent**, percent-decoded once. Resource ids are
  URIs (``urn:epc:id:sgtin:…``, ``https://id.gs1.org/01/…``, ``ni:///sha-256;…?ver=CBV2.0``)
  and clients percent-encode them (``%2F``, ``%3F``); routing on the decoded path would split
  them, so handlers read the raw path.
* :func:`page_size`, :func:`next_link`, :func:`encode_cursor` / :func:`decode_cursor`:
  ``perPage`` (default 30, capped at the configured maximum), ``nextPageToken`` and the
  ``Link: <…>; rel="next"`` header (RFC 8288 §3) that repeats the request with the token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, ParamSpec, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode

import anyio
import msgspec
from litestar import Request

from medtrace.api.errors import ApiError
from medtrace.api.settings import ApiSettings
from medtrace.epcis.errors import QueryParameterError
from medtrace.store import page_tokens
from medtrace.store.engine import read_connection
from medtrace.store.principal import Principal
from medtrace.store.repository import Repository

__all__ = [
    "EPCIS_CONTEXT",
    "Collection",
    "decode_cursor",
    "encode_cursor",
    "in_read_thread",
    "in_thread",
    "link_headers",
    "next_link",
    "page_size",
    "path_ids",
    "principal",
    "query_pairs",
    "repository",
    "settings",
    "writer",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: The JSON-LD context of the REST binding's collection resources.
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


class Collection(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON-LD ``Collection`` resource (``TopLevelResourceCollection``, ``UriCollection``,
    ``ResourceCollection``, ``EventTypeCollection`` … of the REST binding)."""

    context: str = msgspec.field(default=EPCIS_CONTEXT, name="@context")
    type: str = "Collection"
    member: list[str]


async def in_thread(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run blocking store work in a worker thread (handlers stay ``async``)."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


_READ_LIMITER: Final = "read_limiter"


async def in_read_thread(fn: Callable[..., _T], request: Request[Any, Any, Any], *args: Any) -> _T:
    """Run ``fn(request, *args)``, a **read** (it never waits for a write lock), in a worker
    thread, at most :meth:`~medtrace.api.settings.ApiSettings.effective_read_threads` at once
    in this process; the others wait their turn in arrival order.

    Writes (``POST /events``, subscriptions, named queries) use :func:`in_thread`: a write that
    waits for SQLite's lock behind a capture must not hold up the reads.
    """
    state = request.app.state
    limiter = state.get(_READ_LIMITER)
    if limiter is None:  # created in the event loop on first use (one per application)
        limiter = anyio.CapacityLimiter(settings(request).effective_read_threads())
        state[_READ_LIMITER] = limiter
    return await anyio.to_thread.run_sync(functools.partial(fn, request, *args), limiter=limiter)


def settings(request: Request[Any, Any, Any]) -> ApiSettings:
    """The service settings."""
    found: ApiSettings = request.app.state.settings
    return found


def repository(request: Request[Any, Any, Any]) -> Repository:
    """The store."""
    found: Repository = request.app.state.repository
    return found


def principal(request: Request[Any, Any, Any]) -> Principal:
    """The organization the request acts for; ``401`` if the request is not authenticated."""
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise ApiError(
            "SecurityException",
            "authentication required: send 'Authorization: Bearer <API key or token>'",
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="medtrace"'},
        )
    return user


def writer(request: Request[Any, Any, Any]) -> Principal:
    """The principal, which must be allowed to write (``403`` otherwise)."""
    user = principal(request)
    if not user.may_write:
        raise ApiError(
            "SecurityException",
            f"organization {user.name!r} has role {user.role.value!r}, which may not write",
            status=403,
        )
    return user


def path_ids(request: Request[Any, Any, Any], prefix: str) -> list[str]:
    """The percent-decoded raw path segments after ``prefix`` (e.g. ``/epcs``)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(request.url.path)
    path = path.split("?", 1)[0]
    rest = path[len(prefix) :].strip("/") if path.startswith(prefix) else ""
    return [unquote(segment) for segment in rest.split("/")] if rest else []


def query_pairs(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    """The query string as (name, value) pairs, in order, blanks kept."""
    raw = request.scope.get("query_string", b"")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise QueryParameterError("not UTF-8 after percent-decoding", parameter="query") from None


def page_size(requested: int | None, config: ApiSettings) -> int:
    """``perPage`` as served: the default when absent, never above the configured maximum."""
    if requested is None:
        return config.default_per_page
    return min(requested, config.max_per_page)


def raw_page_args(pairs: list[tuple[str, str]]) -> tuple[int | None, str | None]:
    """``perPage`` and ``nextPageToken`` of a non-event list (other parameters refused)."""
    per_page: int | None = None
    token: str | None = None
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise QueryParameterError("given more than once", parameter=name, value=value)
        seen.add(name)
        if name == "perPage":
            if not value.isdigit() or int(value) < 1:
                raise QueryParameterError(
                    "expected a positive integer", parameter=name, value=value
                )
            per_page = int(value)
        elif name == "nextPageToken":
            if not value:
                raise QueryParameterError("must not be empty", parameter=name, value=value)
            token = value
        else:
            raise QueryParameterError(
                "unknown parameter (this list takes perPage and nextPageToken)",
                parameter=name,
                value=value,
            )
    return per_page, token


def next_link(request: Request[Any, Any, Any], token: str) -> str:
    """The RFC 8288 ``Link`` value of the next page: this request with ``nextPageToken``."""
    pairs = [(n, v) for n, v in query_pairs(request) if n != "nextPageToken"]
    pairs.append(("nextPageToken", token))
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(request.url.path)
    path = path.split("?", 1)[0]
    return f'<{path}?{urlencode(pairs, quote_via=quote)}>; rel="next"'


def link_headers(request: Request[Any, Any, Any], token: str | None) -> dict[str, str]:
    """``{"Link": …}`` when there is a next page, else nothing."""
    return {} if token is None else {"Link": next_link(request, token)}


def encode_cursor(kind: str, *values: object) -> str:
    """A new opaque ``nextPageToken`` for a non-event list (``kind`` tags the list), sealed
    with a random token id (:mod:`medtrace.store.page_tokens`)."""
    return page_tokens.seal(["list", kind, *values])


def decode_cursor(request: Request[Any, Any, Any], kind: str, token: str, arity: int) -> list[Any]:
    """The values in a token made by :func:`encode_cursor` for the same ``kind``; a
    ``QueryParameterException`` for any other token, or one revoked with
    ``DELETE /nextPageToken/{token}``."""
    fields, _ = page_tokens.unseal(token)
    if len(fields) != arity + 2 or fields[:2] != ["list", kind]:
        raise page_tokens.InvalidPageTokenError(
            "not a page token issued by this server for this list"
        )
    with read_connection(repository(request).engine) as conn:
        page_tokens.check_not_revoked(conn, token)
    return fields[2:]
