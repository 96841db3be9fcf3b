"""The ``nextPageToken`` envelope and its revocation (EPCIS 2.0 §12.6 pagination; REST binding
``openapi.yaml`` ``DELETE /nextPageToken/{token}``, "on-demand release of any resources
associated with ``nextPageToken``").

Every page token medtrace issues — event queries (:mod:`medtrace.store.pagination`) and the
other lists of the HTTP service (``medtrace.api.common``) — is **sealed** (:func:`seal`):
base64url of the JSON pair ``[body, checksum]``, where ``body`` is the JSON array of the list's
cursor fields followed by a random **token id**, and ``checksum`` a digest of ``body`` that
detects altered tokens. :func:`unseal` checks the envelope and answers the fields and the id.

The cursor is keyset state: the server keeps nothing per issued token, so "releasing" one
frees nothing. What ``DELETE /nextPageToken/{token}`` honestly can do is **invalidate** it:
:func:`revoke` stores the token id in ``page_token_revocation`` and every later use of that
token (:func:`check_not_revoked`) is refused with the same ``QueryParameterException``
(``parameter: nextPageToken``) as an altered or foreign token. The id is random per issued
token, so revoking one client's token never affects another client who pages through the same
query to the same position. Tokens do not expire, so neither do revocations (one short row
each; only authenticated principals can add them).

>>> token = seal(["list", "queries", "q7"])
>>> fields, token_id = unseal(token)
>>> fields, len(token_id)
(['list', 'queries', 'q7'], 16)
>>> unseal(token[:-3] + "xyz")
Traceback (most recent call last):
...
medtrace.store.page_tokens.InvalidPageTokenError: query parameter nextPageToken: ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from medtrace.epcis.errors import QueryParameterError
from medtrace.store import schema
from medtrace.store.engine import write_transaction

__all__ = [
    "InvalidPageTokenError",
    "check_not_revoked",
    "is_revoked",
    "revoke",
    "seal",
    "token_id",
    "unseal",
]

_CHECK_SALT: Final = b"medtrace/page-token/v1\x00"
_CHECK_HEX: Final = 16
_ID_BYTES: Final = 12
_ID_FORM: Final = re.compile(r"[A-Za-z0-9_-]{16}")
_TABLE: Final = schema.page_token_revocation


class InvalidPageTokenError(QueryParameterError):
    """A ``nextPageToken`` that is malformed, altered, revoked, or issued for another list."""

    def __init__(self, message: str) -> None:
        super().__init__(message, parameter="nextPageToken")


def _checksum(body: bytes) -> str:
    return hashlib.sha256(_CHECK_SALT + body).hexdigest()[:_CHECK_HEX]


def seal(fields: Sequence[object]) -> str:
    """A new opaque token holding ``fields`` (JSON values) and a fresh random token id."""
    body = orjson.dumps([*fields, secrets.token_urlsafe(_ID_BYTES)])
    payload = orjson.dumps([body.decode(), _checksum(body)])
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def unseal(token: str) -> tuple[list[Any], str]:
    """The fields and the token id of ``token``; :class:`InvalidPageTokenError` unless it is
    an intact token sealed by this server (revocation is not checked here)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        outer = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidPageTokenError("not a page token issued by this server") from None
    if (
        not isinstance(outer, list)
        or len(outer) != 2
        or not all(isinstance(part, str) for part in outer)
    ):
        raise InvalidPageTokenError("not a page token issued by this server")
    body = outer[0].encode()
    if _checksum(body) != outer[1]:
        raise InvalidPageTokenError("the token was altered (checksum mismatch)")
    fields = orjson.loads(body)
    if (
        not isinstance(fields, list)
        or not fields
        or not isinstance(fields[-1], str)
        or not _ID_FORM.fullmatch(fields[-1])
    ):
        raise InvalidPageTokenError(
            "unsupported page token version; repeat the request without nextPageToken"
        )
    return fields[:-1], fields[-1]


def token_id(token: str) -> str:
    """The id of an intact token (see :func:`unseal`)."""
    return unseal(token)[1]


def is_revoked(conn: Connection, ident: str) -> bool:
    """Whether the token with id ``ident`` was revoked."""
    found = conn.execute(sa.select(_TABLE.c.token_id).where(_TABLE.c.token_id == ident)).first()
    return found is not None


def check_not_revoked(conn: Connection, token: str) -> None:
    """Raise :class:`InvalidPageTokenError` if ``token`` (a whole token) was revoked."""
    if is_revoked(conn, token_id(token)):
        raise InvalidPageTokenError(
            "the token was invalidated (DELETE /nextPageToken); repeat the request without it"
        )


def revoke(engine: Engine, token: str, *, org_id: str | None, now: int) -> str:
    """Invalidate ``token`` (idempotent); its id. ``org_id`` is who asked (kept for audit),
    ``now`` the time in UTC microseconds. Raises :class:`InvalidPageTokenError` for a token
    this server did not seal."""
    found = token_id(token)
    with write_transaction(engine) as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(_TABLE)
            .values(token_id=found, org_id=org_id, revoked=now)
            .on_conflict_do_nothing(index_elements=[_TABLE.c.token_id])
        )
    return found
