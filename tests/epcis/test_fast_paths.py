"""The capture-path fast paths agree with the full paths they short-cut.

Each fast path (EPC URI regular expressions in validation, the SGTIN → Digital Link batch in
the event hash, the EPC list of the XML reader, the string list and document head of the
JSON-LD reader) must give exactly what the full path gives, for valid and invalid input alike:
the fast path may only say "valid, and here is the result" when the full path agrees, and
otherwise hands over to the full path (so error messages are the full path's).
"""

from __future__ import annotations

import io

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.hashing_canon import canonical_epcs, canonical_value, joined_canonical_epcs
from medtrace.epcis.jsonld_reader import _strs, iter_jsonld_events, read_jsonld
from medtrace.epcis.validate_core import Loc, Sink
from medtrace.epcis.validate_ids import (
    IdProblem,
    _epc_urn_problem,
    check_absolute_uri,
    check_instance_epc,
    check_location,
    claims_digital_link,
    fast_valid_instance_epcs,
)
from medtrace.epcis.validate_values import check_epcs, report_id
from medtrace.epcis.xml_event_reader import XmlValueProblem, _epc_list, _epc_list_checked

# --------------------------------------------------------------------------- EPC URI strings

_SCHEMES = st.sampled_from(["sgtin", "sscc", "sgln", "SGTIN", "pgln", "lgtin", "giai", ""])
_HEADS = st.sampled_from(
    ["urn:epc:id:", "urn:epc:id:", "urn:epc:class:", "urn:epc:", " urn:epc:id:"]
)
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=14)
_ODD_DIGITS = st.text(alphabet="0123456789\u0660\u0661x. ", min_size=0, max_size=14)
_SERIAL_ATOMS = st.sampled_from(
    [
        *"AZaz09!'()*+,-.:;=_",
        *"\"%&/<>? \n\t#é",
        "%2F", "%2f", "%22", "%25", "%26", "%3C", "%3c", "%3E", "%3F", "%3f", "%41", "%2", "%",
    ]
)  # fmt: skip
_VALID_ATOMS = st.sampled_from(
    [*"AZaz09!'()*+,-.:;=_", "%2F", "%2f", "%22", "%25", "%26", "%3C", "%3c", "%3E", "%3F"]
)
_SERIALS = st.lists(_SERIAL_ATOMS, min_size=0, max_size=24).map("".join)


@st.composite
def epc_uris(draw: st.DrawFn) -> str:
    """EPC-URI-like strings: mostly well-formed SGTIN/SSCC/SGLN, often slightly broken."""
    head = draw(_HEADS) + draw(_SCHEMES) + draw(st.sampled_from([":", ":", ".", ""]))
    company_prefix = draw(st.one_of(_DIGITS, _ODD_DIGITS))
    reference = draw(st.one_of(_DIGITS, _ODD_DIGITS))
    fields = [company_prefix, reference]
    if draw(st.booleans()):
        fields.append(draw(_SERIALS))
    return head + ".".join(fields) + draw(st.sampled_from(["", "", "\n", " ", ".x"]))


@st.composite
def well_formed_epcs(draw: st.DrawFn) -> str:
    """Valid SGTIN, SSCC and SGLN URIs of every GS1 Company Prefix length."""
    scheme = draw(st.sampled_from(["sgtin", "sscc", "sgln"]))
    cp_length = draw(st.integers(6, 12))
    total = {"sgtin": 13, "sscc": 17, "sgln": 12}[scheme]
    company_prefix = draw(st.text(alphabet="0123456789", min_size=cp_length, max_size=cp_length))
    rest = total - cp_length
    reference = draw(st.text(alphabet="0123456789", min_size=rest, max_size=rest))
    uri = f"urn:epc:id:{scheme}:{company_prefix}.{reference}"
    if scheme != "sscc":
        atoms = st.lists(_VALID_ATOMS, min_size=1, max_size=20)
        uri += "." + "".join(draw(atoms))
    return uri


def _reference_instance(value: str) -> IdProblem | None:
    """check_instance_epc as it was before the fast path (URN branch)."""
    if value.startswith("urn:epc:id:"):
        problem = _epc_urn_problem(value)
        return None if problem is None else IdProblem(problem)
    return check_instance_epc(value)


def _reference_location(value: str) -> IdProblem | None:
    """check_location as it was before the fast path (URN branch)."""
    if value.startswith(("urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:")):
        problem = _epc_urn_problem(value)
        return None if problem is None else IdProblem(problem)
    assert not claims_digital_link(value)
    problem = check_absolute_uri(value, "location identifier")
    return None if problem is None else IdProblem(problem)


@settings(max_examples=600)
@given(st.one_of(epc_uris(), well_formed_epcs()))
def test_fast_epc_check_agrees_with_the_parser(value: str) -> None:
    if fast_valid_instance_epcs([value]):
        assert _epc_urn_problem(value) is None, value
    assert check_instance_epc(value) == _reference_instance(value)
    assert check_location(value) == _reference_location(value)


@given(well_formed_epcs())
def test_well_formed_epcs_take_the_fast_path(value: str) -> None:
    assert _epc_urn_problem(value) is None
    assert fast_valid_instance_epcs([value])


@pytest.mark.parametrize(
    ("values", "fast"),
    [
        # empty list: nothing to check
        ([], True),
        # the common case
        (["urn:epc:id:sgtin:0614141.812345.6789", "urn:epc:id:sscc:0614141.1234567890"], True),
        # 12-digit prefix and empty location reference
        (["urn:epc:id:sgln:061414112345..0"], True),
        # a line break inside one value would make two well-formed lines
        (["urn:epc:id:sgtin:0614141.812345.1\nurn:epc:id:sgtin:0614141.812345.2"], False),
        # an empty value
        (["urn:epc:id:sgtin:0614141.812345.1", ""], False),
        # 21 characters of serial
        (["urn:epc:id:sgtin:0614141.812345." + "1" * 21], False),
        # 20 characters once unescaped
        (["urn:epc:id:sgtin:0614141.812345." + "1" * 19 + "%2F"], True),
        # escape that TDS §5 does not define
        (["urn:epc:id:sgtin:0614141.812345.%41"], False),
        # Arabic-Indic digit in the company prefix
        (["urn:epc:id:sgtin:061414\u0661.812345.1"], False),
    ],
)
def test_fast_epc_list_cases(values: list[str], fast: bool) -> None:
    assert fast_valid_instance_epcs(values) is fast
    if fast:
        assert all(_epc_urn_problem(value) is None for value in values)


@given(st.lists(st.one_of(epc_uris(), well_formed_epcs()), max_size=6))
def test_check_epcs_reports_like_the_item_loop(values: list[str]) -> None:
    for syntax in ("xml", "jsonld"):
        fast = Sink(index=2, syntax=syntax, base="/e")
        check_epcs(fast, Loc(), values, "epcList")
        slow = Sink(index=2, syntax=syntax, base="/e")
        for index, value in enumerate(values):
            here = Loc().item("epcList", "epcList", "epc", index)
            report_id(slow, here, "identifier.epc", _reference_instance(value), value)
        assert fast.problems == slow.problems


# --------------------------------------------------------------------------- event hash


@st.composite
def sgtin_lists(draw: st.DrawFn) -> list[str]:
    """EPC lists as events carry them: mostly one product, plain serials, some odd ones."""
    classes = draw(
        st.lists(
            st.sampled_from(
                ["0614141.812345", "4012345.011111", "061414.1234567", "0614141.81234"]
            ),
            min_size=1,
            max_size=2,
        )
    )
    plain = st.text(alphabet="0123456789ABCxyz", min_size=1, max_size=20)
    serial = st.one_of(plain, plain, _SERIALS)
    items = st.tuples(st.sampled_from(classes), serial).map(
        lambda pair: f"urn:epc:id:sgtin:{pair[0]}.{pair[1]}"
    )
    other = st.sampled_from(
        ["urn:epc:id:sscc:0614141.1234567890", " urn:epc:id:sgtin:0614141.812345.A ", "urn:x:y"]
    )
    return draw(st.lists(st.one_of(items, items, items, other), min_size=1, max_size=30))


@settings(max_examples=400)
@given(sgtin_lists())
def test_epc_canonical_forms_agree(epcs: list[str]) -> None:
    expected = [canonical_value(epc) for epc in epcs]
    assert canonical_epcs(epcs) == expected
    assert joined_canonical_epcs(epcs, "epc=") == "".join(sorted("epc=" + v for v in expected))


def test_joined_canonical_epcs_line_break_inside_a_value() -> None:
    epcs = ["urn:epc:id:sgtin:0614141.812345.1\nurn:epc:id:sgtin:0614141.812345.2"]
    assert joined_canonical_epcs(epcs, "|") == "|" + canonical_value(epcs[0])


# --------------------------------------------------------------------------- XML EPC lists

_CHILDREN = st.sampled_from(
    [
        "<epc>urn:epc:id:sgtin:0614141.812345.1</epc>",
        "<epc>  urn:epc:id:sgtin:0614141.812345.2\n</epc>",
        "<epc></epc>",
        "<epc>   </epc>",
        "<epc>a<b>c</b></epc>",
        "<e:epc xmlns:e='urn:epcglobal:epcis:xsd:2'>urn:x:1</e:epc>",
        "<e:epc xmlns:e='urn:example:x'>urn:x:1</e:epc>",
        "<other>urn:x:1</other>",
        "<!-- a comment -->",
        "<?pi x?>",
        "\n  ",
    ]
)


@given(st.lists(_CHILDREN, max_size=6))
def test_xml_epc_list_fast_path_agrees(children: list[str]) -> None:
    el = etree.fromstring("<epcList>" + "".join(children) + "</epcList>")

    def outcome(read: object) -> object:
        try:
            return read(el)  # type: ignore[operator]
        except XmlValueProblem as exc:
            return ("problem", exc.message, exc.element)
        except TypeError as exc:  # a comment or PI child (the safe parser drops them)
            return ("type error", str(exc))

    assert outcome(_epc_list) == outcome(_epc_list_checked)


# --------------------------------------------------------------------------- JSON-LD


@given(st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=5))
def test_jsonld_string_list_fast_path_agrees(items: list[object]) -> None:
    def slow() -> object:
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, str):
                return ("error", f"/e/{index}")
            out.append(item)
        return tuple(out)

    try:
        got: object = _strs(items, "/e")
    except EpcisDocumentError as exc:
        got = ("error", exc.location)
    assert got == slow()


_CTX = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2024-01-02T03:04:05.000Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:0614141.812345.1"],
    "x:f": "v",
}


@pytest.mark.parametrize(
    "order",
    [
        # the usual order: @context and type first, only the head is read
        ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
        # @context after the body: the whole document is read first
        ["type", "schemaVersion", "creationDate", "epcisBody", "@context"],
        # type after the body
        ["@context", "schemaVersion", "creationDate", "epcisBody", "type"],
    ],
)
def test_jsonld_document_head_in_any_order(order: list[str]) -> None:
    members = {
        "@context": [_CTX, {"x": "http://x.example/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-02T03:04:05.000Z",
        "epcisBody": {"eventList": [_EVENT, _EVENT]},
    }
    data = orjson.dumps({key: members[key] for key in order})
    assert tuple(iter_jsonld_events(io.BytesIO(data))) == read_jsonld(data).events


def test_jsonld_document_without_type() -> None:
    data = orjson.dumps({"@context": _CTX, "epcisBody": {"eventList": [_EVENT]}})
    with pytest.raises(EpcisDocumentError, match="expected type EPCISDocument"):
        list(iter_jsonld_events(io.BytesIO(data)))
