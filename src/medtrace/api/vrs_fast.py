"""The fast path of ``GET /verify/...``: a DSCSA verification answered without the framework.

A VRS responder answers thousands of requests a second (the GS1 US DSCSA VRS guideline expects
answers in well under a second from every responder of a network). Routing, the middleware
stack, signature parsing and the response machinery of the framework cost more CPU than the
verification itself (a Digital Link parse, two indexed reads, an audit row), so the
application (:class:`medtrace.api.app.MedtraceApp`) hands ``GET /verify/...`` to
:meth:`FastVerify.handle` first. It answers **only the ordinary case**:

* the credential is an API key whose principal is in the process's key cache
  (:class:`medtrace.api.auth.KeyCache`, filled by the authentication middleware);
* the path and query are a valid GS1 Digital Link verification request whose parameters pass
  every check of :func:`medtrace.api.vrs.outcome_reads` (``reqGLN`` of the requester,
  ``linkType``);
* the responder knows the GTIN's company prefix (not :class:`~medtrace.verify.responder.
  Refused`) and the audit entry was committed.

Everything else — a first request of a key, any malformed or refused request, a store or audit
error — returns ``False`` **before any side effect** (nothing was written) and the application
serves the request in full, with its RFC 7807 problems. Both paths use the same functions
(:func:`medtrace.api.vrs.read_link`, :func:`~medtrace.api.vrs.outcome_reads`, the same audit
writers), and the test suite checks that they answer byte for byte alike.

The read runs on the event loop's thread when the store is a SQLite file (an indexed lookup in
an embedded database costs less than a hand-off to a worker thread; it uses an engine of its
own, held open: see :class:`medtrace.api.vrs._Services` and
:class:`medtrace.store.held.HeldConnection`). On PostgreSQL the loop awaits it on connections
of its own (:class:`medtrace.store.loop_pg.LoopPostgres`): a network round trip must not hold
the loop, and a worker thread per request cost more than the request (interpreter lock
hand-offs). Both commit the audit entry in the loop's group commit.
"""

from __future__ import annotations

from typing import Any, Final

import anyio
import msgspec

from medtrace.api.auth import KeyCache
from medtrace.api.negotiation import GS1_VERSION_HEADERS
from medtrace.api.vrs import VRS_PATH, outcome_reads, raw_path, read_link, services_of
from medtrace.store import dbapi
from medtrace.verify.responder import VerificationResponse

__all__ = ["FastVerify"]

_PREFIX: Final = VRS_PATH + "/"
_HEADERS: Final = (
    (b"content-type", b"application/json"),
    *((name.lower().encode(), value.encode()) for name, value in GS1_VERSION_HEADERS.items()),
)
_ENCODER: Final = msgspec.json.Encoder()


def _credentials(scope: Any) -> tuple[str | None, str | None]:
    """The first ``Authorization`` and ``X-API-Key`` header values of the request."""
    authorization = api_key = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
    return authorization, api_key


class FastVerify:
    """Answers the ordinary ``GET /verify/...`` request (see the module docstring).

    ``state`` is the application's state (``repository``, and the VRS services created on
    first use); ``keys`` is the key cache the authentication middleware fills.
    """

    def __init__(self, state: Any, keys: KeyCache) -> None:
        self._state = state
        self._keys = keys

    @staticmethod
    def applies(scope: Any) -> bool:
        """Whether ``scope`` is a ``GET`` of a product identifier under ``/verify/``."""
        return bool(
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(_PREFIX)
        )

    async def handle(self, scope: Any, send: Any) -> bool:
        """Answer the request and return ``True``, or return ``False`` having done nothing."""
        key = KeyCache.key(*_credentials(scope))
        principal = self._keys.get(key) if key is not None else None
        if principal is None:
            return False
        path = raw_path(scope)
        if not path.strip("/"):
            return False
        services = services_of(self._state)
        try:
            message, params = read_link(path, scope.get("query_string", b"").decode("latin-1"))
            if services.held is not None:
                reads = outcome_reads("sqlite", principal, message, params, services.responders)
                outcome = dbapi.run_reads_with(services.held.read, reads)
            elif services.pg is not None:
                reads = outcome_reads("postgresql", principal, message, params, services.responders)
                outcome = await services.pg.run(reads)
            else:
                engine = self._state["repository"].engine
                reads = outcome_reads(
                    engine.dialect.name, principal, message, params, services.responders
                )
                outcome = await anyio.to_thread.run_sync(
                    dbapi.run_reads_with, engine.connect, reads
                )
            if not isinstance(outcome.result, VerificationResponse):
                return False  # refused: the application answers (and records) it
            if outcome.entry is not None:  # checkConnectivity answers have no audit row
                if services.loop_writer is not None:
                    await services.loop_writer.write(outcome.entry)
                else:
                    await services.writer.submit_async(outcome.entry)
        except Exception:  # noqa: BLE001 - nothing was written: the application serves it all
            return False
        body = _ENCODER.encode(outcome.result)
        headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True
