"""XML codec: values, error locations, 1.2/2.0 structure, streaming, round-trip properties."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    ErrorDeclaration,
    Event,
    ExtAttribute,
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
from medtrace.epcis.xml_reader import iter_xml_events, read_xml, read_xml_event
from medtrace.epcis.xml_values import parse_datetime
from medtrace.epcis.xml_writer import iter_write_xml, write_xml

DOC2 = (
    '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" '
    'xmlns:ex="https://ns.example.com/epcis" schemaVersion="2.0" '
    'creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>{body}</EventList></EPCISBody>'
    "</epcis:EPCISDocument>"
)
DOC12 = DOC2.replace("xsd:2", "xsd:1").replace('"2.0"', '"1.2"')


def obj(inner: str, *, time: str = "2024-01-01T00:00:00Z", action: str = "OBSERVE") -> str:
    return (
        f"<ObjectEvent><eventTime>{time}</eventTime>"
        f"<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/>"
        f"<action>{action}</action>{inner}</ObjectEvent>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # UTC designator, no fraction
        ("2023-03-27T06:45:16Z", datetime(2023, 3, 27, 6, 45, 16, tzinfo=UTC)),
        # one fraction digit
        ("2005-07-11T11:30:47.0Z", datetime(2005, 7, 11, 11, 30, 47, tzinfo=UTC)),
        # nine fraction digits are truncated to microseconds
        ("2022-04-13T12:35:29.017069617Z", datetime(2022, 4, 13, 12, 35, 29, 17069, tzinfo=UTC)),
        # negative offset
        (
            "2005-04-04T20:33:31.116-06:00",
            datetime(2005, 4, 4, 20, 33, 31, 116000, tzinfo=timezone(timedelta(hours=-6))),
        ),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        # eventTime without time zone, third event
        (
            obj("") * 2 + obj("", time="2024-01-01T00:00:00"),
            "/EPCISDocument/EPCISBody/EventList/ObjectEvent[3]/eventTime",
            "with time zone",
        ),
        # not a date at all
        (obj("", time="yesterday"), "ObjectEvent[1]/eventTime", "'yesterday'"),
        # bad action
        (obj("", action="MOVE"), "ObjectEvent[1]/action", "'MOVE'"),
        # a misspelt standard field is not silently taken as an extension
        (obj("<bizstep>x</bizstep>"), "ObjectEvent[1]/bizstep", "unexpected element bizstep"),
        # quantity must be a decimal
        (
            obj(
                "<quantityList><quantityElement><epcClass>urn:x</epcClass>"
                "<quantity>lots</quantity></quantityElement></quantityList>"
            ),
            "quantityList/quantityElement/quantity",
            "'lots'",
        ),
        # sensor attribute with a bad number, located at the attribute
        (
            obj(
                '<sensorElementList><sensorElement><sensorReport type="gs1:Temperature" '
                'value="warm"/></sensorElement></sensorElementList>'
            ),
            "sensorElementList/sensorElement/sensorReport/@value",
            "'warm'",
        ),
        # a field that does not belong to the event type
        (
            (
                "<AggregationEvent><eventTime>2024-01-01T00:00:00Z</eventTime>"
                "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>ADD</action>"
                "<ilmd/></AggregationEvent>"
            ),
            "AggregationEvent[1]",
            "ilmd is not allowed",
        ),
        # missing required element
        (
            (
                "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime><action>ADD</action>"
                "</ObjectEvent>"
            ),
            "ObjectEvent[1]",
            "eventTimeZoneOffset",
        ),
        # duplicate element
        (obj("<bizStep>shipping</bizStep><bizStep>receiving</bizStep>"), "bizStep[2]", "duplicate"),
        # QuantityEvent was removed in EPCIS 2.0
        ("<QuantityEvent/>", "QuantityEvent[1]", "QuantityEvent"),
    ],
)
def test_errors_are_located(body: str, location: str, message: str) -> None:
    with pytest.raises(EpcisDocumentError) as caught:
        read_xml(DOC2.format(body=body).encode())
    assert caught.value.location is not None
    assert caught.value.location.endswith(location)
    assert message in caught.value.reason


def test_malformed_xml_has_line_and_column() -> None:
    with pytest.raises(EpcisDocumentError, match="malformed XML") as caught:
        read_xml(b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">\n<EPCISBody>')
    assert caught.value.location is not None
    assert caught.value.location.startswith("line ")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # not an EPCIS root
        (b"<html/>", "not an EPCIS document"),
        # a bare event needs read_xml_event
        (obj("").encode(), "read_xml_event"),
        # creationDate is required
        (
            b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"/>',
            "creationDate",
        ),
        # a query document must hold query results
        (
            (
                b'<q:EPCISQueryDocument xmlns:q="urn:epcglobal:epcis-query:xsd:2" '
                b'schemaVersion="2.0" '
                b'creationDate="2024-01-01T00:00:00Z"><EPCISBody><q:Poll/></EPCISBody>'
                b"</q:EPCISQueryDocument>"
            ),
            "QueryResults",
        ),
    ],
)
def test_structure_errors(document: bytes, message: str) -> None:
    with pytest.raises(EpcisDocumentError, match=message):
        read_xml(document)


def test_read_single_event() -> None:
    event = read_xml_event(obj("<bizStep>shipping</bizStep>").encode())
    assert isinstance(event, ObjectEvent)
    assert event.biz_step == "urn:epcglobal:cbv:bizstep:shipping"


def test_epcis_12_wrappers_read_like_20() -> None:
    v12 = (
        "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
        "<baseExtension><eventID>urn:uuid:1</eventID></baseExtension><epcList/>"
        "<action>ADD</action><extension><quantityList><quantityElement><epcClass>urn:c</epcClass>"
        "<quantity>2</quantity></quantityElement></quantityList>"
        '<sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:p</source></sourceList>'
        "<ilmd><ex:lot>L1</ex:lot></ilmd></extension></ObjectEvent>"
    )
    v20 = (
        "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><eventID>urn:uuid:1</eventID>"
        "<epcList/><action>ADD</action><quantityList><quantityElement><epcClass>urn:c</epcClass>"
        "<quantity>2</quantity></quantityElement></quantityList>"
        '<sourceList><source type="owning_party">urn:p</source></sourceList>'
        "<ilmd><ex:lot>L1</ex:lot></ilmd></ObjectEvent>"
    )
    a = read_xml(DOC12.format(body=v12).encode())
    b = read_xml(DOC2.format(body=v20).encode())
    assert a.events == b.events
    assert a.schema_version == "1.2"


def test_qualified_standard_elements_are_tolerated() -> None:
    body = (
        obj("")
        .replace("<eventTime>", "<epcis:eventTime>")
        .replace("</eventTime>", "</epcis:eventTime>")
    )
    assert len(read_xml(DOC2.format(body=body).encode()).events) == 1


WHEN = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
EX = "https://ns.example.com/epcis"


def _xpaths(xml: bytes, path: str) -> list[str]:
    root = etree.fromstring(xml)
    return [str(x) for x in root.xpath(path)]


def test_12_writer_uses_down_conversion_extension_points() -> None:
    sensor = (SensorElement(reports=(SensorReport(type="https://gs1.org/voc/Temperature"),)),)
    pd = PersistentDisposition(set=("urn:epcglobal:cbv:disp:completeness_verified",))
    events: tuple[Event, ...] = (
        ObjectEvent(
            event_time=WHEN,
            event_time_zone_offset="+00:00",
            action="ADD",
            event_id="urn:uuid:a",
            certification_info=("https://cert.example.com/1",),
            persistent_disposition=pd,
            sensor_elements=sensor,
            ilmd=(Extension(namespace=EX, name="lot", prefix="ex", value="L1"),),
        ),
        AggregationEvent(
            event_time=WHEN, event_time_zone_offset="+00:00", action="ADD", sensor_elements=sensor
        ),
        TransformationEvent(event_time=WHEN, event_time_zone_offset="+00:00"),
        AssociationEvent(event_time=WHEN, event_time_zone_offset="+00:00", action="ADD"),
    )
    doc = EPCISDocument(schema_version="2.0", creation_date=WHEN, events=events)
    xml = write_xml(doc, version="1.2")
    assert _xpaths(xml, "/*/@schemaVersion") == ["1.2"]
    assert _xpaths(xml, "//ObjectEvent/baseExtension/eventID/text()") == ["urn:uuid:a"]
    assert _xpaths(xml, "//ObjectEvent/baseExtension/extension/certificationInfo/text()") == [
        "https://cert.example.com/1"
    ]
    assert len(_xpaths(xml, "//ObjectEvent/extension/persistentDisposition/set")) == 1
    assert len(_xpaths(xml, "//ObjectEvent/extension/sensorElementList")) == 1
    assert len(_xpaths(xml, "//ObjectEvent/extension/ilmd")) == 1
    assert len(_xpaths(xml, "//AggregationEvent/extension/extension/sensorElementList")) == 1
    assert len(_xpaths(xml, "/*/EPCISBody/EventList/extension/TransformationEvent")) == 1
    assert len(_xpaths(xml, "/*/EPCISBody/EventList/extension/extension/AssociationEvent")) == 1
    assert read_xml(xml).events == events


def test_streaming_reads_header_first_and_little_input() -> None:
    event = obj("<bizStep>shipping</bizStep>")
    data = DOC2.format(body=event * 4_000).encode()
    source = io.BytesIO(data)
    stream = iter_xml_events(source)
    assert stream.schema_version == "2.0"
    assert stream.header is None
    events = stream.events
    index, first = next(events)
    assert index == 0
    assert isinstance(first, ObjectEvent)
    assert source.tell() < len(data) // 4
    assert sum(1 for _ in events) == 3_999
    with pytest.raises(RuntimeError):
        _ = stream.events


def test_streaming_writer_takes_an_iterator() -> None:
    doc = EPCISDocument(schema_version="2.0", creation_date=WHEN)

    def gen() -> object:
        for i in range(600):
            yield ObjectEvent(
                event_time=WHEN,
                event_time_zone_offset="+00:00",
                action="OBSERVE",
                epc_list=(f"urn:epc:id:sgtin:0614141.107346.{i}",),
            )

    chunks = list(iter_write_xml(doc, gen(), version="2.0"))  # type: ignore[arg-type]
    assert len(chunks) > 2
    assert len(read_xml(b"".join(chunks)).events) == 600


def test_writer_refuses_characters_xml_cannot_hold() -> None:
    event = ObjectEvent(
        event_time=WHEN, event_time_zone_offset="+00:00", action="ADD", epc_list=("bad\x00epc",)
    )
    with pytest.raises(EpcisDocumentError, match="U\\+0000"):
        write_xml(EPCISDocument(schema_version="2.0", creation_date=WHEN, events=(event,)))


# --------------------------------------------------------------------------- properties

NAMESPACES = (("ex", EX), ("ex2", "urn:example:second"), ("ex3", "http://example.org/third/"))
text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=8,
)
uri = st.builds(
    "urn:epc:id:sgtin:0614141.107346.{}{}".format,
    st.integers(0, 999),
    st.sampled_from(["", "&", "<a>", "\u00e9"]),
)
name = st.sampled_from(["lot", "expiry", "temp", "a", "b"])
times = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-(10**6), max_value=10**6
)
prefixed_ns = st.sampled_from(NAMESPACES)


@st.composite
def ext_attributes(draw: st.DrawFn) -> tuple[ExtAttribute, ...]:
    out: dict[tuple[str, str], ExtAttribute] = {}
    for _ in range(draw(st.integers(0, 2))):
        prefix, ns = draw(st.sampled_from([(None, ""), *NAMESPACES]))
        n = draw(name)
        out[(ns, n)] = ExtAttribute(namespace=ns, name=n, value=draw(text), prefix=prefix)
    return tuple(out.values())


@st.composite
def extension(draw: st.DrawFn, depth: int = 0) -> Extension:
    prefix, ns = draw(prefixed_ns)
    attrs = draw(ext_attributes())
    if depth < 2 and draw(st.booleans()):
        children = tuple(draw(extension(depth + 1)) for _ in range(draw(st.integers(1, 2))))
        return Extension(
            namespace=ns, prefix=prefix, name=draw(name), children=children, attributes=attrs
        )
    value = draw(st.just("") | text)
    return Extension(namespace=ns, prefix=prefix, name=draw(name), value=value, attributes=attrs)


def some(
    strategy: st.SearchStrategy[object], most: int = 2
) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(strategy, max_size=most).map(tuple)


quantities = some(
    st.builds(
        QuantityElement,
        epc_class=uri,
        quantity=st.none() | decimals,
        uom=st.none() | st.just("KGM"),
    )
)
locations = st.none() | st.builds(Location, id=uri, extensions=some(extension()))


@st.composite
def sensor_element(draw: st.DrawFn) -> SensorElement:
    report = SensorReport(
        type=draw(st.sampled_from(["https://gs1.org/voc/Temperature", "urn:example:prop"])),
        value=draw(st.none() | decimals),
        boolean_value=draw(st.none() | st.booleans()),
        string_value=draw(st.none() | text),
        component=draw(st.none() | st.just("https://ref.gs1.org/cbv/Comp-x")),
        extensions=tuple(a for a in draw(ext_attributes()) if a.namespace),
    )
    metadata = draw(
        st.none() | st.builds(SensorMetadata, time=st.none() | times, device_id=st.none() | uri)
    )
    return SensorElement(metadata=metadata, reports=(report,), extensions=draw(some(extension())))


@st.composite
def event(draw: st.DrawFn) -> Event:
    cbv_disp = st.sampled_from(
        ["urn:epcglobal:cbv:disp:in_transit", "urn:epcglobal:cbv:disp:active"]
    )
    common = {
        "event_time": draw(times),
        "event_time_zone_offset": draw(st.sampled_from(["+00:00", "-05:00", "+05:30"])),
        "event_id": draw(st.none() | uri),
        "record_time": draw(st.none() | times),
        "error_declaration": draw(
            st.none()
            | st.builds(
                ErrorDeclaration,
                declaration_time=times,
                reason=st.none() | st.just("urn:epcglobal:cbv:er:incorrect_data"),
                corrective_event_ids=some(uri),
                extensions=some(extension(), 1),
            )
        ),
        "certification_info": draw(some(uri)),
        "biz_step": draw(
            st.none()
            | st.sampled_from(["urn:epcglobal:cbv:bizstep:shipping", "https://example.com/step"])
        ),
        "disposition": draw(st.none() | cbv_disp),
        "persistent_disposition": draw(
            st.none() | st.builds(PersistentDisposition, set=some(cbv_disp), unset=some(cbv_disp))
        ),
        "read_point": draw(locations),
        "biz_location": draw(locations),
        "biz_transactions": draw(
            some(
                st.builds(
                    BizTransaction, value=uri, type=st.none() | st.just("urn:epcglobal:cbv:btt:po")
                )
            )
        ),
        "sources": draw(
            some(
                st.builds(SourceDest, type=st.just("urn:epcglobal:cbv:sdt:owning_party"), value=uri)
            )
        ),
        "sensor_elements": draw(some(sensor_element(), 1)),
        "extensions": draw(some(extension())),
    }
    epcs, qty = draw(some(uri, 3)), draw(quantities)
    action = draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"]))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        ilmd = draw(some(extension()))
        return ObjectEvent(action=action, epc_list=epcs, quantity_list=qty, ilmd=ilmd, **common)
    if kind == 1:
        return AggregationEvent(
            action=action,
            parent_id=draw(st.none() | uri),
            child_epcs=epcs,
            child_quantities=qty,
            **common,
        )
    if kind == 2:
        return TransactionEvent(
            action=action,
            parent_id=draw(st.none() | uri),
            epc_list=epcs,
            quantity_list=qty,
            **common,
        )
    if kind == 3:
        return TransformationEvent(
            input_epcs=epcs,
            output_quantities=qty,
            transformation_id=draw(st.none() | uri),
            ilmd=draw(some(extension())),
            **common,
        )
    return AssociationEvent(
        action=action, parent_id=draw(uri), child_epcs=epcs, child_quantities=qty, **common
    )


@st.composite
def document(draw: st.DrawFn) -> EPCISDocument:
    namespaces = tuple(sorted(set(draw(some(prefixed_ns)))))
    return EPCISDocument(
        schema_version="2.0",
        creation_date=draw(times),
        events=tuple(draw(event()) for _ in range(draw(st.integers(0, 3)))),
        namespaces=namespaces,
    )


@settings(max_examples=40, deadline=None)
@given(document(), st.sampled_from(["2.0", "1.2"]))
def test_write_then_read_is_identity(doc: EPCISDocument, version: str) -> None:
    back = read_xml(write_xml(doc, version=version))  # type: ignore[arg-type]
    assert back.events == doc.events
    assert back.namespaces == doc.namespaces
    assert back.creation_date == doc.creation_date
    assert back.schema_version == version
