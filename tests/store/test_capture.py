"""The capture pipeline on SQLite and PostgreSQL: corpus, idempotence, atomicity, batches."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.hashing import event_hash
from medtrace.epcis.jsonld_reader import read_jsonld
from medtrace.epcis.model import EPCISDocument
from medtrace.epcis.xml_reader import read_xml
from medtrace.epcis.xml_writer import write_xml
from medtrace.store import capture as capture_module
from medtrace.store import schema
from medtrace.store.repository import Repository

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SGTIN = "urn:epc:id:sgtin:0614141.107346.{}"


def event(serial: str, **extra: Any) -> dict[str, Any]:
    """A small valid ObjectEvent (JSON-LD) for item ``serial``."""
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2024-03-01T10:00:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [SGTIN.format(serial)],
        "bizStep": "receiving",
        **extra,
    }


def document(*events: dict[str, Any]) -> bytes:
    """An EPCIS 2.0 JSON-LD document holding ``events``."""
    return json.dumps(
        {
            "@context": [CONTEXT],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-01T10:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()


#: An AggregationEvent ADD without parentID: invalid (EPCIS 2.0 §7.4.3).
INVALID = {
    "type": "AggregationEvent",
    "action": "ADD",
    "eventTime": "2024-03-01T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "childEPCs": [SGTIN.format("c1")],
}


def count(repo: Repository, table: sa.Table) -> int:
    with repo.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def read_any(path: Path) -> EPCISDocument:
    return read_xml(path) if path.suffix == ".xml" else read_jsonld(path.read_bytes())


def corpus(root: Path) -> list[Path]:
    examples = root / "event-hash" / "examples"
    return [
        *sorted(examples.glob("*.xml")),
        *sorted(examples.glob("*.jsonld")),
        *sorted((root / "gs1-epcis" / "XML").rglob("*.xml")),
        *sorted((root / "gs1-epcis" / "JSON").rglob("*.jsonld")),
    ]


@pytest.mark.conformance
def test_every_corpus_document_captures(repo: Repository, conformance_dir: Path) -> None:
    refused: list[str] = []
    captured = 0
    for path in corpus(conformance_dir):
        try:
            doc = read_any(path)
        except EpcisDocumentError:
            refused.append(path.name)
            continue
        result = repo.capture(path)
        assert result.rejected == (), (path, result.rejected)
        captured += result.captured
        with repo.engine.connect() as conn:
            for original in doc.events:
                hashed = event_hash(original)
                ident = original.event_id or hashed
                if ident in result.event_ids:
                    # stored under its id, with its hash (or an earlier event took the id)
                    found = conn.execute(
                        sa.select(schema.event.c.event_hash).where(schema.event.c.event_id == ident)
                    ).scalar()
                    assert found == hashed or ident in result.duplicate_ids, (path.name, ident)
                else:
                    # already stored: same hash or same given eventID
                    found = conn.execute(
                        sa.select(sa.func.count())
                        .select_from(schema.event)
                        .where(
                            (schema.event.c.event_id == ident)
                            | (schema.event.c.event_hash == hashed)
                        )
                    ).scalar()
                    assert found, (path.name, ident)
        for ident in result.event_ids:
            stored = repo.event(ident)
            assert stored is not None
            assert stored.record_time is not None
    # refused: four capture-job resources (not EPCIS documents) and one query document
    # whose EventList sits outside EPCISBody/QueryResults
    assert sorted(refused) == [
        "Example-CaptureJobRunning.xml",
        "Example-CaptureJobSuccess.xml",
        "Example-CaptureJobWithErrorFile.xml",
        "Example-CaptureJobWithErrors.xml",
        "epcisXmlQueryDocHavingEventWithIgnoreFields.xml",
    ]
    assert captured == count(repo, schema.event) > 100


@pytest.mark.conformance
@pytest.mark.parametrize(
    "name",
    [
        # the reference example of the hash algorithm
        "ReferenceEventHashAlgorithm",
        # 13 events of all five event types
        "epcisDocWithVariousEventTypes",
        # persistentDisposition set/unset
        "persistentDisposition",
        # sensor data with certificationInfo
        "CertificationInfoAndSensorReportWithCRS",
    ],
)
def test_same_events_in_other_syntax_are_duplicates(
    repo: Repository, conformance_dir: Path, name: str
) -> None:
    examples = conformance_dir / "event-hash" / "examples"
    first = repo.capture(examples / f"{name}.xml")
    second = repo.capture(examples / f"{name}.jsonld")
    assert first.captured > 0
    assert (second.captured, second.duplicates) == (0, first.captured)
    assert count(repo, schema.event) == first.captured


@pytest.mark.parametrize(
    ("events", "captured", "duplicates"),
    [
        # the same event twice in one document
        ((event("1"), event("1")), 1, 1),
        # two events with the same given eventID but different content
        (
            (
                event("1", eventID="urn:uuid:0b6e7c2e-51a4-4f7e-8d2a-1f9e3c4b5a60"),
                event("2", eventID="urn:uuid:0b6e7c2e-51a4-4f7e-8d2a-1f9e3c4b5a60"),
            ),
            1,
            1,
        ),
        # an event written with a URN and again with a Digital Link of the same item
        (
            (event("1"), {**event("1"), "epcList": ["https://id.gs1.org/01/10614141073464/21/1"]}),
            1,
            1,
        ),
        # different items
        ((event("1"), event("2"), event("3")), 3, 0),
    ],
)
def test_duplicates_within_a_document(
    repo: Repository, events: tuple[dict[str, Any], ...], captured: int, duplicates: int
) -> None:
    result = repo.capture(document(*events))
    assert (result.captured, result.duplicates, result.rejected) == (captured, duplicates, ())
    again = repo.capture(document(*events))
    assert (again.captured, again.duplicates) == (0, captured + duplicates)


@pytest.mark.parametrize(
    ("behaviour", "stored"),
    [
        # rollback: one invalid event, nothing stored
        ("rollback", 0),
        # proceed: the two valid events are stored
        ("proceed", 2),
    ],
)
def test_invalid_event(repo: Repository, behaviour: str, stored: int) -> None:
    result = repo.capture(
        document(event("1"), INVALID, event("2")),
        behaviour="proceed" if behaviour == "proceed" else "rollback",
    )
    assert result.captured == stored == count(repo, schema.event)
    assert [p.event_index for p in result.rejected] == [1]
    assert result.rejected[0].rule == "aggregation.parent-required"
    assert count(repo, schema.event_epc) == stored
    job = repo.job(result.job_id)
    assert job is not None
    assert (job.running, job.success, job.rejected, job.captured) == (False, False, 1, stored)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        # JSON cut off in the middle of the event list
        (document(event("1"), event("2"))[:-40], "document.invalid"),
        # XML cut off
        (b"<epcis:EPCISDocument xmlns:epcis='urn:epcglobal:epcis:xsd:2'", "document.invalid"),
        # neither XML nor JSON
        (b"hello", "document.invalid"),
        # a DTD with an entity (XXE)
        (b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "document.unsafe"),
    ],
)
@pytest.mark.parametrize("behaviour", ["rollback", "proceed"])
def test_unreadable_document_stores_nothing(
    repo: Repository, data: bytes, rule: str, behaviour: str
) -> None:
    result = repo.capture(data, behaviour="proceed" if behaviour == "proceed" else "rollback")
    assert result.captured == 0 == count(repo, schema.event)
    assert [p.rule for p in result.rejected] == [rule]


def test_missing_file_is_a_problem(repo: Repository, tmp_path: Path) -> None:
    result = repo.capture(tmp_path / "absent.xml")
    assert result.captured == 0
    assert "absent.xml" in result.rejected[0].message


@pytest.mark.parametrize(
    "kind",
    [
        # raw bytes
        "bytes",
        # a file path
        "path",
        # a binary file object
        "stream",
        # a non-seekable binary stream
        "pipe",
        # an already parsed document
        "document",
    ],
)
def test_sources(repo: Repository, tmp_path: Path, kind: str) -> None:
    data = document(event("1"), event("2"))
    path = tmp_path / "doc.jsonld"
    path.write_bytes(data)

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    source: Any = {
        "bytes": data,
        "path": path,
        "stream": io.BytesIO(data),
        "pipe": Pipe(data),
        "document": read_jsonld(data),
    }[kind]
    result = repo.capture(source)
    assert result.captured == 2
    assert list(result.event_ids) == [event_hash(e) for e in read_jsonld(data).events]


def test_server_record_time_and_sequence(repo: Repository) -> None:
    first = repo.capture(document(event("1"), event("2")))
    second = repo.capture(document(event("3")))
    with repo.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                schema.event.c.seq, schema.event.c.event_id, schema.event.c.record_time
            ).order_by(schema.event.c.seq)
        ).all()
    assert [row.event_id for row in rows] == [*first.event_ids, *second.event_ids]
    assert rows[0].record_time == rows[1].record_time <= rows[2].record_time
    assert [row.seq for row in rows] == sorted({row.seq for row in rows})


def test_urn_and_digital_link_share_one_key(repo: Repository) -> None:
    repo.capture(document(event("7")))
    repo.capture(
        document(
            {
                **event("7"),
                "bizStep": "shipping",
                "epcList": ["https://example.com/01/10614141073464/21/7?17=261231"],
            }
        )
    )
    with repo.engine.connect() as conn:
        uris = conn.execute(sa.select(schema.epc.c.uri)).scalars().all()
    assert uris == ["https://id.gs1.org/01/10614141073464/21/7"]
    assert count(repo, schema.event_epc) == 2


def test_batches_keep_counts_and_atomicity(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_module, "BATCH_SIZE", 2)
    events = [event(str(n)) for n in range(7)] + [event("0"), event("6")]
    result = repo.capture(document(*events))
    assert (result.captured, result.duplicates) == (7, 2)
    failed = repo.capture(document(*(event(f"x{n}") for n in range(5)), INVALID))
    assert failed.captured == 0
    assert count(repo, schema.event) == 7


@pytest.mark.parametrize("behaviour", ["rollback", "proceed"])
def test_a_document_cut_off_after_written_batches_stores_nothing(
    repo: Repository, monkeypatch: pytest.MonkeyPatch, behaviour: str
) -> None:
    # batches are written while the reader (a second thread on PostgreSQL) is still reading:
    # a read error after them undoes them, and names the place where reading stopped
    monkeypatch.setattr(capture_module, "BATCH_SIZE", 3)
    whole = write_xml(read_jsonld(document(*(event(str(n)) for n in range(300)))), version="1.2")
    result = repo.capture(
        whole[:-200], behaviour="proceed" if behaviour == "proceed" else "rollback"
    )
    assert result.captured == 0 == count(repo, schema.event) == count(repo, schema.item_state)
    [problem] = result.rejected
    assert problem.rule == "document.invalid"
    assert problem.event_index is not None and 290 < problem.event_index < 300
    assert repo.capture(whole).captured == 300


def test_more_identifiers_than_the_key_cache_holds(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the identifier cache is cleared between batches when full; every batch must still find
    # all of its keys (a document naming more identifiers than the cache holds once failed)
    monkeypatch.setattr(capture_module, "BATCH_SIZE", 2)
    monkeypatch.setattr(capture_module, "_KEY_CACHE_LIMIT", 3)
    events = [event(str(n)) for n in range(6)] + [event("1", bizStep="shipping")]
    result = repo.capture(document(*events))
    assert not result.rejected
    assert result.captured == 7
    assert count(repo, schema.epc) == 6
    assert count(repo, schema.event_epc) == 7


def test_error_declaration_is_applied_to_the_stored_event(repo: Repository) -> None:
    original = repo.capture(document(event("1")))
    declaration = {
        **event("1"),
        "errorDeclaration": {
            "declarationTime": "2024-03-02T10:00:00Z",
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:3f8b1d52-2d3c-4f0e-9a51-6c1f0d9b7a01"],
        },
    }
    result = repo.capture(document(declaration))
    assert (result.captured, result.declared_ids) == (0, original.event_ids)
    stored = repo.event(original.event_ids[0])
    assert stored is not None and stored.error_declaration is not None
    assert stored.error_declaration.reason == "urn:epcglobal:cbv:er:incorrect_data"
    with repo.engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.event.c.error_declared, schema.event.c.error_reason)
        ).one()
        fixes = conn.execute(sa.select(schema.event_correction.c.corrective_event_id)).scalars()
        assert list(fixes) == ["urn:uuid:3f8b1d52-2d3c-4f0e-9a51-6c1f0d9b7a01"]
    assert tuple(row) == (True, "urn:epcglobal:cbv:er:incorrect_data")
    again = repo.capture(document(declaration))
    assert (again.captured, again.duplicates, again.declared_ids) == (0, 1, ())


def test_index_rows(repo: Repository) -> None:
    rich = {
        **event("9"),
        "bizTransactionList": [
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO1"}
        ],
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00000"}],
        "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0614141.00777.0"}],
        "persistentDisposition": {"set": ["completeness_verified"]},
        "bizLocation": {"id": "urn:epc:id:sgln:0614141.00888.0"},
        "example:lot": "L42",
        "example:temp": "21.5",
        "@context": [{"example": "http://ns.example.com/epcis/"}],
    }
    repo.capture(document(rich))
    with repo.engine.connect() as conn:
        biz = conn.execute(sa.select(schema.event_biz_transaction.c.type)).scalar_one()
        places = set(
            conn.execute(
                sa.select(schema.event_source_dest.c.kind, schema.event_source_dest.c.value)
            ).all()
        )
        location = conn.execute(sa.select(schema.event.c.biz_location)).scalar_one()
        fields = {
            row.name: (row.text_value, row.num_value)
            for row in conn.execute(sa.select(schema.event_field))
        }
        persistent = conn.execute(sa.select(schema.event_persistent_disposition.c.op)).scalar_one()
    assert biz == "urn:epcglobal:cbv:btt:po"
    assert places == {
        ("s", "https://id.gs1.org/417/0614141000005"),
        ("d", "https://id.gs1.org/414/0614141007776"),
    }
    assert location == "https://id.gs1.org/414/0614141008889"
    assert fields["http://ns.example.com/epcis/#lot"] == ("L42", None)
    assert fields["http://ns.example.com/epcis/#temp"][1] == pytest.approx(21.5)
    assert persistent == "s"
