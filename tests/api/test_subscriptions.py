"""Query subscriptions (EPCIS 2.0 §8.2.5; REST ``/queries/{name}/subscriptions``, WebSocket).

Webhook deliveries go to a REAL HTTP receiver (``http.server`` on 127.0.0.1, a free port),
started and stopped by the tests; signatures are checked with an independent HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from tests.api.conftest import Api
from tests.api.test_rest_capture import CONTEXT, event

from medtrace.api.app import create_app
from medtrace.epcis.query_schedule import QuerySchedule, ScheduleError
from medtrace.store import schema

TOKEN = "13df38d8275b13f05704629e5f1cf3d45d6132d5"  # noqa: S105 - a test token
SERIAL = "urn:epc:id:sgtin:0614141.107346."


class Receiver:
    """A real webhook endpoint: records (headers, body) of every POST; answers 200.

    ``arrived`` / ``answered`` hold the ``time.monotonic()`` of each request's arrival and
    answer; while ``gate`` is set to an unset event, requests are held until it is set
    (``entered`` is set when one arrives).
    """

    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.arrived: list[float] = []
        self.answered: list[float] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.arrived.append(time.monotonic())
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.entered.set()
                if receiver.gate is not None:
                    receiver.gate.wait(15)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                receiver.answered.append(time.monotonic())

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                del format, args

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def serials(self) -> list[str]:
        """The serials of every delivered event, in delivery order."""
        found: list[str] = []
        for _, body in self.requests:
            results = orjson.loads(body)["epcisBody"]["queryResults"]
            found += [
                e["epcList"][0].rsplit(".", 1)[1] for e in results["resultsBody"]["eventList"]
            ]
        return found


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    if running._server is not None:
        running.stop()


#: A fast delivery worker (poll 50 ms, retries from 50 ms): ``ApiSettings`` overrides.
FAST: dict[str, Any] = {
    "subscription_poll_seconds": 0.05,
    "subscription_retry_seconds": 0.05,
    "subscription_retry_max_seconds": 0.2,
}


@pytest.fixture
def app(api_factory: Callable[..., Api]) -> Api:
    api = api_factory(**FAST)
    for who in ("operator", "partner"):
        response = api.client.post(
            "/queries",
            json={"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}},
            headers=api.auth(who),
        )
        assert response.status_code == 201, response.text
    return api


def capture(api: Api, serial: int, step: str = "shipping", who: str = "operator") -> None:
    body = orjson.dumps(
        {"@context": [CONTEXT], **event(bizStep=step, epcList=[f"{SERIAL}{serial}"])}
    )
    response = api.client.post(
        "/events", content=body, headers=api.auth(who, Content_Type="application/ld+json")
    )
    assert response.status_code == 201, response.text


def subscribe(api: Api, dest: str, who: str = "operator", **fields: Any) -> str:
    body = {"dest": dest, "signatureToken": TOKEN, "stream": True} | fields
    response = api.client.post("/queries/shipped/subscriptions", json=body, headers=api.auth(who))
    assert response.status_code == 201, response.text
    assert "signatureToken" not in response.json()
    location: str = response.headers["location"]
    assert location == f"/queries/shipped/subscriptions/{response.json()['subscriptionID']}"
    return location


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def row(api: Api, location: str) -> Any:
    sub_id = location.rsplit("/", 1)[1]
    with api.repo.engine.connect() as conn:
        return conn.execute(
            sa.select(schema.subscription).where(schema.subscription.c.id == sub_id)
        ).one()


def head(api: Api) -> int:
    with api.repo.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(schema.event.c.seq))).scalar() or 0)


def test_webhook_delivers_signed_documents_in_order(app: Api, receiver: Receiver) -> None:
    capture(app, 0)  # before the subscription: initialRecordTime defaults to now
    mine = subscribe(app, receiver.url)
    other = Receiver().start()
    try:
        theirs = subscribe(app, other.url, who="partner")
        capture(app, 1)
        capture(app, 2, step="receiving")  # does not match the query
        capture(app, 3)
        capture(app, 4)
        wait_for(lambda: receiver.serials() == ["1", "3", "4"])
        wait_for(lambda: row(app, theirs).cursor_seq == head(app))
        assert other.requests == []  # the partner may not see the operator's events
    finally:
        other.stop()
    for headers, body in receiver.requests:
        expected = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
        assert headers["gs1-signature"] == f"sha256={expected}"
        assert headers["content-type"] == "application/ld+json"
        sub_id = mine.rsplit("/", 1)[1]
        assert headers["gs1-subscription-id"] == sub_id
        results = orjson.loads(body)["epcisBody"]["queryResults"]
        assert (results["subscriptionID"], results["queryName"]) == (sub_id, "shipped")
    wait_for(lambda: row(app, mine).cursor_seq == head(app))  # committed after the 2xx
    detail = app.client.get(mine, headers=app.auth("operator")).json()
    assert detail["stream"] is True and "lastNotifiedAt" in detail


def test_receiver_down_then_up_delivers_once_in_order(app: Api, receiver: Receiver) -> None:
    location = subscribe(app, receiver.url)
    receiver.stop()
    for serial in range(3):
        capture(app, serial)
    wait_for(lambda: row(app, location).attempts >= 2)
    failed = row(app, location)
    assert failed.cursor_seq < head(app) and failed.last_error
    receiver.start()  # same port again
    wait_for(lambda: len(receiver.serials()) >= 3)
    capture(app, 3)
    capture(app, 4)
    wait_for(lambda: len(receiver.serials()) >= 5)
    time.sleep(0.3)  # a few more polls: nothing may be sent twice
    assert receiver.serials() == ["0", "1", "2", "3", "4"]
    done = row(app, location)
    assert (done.attempts, done.last_error, done.cursor_seq) == (0, None, head(app))


def test_restart_resumes_without_loss_or_duplicates(
    api_factory: Callable[..., Api], receiver: Receiver
) -> None:
    api = api_factory(**FAST, subscription_worker=False)  # serves requests; delivers nothing
    assert api.client.post(
        "/queries", json={"name": "shipped", "query": {}}, headers=api.auth("operator")
    ).is_success
    subscribe(api, receiver.url)
    delivering = replace(api.settings, subscription_worker=True)
    with TestClient(create_app(delivering, repository=api.repo)):
        capture(api, 0)
        capture(api, 1)
        wait_for(lambda: len(receiver.serials()) >= 2)
    capture(api, 2)  # while no delivery worker runs
    capture(api, 3)
    time.sleep(0.2)
    assert receiver.serials() == ["0", "1"]
    with TestClient(create_app(delivering, repository=api.repo)):
        wait_for(lambda: len(receiver.serials()) >= 4)
        capture(api, 4)
        wait_for(lambda: len(receiver.serials()) >= 5)
    assert receiver.serials() == ["0", "1", "2", "3", "4"]


def test_scheduled_subscription_reports_if_empty(app: Api, receiver: Receiver) -> None:
    subscribe(app, receiver.url, stream=None, schedule={"second": "[0-59]"}, reportIfEmpty=True)
    wait_for(lambda: len(receiver.requests) >= 1, seconds=5)
    assert receiver.serials() == []  # an empty report, every second
    capture(app, 7)
    wait_for(lambda: "7" in receiver.serials(), seconds=5)


def test_other_organization_cannot_see_or_delete(app: Api, receiver: Receiver) -> None:
    location = subscribe(app, receiver.url)
    for method, url, who, status in [
        # the owner reads it
        ("GET", location, "operator", 200),
        # another organization: not found (existence is not leaked)
        ("GET", location, "partner", 404),
        # another organization cannot unsubscribe it
        ("DELETE", location, "partner", 404),
        # another organization's list of the same query name is its own (empty)
        ("GET", "/queries/shipped/subscriptions", "partner", 200),
    ]:
        response = app.client.request(method, url, headers=app.auth(who))
        assert response.status_code == status, (method, who, response.text)
        if method == "GET" and url.endswith("subscriptions"):
            assert response.json() == []
    listed = app.client.get("/queries/shipped/subscriptions", headers=app.auth("operator"))
    assert [s["subscriptionID"] for s in listed.json()] == [location.rsplit("/", 1)[1]]
    assert app.client.delete(location, headers=app.auth("operator")).status_code == 204
    assert app.client.get(location, headers=app.auth("operator")).status_code == 404


def test_deleting_the_query_unsubscribes_after_the_delivery_in_flight(
    app: Api, receiver: Receiver
) -> None:
    # openapi.yaml DELETE /queries/{queryName}: "Removes a named query and forcibly
    # unsubscribes all active subscriptions"
    mine = subscribe(app, receiver.url)
    other = Receiver().start()
    try:
        subscribe(app, other.url, who="partner")  # the partner's own query "shipped"
        receiver.gate = threading.Event()
        capture(app, 1)
        assert receiver.entered.wait(15)  # a delivery is in flight, held by the receiver
        threading.Timer(0.5, receiver.gate.set).start()
        response = app.client.delete("/queries/shipped", headers=app.auth("operator"))
        returned = time.monotonic()
        assert response.status_code == 204, response.text
        # the DELETE answered only after the delivery in flight was answered
        assert receiver.answered and max(receiver.answered) <= returned
        capture(app, 2)
        capture(app, 3, who="partner")
        wait_for(lambda: other.serials() == ["3"])  # the partner's subscription lives on
        time.sleep(0.3)  # several more polls of the worker
    finally:
        other.stop()
    assert receiver.serials() == ["1"]
    assert max(receiver.arrived) < returned  # nothing was sent after the DELETE returned
    assert app.client.get(mine, headers=app.auth("operator")).status_code == 404
    with app.repo.engine.connect() as conn:
        left = conn.execute(
            sa.select(schema.subscription.c.org_id).where(
                schema.subscription.c.query_name == "shipped"
            )
        ).all()
    assert len(left) == 1  # only the partner's subscription
    # a new query of the same name starts without subscriptions
    created = app.client.post(
        "/queries", json={"name": "shipped", "query": {}}, headers=app.auth("operator")
    )
    assert created.status_code == 201
    listed = app.client.get("/queries/shipped/subscriptions", headers=app.auth("operator"))
    assert listed.json() == []


def test_unsubscribe_waits_for_the_delivery_in_flight(app: Api, receiver: Receiver) -> None:
    location = subscribe(app, receiver.url)
    receiver.gate = threading.Event()
    capture(app, 1)
    assert receiver.entered.wait(15)
    threading.Timer(0.5, receiver.gate.set).start()
    assert app.client.delete(location, headers=app.auth("operator")).status_code == 204
    returned = time.monotonic()
    assert receiver.answered and max(receiver.answered) <= returned
    capture(app, 2)
    time.sleep(0.3)
    assert receiver.serials() == ["1"]


def test_deleting_the_query_closes_its_websockets(app: Api) -> None:
    url = "/queries/shipped/events?stream=true"
    with app.client.websocket_connect(url, headers=app.auth("operator")) as socket:
        deleted = app.client.delete("/queries/shipped", headers=app.auth("operator"))
        assert deleted.status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text(timeout=10)
    assert closed.value.code == 1000
    assert "deleted" in closed.value.detail


_DEST = "http://127.0.0.1:9/h"
INVALID: list[tuple[str, dict[str, Any], int]] = [
    # neither stream nor schedule
    ("shipped", {"dest": _DEST}, 400),
    # stream: false and no schedule
    ("shipped", {"dest": _DEST, "stream": False}, 400),
    # both stream and schedule
    ("shipped", {"dest": _DEST, "stream": True, "schedule": {"minute": "5"}}, 400),
    # a range that runs backwards
    ("shipped", {"dest": _DEST, "schedule": {"minute": "[5-1]"}}, 400),
    # a value out of range
    ("shipped", {"dest": _DEST, "schedule": {"second": "60"}}, 400),
    # a date that never comes
    ("shipped", {"dest": _DEST, "schedule": {"month": "2", "dayOfMonth": "30"}}, 400),
    # not an http(s) URL
    ("shipped", {"dest": "ftp://example.com/h", "stream": True}, 400),
    # an unknown member
    ("shipped", {"dest": _DEST, "stream": True, "strem": True}, 400),
    # a time without a time zone
    ("shipped", {"dest": _DEST, "stream": True, "initialRecordTime": "2024-01-01"}, 400),
    # a named query the organization does not have
    ("nope", {"dest": _DEST, "stream": True}, 404),
    # valid: a stream
    ("shipped", {"dest": _DEST, "stream": True}, 201),
]


@pytest.mark.parametrize("backend", ["sqlite"])  # validation does not depend on the database
def test_invalid_subscriptions_are_refused(app: Api) -> None:
    for name, body, status in INVALID:
        response = app.client.post(
            f"/queries/{name}/subscriptions", json=body, headers=app.auth("operator")
        )
        assert response.status_code == status, (body, response.text)
        if status == 400:
            assert response.json()["type"] == "epcisException:ValidationException"


def test_websocket_receives_new_events(app: Api) -> None:
    capture(app, 0)  # before the connection: not sent
    url = "/queries/shipped/events?stream=true"
    with app.client.websocket_connect(url, headers=app.auth("operator")) as socket:
        capture(app, 1)
        capture(app, 2, step="receiving")
        capture(app, 3)
        seen: list[str] = []
        while len(seen) < 2:
            document = orjson.loads(socket.receive_text(timeout=10))
            events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            seen += [e["epcList"][0].rsplit(".", 1)[1] for e in events]
    assert seen == ["1", "3"]


def test_websocket_sees_only_what_the_principal_may_see(app: Api) -> None:
    url = "/queries/shipped/events?stream=true"
    with app.client.websocket_connect(url, headers=app.auth("partner")) as socket:
        capture(app, 1)  # the operator's event: invisible to the partner
        capture(app, 2, who="partner")
        document = orjson.loads(socket.receive_text(timeout=10))
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["epcList"][0] for e in events] == [f"{SERIAL}2"]


@pytest.mark.parametrize(
    ("fields", "after", "expected"),
    [
        # the standard's example: 1:05am every day
        ({"hour": "1", "minute": "5", "second": "0"}, "2024-05-01T12:00:00", "2024-05-02T01:05:00"),
        # a list and a range of minutes, top of the minute
        ({"minute": "7,[20-22]", "second": "0"}, "2024-05-01T12:20:00", "2024-05-01T12:21:00"),
        # an omitted field matches every value (every second)
        ({"minute": "30"}, "2024-05-01T12:30:10", "2024-05-01T12:30:11"),
        # weekdays only: Saturday 2024-05-04 → Monday 2024-05-06 (dayOfWeek 1)
        (
            {"dayOfWeek": "[1-5]", "hour": "0", "minute": "0", "second": "0"},
            "2024-05-03T23:00:00",
            "2024-05-06T00:00:00",
        ),
        # the 29th of February: the next leap year
        (
            {"month": "2", "dayOfMonth": "29", "hour": "0", "minute": "0", "second": "0"},
            "2024-03-01T00:00:00",
            "2028-02-29T00:00:00",
        ),
    ],
)
def test_schedule_next_time(fields: dict[str, str], after: str, expected: str) -> None:
    schedule = QuerySchedule.parse(fields)
    found = schedule.next_after(datetime.fromisoformat(after).replace(tzinfo=UTC))
    assert found == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [
        {"hour": "24"},  # out of range
        {"minute": "5-10"},  # a range needs brackets
        {"second": ""},  # empty
        {"week": "1"},  # unknown field
        {"dayOfMonth": "31", "month": "[4-4]"},  # April has 30 days: never due
    ],
)
def test_schedule_errors(fields: dict[str, str]) -> None:
    with pytest.raises(ScheduleError):
        QuerySchedule.parse(fields)
