"""EPCIS 2.0 JSON-LD codec (EPCIS 2.0 §10): reading rules, errors, writing, round trips."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError, EpcisError
from medtrace.epcis.jsonld_reader import (
    iter_jsonld_events,
    read_jsonld,
    read_jsonld_event,
    read_jsonld_message,
)
from medtrace.epcis.jsonld_writer import write_jsonld, write_jsonld_event
from medtrace.epcis.model import EPCISDocument, Extension, ObjectEvent
from medtrace.gs1.prefix import PrefixRegistry

from . import strategies

CTX = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _event(**members: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2024-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
    }
    base.update(members)
    return base


def _doc(*events: dict[str, Any], context: Any = None) -> bytes:
    return orjson.dumps(
        {
            "@context": context if context is not None else [CTX],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-01T10:00:00Z",
            "epcisBody": {"eventList": list(events)},
        },
        default=str,  # Decimal → its text; tests splice raw numbers where they need them
    )


def _one(**members: Any) -> ObjectEvent:
    event = read_jsonld(_doc(_event(**members))).events[0]
    assert isinstance(event, ObjectEvent)
    return event


@pytest.mark.parametrize(
    ("member", "value", "field", "expected"),
    [
        # bare CBV word from the context's scoped terms
        ("bizStep", "shipping", "biz_step", "urn:epcglobal:cbv:bizstep:shipping"),
        # compact CURIE with the cbv: prefix
        ("bizStep", "cbv:BizStep-receiving", "biz_step", "urn:epcglobal:cbv:bizstep:receiving"),
        # GS1 web URI
        (
            "disposition",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "disposition",
            "urn:epcglobal:cbv:disp:in_transit",
        ),
        # URN kept canonical
        (
            "disposition",
            "urn:epcglobal:cbv:disp:active",
            "disposition",
            "urn:epcglobal:cbv:disp:active",
        ),
        # user-defined vocabulary URI kept as given
        ("bizStep", "https://example.com/steps/x", "biz_step", "https://example.com/steps/x"),
    ],
)
def test_vocabulary_forms_normalise(member: str, value: str, field: str, expected: str) -> None:
    assert getattr(_one(**{member: value}), field) == expected


@pytest.mark.parametrize(
    ("report", "field", "expected"),
    [
        # bare measurement type
        ({"type": "Temperature"}, "type", "https://gs1.org/voc/Temperature"),
        # gs1: CURIE measurement type
        ({"type": "gs1:Temperature"}, "type", "https://gs1.org/voc/Temperature"),
        # bare word outside the context list is a GS1 vocabulary term (as XML gs1:EffectiveDoseRate)
        ({"type": "EffectiveDoseRate"}, "type", "https://gs1.org/voc/EffectiveDoseRate"),
        # cbv: component CURIE
        (
            {"type": "Length", "component": "cbv:Comp-x"},
            "component",
            "https://ref.gs1.org/cbv/Comp-x",
        ),
        # alert type CURIE
        (
            {"type": "Count", "exception": "gs1:ALARM_CONDITION"},
            "exception",
            "https://gs1.org/voc/ALARM_CONDITION",
        ),
    ],
)
def test_sensor_vocabulary(report: dict[str, Any], field: str, expected: str) -> None:
    event = _one(sensorElementList=[{"sensorReport": [report]}])
    assert getattr(event.sensor_elements[0].reports[0], field) == expected


@pytest.mark.parametrize(
    ("bad", "pointer", "needle"),
    [
        # non-CBV bare word in bizStep, pointer names the 4th event
        ({"bizStep": "teleporting"}, "/epcisBody/eventList/3/bizStep", "teleporting"),
        # non-CBV bare disposition
        ({"disposition": "lost"}, "/epcisBody/eventList/3/disposition", "lost"),
        # bad bare type in a bizTransaction
        (
            {"bizTransactionList": [{"type": "xyz", "bizTransaction": "urn:x:1"}]},
            "/epcisBody/eventList/3/bizTransactionList/0/type",
            "xyz",
        ),
        # time without a zone
        ({"eventTime": "2024-03-01T10:00:00"}, "/epcisBody/eventList/3/eventTime", "time zone"),
        # quantity given as text
        (
            {
                "quantityList": [
                    {"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": "2"}
                ]
            },
            "/epcisBody/eventList/3/quantityList/0/quantity",
            "number",
        ),
        # undeclared extension prefix
        ({"nope:field": "x"}, "/epcisBody/eventList/3/nope:field", "nope"),
        # invalid action
        ({"action": "UPDATE"}, "/epcisBody/eventList/3/action", "UPDATE"),
    ],
)
def test_errors_carry_json_pointer(bad: dict[str, Any], pointer: str, needle: str) -> None:
    events = [_event(), _event(), _event(), _event(**bad)]
    with pytest.raises(EpcisDocumentError) as info:
        read_jsonld(_doc(*events))
    assert info.value.location == pointer
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("context", "ok"),
    [
        # ratified 2.0.0 context
        ([CTX], True),
        # unversioned ref.gs1.org context
        ("https://ref.gs1.org/standards/epcis/epcis-context.jsonld", True),
        # gs1.github.io development context
        (["https://gs1.github.io/EPCIS/epcis-context.jsonld"], True),
        # unknown remote context is never fetched
        (["https://evil.example/ctx.jsonld"], False),
    ],
)
def test_known_contexts_offline(context: Any, ok: bool) -> None:
    if ok:
        assert len(read_jsonld(_doc(_event(), context=context)).events) == 1
    else:
        with pytest.raises(EpcisDocumentError, match="never fetches"):
            read_jsonld(_doc(_event(), context=context))


@pytest.mark.parametrize(
    "context",
    [
        # standard context: cbvmda is urn:epcglobal:cbv:mda: with a trailing colon
        [CTX],
        # user redeclaration without the colon
        [CTX, {"cbvmda": "urn:epcglobal:cbv:mda"}],
    ],
)
def test_cbvmda_ilmd_matches_xml_namespace(context: Any) -> None:
    doc = read_jsonld(_doc(_event(ilmd={"cbvmda:lotNumber": "LOT1"}), context=context))
    event = doc.events[0]
    assert isinstance(event, ObjectEvent)
    assert event.ilmd == (
        Extension(
            namespace="urn:epcglobal:cbv:mda", name="lotNumber", prefix="cbvmda", value="LOT1"
        ),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # JSON string: untyped text
        ("abc", Extension(namespace="http://x.example/", name="f", prefix="x", value="abc")),
        # JSON number keeps its lexical form and type
        (
            Decimal("2.50"),
            Extension(
                namespace="http://x.example/",
                name="f",
                prefix="x",
                value="2.50",
                value_type="number",
            ),
        ),
        # JSON boolean
        (
            True,
            Extension(
                namespace="http://x.example/",
                name="f",
                prefix="x",
                value="true",
                value_type="boolean",
            ),
        ),
        # JSON null: empty element
        (None, Extension(namespace="http://x.example/", name="f", prefix="x")),
    ],
)
def test_extension_value_types_round_trip(value: object, expected: Extension) -> None:
    raw = _doc(_event(**{"x:f": value}), context=[CTX, {"x": "http://x.example/"}])
    doc = read_jsonld(raw.replace(b'"2.50"', b"2.50"))
    assert doc.events[0].extensions == (expected,)
    assert read_jsonld(write_jsonld(doc)) == doc


def test_nested_arrays_become_repeated_elements() -> None:
    raw = _doc(_event(**{"x:a": ["1", {"x:b": "2"}]}), context=[CTX, {"x": "http://x.example/"}])
    (first, second) = read_jsonld(raw).events[0].extensions
    assert (first.name, first.value) == ("a", "1")
    assert second.children[0].value == "2"


def test_query_document_and_bare_event() -> None:
    query = orjson.dumps(
        {
            "@context": CTX,
            "type": "EPCISQueryDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-01T10:00:00Z",
            "epcisBody": {
                "queryResults": {
                    "queryName": "SimpleEventQuery",
                    "resultsBody": {"eventList": [_event()]},
                }
            },
        }
    )
    doc = read_jsonld(query)
    assert (doc.kind, doc.query_name, len(doc.events)) == ("query", "SimpleEventQuery", 1)
    assert read_jsonld(write_jsonld(doc)) == doc
    bare = orjson.dumps({"@context": [CTX], **_event(bizStep="shipping")})
    event = read_jsonld_event(bare)
    assert read_jsonld_message(write_jsonld_event(event)) == event


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        # byte limit
        ({"max_bytes": 100}, DocumentTooLargeError),
        # event-count limit
        ({"max_events": 1}, DocumentTooLargeError),
    ],
)
def test_size_limits(kwargs: dict[str, int], error: type[Exception]) -> None:
    with pytest.raises(error):
        read_jsonld(_doc(_event(), _event()), **kwargs)


def test_streaming_reads_context_after_body() -> None:
    data = _doc(_event(**{"x:f": "v"}), _event(), context=[CTX, {"x": "http://x.example/"}])
    reordered = orjson.loads(data)
    reordered["@context"] = reordered.pop("@context")  # context last, as in some GS1 examples
    stream = io.BytesIO(orjson.dumps(reordered))
    events = list(iter_jsonld_events(stream))
    assert tuple(events) == read_jsonld(data).events
    with pytest.raises(DocumentTooLargeError):
        list(iter_jsonld_events(io.BytesIO(data), max_events=1))


@pytest.mark.parametrize(
    ("epc_format", "given", "written"),
    [
        # as given: unchanged
        (
            "as_given",
            "urn:epc:id:sgtin:0614141.107346.2017",
            "urn:epc:id:sgtin:0614141.107346.2017",
        ),
        # URN to canonical Digital Link
        (
            "digital_link",
            "urn:epc:id:sgtin:0614141.107346.2017",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        # Digital Link to URN with a known company prefix
        (
            "urn",
            "https://id.gs1.org/01/10614141073464/21/2017",
            "urn:epc:id:sgtin:0614141.107346.2017",
        ),
    ],
)
def test_epc_formats(epc_format: Any, given: str, written: str) -> None:
    doc = read_jsonld(_doc(_event(epcList=[given])))
    registry = PrefixRegistry(["0614141"])
    out = orjson.loads(write_jsonld(doc, epc_format=epc_format, registry=registry))
    assert out["epcisBody"]["eventList"][0]["epcList"] == [written]


def test_digital_link_to_urn_needs_company_prefix() -> None:
    doc = read_jsonld(_doc(_event(epcList=["https://id.gs1.org/01/10614141073464/21/2017"])))
    with pytest.raises(EpcisError, match=r"[Pp]refix"):
        write_jsonld(doc, epc_format="urn", registry=PrefixRegistry())


def test_writer_uses_bare_words_and_is_deterministic() -> None:
    doc = read_jsonld(_doc(_event(bizStep="urn:epcglobal:cbv:bizstep:shipping")))
    first = write_jsonld(doc)
    assert first == write_jsonld(doc)
    assert orjson.loads(first)["epcisBody"]["eventList"][0]["bizStep"] == "shipping"
    assert orjson.loads(first)["@context"] == [CTX]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.documents)
def test_model_jsonld_model_identity(doc: EPCISDocument) -> None:
    assert read_jsonld(write_jsonld(doc)) == doc
