"""Generated output: deterministic bytes, valid documents, the partners' formats."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from medtrace.epcis.model import AggregationEvent, ObjectEvent
from medtrace.epcis.validate_source import validate_file
from medtrace.epcis.xml_names import GS1USHC_NS
from medtrace.sim import generate
from tests.sim.conftest import SEED, TINY, Run


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_gives_identical_bytes(tiny: Run, tmp_path: Path) -> None:
    generate(tmp_path, scale=TINY, seed=SEED)
    again, first = tree(tmp_path), tree(tiny.root)
    assert sorted(again) == sorted(first)
    assert [name for name in first if first[name] != again[name]] == []


def test_different_seed_gives_different_output(tiny: Run, tmp_path: Path) -> None:
    generate(tmp_path, scale=TINY, seed=SEED + 1)
    other, first = tree(tmp_path), tree(tiny.root)
    assert other["ground_truth.json"] != first["ground_truth.json"]
    assert other["masterdata.json"] != first["masterdata.json"]


def test_every_document_validates_without_errors(tiny: Run) -> None:
    paths = sorted((tiny.root / "epcis").rglob("*.*"))
    assert len(paths) == tiny.summary.documents > 0
    failures = {}
    for path in paths:
        report = validate_file(path)
        if not report.ok:
            failures[path.name] = [problem.message for problem in report.errors]
    assert failures == {}


def test_summary_counts_what_the_readers_read(tiny: Run) -> None:
    docs = tiny.documents.values()
    assert sum(len(doc.events) for doc in docs) == tiny.summary.events
    assert tiny.summary.xml_documents == sum(1 for name in tiny.documents if name.endswith(".xml"))
    assert tiny.truth["totals"]["events"] == tiny.summary.events


@pytest.mark.parametrize(
    ("prefix", "schema", "shape"),
    [
        # manufacturer -> wholesaler: EPCIS 1.2 XML with SBDH, TS and master data (GS1 US IG R1.3)
        ("1-mfg-", "1.2", (True, True, True)),
        # DC internal records: plain EPCIS 2.0 JSON-LD
        ("2-dc-", "2.0", (False, False, False)),
        # wholesaler -> dispenser: JSON-LD with master data and the TS as a header extension
        ("3-ship-", "2.0", (False, True, True)),
        # dispenser records: plain EPCIS 2.0 JSON-LD
        ("4-disp-", "2.0", (False, False, False)),
    ],
)
def test_document_kinds_have_their_shape(
    tiny: Run, prefix: str, schema: str, shape: tuple[bool, bool, bool]
) -> None:
    sbdh, statement, master_data = shape  # SBDH, DSCSA statement, header master data
    found = {n: d for n, d in tiny.documents.items() if n.split("/")[-1].startswith(prefix)}
    assert found, prefix
    for name, doc in found.items():
        header = doc.header
        assert doc.schema_version == schema, name
        assert (header is not None and header.sbdh is not None) == sbdh, name
        has_statement = header is not None and (
            header.dscsa_transaction_statement is not None
            or any(e.namespace == GS1USHC_NS for e in header.extensions)
        )
        assert has_statement == statement, name
        assert (header is not None and len(header.master_data) == 2) == master_data, name


def test_manufacturer_documents_follow_the_dscsa_guideline(tiny: Run) -> None:
    for name, doc in tiny.documents.items():
        if not name.endswith(".xml"):
            continue
        assert doc.header is not None and doc.header.sbdh is not None
        steps = [e.biz_step.rsplit(":", 1)[-1] for e in doc.events if e.biz_step]
        assert steps[0] == "commissioning" and steps[-1] == "shipping", name
        commissioned = {
            epc
            for e in doc.events
            if isinstance(e, ObjectEvent) and e.action == "ADD"
            for epc in e.epc_list
        }
        packed = {
            epc for e in doc.events if isinstance(e, AggregationEvent) for epc in e.child_epcs
        }
        for event in doc.events:
            if isinstance(event, ObjectEvent) and event.action == "ADD":
                names = [x.name for x in event.ilmd]
                assert names == ["lotNumber", "itemExpirationDate"], name
        shipping = doc.events[-1]
        assert isinstance(shipping, ObjectEvent)
        kinds = sorted(t.type.rsplit(":", 1)[-1] for t in shipping.biz_transactions if t.type)
        assert kinds == ["desadv", "po"]
        assert {s.type.rsplit(":", 1)[-1] for s in shipping.sources} >= {"owning_party", "location"}
        classes = {e.id for e in doc.header.master_data[0].elements}
        for epc in commissioned:
            prefix = epc.rsplit(".", 1)[0].replace("urn:epc:id:sgtin:", "urn:epc:idpat:sgtin:")
            assert prefix + ".*" in classes, epc
        # every pack and case in a shipment document is commissioned in it
        assert {e for e in packed if ":sgtin:" in e} <= commissioned, name


def test_every_identifier_has_its_master_data(tiny: Run) -> None:
    classes = {p["unit_class"] for p in tiny.masterdata["products"]}
    classes |= {p["case_class"] for p in tiny.masterdata["products"]}
    sglns = {
        site["sgln"]
        for party in tiny.masterdata["parties"]
        for site in (party["headquarters"], *party["sites"])
    }
    for doc in tiny.documents.values():
        for event in doc.events:
            epcs = event.epc_list if isinstance(event, ObjectEvent) else ()
            for epc in epcs:
                if ":sgtin:" in epc:
                    pattern = epc.rsplit(".", 1)[0].replace(":id:sgtin:", ":idpat:sgtin:")
                    assert pattern + ".*" in classes, epc
            if event.biz_location is not None:
                assert event.biz_location.id.rsplit(".", 1)[0] + ".0" in sglns


def test_capture_in_file_name_order_respects_every_history(tiny: Run) -> None:
    # clones and diverted packs surface at a second dispenser whose document may sort first
    cloned = {e["epc"] for e in (*tiny.incidents("clone"), *tiny.incidents("diversion"))}
    last_seen: dict[str, tuple[str, datetime]] = {}
    late = []
    for name in sorted(tiny.documents):
        for event in tiny.documents[name].events:
            names: tuple[str, ...] = event.epc_list if isinstance(event, ObjectEvent) else ()
            if isinstance(event, AggregationEvent):
                names = (*((event.parent_id,) if event.parent_id else ()), *event.child_epcs)
            for epc in names:
                seen = last_seen.get(epc)
                if seen is not None and seen[1] > event.event_time and epc not in cloned:
                    late.append((epc, seen[0], name))
                last_seen[epc] = (name, event.event_time)
    assert late == []
