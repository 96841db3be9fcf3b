"""The third round of capture-path fast paths agrees with the straightforward paths.

Work shared between validation and the event hash (the sorted, split EPC list of one product,
remembered for the last few tuples), SSCC Digital Links remembered, why/where values
remembered as valid in validation, and the XML reader's values remembered per text and its
single dispatch table. Each test compares with the general path (or the code as it was), for
valid and invalid input alike, and on every event of the conformance corpus: whatever order
events come in and whatever the caches hold, the hash and the problems stay the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrace.epcis import hashing_canon, validate_rules, validate_values, xml_event_reader
from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.hashing import event_hash, prehash
from medtrace.epcis.hashing_canon import (
    _one_product_serials,
    _plain_sscc,
    canonical_value,
    joined_canonical_epcs,
    one_product_serials,
)
from medtrace.epcis.jsonld_reader import read_jsonld
from medtrace.epcis.model import (
    AggregationEvent,
    EPCISDocument,
    Event,
    Extension,
    Location,
    ObjectEvent,
    SensorElement,
    SensorReport,
)
from medtrace.epcis.validate import validate_event
from medtrace.epcis.validate_core import Loc, Sink
from medtrace.epcis.validate_ids import check_instance_epc, fast_valid_instance_epcs
from medtrace.epcis.validate_values import check_epcs, report_id
from medtrace.epcis.xml_event_reader import _DISPATCH, _HANDLERS, element_to_event
from medtrace.epcis.xml_reader import read_xml
from medtrace.epcis.xml_safety import parse_document

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
_GLOBS = (
    "gs1-epcis/XML/**/*.xml",
    "gs1-epcis/XML-1.2/**/*.xml",
    "gs1-epcis/JSON/**/*.jsonld",
    "event-hash/examples/*.xml",
    "event-hash/examples/*.jsonld",
    "event-hash/expected_equal/*",
    "dscsa/**/*.xml",
    "openepcis/test-resources/2.0/EPCIS/XML/Capture/Documents/*.xml",
    "openepcis/test-resources/2.0/EPCIS/JSON/Capture/Documents/*.json",
)


def _clear_caches() -> None:
    hashing_canon._PRODUCT_LISTS.clear()
    _plain_sscc.cache_clear()
    validate_rules._VALID_WHY_WHERE.clear()


# --------------------------------------------------------------------------- corpus


def _corpus() -> list[Path]:
    found = {path for glob in _GLOBS for path in CONFORMANCE.glob(glob) if path.is_file()}
    return sorted(found)


def _read(path: Path) -> EPCISDocument | None:
    data = path.read_bytes()
    try:
        return read_xml(data) if data.lstrip()[:1] == b"<" else read_jsonld(data)
    except EpcisDocumentError:
        return None  # refused documents are the readers' tests' business


def _copy(event: Event) -> Event:
    """An equal event built anew: no tuple shared with ``event`` (so nothing remembered by
    identity applies)."""
    copied: Event = msgspec.json.decode(msgspec.json.encode(event), type=Event)  # type: ignore[arg-type]
    return copied


def _general_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the shared fast paths off: EPC lists converted and checked one EPC at a time,
    why/where checked field by field, XML values read from every element anew."""
    monkeypatch.setattr(hashing_canon, "one_product_serials", lambda _epcs: None)
    monkeypatch.setattr(validate_values, "fast_valid_instance_epcs", lambda _values: False)
    monkeypatch.setattr(validate_rules, "_check_why_where", validate_rules._check_why_where_fields)
    monkeypatch.setattr(hashing_canon, "_plain_sscc", _plain_sscc.__wrapped__)
    plain = {tag: (field, handler, None) for tag, (field, handler, _m) in _DISPATCH.items()}
    monkeypatch.setattr(xml_event_reader, "_DISPATCH", plain)


def _outcomes(paths: list[Path]) -> list[tuple[str, object]]:
    """Per document: its events' pre-hash strings, hashes and problems (validated, then
    hashed, event after event, then again in reverse order), or the reader's refusal."""
    out: list[tuple[str, object]] = []
    for path in paths:
        data = path.read_bytes()
        try:
            doc = read_xml(data) if data.lstrip()[:1] == b"<" else read_jsonld(data)
        except EpcisDocumentError as exc:
            out.append((path.name, ("refused", str(exc), exc.location)))
            continue
        syntax = "xml" if data.lstrip()[:1] == b"<" else "jsonld"
        found = []
        count = len(doc.events)
        for index in [*range(count), *reversed(range(count))]:
            event = doc.events[index]
            problems = validate_event(
                event, index=index, syntax=syntax, schema_version=doc.schema_version
            )
            found.append((index, prehash(event), event_hash(event), problems))
        out.append((path.name, (doc, found)))
    return out


@pytest.mark.conformance
@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="conformance corpus not available")
def test_corpus_reads_hashes_and_problems_as_the_general_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = _corpus()
    assert len(paths) > 100
    _clear_caches()
    fast = _outcomes(paths)
    with monkeypatch.context() as patch:
        _general_paths(patch)
        _clear_caches()
        general = _outcomes(paths)
    assert sum(1 for _name, outcome in fast if isinstance(outcome, tuple) and len(outcome) == 2)
    for (name, got), (_same, expected) in zip(fast, general, strict=True):
        assert got == expected, name


@pytest.mark.conformance
@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="conformance corpus not available")
def test_corpus_hashes_and_problems_do_not_depend_on_what_is_remembered() -> None:
    documents = [(path, doc) for path in _corpus() if (doc := _read(path)) is not None]
    assert len(documents) > 50
    for path, doc in documents:
        syntax = "xml" if path.suffix == ".xml" else "jsonld"
        version = doc.schema_version
        # Reference: each event alone (fresh copies, caches emptied before each), hash first.
        expected = []
        for index, event in enumerate(doc.events):
            _clear_caches()
            fresh = _copy(event)
            assert fresh == event
            text = prehash(fresh)
            _clear_caches()
            problems = validate_event(fresh, index=index, syntax=syntax, schema_version=version)
            expected.append((text, event_hash(fresh), problems))
        # The pipeline: validate, then hash, event after event, twice and in reverse order.
        _clear_caches()
        for order in (range(len(doc.events)), reversed(range(len(doc.events)))):
            for index in order:
                event = doc.events[index]
                problems = validate_event(event, index=index, syntax=syntax, schema_version=version)
                got = (prehash(event), event_hash(event), problems)
                assert got == expected[index], f"{path.name} event {index}"


# --------------------------------------------------------------------------- EPC lists

_HEADS = st.sampled_from(
    [
        "urn:epc:id:sgtin:0614141.812345.",
        "urn:epc:id:sgtin:061414.1812345.",
        "urn:epc:id:sgtin:06141.41812345.",  # a 5-digit company prefix: not TDS
        "urn:epc:id:sgtin:0614141.81234.",  # 12 digits: no GTIN
        "urn:epc:id:sgtin:0614141234567.",  # 13-digit company prefix, empty reference
        "urn:epc:id:sgtin:0614141.8123456.",
    ]
)
_SERIALS = st.text(alphabet="AZaz09_%2F.", min_size=0, max_size=24)


@st.composite
def _lists(draw: st.DrawFn) -> tuple[str, ...]:
    head = draw(_HEADS)
    serials = draw(st.lists(_SERIALS, min_size=1, max_size=12))
    epcs = [head + serial for serial in serials]
    if draw(st.booleans()):
        epcs.append(draw(st.sampled_from(["urn:epc:id:sscc:0614141.1234567890", head + "A"])))
    return tuple(epcs)


@settings(max_examples=400)
@given(_lists())
def test_remembered_split_is_the_split(epcs: tuple[str, ...]) -> None:
    _clear_caches()
    expected = _one_product_serials(sorted(epcs))
    first = one_product_serials(epcs)
    assert first == expected
    assert one_product_serials(epcs) is first  # remembered for this very tuple
    assert one_product_serials(list(epcs)) == expected  # a list: worked out, not remembered
    assert one_product_serials(tuple(reversed(epcs))[::-1]) == expected  # an equal tuple
    assert len(hashing_canon._PRODUCT_LISTS) <= hashing_canon._PRODUCT_LISTS_MAX


@settings(max_examples=400)
@given(_lists(), st.booleans())
def test_validation_and_hash_of_one_list_agree_with_the_general_paths(
    epcs: tuple[str, ...], hash_first: bool
) -> None:
    _clear_caches()
    joined = "epc=" + "epc=".join(sorted(canonical_value(epc) for epc in epcs))
    slow = Sink(index=0, syntax="xml", base="/e")
    for index, epc in enumerate(epcs):
        here = Loc().item("childEPCs", "childEPCs", "epc", index)
        report_id(slow, here, "identifier.epc", check_instance_epc(epc), epc)
    for _ in range(2):
        if hash_first:
            assert joined_canonical_epcs(epcs, "epc=") == joined
        fast = Sink(index=0, syntax="xml", base="/e")
        check_epcs(fast, Loc(), epcs, "childEPCs")
        assert fast.problems == slow.problems
        if fast_valid_instance_epcs(epcs):
            assert not slow.problems
        assert joined_canonical_epcs(epcs, "epc=") == joined


@pytest.mark.parametrize(
    "epcs",
    [
        ("urn:epc:id:sgtin:06141.41812345.A", "urn:epc:id:sgtin:06141.41812345.B"),
        ("urn:epc:id:sgtin:0614141.812345." + "A" * 21,),
        ("urn:epc:id:sgtin:0614141.81234.A",),
    ],
)
def test_one_product_lists_the_hash_takes_but_validation_refuses(epcs: tuple[str, ...]) -> None:
    _clear_caches()
    assert one_product_serials(epcs) is not None
    assert not fast_valid_instance_epcs(epcs)
    sink = Sink(index=0, syntax="jsonld", base="/e")
    check_epcs(sink, Loc(), epcs, "epcList")
    assert [p.rule for p in sink.problems] == ["identifier.epc"] * len(epcs)


def test_sscc_links_are_remembered_and_unchanged() -> None:
    _plain_sscc.cache_clear()
    uri = "urn:epc:id:sscc:0614141.1234567890"
    assert _plain_sscc(uri) == "https://id.gs1.org/00/106141412345678908"
    assert _plain_sscc(uri) == "https://id.gs1.org/00/106141412345678908"
    assert _plain_sscc.cache_info().hits == 1
    assert _plain_sscc("urn:epc:id:sscc:0614141.123456789") is None


# --------------------------------------------------------------------------- validation

_SGLN = "urn:epc:id:sgln:0614141.00777.0"
_BASE = AggregationEvent(
    event_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    event_time_zone_offset="+00:00",
    action="ADD",
    parent_id="urn:epc:id:sscc:0614141.1234567890",
    child_epcs=("urn:epc:id:sgtin:0614141.812345.1",),
    biz_step="urn:epcglobal:cbv:bizstep:packing",
    disposition="urn:epcglobal:cbv:disp:in_progress",
    read_point=Location(id=_SGLN),
    biz_location=Location(id=_SGLN),
)


def _event(**changes: Any) -> AggregationEvent:
    return msgspec.structs.replace(_BASE, **changes)


def test_remembered_why_where_values_do_not_hide_problems() -> None:
    _clear_caches()
    good = _event()
    bad_step = _event(biz_step="urn:epcglobal:cbv:bizstep:teleporting")
    sensor = SensorElement(reports=(SensorReport(value=Decimal("-1"), s_dev=Decimal("-1")),))
    assert validate_event(good, index=0) == []
    assert validate_event(good, index=1) == []
    assert [p.rule for p in validate_event(bad_step, index=2)] == ["cbv.biz-step"]
    assert [p.rule for p in validate_event(bad_step, index=3)] == ["cbv.biz-step"]
    assert validate_event(good, index=4) == []
    # Sensor data is never remembered; its problems keep their place among the others.
    with_sensor = _event(sensor_elements=(sensor,), biz_step="urn:example:step x")
    first = validate_event(with_sensor, index=5)
    assert validate_event(with_sensor, index=5) == first
    _clear_caches()
    assert validate_event(with_sensor, index=5) == first
    # Unhashable values (lists where the model has tuples) are checked all the same.
    listed = msgspec.structs.replace(good, biz_transactions=[])  # type: ignore[arg-type]
    assert validate_event(listed, index=6) == []
    assert len(validate_rules._VALID_WHY_WHERE) <= validate_rules._MEMO_MAX


def test_legacy_and_current_versions_are_remembered_apart() -> None:
    _clear_caches()
    local = _event(extensions=(Extension(namespace="", name="myField", value="1"),))
    legacy = validate_event(local, index=0, schema_version="1.2")
    current = validate_event(local, index=0, schema_version="2.0")
    assert legacy != current
    assert validate_event(local, index=0, schema_version="1.2") == legacy
    assert validate_event(local, index=0, schema_version="2.0") == current


# --------------------------------------------------------------------------- XML reader

_EVENT = """<ObjectEvent><eventTime>2024-01-02T03:04:05Z</eventTime>
<eventTimeZoneOffset>{offset}</eventTimeZoneOffset><epcList>
<epc>urn:epc:id:sgtin:0614141.812345.1</epc></epcList><action>{action}</action>
<bizStep>{step}</bizStep>{extra}</ObjectEvent>"""


def _doc(*events: str) -> bytes:
    return (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" '
        'creationDate="2024-01-02T03:04:05Z"><EPCISBody><EventList>'
        + "".join(events)
        + "</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def _ev(
    offset: str = "+01:00", action: str = "ADD", step: str = "shipping", extra: str = ""
) -> str:
    return _EVENT.format(offset=offset, action=action, step=step, extra=extra)


def test_dispatch_table_covers_every_handler() -> None:
    assert {tag: (field, handler) for tag, (field, handler, _m) in _DISPATCH.items()} == _HANDLERS


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"action": "ADDED"}, "action must be ADD, OBSERVE or DELETE"),
        ({"offset": "+15:00"}, "time zone offset"),
        ({"step": " "}, "element bizStep is empty"),
        ({"extra": "<bizStep>shipping</bizStep>"}, "duplicate element bizStep"),
        ({"extra": "<action>ADD</action>"}, "duplicate element action"),
    ],
)
def test_remembered_texts_do_not_hide_problems(bad: dict[str, str], message: str) -> None:
    # The good event first (its texts remembered), then the bad one, twice over.
    for _ in range(2):
        assert len(read_xml(_doc(_ev(), _ev())).events) == 2
        with pytest.raises(EpcisDocumentError, match=message) as caught:
            read_xml(_doc(_ev(), _ev(**bad)))
        assert "ObjectEvent[2]" in (caught.value.location or "")


def test_remembered_texts_read_as_before() -> None:
    doc = read_xml(_doc(_ev(step="urn:epcglobal:cbv:bizstep:shipping"), _ev(action=" OBSERVE ")))
    first, second = doc.events
    assert isinstance(first, ObjectEvent) and isinstance(second, ObjectEvent)
    assert first.biz_step == second.biz_step == "urn:epcglobal:cbv:bizstep:shipping"
    assert (first.action, second.action) == ("ADD", "OBSERVE")
    assert first.event_time_zone_offset == "+01:00"


def test_event_element_of_another_namespace_converts_as_before() -> None:
    root = parse_document(
        b'<x:ObjectEvent xmlns:x="urn:example:x"><eventTime>2024-01-02T03:04:05Z</eventTime>'
        b"<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>OBSERVE</action>"
        b"</x:ObjectEvent>"
    )
    event = element_to_event(root)
    assert isinstance(event, ObjectEvent)
    assert event.action == "OBSERVE"
