"""The DSCSA verification responder: answers "is this product identifier genuine?" from item state.

Implements the responder side of the **GS1 Lightweight Messaging Standard for Verification of
Product Identifiers** (release 1.1) as profiled by the **GS1 US DSCSA Verification Router Service
(VRS) guideline**, for the manufacturer's duty of DSCSA §582(b)(4)(C) (respond to a verification
request for a product identifier) and the saleable-return verification of §582(c)(4)(D).

A request names a GTIN and serial (the SGTIN), normally with lot and expiry (the DSCSA product
identifier), a ``context`` (``dscsaSaleableReturn``, ``dscsaSuspect``, ...), the requester's
``reqGLN`` and a correlation ``corrUUID``. The answer (:class:`VerificationResponse`) says
``verified`` true/false, a ``verificationFailureReason`` when false, and ``additionalInfo``:

* unknown or never commissioned GTIN + serial → ``No_match_GTIN_Serial``;
* lot differs → ``No_match_GTIN_Serial_Lot``; expiry differs → ``No_match_GTIN_Serial_Expiry``;
  both → ``No_match_GTIN_Serial_Lot_Expiry``. A lot or expiry the requester did not send is not
  compared; one the responder does not hold cannot be confirmed and counts as a mismatch. Expiry
  dates compare as resolved calendar dates (``DD = 00`` is the last day of the month, GS1 General
  Specifications §7.12, :class:`medtrace.gs1.dates.Gs1Date`);
* context ``dscsaSaleableReturn`` and a pack that may not go back into saleable stock (its
  lifecycle ended — dispensed, sold, decommissioned, destroyed, disposed, consumed — or it is
  recalled or illegitimate) → ``Not_for_re-distribution``;
* ``additionalInfo`` (for any known GTIN + serial, verified or not): ``Expired`` (the expiry
  date has passed), ``Recalled`` (status ``recalled``, or the disposition ``recalled`` set
  persistently on the pack, its lot or its GTIN), ``Suspect`` (status ``suspect`` — disposition
  ``no_pedigree_match`` — or ``quarantined`` — the DSCSA quarantine of suspect product, bizStep
  ``holding``), ``Illegitimate`` (status or persistent disposition ``stolen``: stolen product is
  illegitimate product, DSCSA §581(8)).

``No_reason_provided``, ``Manufacturer_policy`` and ``ExpirationExtended`` are part of the
vocabulary (:class:`FailureReason`, :class:`AdditionalInfo`) but no rule here emits them: the store
records no manufacturer policy and no expiry extension.

**Who answers.** The responder for a GTIN is the organization registered with the GTIN's GS1
Company Prefix (``organization_identifier``, longest prefix wins): a manufacturer answers for its
own products, and ``responderGLN`` is that organization's GLN. A GTIN of no registered
organization is refused (:class:`Refused`) unless the requester is a regulator or an
admin, who are answered from the store's item state for every product. Every request, refusals
included, is recorded in the audit log (:mod:`medtrace.verify.audit`): :func:`respond` writes it
in the transaction that read the item state; the HTTP service reads with :func:`answer` and
commits the entry through :class:`medtrace.verify.audit.AuditWriter` (group commit) before it
sends the answer.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

import msgspec
from sqlalchemy.engine import Connection

from medtrace.epcis.vocab import to_canonical
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.element_string import Gs1Message
from medtrace.gs1.errors import Gs1SyntaxError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln
from medtrace.gs1.product import Lgtin, Sgtin
from medtrace.store import dbapi, schema
from medtrace.store.codec import canonical_epc
from medtrace.store.lifecycle import TERMINAL_STATUSES, ItemStatus
from medtrace.store.principal import Principal
from medtrace.store.projection import ITEM_COLUMNS, ItemState, item_from_row
from medtrace.verify import audit

__all__ = [
    "CHECK_CONNECTIVITY",
    "SALEABLE_RETURN",
    "VERIFICATION_SERVICE",
    "AdditionalInfo",
    "FailureReason",
    "Refused",
    "Responder",
    "ResponderCache",
    "VerificationData",
    "VerificationRequest",
    "VerificationResponse",
    "answer",
    "answer_reads",
    "assess",
    "check_connectivity",
    "link_type_name",
    "persistent_dispositions",
    "persistent_reads",
    "respond",
    "responder_for",
    "responder_reads",
    "verify",
]

SALEABLE_RETURN: Final = "dscsaSaleableReturn"
"""``context`` of a saleable-return verification (DSCSA §582(c)(4)(D), (d)(4)(D))."""
VERIFICATION_SERVICE: Final = "verificationService"
"""``linkType`` of a verification request."""
CHECK_CONNECTIVITY: Final = "checkConnectivity"
"""``linkType`` of a connectivity check: answered without a lookup and not recorded."""

_LINK_TYPE_PREFIXES: Final = ("gs1:", "https://gs1.org/voc/", "https://ref.gs1.org/voc/")
_DISP: Final = "urn:epcglobal:cbv:disp:"
_GCP_LENGTHS: Final = range(4, 13)


class FailureReason(StrEnum):
    """``verificationFailureReason`` values (GS1 Lightweight Verification Messaging §4)."""

    NO_MATCH_GTIN_SERIAL = "No_match_GTIN_Serial"
    NO_MATCH_GTIN_SERIAL_LOT = "No_match_GTIN_Serial_Lot"
    NO_MATCH_GTIN_SERIAL_EXPIRY = "No_match_GTIN_Serial_Expiry"
    NO_MATCH_GTIN_SERIAL_LOT_EXPIRY = "No_match_GTIN_Serial_Lot_Expiry"
    NO_REASON_PROVIDED = "No_reason_provided"
    MANUFACTURER_POLICY = "Manufacturer_policy"
    NOT_FOR_REDISTRIBUTION = "Not_for_re-distribution"


class AdditionalInfo(StrEnum):
    """``additionalInfo`` values (GS1 Lightweight Verification Messaging §4)."""

    EXPIRED = "Expired"
    EXPIRATION_EXTENDED = "ExpirationExtended"
    RECALLED = "Recalled"
    SUSPECT = "Suspect"
    ILLEGITIMATE = "Illegitimate"


#: Item statuses (``store.lifecycle``) that the requester is told about.
STATUS_INFO: Final[dict[ItemStatus, AdditionalInfo]] = {
    ItemStatus.EXPIRED: AdditionalInfo.EXPIRED,
    ItemStatus.RECALLED: AdditionalInfo.RECALLED,
    ItemStatus.SUSPECT: AdditionalInfo.SUSPECT,
    ItemStatus.QUARANTINED: AdditionalInfo.SUSPECT,
    ItemStatus.STOLEN: AdditionalInfo.ILLEGITIMATE,
}

#: Dispositions (current or persistent, CBV 2.0 §7.2) that the requester is told about.
DISPOSITION_INFO: Final[dict[str, AdditionalInfo]] = {
    _DISP + "expired": AdditionalInfo.EXPIRED,
    _DISP + "recalled": AdditionalInfo.RECALLED,
    _DISP + "no_pedigree_match": AdditionalInfo.SUSPECT,
    _DISP + "stolen": AdditionalInfo.ILLEGITIMATE,
}

_NOT_RETURNABLE_INFO: Final = frozenset({AdditionalInfo.RECALLED, AdditionalInfo.ILLEGITIMATE})
_INFO_ORDER: Final = tuple(AdditionalInfo)


@dataclass(frozen=True, slots=True)
class Refused:
    """A request this responder does not answer: no organization here owns the GTIN (HTTP 404).

    ``detail`` says why, naming the GTIN. The refusal is recorded like an answer.
    """

    detail: str


def link_type_name(value: str) -> str:
    """The short name of a Digital Link ``linkType`` (``gs1:`` CURIE or full URI accepted).

    >>> link_type_name("gs1:verificationService"), link_type_name("checkConnectivity")
    ('verificationService', 'checkConnectivity')
    """
    for prefix in _LINK_TYPE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    """A verification request: the product identifier to verify and the request parameters.

    Valid once built: the serial, lot and requester GLN follow their GS1 rules (AI 21, 10, 414).
    """

    gtin: Gtin
    serial: str
    lot: str | None = None
    expiry: Gs1Date | None = None
    context: str | None = None
    req_gln: str | None = None
    corr_uuid: str | None = None
    link_type: str | None = None

    def __post_init__(self) -> None:
        Sgtin(self.gtin, self.serial)
        if self.lot is not None:
            Lgtin(self.gtin, self.lot)
        if self.req_gln is not None:
            Gln(self.req_gln)

    @classmethod
    def from_message(
        cls,
        message: Gs1Message,
        *,
        today: dt.date,
        context: str | None = None,
        req_gln: str | None = None,
        corr_uuid: str | None = None,
        link_type: str | None = None,
    ) -> VerificationRequest:
        """The request for the GTIN (01), serial (21), lot (10) and expiry (17) of ``message``.

        ``today`` anchors the century of the YYMMDD expiry (GS1 General Specifications §7.12).

        >>> from medtrace.gs1.element_string import parse
        >>> r = VerificationRequest.from_message(
        ...     parse("(01)00312345678906(17)260500(10)L1(21)S1"), today=dt.date(2025, 1, 1))
        >>> r.serial, r.lot, r.expiry.isoformat() if r.expiry else None
        ('S1', 'L1', '2026-05-31')
        """
        gtin, serial = message.get("01"), message.get("21")
        if gtin is None or serial is None:
            missing = "01" if gtin is None else "21"
            raise Gs1SyntaxError(
                "is missing: a verification request names a GTIN (01) and a serial (21)",
                ai=missing,
            )
        expiry = message.get("17")
        return cls(
            gtin=Gtin.parse(gtin),
            serial=serial,
            lot=message.get("10"),
            expiry=Gs1Date.parse(expiry, today=today) if expiry is not None else None,
            context=context,
            req_gln=req_gln,
            corr_uuid=corr_uuid,
            link_type=link_type,
        )

    @property
    def key(self) -> str:
        """The canonical store key of the SGTIN (``https://id.gs1.org/01/{gtin}/21/{serial}``)."""
        return canonical_epc(
            f"https://id.gs1.org/01/{self.gtin.value}/21/{quote(self.serial, safe='')}"
        )


class VerificationData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The response ``data``: the verification result."""

    verified: bool
    failure_reason: FailureReason | None = msgspec.field(
        default=None, name="verificationFailureReason"
    )
    additional_info: tuple[AdditionalInfo, ...] = msgspec.field(default=(), name="additionalInfo")


class VerificationResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The response message; ``data`` is absent in the answer to a connectivity check."""

    responder_gln: str | None = msgspec.field(default=None, name="responderGLN")
    corr_uuid: str = msgspec.field(name="corrUUID")
    verification_timestamp: str = msgspec.field(name="verificationTimestamp")
    data: VerificationData | None = None


@dataclass(frozen=True, slots=True)
class Responder:
    """The organization that answers for a GTIN, and the GLN it answers with."""

    org_id: str
    gln: str | None


# --------------------------------------------------------------------------- reading the store


_ORG_ID: Final = schema.organization_identifier
_RESPONDER_SQL: Final = (
    # the organization of the longest registered prefix among the GTIN's candidate prefixes,
    # and its smallest GLN (the GLN it answers with)
    f"SELECT p.org_id, (SELECT min(g.value) FROM {_ORG_ID.name} g "  # noqa: S608 - constants
    f"WHERE g.kind = 'gln' AND g.org_id = p.org_id) "
    f"FROM {_ORG_ID.name} p WHERE p.kind = 'company_prefix' AND p.value IN "
    f"({', '.join(['{m}'] * len(_GCP_LENGTHS))}) "
    "ORDER BY length(p.value) DESC LIMIT 1"
)


def responder_for(conn: Connection, gtin: Gtin) -> Responder | None:
    """The organization registered with the GTIN's GS1 Company Prefix (longest match), if any.

    The company prefix is the start of the GTIN-13 inside the GTIN-14 (after the indicator
    digit), 4 to 12 digits (GS1 General Specifications §1.4.3). Plain SQL through the driver
    (:mod:`medtrace.store.dbapi`), so that it runs inside a driver-level transaction too
    (:class:`medtrace.store.held.HeldConnection`).
    """
    return dbapi.run_reads(conn, responder_reads(gtin))


def responder_reads(gtin: Gtin) -> dbapi.Reads[Responder | None]:
    """:func:`responder_for` as a read sequence (:data:`medtrace.store.dbapi.Reads`)."""
    body = gtin.value[1:]
    rows = yield _RESPONDER_SQL, [body[:length] for length in _GCP_LENGTHS]
    if not rows:
        return None
    org_id, gln = rows[0]
    return Responder(org_id=str(org_id), gln=None if gln is None else str(gln))


class ResponderCache:
    """:func:`responder_for` answers kept for ``ttl`` seconds (per process).

    Organizations and their company prefixes change rarely; a service answering thousands of
    verification requests a second asks the same few prefixes again and again. A change (a new
    manufacturer, a prefix moved) is seen after at most ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 1.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, tuple[float, Responder | None]] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection, gtin: Gtin) -> Responder | None:
        """The responder for ``gtin``, from the cache while fresh, else from the store."""
        return dbapi.run_reads(conn, self.reads(gtin))

    def reads(self, gtin: Gtin) -> dbapi.Reads[Responder | None]:
        """:meth:`get` as a read sequence: no read while the cached answer is fresh."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(gtin.value)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = yield from responder_reads(gtin)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[gtin.value] = (now + self._ttl, found)
        return found


_NAMED_ROLES: Final = (schema.ROLE_EPC, schema.ROLE_PARENT, schema.ROLE_CHILD, schema.ROLE_OUTPUT)


@lru_cache(maxsize=32)
def _persistent_sql(dialect: str, classes: int, *, of_uri: bool = False) -> str:
    """The query of :func:`persistent_dispositions` for ``classes`` class keys (one or two: the
    GTIN, the lot), as driver SQL: parameters the item's ``epc_id`` (with ``of_uri``: its
    canonical URI) and the class keys, one marker each (a text array on PostgreSQL cost more
    to send than the query); ordered by ``(eventTime, seq)`` unless ``of_uri`` (a part of
    :func:`_item_and_persistent_sql`).

    Plain SQL (:mod:`medtrace.store.dbapi`) because it runs on every verification request.
    Two indexed branches, not one ``OR``: PostgreSQL cannot use an index for the ``OR`` of an
    equality and a subquery membership (it scanned all of ``event_epc``).
    """
    m = "?" if dialect == "sqlite" else "%s"
    in_classes = f"IN ({', '.join([m] * classes)})" if classes else "IN (NULL)"
    roles = ", ".join(str(role) for role in _NAMED_ROLES)
    item = f"(SELECT id FROM {schema.epc.name} WHERE uri = {m})" if of_uri else m  # noqa: S608
    return (
        "SELECT DISTINCT ev.event_time, ev.seq, pd.op, pd.disposition FROM ("  # noqa: S608
        f"SELECT seq FROM {schema.event_epc.name} WHERE epc_id = {item} AND role IN ({roles}) "
        f"UNION ALL SELECT seq FROM {schema.event_epc.name} WHERE epc_id IN "
        f"(SELECT id FROM {schema.epc.name} WHERE uri {in_classes}) "
        f"AND role = {schema.ROLE_QUANTITY_CLASS}) named "
        f"JOIN {schema.event.name} ev ON ev.seq = named.seq "
        f"JOIN {schema.event_persistent_disposition.name} pd ON pd.seq = ev.seq "
        "WHERE NOT ev.error_declared" + ("" if of_uri else " ORDER BY ev.event_time, ev.seq")
    )


@lru_cache(maxsize=32)
def _item_and_persistent_sql(dialect: str, classes: int) -> str:
    """:func:`~medtrace.store.projection.get_item` and the persistent dispositions of the same
    canonical URI in one statement (one round trip): rows tagged ``0`` (the item, in
    :data:`~medtrace.store.projection.ITEM_COLUMNS` order) and ``1`` (event time, seq, op and
    disposition). Parameters: the URI twice, then the class keys as for
    :func:`_persistent_sql`."""
    m = "?" if dialect == "sqlite" else "%s"
    columns = ", ".join(f"s.{name}" for name in ITEM_COLUMNS)
    nulls = ", ".join(["NULL"] * len(ITEM_COLUMNS))
    return (
        f"SELECT 0, {columns}, NULL, NULL, NULL, NULL FROM {schema.item_state.name} s "  # noqa: S608
        f"JOIN {schema.epc.name} e ON e.id = s.epc_id WHERE e.uri = {m} "
        f"UNION ALL SELECT 1, {nulls}, p.event_time, p.seq, p.op, p.disposition "
        f"FROM ({_persistent_sql(dialect, classes, of_uri=True)}) p"
    )


@lru_cache(maxsize=4096)
def _class_keys(gtin: str, lot: str | None) -> tuple[str, ...]:
    """The canonical class keys a pack of ``gtin`` and ``lot`` is named by in quantity lists:
    its GTIN and, with a lot, its LGTIN."""
    keys = [canonical_epc(f"https://id.gs1.org/01/{gtin}")]
    if lot is not None:
        keys.append(canonical_epc(f"https://id.gs1.org/01/{gtin}/10/{quote(lot, safe='')}"))
    return tuple(keys)


def persistent_dispositions(conn: Connection, item: ItemState) -> frozenset[str]:
    """The persistent dispositions in force on ``item`` (EPCIS 2.0 §7.3.5.2.1), canonical.

    Folds, in ``(eventTime, seq)`` order and without error-declared events, the
    ``persistentDisposition`` of every event that names the pack itself (epcList, parentID,
    childEPCs, outputEPCList) or, in a quantityList, its lot (LGTIN class) or its GTIN: a lot
    recall captured as one ObjectEvent on the class reaches every pack of the lot. ``item_state``
    keeps no column for these (a recalled pack that is later dispensed shows ``dispensed``).
    """
    return dbapi.run_reads(conn, persistent_reads(conn.dialect.name, item))


def persistent_reads(dialect: str, item: ItemState) -> dbapi.Reads[frozenset[str]]:
    """:func:`persistent_dispositions` as a read sequence on a ``dialect`` connection."""
    classes = _class_keys(item.gtin, item.lot) if item.gtin is not None else ()
    sql = _persistent_sql(dialect, len(classes))
    rows = yield sql, (item.epc_id, *classes)
    return _in_force(rows)


def _in_force(rows: Iterable[Sequence[Any]]) -> frozenset[str]:
    """Fold ``(event_time, seq, op, disposition)`` rows in ``(eventTime, seq)`` order: ``op``
    ``u`` unsets the disposition, anything else sets it (EPCIS 2.0 §7.3.5.2.1)."""
    in_force: set[str] = set()
    events: dict[int, tuple[set[str], set[str]]] = {}
    for _, seq, op, disposition in rows:
        unset, put = events.setdefault(seq, (set(), set()))
        (unset if op == "u" else put).add(to_canonical("disposition", disposition))
    for unset, put in events.values():  # insertion order = (eventTime, seq) order
        in_force.difference_update(unset)
        in_force.update(put)
    return frozenset(in_force)


def _item_and_persistent(
    dialect: str, request: VerificationRequest
) -> dbapi.Reads[tuple[ItemState | None, frozenset[str]]]:
    """The pack's state and persistent dispositions, in one statement when it can be.

    The class keys are taken from the request (its GTIN is the pack's; its lot usually the
    pack's lot). When the stored lot differs (a lot mismatch, or no lot sent), the
    dispositions are read again with the stored lot's keys: a recall of the pack's own lot
    must show whatever lot the requester sent.
    """
    guessed = _class_keys(request.gtin.value, request.lot)
    sql = _item_and_persistent_sql(dialect, len(guessed))
    key = request.key
    rows = yield sql, (key, key, *guessed)
    found = [row[1:-4] for row in rows if row[0] == 0]
    if not found:
        return None, frozenset()
    item = item_from_row(found[0])
    if item.gtin != request.gtin.value or item.lot != request.lot:
        return item, (yield from persistent_reads(dialect, item))
    dispositions = sorted((row[-4:] for row in rows if row[0] == 1), key=lambda r: (r[0], r[1]))
    return item, _in_force(dispositions)


# --------------------------------------------------------------------------- the rules


def _stored_expiry(item: ItemState) -> dt.date | None:
    if item.expiry is None:
        return None
    try:
        return dt.date.fromisoformat(item.expiry)
    except ValueError:
        return None


def _additional_info(
    item: ItemState, persistent: frozenset[str], request: VerificationRequest, today: dt.date
) -> tuple[AdditionalInfo, ...]:
    found: set[AdditionalInfo] = set()
    if item.status in STATUS_INFO:
        found.add(STATUS_INFO[item.status])
    for disposition in {*persistent, item.disposition}:
        if disposition is not None and disposition in DISPOSITION_INFO:
            found.add(DISPOSITION_INFO[disposition])
    expiry = _stored_expiry(item)
    if expiry is None and request.expiry is not None:
        expiry = request.expiry.date
    if expiry is not None and Gs1Date.from_date(expiry).is_expired(today):
        found.add(AdditionalInfo.EXPIRED)
    return tuple(info for info in _INFO_ORDER if info in found)


def _mismatch(*, lot_ok: bool, expiry_ok: bool) -> FailureReason | None:
    if lot_ok and expiry_ok:
        return None
    if expiry_ok:
        return FailureReason.NO_MATCH_GTIN_SERIAL_LOT
    if lot_ok:
        return FailureReason.NO_MATCH_GTIN_SERIAL_EXPIRY
    return FailureReason.NO_MATCH_GTIN_SERIAL_LOT_EXPIRY


def assess(
    item: ItemState | None,
    persistent: frozenset[str],
    request: VerificationRequest,
    today: dt.date,
) -> VerificationData:
    """The verification result for ``request`` given the pack's state (the module's rules)."""
    if item is None or item.kind != "sgtin" or item.commissioned_seq is None:
        return VerificationData(verified=False, failure_reason=FailureReason.NO_MATCH_GTIN_SERIAL)
    lot_ok = request.lot is None or request.lot == item.lot
    stored = _stored_expiry(item)
    expiry_ok = request.expiry is None or request.expiry.date == stored
    info = _additional_info(item, persistent, request, today)
    reason = _mismatch(lot_ok=lot_ok, expiry_ok=expiry_ok)
    if (
        reason is None
        and request.context == SALEABLE_RETURN
        and (item.status in TERMINAL_STATUSES or _NOT_RETURNABLE_INFO.intersection(info))
    ):
        reason = FailureReason.NOT_FOR_REDISTRIBUTION
    return VerificationData(verified=reason is None, failure_reason=reason, additional_info=info)


# --------------------------------------------------------------------------- answering


def _utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    return now.astimezone(dt.UTC)


def _timestamp(now: dt.datetime) -> str:
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _audit_entry(
    request: VerificationRequest,
    corr_uuid: str,
    now: dt.datetime,
    *,
    org_id: str | None,
    responder_gln: str | None,
    data: VerificationData | None,
) -> audit.VerificationRecord:
    return audit.VerificationRecord(
        time=now,
        org_id=org_id,
        req_gln=request.req_gln,
        corr_uuid=corr_uuid,
        context=request.context,
        link_type=request.link_type,
        gtin=request.gtin.value,
        serial=request.serial,
        lot=request.lot,
        expiry=request.expiry.yymmdd if request.expiry is not None else None,
        verified=data is not None and data.verified,
        failure_reason=data.failure_reason if data is not None else None,
        additional_info=tuple(data.additional_info) if data is not None else (),
        responder_gln=responder_gln,
    )


def _verify(
    dialect: str,
    request: VerificationRequest,
    *,
    responder_gln: str | None,
    now: dt.datetime,
    org_id: str | None,
) -> dbapi.Reads[tuple[VerificationResponse, audit.VerificationRecord]]:
    moment = _utc(now)
    item, persistent = yield from _item_and_persistent(dialect, request)
    data = assess(item, persistent, request, moment.date())
    corr_uuid = request.corr_uuid or str(uuid.uuid4())
    entry = _audit_entry(
        request, corr_uuid, moment, org_id=org_id, responder_gln=responder_gln, data=data
    )
    response = VerificationResponse(
        responder_gln=responder_gln,
        corr_uuid=corr_uuid,
        verification_timestamp=_timestamp(moment),
        data=data,
    )
    return response, entry


def verify(
    conn: Connection,
    request: VerificationRequest,
    *,
    responder_gln: str | None,
    now: dt.datetime,
    org_id: str | None = None,
) -> VerificationResponse:
    """Answer ``request`` from the item state and record request and answer (same transaction).

    ``org_id`` is the requesting organization (for the audit log); a missing ``corrUUID`` is
    replaced by a fresh UUID so that every answer can be correlated.
    """
    reads = _verify(conn.dialect.name, request, responder_gln=responder_gln, now=now, org_id=org_id)
    response, entry = dbapi.run_reads(conn, reads)
    audit.record(conn, entry)
    return response


def answer(
    conn: Connection,
    request: VerificationRequest,
    *,
    requester: Principal,
    now: dt.datetime,
    default_responder_gln: str | None = None,
    responders: ResponderCache | None = None,
) -> tuple[VerificationResponse | Refused, audit.VerificationRecord]:
    """The answer to ``request`` for ``requester`` and its audit entry, without writing.

    The caller records the entry (:func:`respond` in the same transaction; the HTTP service
    through :class:`medtrace.verify.audit.AuditWriter`, committed before the answer is sent).
    ``responders`` caches :func:`responder_for` (see :class:`ResponderCache`).
    """
    reads = answer_reads(
        conn.dialect.name,
        request,
        requester=requester,
        now=now,
        default_responder_gln=default_responder_gln,
        responders=responders,
    )
    return dbapi.run_reads(conn, reads)


def answer_reads(
    dialect: str,
    request: VerificationRequest,
    *,
    requester: Principal,
    now: dt.datetime,
    default_responder_gln: str | None = None,
    responders: ResponderCache | None = None,
) -> dbapi.Reads[tuple[VerificationResponse | Refused, audit.VerificationRecord]]:
    """:func:`answer` as a read sequence (:data:`medtrace.store.dbapi.Reads`) on a
    ``dialect`` connection: the same reads, run by whoever holds the connection."""
    if responders is not None:
        responder = yield from responders.reads(request.gtin)
    else:
        responder = yield from responder_reads(request.gtin)
    if responder is None:
        if not requester.sees_everything:
            moment = _utc(now)
            corr_uuid = request.corr_uuid or str(uuid.uuid4())
            entry = _audit_entry(
                request,
                corr_uuid,
                moment,
                org_id=requester.org_id,
                responder_gln=None,
                data=None,
            )
            refused = Refused(
                f"GTIN {request.gtin.value}: no organization on this responder owns its GS1 "
                "Company Prefix, expected a GTIN of a registered manufacturer"
            )
            return refused, entry
        gln = default_responder_gln
    else:
        gln = responder.gln
    result = yield from _verify(
        dialect, request, responder_gln=gln, now=now, org_id=requester.org_id
    )
    return result


def respond(
    conn: Connection,
    request: VerificationRequest,
    *,
    requester: Principal,
    now: dt.datetime,
    default_responder_gln: str | None = None,
) -> VerificationResponse | Refused:
    """Answer ``request`` for ``requester`` as the organization that owns the GTIN.

    :class:`Refused` (recorded like an answer) when no organization owns the GTIN's company
    prefix and the requester is neither regulator nor admin; regulators and admins are then
    answered with ``default_responder_gln`` (the installation's GLN, if configured). The audit
    entry is written in ``conn``'s transaction.
    """
    result, entry = answer(
        conn,
        request,
        requester=requester,
        now=now,
        default_responder_gln=default_responder_gln,
    )
    audit.record(conn, entry)
    return result


def check_connectivity(
    *, responder_gln: str | None, now: dt.datetime, corr_uuid: str | None = None
) -> VerificationResponse:
    """The answer to ``linkType=checkConnectivity``: who answers and when, no lookup, no data."""
    return VerificationResponse(
        responder_gln=responder_gln,
        corr_uuid=corr_uuid or str(uuid.uuid4()),
        verification_timestamp=_timestamp(_utc(now)),
    )
