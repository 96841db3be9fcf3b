"""The second round of capture-path fast paths agrees with the full paths it short-cuts.

Event hash: the one-product EPC list (sorted URNs, one Digital Link head), the SSCC and the
UTC-millisecond time shortcuts, the mod-10 check digit, and the blocks of repeating fields
whose written form is remembered. Validation: the one-product EPC list pattern, the values
remembered as valid (time zone offsets, locations, extension namespaces) and the CBV term
lookup. Readers: JSON-LD members read without pointers, shared plain locations, remembered
vocabulary values and extension names; XML plain locations, offsets and the parser that
drops whitespace between elements.

Each test compares with a reference written the straightforward way (the code as it was, or
the general path), for valid and invalid input alike.
"""

from __future__ import annotations

import io
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from medtrace.epcis import hashing, validate_rules, validate_values, vocab
from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.hashing import event_hash, prehash
from medtrace.epcis.hashing_canon import (
    _one_product_serials,
    _plain_sscc,
    canonical_epc,
    canonical_epcs,
    canonical_time,
    canonical_value,
    epc_uri_to_digital_link,
    joined_canonical_epcs,
    mod10,
)
from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld
from medtrace.epcis.model import (
    AggregationEvent,
    BizTransaction,
    Extension,
    Location,
    ObjectEvent,
    SourceDest,
)
from medtrace.epcis.validate import validate_event
from medtrace.epcis.validate_core import Loc, Sink
from medtrace.epcis.validate_ids import _epc_urn_problem, fast_valid_instance_epcs
from medtrace.epcis.validate_values import check_epcs, report_id
from medtrace.epcis.xml_event_reader import XmlValueProblem, _location, _location_checked
from medtrace.epcis.xml_reader import read_xml
from medtrace.epcis.xml_safety import parse_document
from tests.epcis import strategies

# --------------------------------------------------------------------------- EPC lists

_CLASSES = st.sampled_from(
    [
        "0614141.812345",  # 7 + 6 digits: a GTIN
        "4012345.011111",
        "061414112345.1",  # 12-digit company prefix
        "0614141.81234",  # 12 digits: no GTIN
        "061414\u0661.812345",  # an Arabic-Indic digit
        "0614141.8123456",  # 14 digits
        "0614141",  # no item reference
    ]
)
_SERIAL_CHARS = st.sampled_from(
    [*"AZaz09", *"AZaz09", "_", "-", ".", "%2F", "%41", "%", " ", "\n", "é", "\u0663", "'"]
)
_SERIALS = st.lists(_SERIAL_CHARS, min_size=0, max_size=22).map("".join)
_PLAIN_SERIALS = st.text(
    alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=21
)


@st.composite
def one_product_lists(draw: st.DrawFn) -> list[str]:
    """EPC lists of one product (the common case), with the odd EPC that breaks the pattern."""
    head = f"urn:epc:id:sgtin:{draw(_CLASSES)}."
    serials = st.one_of(_PLAIN_SERIALS, _PLAIN_SERIALS, _PLAIN_SERIALS, _SERIALS)
    items = st.one_of(
        serials.map(lambda serial: head + serial),
        serials.map(lambda serial: head + serial),
        serials.map(lambda serial: head + serial),
        st.sampled_from(
            [
                head.rstrip("."),
                head,
                " " + head + "A",
                head + "A ",
                head + "A\n" + head + "B",
                "urn:epc:id:sscc:0614141.1234567890",
                "urn:epc:id:sgtin:0614141.812346.1",
                head.upper() + "A",
                "urn:x:y",
            ]
        ),
    )
    return draw(st.lists(items, min_size=1, max_size=30))


def _outcome(compute: Any) -> object:
    """What ``compute()`` gives, or the exception it raises (a GTIN of non-ASCII digits)."""
    try:
        return compute()
    except UnicodeEncodeError as exc:
        return ("error", str(exc))


@settings(max_examples=500)
@given(one_product_lists(), st.sampled_from(["epc=", "|", ""]))
def test_one_product_hash_agrees_with_canonical_value(epcs: list[str], separator: str) -> None:
    assert _outcome(lambda: joined_canonical_epcs(epcs, separator)) == _outcome(
        lambda: separator + separator.join(sorted(canonical_value(epc) for epc in epcs))
    )
    assert _outcome(lambda: canonical_epcs(epcs)) == _outcome(
        lambda: [canonical_value(epc) for epc in epcs]
    )


@settings(max_examples=300)
@given(one_product_lists())
def test_one_product_serials_only_for_plain_lists(epcs: list[str]) -> None:
    ordered = sorted(epcs)
    split = _one_product_serials(ordered)
    heads = {
        epc[: epc.index(".", epc.index(".", 17) + 1) + 1] for epc in epcs if epc.count(".") >= 2
    }
    plain = (
        len(heads) == 1
        and all(epc.startswith(next(iter(heads))) for epc in epcs)
        and all(
            (serial := epc[len(next(iter(heads))) :]) and serial.isascii() and serial.isalnum()
            for epc in epcs
        )
        and next(iter(heads))[17:-1].replace(".", "", 1).isascii()
        and next(iter(heads))[17:-1].replace(".", "", 1).isdigit()
        and next(iter(heads)).startswith("urn:epc:id:sgtin:")
    )
    if split is None:
        assert not plain
    else:
        head, serials = split
        assert plain
        assert [head + serial for serial in serials] == ordered


def test_joined_canonical_epcs_of_nothing() -> None:
    assert joined_canonical_epcs([], "epc=") == "epc="


@settings(max_examples=500)
@given(one_product_lists())
def test_one_product_validation_agrees_with_the_parser(epcs: list[str]) -> None:
    if fast_valid_instance_epcs(epcs):
        assert all(_epc_urn_problem(epc) is None for epc in epcs)
    for syntax in ("xml", "jsonld"):
        fast = Sink(index=1, syntax=syntax, base="/e")
        check_epcs(fast, Loc(), epcs, "childEPCs")
        slow = Sink(index=1, syntax=syntax, base="/e")
        for index, epc in enumerate(epcs):
            from medtrace.epcis.validate_ids import check_instance_epc

            here = Loc().item("childEPCs", "childEPCs", "epc", index)
            report_id(slow, here, "identifier.epc", check_instance_epc(epc), epc)
        assert fast.problems == slow.problems


@given(st.lists(_PLAIN_SERIALS.filter(lambda s: len(s) <= 20), min_size=1, max_size=30))
def test_well_formed_one_product_lists_take_the_fast_path(serials: list[str]) -> None:
    assert fast_valid_instance_epcs([f"urn:epc:id:sgtin:0614141.812345.{s}" for s in serials])


# --------------------------------------------------------------------------- SSCC, mod 10


def _reference_mod10(body: str) -> str:
    data = body.encode("ascii")
    total = sum((3 if index % 2 == 0 else 1) * (byte - 48) for index, byte in enumerate(data[::-1]))
    return str(-total % 10)


@given(st.text(alphabet="0123456789", min_size=0, max_size=70))
def test_mod10(body: str) -> None:
    assert mod10(body) == _reference_mod10(body)


def test_mod10_refuses_other_digits() -> None:
    with pytest.raises(UnicodeEncodeError):
        mod10("061414\u06611")


_SSCC_PARTS = st.text(alphabet="0123456789", min_size=0, max_size=18) | st.sampled_from(
    ["061414\u0661", "0614141x", "", "0614141.12", " 0614141"]
)


@settings(max_examples=400)
@given(
    _SSCC_PARTS,
    _SSCC_PARTS,
    st.sampled_from(["urn:epc:id:sscc:", " urn:epc:id:sscc:"]),
    st.sampled_from(["", " ", ".1"]),
)
def test_sscc_fast_path(company_prefix: str, reference: str, head: str, tail: str) -> None:
    uri = f"{head}{company_prefix}.{reference}{tail}"
    stripped = uri.strip()

    expected = _outcome(lambda: epc_uri_to_digital_link(stripped) or stripped)
    assert _outcome(lambda: canonical_value(uri)) == expected
    assert _outcome(lambda: canonical_epc(uri)) == expected
    assert _outcome(lambda: canonical_epcs([uri, uri])) == (
        expected if isinstance(expected, tuple) else [expected, expected]
    )
    plain = _plain_sscc(uri)
    if plain is not None:
        assert plain == epc_uri_to_digital_link(uri)


# --------------------------------------------------------------------------- times


def _reference_time(moment: datetime) -> str:
    offset = moment.utcoffset()
    assert offset is not None
    utc = moment.replace(tzinfo=None) - offset + timedelta(microseconds=500)
    return utc.isoformat(timespec="milliseconds") + "Z"


_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(0)), timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))]
)


@settings(max_examples=400)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    _ZONES,
    st.booleans(),
)
def test_canonical_time_agrees(moment: datetime, zone: timezone, whole_ms: bool) -> None:
    if whole_ms:
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    aware = moment.replace(tzinfo=zone)
    assert canonical_time(aware) == _reference_time(aware)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 1, 27, 11, 34, 30, tzinfo=UTC), "2024-01-27T11:34:30.000Z"),
        (datetime(2024, 1, 27, 11, 34, 30, 958000, tzinfo=UTC), "2024-01-27T11:34:30.958Z"),
        (datetime(999, 1, 2, 3, 4, 5, 6000, tzinfo=UTC), "0999-01-02T03:04:05.006Z"),
        (datetime(2024, 1, 27, 23, 59, 59, 999600, tzinfo=UTC), "2024-01-28T00:00:00.000Z"),
    ],
)
def test_canonical_time_cases(moment: datetime, expected: str) -> None:
    assert canonical_time(moment) == expected


# --------------------------------------------------------------------------- hash blocks


def _clear_hash_memos() -> None:
    for _name, steps in hashing._PLANS.values():
        for _get, _write, memo in steps:
            if memo is not None:
                memo.clear()


def _cold_prehash(event: Any) -> str:
    _clear_hash_memos()
    return prehash(event)


_SGLN = "urn:epc:id:sgln:0614141.00777.0"
_BASE = AggregationEvent(
    event_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    event_time_zone_offset="-05:00",
    action="ADD",
    parent_id="urn:epc:id:sscc:0614141.1234567890",
    child_epcs=("urn:epc:id:sgtin:0614141.812345.A1", "urn:epc:id:sgtin:0614141.812345.A2"),
    biz_step="urn:epcglobal:cbv:bizstep:packing",
    disposition="urn:epcglobal:cbv:disp:in_progress",
    read_point=Location(id=_SGLN),
    biz_location=Location(id=_SGLN),
)
_VARIANTS = [
    {},
    {"action": "DELETE"},
    {"biz_step": "urn:epcglobal:cbv:bizstep:shipping"},
    {"biz_step": "shipping"},
    {"disposition": None},
    {"read_point": None},
    {
        "read_point": Location(
            id=_SGLN, extensions=(Extension(namespace="urn:x", name="a", value="1"),)
        )
    },
    {"biz_location": Location(id="urn:epc:id:sgln:0614141.00778.0")},
    {"event_time_zone_offset": "+01:00"},
    {"biz_transactions": (BizTransaction(value="urn:epcglobal:cbv:bt:0614141000005:1"),)},
    {"sources": (SourceDest(type="urn:epcglobal:cbv:sdt:owning_party", value=_SGLN),)},
    {"destinations": (SourceDest(type="urn:epcglobal:cbv:sdt:owning_party", value=_SGLN),)},
    {"certification_info": ("https://example.com/cert/1",)},
]


@given(st.lists(st.sampled_from(range(len(_VARIANTS))), min_size=1, max_size=12))
def test_remembered_blocks_write_what_the_writers_write(order: list[int]) -> None:
    import msgspec

    events = [msgspec.structs.replace(_BASE, **_VARIANTS[index]) for index in order]
    expected = [_cold_prehash(event) for event in events]
    _clear_hash_memos()
    assert [prehash(event) for event in events] == expected


def test_block_variants_hash_apart() -> None:
    import msgspec

    texts = [prehash(msgspec.structs.replace(_BASE, **variant)) for variant in _VARIANTS]
    # "shipping" and its CBV URN are one value; every other variant differs.
    assert texts[2] == texts[3]
    assert len(set(texts)) == len(_VARIANTS) - 1


@settings(max_examples=150)
@given(st.lists(strategies.events, min_size=1, max_size=4))
def test_remembered_blocks_on_any_event(events: list[Any]) -> None:
    expected = [_cold_prehash(event) for event in events]
    assert [prehash(event) for event in events] == expected
    assert [prehash(event) for event in reversed(events)] == expected[::-1]


def test_unhashable_block_values_are_written_all_the_same() -> None:
    ilmd = (Extension(namespace="urn:epcglobal:cbv:mda", name="lotNumber", value="L1"),)
    event = ObjectEvent(
        event_time=datetime(2024, 1, 2, tzinfo=UTC),
        event_time_zone_offset="+00:00",
        action="ADD",
        epc_list=("urn:epc:id:sgtin:0614141.812345.A1",),
        ilmd=ilmd,
    )
    listed = msgspec_replace(event, ilmd=list(ilmd))
    assert prehash(listed) == prehash(event)
    assert event_hash(listed) == event_hash(event)


def msgspec_replace(event: Any, **changes: Any) -> Any:
    import msgspec

    return msgspec.structs.replace(event, **changes)


# --------------------------------------------------------------------------- validation


_KINDS = st.sampled_from(list(vocab.STANDARD_VALUES))


@settings(max_examples=400)
@given(
    _KINDS,
    st.sampled_from(
        [
            "",
            "urn:epcglobal:cbv:bizstep:",
            "https://ref.gs1.org/cbv/BizStep-",
            "cbv:BizStep-",
            "https://ref.gs1.org/cbv/Disp-",
            "urn:epcglobal:cbv:disp:",
            "gs1:",
            "https://gs1.org/voc/",
            "https://ref.gs1.org/cbv/Comp-",
            "cbv:",
        ]
    ),
    st.sampled_from(
        [
            *sorted({word for words in vocab.STANDARD_VALUES.values() for word in words}),
            *["", "x", "Shipping", "shipping "],
        ]
    ),
)
def test_is_standard_agrees(kind: vocab.VocabKind, prefix: str, word: str) -> None:
    value = prefix + word
    expected = vocab.to_canonical(kind, value) in vocab._STANDARD_CANON[kind]
    assert vocab.is_standard(kind, value) is expected


def _agg(**changes: Any) -> AggregationEvent:
    return msgspec_replace(_BASE, **changes)


def test_remembered_valid_values_do_not_hide_problems() -> None:
    validate_rules._VALID_OFFSETS.clear()
    validate_rules._VALID_LOCATIONS.clear()
    validate_values._VALID_NAMESPACES.clear()
    bad = _agg(
        event_time_zone_offset="+15:00",
        read_point=Location(
            id="urn:epc:id:sgln:0614141.0077.0",
            extensions=(Extension(namespace="urn:epcglobal:epcis:x", name="a", value="1"),),
        ),
    )
    good = _agg(
        read_point=Location(
            id=_SGLN, extensions=(Extension(namespace="https://ns.example/", name="a", value="1"),)
        )
    )
    first = validate_event(bad, index=0)
    assert {p.rule for p in first} == {
        "time.timezone-offset",
        "identifier.location",
        "extension.namespace-reserved",
    }
    assert validate_event(good, index=1) == []
    assert validate_event(bad, index=0) == first
    assert validate_event(good, index=1) == []
    assert validate_event(bad, index=0, syntax="xml") == validate_event(bad, index=0, syntax="xml")


def test_sink_base_is_worked_out_for_the_first_problem() -> None:
    sink = Sink(index=3, syntax="xml", kind="query")
    sink.add(Loc().field("bizStep"), "cbv.biz-step", "x")
    assert sink.base == "/EPCISQueryDocument/EPCISBody/QueryResults/resultsBody/EventList/*[4]"
    assert sink.problems[0].location.endswith("/*[4]/bizStep")


# --------------------------------------------------------------------------- JSON-LD reader

_CTX = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _document(events: list[dict[str, Any]], context: Any = _CTX) -> bytes:
    return orjson.dumps(
        {
            "@context": context,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-02T03:04:05.000Z",
            "epcisBody": {"eventList": events},
        }
    )


def _event(**members: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2024-01-02T03:04:05.000Z",
        "eventTimeZoneOffset": "-05:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:0614141.812345.1"],
        "bizStep": "shipping",
        "readPoint": {"id": _SGLN},
    }
    base.update(members)
    return {key: value for key, value in base.items() if value is not None}


def _read_both(data: bytes) -> object:
    """The events of both JSON-LD readers (whole document, streaming), or their error."""
    out = []
    for read in (
        lambda: read_jsonld(data).events,
        lambda: tuple(iter_jsonld_events(io.BytesIO(data))),
    ):
        try:
            out.append(read())
        except EpcisDocumentError as exc:
            out.append(("error", exc.reason, exc.location))
    assert out[0] == out[1]
    return out[0]


@pytest.mark.parametrize(
    ("members", "reason", "location"),
    [
        ({"eventTime": 5, "bizStep": "nonsense"}, "expected a string", "/eventTime"),
        ({"eventTime": "2024-01-02T03:04:05"}, "time zone", "/eventTime"),
        (
            {"eventTimeZoneOffset": "+15:00", "bizStep": 1},
            "time zone offset",
            "/eventTimeZoneOffset",
        ),
        ({"eventTimeZoneOffset": 5}, "expected a string", "/eventTimeZoneOffset"),
        ({"eventID": 1, "bizStep": "nonsense"}, "expected a string", "/eventID"),
        ({"bizStep": "nonsense", "readPoint": 1}, "not a CBV bizStep term", "/bizStep"),
        ({"bizStep": 7}, "expected a string", "/bizStep"),
        ({"disposition": "nonsense", "readPoint": 1}, "not a CBV disposition", "/disposition"),
        ({"readPoint": {"id": 1}}, "expected a string", "/readPoint/id"),
        ({"readPoint": {}}, "location without id", "/readPoint"),
        ({"readPoint": "x", "epcList": [1]}, "expected a JSON object", "/readPoint"),
        ({"epcList": ["a", 1]}, "expected a string", "/epcList/1"),
        ({"epcList": None}, None, None),
        ({"epcList": "x"}, "expected an array", "/epcList"),
        ({"quantityList": {}}, "expected an array", "/quantityList"),
        ({"action": "MOVE", "epcList": 1}, "expected action", "/action"),
        ({"x:y": "1"}, "prefix 'x'", "/x:y"),
        ({"ilmd": {"x:y": "1"}, "action": "ADD"}, "prefix 'x'", "/ilmd/x:y"),
    ],
)
def test_jsonld_event_problems_keep_their_order_and_pointer(
    members: dict[str, Any], reason: str | None, location: str | None
) -> None:
    for index in (0, 1):  # a valid event first fills the remembered values
        events = [_event(), _event(**members)][-1 - index :]
        got = _read_both(_document(events))
        if reason is None:
            assert not isinstance(got, tuple) or len(got) != 3 or got[0] != "error"
            continue
        assert isinstance(got, tuple) and got[0] == "error", got
        assert reason in got[1]
        assert got[2] == f"/epcisBody/eventList/{index}{location}"


def test_jsonld_plain_locations_are_shared_and_others_read_in_full() -> None:
    events = [
        _event(),
        _event(readPoint={"id": _SGLN, "example:f": "v"}, bizLocation={"id": _SGLN}),
        _event(readPoint={"id": _SGLN}),
    ]
    context = [_CTX, {"example": "http://ns.example.com/epcis/"}]
    got = _read_both(_document(events, context))
    assert isinstance(got, tuple)
    first, second, third = got
    assert first.read_point == Location(id=_SGLN)
    assert first.read_point is third.read_point
    assert second.read_point == Location(
        id=_SGLN,
        extensions=(
            Extension(
                namespace="http://ns.example.com/epcis/", name="f", prefix="example", value="v"
            ),
        ),
    )
    assert second.biz_location == Location(id=_SGLN)


def test_jsonld_extension_names_are_expanded_per_context() -> None:
    event = _event(**{"ex:f": "v", "ex:g": 1, "ex:h": ["a", "b"]})
    for namespace in ("http://a.example/", "http://b.example/"):
        got = _read_both(_document([event, event], [_CTX, {"ex": namespace}]))
        assert isinstance(got, tuple)
        for read in got:
            assert [(e.namespace, e.name, e.value, e.value_type) for e in read.extensions] == [
                (namespace, "f", "v", None),
                (namespace, "g", "1", "number"),
                (namespace, "h", "a", None),
                (namespace, "h", "b", None),
            ]
    inner = _event(**{"@context": [{"ex": "http://c.example/"}], "ex:f": "v"})
    got = _read_both(_document([event, inner, event], [_CTX, {"ex": "http://a.example/"}]))
    assert isinstance(got, tuple)
    assert [read.extensions[0].namespace for read in got] == [
        "http://a.example/",
        "http://c.example/",
        "http://a.example/",
    ]


def test_jsonld_vocabulary_values_remembered_per_kind() -> None:
    events = [
        _event(bizStep="in_transit"),
        _event(disposition="in_transit"),
        _event(disposition="in_transit", bizStep="shipping"),
    ]
    got = _read_both(_document(events))
    assert isinstance(got, tuple) and got[0] == "error"
    assert got[2] == "/epcisBody/eventList/0/bizStep"
    got = _read_both(_document(events[1:]))
    assert isinstance(got, tuple)
    assert [event.disposition for event in got] == ["urn:epcglobal:cbv:disp:in_transit"] * 2


# --------------------------------------------------------------------------- XML reader

_LOCATION_CHILDREN = st.sampled_from(
    [
        "<id>urn:epc:id:sgln:0614141.00777.0</id>",
        "<id> urn:epc:id:sgln:0614141.00777.0\n</id>",
        "<id></id>",
        "<id>  </id>",
        "<id>a<b/>c</id>",
        "<e:id xmlns:e='urn:epcglobal:epcis:xsd:1'>urn:x:1</e:id>",
        "<e:id xmlns:e='urn:example:x'>urn:x:1</e:id>",
        "<extension><x>1</x></extension>",
        "<u:f xmlns:u='urn:example:u'>1</u:f>",
        "<other>1</other>",
    ]
)


@given(st.lists(_LOCATION_CHILDREN, max_size=3), st.booleans())
def test_xml_location_fast_path_agrees(children: list[str], attribute: bool) -> None:
    attributes = " a='1'" if attribute else ""
    el = etree.fromstring(f"<readPoint{attributes}>" + "".join(children) + "</readPoint>")

    def outcome(read: Any) -> object:
        try:
            return read(el)
        except XmlValueProblem as exc:
            return ("problem", exc.message, exc.element)

    assert outcome(_location) == outcome(_location_checked)


_XML_EVENT = """<ObjectEvent>
  <eventTime>2024-01-02T03:04:05.000Z</eventTime>
  <eventTimeZoneOffset>{offset}</eventTimeZoneOffset>
  <epcList>
    <epc>urn:epc:id:sgtin:0614141.812345.1</epc>
    <epc>
      urn:epc:id:sgtin:0614141.812345.2
    </epc>
  </epcList>
  <action>ADD</action>
  <bizStep>{step}</bizStep>
  <readPoint>
    <id>urn:epc:id:sgln:0614141.00777.0</id>
  </readPoint>
  <extension>
    <ilmd>
      <cbvmda:lotNumber>  L1 </cbvmda:lotNumber>
      <cbvmda:note>   </cbvmda:note>
      <u:tree xmlns:u="urn:example:u">
        <u:leaf>x</u:leaf>
        text <u:leaf>y</u:leaf>
      </u:tree>
    </ilmd>
  </extension>
</ObjectEvent>"""


def _xml_document(*events: str) -> bytes:
    return (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" '
        'xmlns:cbvmda="urn:epcglobal:cbv:mda" schemaVersion="1.2" '
        'creationDate="2024-01-02T03:04:05Z">\n  <EPCISBody>\n    <EventList>\n'
        + "\n".join(events)
        + "\n    </EventList>\n  </EPCISBody>\n</epcis:EPCISDocument>\n"
    ).encode()


def _compact(data: bytes) -> bytes:
    """The same document without the indentation between elements."""
    return etree.tostring(etree.fromstring(data, etree.XMLParser(remove_blank_text=True)))


def test_xml_reading_ignores_indentation_only() -> None:
    data = _xml_document(_XML_EVENT.format(offset="-05:00", step="shipping"))
    pretty = read_xml(data)
    assert pretty == read_xml(_compact(data))
    (event,) = pretty.events
    assert event.epc_list == (
        "urn:epc:id:sgtin:0614141.812345.1",
        "urn:epc:id:sgtin:0614141.812345.2",
    )
    lot, note, tree = event.ilmd
    assert (lot.value, note.value) == ("L1", "")
    assert [child.value for child in tree.children] == ["x", "y"]
    assert parse_document(data).find(".//epcList").text is None  # blank text dropped


@pytest.mark.parametrize(
    ("offset", "step", "message"),
    [
        ("+15:00", "shipping", "time zone offset"),
        ("-05:00", "   ", "element bizStep is empty"),
    ],
)
def test_xml_problems_after_valid_events(offset: str, step: str, message: str) -> None:
    good = _XML_EVENT.format(offset="-05:00", step="shipping")
    bad = _XML_EVENT.format(offset=offset, step=step)
    for data in (_xml_document(good, bad), _compact(_xml_document(good, bad))):
        with pytest.raises(EpcisDocumentError, match=message) as caught:
            read_xml(data)
        assert "ObjectEvent[2]" in (caught.value.location or "")
