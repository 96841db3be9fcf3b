"""The demo: a simulated supply chain, captured, with organizations, keys and working examples.

``medtrace demo`` (:mod:`medtrace.cli.demo`) runs these steps; each is a function here, so that
tests and notebooks can run them without the command line:

1. :func:`prepare_world` — generate a world with :func:`medtrace.sim.generate` into
   ``DIR/world`` (reused when its ``ground_truth.json`` has the same seed and scale);
2. :func:`capture_world` — capture its documents in file-name order (the simulator's capture
   order) into ``DIR/medtrace.sqlite``, one transaction per document, rejections counted and
   matched against the ground truth;
3. :func:`create_organizations` — one organization per party of ``masterdata.json`` (GLNs of its
   headquarters and sites, its GS1 Company Prefix, so that the VRS responder answers for a
   manufacturer's GTINs), a regulator, and :func:`record_recall`: the manufacturer's recall of
   the ground truth's recalled lot, captured as one ObjectEvent on the LGTIN class with the
   persistent disposition ``recalled`` (EPCIS 2.0 §7.3.5.2.1);
4. :func:`pick_samples` — a genuine saleable pack, the counterfeit serial, a recalled pack and a
   lot — and :func:`http_examples`, the requests that show them (DSCSA VRS, EPCIS queries).

The finished state is recorded in ``DIR/demo.json`` (seed, scale, timings; never a key), so a
second run with the same seed and scale reuses the store and only issues new keys.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from medtrace.epcis.model import (
    EPCISDocument,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
)
from medtrace.errors import MedtraceError
from medtrace.sim.groundtruth import GROUND_TRUTH_FORMAT, MASTERDATA_FORMAT
from medtrace.store import schema
from medtrace.store.capture import CaptureResult
from medtrace.store.codec import canonical_epc
from medtrace.store.principal import Principal, Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key, create_organization, get_organization

__all__ = [
    "DEMO_FORMAT",
    "REGULATOR",
    "CaptureTally",
    "DemoError",
    "DemoPaths",
    "Example",
    "Pack",
    "Party",
    "Samples",
    "capture_world",
    "clear_store",
    "create_organizations",
    "http_examples",
    "issue_keys",
    "load_json",
    "parties",
    "pick_samples",
    "prepare_world",
    "read_marker",
    "recall_manufacturer",
    "record_recall",
    "world_documents",
    "write_marker",
]

DEMO_FORMAT: Final = "medtrace-demo/1"
#: The demo's regulator organization (role regulator: sees every event).
REGULATOR: Final = "Demo Regulator (FDA)"
_STEP: Final = "urn:epcglobal:cbv:bizstep:"
_DISP: Final = "urn:epcglobal:cbv:disp:"
#: Statuses of a pack still in the saleable supply chain (``store.lifecycle.ItemStatus``).
_SALEABLE: Final = ("received", "active", "in_transit", "commissioned")
_ENDED: Final = ("dispensed", "sold", "decommissioned", "destroyed", "disposed", "consumed")
_DISPENSERS: Final = ("pharmacy", "hospital")
#: Ground-truth fields that name EPCs (single values or lists).
_EPC_FIELDS: Final = ("epc", "epcs", "units", "declared_children", "actual_children")
#: Candidate packs read per choice (incident packs among them are skipped).
_CANDIDATES: Final = 2000


class DemoError(MedtraceError):
    """The demo cannot run as asked (a directory it does not own, an incomplete world)."""


@dataclass(frozen=True, slots=True)
class DemoPaths:
    """Where the demo keeps its files below ``root``."""

    root: Path

    @property
    def world(self) -> Path:
        """The simulated world (``medtrace.sim`` output)."""
        return self.root / "world"

    @property
    def db(self) -> Path:
        """The SQLite event store."""
        return self.root / "medtrace.sqlite"

    @property
    def marker(self) -> Path:
        """``demo.json``: written when the store is complete."""
        return self.root / "demo.json"


def load_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; :class:`DemoError` when it is not one."""
    try:
        value = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise DemoError(f"cannot read {path}: {error}") from error
    if not isinstance(value, dict):
        raise DemoError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- world and store


def _world_matches(world: Path, packs: int, seed: int) -> bool:
    truth = world / "ground_truth.json"  # written last: its presence means a complete run
    if not truth.is_file() or not (world / "masterdata.json").is_file():
        return False
    data = load_json(truth)
    return (data.get("format"), data.get("seed"), data.get("packs_requested")) == (
        GROUND_TRUTH_FORMAT,
        seed,
        packs,
    )


def _clear_world(world: Path) -> None:
    """Remove an old world, refusing a directory that is not simulator output."""
    if not world.exists():
        return
    masterdata = world / "masterdata.json"
    ours = (masterdata.is_file() and load_json(masterdata).get("format") == MASTERDATA_FORMAT) or (
        world.is_dir() and {p.name for p in world.iterdir()} <= {"epcis", "ground_truth.json"}
    )
    if not ours:
        raise DemoError(f"{world} exists and is not a medtrace simulator output: not removing it")
    shutil.rmtree(world)


def prepare_world(
    paths: DemoPaths,
    *,
    packs: int,
    seed: int,
    fresh: bool,
    generate: Callable[[Path], object],
) -> bool:
    """Make ``paths.world`` hold the world of ``packs`` and ``seed``; ``True`` if it was reused.

    ``generate(out_dir)`` runs the simulator (the caller adds its progress display).
    """
    if not fresh and _world_matches(paths.world, packs, seed):
        return True
    _clear_world(paths.world)
    generate(paths.world)
    return False


def clear_store(paths: DemoPaths) -> None:
    """Remove the demo's SQLite file, its WAL files, capture and audit spools and ``demo.json``."""
    paths.marker.unlink(missing_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{paths.db}{suffix}").unlink(missing_ok=True)
    for spool in (Path(f"{paths.db}.spool"), Path(f"{paths.db}.audit-spool")):
        if spool.is_dir():
            shutil.rmtree(spool)


def read_marker(paths: DemoPaths, *, packs: int, seed: int) -> dict[str, Any] | None:
    """``demo.json`` when it records a complete store of ``packs`` and ``seed``, else ``None``."""
    if not paths.marker.is_file() or not paths.db.is_file():
        return None
    data = load_json(paths.marker)
    if (data.get("format"), data.get("seed"), data.get("packs")) != (DEMO_FORMAT, seed, packs):
        return None
    return data


def write_marker(paths: DemoPaths, **fields: object) -> None:
    """Record a complete demo store (``fields``: seed, packs, timings; never a key)."""
    payload = {"format": DEMO_FORMAT, **fields}
    paths.marker.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))


def world_documents(world: Path) -> list[Path]:
    """The world's EPCIS documents in capture order (relative path order, docs/simulator.md)."""
    root = world / "epcis"
    found = [p for p in root.rglob("*") if p.is_file() and p.suffix in {".xml", ".jsonld"}]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


@dataclass(slots=True)
class CaptureTally:
    """What capturing a world stored and refused."""

    documents: int = 0
    events: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    #: ``(document, problems, ground-truth explanation or None)`` of each rejected document.
    rejected: tuple[tuple[str, int, str | None], ...] = ()

    @property
    def events_per_second(self) -> float:
        """Stored events per second of capture."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def _incident_documents(truth: Mapping[str, Any]) -> dict[str, str]:
    """Document (relative to ``epcis/``) → the incidents that name it, e.g. ``INC-00004 ...``."""
    named: dict[str, list[str]] = {}
    for incident in truth.get("incidents", []):
        docs = [incident.get("document"), incident.get("expected_document")]
        docs += list(incident.get("documents", []))
        docs += [s.get("document") for s in incident.get("sightings", [])]
        docs.append(incident.get("surfaced_at", {}).get("document"))
        for doc in {d for d in docs if isinstance(d, str)}:
            named.setdefault(doc, []).append(f"{incident['id']} {incident['type']}")
    return {doc: ", ".join(sorted(ids)) for doc, ids in named.items()}


def capture_world(
    repo: Repository,
    world: Path,
    *,
    progress: Callable[[int], None] | None = None,
    on_document: Callable[[Path, CaptureResult], None] | None = None,
) -> CaptureTally:
    """Capture every document of ``world`` in capture order (``rollback`` per document).

    A rejected document stores nothing and capture goes on; the tally says which documents
    were refused and which incident of ``ground_truth.json`` (if any) names them.
    ``progress(events_read)`` counts events over the whole run.
    """
    explained = _incident_documents(load_json(world / "ground_truth.json"))
    tally = CaptureTally()
    rejected: list[tuple[str, int, str | None]] = []
    done = 0
    started = time.perf_counter()
    for path in world_documents(world):

        def advance(read: int, before: int = done) -> None:
            if progress is not None:
                progress(before + read)

        result = repo.capture(path, behaviour="rollback", progress=advance)
        done += result.captured + result.duplicates + len(result.rejected)
        tally.documents += 1
        tally.events += result.captured
        tally.duplicates += result.duplicates
        if result.rejected:
            name = path.relative_to(world / "epcis").as_posix()
            rejected.append((name, len(result.rejected), explained.get(name)))
        if on_document is not None:
            on_document(path, result)
    tally.seconds = time.perf_counter() - started
    tally.rejected = tuple(rejected)
    return tally


# --------------------------------------------------------------------------- organizations


@dataclass(frozen=True, slots=True)
class Party:
    """A party of ``masterdata.json``: its role there and the identifiers it is known by."""

    key: str
    name: str
    role: str
    gln: str
    glns: tuple[str, ...]
    company_prefix: str
    sgln: str

    @property
    def org_name(self) -> str:
        """The organization name (party names may repeat; keys do not)."""
        return f"{self.name} ({self.key})"


def parties(masterdata: Mapping[str, Any]) -> list[Party]:
    """Every party of a ``medtrace-sim-masterdata/1`` document."""
    if masterdata.get("format") != MASTERDATA_FORMAT:
        raise DemoError(f"expected master data format {MASTERDATA_FORMAT}")
    found = []
    for entry in masterdata["parties"]:
        glns = [entry["gln"], *(site["gln"] for site in entry.get("sites", []))]
        found.append(
            Party(
                key=entry["key"],
                name=entry["name"],
                role=entry["role"],
                gln=entry["gln"],
                glns=tuple(dict.fromkeys(glns)),
                company_prefix=entry["company_prefix"],
                sgln=entry["sgln"],
            )
        )
    return found


def create_organizations(engine: Engine, members: Sequence[Party]) -> dict[str, Principal]:
    """One operator organization per party (by party key) and the regulator (by its name).

    Existing organizations of the same name are reused (a second run on the same store).
    """
    made: dict[str, Principal] = {}
    for party in members:
        existing = get_organization(engine, party.org_name)
        made[party.key] = existing or create_organization(
            engine,
            name=party.org_name,
            role=Role.OPERATOR,
            glns=party.glns,
            company_prefixes=(party.company_prefix,),
        )
    made[REGULATOR] = get_organization(engine, REGULATOR) or create_organization(
        engine, name=REGULATOR, role=Role.REGULATOR
    )
    return made


def issue_keys(engine: Engine, orgs: Mapping[str, Principal]) -> dict[str, str]:
    """A new API key (shown once) for each named organization: name → token."""
    return {name: create_api_key(engine, org.org_id, name="demo")[1] for name, org in orgs.items()}


def _recall_incident(truth: Mapping[str, Any]) -> Mapping[str, Any]:
    for incident in truth.get("incidents", []):
        if incident.get("type") == "recall":
            return dict(incident)
    raise DemoError("the ground truth has no recall incident")


def recall_manufacturer(truth: Mapping[str, Any]) -> str:
    """The SGLN of the party that recalls the ground truth's recalled lot."""
    return str(_recall_incident(truth)["manufacturer"])


def record_recall(
    repo: Repository, truth: Mapping[str, Any], manufacturer: Principal
) -> CaptureResult:
    """Capture, as the manufacturer, the recall of the ground truth's recalled lot.

    One ObjectEvent on the LGTIN class (``quantityList``) with disposition and persistent
    disposition ``recalled``, at the end of the simulated period (a fixed time, so a second
    capture is a duplicate): every pack of the lot is ``Recalled`` for the VRS responder.
    """
    recall = _recall_incident(truth)
    start = dt.datetime.fromisoformat(str(truth["start"]).replace("Z", "+00:00"))
    lot = quote(str(recall["lot"]), safe="")
    site = str(recall["manufacturer"])
    event = ObjectEvent(
        event_time=start + dt.timedelta(weeks=int(truth["weeks"])),
        event_time_zone_offset="+00:00",
        action="OBSERVE",
        quantity_list=(
            QuantityElement(epc_class=f"https://id.gs1.org/01/{recall['gtin']}/10/{lot}"),
        ),
        biz_step=_STEP + "holding",
        disposition=_DISP + "recalled",
        persistent_disposition=PersistentDisposition(set=(_DISP + "recalled",)),
        read_point=Location(id=site),
        biz_location=Location(id=site),
    )
    document = EPCISDocument(schema_version="2.0", creation_date=event.event_time, events=(event,))
    return repo.capture(document, principal=manufacturer)


# --------------------------------------------------------------------------- samples


@dataclass(frozen=True, slots=True)
class Pack:
    """One pack: GTIN-14, serial, lot and expiry (ISO date), EPC URN, projected status."""

    gtin: str
    serial: str
    lot: str | None
    expiry: str | None
    urn: str
    status: str
    custodian: str | None = None

    @property
    def exp(self) -> str | None:
        """The expiry as AI (17) ``YYMMDD``."""
        return None if self.expiry is None else self.expiry[2:].replace("-", "")

    @property
    def lgtin(self) -> str:
        """The lot's EPC class URN (``urn:epc:class:lgtin:...``)."""
        body = self.urn.removeprefix("urn:epc:id:sgtin:").rsplit(".", 1)[0]
        return f"urn:epc:class:lgtin:{body}.{self.lot}"


@dataclass(frozen=True, slots=True)
class Samples:
    """What the examples show: who asks, and the packs they ask about."""

    pharmacy: Party
    genuine: Pack
    counterfeit: Pack
    recalled: Pack


def _excluded(truth: Mapping[str, Any]) -> set[str]:
    """Canonical keys of every EPC an incident touches (never a clean example)."""
    found: set[str] = set()
    for incident in truth.get("incidents", []):
        for name in _EPC_FIELDS:
            value = incident.get(name, [])
            found.update(canonical_epc(v) for v in ([value] if isinstance(value, str) else value))
    return found


def _urn(classes: Mapping[str, str], gtin: str, serial: str) -> str:
    pattern = classes.get(gtin)
    if pattern is None:
        raise DemoError(f"GTIN {gtin} is not a unit GTIN of the master data")
    return pattern.replace("urn:epc:idpat:sgtin:", "urn:epc:id:sgtin:").removesuffix("*") + serial


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One ``item_state`` row considered as an example."""

    uri: str
    gtin: str
    serial: str
    lot: str | None
    expiry: str | None
    status: str
    custodian: str | None


def _packs(
    engine: Engine, where: Sequence[sa.ColumnElement[bool]], order: Sequence[Any]
) -> Iterator[_Candidate]:
    """The first :data:`_CANDIDATES` item states matching ``where``, best first."""
    st = schema.item_state
    columns = (st.c.uri, st.c.gtin, st.c.serial, st.c.lot, st.c.expiry, st.c.status, st.c.custodian)
    select = sa.select(*columns).where(*where).order_by(*order, st.c.uri).limit(_CANDIDATES)
    with engine.connect() as conn:
        return iter([_Candidate(*row) for row in conn.execute(select)])


def pick_samples(
    engine: Engine, masterdata: Mapping[str, Any], truth: Mapping[str, Any], today: dt.date
) -> Samples:
    """Choose the demo's packs from the store and the ground truth (deterministic per day).

    Genuine: a commissioned unit still in the supply chain, untouched by any incident, with
    lot and expiry — preferably unexpired on ``today`` and in a dispenser's stock (that
    dispenser asks). Counterfeit: the ground truth's counterfeit serial, sent with a real lot
    of its GTIN. Recalled: a pack of the recalled lot, preferably not yet dispensed.
    """
    st = schema.item_state
    members = {party.key: party for party in parties(masterdata)}
    dispensers = [p for p in members.values() if p.role in _DISPENSERS]
    by_gln = {f"https://id.gs1.org/414/{p.gln}": p for p in dispensers}
    classes = {p["unit_gtin"]: p["unit_class"] for p in masterdata["products"]}
    recall = _recall_incident(truth)
    excluded = _excluded(truth)
    genuine_row = next(
        (
            row
            for row in _packs(
                engine,
                [
                    st.c.kind == "sgtin",
                    st.c.commissioned_seq.is_not(None),
                    st.c.status.in_(_SALEABLE),
                    st.c.gtin.in_(list(classes)),
                    st.c.lot.is_not(None),
                    st.c.expiry.is_not(None),
                    sa.not_(sa.and_(st.c.gtin == recall["gtin"], st.c.lot == recall["lot"])),
                ],
                [
                    sa.case((st.c.expiry >= today.isoformat(), 0), else_=1),
                    sa.case((st.c.custodian.in_(list(by_gln)), 0), else_=1),
                    sa.case((st.c.status == "received", 0), else_=1),
                ],
            )
            if row.uri not in excluded
        ),
        None,
    )
    if genuine_row is None:
        raise DemoError("the store holds no commissioned pack still in the supply chain")
    recalled_row = next(
        _packs(
            engine,
            [st.c.gtin == recall["gtin"], st.c.lot == recall["lot"], st.c.kind == "sgtin"],
            [sa.case((st.c.status.in_(_ENDED), 1), else_=0)],
        ),
        None,
    )
    if recalled_row is None:
        raise DemoError(f"no pack of the recalled lot {recall['lot']} is in the store")
    fake = next(i for i in truth["incidents"] if i["type"] == "counterfeit")
    real_lot = next(
        _packs(
            engine,
            [st.c.gtin == fake["gtin"], st.c.lot.is_not(None), st.c.expiry.is_not(None)],
            [st.c.expiry.desc()],
        ),
        None,
    )

    def pack(row: _Candidate) -> Pack:
        return Pack(
            gtin=row.gtin,
            serial=row.serial,
            lot=row.lot,
            expiry=row.expiry,
            urn=_urn(classes, row.gtin, row.serial),
            status=row.status,
            custodian=row.custodian,
        )

    genuine = pack(genuine_row)
    holder = by_gln.get(genuine_row.custodian or "")
    return Samples(
        pharmacy=holder or dispensers[0],
        genuine=genuine,
        counterfeit=Pack(
            gtin=fake["gtin"],
            serial=fake["serial"],
            lot=None if real_lot is None else real_lot.lot,
            expiry=None if real_lot is None else real_lot.expiry,
            urn=_urn(classes, fake["gtin"], fake["serial"]),
            status="never commissioned",
        ),
        recalled=pack(recalled_row),
    )


# --------------------------------------------------------------------------- examples


@dataclass(frozen=True, slots=True)
class Example:
    """One HTTP request of the demo: what it shows, whose key, the path, what it answers."""

    title: str
    key: str
    path: str
    expect: str

    def curl(self, base_url: str, token: str) -> str:
        """The copy-paste ``curl`` command (``base_url`` without the trailing slash)."""
        return f'curl -s -H "Authorization: Bearer {token}" "{base_url}{self.path}"'


def _verify_path(pack: Pack, req_gln: str) -> str:
    """The DSCSA VRS request of the GS1 US guideline (docs/verification.md)."""
    path = f"/verify/01/{pack.gtin}"
    if pack.lot is not None:
        path += f"/10/{quote(pack.lot, safe='')}"
    path += f"/21/{quote(pack.serial, safe='')}"
    query = {"exp": pack.exp} if pack.exp is not None else {}
    query |= {
        "linkType": "verificationService",
        "context": "dscsaSaleableReturn",
        "reqGLN": req_gln,
        "corrUUID": str(uuid.uuid4()),
    }
    return f"{path}?{urlencode(query)}"


def _events_path(params: Mapping[str, str]) -> str:
    return "/events?" + urlencode(params, safe=":*")


def http_examples(samples: Samples, *, pharmacy_key: str, regulator_key: str) -> list[Example]:
    """The demo's requests, in the order they are printed (keys by organization name)."""
    genuine, fake, recalled = samples.genuine, samples.counterfeit, samples.recalled
    gln = samples.pharmacy.gln
    return [
        Example(
            "Verify the genuine pack (the pharmacy asks, as for a saleable return)",
            pharmacy_key,
            _verify_path(genuine, gln),
            '"verified": true',
        ),
        Example(
            "Verify the counterfeit serial (never commissioned by the manufacturer)",
            pharmacy_key,
            _verify_path(fake, gln),
            '"verified": false, "verificationFailureReason": "No_match_GTIN_Serial"',
        ),
        Example(
            f"Verify a pack of the recalled lot {recalled.lot}",
            pharmacy_key,
            _verify_path(recalled, gln),
            '"additionalInfo": ["Recalled"] (and Not_for_re-distribution for a return)',
        ),
        Example(
            "Trace the genuine pack: every event that names it",
            regulator_key,
            _events_path({"MATCH_epc": genuine.urn, "perPage": "100"}),
            "the events naming it: commissioning, packing, picking (shipments name its "
            "containers: medtrace trace follows them)",
        ),
        Example(
            f"Query lot {genuine.lot}: its commissioning events (ILMD lot number)",
            regulator_key,
            _events_path({"EQ_ILMD_cbvmda:lotNumber": genuine.lot or "", "perPage": "100"}),
            "the events that commissioned the lot",
        ),
        Example(
            f"The recall of lot {recalled.lot} (an event on the LGTIN class)",
            regulator_key,
            _events_path({"MATCH_epcClass": recalled.lgtin}),
            "one ObjectEvent with persistentDisposition set recalled",
        ),
    ]
