"""``/``, ``/events`` and ``/events/{eventID}`` of the EPCIS 2.0 REST binding (EPCIS 2.0 §12).

* ``GET /`` lists the top-level resources (discovery).
* ``GET /events`` runs the query language (EPCIS 2.0 §8.2.7.1 parameters in the query string,
  :func:`medtrace.epcis.query.parse_rest_query`) for the requesting organization and answers
  an ``EPCISQueryDocument`` page in JSON-LD or XML (``Accept``), with ``Link: rel="next"``
  (RFC 8288) while more pages follow.
* ``POST /events`` captures one event synchronously: ``201`` with ``Location``; ``409`` if it
  is already stored; ``400`` with the validator's problems if it is invalid.
* ``GET /events/{eventID}`` (percent-encoded id) answers the event in a query document.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, RawBody

from medtrace.api import common, negotiation
from medtrace.api.errors import ApiError, ProblemItem
from medtrace.api.openapi import (
    CREATED_EVENT_RESPONSES,
    QUERY_DOCUMENT_OPERATION,
    QUERY_DOCUMENT_RESPONSES,
)
from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.jsonld_reader import read_jsonld_event
from medtrace.epcis.jsonld_writer import write_jsonld_event
from medtrace.epcis.model import EPCISDocument
from medtrace.epcis.query import parse_rest_query
from medtrace.epcis.query_model import EventQuery
from medtrace.epcis.validate import validate_event
from medtrace.epcis.xml_reader import read_xml_event
from medtrace.epcis.xml_safety import XmlLimits

__all__ = ["TOP_LEVEL", "event_handlers", "respond_events", "run_events_request"]

#: The top-level resources (REST binding ``TopLevelResources``).
TOP_LEVEL: Final = (
    "queries",
    "capture",
    "events",
    "eventTypes",
    "epcs",
    "readPoints",
    "bizLocations",
    "dispositions",
    "bizSteps",
)
_JSON_BODY: Final = ("application/ld+json", "application/json")
_XML_BODY: Final = ("application/xml", "text/xml")


def body_syntax(request: Request[Any, Any, Any]) -> str:
    """``"jsonld"`` or ``"xml"`` from ``Content-Type``; ``415`` for anything else."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in _JSON_BODY:
        return "jsonld"
    if media in _XML_BODY:
        return "xml"
    raise ApiError(
        "UnsupportedMediaTypeException",
        f"Content-Type {media or '(none)'!r} is not supported; send "
        + ", ".join((*_JSON_BODY, *_XML_BODY)),
    )


def respond_events(
    request: Request[Any, Any, Any],
    query: EventQuery,
    *,
    token: str | None,
    per_page: int | None,
    query_name: str = "SimpleEventQuery",
) -> Response[bytes]:
    """Run ``query`` for the requesting organization and answer one page (see module doc)."""
    media = negotiation.choose(request.headers.get("accept"), negotiation.EVENT_MEDIA_TYPES)
    epc = negotiation.epc_format(request.headers.get("gs1-epc-format"))
    user = common.principal(request)
    size = common.page_size(per_page, common.settings(request))
    page = common.repository(request).query(query, token, size, principal=user)
    body = negotiation.encode_query_document(page.events, media, query_name=query_name, epc=epc)
    return Response(
        body,
        media_type=negotiation.content_type(media),
        headers=common.link_headers(request, page.next_page_token),
    )


def run_events_request(
    request: Request[Any, Any, Any], fixed: Iterable[tuple[str, str]] = ()
) -> Response[bytes]:
    """``GET …/events`` with the query string plus ``fixed`` parameters (resource filters)."""
    extensions = negotiation.parse_extensions(request.headers.get("gs1-extensions"))
    rest = parse_rest_query([*common.query_pairs(request), *fixed], extensions=extensions)
    return respond_events(request, rest.query, token=rest.next_page_token, per_page=rest.per_page)


@get("/", summary="Top-level resources (discovery)", tags=["Discovery"])
async def discovery(request: Request[Any, Any, Any]) -> common.Collection:
    """The top-level resources of this EPCIS repository (REST binding ``GET /``)."""
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    common.principal(request)
    return common.Collection(member=list(TOP_LEVEL))


def _list_events(request: Request[Any, Any, Any]) -> Response[bytes]:
    return run_events_request(request)


@get(
    "/events",
    summary="Query events (EPCIS query language in the query string)",
    tags=["Events"],
    response_description="An EPCISQueryDocument page (JSON-LD or XML by Accept)",
    media_type="application/ld+json",
    responses=QUERY_DOCUMENT_RESPONSES,
    operation_class=QUERY_DOCUMENT_OPERATION,
)
async def list_events(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Events matching EPCIS 2.0 §8.2.7.1 parameters (``EQ_bizStep=shipping``, ``MATCH_epc``,
    ``GE_eventTime``, …) in capture order, one page at a time: ``perPage`` (default 30) and
    ``nextPageToken`` (from the ``Link: rel="next"`` header of the previous page)."""
    return await common.in_read_thread(_list_events, request)


def _read_event(data: bytes, syntax: str) -> EPCISDocument:
    try:
        if syntax == "xml":
            event = read_xml_event(data, XmlLimits(max_bytes=len(data) + 1))
        else:
            event = read_jsonld_event(data)
    except EpcisDocumentError as exc:
        raise ApiError(
            "ValidationException",
            str(exc),
            errors=(ProblemItem(message=exc.reason, location=exc.location),),
        ) from None
    problems = [p for p in validate_event(event, syntax="jsonld") if p.severity == "error"]
    if problems:
        raise ApiError(
            "ValidationException",
            f"the event is invalid ({len(problems)} problem(s))",
            errors=[ProblemItem.of(p) for p in problems],
        )
    return EPCISDocument(schema_version="2.0", creation_date=datetime.now(UTC), events=(event,))


def _create_event(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Capture a single event (JSON-LD with its ``@context``, or one XML event element)."""
    user = common.writer(request)
    syntax = body_syntax(request)
    limit = common.settings(request).capture_max_bytes
    if len(body) > limit:
        raise ApiError(
            "CaptureLimitExceededException",
            f"the event has {len(body)} bytes, more than the limit of {limit}",
        )
    document = _read_event(body, syntax)
    repo = common.repository(request)
    result = repo.capture(document, behaviour="rollback", principal=user)
    if result.rejected:
        raise ApiError(
            "ValidationException",
            "the event was rejected",
            errors=[ProblemItem.of(p) for p in result.rejected],
        )
    if not result.event_ids:
        existing = result.duplicate_ids[0] if result.duplicate_ids else "?"
        raise ApiError(
            "ResourceAlreadyExistsException",
            f"the event is already stored as {existing}",
            headers={"Location": "/events/" + quote(existing, safe="")},
        )
    event_id = result.event_ids[0]
    stored = repo.event(event_id, principal=user)
    if stored is None:  # pragma: no cover - just captured by this request
        raise ApiError("ImplementationException", "the captured event cannot be read back")
    return Response(
        write_jsonld_event(stored),
        status_code=201,
        media_type="application/ld+json",
        headers={"Location": "/events/" + quote(event_id, safe="")},
    )


@post(
    "/events",
    status_code=201,
    summary="Capture one event synchronously",
    tags=["Capture"],
    media_type="application/ld+json",
    request_max_body_size=None,
    responses=CREATED_EVENT_RESPONSES,
)
async def create_event(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Capture a single event (JSON-LD with its ``@context``, or one XML event element)."""
    return await common.in_thread(_create_event, request, body)


def _event_by_id(request: Request[Any, Any, Any], rest: FromPath[str]) -> Response[bytes]:
    del rest  # read from the raw path: event ids hold '/' and '?'
    ids = common.path_ids(request, "/events")
    if len(ids) != 1:
        raise ApiError("NoSuchResourceException", f"no resource at {request.url.path}")
    media = negotiation.choose(request.headers.get("accept"), negotiation.EVENT_MEDIA_TYPES)
    epc = negotiation.epc_format(request.headers.get("gs1-epc-format"))
    found = common.repository(request).event(ids[0], principal=common.principal(request))
    if found is None:
        raise ApiError("NoSuchResourceException", f"no event with eventID {ids[0]!r}")
    body = negotiation.encode_query_document([found], media, epc=epc)
    return Response(body, media_type=negotiation.content_type(media))


@get(
    "/events/{rest:path}",
    summary="One event by its eventID (percent-encoded)",
    tags=["Events"],
    media_type="application/ld+json",
    responses=QUERY_DOCUMENT_RESPONSES,
    operation_class=QUERY_DOCUMENT_OPERATION,
)
async def event_by_id(request: Request[Any, Any, Any], rest: FromPath[str]) -> Response[bytes]:
    """The event with this ``eventID`` (given id or CBV 2.0 event hash) in a query document."""
    return await common.in_read_thread(_event_by_id, request, rest)


event_handlers: Final = [discovery, list_events, create_event, event_by_id]
