"""HTTP binding of the DSCSA verification responder (``/verify``): parse, call, encode.

The requests of the **GS1 Lightweight Messaging Standard for Verification of Product
Identifiers** as profiled by the **GS1 US DSCSA VRS guideline**, on any GS1 Digital Link form of
the product identifier (GS1 Digital Link URI Syntax; the path after ``/verify`` is read with
:class:`medtrace.gs1.digital_link.DigitalLink`):

* ``GET /verify/01/{gtin}/10/{lot}/21/{serial}?exp=YYMMDD&linkType=verificationService
  &context=dscsaSaleableReturn&reqGLN={gln}&corrUUID={uuid}`` — and every other form of the same
  identifier (``/verify/01/{gtin}/21/{serial}?10={lot}&17={yymmdd}``, GTIN-12/13, ``gtin``/``ser``
  short names);
* ``linkType=checkConnectivity`` (on ``/verify`` or any ``/verify/...`` path) — answered at once
  with ``responderGLN``, ``corrUUID`` and ``verificationTimestamp``, without a lookup and without
  an audit row;
* ``POST /verify`` with ``{"scan": "<raw scan>", "context", "reqGLN", "corrUUID"}`` — any form
  :func:`medtrace.gs1.convert.parse_any` reads (raw scanner data with ``]d2`` and GS, HRI, Digital
  Link, EPC URN), for pharmacy scanners.

Answer: ``200`` :class:`medtrace.verify.responder.VerificationResponse`. Requests are
authenticated (``request.user`` is a :class:`~medtrace.store.principal.Principal`); ``reqGLN`` must
be one of the requester's GLNs (``403`` otherwise) and may be left out by an organization with
exactly one GLN. A malformed identifier is a ``400`` problem naming the AI and the value; a GTIN
of no organization on this responder is a ``404`` problem (see ``docs/verification.md``).

Speed: the ordinary ``GET`` request is answered by :mod:`medtrace.api.vrs_fast` before the
framework sees it, with the functions of this module (:func:`read_link`,
:func:`outcome_reads`); here the item state is read in a worker thread (a read-only
transaction), the audit entry joins the process's group commit (on the event loop for a SQLite
file or PostgreSQL, else :class:`medtrace.verify.audit_writer.AuditWriter`) and the answer is
sent once the entry is committed; responders by GTIN are cached for a second
(:class:`medtrace.verify.responder.ResponderCache`).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from sqlalchemy.engine import Engine

from medtrace.api import common
from medtrace.api.errors import ApiError
from medtrace.gs1.convert import parse_any
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import Gs1Message
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln
from medtrace.store import dbapi
from medtrace.store.engine import create_store_engine
from medtrace.store.held import HeldConnection
from medtrace.store.loop_pg import LoopPostgres
from medtrace.store.principal import Principal
from medtrace.verify.audit import VerificationRecord
from medtrace.verify.audit_writer import (
    LOOP_LOCK_WAIT_MS,
    AuditWriter,
    LoopAuditWriter,
    PostgresLoopAuditWriter,
    default_spool_dir,
)
from medtrace.verify.responder import (
    CHECK_CONNECTIVITY,
    VERIFICATION_SERVICE,
    Refused,
    ResponderCache,
    VerificationRequest,
    VerificationResponse,
    answer_reads,
    check_connectivity,
    link_type_name,
    responder_reads,
)

__all__ = [
    "VRS_PATH",
    "Outcome",
    "ScanRequest",
    "outcome_reads",
    "raw_path",
    "read_link",
    "services_of",
    "stop_loop_services",
    "vrs_handlers",
]

VRS_PATH: Final = "/verify"
_TAGS: Final = ["Verification (DSCSA VRS)"]


class ScanRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /verify`` body: a raw scan and the request parameters of the standard."""

    scan: str
    context: str | None = None
    req_gln: str | None = msgspec.field(default=None, name="reqGLN")
    corr_uuid: str | None = msgspec.field(default=None, name="corrUUID")


def _requester_gln(principal: Principal, req_gln: str | None) -> str:
    """``reqGLN`` checked against the requester's GLNs (one GLN: it may be left out)."""
    if req_gln is None:
        if len(principal.glns) == 1:
            return next(iter(principal.glns))
        raise ApiError(
            "ValidationException",
            f"reqGLN is required: organization {principal.org_id!r} has "
            f"{len(principal.glns)} GLNs, expected the requesting GLN as reqGLN",
            parameter="reqGLN",
        )
    gln = Gln.parse(req_gln).value
    if gln not in principal.glns:
        raise ApiError(
            "SecurityException",
            f"reqGLN {gln} is not a GLN of organization {principal.org_id!r}",
            status=403,
            parameter="reqGLN",
        )
    return gln


def _answer(response: VerificationResponse) -> Response[VerificationResponse]:
    return Response(response, status_code=200, media_type="application/json")


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer (or refusal) and the audit entry to commit before it is sent."""

    result: VerificationResponse | Refused
    entry: VerificationRecord | None = None


@dataclass(slots=True)
class _Services:
    """Per-application helpers of the responder (created on first use).

    ``held`` (SQLite files only) is the connection, of an engine of its own (``reader``),
    that :mod:`medtrace.api.vrs_fast` reads and commits audit rows with (``loop_writer``) on
    the event loop's thread: a lookup in an embedded database costs less than handing it to a
    worker thread, a connection of its own means the loop never waits for one that the worker
    threads hold, and a held one skips the pool's checkout and check-in on every request. It
    waits at most :data:`~medtrace.verify.audit_writer.LOOP_LOCK_WAIT_MS` for a lock.

    ``pg`` (PostgreSQL only) are the event loop's own connections
    (:class:`medtrace.store.loop_pg.LoopPostgres`): the fast path awaits its reads and its
    audit rows' group commit (``loop_writer``) on the loop instead of in worker threads.
    """

    writer: AuditWriter
    responders: ResponderCache
    reader: Engine | None
    held: HeldConnection | None
    pg: LoopPostgres | None
    loop_writer: LoopAuditWriter | PostgresLoopAuditWriter | None


_SERVICES_LOCK: Final = threading.Lock()
_STATE_KEY: Final = "vrs_services"


def services_of(state: Any) -> _Services:
    """The audit writer, responder cache and loop reader of an application's ``state``."""
    found = state.get(_STATE_KEY)
    if isinstance(found, _Services):
        return found
    with _SERVICES_LOCK:
        found = state.get(_STATE_KEY)
        if not isinstance(found, _Services):
            engine: Engine = state["repository"].engine
            writer = AuditWriter(engine)
            reader = held = pg = None
            loop_writer: LoopAuditWriter | PostgresLoopAuditWriter | None = None
            if engine.dialect.name == "postgresql":
                pg = LoopPostgres(engine)
                loop_writer = PostgresLoopAuditWriter(pg, writer)
            elif default_spool_dir(engine) is not None:  # a SQLite file, not :memory:
                # two connections: the loop's held one, and the checkpoints' (worker thread)
                reader = create_store_engine(
                    engine.url.render_as_string(hide_password=False), pool_size=2, max_overflow=0
                )
                held = HeldConnection(
                    reader, busy_timeout_ms=LOOP_LOCK_WAIT_MS, autocheckpoint=False
                )
                loop_writer = LoopAuditWriter(held, writer)
            found = _Services(
                writer=writer,
                responders=ResponderCache(),
                reader=reader,
                held=held,
                pg=pg,
                loop_writer=loop_writer,
            )
            state[_STATE_KEY] = found
        return found


def services(request: Request[Any, Any, Any]) -> _Services:
    """The application's audit writer and responder cache (``app.state.vrs_services``)."""
    return services_of(request.app.state)


async def stop_loop_services(state: Any) -> None:
    """Close the event loop's own connections of an application state (lifespan shutdown,
    on the loop, before :func:`stop_services`)."""
    found = state.get(_STATE_KEY)
    if isinstance(found, _Services) and found.pg is not None:
        await found.pg.close()


def stop_services(state: Any) -> None:
    """Flush and stop the audit writer of an application state (lifespan shutdown)."""
    found = state.get(_STATE_KEY)
    if isinstance(found, _Services):
        found.writer.stop()
        if found.held is not None:
            found.held.close()
        if found.reader is not None:
            found.reader.dispose()


def outcome_reads(
    dialect: str,
    principal: Principal,
    message: Gs1Message,
    params: dict[str, str],
    responders: ResponderCache,
) -> dbapi.Reads[Outcome]:
    """Check the parameters and answer the request, as a read sequence on a ``dialect``
    connection (:data:`medtrace.store.dbapi.Reads`): run in a worker thread on a connection of
    the engine (:func:`~medtrace.store.dbapi.run_reads_with`, one read transaction, opened
    only when the request passes its checks), or by the event loop (:class:`_Services`)."""
    now = dt.datetime.now(dt.UTC)
    link_type = link_type_name(params.get("linkType", VERIFICATION_SERVICE))
    req_gln = _requester_gln(principal, params.get("reqGLN"))
    if link_type == CHECK_CONNECTIVITY:
        connectivity = yield from _connectivity(message, params.get("corrUUID"), now)
        return Outcome(connectivity)
    if link_type != VERIFICATION_SERVICE:
        raise ApiError(
            "ValidationException",
            f"linkType {params['linkType']!r} is not served here, "
            f"expected {VERIFICATION_SERVICE} or {CHECK_CONNECTIVITY}",
            parameter="linkType",
        )
    request = VerificationRequest.from_message(
        message,
        today=now.date(),
        context=params.get("context"),
        req_gln=req_gln,
        corr_uuid=params.get("corrUUID"),
        link_type=link_type,
    )
    result, entry = yield from answer_reads(
        dialect, request, requester=principal, now=now, responders=responders
    )
    return Outcome(result, entry)


async def _in_thread(
    request: Request[Any, Any, Any],
    principal: Principal,
    message: Gs1Message,
    params: dict[str, str],
) -> Outcome:
    """:func:`outcome_reads` in a worker thread, on a connection of the store's engine."""
    engine = common.repository(request).engine
    reads = outcome_reads(
        engine.dialect.name, principal, message, params, services(request).responders
    )
    return await anyio.to_thread.run_sync(dbapi.run_reads_with, engine.connect, reads)


async def _send(
    request: Request[Any, Any, Any], outcome: Outcome
) -> Response[VerificationResponse]:
    """Commit the outcome's audit entry, then answer (a refusal is a ``404`` problem).

    On a SQLite file the entry joins the event loop's group commit like the fast path's
    (:class:`~medtrace.verify.audit_writer.LoopAuditWriter`): while the thread writer has
    entries of its own, the loop's writer hands it every batch to keep the order, and one
    entry that way (a request whose API key just left the 1 s key cache) made the requests of
    the next ~100 ms wait for the thread writer's commit.
    """
    if outcome.entry is not None:
        found = services(request)
        if found.loop_writer is not None:
            await found.loop_writer.write(outcome.entry)
        else:
            await found.writer.submit_async(outcome.entry)
    if isinstance(outcome.result, Refused):
        raise ApiError("NoSuchResourceException", outcome.result.detail)
    return _answer(outcome.result)


def _connectivity(
    message: Gs1Message | None, corr_uuid: str | None, now: dt.datetime
) -> dbapi.Reads[VerificationResponse]:
    gln: str | None = None
    gtin = message.get("01") if message is not None else None
    if gtin is not None:
        responder = yield from responder_reads(Gtin.parse(gtin))
        gln = responder.gln if responder is not None else None
    return check_connectivity(responder_gln=gln, now=now, corr_uuid=corr_uuid)


def _query_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: values[0] for name, values in request.query_params.dict().items() if values}


def raw_path(scope: Any) -> str:
    """The still percent-encoded path after ``/verify`` (``%2F`` stays inside a value)."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(scope["path"])
    path = path.split("?", 1)[0]  # some ASGI clients leave the query in raw_path
    start = path.find(VRS_PATH)
    return path[start + len(VRS_PATH) :] if start >= 0 else path


def read_link(path: str, query: str) -> tuple[Gs1Message, dict[str, str]]:
    """The product identifier and the request parameters (first of each name) of a
    ``/verify`` Digital Link path (:func:`raw_path`) and its query string."""
    link = DigitalLink.from_path(path, query)
    params: dict[str, str] = {}
    for name, value in link.params:
        params.setdefault(name, value)
    return link.to_message(), params


def _root(request: Request[Any, Any, Any], principal: Principal) -> Response[VerificationResponse]:
    """``GET /verify?linkType=checkConnectivity``: the responder answers without a lookup."""
    params = _query_params(request)
    if link_type_name(params.get("linkType", "")) != CHECK_CONNECTIVITY:
        raise ApiError(
            "ValidationException",
            "a verification request names the product identifier in the path, expected "
            "/verify/01/{gtin}/10/{lot}/21/{serial}?exp=YYMMDD or linkType=checkConnectivity",
        )
    _requester_gln(principal, params.get("reqGLN"))
    now = dt.datetime.now(dt.UTC)
    connectivity = _connectivity(None, params.get("corrUUID"), now)
    return _answer(dbapi.run_reads_with(common.repository(request).engine.connect, connectivity))


@get(
    [VRS_PATH, VRS_PATH + "/{identifier:path}"],
    tags=_TAGS,
    summary="Verify a product identifier (GS1 Digital Link request)",
)
async def verify_link(request: Request[Any, Any, Any]) -> Response[VerificationResponse]:
    """``GET /verify/01/{gtin}/10/{lot}/21/{serial}?exp=..&context=..&reqGLN=..&corrUUID=..``."""
    # the identifier is read from the raw path: percent-encoding separates values from segments
    # (one handler for /verify and /verify/...: Litestar routes both paths here). Parsing is
    # pure; the store work runs in a worker thread.
    principal = common.principal(request)
    path = raw_path(request.scope)
    if not path.strip("/"):
        return await anyio.to_thread.run_sync(_root, request, principal)
    message, params = read_link(path, request.scope.get("query_string", b"").decode("latin-1"))
    return await _send(request, await _in_thread(request, principal, message, params))


@post(
    VRS_PATH,
    tags=_TAGS,
    summary="Verify a raw scan (pharmacy scanner)",
    status_code=200,
)
async def verify_scan(
    request: Request[Any, Any, Any], data: JSONBody[ScanRequest]
) -> Response[VerificationResponse]:
    """``POST /verify`` with ``{"scan": "]d2010...21...<GS>10...", "reqGLN": ..}``."""
    principal = common.principal(request)
    parsed = parse_any(data.scan)
    if parsed.message is None:
        raise ApiError(
            "ValidationException",
            f"scan {data.scan!r} names no product, expected a GTIN (01) and serial (21)",
        )
    params = {
        name: value
        for name, value in (
            ("context", data.context),
            ("reqGLN", data.req_gln),
            ("corrUUID", data.corr_uuid),
        )
        if value is not None
    }
    return await _send(request, await _in_thread(request, principal, parsed.message, params))


vrs_handlers: Final[list[HTTPRouteHandler]] = [verify_link, verify_scan]
"""The route handlers of the verification responder, for ``create_app``. An application that
mounts them must stop their services on shutdown, as ``create_app``'s lifespan does:
``await`` :func:`stop_loop_services` on the event loop, then :func:`stop_services`."""
