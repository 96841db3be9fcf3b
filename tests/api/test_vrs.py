"""The HTTP verification responder (``/verify``) on SQLite and PostgreSQL.

A small Litestar app carries the VRS handlers, medtrace's problem handlers and a test-only
middleware that authenticates the ``X-Test-Org`` header as one of the test principals.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from tests.api.conftest import OPERATOR_GLN, Api
from tests.verify.test_responder import (
    CHAIN,
    FDA,
    FDA_GLN,
    GTIN,
    MFG_GLN,
    OTHER_GTIN,
    PHARMACY,
    PHARMACY_GLN,
    T0,
    commission,
    store,
)

from medtrace.api.errors import exception_handlers
from medtrace.api.vrs import stop_loop_services, stop_services, vrs_handlers
from medtrace.epcis.model import EPCISDocument
from medtrace.store import schema
from medtrace.store.engine import write_transaction
from medtrace.store.principal import Principal
from medtrace.store.repository import Repository
from medtrace.verify import audit

__all__ = ["store"]  # the module-scoped store fixture, shared with the responder tests

PRINCIPALS: dict[str, Principal] = {p.org_id: p for p in (PHARMACY, CHAIN, FDA)}
GS = "\x1d"
PARTNER_GLN = "0012345000058"  # the "partner" organization of tests/api/conftest.py


def fake_auth(app: ASGIApp) -> ASGIApp:
    """Test-only authentication: ``X-Test-Org: <org_id>`` sets ``request.user``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        org = headers.get(b"x-test-org")
        if org is not None:
            scope["user"] = PRINCIPALS[org.decode()]
        await app(scope, receive, send)

    return middleware


@pytest.fixture(scope="module")
def client(store: Repository) -> Iterator[TestClient[Litestar]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """What ``create_app``'s lifespan does for the responder: its services stop."""
        try:
            yield
        finally:
            await stop_loop_services(app.state)
            stop_services(app.state)

    app = Litestar(
        route_handlers=vrs_handlers,
        middleware=[fake_auth],
        exception_handlers=exception_handlers(),
        state=State({"repository": store}),
        lifespan=[lifespan],
    )
    with TestClient(app) as test_client:
        yield test_client


def rows(store: Repository, corr_uuid: str) -> list[audit.VerificationRecord]:
    with store.engine.connect() as conn:
        return [r for r in audit.list_records(conn) if r.corr_uuid == corr_uuid]


Q = f"reqGLN={PHARMACY_GLN}&linkType=verificationService"


@pytest.mark.parametrize(
    ("url", "data", "serial"),
    [
        # the DSCSA VRS request form of the guideline
        (
            f"/verify/01/{GTIN}/10/L1/21/OK?exp=491231&{Q}&context=dscsaSaleableReturn",
            {"verified": True},
            "OK",
        ),
        # lot and expiry as query attributes, numeric AIs
        (f"/verify/01/{GTIN}/21/OK?10=L1&17=491231&{Q}", {"verified": True}, "OK"),
        # a GTIN-12 in the path, DD=00 expiry
        (f"/verify/01/312345678906/21/OK?17=491200&10=L1&{Q}", {"verified": True}, "OK"),
        # Digital Link 1.0 short names in the path, linkType as a gs1: CURIE
        (
            (
                f"/verify/gtin/{GTIN}/lot/L1/ser/OK?exp=491231&reqGLN={PHARMACY_GLN}"
                "&linkType=gs1:verificationService"
            ),
            {"verified": True},
            "OK",
        ),
        # no linkType: a verification request
        (f"/verify/01/{GTIN}/21/OK?reqGLN={PHARMACY_GLN}", {"verified": True}, "OK"),
        # saleable return of a dispensed pack
        (
            f"/verify/01/{GTIN}/10/L1/21/DIS?exp=491231&{Q}&context=dscsaSaleableReturn",
            {"verified": False, "verificationFailureReason": "Not_for_re-distribution"},
            "DIS",
        ),
        # a recalled pack with a wrong lot
        (
            f"/verify/01/{GTIN}/10/L9/21/REC?exp=491231&{Q}",
            {
                "verified": False,
                "verificationFailureReason": "No_match_GTIN_Serial_Lot",
                "additionalInfo": ["Recalled"],
            },
            "REC",
        ),
        # a percent-encoded '/' stays inside the serial (unknown serial A/1)
        (
            f"/verify/01/{GTIN}/21/A%2F1?{Q}",
            {"verified": False, "verificationFailureReason": "No_match_GTIN_Serial"},
            "A/1",
        ),
    ],
)
def test_get_forms(
    client: TestClient[Litestar], store: Repository, url: str, data: dict[str, Any], serial: str
) -> None:
    corr = str(uuid.uuid4())
    response = client.get(f"{url}&corrUUID={corr}", headers={"X-Test-Org": "pharm"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == data
    assert (body["responderGLN"], body["corrUUID"]) == (MFG_GLN, corr)
    assert body["verificationTimestamp"].endswith("Z")
    [row] = rows(store, corr)
    assert (row.serial, row.req_gln, row.org_id, row.verified) == (
        serial,
        PHARMACY_GLN,
        "pharm",
        data["verified"],
    )


@pytest.mark.parametrize(
    ("scan", "data"),
    [
        # raw scanner data: symbology identifier, GS after variable-length fields
        (f"]d201{GTIN}21OK{GS}10L1{GS}17491231", {"verified": True}),
        # human-readable element string
        (f"(01){GTIN}(17)491231(10)L1(21)OK", {"verified": True}),
        # a GS1 Digital Link QR code
        (f"https://example.com/01/{GTIN}/10/L1/21/OK?17=491231", {"verified": True}),
        # an EPC URN (no lot or expiry to compare)
        ("urn:epc:id:sgtin:0312345.067890.OK", {"verified": True}),
        # raw scan of the expired pack
        (
            f"]d201{GTIN}17200100{GS}10L0{GS}21OLD",
            {"verified": True, "additionalInfo": ["Expired"]},
        ),
        # raw scan with the wrong expiry
        (
            f"]d201{GTIN}17491130{GS}10L1{GS}21OK",
            {"verified": False, "verificationFailureReason": "No_match_GTIN_Serial_Expiry"},
        ),
    ],
)
def test_post_scan(
    client: TestClient[Litestar], store: Repository, scan: str, data: dict[str, Any]
) -> None:
    corr = str(uuid.uuid4())
    body = {"scan": scan, "reqGLN": PHARMACY_GLN, "corrUUID": corr, "context": "dscsaSuspect"}
    response = client.post("/verify", json=body, headers={"X-Test-Org": "pharm"})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == data
    [row] = rows(store, corr)
    assert (row.context, row.link_type, row.verified) == (
        "dscsaSuspect",
        "verificationService",
        data["verified"],
    )


@pytest.mark.parametrize(
    ("url", "responder"),
    [
        # on /verify itself: no identifier, so no responder GLN to name
        ("/verify?linkType=checkConnectivity", None),
        # on a GTIN: the manufacturer that answers for it
        (f"/verify/01/{GTIN}?linkType=checkConnectivity", MFG_GLN),
        # on a full identifier, as a gs1: CURIE: still no lookup
        (f"/verify/01/{GTIN}/21/NONE?linkType=gs1:checkConnectivity", MFG_GLN),
    ],
)
def test_check_connectivity(
    client: TestClient[Litestar], store: Repository, url: str, responder: str | None
) -> None:
    corr = str(uuid.uuid4())
    response = client.get(
        f"{url}&reqGLN={PHARMACY_GLN}&corrUUID={corr}", headers={"X-Test-Org": "pharm"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("responderGLN") == responder
    assert body["corrUUID"] == corr
    assert "data" not in body
    assert rows(store, corr) == []  # no lookup, nothing recorded


@pytest.mark.parametrize(
    ("org", "method", "url", "body", "status", "detail"),
    [
        # not authenticated
        (None, "GET", f"/verify/01/{GTIN}/21/OK", None, 401, "authentication required"),
        # reqGLN of another organization
        ("pharm", "GET", f"/verify/01/{GTIN}/21/OK?reqGLN={MFG_GLN}", None, 403, MFG_GLN),
        # reqGLN with a wrong check digit
        ("pharm", "GET", f"/verify/01/{GTIN}/21/OK?reqGLN=0855555000019", None, 400, "AI (414)"),
        # no reqGLN from an organization with two GLNs
        ("chain", "GET", f"/verify/01/{GTIN}/21/OK", None, 400, "reqGLN is required"),
        # a GTIN with a wrong check digit
        ("pharm", "GET", "/verify/01/00312345678905/21/OK", None, 400, "AI (01) 00312345678905"),
        # an impossible expiry month
        ("pharm", "GET", f"/verify/01/{GTIN}/21/OK?exp=491331", None, 400, "AI (17) 491331"),
        # no serial
        ("pharm", "GET", f"/verify/01/{GTIN}/10/L1?exp=491231", None, 400, "AI (21)"),
        # key qualifiers out of order
        ("pharm", "GET", f"/verify/01/{GTIN}/21/OK/10/L1", None, 400, "out of order"),
        # a link type this responder does not serve
        ("pharm", "GET", f"/verify/01/{GTIN}/21/OK?linkType=gs1:pip", None, 400, "gs1:pip"),
        # /verify without checkConnectivity
        ("pharm", "GET", "/verify", None, 400, "checkConnectivity"),
        # a scan with a wrong check digit
        (
            "pharm",
            "POST",
            "/verify",
            {"scan": "]d20100312345678905", "reqGLN": PHARMACY_GLN},
            400,
            "AI (01) 00312345678905",
        ),
        # a scan without a serial
        ("pharm", "POST", "/verify", {"scan": f"(01){GTIN}(10)L1"}, 400, "AI (21)"),
        # an unknown member in the body
        ("pharm", "POST", "/verify", {"scan": f"(01){GTIN}(21)OK", "gln": "x"}, 400, "gln"),
        # a GTIN of no organization on this responder
        ("pharm", "GET", f"/verify/01/{OTHER_GTIN}/21/X1", None, 404, OTHER_GTIN),
    ],
)
def test_problems(
    client: TestClient[Litestar],
    *,
    org: str | None,
    method: str,
    url: str,
    body: dict[str, str] | None,
    status: int,
    detail: str,
) -> None:
    headers = {"X-Test-Org": org} if org else {}
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("epcisException:")
    assert detail in response.text, problem  # detail, or the errors it lists


def test_every_request_is_recorded(client: TestClient[Litestar], store: Repository) -> None:
    """Answers and refusals alike; reqGLN defaults to the requester's only GLN."""
    sent = {}
    for serial, gtin in (("OK", GTIN), ("NONE", GTIN), ("X1", OTHER_GTIN)):
        corr = str(uuid.uuid4())
        sent[corr] = client.get(
            f"/verify/01/{gtin}/21/{serial}?corrUUID={corr}", headers={"X-Test-Org": "pharm"}
        ).status_code
    assert list(sent.values()) == [200, 200, 404]
    recorded = [
        (r.serial, r.verified, r.failure_reason, r.req_gln) for c in sent for r in rows(store, c)
    ]
    assert recorded == [
        ("OK", True, None, PHARMACY_GLN),
        ("NONE", False, "No_match_GTIN_Serial", PHARMACY_GLN),
        ("X1", False, None, PHARMACY_GLN),
    ]


def test_regulator_is_answered_for_any_gtin(client: TestClient[Litestar]) -> None:
    response = client.get(
        f"/verify/01/{OTHER_GTIN}/10/L9/21/X1?exp=491231&reqGLN={FDA_GLN}",
        headers={"X-Test-Org": "fda"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"verified": True}


def test_on_the_assembled_application(api: Api) -> None:
    """``create_app`` serves the responder with the real authentication (bearer tokens)."""
    gtin, org, ident = "10614141073464", schema.organization, schema.organization_identifier
    with write_transaction(api.repo.engine) as conn:
        operator = conn.execute(
            sa.select(org.c.id).where(org.c.name == "operator org")
        ).scalar_one()
        conn.execute(
            sa.insert(ident).values(kind="company_prefix", value="0614141", org_id=operator)
        )
    document = EPCISDocument(
        schema_version="2.0",
        creation_date=T0,
        events=(commission(1, ["E2E"], "L1", "2049-12-31", gtin=gtin),),
    )
    assert api.repo.capture(document).ok
    url = f"/verify/01/{gtin}/10/L1/21/E2E?exp=491231&corrUUID=e2e"
    answered = api.client.get(f"{url}&reqGLN={PARTNER_GLN}", headers=api.auth("partner"))
    assert answered.status_code == 200, answered.text
    assert answered.json()["responderGLN"] == OPERATOR_GLN
    assert answered.json()["data"] == {"verified": True}
    # another organization's GLN as reqGLN
    assert (
        api.client.get(f"{url}&reqGLN={OPERATOR_GLN}", headers=api.auth("partner")).status_code
        == 403
    )
    # no token
    assert api.client.get(f"{url}&reqGLN={PARTNER_GLN}").status_code == 401
    with api.repo.engine.connect() as conn:
        assert [r.org_id for r in audit.list_records(conn)] == [
            conn.execute(sa.select(org.c.id).where(org.c.name == "partner org")).scalar_one()
        ]
