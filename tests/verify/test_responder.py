"""The DSCSA verification responder over captured EPCIS events, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
import pytest
import sqlalchemy as sa

from medtrace.epcis.model import (
    EPCISDocument,
    Event,
    Extension,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
)
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.element_string import parse
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.gtin import Gtin
from medtrace.store import schema
from medtrace.store.engine import create_store_engine, write_transaction
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.verify import audit
from medtrace.verify.responder import (
    SALEABLE_RETURN,
    AdditionalInfo,
    FailureReason,
    Refused,
    VerificationRequest,
    VerificationResponse,
    check_connectivity,
    respond,
    responder_for,
    verify,
)

INFO, F = AdditionalInfo, FailureReason
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
STEP = "urn:epcglobal:cbv:bizstep:"
DISP = "urn:epcglobal:cbv:disp:"
MDA = "urn:epcglobal:cbv:mda"
RECALLED = (DISP + "recalled",)


def gln(body: str) -> str:
    """A GLN with its check digit."""
    return body + str(mod10(body))


#: The manufacturer's GTIN (company prefix 0312345) and a GTIN of no registered organization.
GTIN = "00312345678906"
OTHER_GTIN = "00399999000017"
MFG_GLN, PHARMACY_GLN, CHAIN_GLNS, FDA_GLN = (
    gln("031234500001"),
    gln("085555500001"),
    frozenset({gln("086666600001"), gln("086666600002")}),
    gln("077777700001"),
)
PHARMACY = Principal("pharm", "Pharmacy", Role.OPERATOR, frozenset({PHARMACY_GLN}))
CHAIN = Principal("chain", "Chain", Role.OPERATOR, CHAIN_GLNS)
FDA = Principal("fda", "FDA", Role.REGULATOR, frozenset({FDA_GLN}))


def sgtin(serial: str, gtin: str = GTIN) -> str:
    return f"https://id.gs1.org/01/{gtin}/21/{serial}"


def ev(
    minute: int, serials: Sequence[str], step: str | None, disp: str | None, **extra: Any
) -> ObjectEvent:
    """An ObjectEvent on packs of GTIN, ``minute`` minutes after T0."""
    gtin = extra.pop("gtin", GTIN)
    return ObjectEvent(
        event_time=T0 + timedelta(minutes=minute),
        event_time_zone_offset="+00:00",
        action=extra.pop("action", "OBSERVE"),
        epc_list=tuple(sgtin(serial, gtin) for serial in serials),
        biz_step=None if step is None else STEP + step,
        disposition=None if disp is None else DISP + disp,
        **extra,
    )


def commission(
    minute: int, serials: Sequence[str], lot: str | None, expiry: str | None, **extra: Any
) -> ObjectEvent:
    """Commissioning with ILMD lot / expiry (CBV 2.0 §10.2 cbvmda)."""
    ilmd = []
    if lot is not None:
        ilmd.append(Extension(namespace=MDA, name="lotNumber", value=lot))
    if expiry is not None:
        ilmd.append(Extension(namespace=MDA, name="itemExpirationDate", value=expiry))
    return ev(minute, serials, "commissioning", "active", action="ADD", ilmd=tuple(ilmd), **extra)


#: The packs and their histories (serial → what happened to it).
EVENTS: tuple[Event, ...] = (
    commission(
        1,
        ["OK", "REC", "RECD", "UNREC", "SUS", "QUA", "STO", "DIS", "DES", "DEC"],
        "L1",
        "2049-12-31",
    ),
    commission(1, ["OLD"], "L0", "2020-01-31"),
    commission(1, ["NOEXP"], "L1", None),
    commission(1, ["LOT"], "LR", "2049-12-31"),
    commission(1, ["X1"], "L9", "2049-12-31", gtin=OTHER_GTIN),
    ev(2, ["SEEN"], "receiving", "in_progress"),
    ev(
        3,
        ["REC", "RECD", "UNREC"],
        "holding",
        None,
        persistent_disposition=PersistentDisposition(set=RECALLED),
    ),
    ev(4, ["RECD"], "dispensing", "dispensed"),
    ev(
        4,
        ["UNREC"],
        "inspecting",
        "active",
        persistent_disposition=PersistentDisposition(unset=RECALLED),
    ),
    ev(5, ["SUS"], "inspecting", "no_pedigree_match"),
    ev(5, ["QUA"], "holding", None),
    ev(5, ["STO"], None, "stolen"),
    ev(5, ["DIS"], "dispensing", "dispensed"),
    ev(5, ["DES"], "destroying", "destroyed"),
    ev(5, ["DEC"], "decommissioning", "inactive", action="DELETE"),
    ObjectEvent(  # a lot recall: one event on the LGTIN class
        event_time=T0 + timedelta(minutes=6),
        event_time_zone_offset="+00:00",
        action="OBSERVE",
        quantity_list=(QuantityElement(epc_class=f"https://id.gs1.org/01/{GTIN}/10/LR"),),
        biz_step=STEP + "holding",
        persistent_disposition=PersistentDisposition(set=RECALLED),
    ),
)


def _fresh_url(backend: str, request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'store.sqlite'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex}"
    admin = create_store_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        parts = urlsplit(server)
        query = f"{parts.query}&search_path={name}" if parts.query else f"search_path={name}"
        yield urlunsplit(parts._replace(query=query))
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def register(repository: Repository, principal: Principal, prefixes: Sequence[str] = ()) -> None:
    """Insert an organization with its GLNs and company prefixes."""
    org, ident = schema.organization, schema.organization_identifier
    with write_transaction(repository.engine) as conn:
        conn.execute(
            sa.insert(org).values(
                id=principal.org_id, name=principal.name, role=principal.role.value, created=0
            )
        )
        rows = [("gln", value) for value in principal.glns]
        rows += [("company_prefix", value) for value in prefixes]
        for kind, value in rows:
            conn.execute(sa.insert(ident).values(kind=kind, value=value, org_id=principal.org_id))


def fill(repository: Repository) -> None:
    """The organizations and packs every verification test reads."""
    register(
        repository, Principal("mfg", "Maker", Role.OPERATOR, frozenset({MFG_GLN})), ["0312345"]
    )
    register(repository, PHARMACY)
    register(repository, CHAIN)
    register(repository, FDA)
    result = repository.capture(
        EPCISDocument(schema_version="2.0", creation_date=T0, events=EVENTS)
    )
    assert result.ok, result.rejected


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Repository]:
    """A repository with the organizations and EVENTS, shared by the cases of a module."""
    backend = str(request.param)
    for url in _fresh_url(backend, request, tmp_path_factory.mktemp("verify")):
        with Repository.open(url, create=True) as repository:
            fill(repository)
            yield repository


def request_for(
    serial: str, lot: str | None = None, exp: str | None = None, **extra: Any
) -> VerificationRequest:
    """A verification request for GTIN + ``serial`` (``exp`` YYMMDD, century as of NOW)."""
    expiry = Gs1Date.parse(exp, today=NOW.date()) if exp is not None else None
    return VerificationRequest(
        gtin=Gtin.parse(extra.pop("gtin", GTIN)),
        serial=serial,
        lot=lot,
        expiry=expiry,
        req_gln=extra.pop("req_gln", PHARMACY_GLN),
        corr_uuid=extra.pop("corr_uuid", str(uuid.uuid4())),
        **extra,
    )


def run(
    store: Repository, request: VerificationRequest, requester: Principal = PHARMACY
) -> VerificationResponse | Refused:
    with write_transaction(store.engine) as conn:
        return respond(conn, request, requester=requester, now=NOW)


def answer(
    store: Repository, request: VerificationRequest, requester: Principal = PHARMACY
) -> VerificationResponse:
    response = run(store, request, requester)
    assert isinstance(response, VerificationResponse), response
    return response


def records(store: Repository, corr_uuid: str) -> list[audit.VerificationRecord]:
    with store.engine.connect() as conn:
        return [r for r in audit.list_records(conn, gtin=None) if r.corr_uuid == corr_uuid]


SALEABLE = {"context": SALEABLE_RETURN}


@pytest.mark.parametrize(
    ("request_", "verified", "reason", "info"),
    [
        # the genuine pack, full product identifier: verified
        (request_for("OK", "L1", "491231"), True, None, ()),
        # DD=00 means the last day of the month: 491200 is 2049-12-31
        (request_for("OK", "L1", "491200"), True, None, ()),
        # only GTIN + serial given: nothing else to compare
        (request_for("OK"), True, None, ()),
        # a serial never seen
        (request_for("NONE", "L1", "491231"), False, F.NO_MATCH_GTIN_SERIAL, ()),
        # seen in a receiving event but never commissioned
        (request_for("SEEN", "L1", "491231"), False, F.NO_MATCH_GTIN_SERIAL, ()),
        # the serial exists under another GTIN only
        (request_for("X1", "L9", "491231"), False, F.NO_MATCH_GTIN_SERIAL, ()),
        # wrong lot
        (request_for("OK", "L2", "491231"), False, F.NO_MATCH_GTIN_SERIAL_LOT, ()),
        # wrong expiry (one month early)
        (request_for("OK", "L1", "491130"), False, F.NO_MATCH_GTIN_SERIAL_EXPIRY, ()),
        # wrong lot and wrong expiry
        (request_for("OK", "L2", "491130"), False, F.NO_MATCH_GTIN_SERIAL_LOT_EXPIRY, ()),
        # the responder holds no expiry for the pack: it cannot confirm the one sent
        (request_for("NOEXP", "L1", "491231"), False, F.NO_MATCH_GTIN_SERIAL_EXPIRY, ()),
        # expired (2020-01-31, sent as 200100): verified, and told so
        (request_for("OLD", "L0", "200100"), True, None, (INFO.EXPIRED,)),
        # expired and the expiry sent is wrong: still told it is expired
        (request_for("OLD", "L0", "200130"), False, F.NO_MATCH_GTIN_SERIAL_EXPIRY, (INFO.EXPIRED,)),
        # recalled by a persistent disposition (status recalled)
        (request_for("REC", "L1", "491231"), True, None, (INFO.RECALLED,)),
        # recalled, then dispensed: the persistent disposition still holds
        (request_for("RECD", "L1", "491231"), True, None, (INFO.RECALLED,)),
        # recall lifted (persistent disposition unset)
        (request_for("UNREC", "L1", "491231"), True, None, ()),
        # its lot was recalled by one event on the LGTIN class
        (request_for("LOT", "LR", "491231"), True, None, (INFO.RECALLED,)),
        # ... whatever lot the requester sends, or none: the recall of the pack's own lot shows
        (request_for("LOT", "L1", "491231"), False, F.NO_MATCH_GTIN_SERIAL_LOT, (INFO.RECALLED,)),
        (request_for("LOT"), True, None, (INFO.RECALLED,)),
        # and another lot's recall never shows on this pack
        (request_for("OK", "LR", "491231"), False, F.NO_MATCH_GTIN_SERIAL_LOT, ()),
        # a recalled pack, asked with a wrong lot
        (request_for("REC", "L2", "491231"), False, F.NO_MATCH_GTIN_SERIAL_LOT, (INFO.RECALLED,)),
        # disposition no_pedigree_match: suspect
        (request_for("SUS", "L1", "491231"), True, None, (INFO.SUSPECT,)),
        # DSCSA quarantine (bizStep holding): suspect
        (request_for("QUA", "L1", "491231"), True, None, (INFO.SUSPECT,)),
        # disposition stolen: illegitimate product (DSCSA §581(8))
        (request_for("STO", "L1", "491231"), True, None, (INFO.ILLEGITIMATE,)),
        # dispensed, not a return: the identifier is genuine
        (request_for("DIS", "L1", "491231"), True, None, ()),
        # saleable return of a pack in stock: verified
        (request_for("OK", "L1", "491231", **SALEABLE), True, None, ()),
        # saleable return of a dispensed pack
        (request_for("DIS", "L1", "491231", **SALEABLE), False, F.NOT_FOR_REDISTRIBUTION, ()),
        # saleable return of a destroyed pack
        (request_for("DES", "L1", "491231", **SALEABLE), False, F.NOT_FOR_REDISTRIBUTION, ()),
        # saleable return of a decommissioned pack
        (request_for("DEC", "L1", "491231", **SALEABLE), False, F.NOT_FOR_REDISTRIBUTION, ()),
        # saleable return of a recalled pack
        (
            request_for("REC", "L1", "491231", **SALEABLE),
            False,
            F.NOT_FOR_REDISTRIBUTION,
            (INFO.RECALLED,),
        ),
        # saleable return of a stolen pack
        (
            request_for("STO", "L1", "491231", **SALEABLE),
            False,
            F.NOT_FOR_REDISTRIBUTION,
            (INFO.ILLEGITIMATE,),
        ),
        # saleable return with a wrong lot: the mismatch is the reason
        (request_for("DIS", "L2", "491231", **SALEABLE), False, F.NO_MATCH_GTIN_SERIAL_LOT, ()),
        # saleable return of an expired pack: returnable as far as identity goes, told expired
        (request_for("OLD", "L0", "200131", **SALEABLE), True, None, (INFO.EXPIRED,)),
    ],
)
def test_verification_result(
    store: Repository,
    request_: VerificationRequest,
    verified: bool,
    reason: FailureReason | None,
    info: tuple[AdditionalInfo, ...],
) -> None:
    response = answer(store, request_)
    assert response.data is not None
    assert (response.data.verified, response.data.failure_reason) == (verified, reason)
    assert response.data.additional_info == info
    assert response.responder_gln == MFG_GLN
    assert response.corr_uuid == request_.corr_uuid
    [row] = records(store, str(request_.corr_uuid))
    expected = (verified, reason, info, MFG_GLN, "pharm", request_.serial)
    assert (
        row.verified,
        row.failure_reason,
        row.additional_info,
        row.responder_gln,
        row.org_id,
        row.serial,
    ) == expected


def test_response_json_names(store: Repository) -> None:
    """The wire names of the standard; absent members are omitted."""
    body = msgspec.json.decode(msgspec.json.encode(answer(store, request_for("REC", "L2"))))
    assert set(body) == {"responderGLN", "corrUUID", "verificationTimestamp", "data"}
    assert body["verificationTimestamp"] == "2025-06-01T12:00:00.000Z"
    assert body["data"] == {
        "verified": False,
        "verificationFailureReason": "No_match_GTIN_Serial_Lot",
        "additionalInfo": ["Recalled"],
    }
    ok = msgspec.json.decode(msgspec.json.encode(answer(store, request_for("OK"))))
    assert ok["data"] == {"verified": True}


@pytest.mark.parametrize(
    ("requester", "gtin", "outcome"),
    [
        # a pharmacy asks about the registered manufacturer's GTIN: the manufacturer answers
        (PHARMACY, GTIN, MFG_GLN),
        # a GTIN of no registered organization: refused
        (PHARMACY, OTHER_GTIN, Refused),
        # a regulator is answered for every GTIN the store holds (no responder GLN configured)
        (FDA, OTHER_GTIN, None),
    ],
)
def test_who_answers(store: Repository, requester: Principal, gtin: str, outcome: object) -> None:
    request = request_for("X1", "L9", "491231", gtin=gtin, req_gln=next(iter(requester.glns)))
    if outcome is Refused:
        refused = run(store, request, requester)
        assert isinstance(refused, Refused)
        assert f"GTIN {gtin}" in refused.detail
        [row] = records(store, str(request.corr_uuid))  # the refusal is on record
        assert (row.verified, row.failure_reason, row.responder_gln) == (False, None, None)
        return
    response = answer(store, request, requester)
    assert response.responder_gln == outcome
    assert response.data is not None
    assert response.data.verified is (gtin == OTHER_GTIN)  # X1 is of OTHER_GTIN only


@pytest.mark.parametrize(
    ("prefixes", "gtin", "org"),
    [
        # the manufacturer's 7-digit prefix
        ((), GTIN, "mfg"),
        # a longer prefix of another organization wins over a shorter one
        (("03123456",), GTIN, "fda"),
        # no prefix matches
        ((), OTHER_GTIN, None),
    ],
)
def test_responder_for(
    store: Repository, prefixes: tuple[str, ...], gtin: str, org: str | None
) -> None:
    ident = schema.organization_identifier
    with store.engine.connect() as conn, conn.begin() as transaction:
        for prefix in prefixes:
            conn.execute(sa.insert(ident).values(kind="company_prefix", value=prefix, org_id="fda"))
        found = responder_for(conn, Gtin.parse(gtin))
        transaction.rollback()
    assert (found.org_id if found else None) == org


def test_audit_log(store: Repository) -> None:
    """Every answer is recorded with the request as sent, in arrival order; filters work."""
    corr = str(uuid.uuid4())
    before = NOW - timedelta(seconds=1)
    first = request_for(
        "OK",
        "L1",
        "491200",
        corr_uuid=corr,
        context="dscsaSuspect",
        link_type="verificationService",
    )
    with write_transaction(store.engine) as conn:
        verify(conn, first, responder_gln=MFG_GLN, now=NOW, org_id="pharm")
        verify(conn, replace(first, serial="NONE"), responder_gln=MFG_GLN, now=NOW, org_id="pharm")
    with store.engine.connect() as conn:
        rows = [r for r in audit.list_records(conn, since=before) if r.corr_uuid == corr]
        assert [r.serial for r in rows] == ["OK", "NONE"]
        assert rows[0].id is not None and rows[1].id is not None and rows[0].id < rows[1].id
        ok = rows[0]
        assert (ok.time, ok.req_gln, ok.context, ok.link_type, ok.gtin, ok.lot, ok.expiry) == (
            NOW, PHARMACY_GLN, "dscsaSuspect", "verificationService", GTIN, "L1", "491200"
        )  # fmt: skip
        assert (
            audit.list_records(conn, gtin=GTIN, serial="NONE", after_id=rows[0].id, limit=1)[0].id
            == rows[1].id
        )
        assert audit.list_records(conn, until=before, org_id="pharm") == []
        with pytest.raises(ValueError, match="limit 0"):
            audit.list_records(conn, limit=0)


def test_audit_rolls_back_with_the_transaction(store: Repository) -> None:
    """The audit row is written in the caller's transaction: no answer, no row."""
    request = request_for("OK")
    with store.engine.connect() as conn, conn.begin() as transaction:
        verify(conn, request, responder_gln=MFG_GLN, now=NOW)
        transaction.rollback()
    assert records(store, str(request.corr_uuid)) == []


def test_missing_corr_uuid_is_generated(store: Repository) -> None:
    response = answer(store, request_for("OK", corr_uuid=None))
    assert str(uuid.UUID(response.corr_uuid)) == response.corr_uuid
    assert len(records(store, response.corr_uuid)) == 1


def test_check_connectivity_answers_without_data() -> None:
    response = check_connectivity(responder_gln=MFG_GLN, now=NOW, corr_uuid="c-1")
    assert (response.responder_gln, response.corr_uuid, response.data) == (MFG_GLN, "c-1", None)
    with pytest.raises(ValueError, match="timezone-aware"):
        check_connectivity(responder_gln=None, now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # no serial
        ("(01)00312345678906(10)L1", "AI (21)"),
        # bad GTIN check digit
        ("(01)00312345678905(21)S1", "AI (01) 00312345678905"),
    ],
)
def test_request_needs_a_valid_sgtin(text: str, error: str) -> None:
    with pytest.raises(Gs1Error, match=error.replace("(", r"\(").replace(")", r"\)")):
        VerificationRequest.from_message(parse(text), today=date(2025, 1, 1))


@pytest.mark.parametrize(
    ("fields", "ai"),
    [
        # a serial with a space (outside character set 82)
        ({"serial": "A B"}, "21"),
        # a lot too long (more than 20 characters)
        ({"serial": "S", "lot": "L" * 21}, "10"),
        # a requester GLN with a wrong check digit
        ({"serial": "S", "req_gln": "0855555000019"}, "414"),
    ],
)
def test_request_values_are_checked(fields: dict[str, Any], ai: str) -> None:
    with pytest.raises(Gs1Error) as raised:
        VerificationRequest(gtin=Gtin.parse(GTIN), **fields)
    assert raised.value.ai == ai
