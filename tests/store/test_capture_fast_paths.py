"""The fast paths of capture give what the general paths give (both backends where stored).

* ``lifecycle.Transition`` (one event applied to many items; items never seen built in one go)
  against the rules as they were written before it: a verbatim copy of the former
  ``next_state`` (:func:`reference_next_state`);
* the projection's ``new_keys`` path (keys created by this capture are neither read nor
  upserted) against the general path, and against :meth:`Repository.rebuild_state`;
* the members capture hands to the projection against ``projection._members``;
* the identifier keys capture assigns itself (SQLite ``max + 1``, PostgreSQL sequence + COPY);
* capture jobs finished inside the capture transaction, and started with their organization;
* master data sent again unchanged (only ``updated`` is written);
* ``store.dbapi.select_in`` chunking, and the SQLite bind-processor shortcut;
* ``store.dbapi.pg_copy`` (binary ``COPY`` where the column types allow it);
* the first batch read before the write transaction, and no written batch held meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import io
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    EPCISHeader,
    Event,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
    Vocabulary,
    VocabularyAttribute,
    VocabularyElement,
)
from medtrace.store import capture as capture_module
from medtrace.store import codec, dbapi, jobs, lifecycle, masterdata, projection, schema
from medtrace.store.capture import capture
from medtrace.store.codec import canonical_epc
from medtrace.store.engine import create_store_engine, write_transaction
from medtrace.store.lifecycle import (
    DISPOSITION_STATUS,
    FLAG_PRIORITY,
    STEP_STATUS,
    STOCK_DISPOSITIONS,
    STOCK_STATUSES,
    TERMINAL_STATUSES,
    EventView,
    ItemSnapshot,
    ItemStatus,
    Role,
    new_item,
    next_state,
    transition,
)
from medtrace.store.principal import Principal
from medtrace.store.principal import Role as PrincipalRole
from medtrace.store.repository import Repository

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
STEP = "urn:epcglobal:cbv:bizstep:"
DISP = "urn:epcglobal:cbv:disp:"
OWNER = "urn:epcglobal:cbv:sdt:owning_party"
MDA = "urn:epcglobal:cbv:mda"
EPC_CLASS = "urn:epcglobal:epcis:vtype:EPCClass"


# --------------------------------------------------------------------------- the rules


def reference_next_state(
    state: ItemSnapshot | None, view: EventView, uri: str, role: Role = Role.EPC
) -> ItemSnapshot:
    """``lifecycle.next_state`` as written before ``Transition`` (kept verbatim as the oracle)."""
    bizstep = STEP
    receiving = frozenset({STEP + "receiving", STEP + "accepting"})

    def commissions(view: EventView, role: Role) -> bool:
        if role is Role.OUTPUT:
            return True
        return (
            role is Role.EPC
            and view.event_type == "ObjectEvent"
            and (view.action == "ADD" or view.biz_step == bizstep + "commissioning")
        )

    def base_status(prev: ItemStatus | None, view: EventView, role: Role) -> ItemStatus:
        if role is Role.INPUT:
            return ItemStatus.CONSUMED
        if role is Role.EPC and view.event_type == "ObjectEvent" and view.action == "DELETE":
            return ItemStatus.DECOMMISSIONED
        disposition, step = view.disposition, view.biz_step
        if step == STEP + "holding" and disposition in (None, DISP + "non_sellable_other"):
            return ItemStatus.QUARANTINED
        if disposition is not None and disposition in DISPOSITION_STATUS:
            return DISPOSITION_STATUS[disposition]
        if step is not None and step in STEP_STATUS:
            return STEP_STATUS[step]
        if commissions(view, role):
            return ItemStatus.COMMISSIONED
        if disposition in STOCK_DISPOSITIONS:
            return prev if prev in STOCK_STATUSES else ItemStatus.ACTIVE
        return prev if prev is not None else ItemStatus.UNKNOWN

    def persistent_of(prev: tuple[str, ...], view: EventView) -> tuple[str, ...]:
        if not view.persistent_set and not view.persistent_unset:
            return prev
        kept = set(prev).difference(view.persistent_unset)
        return tuple(sorted(kept.union(view.persistent_set)))

    def with_flags(status: ItemStatus, persistent: tuple[str, ...]) -> ItemStatus:
        if not persistent or status in TERMINAL_STATUSES:
            return status
        for flag in FLAG_PRIORITY:
            if flag in persistent:
                return DISPOSITION_STATUS[flag]
        return status

    item = state if state is not None else new_item(uri)
    if view.declared:
        return msgspec.structs.replace(item, updated_seq=max(item.updated_seq, view.seq))
    prev_status = item.status if state is not None else None
    persistent = persistent_of(item.persistent, view)
    status = with_flags(base_status(prev_status, view, role), persistent)
    commissioning = commissions(view, role)
    custodian = item.custodian
    step = view.biz_step
    if role is not Role.INPUT:
        if (commissioning or step == bizstep + "shipping") and view.source_owner:
            custodian = view.source_owner
        elif step in receiving and view.destination_owner:
            custodian = view.destination_owner
    location = item.location
    if view.biz_location is not None:
        location = view.biz_location
    elif status is ItemStatus.IN_TRANSIT:
        location = None
    lot, expiry, commissioned_seq = item.lot, item.expiry, item.commissioned_seq
    if commissioning and role is not Role.CONTAINED:
        lot = view.lot if view.lot is not None else lot
        expiry = view.expiry if view.expiry is not None else expiry
        if commissioned_seq is None:
            commissioned_seq = view.seq
    disposition = item.disposition
    if view.disposition is not None and role is not Role.INPUT:
        disposition = view.disposition
    return msgspec.structs.replace(
        item,
        lot=lot,
        expiry=expiry,
        status=status,
        disposition=disposition,
        custodian=custodian,
        location=location,
        last_event_seq=view.seq,
        last_event_time=view.event_time,
        commissioned_seq=commissioned_seq,
        updated_seq=max(item.updated_seq, view.seq),
        persistent=persistent,
    )


PARTIES = st.sampled_from([None, "https://id.gs1.org/414/0614141000005"])
FLAGS = st.lists(st.sampled_from([*FLAG_PRIORITY, DISP + "active"]), max_size=3).map(tuple)
VIEWS = st.builds(
    EventView,
    seq=st.integers(0, 50),
    event_time=st.integers(0, 10),
    event_type=st.sampled_from(
        ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent"]
    ),
    action=st.sampled_from([None, "ADD", "OBSERVE", "DELETE"]),
    biz_step=st.sampled_from([None, *STEP_STATUS, STEP + "packing", STEP + "accepting"]),
    disposition=st.sampled_from(
        [None, *DISPOSITION_STATUS, *sorted(STOCK_DISPOSITIONS), DISP + "x"]
    ),
    persistent_set=FLAGS,
    persistent_unset=FLAGS,
    biz_location=st.sampled_from([None, "https://id.gs1.org/414/0399999345678"]),
    source_owner=PARTIES,
    destination_owner=st.sampled_from([None, "https://id.gs1.org/414/0399999000009"]),
    lot=st.sampled_from([None, "L1"]),
    expiry=st.sampled_from([None, "2026-03-31"]),
    declared=st.booleans(),
)
URIS = st.sampled_from(
    [
        "https://id.gs1.org/01/10614141073464/21/2017",
        "https://id.gs1.org/01/10614141073464/21/a%2Fb",
        "https://id.gs1.org/00/106141412345678908",
        "urn:epc:id:gid:95100000.12345.400",
    ]
)
STATES = st.one_of(
    st.none(),
    st.builds(
        ItemSnapshot,
        uri=URIS,
        kind=st.sampled_from(["sgtin", "sscc", "other"]),
        lot=st.sampled_from([None, "L0"]),
        expiry=st.sampled_from([None, "2025-01-31"]),
        status=st.sampled_from(list(ItemStatus)),
        disposition=st.sampled_from([None, DISP + "active", DISP + "recalled"]),
        custodian=PARTIES,
        location=st.sampled_from([None, "https://id.gs1.org/414/0614141000012"]),
        parent_id=st.sampled_from([None, 7]),
        last_event_seq=st.integers(0, 50),
        last_event_time=st.integers(0, 10),
        commissioned_seq=st.sampled_from([None, 3]),
        updated_seq=st.integers(0, 60),
        persistent=FLAGS.map(lambda flags: tuple(sorted(set(flags)))),
    ),
)


@settings(max_examples=600)
@given(state=STATES, view=VIEWS, uri=URIS, role=st.sampled_from(list(Role)))
def test_transition_is_the_former_next_state(
    state: ItemSnapshot | None, view: EventView, uri: str, role: Role
) -> None:
    # one transition applied to any item (never seen: built in one go) = the former rules
    expected = reference_next_state(state, view, uri, role)
    assert transition(view, role).apply(state, uri) == expected
    assert next_state(state, view, uri, role) == expected


def test_one_transition_serves_many_items() -> None:
    # a transition keeps no per-item state: applying it to one item does not change the next
    view = EventView(
        seq=9, event_time=5, event_type="ObjectEvent", action="OBSERVE",
        biz_step=STEP + "shipping", disposition=DISP + "in_transit",
        source_owner="https://id.gs1.org/414/0614141000005",
    )  # fmt: skip
    move = transition(view, Role.CONTAINED)
    uris = [f"https://id.gs1.org/01/10614141073464/21/{n}" for n in range(5)]
    states = [None, *(reference_next_state(None, view, uri) for uri in uris[1:])]
    got = [move.apply(state, uri) for state, uri in zip(states, uris, strict=True)]
    assert got == [
        reference_next_state(state, view, uri, Role.CONTAINED)
        for state, uri in zip(states, uris, strict=True)
    ]


# --------------------------------------------------------------------------- documents


def sgtin(n: int) -> str:
    return f"urn:epc:id:sgtin:0614141.107346.{n}"


def sscc(n: int) -> str:
    return f"urn:epc:id:sscc:0614141.{n:010d}"


MFG = "urn:epc:id:sgln:0614141.00000.0"
MFG_DC = "urn:epc:id:sgln:0614141.00001.0"
WHS = "urn:epc:id:sgln:0399999.99999.0"
WHS_DC = "urn:epc:id:sgln:0399999.34567.0"


def at(minute: int) -> dict[str, Any]:
    return {"event_time": T0 + timedelta(minutes=minute), "event_time_zone_offset": "+00:00"}


def shipment(first: int, pallet: int, cases: int = 3, per_case: int = 4) -> list[Event]:
    """Commission, pack into cases and a pallet, ship, receive one shipment."""
    items = [sgtin(first + i) for i in range(cases * per_case)]
    boxes = [sscc(pallet * 100 + c + 1) for c in range(cases)]
    events: list[Event] = [
        ObjectEvent(
            **at(1),
            action="ADD",
            epc_list=tuple(items),
            biz_step=STEP + "commissioning",
            disposition=DISP + "active",
            biz_location=Location(id=MFG_DC),
            sources=(SourceDest(type=OWNER, value=MFG),),
            ilmd=(
                Extension(namespace=MDA, name="lotNumber", value="L1"),
                Extension(namespace=MDA, name="itemExpirationDate", value="2026-03-31"),
            ),
        )
    ]
    for c, box in enumerate(boxes):
        events.append(
            AggregationEvent(
                **at(2 + c),
                action="ADD",
                parent_id=box,
                child_epcs=tuple(items[c * per_case : (c + 1) * per_case]),
                biz_step=STEP + "packing",
                disposition=DISP + "in_progress",
                biz_location=Location(id=MFG_DC),
            )
        )
    events += [
        AggregationEvent(
            **at(10), action="ADD", parent_id=sscc(pallet), child_epcs=tuple(boxes),
            biz_step=STEP + "packing", biz_location=Location(id=MFG_DC),
        ),
        ObjectEvent(
            **at(11), action="OBSERVE", epc_list=(sscc(pallet),), biz_step=STEP + "shipping",
            disposition=DISP + "in_transit", sources=(SourceDest(type=OWNER, value=MFG),),
            destinations=(SourceDest(type=OWNER, value=WHS),),
        ),
        ObjectEvent(
            **at(12), action="OBSERVE", epc_list=(sscc(pallet),), biz_step=STEP + "receiving",
            disposition=DISP + "in_progress", biz_location=Location(id=WHS_DC),
            destinations=(SourceDest(type=OWNER, value=WHS),),
        ),
    ]  # fmt: skip
    return events


def later(first: int, pallet: int) -> list[Event]:
    """Events on items stored before: unpack one case, recall it, dispense one item."""
    return [
        AggregationEvent(
            **at(20), action="DELETE", parent_id=sscc(pallet), child_epcs=(),
            biz_step=STEP + "unpacking", biz_location=Location(id=WHS_DC),
        ),
        ObjectEvent(
            **at(21), action="OBSERVE", epc_list=(sscc(pallet * 100 + 1),),
            biz_step=STEP + "holding",
            persistent_disposition=PersistentDisposition(set=(DISP + "recalled",)),
        ),
        ObjectEvent(
            **at(22), action="OBSERVE", epc_list=(sgtin(first + 5),),
            biz_step=STEP + "dispensing", disposition=DISP + "dispensed",
        ),
        # a late event (older than the items' last one) on items of this capture's batch
        ObjectEvent(
            **at(0), action="OBSERVE", epc_list=(sgtin(first + 6), sgtin(first + 900)),
            biz_step=STEP + "inspecting",
        ),
    ]  # fmt: skip


def document(events: Sequence[Event]) -> EPCISDocument:
    return EPCISDocument(schema_version="2.0", creation_date=T0, events=tuple(events))


DOCUMENTS: list[list[Event]] = [
    shipment(1000, 1),
    shipment(2000, 2) + later(1000, 1),
    later(2000, 2) + shipment(3000, 3),
]


def state_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """``item_state`` keyed by URI (ids of parents replaced by URIs), ordered."""
    with engine.connect() as conn:
        uris = dict(conn.execute(sa.select(schema.epc.c.id, schema.epc.c.uri)).all())
        rows = conn.execute(sa.select(schema.item_state)).all()
    found = []
    for row in rows:
        values = dict(row._mapping)
        values.pop("epc_id")
        parent = values.pop("parent_id")
        found.append((*values.values(), None if parent is None else uris[parent]))
    return sorted(found, key=lambda row: str(row[0]))


@pytest.fixture
def general_path(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Turn the projection's ``new_keys`` and capture's ``members`` shortcuts off."""

    def switch() -> None:
        original = projection.apply

        def apply(conn: Any, captured: Any, *, declared: Any = (), new_keys: Any = ()) -> None:
            # the projection works the members out from the event and the stored keys
            rows = conn.execute(sa.text("SELECT id, uri FROM epc"))
            keys = {uri: int(key) for key, uri in rows}
            plain = [msgspec.structs.replace(item, members=None, epc_ids=keys) for item in captured]
            original(conn, plain, declared=declared)

        monkeypatch.setattr(projection, "apply", apply)

    return switch


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Batches of 4 events: keys created in one batch are stored ones in the next."""
    monkeypatch.setattr(capture_module, "BATCH_SIZE", 4)
    yield


def _capture_all(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Repository.open(url, create=True) as repo:
        for events in DOCUMENTS:
            result = repo.capture(document(events))
            assert result.ok, result.rejected
        incremental = state_rows(repo.engine)
        repo.rebuild_state()
        rebuilt = state_rows(repo.engine)
    return incremental, rebuilt


@contextlib.contextmanager
def other_store(db_url: str, backend: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh store of the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'general.sqlite'}"
        return
    base, schema_name = db_url.split("?search_path=")
    other = f"g{schema_name}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{other}"'))
        yield f"{base}?search_path={other}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{other}" CASCADE'))
        admin.dispose()


@pytest.mark.usefixtures("small_batches")
def test_new_keys_path_gives_the_general_paths_rows(
    db_url: str, tmp_path: Path, backend: str, general_path: Callable[[], None]
) -> None:
    # batches of 4: keys created in one batch are stored keys in the next ones
    fast, rebuilt = _capture_all(db_url)
    assert fast == rebuilt
    # the same documents through the general path, into a second store of the same backend
    with other_store(db_url, backend, tmp_path) as other:
        general_path()
        general, _ = _capture_all(other)
    assert fast == general
    statuses = {row[0]: row[6] for row in fast}
    assert statuses[canonical_epc(sgtin(1005))] == ItemStatus.DISPENSED
    assert statuses[canonical_epc(sgtin(1001))] == ItemStatus.RECALLED  # in the recalled case


PO = (BizTransaction(type="urn:epcglobal:cbv:btt:po", value="urn:epc:id:gdti:0614141.00001.1"),)
EVENTS_OF_EVERY_KIND: list[Event] = [
    ObjectEvent(**at(1), action="ADD", epc_list=(sgtin(1), sgtin(2), sgtin(1))),
    ObjectEvent(
        **at(1),
        action="OBSERVE",
        epc_list=(),
        quantity_list=(
            QuantityElement(
                epc_class="urn:epc:class:lgtin:0614141.107346.L1",
                quantity=Decimal("2.5"),
                uom="KGM",
            ),
        ),
    ),
    AggregationEvent(**at(2), action="ADD", parent_id=sscc(1), child_epcs=(sgtin(1), sscc(1))),
    TransactionEvent(
        **at(3), action="ADD", parent_id=sscc(1), epc_list=(sgtin(2),), biz_transactions=PO
    ),
    TransactionEvent(**at(3), action="ADD", epc_list=(sgtin(2),), biz_transactions=PO),
    AssociationEvent(**at(4), action="ADD", parent_id=sgtin(9), child_epcs=(sgtin(8),)),
    TransformationEvent(**at(5), input_epcs=(sgtin(1), sgtin(2)), output_epcs=(sgtin(3),)),
]


def test_members_from_capture_are_the_projections_own(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []
    original = projection.apply

    def apply(conn: Any, captured: Any, *, declared: Any = (), new_keys: Any = ()) -> None:
        # the keys as stored (capture hands the projection its members, not the event's keys)
        keys = {uri: int(key) for key, uri in conn.execute(sa.text("SELECT id, uri FROM epc"))}
        for item in captured:
            handed = [(epc_id, uri, Role(role)) for epc_id, uri, role in item.members]
            seen.append((handed, projection._members(item.event, keys)))
        original(conn, captured, declared=declared, new_keys=new_keys)

    monkeypatch.setattr(projection, "apply", apply)
    result = capture(engine, document(EVENTS_OF_EVERY_KIND))
    assert result.ok, result.rejected
    assert len(seen) == len(EVENTS_OF_EVERY_KIND)
    for handed, own in seen:
        assert handed == own


# --------------------------------------------------------------------------- keys


def test_assigned_keys_are_unique_and_name_the_right_identifiers(engine: sa.Engine) -> None:
    for events in DOCUMENTS:
        assert capture(engine, document(events)).ok
    with engine.connect() as conn:
        keys = conn.execute(sa.select(schema.epc.c.id, schema.epc.c.uri)).all()
        bodies = dict(conn.execute(sa.select(schema.event.c.seq, schema.event.c.body)).all())
        links = conn.execute(
            sa.select(schema.event_epc.c.seq, schema.epc.c.uri, schema.event_epc.c.role).join(
                schema.epc, schema.epc.c.id == schema.event_epc.c.epc_id
            )
        ).all()
    assert len({key for key, _ in keys}) == len({uri for _, uri in keys}) == len(keys)
    # every index row, read through its key, names what the stored event names
    named: dict[int, set[tuple[str, int]]] = {seq: set() for seq in bodies}
    for seq, uri, role in links:
        named[seq].add((uri, role))
    for seq, body in bodies.items():
        rows = codec._epc_rows(codec.decode_event(bytes(body)))
        assert named[seq] == {(uri, role) for uri, role, _q, _u in rows}
    # a second capture of other documents reuses the stored keys
    before = len(keys)
    assert capture(engine, document(DOCUMENTS[0])).duplicates == len(DOCUMENTS[0])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.epc)).scalar() == before


# --------------------------------------------------------------------------- jobs


def test_job_is_running_during_capture_and_finished_with_it(engine: sa.Engine) -> None:
    seen: list[jobs.CaptureJob | None] = []

    def progress(_read: int) -> None:
        with engine.connect() as conn:  # another connection: what other readers see
            seen.append(jobs.get_job(conn, "job-1"))

    result = capture(
        engine, document(DOCUMENTS[0]), job_id="job-1", progress=progress, org_id="org-a"
    )
    assert result.ok and seen
    running = seen[0]
    assert running is not None and running.running and running.finished is None
    with engine.connect() as conn:
        job = jobs.get_job(conn, "job-1")
        org = conn.execute(
            sa.select(schema.capture_job.c.org_id).where(schema.capture_job.c.id == "job-1")
        ).scalar()
    assert job is not None
    assert (job.running, job.success, job.captured, job.duplicates) == (
        False,
        True,
        len(DOCUMENTS[0]),
        0,
    )
    assert job.finished is not None and job.errors == ()
    assert org == "org-a"


def test_rejected_document_leaves_a_finished_job_with_its_errors(engine: sa.Engine) -> None:
    bad = AggregationEvent(**at(1), action="ADD", child_epcs=(sgtin(1),))  # no parentID
    result = capture(engine, document([*DOCUMENTS[0], bad]), job_id="job-2", org_id="org-b")
    assert not result.ok and result.captured == 0
    with engine.connect() as conn:
        job = jobs.get_job(conn, "job-2")
        org = conn.execute(
            sa.select(schema.capture_job.c.org_id).where(schema.capture_job.c.id == "job-2")
        ).scalar()
        events = conn.execute(sa.select(sa.func.count()).select_from(schema.event)).scalar()
    assert job is not None and org == "org-b" and events == 0
    assert (job.running, job.success, job.rejected) == (False, False, 1)
    assert job.errors == result.rejected


def test_repository_records_the_principal_on_the_job(db_url: str) -> None:
    with Repository.open(db_url, create=True) as repo:
        principal = Principal(org_id="org-c", name="C", role=PrincipalRole.OPERATOR)
        result = repo.capture(document(DOCUMENTS[0]), principal=principal)
        with repo.engine.connect() as conn:
            org = conn.execute(
                sa.select(schema.capture_job.c.org_id).where(
                    schema.capture_job.c.id == result.job_id
                )
            ).scalar()
    assert org == "org-c"


# --------------------------------------------------------------------------- master data


def _master_rows(engine: sa.Engine) -> tuple[list[tuple[Any, ...]], ...]:
    with engine.connect() as conn:
        return tuple(
            [tuple(row) for row in conn.execute(sa.select(*columns).order_by(*columns))]
            for columns in (
                (
                    schema.vocabulary_element.c.vtype,
                    schema.vocabulary_element.c.id,
                    schema.vocabulary_element.c.attributes,
                ),
                tuple(schema.vocabulary_attribute.c),
                tuple(schema.vocabulary_child.c),
            )
        )


def _updated(engine: sa.Engine) -> dict[str, int]:
    table = schema.vocabulary_element
    with engine.connect() as conn:
        return {
            key: int(stamp) for key, stamp in conn.execute(sa.select(table.c.id, table.c.updated))
        }


def test_master_data_sent_again_unchanged_only_touches_updated(engine: sa.Engine) -> None:
    lgtin = "urn:epc:class:lgtin:0614141.107346.L1"
    vocabulary = Vocabulary(
        type=EPC_CLASS,
        elements=(
            VocabularyElement(
                id=lgtin,
                attributes=(
                    VocabularyAttribute(id=f"{MDA}#itemExpirationDate", value="2026-03-31"),
                    VocabularyAttribute(id=f"{MDA}#lotNumber", value="L1"),
                ),
                children=("urn:epc:id:sgtin:0614141.107346.1",),
            ),
            VocabularyElement(
                id="urn:epc:idpat:sgtin:0614141.107346.*",
                attributes=(VocabularyAttribute(id=f"{MDA}#regulatedProductName", value="A"),),
            ),
        ),
    )
    shipped = EPCISDocument(
        schema_version="2.0", creation_date=T0, events=tuple(DOCUMENTS[0]),
        header=EPCISHeader(master_data=(vocabulary,)),
    )  # fmt: skip
    assert capture(engine, shipped).ok
    first, stamps = _master_rows(engine), _updated(engine)
    # the same master data again (with new events): rows unchanged, ``updated`` written
    again = msgspec.structs.replace(shipped, events=tuple(shipment(5000, 5)))
    assert capture(engine, again).ok
    assert _master_rows(engine) == first
    assert all(_updated(engine)[key] >= stamp for key, stamp in stamps.items())
    # one element changed: that one is rewritten (merged), the other kept
    changed = Vocabulary(
        type=EPC_CLASS,
        elements=(
            VocabularyElement(
                id=lgtin,
                attributes=(VocabularyAttribute(id=f"{MDA}#lotNumber", value="L1b"),),
            ),
        ),
    )
    with write_transaction(engine) as conn:
        assert masterdata.put_vocabularies(conn, [changed]) == 1
        element = masterdata.get_element(conn, EPC_CLASS, lgtin)
    assert element is not None
    assert [(a.id, a.value) for a in element.attributes] == [
        (f"{MDA}#itemExpirationDate", "2026-03-31"),
        (f"{MDA}#lotNumber", "L1b"),
    ]
    assert element.children == ("urn:epc:id:sgtin:0614141.107346.1",)
    elements, attributes, children = _master_rows(engine)
    assert len(elements) == 2 and len(children) == 1
    assert (EPC_CLASS, canonical_epc(lgtin), f"{MDA}#lotNumber", "L1b") in attributes


# --------------------------------------------------------------------------- plumbing


def test_select_in_chunks_and_arrays(engine: sa.Engine) -> None:
    uris = [f"urn:example:{n}" for n in range(2 * dbapi.CHUNK + 7)]
    with write_transaction(engine) as conn:
        conn.execute(sa.insert(schema.epc), [{"uri": uri} for uri in uris])
        found = dbapi.select_in(conn, "SELECT uri FROM epc WHERE uri {in}", uris, "text")
        assert sorted(uri for (uri,) in found) == sorted(uris)
        assert dbapi.select_in(conn, "SELECT uri FROM epc WHERE uri {in}", [], "text") == []
        ids = [
            key
            for (key,) in dbapi.select_in(
                conn, "SELECT id FROM epc WHERE uri {in}", uris[:5], "text"
            )
        ]
        gone = dbapi.select_in(conn, "DELETE FROM epc WHERE id {in}", ids, "bigint")
        assert gone == []
        left = dbapi.execute(conn, "SELECT count(*) FROM epc WHERE uri <> {m}", ("x",))
        assert left == [(len(uris) - 5,)]


#: Values that an array literal or COPY text must not take for syntax.
AWKWARD = ["a,b", "{x}", " blank ", "NULL", "", 'q"uote', "back\\slash", "tab\there", "é€"]


@pytest.mark.parametrize("quoted", [False, True])
def test_select_in_takes_every_text_value_as_data(engine: sa.Engine, quoted: bool) -> None:
    # without '"' or '\\' the PostgreSQL array goes as a literal made here, else psycopg's
    values = [v for v in AWKWARD if quoted or ('"' not in v and "\\" not in v)]
    with write_transaction(engine) as conn:
        conn.execute(sa.insert(schema.epc), [{"uri": v} for v in values])
        conn.execute(sa.insert(schema.epc), [{"uri": "other"}])
        found = dbapi.select_in(conn, "SELECT uri FROM epc WHERE uri {in}", values, "text")
        assert sorted(uri for (uri,) in found) == sorted(values)
        ids = [
            k for (k,) in dbapi.select_in(conn, "SELECT id FROM epc WHERE uri {in}", values, "text")
        ]
        back = dbapi.select_in(conn, "SELECT uri FROM epc WHERE id {in}", ids, "bigint")
        assert sorted(uri for (uri,) in back) == sorted(values)


def test_pg_array_literal_only_when_it_is_safe() -> None:
    assert dbapi.pg_array([3, 1, 2], "bigint") == "{3,1,2}"
    assert dbapi.pg_array([True, 1], "bigint") == [True, 1]  # bool is not a bigint literal
    assert dbapi.pg_array(["a,b", "NULL"], "text") == '{"a,b","NULL"}'
    assert dbapi.pg_array(['q"uote'], "text") == ['q"uote']
    assert dbapi.pg_array(["back\\slash"], "text") == ["back\\slash"]
    assert dbapi.pg_array(["a", 1], "text") == ["a", 1]


def test_copy_text_of_instance_rows() -> None:
    assert capture_module._copy_block([7, 8], 5, 2) == "7\t5\t2\t\\N\t\\N\n8\t5\t2\t\\N\t\\N\n"
    assert capture_module._copy_block([], 5, 2) == ""


def test_new_keys_with_copy_special_characters_are_stored_as_sent(engine: sa.Engine) -> None:
    # PostgreSQL COPYs new epc keys as text made here unless one holds \\, tab, CR or LF
    keys = ["urn:example:plain", "urn:example:back\\slash", "urn:example:tab\there"]
    with write_transaction(engine) as conn:
        writer = capture_module._Writer(conn, "job")
        writer.begin()
        created = writer._epc_ids(set(keys))
        stored = dict(conn.execute(sa.select(schema.epc.c.uri, schema.epc.c.id)).all())
    assert stored == {uri: writer.keys[uri] for uri in keys}
    assert created == set(stored.values())


def test_pg_copy_is_binary_only_where_every_column_type_allows_it() -> None:
    plan = dbapi._pg_copy_plan
    sql, types = plan(schema.item_state, "item_state")
    assert sql.endswith("FROM STDIN (FORMAT BINARY)")
    assert types is not None and types[:3] == ("int8", "text", "text")
    assert plan(schema.event, "event")[1] == (
        ("int8", "text", "text", "text", "text", "int8", "text", "int8")
        + ("text",) * 5
        + ("bool", "int8", "text", "text", "bytea")
    )
    assert plan(schema.event_epc, "event_epc")[1] is None  # quantity is NUMERIC (Decimal only)
    columns = "seq, scope, path, name, depth, text_value, num_value, time_value"
    assert plan(schema.event_field, "event_field") == (
        f"COPY event_field ({columns}) FROM STDIN",
        None,
    )
    assert plan(schema.item_state, "tmp")[0].startswith("COPY tmp (epc_id, uri, kind, ")


def test_pg_copy_stores_every_value_as_sent(engine: sa.Engine, backend: str) -> None:
    # binary COPY takes text with tabs, newlines, backslashes and a literal \N, and NULLs
    if backend != "postgres":
        pytest.skip("COPY is PostgreSQL's")
    awkward = ["tab\there", "new\nline", "back\\slash", "\\N", "Ünïcødé ✓", ""]
    rows = [
        (
            10 + i,
            f"urn:x:{i}",
            "sgtin",
            text,
            None,
            "L1",
            None,
            "active",
            None,
            text,
            None,
            None if i % 2 else 7,
            1,
            1_700_000_000_000_000,
            None,
            2,
        )
        for i, text in enumerate(awkward)
    ]
    event_row = (
        1,
        "ev-1",
        "hash-1",
        "ObjectEvent",
        "ADD",
        5,
        "+00:00",
        6,
        None,
        None,
        None,
        None,
        None,
        True,
        None,
        "reason\twith tab",
        None,
        b"\x00\x01 body \\N",
    )
    with write_transaction(engine) as conn:
        with dbapi.driver(conn).cursor() as cursor:
            dbapi.pg_copy(cursor, schema.item_state, rows)
            dbapi.pg_copy(cursor, schema.event, [event_row])
        stored = conn.execute(
            sa.select(*schema.item_state.columns).order_by(schema.item_state.c.epc_id)
        ).all()
        body = conn.execute(sa.select(*schema.event.columns)).one()
    assert [tuple(row) for row in stored] == rows
    assert tuple(body) == event_row


def test_first_batch_is_read_before_the_write_transaction(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's BEGIN IMMEDIATE takes the single writer's lock: reading, validating and hashing
    # the first batch happens before it (and on PostgreSQL before a connection is held, where
    # a reading thread may also read further ahead)
    seen: list[str] = []
    hashing = capture_module.event_hash
    opening = capture_module.write_transaction

    def event_hash(event: Event) -> str:
        seen.append("hash")
        return hashing(event)

    @contextlib.contextmanager
    def write(engine: sa.Engine, **options: Any) -> Iterator[Any]:
        seen.append("begin")
        with opening(engine, **options) as conn:
            yield conn

    monkeypatch.setattr(capture_module, "event_hash", event_hash)
    monkeypatch.setattr(capture_module, "write_transaction", write)
    events = shipment(1, 1)
    monkeypatch.setattr(capture_module, "BATCH_SIZE", len(events) - 2)
    result = capture(engine, document(events))
    assert result.ok and result.captured == len(events)
    first = len(events) - 2
    assert seen.count("hash") == len(events) and seen.count("begin") == 1
    assert seen.index("begin") >= first
    if backend == "sqlite":  # read in the writing thread: the rest only once written
        assert seen == ["hash"] * first + ["begin"] + ["hash"] * 2


class _Batch(list[Event]):
    """A batch that can be watched with a weak reference."""


def test_a_written_batch_is_not_held_while_the_next_one_is_read(engine: sa.Engine) -> None:
    # memory stays bounded by one batch: once written, nothing holds it while the reader
    # builds the next one (the first batch too, read before the transaction)
    events = shipment(1, 1)
    released: list[bool] = []

    def batches() -> Iterator[tuple[list[Event], list[str], int]]:
        first = _Batch(events[:4])
        watched = weakref.ref(first)
        yield first, [capture_module.event_hash(e) for e in first], 4
        del first
        released.append(watched() is None)
        rest = _Batch(events[4:])
        yield rest, [capture_module.event_hash(e) for e in rest], len(events)

    opened = capture_module._Opened(
        syntax="json",
        kind="document",
        schema_version="2.0",
        events=iter(()),
        master_data=lambda: (),
    )
    source = batches()
    pending = [next(source)]
    with write_transaction(engine) as conn:
        writer = capture_module._write_all(
            conn, opened, capture_module._first_then(pending, source), job_id="j", progress=None
        )
    assert released == [True] and pending == []
    assert len(writer.captured) == len(events)


def test_document_refused_in_its_first_batch_opens_no_write_transaction(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    opening = capture_module.write_transaction

    @contextlib.contextmanager
    def write(engine: sa.Engine, **options: Any) -> Iterator[Any]:
        opened.append(options)
        with opening(engine, **options) as conn:
            yield conn

    monkeypatch.setattr(capture_module, "write_transaction", write)
    events = shipment(1, 1)
    bad = AggregationEvent(**at(1), action="ADD", child_epcs=(sgtin(1),))  # no parentID
    result = capture(engine, document([events[0], bad, *events[1:]]))
    assert not result.ok and result.captured == 0 and result.rejected
    assert opened == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.event)).scalar() == 0


@pytest.mark.parametrize(
    "rows",
    [
        # one converted column (event_epc.quantity): None, a value, and a mix
        [(1, 2, 1, None, None), (1, 3, 6, Decimal("2.5"), "KGM")],
        [],
    ],
)
def test_single_column_conversion_equals_the_general_one(rows: list[tuple[Any, ...]]) -> None:
    engine = create_store_engine("sqlite://")
    try:
        processors = capture_module._bind_processors(schema.event_epc, engine.dialect)
        converted = [(i, p) for i, p in enumerate(processors) if p is not None]
        assert len(converted) == 1
        general = [
            tuple(
                p(v) if v is not None and p is not None else v
                for v, p in zip(row, processors, strict=True)
            )
            for row in rows
        ]
        assert capture_module._converted(rows, converted) == general
        two = converted * 2  # the general loop (more than one converted column)
        assert capture_module._converted(rows, two) == general
    finally:
        engine.dispose()


def test_sqlite_checkpoints_every_10000_pages(tmp_path: Path) -> None:
    engine = create_store_engine(tmp_path / "w.sqlite")
    try:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    finally:
        engine.dispose()
    assert pages == 10_000


def test_lifecycle_exports_transition() -> None:
    assert "Transition" in lifecycle.__all__ and "transition" in lifecycle.__all__


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a SQLite setting only
def test_sqlite_capture_has_a_larger_page_cache_and_gives_it_back(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: the capture transaction writes with a page cache of at least 32 MB; the pooled
    # connection gets its own size back afterwards
    assert engine.dialect.name == "sqlite"
    sizes: list[int] = []
    original = projection.apply

    def apply(conn: Any, captured: Any, **kwargs: Any) -> None:
        sizes.append(int(conn.exec_driver_sql("PRAGMA cache_size").scalar()))
        original(conn, captured, **kwargs)

    monkeypatch.setattr(projection, "apply", apply)
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    result = capture(engine, document(EVENTS_OF_EVERY_KIND))
    assert result.ok, result.rejected
    assert sizes and all(size == -capture_module._SQLITE_CACHE_KIB for size in sizes)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before
    assert before is not None and -before < capture_module._SQLITE_CACHE_KIB


def test_index_rows_are_the_events_epc_rows_with_their_keys(engine: sa.Engine) -> None:
    # every event_epc row (SQLite: from one flat list of values, quantities converted as
    # SQLAlchemy converts them) is the event's own row with its key, in index-row order
    assert capture(engine, document(EVENTS_OF_EVERY_KIND)).ok
    sqlite = engine.dialect.name == "sqlite"
    select = "SELECT epc_id, seq, role, quantity, uom FROM event_epc ORDER BY seq, "
    with engine.connect() as conn:
        keys = {uri: key for key, uri in conn.execute(sa.text("SELECT id, uri FROM epc"))}
        bodies = conn.execute(sa.text("SELECT seq, body FROM event ORDER BY seq")).all()
        stored = conn.execute(sa.text(select + ("rowid" if sqlite else "epc_id, role"))).all()
    expected = []
    for seq, body in bodies:
        rows = [
            (keys[uri], seq, role, None if q is None else float(q), uom)
            for uri, role, q, uom in codec._epc_rows(codec.decode_event(bytes(body)))
        ]
        expected += rows if sqlite else sorted(rows, key=lambda row: (row[0], row[2]))
    assert [tuple(row) for row in stored] == expected
    assert any(row[3] == 2.5 and row[4] == "KGM" for row in expected)


def test_young_collections_are_rarer_during_a_capture_and_restored_after(
    engine: sa.Engine,
) -> None:
    before = gc.get_threshold()
    seen: list[int] = []
    result = capture(
        engine,
        document(EVENTS_OF_EVERY_KIND),
        progress=lambda _n: seen.append(gc.get_threshold()[0]),
    )
    assert result.ok
    assert seen and all(young == max(before[0], capture_module._GC_YOUNG) for young in seen)
    assert gc.get_threshold() == before


def test_overlapping_captures_restore_the_threshold_once_the_last_ends() -> None:
    before = gc.get_threshold()
    fewer = capture_module._FewerCollections()
    first, second = fewer(), fewer()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first capture ends while the second still runs
    assert gc.get_threshold()[0] == max(before[0], capture_module._GC_YOUNG)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_rows_counted_for_the_statistics_refresh_are_the_rows_written(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # instance and class (quantity) rows alike: they decide whether ANALYZE follows the load
    counted: list[int] = []
    monkeypatch.setattr(
        capture_module.maintenance,
        "refresh_after_load",
        lambda _engine, *, inserted_rows: counted.append(inserted_rows),
    )
    assert capture(engine, document(EVENTS_OF_EVERY_KIND)).ok
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(schema.event_epc)).scalar()
        classes = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.event_epc)
            .where(schema.event_epc.c.quantity.is_not(None))
        ).scalar()
    assert classes  # the document has quantity lists
    assert counted == [stored]


# --------------------------------------------------------------------------- JSON-LD head

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _heads(data: bytes) -> tuple[Any, Any]:
    """The head read whole and read by the streaming pass (or the error each one raised)."""
    found = []
    for limit in (capture_module._HEAD_IN_ONE_READ, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(capture_module, "_HEAD_IN_ONE_READ", limit)
            source = io.BytesIO(b"  " + data)
            source.seek(2)
            try:
                found.append(capture_module._jsonld_head(source))
            except EpcisDocumentError as exc:
                found.append(("error", str(exc)))
    return found[0], found[1]


@settings(max_examples=150, deadline=None)
@given(members=st.dictionaries(st.text(max_size=10), _JSON, max_size=5), body=_JSON)
def test_the_jsonld_head_read_whole_is_the_streamed_one(members: dict[str, Any], body: Any) -> None:
    # numbers keep their exact value (Decimal, as ijson gives them), the body is skipped
    # wherever it stands among the members
    for at in (0, len(members)):
        items = list(members.items())
        items.insert(at, ("epcisBody", body))
        text = "{" + ",".join(f"{_dumps(k)}:{_dumps(v)}" for k, v in items) + "}"
        whole, streamed = _heads(text.encode())
        assert whole == streamed
        assert "epcisBody" not in whole


def _dumps(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() and "E" not in str(value) else f"{value:f}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    return msgspec.json.encode(value).decode()


@pytest.mark.parametrize(
    "data",
    [
        b'{"type": "EPCISDocument", "epcisBody": {"eventList": [1, 2,]}}',  # malformed body
        b'{"type": "EPCISDocument", "epcisBody": {"eventList": [',  # cut off
        b'[{"type": "EPCISDocument"}]',  # not an object
        b'{"type": "EPCISDocument", "a": NaN}',
        b'{"type": "EPCISDocument", "a": 1, "a": 2.50, "epcisBody": {}}',  # the last one wins
        b"",
    ],
)
def test_odd_jsonld_heads_are_read_as_the_streaming_pass_reads_them(data: bytes) -> None:
    whole, streamed = _heads(data)
    assert whole == streamed
