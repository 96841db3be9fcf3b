"""Every XML document of the conformance corpus: read, write 2.0 (and 1.2), read back equal.

Files that our reader must refuse are listed in ``REJECTED`` with the error expected.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from medtrace.epcis.errors import EpcisDocumentError, EpcisError, UnsafeDocumentError
from medtrace.epcis.model import EPCISDocument, ObjectEvent
from medtrace.epcis.xml_reader import read_xml, read_xml_event
from medtrace.epcis.xml_safety import XmlLimits
from medtrace.epcis.xml_writer import write_xml
from tests.conftest import conformance_path

pytestmark = pytest.mark.conformance


def _corpus() -> list[str]:
    root = conformance_path()
    found = [p for p in root.glob("gs1-epcis/XML/**/*.xml") if "CaptureJob" not in p.parts]
    found += root.glob("gs1-epcis/XML-1.2/*.xml")
    found += root.glob("dscsa/**/*.xml")
    found += root.glob("event-hash/examples/*.xml")
    found += [
        p
        for p in root.glob("openepcis/test-resources/*/**/XML/**/*.xml")
        if "Invalid" not in p.parts
    ]
    return sorted(str(p.relative_to(root)) for p in found)


FILES = _corpus()
OPENEPCIS = "openepcis/test-resources/"
# The GS1 examples that start with "<!DOCTYPE project>": refused by default (no DTD at all).
EMPTY_DOCTYPE = {
    f
    for f in FILES
    if f.startswith(
        ("gs1-epcis/XML/WithEventHashID/", "gs1-epcis/XML/WithFullCombinationOfFields/")
    )
}
BARE_EVENTS = {
    OPENEPCIS + "1.2/EPCIS/XML/Capture/Documents/Single_event.xml",
    OPENEPCIS + "1.2/EPCIS/XML/Capture/Documents/Single_event_with_namespace.xml",
    *(f for f in FILES if "/XML/Capture/Events/" in f),
}
REJECTED: dict[str, str] = {
    # a declarationTime without seconds is not an xsd:dateTime
    OPENEPCIS + "1.2/EPCIS/XML/Capture/Documents/TransactionEvent_all_possible_fields.xml": (
        "2006-11-07T13:00Z"
    ),
    OPENEPCIS + "2.0/EPCIS/XML/Query/ObjectEventWithAllPossibleFields.xml": "2006-11-07T13:00Z",
    OPENEPCIS + "2.0/EPCIS/XML/Query/TransformationEvent_with_error_declaration.xml": (
        "2020-01-14T23:00Z"
    ),
    # creationDate is a required attribute
    OPENEPCIS + "2.0/EPCIS/XML/Query/Combination_of_different_event.xml": "creationDate",
    # a Poll request, not a query result document
    OPENEPCIS + "2.0/EPCIS/XML/Query/Queries/SimpleEventQuery.xml": "QueryResults",
    # tool-specific layout without EPCISBody/QueryResults
    "event-hash/examples/epcisXmlQueryDocHavingEventWithIgnoreFields.xml": "QueryResults",
    **dict.fromkeys(BARE_EVENTS, "read_xml_event"),
}


def test_corpus_found() -> None:
    assert len(FILES) > 100
    assert len(EMPTY_DOCTYPE) == 12


def _same_document(back: EPCISDocument, doc: EPCISDocument) -> None:
    assert back.events == doc.events
    expected = msgspec.structs.replace(
        doc,
        schema_version=back.schema_version,
        query_name=doc.query_name or ("SimpleEventQuery" if doc.kind == "query" else None),
    )
    assert back == expected


@pytest.mark.parametrize("name", [f for f in FILES if f not in REJECTED])
def test_read_write_read(conformance_dir: Path, name: str) -> None:
    path = conformance_dir / name
    if name in EMPTY_DOCTYPE:
        with pytest.raises(UnsafeDocumentError, match="<!DOCTYPE project>"):
            read_xml(path, XmlLimits(allow_empty_doctype=False))
        doc = read_xml(path)
    else:
        doc = read_xml(path)
    assert doc.events or doc.vocabularies or doc.header
    _same_document(read_xml(write_xml(doc, version="2.0")), doc)
    _same_document(read_xml(write_xml(doc, version="1.2")), doc)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(conformance_dir: Path, name: str) -> None:
    with pytest.raises(EpcisDocumentError) as caught:
        read_xml(conformance_dir / name)
    assert REJECTED[name] in str(caught.value)


@pytest.mark.parametrize("name", sorted(BARE_EVENTS))
def test_bare_events_read_as_single_events(conformance_dir: Path, name: str) -> None:
    event = read_xml_event(conformance_dir / name)
    assert event.event_time.tzinfo is not None


def test_dscsa_guideline_example(conformance_dir: Path) -> None:
    doc = read_xml(
        conformance_dir / "dscsa/gs1us-guideline-example/GS1_US_Pharma_Example_2_2_1_1.xml"
    )
    assert doc.schema_version == "1.2"
    header = doc.header
    assert header is not None
    sbdh = header.sbdh
    assert sbdh is not None
    assert sbdh.senders[0].identifier == "urn:epc:id:sgln:030001.111111.0"
    assert sbdh.senders[0].authority == "GS1"
    assert sbdh.receivers[0].identifier == "urn:epc:id:sgln:039999.999999.0"
    assert sbdh.document_identification.instance_identifier == "1100220001"
    assert sbdh.document_identification.type == "Events"
    products, locations = header.master_data
    assert products.type == "urn:epcglobal:epcis:vtype:EPCClass"
    lsu = products.elements[0]
    assert lsu.id == "urn:epc:idpat:sgtin:030001.0012345.*"
    attrs = {a.id.split("#")[1]: a.value for a in lsu.attributes}
    assert attrs["additionalTradeItemIdentification"] == "0001-0123-45"
    assert attrs["additionalTradeItemIdentificationTypeCode"] == "US_FDA_NDC"
    assert attrs["regulatedProductName"] == "Epcistra"
    assert attrs["dosageFormType"] == "PILL"
    assert attrs["strengthDescription"] == "100mg"
    assert locations.elements[2].attributes[0].value == "GS1 Drug Distributor"
    statement = header.dscsa_transaction_statement
    assert statement is not None
    assert statement.affirm_transaction_statement is True
    assert statement.legal_notice is not None
    assert statement.legal_notice.startswith("Seller has complied")
    assert [(e.name, e.value) for e in header.extensions] == [
        ("guidelineVersion", "GS1 US DSCSA R1.3")
    ]
    first = doc.events[0]
    assert isinstance(first, ObjectEvent)
    assert len(first.epc_list) == 12
    assert first.biz_step == "urn:epcglobal:cbv:bizstep:commissioning"
    assert [(e.name, e.value) for e in first.ilmd] == [
        ("lotNumber", "A123"),
        ("itemExpirationDate", "2025-03-27"),
    ]
    shipping = [e for e in doc.events if e.biz_step == "urn:epcglobal:cbv:bizstep:shipping"]
    assert shipping
    assert {bt.type for bt in shipping[0].biz_transactions} >= {"urn:epcglobal:cbv:btt:po"}
    assert {s.type for s in shipping[0].sources} == {
        "urn:epcglobal:cbv:sdt:owning_party",
        "urn:epcglobal:cbv:sdt:location",
    }


def test_sensor_values_are_exact_and_canonical(conformance_dir: Path) -> None:
    doc = read_xml(conformance_dir / "gs1-epcis/XML/WithSensorData/SensorDataExamples.xml")
    report = doc.events[0].sensor_elements[0].reports[0]
    assert (report.type, report.value, report.uom) == (
        "https://gs1.org/voc/Temperature",
        Decimal("26.0"),
        "CEL",
    )


def test_errors_are_epcis_errors() -> None:
    assert issubclass(UnsafeDocumentError, EpcisError)
