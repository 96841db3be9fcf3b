"""The benchmark document generator: deterministic, well-formed, valid, readable by medtrace."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import orjson
import pytest
from benchmarks.generate import FORMATS, Format, GenerationStats, generate
from lxml import etree

from medtrace.epcis.hashing import event_hash
from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld
from medtrace.epcis.model import AggregationEvent, EPCISDocument, Event, ObjectEvent
from medtrace.epcis.xml_reader import read_xml
from medtrace.gs1.checkdigit import is_valid
from medtrace.gs1.epc import SglnUrn, SgtinUrn, SsccUrn
from medtrace.gs1.ndc import Ndc

SHIPMENTS = 8  # a few hundred events: 8 shipments of 1-3 pallets of ~33 events each


def _make(fmt: Format, seed: int = 11, shipments: int = SHIPMENTS) -> tuple[bytes, GenerationStats]:
    out = io.BytesIO()
    stats = generate(fmt, out, shipments=shipments, seed=seed)
    return out.getvalue(), stats


@pytest.fixture(scope="module")
def xml_doc() -> tuple[bytes, GenerationStats]:
    return _make("xml12")


@pytest.fixture(scope="module")
def json_doc() -> tuple[bytes, GenerationStats]:
    return _make("jsonld")


@pytest.fixture(scope="module")
def xml_model(xml_doc: tuple[bytes, GenerationStats]) -> EPCISDocument:
    return read_xml(xml_doc[0])


@pytest.fixture(scope="module")
def json_model(json_doc: tuple[bytes, GenerationStats]) -> EPCISDocument:
    return read_jsonld(json_doc[0])


def _epc_refs(event: Event) -> int:
    if isinstance(event, AggregationEvent):
        return len(event.child_epcs) + (1 if event.parent_id else 0)
    assert isinstance(event, ObjectEvent)
    return len(event.epc_list)


# --------------------------------------------------------------------------- determinism, size


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_same_bytes(fmt: Format) -> None:
    first, stats = _make(fmt, seed=5)
    second, _ = _make(fmt, seed=5)
    assert first == second
    assert stats.bytes == len(first)
    assert 100 <= stats.events <= 1000  # "a few hundred events"


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_seed_other_bytes(fmt: Format) -> None:
    assert _make(fmt, seed=5)[0] != _make(fmt, seed=6)[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_size_target_is_reached_within_one_shipment(fmt: Format) -> None:
    out = io.BytesIO()
    stats = generate(fmt, out, size_bytes=600_000, seed=3)
    assert stats.bytes == len(out.getvalue())
    # At or past the target, by less than one shipment (<= 3 pallets of ~100 kB).
    assert 600_000 <= stats.bytes < 600_000 + 400_000


def test_one_limit_is_required() -> None:
    with pytest.raises(ValueError, match="size_bytes or shipments"):
        generate("xml12", io.BytesIO())


# --------------------------------------------------------------------------- well-formed


def test_xml_is_well_formed_epcis_12(xml_doc: tuple[bytes, GenerationStats]) -> None:
    data, stats = xml_doc
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    assert root.tag == "{urn:epcglobal:epcis:xsd:1}EPCISDocument"
    assert root.get("schemaVersion") == "1.2"
    events = root.find("EPCISBody/EventList")
    assert events is not None
    assert len(events) == stats.events
    assert (
        sum(1 for e in events if e.tag == "AggregationEvent") == stats.by_type["AggregationEvent"]
    )
    refs = (
        len(root.findall("EPCISBody/EventList/*/epcList/epc"))
        + len(root.findall("EPCISBody/EventList/*/childEPCs/epc"))
        + len(root.findall("EPCISBody/EventList/*/parentID"))
    )
    assert refs == stats.epc_refs


def test_jsonld_is_well_formed(json_doc: tuple[bytes, GenerationStats]) -> None:
    data, stats = json_doc
    doc = orjson.loads(data)
    assert doc["type"] == "EPCISDocument"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    events = doc["epcisBody"]["eventList"]
    assert len(events) == stats.events
    # Bare CBV words (EPCIS 2.0 JSON-LD), not URNs.
    assert {e["bizStep"] for e in events} == {"commissioning", "packing", "shipping"}


# --------------------------------------------------------------------------- identifiers


def test_identifiers_are_valid(xml_model: EPCISDocument) -> None:
    serials: set[str] = set()
    leading_zero = alphanumeric = 0
    for event in xml_model.events:
        if isinstance(event, ObjectEvent) and event.action == "ADD":
            for epc in event.epc_list:
                urn = SgtinUrn.parse(epc)
                gtin = urn.gtin.value
                # NDC-based GTIN-14: "003" + NDC10 + a correct check digit.
                assert gtin.startswith("003") and is_valid(gtin)
                Ndc.from_gtin(urn.gtin)
                assert epc not in serials, "serials are unique per GTIN"
                serials.add(epc)
                leading_zero += urn.serial.startswith("0")
                alphanumeric += not urn.serial.isdigit()
        if isinstance(event, AggregationEvent):
            assert event.parent_id is not None
            assert is_valid(SsccUrn.parse(event.parent_id).to_key().value)
        for loc in (event.read_point, event.biz_location):
            if loc is not None:
                SglnUrn.parse(loc.id)
        for bt in event.biz_transactions:
            gln = re.fullmatch(r"urn:epcglobal:cbv:bt:(\d{13}):\w+", bt.value)
            assert gln is not None and is_valid(gln.group(1)), bt.value
    assert leading_zero > 0, "some serials keep leading zeros"
    assert alphanumeric > 0, "some serials are alphanumeric"


# --------------------------------------------------------------------------- read back


def test_xml_reads_back(xml_doc: tuple[bytes, GenerationStats], xml_model: EPCISDocument) -> None:
    stats = xml_doc[1]
    assert len(xml_model.events) == stats.events
    assert sum(_epc_refs(e) for e in xml_model.events) == stats.epc_refs
    header = xml_model.header
    assert header is not None and header.sbdh is not None
    assert header.sbdh.senders[0].identifier.startswith("urn:epc:id:sgln:")
    assert {v.type for v in header.master_data} == {
        "urn:epcglobal:epcis:vtype:EPCClass",
        "urn:epcglobal:epcis:vtype:Location",
    }
    assert header.dscsa_transaction_statement is not None
    first = xml_model.events[0]
    assert isinstance(first, ObjectEvent)
    assert first.biz_step == "urn:epcglobal:cbv:bizstep:commissioning"
    assert {n.name for n in first.ilmd} == {"lotNumber", "itemExpirationDate"}
    shipping = xml_model.events[-1]
    assert shipping.biz_step == "urn:epcglobal:cbv:bizstep:shipping"
    assert {t.type for t in shipping.biz_transactions} == {
        "urn:epcglobal:cbv:btt:po",
        "urn:epcglobal:cbv:btt:desadv",
    }
    assert len(shipping.sources) == len(shipping.destinations) == 2


def test_jsonld_reads_back(
    json_doc: tuple[bytes, GenerationStats], json_model: EPCISDocument
) -> None:
    data, stats = json_doc
    assert len(json_model.events) == stats.events
    assert sum(_epc_refs(e) for e in json_model.events) == stats.epc_refs
    assert json_model.header is not None and len(json_model.header.master_data) == 2
    streamed = list(iter_jsonld_events(io.BytesIO(data)))
    assert len(streamed) == stats.events


def test_both_syntaxes_carry_the_same_events(
    xml_model: EPCISDocument, json_model: EPCISDocument
) -> None:
    # Same seed, same content: the CBV 2.0 event hashes agree event by event.
    assert [event_hash(e) for e in xml_model.events] == [event_hash(e) for e in json_model.events]


@pytest.mark.skipif(
    importlib.util.find_spec("medtrace.epcis.validate") is None,
    reason="medtrace.epcis.validate is not written yet",
)
def test_generated_events_validate(xml_model: EPCISDocument, json_model: EPCISDocument) -> None:
    from medtrace.epcis.validate import validate_document

    # Not even warnings: the generated documents are clean DSCSA data.
    assert validate_document(xml_model, syntax="xml") == []
    assert validate_document(json_model, syntax="jsonld") == []


# --------------------------------------------------------------------------- command line, docs


def test_cli_generate_writes_the_same_bytes(tmp_path: Path) -> None:
    from benchmarks.__main__ import main

    target = tmp_path / "dscsa.xml"
    assert main(["generate", "--format", "xml12", "--size-mb", "0.3", "-o", str(target)]) == 0
    out = io.BytesIO()
    generate("xml12", out, size_bytes=300_000, seed=1)
    assert target.read_bytes() == out.getvalue()


def test_update_docs_replaces_only_between_markers(tmp_path: Path) -> None:
    from benchmarks.__main__ import update_docs

    docs = tmp_path / "benchmarks.md"
    docs.write_text("intro\n<!-- BEGIN w -->\nold\n<!-- END w -->\noutro\n")
    assert update_docs("w", "new table\n", docs)
    assert docs.read_text() == "intro\n<!-- BEGIN w -->\nnew table\n<!-- END w -->\noutro\n"
    assert not update_docs("w", "new table\n", docs)  # unchanged the second time
    assert update_docs("other", "x", docs)  # absent markers: a section is appended
    assert docs.read_text().endswith("<!-- BEGIN other -->\nx\n<!-- END other -->\n")
