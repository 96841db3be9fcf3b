"""``/capture`` of the EPCIS 2.0 REST binding: asynchronous capture jobs (EPCIS 2.0 §12.4).

``POST /capture`` takes an ``EPCISDocument`` (or ``EPCISQueryDocument``) in JSON-LD
(``application/ld+json``, ``application/json``) or XML (``application/xml``, ``text/xml``).
The body is streamed into the spool (never held whole in memory) and read once to the end
before answering, so that the answer is precise:

* ``413 CaptureLimitExceededException`` when it exceeds ``GS1-EPCIS-Capture-File-Size-Limit``
  bytes or ``GS1-EPCIS-Capture-Limit`` events (both advertised on every ``/capture``
  response);
* ``400 ValidationException`` when it cannot be read (malformed, unsafe XML, not EPCIS);
* ``202`` without content, with ``Location: /capture/{captureID}``, otherwise. The events
  are validated and stored by the background worker (:mod:`medtrace.api.capture_worker`) with
  ``GS1-Capture-Error-Behaviour`` ``rollback`` (default) or ``proceed``.

``GET /capture`` lists the organization's jobs, newest first (paginated; jobs still waiting in
the spool come first on the first page); ``GET /capture/{captureID}`` is one job
(``CaptureJob``: ``captureID``, ``createdAt``, ``finishedAt``, ``running``, ``success``,
``captureErrorBehaviour``, ``errors`` as RFC 7807 problems).
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Final

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from medtrace.api import common, negotiation, service_sql
from medtrace.api.capture_worker import CaptureWorker, Spool, SpooledJob, now
from medtrace.api.errors import ApiError, Problem, ProblemItem
from medtrace.api.events_rest import body_syntax
from medtrace.api.openapi import CAPTURE_ACCEPTED_OPERATION
from medtrace.api.settings import ApiSettings
from medtrace.epcis.documents import iter_events
from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.validate import Syntax
from medtrace.store.codec import to_micros
from medtrace.store.jobs import Behaviour, CaptureJob
from medtrace.store.principal import Principal

__all__ = ["CaptureJobResource", "capture_handlers", "capture_limit_headers"]

_BEHAVIOURS: Final[dict[str, Behaviour]] = {"rollback": "rollback", "proceed": "proceed"}


class CaptureJobResource(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The REST binding's ``CaptureJob`` resource."""

    captureID: str  # noqa: N815 - JSON member names of the binding
    createdAt: datetime  # noqa: N815
    running: bool
    success: bool
    captureErrorBehaviour: Behaviour  # noqa: N815
    errors: list[Problem]
    finishedAt: datetime | None = None  # noqa: N815


def capture_limit_headers(config: ApiSettings) -> dict[str, str]:
    """The ``/capture`` discovery headers (``204CaptureEndpointDiscovery``)."""
    return {
        "GS1-EPCIS-Capture-Limit": str(config.capture_max_events),
        "GS1-EPCIS-Capture-File-Size-Limit": str(config.capture_max_bytes),
        "GS1-Capture-Error-Behaviour": "all",
    }


def _from_row(job: CaptureJob) -> CaptureJobResource:
    errors = [
        Problem(
            type="epcisException:ValidationException",
            title="Invalid event" if p.event_index is not None else "Invalid document",
            status=400,
            detail=p.message,
            errors=(ProblemItem.of(p),),
        )
        for p in job.errors
        if p.severity == "error"
    ]
    return CaptureJobResource(
        captureID=job.id,
        createdAt=job.created,
        finishedAt=job.finished,
        running=job.running,
        success=not errors if job.running else bool(job.success),
        captureErrorBehaviour=job.error_behaviour,
        errors=errors,
    )


def _from_spool(job: SpooledJob) -> CaptureJobResource:
    return CaptureJobResource(
        captureID=job.id,
        createdAt=job.created,
        running=True,
        success=True,
        captureErrorBehaviour=job.behaviour,
        errors=[],
    )


def _may_see(user: Principal, org_id: str | None) -> bool:
    return user.sees_everything or (org_id is not None and org_id == user.org_id)


def _spool(request: Request[Any, Any, Any]) -> Spool:
    found: Spool = request.app.state.spool
    return found


def _behaviour(request: Request[Any, Any, Any]) -> Behaviour:
    raw = request.headers.get("gs1-capture-error-behaviour")
    if raw is None or not raw.strip():
        return "rollback"
    found = _BEHAVIOURS.get(raw.strip().lower())
    if found is None:
        raise ApiError(
            "ValidationException",
            f"GS1-Capture-Error-Behaviour {raw!r}: expected rollback or proceed",
            parameter="GS1-Capture-Error-Behaviour",
        )
    return found


def _count_events(path: Path, syntax: Syntax, limit: int) -> int:
    """Read the whole document; its event count. ``413`` beyond ``limit`` events."""
    count = sum(1 for _ in islice(iter_events(path, syntax=syntax), limit + 1))
    if count > limit:
        raise ApiError(
            "CaptureLimitExceededException",
            f"the document has more than the limit of {limit} events",
        )
    return count


async def _receive(request: Request[Any, Any, Any], target: Path, limit: int) -> None:
    """Stream the body into ``target``; ``413`` beyond ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            "CaptureLimitExceededException",
            f"the document has {declared} bytes, more than the limit of {limit}",
        )
    size = 0
    async with await anyio.open_file(target, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    "CaptureLimitExceededException",
                    f"the document has more than the limit of {limit} bytes",
                )
            await out.write(chunk)
    if size == 0:
        raise ApiError("ValidationException", "the request body is empty")


@post(
    "/capture",
    status_code=202,
    summary="Capture an EPCIS document asynchronously",
    tags=["Capture"],
    request_max_body_size=None,
    response_description="Accepted: no content; Location names the capture job",
    operation_class=CAPTURE_ACCEPTED_OPERATION,
)
async def capture_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Accept a document for capture; ``202`` without content, ``Location`` names the capture
    job (REST binding ``POST /capture``)."""
    user = common.writer(request)
    config = common.settings(request)
    syntax: Syntax = "xml" if body_syntax(request) == "xml" else "jsonld"
    behaviour = _behaviour(request)
    spool = _spool(request)
    job_id = spool.new_id()
    partial = spool.partial(job_id)
    try:
        await _receive(request, partial, config.capture_max_bytes)
        count = await anyio.to_thread.run_sync(
            _count_events, partial, syntax, config.capture_max_events
        )
        spool.publish(
            SpooledJob(
                id=job_id,
                org_id=user.org_id,
                behaviour=behaviour,
                syntax=syntax,
                created=now(),
                events=count,
            )
        )
    except EpcisDocumentError as exc:
        spool.discard(job_id)
        raise ApiError(
            "ValidationException",
            f"the document cannot be read; nothing was captured: {exc}",
            errors=(ProblemItem(message=exc.reason, location=exc.location),),
        ) from None
    except BaseException:
        spool.discard(job_id)
        raise
    worker: CaptureWorker | None = request.app.state.worker
    if worker is not None:
        worker.wake()
    return Response(b"", status_code=202, headers={"Location": f"/capture/{job_id}"})


def _list_jobs(request: Request[Any, Any, Any]) -> Response[list[CaptureJobResource]]:
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    user = common.principal(request)
    per_page, token = common.raw_page_args(common.query_pairs(request))
    size = common.page_size(per_page, common.settings(request))
    after: tuple[int, str] | None = None
    page: list[CaptureJobResource] = []
    if token is None:
        pending = [job for job in reversed(_spool(request).pending()) if _may_see(user, job.org_id)]
        page = [_from_spool(job) for job in pending]
    else:
        created, job_id = common.decode_cursor(request, "capture", token, 2)
        if not isinstance(created, int) or not isinstance(job_id, str):
            raise ApiError(
                "QueryParameterException", "malformed page token", parameter="nextPageToken"
            )
        after = (created, job_id)
    engine = common.repository(request).engine
    rows = service_sql.list_jobs(engine, user, after=after, limit=size + 1)
    seen = {job.captureID for job in page}
    page.extend(_from_row(row) for row in rows if row.id not in seen)
    more = len(page) > size
    page = page[:size]
    next_token = None
    if more and page:
        last = page[-1]
        next_token = common.encode_cursor("capture", to_micros(last.createdAt), last.captureID)
    return Response(page, headers=common.link_headers(request, next_token))


@get("/capture", summary="List capture jobs", tags=["Capture"])
async def list_jobs(request: Request[Any, Any, Any]) -> Response[list[CaptureJobResource]]:
    """Capture jobs of the organization, newest first, paginated."""
    return await common.in_read_thread(_list_jobs, request)


def _read_job(request: Request[Any, Any, Any], capture_id: FromPath[str]) -> CaptureJobResource:
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    user = common.principal(request)
    spooled = _spool(request).get(capture_id)
    engine = common.repository(request).engine
    row = service_sql.get_job(engine, capture_id)
    if spooled is not None:
        owner = spooled.org_id
    elif row is not None:
        owner = service_sql.job_owner(engine, capture_id)[1]
    else:
        raise ApiError("NoSuchResourceException", f"no capture job {capture_id!r}")
    if not _may_see(user, owner):
        raise ApiError("NoSuchResourceException", f"no capture job {capture_id!r}")
    if row is not None:
        return _from_row(row)
    if spooled is None:  # pragma: no cover - one of them exists (checked above)
        raise ApiError("NoSuchResourceException", f"no capture job {capture_id!r}")
    return _from_spool(spooled)


@get(
    "/capture/{capture_id:str}",
    summary="One capture job",
    tags=["Capture"],
)
async def read_job(
    request: Request[Any, Any, Any], capture_id: FromPath[str]
) -> CaptureJobResource:
    """The state of one capture job."""
    return await common.in_read_thread(_read_job, request, capture_id)


capture_handlers: Final = [capture_document, list_jobs, read_job]
