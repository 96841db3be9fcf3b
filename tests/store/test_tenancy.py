"""Organizations, API keys (hash at rest, revocation) and JWTs (EdDSA) on both backends."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

from medtrace.store import schema
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import (
    LOCAL_ADMIN,
    TOKEN_KEY_ENV,
    InvalidOrganizationError,
    UnknownApiKeyError,
    UnknownOrganizationError,
    authenticate_api_key,
    create_api_key,
    create_organization,
    ensure_local_admin,
    get_organization,
    issue_token,
    list_organizations,
    revoke_api_key,
    rotate_signing_key,
    verify_token,
)

GLN = "0614141000005"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # a GLN with a wrong check digit
        ({"glns": ["0614141000006"]}, "invalid GLN '0614141000006'"),
        # a GLN of the wrong length
        ({"glns": ["12345"]}, "invalid GLN '12345'"),
        # a company prefix that is too short
        ({"company_prefixes": ["12345"]}, "invalid GS1 Company Prefix '12345': expected 6 to 12"),
        # a company prefix with letters
        ({"company_prefixes": ["06141A1"]}, "invalid GS1 Company Prefix '06141A1'"),
        # an unknown role
        ({"role": "owner"}, "invalid role 'owner': expected one of operator"),
        # an empty name
        ({"name": "  "}, "invalid organization name"),
        # a name with a line break
        ({"name": "a\nb"}, "invalid organization name"),
        # a name already taken
        ({"name": "Existing"}, "an organization named 'Existing' already exists"),
        # a GLN that belongs to another organization
        ({"glns": [GLN]}, f"GLN {GLN} already belongs to organization 'Existing'"),
    ],
)
def test_invalid_organizations(repo: Repository, fields: dict[str, Any], message: str) -> None:
    create_organization(repo.engine, name="Existing", role="operator", glns=[GLN])
    arguments: dict[str, Any] = {"name": "New", "role": "operator", **fields}
    with pytest.raises(InvalidOrganizationError, match="^" + message.replace("(", r"\(")):
        create_organization(repo.engine, **arguments)
    assert [o.name for o in list_organizations(repo.engine)] == ["Existing"]


def test_organization_crud(repo: Repository) -> None:
    made = create_organization(
        repo.engine,
        name=" Pharma ",
        role=Role.OPERATOR,
        glns=[GLN, GLN],
        company_prefixes=["0614141"],
    )
    assert (made.name, made.glns, made.company_prefixes) == (
        "Pharma",
        frozenset({GLN}),
        frozenset({"0614141"}),
    )
    # by id and by name, the same principal
    assert get_organization(repo.engine, made.org_id) == made
    assert get_organization(repo.engine, "Pharma") == made
    assert get_organization(repo.engine, "nobody") is None
    regulator = create_organization(repo.engine, name="FDA", role="regulator")
    assert [o.name for o in list_organizations(repo.engine)] == ["FDA", "Pharma"]
    assert regulator.sees_everything
    assert not regulator.may_write


def test_api_key_lifecycle(repo: Repository) -> None:
    org = create_organization(repo.engine, name="Pharma", role="operator", glns=[GLN])
    key_id, token = create_api_key(repo.engine, "Pharma", name="ci")
    secret = token.split("_", 2)[2]
    assert token.startswith(f"mt_{key_id}_")
    found = authenticate_api_key(repo.engine, token)
    assert found is not None
    assert (found.org_id, found.key_id, found.glns) == (org.org_id, key_id, frozenset({GLN}))
    with repo.engine.connect() as conn:
        row = conn.execute(sa.select(schema.api_key)).one()
        dump = "\n".join(
            str(value)
            for table in (schema.api_key, schema.organization)
            for r in conn.execute(sa.select(table))
            for value in r
        )
    # hash at rest: the database never holds the secret
    assert secret not in dump
    assert token not in dump
    assert len(row.secret_hash) == 64
    # use is recorded
    assert row.last_used is not None
    revoke_api_key(repo.engine, key_id)
    assert authenticate_api_key(repo.engine, token) is None
    # revoking twice keeps the key revoked; an unknown key is an error
    revoke_api_key(repo.engine, key_id)
    with pytest.raises(UnknownApiKeyError):
        revoke_api_key(repo.engine, "0000000000000000")
    with pytest.raises(UnknownOrganizationError):
        create_api_key(repo.engine, "nobody")


@pytest.mark.parametrize(
    "mangle",
    [
        # a changed last character of the secret
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        # another key id with the same secret
        lambda t: "mt_0000000000000000_" + t.split("_", 2)[2],
        # a truncated secret
        lambda t: t[:-2],
        # no prefix
        lambda t: t[3:],
        # empty
        lambda _: "",
        # a JWT-looking string
        lambda _: "a.b.c",
    ],
)
def test_tampered_api_keys_are_rejected(repo: Repository, mangle: Any) -> None:
    create_organization(repo.engine, name="Pharma", role="operator")
    _, token = create_api_key(repo.engine, "Pharma")
    assert authenticate_api_key(repo.engine, mangle(token)) is None
    assert authenticate_api_key(repo.engine, token) is not None


def test_ensure_local_admin(repo: Repository) -> None:
    token = ensure_local_admin(repo.engine)
    assert token is not None
    admin = authenticate_api_key(repo.engine, token)
    assert admin is not None
    assert (admin.name, admin.role) == (LOCAL_ADMIN, Role.ADMIN)
    # the second start creates nothing and shows nothing
    assert ensure_local_admin(repo.engine) is None
    assert len(list_organizations(repo.engine)) == 1


def test_jwt_issue_and_verify(repo: Repository) -> None:
    create_organization(repo.engine, name="Pharma", role="auditor", glns=[GLN])
    key_id, token = create_api_key(repo.engine, "Pharma")
    principal = authenticate_api_key(repo.engine, token)
    assert principal is not None
    access = issue_token(repo.engine, principal)
    header = jwt.get_unverified_header(access)
    assert header["alg"] == "EdDSA"
    with repo.engine.connect() as conn:
        assert conn.execute(sa.select(schema.signing_key.c.id)).scalar_one() == header["kid"]
    verified = verify_token(repo.engine, access)
    assert verified == principal
    # the signing key is reused for the next token
    issue_token(repo.engine, principal)
    with repo.engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(schema.signing_key)
        assert conn.execute(count).scalar_one() == 1
    # a rotated key still verifies the tokens it signed
    rotate_signing_key(repo.engine)
    assert verify_token(repo.engine, access) == principal
    # revoking the API key revokes its tokens
    revoke_api_key(repo.engine, key_id)
    assert verify_token(repo.engine, access) is None


def _resign(token: str, claims: dict[str, Any]) -> str:
    """The token with changed claims and its original signature (tampered)."""
    header, _, signature = token.split(".")
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{payload}.{signature}"


def _unsigned(claims: dict[str, Any], kid: str) -> str:
    """An ``alg: none`` token (RFC 7519 §6): header and claims, no signature."""
    header = json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode()
    body = json.dumps(claims).encode()
    return ".".join(jwt.utils.base64url_encode(part).decode() for part in (header, body)) + "."


@pytest.mark.parametrize(
    "tamper",
    [
        # another organization id, original signature
        lambda t, claims: _resign(t, {**claims, "sub": "someone-else"}),
        # a later expiry, original signature
        lambda t, claims: _resign(t, {**claims, "exp": claims["exp"] + 3600}),
        # signed with another Ed25519 key under the same kid
        lambda t, claims: jwt.encode(
            claims,
            __import__(
                "cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["x"]
            ).Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": jwt.get_unverified_header(t)["kid"]},
        ),
        # an unsigned token (algorithm none) naming the real key
        lambda t, claims: _unsigned(claims, jwt.get_unverified_header(t)["kid"]),
        # an HMAC token keyed with a guessable secret
        lambda _t, claims: jwt.encode(claims, "secret" * 6, algorithm="HS256"),
        # an unknown kid
        lambda _t, claims: jwt.encode(
            claims,
            __import__(
                "cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["x"]
            ).Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": "0123456789abcdef"},
        ),
        # garbage
        lambda _t, _claims: "not-a-token",
    ],
)
def test_tampered_tokens_are_rejected(repo: Repository, tamper: Any) -> None:
    org = create_organization(repo.engine, name="Pharma", role="operator")
    access = issue_token(repo.engine, org)
    claims = jwt.decode(access, options={"verify_signature": False})
    assert verify_token(repo.engine, tamper(access, claims)) is None
    assert verify_token(repo.engine, access) == org


def test_jwt_expiry_and_deleted_organization(repo: Repository) -> None:
    org = create_organization(repo.engine, name="Pharma", role="operator")
    short = issue_token(repo.engine, org, ttl=1)
    later = issue_token(repo.engine, org)
    time.sleep(2.1)
    # expired
    assert verify_token(repo.engine, short) is None
    assert verify_token(repo.engine, later) == org
    # the organization is gone
    with repo.engine.begin() as conn:
        conn.execute(sa.delete(schema.organization))
    assert verify_token(repo.engine, later) is None
    with pytest.raises(ValueError, match="ttl must be between"):
        issue_token(repo.engine, org, ttl=0)


def test_signing_key_encrypted_at_rest(repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    org = create_organization(repo.engine, name="Pharma", role="operator")
    monkeypatch.setenv(TOKEN_KEY_ENV, "correct horse battery staple")
    access = issue_token(repo.engine, org)
    with repo.engine.connect() as conn:
        stored = bytes(conn.execute(sa.select(schema.signing_key.c.private_key)).scalar_one())
    # PKCS#8, encrypted
    assert b"ENCRYPTED PRIVATE KEY" in stored
    assert verify_token(repo.engine, access) == org
    # without the passphrase the key is unusable: its tokens fail, a new key is made
    monkeypatch.delenv(TOKEN_KEY_ENV)
    assert verify_token(repo.engine, access) is None
    fresh = issue_token(repo.engine, org)
    assert verify_token(repo.engine, fresh) == org
