"""Named queries of the EPCIS 2.0 REST binding (EPCIS 2.0 §12.7, ``/queries``).

A named query is a stored view: ``POST /queries`` with ``{"name": …, "query": {…}}`` (the
``query`` validates against ``query-schema.json``: parameter → array of values, see
:func:`medtrace.epcis.query.parse_query_body`) answers ``201`` with ``Location:
/queries/{name}``; ``GET /queries`` lists them (paginated), ``GET``/``DELETE
/queries/{name}`` reads or removes one, and ``GET /queries/{name}/events`` runs it, one page
at a time (``perPage``/``nextPageToken``; other query-string parameters are refused: the
query is the stored one). Each organization has its own namespace of names. The
``GS1-Extensions`` prefixes given when the query was created are stored with it. Deleting a
named query also deletes its subscriptions (openapi.yaml: "Removes a named query and forcibly
unsubscribes all active subscriptions, whether by WebSockets or Webhooks").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, RawBody

from medtrace.api import common, negotiation, service_sql
from medtrace.api.errors import ApiError
from medtrace.api.events_rest import respond_events
from medtrace.api.openapi import QUERY_DOCUMENT_OPERATION, QUERY_DOCUMENT_RESPONSES
from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.query import NamedQuery, parse_query_body
from medtrace.store import subscriptions

__all__ = ["QueryDefinition", "query_handlers"]

_MAX_DEFINITION_BYTES: Final = 256 * 1024


class QueryDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """A named query (REST binding ``QueryDefinition``): its name and its query (parameter
    name → array of values, or a single value; ``query-schema.json``)."""

    name: str
    query: dict[str, Any]


class _Stored(msgspec.Struct, frozen=True, kw_only=True):
    query: dict[str, Any]
    extensions: dict[str, str] = {}


_STORED: Final = msgspec.json.Decoder(_Stored)
_ENCODER: Final = msgspec.json.Encoder()


def _load(row: service_sql.StoredQuery) -> _Stored:
    return _STORED.decode(row.definition)


def _find(request: Request[Any, Any, Any], name: str) -> service_sql.StoredQuery:
    user = common.principal(request)
    row = service_sql.get_named_query(common.repository(request).engine, user.org_id, name)
    if row is None:
        raise ApiError("NoSuchResourceException", f"no named query {name!r}")
    return row


def _list_queries(request: Request[Any, Any, Any]) -> Response[list[QueryDefinition]]:
    """The organization's named queries, by name, paginated."""
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    user = common.principal(request)
    per_page, token = common.raw_page_args(common.query_pairs(request))
    size = common.page_size(per_page, common.settings(request))
    after = str(common.decode_cursor(request, "queries", token, 1)[0]) if token else None
    engine = common.repository(request).engine
    rows = service_sql.list_named_queries(engine, user.org_id, after=after, limit=size + 1)
    page = rows[:size]
    next_token = common.encode_cursor("queries", page[-1].name) if len(rows) > size else None
    body = [QueryDefinition(name=row.name, query=_load(row).query) for row in page]
    return Response(body, headers=common.link_headers(request, next_token))


@get("/queries", summary="List named queries", tags=["Queries"])
async def list_queries(request: Request[Any, Any, Any]) -> Response[list[QueryDefinition]]:
    """The organization's named queries, by name, paginated."""
    return await common.in_read_thread(_list_queries, request)


def _create_query(request: Request[Any, Any, Any], body: RawBody) -> Response[QueryDefinition]:
    user = common.principal(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "application/ld+json"):
        raise ApiError(
            "UnsupportedMediaTypeException",
            f"Content-Type {media or '(none)'!r} is not supported; send application/json",
        )
    try:
        definition = msgspec.json.decode(body, type=QueryDefinition)
    except msgspec.ValidationError as exc:
        raise ApiError("ValidationException", f"query definition: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiError("ValidationException", f"not well-formed JSON: {exc}") from None
    extensions = negotiation.parse_extensions(request.headers.get("gs1-extensions"))
    created = datetime.now(UTC)
    NamedQuery(
        name=definition.name,
        query=parse_query_body(definition.query, extensions=extensions),
        created=created,
    )
    stored = _ENCODER.encode(_Stored(query=definition.query, extensions=extensions))
    engine = common.repository(request).engine
    if not service_sql.insert_named_query(engine, user.org_id, definition.name, stored, created):
        raise ApiError(
            "ResourceAlreadyExistsException",
            f"a named query {definition.name!r} already exists",
            headers={"Location": f"/queries/{definition.name}"},
        )
    return Response(
        definition, status_code=201, headers={"Location": f"/queries/{definition.name}"}
    )


@post(
    "/queries",
    status_code=201,
    summary="Create a named query",
    tags=["Queries"],
    request_max_body_size=_MAX_DEFINITION_BYTES,
)
async def create_query(request: Request[Any, Any, Any], body: RawBody) -> Response[QueryDefinition]:
    """Store ``{"name", "query"}``; ``409`` if the name is taken."""
    return await common.in_thread(_create_query, request, body)


def _read_query(request: Request[Any, Any, Any], query_name: FromPath[str]) -> QueryDefinition:
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    row = _find(request, query_name)
    return QueryDefinition(name=row.name, query=_load(row).query)


@get(
    "/queries/{query_name:str}",
    summary="Read a named query",
    tags=["Queries"],
)
async def read_query(request: Request[Any, Any, Any], query_name: FromPath[str]) -> QueryDefinition:
    """The definition of one named query."""
    return await common.in_read_thread(_read_query, request, query_name)


def _delete_query(request: Request[Any, Any, Any], query_name: FromPath[str]) -> None:
    user = common.principal(request)
    engine = common.repository(request).engine
    stopped = service_sql.delete_named_query(engine, user.org_id, query_name)
    if stopped is None:
        raise ApiError("NoSuchResourceException", f"no named query {query_name!r}")
    subscriptions.wait_and_purge(engine, stopped)


@delete(
    "/queries/{query_name:str}",
    status_code=204,
    summary="Delete a named query and its subscriptions",
    tags=["Queries"],
)
async def delete_query(request: Request[Any, Any, Any], query_name: FromPath[str]) -> None:
    """Remove one named query and forcibly unsubscribe its webhook and WebSocket subscriptions
    (REST binding ``DELETE /queries/{queryName}``). Answered once no webhook delivery of them
    is in flight: nothing more is sent after the ``204``; WebSockets are closed at their next
    poll."""
    return await common.in_thread(_delete_query, request, query_name)


def _query_events(request: Request[Any, Any, Any], query_name: FromPath[str]) -> Response[bytes]:
    row = _find(request, query_name)
    per_page, token = common.raw_page_args(common.query_pairs(request))
    stored = _load(row)
    try:
        query = parse_query_body(stored.query, extensions=stored.extensions)
    except QueryParameterError as exc:  # pragma: no cover - validated when created
        raise ApiError("ImplementationException", f"stored query is invalid: {exc}") from None
    return respond_events(request, query, token=token, per_page=per_page, query_name=row.name)


@get(
    "/queries/{query_name:str}/events",
    summary="Run a named query",
    tags=["Queries", "Events"],
    media_type="application/ld+json",
    responses=QUERY_DOCUMENT_RESPONSES,
    operation_class=QUERY_DOCUMENT_OPERATION,
)
async def query_events(
    request: Request[Any, Any, Any], query_name: FromPath[str]
) -> Response[bytes]:
    """The events of a named query, one page at a time (``perPage``, ``nextPageToken``)."""
    return await common.in_read_thread(_query_events, request, query_name)


query_handlers: Final = [list_queries, create_query, read_query, delete_query, query_events]
