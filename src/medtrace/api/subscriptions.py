"""Query subscriptions of the EPCIS 2.0 REST binding (EPCIS 2.0 §8.2.5, §12; openapi.yaml
``/queries/{queryName}/subscriptions``; WebSocket upgrade of ``/queries/{queryName}/events``).

* ``POST /queries/{queryName}/subscriptions`` with ``{"dest", "signatureToken"?, "stream": true
  | "schedule": {…}, "initialRecordTime"?, "reportIfEmpty"?}`` → ``201`` + ``Location``. Exactly
  one of ``stream: true`` and ``schedule`` (``query-schedule.json`` fields); ``dest`` an
  ``http``/``https`` URL. ``initialRecordTime`` defaults to now: only events recorded from then
  on are reported. The named query is copied into the subscription.
* ``GET …/subscriptions`` (paginated, ``perPage``/``nextPageToken``), ``GET``/``DELETE
  …/subscriptions/{subscriptionID}``. Subscriptions belong to the organization that made them
  and are invisible (``404``) to every other one. The ``signatureToken`` is never returned.
  ``DELETE`` (and ``DELETE /queries/{queryName}``, which removes every subscription of the
  query) answers once no delivery is in flight: nothing is sent after it.
* Delivery: :mod:`medtrace.api.subscription_worker` (``GS1-Signature: sha256=<hex HMAC>``).
* WebSocket: ``GET /queries/{queryName}/events?stream=true`` (or schedule fields, plus
  ``initialRecordTime``/``reportIfEmpty``) with ``Upgrade: websocket``; every new matching
  event the principal may see is sent as a text message holding an ``EPCISQueryDocument``
  (JSON-LD, one document per poll that found events), in capture order. Deleting the named
  query closes the socket (code 1000) at its next poll.

Invalid subscription controls are ``400 ValidationException`` problems (the binding's
``400SubscriptionIssues`` allows this type).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
import msgspec
from litestar import Request, Response, WebSocket, delete, get, post, route, websocket
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, RawBody

from medtrace.api import common, negotiation, service_sql
from medtrace.api.errors import ApiError
from medtrace.api.subscription_worker import (
    DeliverySettings,
    query_document,
    stored_query,
    stored_schedule,
)
from medtrace.epcis.errors import EpcisError
from medtrace.epcis.query_schedule import FIELDS, QuerySchedule
from medtrace.epcis.query_values import InvalidValueError, parse_timestamp
from medtrace.epcis.xml_values import format_datetime
from medtrace.store import subscriptions
from medtrace.store.codec import from_micros, to_micros
from medtrace.store.engine import read_connection
from medtrace.store.principal import Principal
from medtrace.store.subscriptions import NewSubscription, Subscription

__all__ = ["SubscriptionRequest", "SubscriptionResource", "subscription_handlers"]


class SubscriptionRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The body of ``POST …/subscriptions`` (``AbstractQuerySubscription`` + stream/schedule)."""

    dest: str
    signatureToken: str | None = None  # noqa: N815 - the REST binding's member name
    stream: bool | None = None
    schedule: dict[str, str] | None = None
    initialRecordTime: str | None = None  # noqa: N815
    reportIfEmpty: bool = False  # noqa: N815


class SubscriptionResource(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A subscription as answered (``AbstractQuerySubscriptionResponse``), without the token."""

    subscriptionID: str  # noqa: N815
    queryName: str  # noqa: N815
    dest: str
    createdAt: str  # noqa: N815
    initialRecordTime: str  # noqa: N815
    reportIfEmpty: bool  # noqa: N815
    stream: bool | None = None
    schedule: dict[str, str] | None = None
    lastNotifiedAt: str | None = None  # noqa: N815


def _resource(sub: Subscription) -> SubscriptionResource:
    schedule = stored_schedule(sub.schedule)
    return SubscriptionResource(
        subscriptionID=sub.id,
        queryName=sub.query_name,
        dest=sub.dest,
        createdAt=format_datetime(from_micros(sub.created)),
        initialRecordTime=format_datetime(from_micros(sub.initial_record_time)),
        reportIfEmpty=sub.report_if_empty,
        stream=True if sub.stream else None,
        schedule=None if schedule is None else dict(schedule.fields),
        lastNotifiedAt=(
            None if sub.last_delivered is None else format_datetime(from_micros(sub.last_delivered))
        ),
    )


def _named_query(request: Request[Any, Any, Any], name: str) -> service_sql.StoredQuery:
    user = common.principal(request)
    row = service_sql.get_named_query(common.repository(request).engine, user.org_id, name)
    if row is None:
        raise ApiError("NoSuchResourceException", f"no named query {name!r}")
    return row


def _invalid(detail: str) -> ApiError:
    return ApiError("ValidationException", f"subscription: {detail}")


def _initial_time(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    try:
        return parse_timestamp(text)
    except InvalidValueError as exc:
        raise _invalid(f"initialRecordTime={text!r}: {exc}") from None


def _controls(stream: bool | None, schedule: dict[str, str] | None) -> QuerySchedule | None:
    """Exactly one of ``stream: true`` and a schedule (EPCIS 2.0 §8.2.5.3)."""
    if schedule is not None and stream:
        raise _invalid("give either stream=true or a schedule, not both")
    if schedule is None:
        if not stream:
            raise _invalid("give stream=true or a schedule (second, minute, hour, …)")
        return None
    return QuerySchedule.parse(schedule)


def _check_dest(dest: str) -> None:
    parts = urlsplit(dest)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(f"dest={dest!r}: expected an absolute http or https URL")


def _create(
    request: Request[Any, Any, Any], query_name: str, body: bytes
) -> Response[SubscriptionResource]:
    user = common.principal(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "application/ld+json"):
        raise ApiError(
            "UnsupportedMediaTypeException",
            f"Content-Type {media or '(none)'!r} is not supported; send application/json",
        )
    named = _named_query(request, query_name)
    try:
        asked = msgspec.json.decode(body, type=SubscriptionRequest)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _invalid(str(exc)) from None
    _check_dest(asked.dest)
    schedule = _controls(asked.stream, asked.schedule)
    now = datetime.now(UTC)
    initial = _initial_time(asked.initialRecordTime, now)
    first = schedule.next_after(now) if schedule is not None else None
    sub = subscriptions.create(
        common.repository(request).engine,
        NewSubscription(
            id=str(uuid.uuid4()),
            org_id=user.org_id,
            query_name=named.name,
            query=named.definition,
            dest=asked.dest,
            signature_token=asked.signatureToken,
            stream=schedule is None,
            schedule=None if asked.schedule is None else msgspec.json.encode(asked.schedule),
            report_if_empty=asked.reportIfEmpty,
            initial_record_time=to_micros(initial),
            created=to_micros(now),
            next_attempt=None if first is None else to_micros(first),
        ),
    )
    location = f"/queries/{named.name}/subscriptions/{sub.id}"
    return Response(_resource(sub), status_code=201, headers={"Location": location})


@post(
    "/queries/{query_name:str}/subscriptions",
    status_code=201,
    summary="Subscribe to a named query (webhook)",
    tags=["Subscriptions"],
    request_max_body_size=64 * 1024,
)
async def create_subscription(
    request: Request[Any, Any, Any], query_name: FromPath[str], body: RawBody
) -> Response[SubscriptionResource]:
    """Create a stream or scheduled webhook subscription; ``201`` + ``Location``."""
    return await common.in_thread(_create, request, query_name, body)


def _list(request: Request[Any, Any, Any], query_name: str) -> Response[list[SubscriptionResource]]:
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    user = common.principal(request)
    named = _named_query(request, query_name)
    per_page, token = common.raw_page_args(common.query_pairs(request))
    size = common.page_size(per_page, common.settings(request))
    after = str(common.decode_cursor(request, "subscriptions", token, 1)[0]) if token else None
    rows = subscriptions.list_page(
        common.repository(request).engine, user.org_id, named.name, after=after, limit=size + 1
    )
    page = rows[:size]
    next_token = common.encode_cursor("subscriptions", page[-1].id) if len(rows) > size else None
    return Response(
        [_resource(sub) for sub in page], headers=common.link_headers(request, next_token)
    )


@get(
    "/queries/{query_name:str}/subscriptions",
    summary="List the subscriptions of a named query",
    tags=["Subscriptions"],
)
async def list_subscriptions(
    request: Request[Any, Any, Any], query_name: FromPath[str]
) -> Response[list[SubscriptionResource]]:
    """The organization's active subscriptions on this query, paginated."""
    return await common.in_read_thread(_list, request, query_name)


def _find(request: Request[Any, Any, Any], query_name: str, sub_id: str) -> Subscription:
    user = common.principal(request)
    sub = subscriptions.get(common.repository(request).engine, user.org_id, query_name, sub_id)
    if sub is None:
        raise ApiError("NoSuchResourceException", f"no subscription {sub_id!r} on {query_name!r}")
    return sub


def _read(request: Request[Any, Any, Any], query_name: str, sub_id: str) -> SubscriptionResource:
    negotiation.choose(request.headers.get("accept"), negotiation.JSON_MEDIA_TYPES)
    return _resource(_find(request, query_name, sub_id))


@get(
    "/queries/{query_name:str}/subscriptions/{subscription_id:str}",
    summary="Read a subscription",
    tags=["Subscriptions"],
)
async def read_subscription(
    request: Request[Any, Any, Any], query_name: FromPath[str], subscription_id: FromPath[str]
) -> SubscriptionResource:
    """One subscription of the organization (``404`` for anyone else's)."""
    return await common.in_read_thread(_read, request, query_name, subscription_id)


def _delete(request: Request[Any, Any, Any], query_name: str, sub_id: str) -> None:
    user = common.principal(request)
    engine = common.repository(request).engine
    if not subscriptions.unsubscribe(engine, user.org_id, query_name, sub_id):
        raise ApiError("NoSuchResourceException", f"no subscription {sub_id!r} on {query_name!r}")


@delete(
    "/queries/{query_name:str}/subscriptions/{subscription_id:str}",
    status_code=204,
    summary="Unsubscribe",
    tags=["Subscriptions"],
)
async def delete_subscription(
    request: Request[Any, Any, Any], query_name: FromPath[str], subscription_id: FromPath[str]
) -> None:
    """Remove the subscription. Answered once no delivery of it is in flight: nothing more
    is sent after the ``204``."""
    await common.in_thread(_delete, request, query_name, subscription_id)


def _options(path: str, allow: str) -> HTTPRouteHandler:
    async def options(request: Request[Any, Any, Any]) -> Response[None]:
        del request
        return Response(None, status_code=204, headers={"Allow": allow})

    return route(path, http_method=[HttpMethod.OPTIONS], include_in_schema=False)(options)


# --------------------------------------------------------------------------- WebSocket

_WS_POLICY: Final = 1008  # RFC 6455 §7.4.1: policy violation (bad request, unknown query)
_WS_DONE: Final = 1000  # RFC 6455 §7.4.1: normal closure (the named query was deleted)


def _ws_setup(
    socket: WebSocket[Any, Any, Any], query_name: str
) -> tuple[Principal, Subscription, QuerySchedule | None, datetime]:
    """Validate the handshake: the principal, a transient subscription, its schedule, and
    the creation time of its named query."""
    user = socket.scope.get("user")
    if not isinstance(user, Principal):
        raise _invalid("authentication required")
    engine = socket.app.state.repository.engine
    named = service_sql.get_named_query(engine, user.org_id, query_name)
    if named is None:
        raise _invalid(f"no named query {query_name!r}")
    params = dict(socket.query_params)
    unknown = set(params) - {*FIELDS, "stream", "initialRecordTime", "reportIfEmpty"}
    if unknown:
        raise _invalid(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    fields = {k: str(v) for k, v in params.items() if k in FIELDS}
    stream_text = str(params.get("stream", "")).lower()
    if stream_text not in ("", "true", "false"):
        raise _invalid(f"stream={stream_text!r}: expected true")
    schedule = _controls(stream_text == "true", fields or None)
    now = datetime.now(UTC)
    initial = _initial_time(params.get("initialRecordTime"), now)
    with read_connection(engine) as conn:
        before = subscriptions.cursor_before(conn, to_micros(initial))
    sub = Subscription(
        id=f"ws-{uuid.uuid4()}",
        org_id=user.org_id,
        query_name=named.name,
        query=named.definition,
        dest="",
        signature_token=None,
        stream=schedule is None,
        schedule=None,
        report_if_empty=str(params.get("reportIfEmpty", "false")).lower() == "true",
        initial_record_time=to_micros(initial),
        created=to_micros(now),
        next_attempt=None,
        cursor_seq=before,
        attempts=0,
        last_error=None,
        last_delivered=None,
        active=True,
    )
    return user, sub, schedule, named.created


def _ws_batch(
    socket: WebSocket[Any, Any, Any], user: Principal, sub: Subscription, batch_size: int
) -> tuple[Subscription, bytes | None]:
    """The next document for the socket (``None``: nothing new) and the moved cursor."""
    engine = socket.app.state.repository.engine
    query = stored_query(sub.query)
    with read_connection(engine) as conn:
        head = subscriptions.head_seq(conn)
        batch = subscriptions.pending(conn, sub, query, user, head=head, limit=batch_size)
    cursor = batch[-1][0] if len(batch) == batch_size else head
    moved = replace(sub, cursor_seq=cursor)
    if not batch:
        return moved, None
    body = query_document([e for _, e in batch], query_name=sub.query_name, subscription_id=sub.id)
    return moved, body


def _ws_alive(
    socket: WebSocket[Any, Any, Any], user: Principal, name: str, created: datetime
) -> bool:
    """Whether the named query the socket subscribed to still exists (not deleted, and not
    deleted and created again)."""
    named = service_sql.get_named_query(socket.app.state.repository.engine, user.org_id, name)
    return named is not None and named.created == created


@websocket("/queries/{query_name:str}/events")
async def stream_query(socket: WebSocket[Any, Any, Any], query_name: FromPath[str]) -> None:
    """WebSocket subscription to a named query (REST binding ``101WebsocketCreated``); closed
    (code 1000) at the next poll after the named query is deleted."""
    try:
        user, sub, schedule, created = await anyio.to_thread.run_sync(_ws_setup, socket, query_name)
    except (ApiError, EpcisError) as exc:
        await socket.close(code=_WS_POLICY, reason=str(exc)[:120])
        return
    config = DeliverySettings.of(socket.app.state.settings)
    await socket.accept(
        headers={"GS1-Query-Min-Record-Time": format_datetime(from_micros(sub.initial_record_time))}
    )

    async def send_pending() -> None:
        nonlocal sub
        while True:
            sub, body = await anyio.to_thread.run_sync(
                _ws_batch, socket, user, sub, config.batch_size
            )
            if body is None and schedule is not None and sub.report_if_empty:
                body = query_document([], query_name=sub.query_name, subscription_id=sub.id)
            if body is None:
                return
            await socket.send_text(body.decode("utf-8"))
            if schedule is not None:
                return

    async def send_loop() -> None:
        due = None if schedule is None else schedule.next_after(datetime.now(UTC))
        while schedule is None or due is not None:
            left = config.poll_seconds if due is None else (due - datetime.now(UTC)).total_seconds()
            await anyio.sleep(min(config.poll_seconds, max(left, 0)))
            if not await anyio.to_thread.run_sync(_ws_alive, socket, user, query_name, created):
                await socket.close(code=_WS_DONE, reason="the named query was deleted")
                group.cancel_scope.cancel()
                return
            if due is not None and datetime.now(UTC) < due:
                continue
            await send_pending()
            if schedule is not None:
                due = schedule.next_after(datetime.now(UTC))

    async with anyio.create_task_group() as group:
        group.start_soon(send_loop)
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass
        group.cancel_scope.cancel()


subscription_handlers: Final = [
    _options("/queries/{query_name:str}/subscriptions", "OPTIONS, GET, POST"),
    _options(
        "/queries/{query_name:str}/subscriptions/{subscription_id:str}", "OPTIONS, DELETE, GET"
    ),
    create_subscription,
    list_subscriptions,
    read_subscription,
    delete_subscription,
    stream_query,
]
"""Every handler of this module, for :func:`medtrace.api.app.create_app`."""
