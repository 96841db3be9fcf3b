"""Webhook delivery of query subscriptions (EPCIS 2.0 §8.2.5; REST binding callback
``querySubscriptionResults`` of ``POST /queries/{queryName}/subscriptions``).

:class:`DeliveryWorker` is a thread owned by the application lifespan. Every ``poll_seconds``
it reads the log head and serves each due subscription (:func:`medtrace.store.subscriptions.due`):

1. it takes a lease on the subscription (safe with several service processes on one database);
2. it runs the stored query for events after the subscription's ``cursor_seq``, with the
   subscriber's own visibility, in capture (``seq``) order, ``batch_size`` events at a time;
3. it ``POST``\\ s each batch as an ``EPCISQueryDocument`` (JSON-LD, ``queryResults`` carrying
   ``subscriptionID`` and ``queryName``) to ``dest`` with the headers

   * ``Content-Type: application/ld+json``
   * ``GS1-Signature: sha256=<hex>`` — the lowercase hex HMAC-SHA256 of the exact request body
     bytes, keyed with the UTF-8 bytes of the subscription's ``signatureToken`` (absent when
     the subscription has no token). A receiver recomputes it and compares in constant time.
   * ``GS1-Subscription-ID: <subscriptionID>``;
4. on a ``2xx`` answer it moves ``cursor_seq`` to the last delivered ``seq`` and sets
   ``last_delivered`` in one transaction; on anything else (connection refused, timeout,
   non-``2xx``) it records ``attempts``/``last_error`` and retries the SAME batch after
   ``retry_base_seconds * 2**(attempts-1)`` (at most ``retry_max_seconds``).

Each ``POST`` is fenced (:func:`medtrace.store.subscriptions.begin_delivery`): it is sent only
while the subscription is still active, and it is marked in flight until its outcome is
recorded, so that unsubscribing (``DELETE`` of the subscription or of its named query) returns
only once nothing more will be sent. The tuning comes from
:class:`~medtrace.api.settings.ApiSettings` (``MEDTRACE_SUBSCRIPTION_*``).

Stream subscriptions are served whenever the log has grown; scheduled ones at their query times
(:class:`~medtrace.epcis.query_schedule.QuerySchedule`), sending an empty document when
``reportIfEmpty`` is set. Events a subscriber does not match or may not see are passed over
(the cursor moves past them). Guarantee: in order, none skipped; none repeated unless the
process dies between a receiver's ``2xx`` and the cursor commit (then that one batch is sent
again: receivers may de-duplicate on ``eventID``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import httpx
import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from medtrace.api.settings import ApiSettings
from medtrace.epcis.errors import EpcisError
from medtrace.epcis.jsonld_writer import write_jsonld
from medtrace.epcis.model import EPCISDocument, Event
from medtrace.epcis.query import parse_query_body
from medtrace.epcis.query_model import EventQuery
from medtrace.epcis.query_schedule import QuerySchedule
from medtrace.store import subscriptions
from medtrace.store.codec import from_micros, to_micros
from medtrace.store.engine import read_connection
from medtrace.store.subscriptions import Subscription
from medtrace.store.tenancy import get_organization

__all__ = [
    "DeliverySettings",
    "DeliveryWorker",
    "StoredQuery",
    "query_document",
    "sign",
    "stored_query",
    "stored_schedule",
]

_LOG: Final = logging.getLogger(__name__)
_SECOND: Final = 1_000_000


class StoredQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The named query definition as stored with a subscription (same form as ``/queries``)."""

    query: dict[str, object]
    extensions: dict[str, str] = {}


_STORED: Final = msgspec.json.Decoder(StoredQuery)
_SCHEDULE: Final = msgspec.json.Decoder(dict[str, str])


def stored_query(blob: bytes) -> EventQuery:
    """The :class:`EventQuery` of a stored definition blob."""
    stored = _STORED.decode(blob)
    return parse_query_body(stored.query, extensions=stored.extensions)


def stored_schedule(blob: bytes | None) -> QuerySchedule | None:
    """The schedule of a stored subscription (``None`` for a stream)."""
    return None if blob is None else QuerySchedule.parse(_SCHEDULE.decode(blob))


def sign(body: bytes, token: str) -> str:
    """The ``GS1-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of ``body`` keyed by ``token``.

    >>> sign(b"{}", "secret")
    'sha256=77325902caca812dc259733aacd046b73817372c777b8d95b402647474516e13'
    """
    digest = hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def query_document(events: Sequence[Event], *, query_name: str, subscription_id: str) -> bytes:
    """The JSON-LD ``EPCISQueryDocument`` of one delivery (EPCIS 2.0 §8.2.5, §10)."""
    document = EPCISDocument(
        schema_version="2.0",
        creation_date=from_micros(_now()),
        events=tuple(events),
        kind="query",
        query_name=query_name,
        subscription_id=subscription_id,
    )
    return write_jsonld(document)


def _now() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverySettings:
    """Tuning of the delivery worker: the ``subscription_*`` fields of
    :class:`~medtrace.api.settings.ApiSettings` (:meth:`of`; ``MEDTRACE_SUBSCRIPTION_*``)."""

    enabled: bool = True
    poll_seconds: float = 0.5
    batch_size: int = 100
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    lease_seconds: float = 120.0

    @classmethod
    def of(cls, settings: ApiSettings) -> DeliverySettings:
        """The delivery tuning of the service settings.

        >>> DeliverySettings.of(ApiSettings(subscription_poll_seconds=0.1)).poll_seconds
        0.1
        """
        return cls(
            enabled=settings.subscription_worker,
            poll_seconds=settings.subscription_poll_seconds,
            batch_size=settings.subscription_batch,
            timeout_seconds=settings.subscription_timeout_seconds,
            retry_base_seconds=settings.subscription_retry_seconds,
            retry_max_seconds=settings.subscription_retry_max_seconds,
        )

    @property
    def in_flight_seconds(self) -> float:
        """How long one webhook request may be in flight: connecting, sending and reading the
        answer each within ``timeout_seconds``, plus a second. Unsubscribing waits at most
        this long for a delivery whose worker died (``medtrace.store.subscriptions``)."""
        return 3 * self.timeout_seconds + 1

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th consecutive failure (1-based)."""
        return float(
            min(self.retry_base_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds)
        )


class DeliveryWorker:
    """The webhook delivery thread (see the module docstring). :meth:`start`, :meth:`stop`."""

    def __init__(self, engine: Engine, config: DeliverySettings) -> None:
        self._engine = engine
        self._config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=config.timeout_seconds, follow_redirects=False)

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name="medtrace-subscriptions")
        self._thread.start()

    def stop(self) -> None:
        """Finish the delivery in flight (its cursor is committed), then end the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except sa.exc.OperationalError:  # database briefly unavailable: try again later
                _LOG.exception("subscription delivery: database error")
            self._stop.wait(self._config.poll_seconds)

    def run_once(self) -> int:
        """Serve every due subscription once; how many documents were delivered."""
        head, due = subscriptions.due(self._engine, _now())
        sent = 0
        for sub in due:
            if self._stop.is_set():
                break
            lease = _now() + int(self._config.lease_seconds * _SECOND)
            if subscriptions.claim(self._engine, sub, lease):
                claimed = dataclasses.replace(sub, next_attempt=lease)
                sent += self._serve(claimed, head)
        return sent

    def _post(self, sub: Subscription, body: bytes) -> str | None:
        """Deliver ``body``; ``None`` on success, else why it failed."""
        headers = {"Content-Type": "application/ld+json", "GS1-Subscription-ID": sub.id}
        if sub.signature_token:
            headers["GS1-Signature"] = sign(body, sub.signature_token)
        try:
            response = self._client.post(sub.dest, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if not response.is_success:
            return f"HTTP {response.status_code} from {sub.dest}"
        return None

    def _serve(self, sub: Subscription, head: int) -> int:
        principal = get_organization(self._engine, sub.org_id)
        if principal is None:
            subscriptions.deactivate(self._engine, [sub.id], "the organization no longer exists")
            return 0
        try:
            query = stored_query(sub.query)
            schedule = stored_schedule(sub.schedule)
        except (EpcisError, msgspec.DecodeError) as exc:  # validated on subscribe
            subscriptions.deactivate(self._engine, [sub.id], f"stored query invalid: {exc}")
            return 0
        size = self._config.batch_size
        sent = 0
        first = True
        while True:
            with read_connection(self._engine) as conn:
                batch = subscriptions.pending(conn, sub, query, principal, head=head, limit=size)
            final = len(batch) < size
            cursor = head if final else batch[-1][0]
            delivered: int | None = None
            if batch or (first and schedule is not None and sub.report_if_empty):
                body = query_document(
                    [e for _, e in batch], query_name=sub.query_name, subscription_id=sub.id
                )
                deadline = _now() + int(self._config.in_flight_seconds * _SECOND)
                if not subscriptions.begin_delivery(self._engine, sub, deadline):
                    return sent  # unsubscribed (or its query deleted) meanwhile: send nothing
                error = self._post(sub, body)
                now = _now()
                if error is not None:
                    delay = self._config.backoff(sub.attempts + 1)
                    _LOG.warning("subscription %s: delivery failed: %s", sub.id, error)
                    subscriptions.record_failure(
                        self._engine, sub, next_attempt=now + int(delay * _SECOND), error=error
                    )
                    return sent
                delivered = now
                sent += 1
            now = _now()
            if final:
                nxt = schedule.next_after(from_micros(now)) if schedule is not None else None
                next_attempt = None if nxt is None else to_micros(nxt)
            elif self._stop.is_set():  # shutting down: due again at once after the restart
                next_attempt = now
            else:  # more to send: renew the lease
                next_attempt = now + int(self._config.lease_seconds * _SECOND)
            if not subscriptions.record_success(
                self._engine,
                sub,
                cursor_seq=cursor,
                delivered_at=delivered,
                next_attempt=next_attempt,
            ):
                return sent  # unsubscribed (or taken over) meanwhile
            if final or self._stop.is_set():
                return sent
            sub = dataclasses.replace(sub, cursor_seq=cursor, next_attempt=next_attempt, attempts=0)
            first = False
