"""The HTTP service, assembled explicitly in ONE place (DESIGN.md "Assembled in one place").

:func:`create_app` wires every route handler (EPCIS 2.0 REST binding, DSCSA VRS responder,
OAuth token endpoint), authentication, the GS1 headers on every response (a ``before_send`` hook),
the RFC 7807 exception handlers, the OpenAPI document and the lifespan. The lifespan owns
the :class:`~medtrace.store.repository.Repository` (unless one is handed in, which the caller
then owns) and the background capture worker: on shutdown the running capture job finishes
first; spooled jobs not yet started run on the next start.

The application is a :class:`MedtraceApp`: a Litestar application that first offers
``GET /verify/...`` to :class:`medtrace.api.vrs_fast.FastVerify` (the ordinary DSCSA verification
request, answered without the framework's per-request machinery) and serves everything else, and
every request the fast path declines, itself.

``medtrace serve`` runs it under uvicorn; :func:`app_factory` builds it from the environment
for ``uvicorn --factory`` (several worker processes). A serving process then calls
:func:`freeze_heap` once: everything alive at that point (modules, the application, its
routes, the schema) is long-lived, and the interpreter's cyclic garbage collector would
otherwise walk it again on each of its full collections (with it, a verification request
cost ~15% less CPU in process).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
from litestar import Litestar, Request, Response, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.types import LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

from medtrace.api.auth import KeyCache, auth_handlers, auth_middleware
from medtrace.api.capture_rest import capture_handlers, capture_limit_headers
from medtrace.api.capture_worker import CaptureWorker, Spool
from medtrace.api.errors import exception_handlers
from medtrace.api.events_rest import event_handlers
from medtrace.api.negotiation import gs1_headers
from medtrace.api.next_page_tokens import next_page_token_handlers
from medtrace.api.openapi import document_problems, openapi_config, openapi_json
from medtrace.api.queries import query_handlers
from medtrace.api.resources import resource_handlers
from medtrace.api.settings import ApiSettings
from medtrace.api.subscription_worker import DeliverySettings, DeliveryWorker
from medtrace.api.subscriptions import subscription_handlers
from medtrace.api.vrs import stop_loop_services as stop_vrs_loop_services
from medtrace.api.vrs import stop_services as stop_vrs_services
from medtrace.api.vrs import vrs_handlers
from medtrace.api.vrs_fast import FastVerify
from medtrace.store.repository import Repository

__all__ = ["MedtraceApp", "app_factory", "create_app", "freeze_heap"]


class MedtraceApp(Litestar):
    """The Litestar application with the VRS fast path in front (see the module docstring)."""

    fast_verify: FastVerify | None = None

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        fast = self.fast_verify
        if fast is not None and fast.applies(scope) and await fast.handle(scope, send):
            return
        await super().__call__(scope, receive, send)


def _options(path: str, allow: str) -> HTTPRouteHandler:
    """An explicit ``OPTIONS`` handler (``204`` + ``Allow``; the discovery headers are added
    to every response). Paths served by several handlers need one: Litestar's automatic
    ``OPTIONS`` lists only the first handler's methods."""

    async def options(request: Request[Any, Any, Any]) -> Response[None]:
        del request
        return Response(None, status_code=204, headers={"Allow": allow})

    return route(path, http_method=[HttpMethod.OPTIONS], include_in_schema=False)(options)


#: ``OPTIONS`` of the paths with several methods (REST binding ``204…Discovery`` responses).
_OPTIONS: Final = [
    _options("/capture", "OPTIONS, POST, GET"),
    _options("/events", "OPTIONS, GET, POST"),
    _options("/queries", "OPTIONS, GET, POST"),
    _options("/queries/{query_name:str}", "OPTIONS, GET, DELETE"),
    _options("/nextPageToken/{token:str}", "OPTIONS, DELETE"),
]


def create_app(settings: ApiSettings, *, repository: Repository | None = None) -> MedtraceApp:
    """The application for ``settings`` (see the module docstring)."""
    owned = repository is None
    store = repository if repository is not None else Repository.open(settings.database)
    spool = Spool(settings.effective_spool_dir())
    limits = capture_limit_headers(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        worker: CaptureWorker | None = None
        spool.prepare()
        if settings.capture_worker:
            worker = CaptureWorker(
                store.engine,
                spool,
                poll_seconds=settings.worker_poll_seconds,
                threads=settings.effective_capture_threads(),
            )
            worker.start()
        app.state.worker = worker
        delivery_settings = DeliverySettings.of(settings)
        delivery = DeliveryWorker(store.engine, delivery_settings)
        if delivery_settings.enabled:
            delivery.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(delivery.stop)
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)
            await stop_vrs_loop_services(app.state)
            await anyio.to_thread.run_sync(stop_vrs_services, app.state)
            if owned:
                store.close()

    handlers = [
        *_OPTIONS,
        openapi_json,
        *event_handlers,
        *capture_handlers,
        *resource_handlers,
        *query_handlers,
        *next_page_token_handlers,
        *subscription_handlers,
        *vrs_handlers,
        *auth_handlers,
    ]
    document_problems(handlers)
    keys = KeyCache()
    app = MedtraceApp(
        route_handlers=handlers,
        middleware=[auth_middleware(store, keys)],
        before_send=[gs1_headers(lambda path: limits if path.startswith("/capture") else {})],
        exception_handlers=exception_handlers(),
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        state=State({"settings": settings, "repository": store, "spool": spool, "worker": None}),
    )
    app.fast_verify = FastVerify(app.state, keys)
    return app


def freeze_heap() -> None:
    """Exempt every object alive now from the cyclic garbage collector (:func:`gc.freeze`).

    For a serving process, once the application is built: the collector's full collections
    then skip the long-lived heap. Frozen objects are still freed by reference counting;
    only reference cycles among them are never collected, so call it once per process, not
    per application (tests build many).
    """
    gc.collect()
    gc.freeze()


def app_factory() -> MedtraceApp:
    """The application configured from ``MEDTRACE_*`` variables, for a serving worker process
    (``uvicorn --factory``; the heap is frozen, see :func:`freeze_heap`)."""
    app = create_app(ApiSettings.from_env())
    freeze_heap()
    return app
