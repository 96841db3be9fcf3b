"""Unit tests of EPCIS validation: rules, locations, streaming, file-level reading."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    ErrorDeclaration,
    Event,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)
from medtrace.epcis.validate import (
    RULES,
    has_errors,
    iter_validated,
    validate_document,
    validate_event,
)
from medtrace.epcis.validate_source import sniff_syntax, validate_bytes, validate_file

T0 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
SGTIN = "urn:epc:id:sgtin:0614141.107346.2017"
SSCC = "urn:epc:id:sscc:0614141.1234567890"
LGTIN = "urn:epc:class:lgtin:4012345.012345.998877"
EX = "https://ns.example.com/epcis/"


def _common(fields: dict[str, Any]) -> dict[str, Any]:
    return {"event_time": T0, "event_time_zone_offset": "+02:00", **fields}


def obj(**fields: Any) -> ObjectEvent:
    return ObjectEvent(**_common({"action": "OBSERVE", "epc_list": (SGTIN,), **fields}))


def agg(**fields: Any) -> AggregationEvent:
    return AggregationEvent(
        **_common({"action": "ADD", "parent_id": SSCC, "child_epcs": (SGTIN,), **fields})
    )


def assoc(**fields: Any) -> AssociationEvent:
    base = {"action": "ADD", "parent_id": "urn:epc:id:grai:4012345.55555.987", **fields}
    return AssociationEvent(**_common({"child_epcs": (SGTIN,), **base}))


def txn(**fields: Any) -> TransactionEvent:
    po = (BizTransaction(value="urn:epcglobal:cbv:bt:0614141073467:1152"),)
    return TransactionEvent(
        **_common({"action": "ADD", "epc_list": (SGTIN,), "biz_transactions": po, **fields})
    )


def xform(**fields: Any) -> TransformationEvent:
    return TransformationEvent(
        **_common({"input_epcs": (SGTIN,), "output_epcs": (SSCC,), **fields})
    )


def report(**fields: Any) -> ObjectEvent:
    return obj(sensor_elements=(SensorElement(reports=(SensorReport(**fields),)),))


def rules(event: Event) -> list[tuple[str, str]]:
    return [(p.rule, p.severity) for p in validate_event(event)]


# --------------------------------------------------------------------------- valid events


@pytest.mark.parametrize(
    "event",
    [
        # plain OBSERVE with one SGTIN
        obj(),
        # quantity with a UN/CEFACT unit and a fractional amount
        obj(quantity_list=(QuantityElement(epc_class=LGTIN, quantity=Decimal("2.5"), uom="KGM"),)),
        # Digital Link EPC and class, CBV values in their canonical form
        obj(
            epc_list=("https://id.gs1.org/01/09521141012345/21/2017",),
            quantity_list=(QuantityElement(epc_class="https://id.gs1.org/01/09521141012345"),),
            biz_step="urn:epcglobal:cbv:bizstep:shipping",
            disposition="urn:epcglobal:cbv:disp:in_transit",
        ),
        # user-defined bizStep URI outside the CBV namespace
        obj(biz_step="https://example.com/steps/wrapping"),
        # sensor-only observation of a place
        obj(
            epc_list=(),
            read_point=Location(id="urn:epc:id:sgln:4012345.00005.0"),
            sensor_elements=(
                SensorElement(
                    reports=(
                        SensorReport(type="https://gs1.org/voc/Temperature", value=Decimal(4)),
                    )
                ),
            ),
        ),
        # ILMD on a commissioning ADD, qualified with cbvmda
        obj(
            action="ADD",
            ilmd=(Extension(namespace="urn:epcglobal:cbv:mda", name="lotNumber", value="L1"),),
        ),
        # aggregation DELETE without children means "all children"
        agg(action="DELETE", child_epcs=()),
        # aggregation OBSERVE may omit parentID
        agg(action="OBSERVE", parent_id=None),
        # transaction DELETE without objects
        txn(action="DELETE", epc_list=()),
        # transformation with inputs only, linked by transformationID
        xform(output_epcs=(), transformation_id="urn:epc:id:gdti:0614141.12345.400"),
        # association DELETE with its parent and no children
        assoc(action="DELETE", child_epcs=()),
        # eventTimeZoneOffset at the +14:00 bound, hash eventID, PGLN/SGLN source and dest
        obj(
            event_time_zone_offset="+14:00",
            event_id="ni:///sha-256;" + "0f" * 32 + "?ver=CBV2.0",
            sources=(
                SourceDest(
                    type="urn:epcglobal:cbv:sdt:owning_party", value="urn:epc:id:pgln:0614141.00777"
                ),
            ),
            destinations=(
                SourceDest(
                    type="urn:epcglobal:cbv:sdt:location", value="urn:epc:id:sgln:0614141.00777.0"
                ),
            ),
        ),
        # error declaration with a CBV reason and a urn:uuid corrective event
        obj(
            error_declaration=ErrorDeclaration(
                declaration_time=T0,
                reason="urn:epcglobal:cbv:er:incorrect_data",
                corrective_event_ids=("urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8",),
            )
        ),
    ],
)
def test_valid_event_has_no_problem(event: Event) -> None:
    assert validate_event(event) == []


# --------------------------------------------------------------------------- rule table


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # ObjectEvent naming nothing
        (obj(epc_list=()), ("object.what-required", "")),
        # ILMD on an OBSERVE
        (
            obj(ilmd=(Extension(namespace=EX, name="x", value="1"),)),
            ("object.ilmd-not-add", "/ilmd"),
        ),
        # aggregation ADD without parent
        (agg(parent_id=None), ("aggregation.parent-required", "/parentID")),
        # aggregation DELETE without parent
        (agg(action="DELETE", parent_id=None), ("aggregation.parent-required", "/parentID")),
        # aggregation ADD without children
        (agg(child_epcs=()), ("aggregation.children-required", "")),
        # association OBSERVE still needs its parent (XSD minOccurs=1)
        (assoc(action="OBSERVE", parent_id=None), ("association.parent-required", "/parentID")),
        # association ADD without children
        (assoc(child_epcs=()), ("association.children-required", "")),
        # transaction without a business transaction
        (txn(biz_transactions=()), ("transaction.biz-transaction-required", "/bizTransactionList")),
        # transaction ADD naming nothing
        (txn(epc_list=()), ("transaction.what-required", "")),
        # transformation without inputs or outputs
        (xform(input_epcs=(), output_epcs=()), ("transformation.what-required", "")),
        # transformation with outputs only and no transformationID
        (xform(input_epcs=()), ("transformation.inputs-and-outputs-required", "")),
        # time zone offset beyond +14:00
        (obj(event_time_zone_offset="+14:30"), ("time.timezone-offset", "/eventTimeZoneOffset")),
        # time zone offset without colon
        (obj(event_time_zone_offset="+0200"), ("time.timezone-offset", "/eventTimeZoneOffset")),
        # naive record time
        (obj(record_time=datetime(2024, 1, 1)), ("time.timezone-missing", "/recordTime")),
        # eventID that is no URI
        (obj(event_id="event-1"), ("event.id", "/eventID")),
        # malformed urn:uuid eventID
        (obj(event_id="urn:uuid:1234"), ("event.id", "/eventID")),
        # certificationInfo that is no URI
        (
            obj(certification_info=("certified",)),
            ("event.certification-info", "/certificationInfo/0"),
        ),
        # corrective event ID that is no URI
        (
            obj(
                error_declaration=ErrorDeclaration(declaration_time=T0, corrective_event_ids=("x",))
            ),
            ("error-declaration.corrective-id", "/errorDeclaration/correctiveEventIDs/0"),
        ),
        # misspelt CBV URN business step
        (obj(biz_step="urn:epcglobal:cbv:bizstep:shippping"), ("cbv.biz-step", "/bizStep")),
        # bare word that is no CBV business step
        (obj(biz_step="transforming"), ("cbv.biz-step", "/bizStep")),
        # a disposition URN used as business step
        (obj(biz_step="urn:epcglobal:cbv:disp:in_transit"), ("cbv.biz-step", "/bizStep")),
        # unknown CBV web-URI disposition
        (
            obj(disposition="https://ref.gs1.org/cbv/Disp-in_transport"),
            ("cbv.disposition", "/disposition"),
        ),
        # unknown persistent disposition
        (
            obj(persistent_disposition=PersistentDisposition(set=("urn:epcglobal:cbv:disp:gone",))),
            ("cbv.disposition", "/persistentDisposition/set/0"),
        ),
        # unknown business transaction type
        (
            txn(
                biz_transactions=(
                    BizTransaction(value="urn:x:1", type="urn:epcglobal:cbv:btt:order"),
                )
            ),
            ("cbv.biz-transaction-type", "/bizTransactionList/0/type"),
        ),
        # bare non-CBV source type
        (
            obj(sources=(SourceDest(type="place", value="urn:epc:id:sgln:0614141.00777.0"),)),
            ("cbv.source-dest-type", "/sourceList/0/type"),
        ),
        # unknown error reason
        (
            obj(
                error_declaration=ErrorDeclaration(
                    declaration_time=T0, reason="urn:epcglobal:cbv:er:oops"
                )
            ),
            ("cbv.error-reason", "/errorDeclaration/reason"),
        ),
        # SGTIN URN with too few item-reference digits
        (obj(epc_list=("urn:epc:id:sgtin:0614141.81234.6789",)), ("identifier.epc", "/epcList/0")),
        # Digital Link with a wrong GTIN check digit
        (
            obj(epc_list=("https://id.gs1.org/01/09521141012346/21/1",)),
            ("identifier.epc", "/epcList/0"),
        ),
        # Digital Link serial with a character outside set 82
        (
            obj(epc_list=("https://id.gs1.org/01/09521141012345/21/a%20b",)),
            ("identifier.epc", "/epcList/0"),
        ),
        # EPC URI scheme that does not exist
        (obj(epc_list=("urn:epc:id:sgtn:0614141.107346.2017",)), ("identifier.epc", "/epcList/0")),
        # EPC that is no URI at all
        (obj(epc_list=("0614141107346",)), ("identifier.epc", "/epcList/0")),
        # parentID SSCC with the wrong length
        (agg(parent_id="urn:epc:id:sscc:0614141.123456789"), ("identifier.epc", "/parentID")),
        # invalid LGTIN class
        (
            obj(quantity_list=(QuantityElement(epc_class="urn:epc:class:lgtin:061414.1.L"),)),
            ("identifier.epc-class", "/quantityList/0/epcClass"),
        ),
        # invalid SGLN read point
        (
            obj(read_point=Location(id="urn:epc:id:sgln:0614141.0734.0")),
            ("identifier.location", "/readPoint/id"),
        ),
        # invalid PGLN destination
        (
            obj(
                destinations=(
                    SourceDest(
                        type="urn:epcglobal:cbv:sdt:owning_party",
                        value="urn:epc:id:pgln:0614141.0077",
                    ),
                )
            ),
            ("identifier.source-destination", "/destinationList/0/destination"),
        ),
        # negative quantity
        (
            obj(quantity_list=(QuantityElement(epc_class=LGTIN, quantity=Decimal(-1)),)),
            ("quantity.negative", "/quantityList/0/quantity"),
        ),
        # infinite quantity
        (
            obj(
                quantity_list=(
                    QuantityElement(epc_class=LGTIN, quantity=Decimal("Infinity"), uom="KGM"),
                )
            ),
            ("quantity.not-finite", "/quantityList/0/quantity"),
        ),
        # fractional count without uom
        (
            obj(quantity_list=(QuantityElement(epc_class=LGTIN, quantity=Decimal("1.5")),)),
            ("quantity.not-integral", "/quantityList/0/quantity"),
        ),
        # lower-case uom
        (
            obj(quantity_list=(QuantityElement(epc_class=LGTIN, quantity=Decimal(1), uom="kgm"),)),
            ("quantity.uom-format", "/quantityList/0/uom"),
        ),
        # uom without quantity
        (
            obj(quantity_list=(QuantityElement(epc_class=LGTIN, uom="KGM"),)),
            ("quantity.uom-without-quantity", "/quantityList/0/uom"),
        ),
        # sensor value without a type
        (
            report(value=Decimal(3)),
            ("sensor.type-required", "/sensorElementList/0/sensorReport/0/type"),
        ),
        # minValue above maxValue
        (
            report(
                type="https://gs1.org/voc/Temperature", min_value=Decimal(5), max_value=Decimal(4)
            ),
            ("sensor.min-max", "/sensorElementList/0/sensorReport/0/minValue"),
        ),
        # percRank above 100
        (
            report(type="https://gs1.org/voc/Temperature", perc_rank=Decimal(101)),
            ("sensor.perc-rank", "/sensorElementList/0/sensorReport/0/percRank"),
        ),
        # negative standard deviation
        (
            report(type="https://gs1.org/voc/Temperature", s_dev=Decimal(-1)),
            ("sensor.sdev-negative", "/sensorElementList/0/sensorReport/0/sDev"),
        ),
        # sensor uom with a space
        (
            report(type="https://gs1.org/voc/Temperature", value=Decimal(1), uom="C L"),
            ("sensor.uom-format", "/sensorElementList/0/sensorReport/0/uom"),
        ),
        # odd-length hexBinary
        (
            report(hex_binary_value="abc"),
            ("sensor.hex-binary", "/sensorElementList/0/sensorReport/0/hexBinaryValue"),
        ),
        # unknown CBV component
        (
            report(component="https://ref.gs1.org/cbv/Comp-w"),
            ("cbv.component", "/sensorElementList/0/sensorReport/0/component"),
        ),
        # sensor deviceID that claims SGTIN form but is malformed
        (
            report(device_id="urn:epc:id:sgtin:1.2.3"),
            ("sensor.uri", "/sensorElementList/0/sensorReport/0/deviceID"),
        ),
        # event-level extension without namespace
        (
            obj(extensions=(Extension(namespace="", name="madeUp", value="x"),)),
            ("extension.namespace-missing", "/madeUp"),
        ),
        # extension namespace that is no URI
        (
            obj(extensions=(Extension(namespace="example", name="f", value="x"),)),
            ("extension.namespace-invalid", "/{example}f"),
        ),
        # extension in the EPCIS namespace
        (
            obj(
                extensions=(
                    Extension(
                        namespace="urn:epcglobal:epcis:xsd:2", name="f", prefix="epcis", value="x"
                    ),
                )
            ),
            ("extension.namespace-reserved", "/epcis:f"),
        ),
        # ILMD member without namespace (OpenEPCIS invalid case)
        (
            obj(action="ADD", ilmd=(Extension(namespace="", name="materialType", value="soil"),)),
            ("extension.namespace-missing", "/ilmd/materialType"),
        ),
        # read point extension without namespace
        (
            obj(
                read_point=Location(
                    id="urn:epc:id:sgln:0614141.07346.1234",
                    extensions=(Extension(namespace="", name="x"),),
                )
            ),
            ("extension.namespace-missing", "/readPoint/x"),
        ),
    ],
)
def test_rule_reports_error_at_location(event: Event, expected: tuple[str, str]) -> None:
    problems = validate_event(event)
    assert [(p.rule, p.location, p.severity) for p in problems] == [(*expected, "error")]
    assert expected[0] in RULES


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # LGTIN class in an epcList
        (obj(epc_list=(LGTIN,)), [("identifier.epc-kind", "warning")]),
        # GTIN-only Digital Link in an epcList
        (
            obj(epc_list=("https://id.gs1.org/01/09521141012345",)),
            [("identifier.epc-kind", "warning")],
        ),
        # serialised Digital Link as a quantity class
        (
            obj(
                quantity_list=(
                    QuantityElement(epc_class="https://id.gs1.org/01/09521141012345/21/1"),
                )
            ),
            [("identifier.epc-class-kind", "warning")],
        ),
        # SGTIN URN as a quantity class
        (
            obj(quantity_list=(QuantityElement(epc_class=SGTIN),)),
            [("identifier.epc-class-kind", "warning")],
        ),
        # Digital Link of a GTIN as read point
        (
            obj(read_point=Location(id="https://id.gs1.org/01/09521141012345")),
            [("identifier.location-kind", "warning")],
        ),
        # CBV web URI with the type prefix in another case
        (
            obj(biz_step="https://ref.gs1.org/cbv/Bizstep-sensor_reporting"),
            [("cbv.biz-step", "warning")],
        ),
        # GS1 Web Vocabulary measurement type outside the CBV 2.0 list
        (
            report(type="https://gs1.org/voc/EffectiveDoseRate", value=Decimal(1)),
            [("cbv.measurement-type", "warning")],
        ),
        # sensor interval ending before it starts
        (
            obj(
                sensor_elements=(
                    SensorElement(
                        metadata=SensorMetadata(start_time=T0.replace(hour=9), end_time=T0)
                    ),
                )
            ),
            [("sensor.interval", "warning")],
        ),
    ],
)
def test_rule_reports_warning(event: Event, expected: list[tuple[str, str]]) -> None:
    assert rules(event) == expected
    assert not has_errors(validate_event(event))


@pytest.mark.parametrize(
    ("schema_version", "severity"),
    [
        # EPCIS 1.2 ##local extension element: tolerated
        ("1.2", "warning"),
        # the same element in an EPCIS 2.0 document: an error
        ("2.0", "error"),
    ],
)
def test_unqualified_extension_severity_depends_on_version(
    schema_version: str, severity: str
) -> None:
    event = obj(extensions=(Extension(namespace="", name="legacyField", value="x"),))
    problems = validate_event(event, schema_version=schema_version)
    assert [(p.rule, p.severity) for p in problems] == [("extension.namespace-missing", severity)]


# --------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("syntax", "kind", "location"),
    [
        # JSON pointer into a capture document
        ("jsonld", "document", "/epcisBody/eventList/3/childEPCs/1"),
        # XPath-like path, 1-based positions
        ("xml", "document", "/EPCISDocument/EPCISBody/EventList/*[4]/childEPCs/epc[2]"),
        # JSON pointer into a query document
        ("jsonld", "query", "/epcisBody/queryResults/resultsBody/eventList/3/childEPCs/1"),
        # XPath-like path into a query document
        (
            "xml",
            "query",
            "/EPCISQueryDocument/EPCISBody/QueryResults/resultsBody/EventList/*[4]/childEPCs/epc[2]",
        ),
    ],
)
def test_location_follows_syntax(syntax: Any, kind: Any, location: str) -> None:
    event = agg(child_epcs=(SGTIN, "urn:epc:id:sgtin:bad"))
    [problem] = validate_event(event, index=3, syntax=syntax, kind=kind)
    assert (problem.location, problem.event_index, problem.value) == (
        location,
        3,
        "urn:epc:id:sgtin:bad",
    )


@pytest.mark.parametrize(
    ("syntax", "location"),
    [
        # source value is a JSON member
        ("jsonld", "/sourceList/0/source"),
        # and the element text in XML
        ("xml", "/sourceList/source[1]"),
    ],
)
def test_value_location_in_both_syntaxes(syntax: Any, location: str) -> None:
    event = obj(sources=(SourceDest(type="urn:epcglobal:cbv:sdt:location", value="bad value"),))
    assert [p.location for p in validate_event(event, syntax=syntax)] == [location]


# --------------------------------------------------------------------------- documents, streams


def test_document_and_stream_report_in_document_order() -> None:
    events = (obj(), agg(parent_id=None), obj(biz_step="teleporting"))
    doc = EPCISDocument(schema_version="2.0", creation_date=T0, events=events)
    problems = validate_document(doc, syntax="jsonld")
    assert [(p.event_index, p.rule) for p in problems] == [
        (1, "aggregation.parent-required"),
        (2, "cbv.biz-step"),
    ]
    streamed = [found for _event, found in iter_validated(iter(events))]
    assert [p for found in streamed for p in found] == problems


# --------------------------------------------------------------------------- files and bytes

XML_DOC = b"""<?xml version="1.0"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
  creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
  <AggregationEvent><eventTime>2024-01-01T00:00:00Z</eventTime>
  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
  <childEPCs><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></childEPCs>
  <action>ADD</action></AggregationEvent>
  <ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>
  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>OBSERVE</action>
  <epcList><epc>urn:epc:id:sgtin:0614141.107346.2018</epc></epcList></ObjectEvent>
  <ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>
  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
  <epcList><epc>urn:epc:id:sgtin:0614141.107346.2019</epc></epcList>
  <action>PUSH</action></ObjectEvent>
</EventList></EPCISBody></epcis:EPCISDocument>"""

JSON_EVENT = b"""{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
  "type": "AssociationEvent", "eventTime": "2024-01-01T00:00:00Z",
  "eventTimeZoneOffset": "+00:00", "action": "ADD",
  "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2017"]}"""


@pytest.mark.parametrize(
    ("data", "strict", "expected"),
    [
        # AggregationEvent without parent, then an unreadable third event (no order check)
        (
            XML_DOC,
            False,
            [
                ("aggregation.parent-required", 0, "error"),
                ("document.invalid", 2, "error"),
            ],
        ),
        # a bare JSON-LD event (REST POST /events body) without its parent
        (JSON_EVENT, False, [("association.parent-required", 0, "error")]),
        # neither XML nor JSON
        (b"hello", False, [("document.invalid", None, "error")]),
        # DTD with an entity declaration stays refused
        (
            b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
            False,
            [("document.unsafe", None, "error")],
        ),
        # JSON that is no object
        (b"[1, 2]", False, [("document.invalid", None, "error")]),
    ],
)
def test_validate_bytes(data: bytes, strict: bool, expected: list[tuple[str, Any, str]]) -> None:
    result = validate_bytes(data, strict=strict)
    assert [(p.rule, p.event_index, p.severity) for p in result.problems] == expected
    assert result.ok is False


def test_reader_error_keeps_the_reader_location() -> None:
    result = validate_bytes(XML_DOC)
    assert result.events_checked == 2
    assert result.errors[-1].location.endswith("/ObjectEvent[2]/action")


@pytest.mark.parametrize(
    ("strict", "severity"),
    [
        # order departures are tolerated by default
        (False, "warning"),
        # strict mode follows the XSD sequence
        (True, "error"),
    ],
)
def test_xml_element_order(strict: bool, severity: str) -> None:
    data = XML_DOC.replace(b"<action>PUSH</action>", b"<action>ADD</action>")
    result = validate_bytes(data, strict=strict)
    order = [p for p in result.problems if p.rule == "xml.element-order"]
    assert [(p.location, p.severity) for p in order] == [
        ("/EPCISDocument/EPCISBody/EventList/*[2]/epcList", severity)
    ]


@pytest.mark.parametrize(
    ("data", "syntax"),
    [
        # XML after a BOM and white space
        (b"\xef\xbb\xbf  <x/>", "xml"),
        # JSON object
        (b'\n{"a": 1}', "jsonld"),
        # anything else
        (b"EPCIS", None),
    ],
)
def test_sniff_syntax(data: bytes, syntax: str | None) -> None:
    assert sniff_syntax(data) == syntax


def test_validate_file_reads_by_content_and_reports_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "shipment.txt"
    path.write_bytes(JSON_EVENT)
    assert validate_file(path).syntax == "jsonld"
    missing = validate_file(tmp_path / "absent.xml")
    assert [(p.rule, p.value) for p in missing.problems] == [
        ("document.unreadable", str(tmp_path / "absent.xml"))
    ]
