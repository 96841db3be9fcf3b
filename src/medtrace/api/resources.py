"""The top-level resources of the EPCIS 2.0 REST binding (EPCIS 2.0 §12.5, ``openapi.yaml``).

``/eventTypes``, ``/epcs``, ``/bizSteps``, ``/bizLocations``, ``/readPoints`` and
``/dispositions`` each answer a JSON-LD ``Collection`` of their members (paginated with
``perPage``/``nextPageToken`` and ``Link``), ``/{kind}/{id}`` the sub-resources of one member
(``["events"]``; ``404`` if the repository does not know it) and ``/{kind}/{id}/events`` the
events of that member: the query string's query plus one fixed parameter
(``eventType``, ``MATCH_anyEPC``, ``EQ_bizStep``, ``EQ_bizLocation``, ``EQ_readPoint``,
``EQ_disposition``). Ids are percent-encoded URIs (CBV values also as bare words).

Members: the five event types; the CBV 2.0 business steps and dispositions (bare words) plus
any other value stored; the identifiers, business locations and read points stored in events
the requesting organization may see, in canonical form (GS1 Digital Link for GS1 keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from litestar import Request, Response, get
from litestar.params import FromPath

from medtrace.api import common, negotiation, service_sql
from medtrace.api.errors import ApiError
from medtrace.api.events_rest import run_events_request
from medtrace.api.openapi import MEMBER_OPERATION, MEMBER_RESPONSES
from medtrace.epcis.vocab import (
    BIZ_STEPS,
    DISPOSITIONS,
    VocabKind,
    is_standard,
    to_bare,
    to_canonical,
)
from medtrace.store.codec import canonical_epc

__all__ = ["EVENT_TYPES", "resource_handlers"]

EVENT_TYPES: Final = (
    "AggregationEvent",
    "AssociationEvent",
    "ObjectEvent",
    "TransactionEvent",
    "TransformationEvent",
)


@dataclass(frozen=True, slots=True)
class _Kind:
    name: service_sql.ResourceKind | None
    parameter: str
    vocab: VocabKind | None = None
    standard: tuple[str, ...] = ()


_KINDS: Final[dict[str, _Kind]] = {
    "eventTypes": _Kind(None, "eventType", standard=EVENT_TYPES),
    "epcs": _Kind("epcs", "MATCH_anyEPC"),
    "bizSteps": _Kind("bizSteps", "EQ_bizStep", "bizStep", BIZ_STEPS),
    "bizLocations": _Kind("bizLocations", "EQ_bizLocation"),
    "readPoints": _Kind("readPoints", "EQ_readPoint"),
    "dispositions": _Kind("dispositions", "EQ_disposition", "disposition", DISPOSITIONS),
}


def _shown(kind: _Kind, value: str) -> str:
    return to_bare(kind.vocab, value) if kind.vocab is not None else value


def _members(request: Request[Any, Any, Any], kind_name: str) -> Response[common.Collection]:
    kind = _KINDS[kind_name]
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    user = common.principal(request)
    per_page, token = common.raw_page_args(common.query_pairs(request))
    size = common.page_size(per_page, common.settings(request))
    after = str(common.decode_cursor(request, kind_name, token, 1)[0]) if token else None
    if kind.name is None or kind.vocab is not None:
        # small lists: the standard members plus stored values, sorted and cut in memory
        names = set(kind.standard)
        if kind.name is not None:
            engine = common.repository(request).engine
            stored = service_sql.distinct_values(engine, kind.name, user, after=None, limit=10_000)
            names.update(_shown(kind, value) for value in stored)
        ordered = sorted(name for name in names if after is None or name > after)
        page, more = ordered[:size], len(ordered) > size
    else:
        engine = common.repository(request).engine
        found = service_sql.distinct_values(engine, kind.name, user, after=after, limit=size + 1)
        page, more = found[:size], len(found) > size
    next_token = common.encode_cursor(kind_name, page[-1]) if more and page else None
    return Response(
        common.Collection(member=page), headers=common.link_headers(request, next_token)
    )


def _spellings(kind: _Kind, value: str) -> list[str]:
    """The stored forms a resource id may have (canonical identifier, CBV URN)."""
    forms = [value, canonical_epc(value)]
    if kind.vocab is not None and is_standard(kind.vocab, value):
        forms.append(to_canonical(kind.vocab, value))
    return forms


def _exists(request: Request[Any, Any, Any], kind: _Kind, value: str) -> bool:
    if kind.vocab is not None and is_standard(kind.vocab, value):
        return True
    if kind.name is None:
        return value in kind.standard
    engine = common.repository(request).engine
    user = common.principal(request)
    return service_sql.has_value(engine, kind.name, user, _spellings(kind, value))


def _member(request: Request[Any, Any, Any], kind_name: str) -> Response[Any]:
    kind = _KINDS[kind_name]
    ids = common.path_ids(request, "/" + kind_name)
    common.principal(request)
    if len(ids) == 2 and ids[1] == "events" and ids[0]:
        if not _exists(request, kind, ids[0]):
            raise ApiError("NoSuchResourceException", f"no {kind_name} member {ids[0]!r}")
        return run_events_request(request, [(kind.parameter, ids[0])])
    if len(ids) != 1 or not ids[0]:
        raise ApiError("NoSuchResourceException", f"no resource at {request.url.path}")
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    if not _exists(request, kind, ids[0]):
        raise ApiError("NoSuchResourceException", f"no {kind_name} member {ids[0]!r}")
    return Response(common.Collection(member=["events"]))


def _handlers(kind_name: str) -> list[Any]:
    async def members(request: Request[Any, Any, Any]) -> Response[common.Collection]:
        return await common.in_read_thread(_members, request, kind_name)

    async def member(request: Request[Any, Any, Any], rest: FromPath[str]) -> Response[Any]:
        del rest  # read from the raw path: ids are percent-encoded URIs
        return await common.in_read_thread(_member, request, kind_name)

    members.__doc__ = f"The members of ``/{kind_name}`` (JSON-LD Collection, paginated)."
    member.__doc__ = (
        f"``/{kind_name}/{{id}}``: sub-resources (``events``); "
        f"``/{kind_name}/{{id}}/events``: its events (query parameters apply)."
    )
    return [
        get(
            f"/{kind_name}",
            name=f"{kind_name}-list",
            summary=f"List {kind_name}",
            tags=["Top-level"],
        )(members),
        get(
            f"/{kind_name}/{{rest:path}}",
            name=f"{kind_name}-member",
            summary=f"One of {kind_name} (percent-encoded id), or /{{id}}/events",
            tags=["Top-level", "Events"],
            responses=MEMBER_RESPONSES,
            operation_class=MEMBER_OPERATION,
        )(member),
    ]


resource_handlers: Final = [handler for name in _KINDS for handler in _handlers(name)]
