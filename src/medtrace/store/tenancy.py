"""Organizations, API keys and bearer tokens: who a request acts for (DESIGN.md "Tenancy").

**Organizations** are the tenants (:class:`~medtrace.store.principal.Principal`): a name, a role
(operator, auditor, regulator, admin) and the GS1 identifiers that place them in the event log —
GLNs (GS1 General Specifications §3.4.9, validated with :class:`medtrace.gs1.keys.Gln`) and GS1
Company Prefixes (6 to 12 digits, GenSpecs §1.4.4).

**API keys** are ``mt_<key_id>_<secret>``: a 16-hex-digit public key id and a 256-bit secret from
:func:`secrets.token_urlsafe`. The token is shown once; the store keeps only
``SHA-256(domain ‖ key_id ‖ secret)``. A fast hash is the right tool here, unlike for passwords:
a slow password hash (bcrypt, scrypt, Argon2) exists to make guessing *low-entropy* secrets
expensive, but guessing a uniformly random 256-bit secret from its hash is infeasible at any hash
speed, and a fast hash keeps authentication cheap on every request. Comparison is constant-time
(:func:`hmac.compare_digest`). The same key id and secret are the OAuth 2.0 client credentials
(RFC 6749 §4.4): ``client_id`` = key id, ``client_secret`` = secret.

**Bearer tokens** are JWTs (RFC 7519) signed with Ed25519 (``alg: EdDSA``, RFC 8037) by a key in
``signing_key``, created on first use; the JWT header ``kid`` names it. Claims: ``iss``, ``sub``
(organization id), ``iat``, ``exp``, ``jti`` and ``client_id`` (the API key it was issued to;
RFC 9068 §2.2). Verification checks signature, expiry and issuer, that the key still exists and
that the organization still exists and the API key is not revoked; the role is read from the
organization, so a role change applies to tokens already issued. The private key is stored as
PKCS#8, encrypted with ``$MEDTRACE_TOKEN_KEY`` when that variable is set (recommended for shared
installations, so that a copy of the database alone cannot mint tokens); a key that cannot be
decrypted is retired and replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from medtrace.errors import MedtraceError
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.keys import Gln
from medtrace.store import schema
from medtrace.store.codec import to_micros
from medtrace.store.engine import (
    BUSY_TIMEOUT_MS,
    driver_pragma,
    is_sqlite,
    read_connection,
    write_transaction,
)
from medtrace.store.principal import Principal, Role

__all__ = [
    "LOCAL_ADMIN",
    "TOKEN_KEY_ENV",
    "InvalidOrganizationError",
    "TenancyError",
    "UnknownApiKeyError",
    "UnknownOrganizationError",
    "authenticate_api_key",
    "authenticate_client",
    "create_api_key",
    "create_organization",
    "ensure_local_admin",
    "get_organization",
    "issue_token",
    "list_organizations",
    "parse_api_key",
    "revoke_api_key",
    "rotate_signing_key",
    "verify_token",
]

#: The organization :func:`ensure_local_admin` creates on a fresh installation.
LOCAL_ADMIN: Final = "local-admin"
#: Environment variable holding the passphrase that encrypts the token signing keys.
TOKEN_KEY_ENV: Final = "MEDTRACE_TOKEN_KEY"  # noqa: S105 - a variable name, not a secret
ISSUER: Final = "medtrace"
#: ``last_used`` is written at most once per this many microseconds per key.
LAST_USED_RESOLUTION: Final = 60_000_000
#: Longest accepted token lifetime (seconds); retired signing keys verify for this long.
MAX_TTL: Final = 24 * 3600
_KEY_ID: Final = re.compile(r"[0-9a-f]{16}")
_SECRET: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_PREFIX: Final = re.compile(r"[0-9]{6,12}")
_HASH_DOMAIN: Final = b"medtrace/api-key/v1\x00"
_NAME_MAX: Final = 200


class TenancyError(MedtraceError):
    """An organization or key operation that cannot be done as asked."""


class InvalidOrganizationError(TenancyError):
    """Invalid organization data: a name, role, GLN or prefix of the wrong form, or taken."""


class UnknownOrganizationError(TenancyError):
    """No organization has that id or name."""


class UnknownApiKeyError(TenancyError):
    """No API key has that id."""


def _now() -> int:
    return to_micros(datetime.now(UTC))


# --------------------------------------------------------------------------- organizations


def _valid_glns(glns: Iterable[str]) -> list[str]:
    valid: list[str] = []
    for raw in glns:
        text = raw.strip()
        try:
            valid.append(Gln.parse(text).value)
        except Gs1Error as exc:
            raise InvalidOrganizationError(f"invalid GLN {raw!r}: {exc}") from exc
    return sorted(set(valid))


def _valid_prefixes(prefixes: Iterable[str]) -> list[str]:
    valid: list[str] = []
    for raw in prefixes:
        text = raw.strip()
        if not _PREFIX.fullmatch(text):
            raise InvalidOrganizationError(
                f"invalid GS1 Company Prefix {raw!r}: expected 6 to 12 digits"
            )
        valid.append(text)
    return sorted(set(valid))


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        expected = ", ".join(r.value for r in Role)
        raise InvalidOrganizationError(
            f"invalid role {role!r}: expected one of {expected}"
        ) from None


def _principal(conn: Connection, org_id: str, name: str, role: str) -> Principal:
    ident = schema.organization_identifier
    values: dict[str, set[str]] = {"gln": set(), "company_prefix": set()}
    for kind, value in conn.execute(
        sa.select(ident.c.kind, ident.c.value).where(ident.c.org_id == org_id)
    ):
        values.setdefault(str(kind), set()).add(str(value))
    return Principal(
        org_id=org_id,
        name=name,
        role=Role(role),
        glns=frozenset(values["gln"]),
        company_prefixes=frozenset(values["company_prefix"]),
    )


def create_organization(
    engine: Engine,
    *,
    name: str,
    role: Role | str,
    glns: Iterable[str] = (),
    company_prefixes: Iterable[str] = (),
) -> Principal:
    """Create an organization; raise :class:`InvalidOrganizationError` on any invalid input.

    A GLN or prefix may belong to one organization only.
    """
    clean = name.strip()
    if not clean or len(clean) > _NAME_MAX or any(ch.isspace() and ch != " " for ch in clean):
        raise InvalidOrganizationError(
            f"invalid organization name {name!r}: expected 1 to {_NAME_MAX} characters "
            "without tabs or line breaks"
        )
    kind = _role(role)
    gln_values, prefix_values = _valid_glns(glns), _valid_prefixes(company_prefixes)
    identifiers = [("gln", g) for g in gln_values] + [("company_prefix", p) for p in prefix_values]
    org_id = str(uuid.uuid4())
    org, ident = schema.organization, schema.organization_identifier
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(org.c.id).where(org.c.name == clean)).first() is not None:
            raise InvalidOrganizationError(f"an organization named {clean!r} already exists")
        for id_kind, value in identifiers:
            owner = conn.execute(
                sa.select(org.c.name)
                .join(ident, ident.c.org_id == org.c.id)
                .where(ident.c.kind == id_kind, ident.c.value == value)
            ).scalar()
            if owner is not None:
                label = "GLN" if id_kind == "gln" else "company prefix"
                raise InvalidOrganizationError(
                    f"{label} {value} already belongs to organization {owner!r}"
                )
        try:
            conn.execute(
                sa.insert(org).values(id=org_id, name=clean, role=kind.value, created=_now())
            )
            if identifiers:
                conn.execute(
                    sa.insert(ident),
                    [{"kind": k, "value": v, "org_id": org_id} for k, v in identifiers],
                )
        except IntegrityError as exc:  # a concurrent creation won the race
            raise InvalidOrganizationError(
                f"organization {clean!r} or one of its identifiers was created concurrently"
            ) from exc
    return Principal(
        org_id=org_id,
        name=clean,
        role=kind,
        glns=frozenset(gln_values),
        company_prefixes=frozenset(prefix_values),
    )


def _find(conn: Connection, org_id_or_name: str) -> Principal | None:
    org = schema.organization
    row = conn.execute(
        sa.select(org.c.id, org.c.name, org.c.role)
        .where(sa.or_(org.c.id == org_id_or_name, org.c.name == org_id_or_name))
        .order_by(sa.case((org.c.id == org_id_or_name, 0), else_=1))
    ).first()
    return None if row is None else _principal(conn, str(row.id), str(row.name), str(row.role))


def get_organization(engine: Engine, org_id_or_name: str) -> Principal | None:
    """The organization with this id (preferred) or name, or ``None``."""
    with read_connection(engine) as conn:
        return _find(conn, org_id_or_name)


def list_organizations(engine: Engine) -> list[Principal]:
    """Every organization, by name."""
    org = schema.organization
    with read_connection(engine) as conn:
        rows = conn.execute(sa.select(org.c.id, org.c.name, org.c.role).order_by(org.c.name))
        return [_principal(conn, str(row.id), str(row.name), str(row.role)) for row in rows.all()]


# --------------------------------------------------------------------------- API keys


def _hash(key_id: str, secret: str) -> str:
    return hashlib.sha256(_HASH_DOMAIN + f"{key_id}\x00{secret}".encode()).hexdigest()


def parse_api_key(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed ``mt_<key_id>_<secret>`` token, else ``None``.

    >>> parse_api_key("mt_0123456789abcdef_" + "A" * 43)[0]
    '0123456789abcdef'
    >>> parse_api_key("mt_nothex_secret") is None
    True
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "mt":
        return None
    key_id, secret = parts[1], parts[2]
    if not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        return None
    return key_id, secret


def create_api_key(engine: Engine, org_id: str, *, name: str | None = None) -> tuple[str, str]:
    """Create a key for organization ``org_id`` (id or name); return ``(key_id, token)``.

    The token ``mt_<key_id>_<secret>`` is returned once and never stored.
    """
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        org = _find(conn, org_id)
        if org is None:
            raise UnknownOrganizationError(f"no organization with id or name {org_id!r}")
        conn.execute(
            sa.insert(schema.api_key).values(
                id=key_id,
                org_id=org.org_id,
                name=name,
                secret_hash=_hash(key_id, secret),
                created=_now(),
                last_used=None,
                revoked=None,
            )
        )
    return key_id, f"mt_{key_id}_{secret}"


def _touch(engine: Engine, key_id: str, now: int) -> None:
    """Record use of a key, at most once per :data:`LAST_USED_RESOLUTION`; best effort.

    On SQLite a busy writer (a long capture) must not stall authentication: the update gives
    up at once instead of waiting for the lock.
    """
    table = schema.api_key
    stale = sa.or_(table.c.last_used.is_(None), table.c.last_used < now - LAST_USED_RESOLUTION)
    update = sa.update(table).where(table.c.id == key_id, stale).values(last_used=now)
    with engine.connect() as conn:
        if not is_sqlite(conn):
            with conn.begin():
                conn.execute(update)
            return
        driver_pragma(conn, "busy_timeout=0")
        try:
            with conn.begin():
                conn.execute(update)
        except OperationalError:
            return  # the database is locked by a writer: skip this time
        finally:
            driver_pragma(conn, f"busy_timeout={BUSY_TIMEOUT_MS}")


def authenticate_client(engine: Engine, key_id: str, secret: str) -> Principal | None:
    """The organization of an unrevoked key whose secret matches, else ``None``."""
    if not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        return None
    key = schema.api_key
    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(key.c.org_id, key.c.secret_hash, key.c.revoked, key.c.last_used).where(
                key.c.id == key_id
            )
        ).first()
        if row is None or row.revoked is not None:
            return None
        if not hmac.compare_digest(str(row.secret_hash), _hash(key_id, secret)):
            return None
        org = _find(conn, str(row.org_id))
    if org is None:
        return None
    now = _now()
    if row.last_used is None or int(row.last_used) < now - LAST_USED_RESOLUTION:
        _touch(engine, key_id, now)
    return Principal(
        org_id=org.org_id,
        name=org.name,
        role=org.role,
        glns=org.glns,
        company_prefixes=org.company_prefixes,
        key_id=key_id,
    )


def authenticate_api_key(engine: Engine, token: str) -> Principal | None:
    """The principal of an API key token, or ``None`` (malformed, unknown, revoked, wrong)."""
    parsed = parse_api_key(token)
    if parsed is None:
        return None
    return authenticate_client(engine, *parsed)


def revoke_api_key(engine: Engine, key_id: str) -> None:
    """Revoke a key (its tokens stop working at once); revoking twice keeps the first time."""
    key = schema.api_key
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(key.c.id).where(key.c.id == key_id)).first() is None:
            raise UnknownApiKeyError(f"no API key with id {key_id!r}")
        conn.execute(
            sa.update(key).where(key.c.id == key_id, key.c.revoked.is_(None)).values(revoked=_now())
        )


def ensure_local_admin(engine: Engine) -> str | None:
    """On a fresh installation create :data:`LOCAL_ADMIN` (role admin) and return its key token.

    ``None`` when any organization exists already (the token is shown only on first start).
    """
    with read_connection(engine) as conn:
        if conn.execute(sa.select(schema.organization.c.id).limit(1)).first() is not None:
            return None
    try:
        admin = create_organization(engine, name=LOCAL_ADMIN, role=Role.ADMIN)
    except InvalidOrganizationError:  # another process created it first
        return None
    return create_api_key(engine, admin.org_id, name="first start")[1]


# --------------------------------------------------------------------------- JWT (RFC 7519)


def _passphrase() -> bytes | None:
    value = os.environ.get(TOKEN_KEY_ENV)
    return value.encode() if value else None


def _serialize(private: Ed25519PrivateKey) -> bytes:
    passphrase = _passphrase()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _load(blob: bytes) -> Ed25519PrivateKey | None:
    try:
        key = serialization.load_pem_private_key(blob, password=_passphrase())
    except (ValueError, TypeError):  # wrong, missing or unexpected passphrase
        return None
    return key if isinstance(key, Ed25519PrivateKey) else None


def _active_key(engine: Engine) -> tuple[str, Ed25519PrivateKey]:
    """The current signing key, created (or replaced, if unreadable) on first use."""
    table = schema.signing_key
    with write_transaction(engine) as conn:
        row = conn.execute(
            sa.select(table.c.id, table.c.private_key)
            .where(table.c.retired.is_(None))
            .order_by(table.c.created.desc())
        ).first()
        if row is not None:
            loaded = _load(bytes(row.private_key))
            if loaded is not None:
                return str(row.id), loaded
            conn.execute(sa.update(table).where(table.c.id == row.id).values(retired=_now()))
        private = Ed25519PrivateKey.generate()
        kid = secrets.token_hex(8)
        conn.execute(
            sa.insert(table).values(
                id=kid, private_key=_serialize(private), created=_now(), retired=None
            )
        )
    return kid, private


def rotate_signing_key(engine: Engine) -> str:
    """Retire the current signing key and create a new one; return the new ``kid``.

    Tokens signed by the retired key stay valid until they expire (at most :data:`MAX_TTL`).
    """
    table = schema.signing_key
    with write_transaction(engine) as conn:
        conn.execute(sa.update(table).where(table.c.retired.is_(None)).values(retired=_now()))
    return _active_key(engine)[0]


def issue_token(engine: Engine, principal: Principal, *, ttl: int = 3600) -> str:
    """A signed JWT (``EdDSA``, RFC 8037) for ``principal``, valid for ``ttl`` seconds."""
    if not 1 <= ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL} seconds, got {ttl}")
    kid, private = _active_key(engine)
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": principal.org_id,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_hex(12),
    }
    if principal.key_id is not None:
        claims["client_id"] = principal.key_id
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})


def _public_key(engine: Engine, kid: str) -> Ed25519PublicKey | None:
    table = schema.signing_key
    oldest = _now() - MAX_TTL * 1_000_000
    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(table.c.private_key).where(
                table.c.id == kid, sa.or_(table.c.retired.is_(None), table.c.retired > oldest)
            )
        ).first()
    if row is None:
        return None
    private = _load(bytes(row.private_key))
    return None if private is None else private.public_key()


def verify_token(engine: Engine, token: str) -> Principal | None:
    """The principal of a valid JWT issued by :func:`issue_token`, else ``None``.

    Checks the ``EdDSA`` signature against the ``kid`` key, ``exp``/``iat``/``iss``, that the
    organization still exists and that the API key it was issued to is not revoked.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return None
    kid = header.get("kid")
    if header.get("alg") != "EdDSA" or not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
        return None
    public = _public_key(engine, kid)
    if public is None:
        return None
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=["EdDSA"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.InvalidTokenError:
        return None
    client_id = claims.get("client_id")
    with read_connection(engine) as conn:
        org = _find(conn, str(claims["sub"]))
        if org is None or org.org_id != claims["sub"]:
            return None
        if client_id is not None:
            key = schema.api_key
            row = conn.execute(
                sa.select(key.c.revoked, key.c.org_id).where(key.c.id == str(client_id))
            ).first()
            if row is None or row.revoked is not None or row.org_id != org.org_id:
                return None
    return Principal(
        org_id=org.org_id,
        name=org.name,
        role=org.role,
        glns=org.glns,
        company_prefixes=org.company_prefixes,
        key_id=None if client_id is None else str(client_id),
    )
