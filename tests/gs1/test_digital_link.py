"""GS1 Digital Link URIs: parsing, canonical form, and the element-string round trip."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.digital_link import DigitalLink, build
from medtrace.gs1.element_string import ElementString, Gs1Message, format_raw, parse
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    Gs1Error,
    Gs1SyntaxError,
    LengthError,
    UnknownAiError,
)

GTIN = "09506000134352"


@pytest.mark.parametrize(
    ("uri", "elements", "params", "canonical"),
    [
        # GTIN + lot + serial, expiry as an AI attribute
        (
            "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=260500",
            {"01": GTIN, "10": "ABC", "21": "12345", "17": "260500"},
            (),
            "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=260500",
        ),
        # GTIN-13 in the path, another domain and a path prefix
        (
            "https://example.com/foo/01/9506000134352/10/ABC",
            {"01": GTIN, "10": "ABC"},
            (),
            "https://id.gs1.org/01/09506000134352/10/ABC",
        ),
        # DSCSA verification request: exp short name, non-AI parameters kept in order
        (
            (
                "https://vrs.example/api/01/09506000134352/10/L1/21/S1"
                "?exp=270131&linkType=verificationService&context=dscsaSaleableReturn"
                "&reqGLN=0614141000005&corrUUID=abc-1"
            ),
            {"01": GTIN, "10": "L1", "21": "S1", "17": "270131"},
            (
                ("linkType", "verificationService"),
                ("context", "dscsaSaleableReturn"),
                ("reqGLN", "0614141000005"),
                ("corrUUID", "abc-1"),
            ),
            "https://id.gs1.org/01/09506000134352/10/L1/21/S1?17=270131",
        ),
        # percent-encoded serial with / % & + and a literal + that stays a plus
        (
            "https://id.gs1.org/01/09506000134352/21/a%2Fb%25c%26d%2Be+f",
            {"01": GTIN, "21": "a/b%c&d+e+f"},
            (),
            "https://id.gs1.org/01/09506000134352/21/a%2Fb%25c%26d%2Be%2Bf",
        ),
        # Digital Link 1.0 short names in the path
        (
            "https://example.com/gtin/09506000134352/lot/X/ser/Y",
            {"01": GTIN, "10": "X", "21": "Y"},
            (),
            "https://id.gs1.org/01/09506000134352/10/X/21/Y",
        ),
        # data attributes are sorted by AI in canonical form; trailing slash ignored
        (
            "http://example.com/01/09506000134352/?3103=000250&10=L%3D1&11=260101",
            {"01": GTIN, "3103": "000250", "10": "L=1", "11": "260101"},
            (),
            "https://id.gs1.org/01/09506000134352?10=L%3D1&11=260101&3103=000250",
        ),
        # GLN with extension (254 qualifies 414)
        (
            "https://id.gs1.org/414/0614141000005/254/A1",
            {"414": "0614141000005", "254": "A1"},
            (),
            "https://id.gs1.org/414/0614141000005/254/A1",
        ),
        # SSCC without qualifiers, GTIN of contents as attribute (02)
        (
            "https://id.gs1.org/00/106141411234567897?02=09506000134352&37=10",
            {"00": "106141411234567897", "02": GTIN, "37": "10"},
            (),
            "https://id.gs1.org/00/106141411234567897?02=09506000134352&37=10",
        ),
        # TPX: the second qualifier alternative of 01
        (
            "https://id.gs1.org/01/09506000134352/235/XYZ",
            {"01": GTIN, "235": "XYZ"},
            (),
            "https://id.gs1.org/01/09506000134352/235/XYZ",
        ),
    ],
)
def test_parse(
    uri: str, elements: dict[str, str], params: tuple[tuple[str, str], ...], canonical: str
) -> None:
    link = DigitalLink.parse(uri)
    assert link.to_message().as_dict() == elements
    assert link.params == params
    assert link.canonical() == canonical
    assert DigitalLink.parse(canonical).canonical() == canonical


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        # qualifiers out of order
        ("https://id.gs1.org/01/09506000134352/21/S/10/L", Gs1SyntaxError, "out of order"),
        # qualifier of another key
        ("https://id.gs1.org/01/09506000134352/254/S", Gs1SyntaxError, "expected 22/10/21 or 235"),
        # mixing the two qualifier alternatives
        ("https://id.gs1.org/01/09506000134352/10/L/235/T", Gs1SyntaxError, "do not qualify"),
        # serial in the query is not a data attribute
        ("https://id.gs1.org/01/09506000134352?21=5", Gs1SyntaxError, "not permitted"),
        # same AI in path and query
        ("https://id.gs1.org/01/09506000134352/10/L?10=M", Gs1SyntaxError, "appears twice"),
        # bad GTIN check digit
        ("https://id.gs1.org/01/09506000134353", CheckDigitError, "check digit 3 is wrong"),
        # no primary key in the path
        ("https://id.gs1.org/foo/bar", Gs1SyntaxError, "no GS1 Digital Link primary key"),
        # unknown AI in a qualifier position
        ("https://id.gs1.org/01/09506000134352/23/x", UnknownAiError, "(23)"),
        # unknown numeric query key
        ("https://id.gs1.org/01/09506000134352?23=1", UnknownAiError, "(23)"),
        # broken percent escape
        ("https://id.gs1.org/01/09506000134352/21/a%2", Gs1SyntaxError, "two hex digits"),
        # percent-encoded character outside CSET 82
        ("https://id.gs1.org/01/09506000134352/21/a%20b", CharacterSetError, "' '"),
        # serial longer than 20 characters
        ("https://id.gs1.org/01/09506000134352/21/" + "x" * 21, LengthError, "at most 20"),
        # not an absolute URI
        ("/01/09506000134352", Gs1SyntaxError, "not an absolute URI"),
        # bad expiry via the short name
        ("https://id.gs1.org/01/09506000134352?exp=261301", Gs1Error, "month 13"),
    ],
)
def test_parse_invalid(uri: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as caught:
        DigitalLink.parse(uri)
    assert message in str(caught.value)


def test_to_uri_keeps_params_and_prefix() -> None:
    link = DigitalLink.parse("https://a.example/01/09506000134352/21/1?linkType=gs1:pip&x=%26")
    assert link.to_uri("https://b.example/dl") == (
        "https://b.example/dl/01/09506000134352/21/1?linkType=gs1%3Apip&x=%26"
    )
    assert link.to_uri(include_params=False) == link.canonical()
    with pytest.raises(Gs1SyntaxError):
        link.to_uri("b.example")


@pytest.mark.parametrize(
    ("hri", "uri"),
    [
        # DSCSA product identifier: qualifiers move to the path in standard order
        (
            "(01)09506000134352(17)270131(10)L1(21)0012",
            "https://id.gs1.org/01/09506000134352/10/L1/21/0012?17=270131",
        ),
        # SSCC with content and count
        ("(00)106141411234567897(02)09506000134352(37)10", None),
        # GLN with extension
        ("(414)0614141000005(254)A", "https://id.gs1.org/414/0614141000005/254/A"),
    ],
)
def test_message_round_trip(hri: str, uri: str | None) -> None:
    message = parse(hri)
    link = DigitalLink.from_message(message)
    if uri is not None:
        assert build(message) == uri
    assert link.to_message().as_dict() == message.as_dict()
    assert DigitalLink.parse(build(message, domain="https://x.example")) == link


@pytest.mark.parametrize(
    ("hri", "message"),
    [
        # no primary key at all
        ("(10)L1(17)270131", "has no Digital Link primary key"),
        # serial without a GTIN cannot be a data attribute of an SSCC
        ("(00)106141411234567897(21)1", "not permitted"),
    ],
)
def test_from_message_invalid(hri: str, message: str) -> None:
    with pytest.raises(Gs1SyntaxError, match=message):
        DigitalLink.from_message(parse(hri))


def test_invariants() -> None:
    # A serial cannot be a primary key; parameters may not shadow AIs.
    with pytest.raises(Gs1SyntaxError):
        DigitalLink(ElementString.of("21", "1"))
    with pytest.raises(Gs1SyntaxError):
        DigitalLink(ElementString.of("01", GTIN), params=(("exp", "270131"),))


_CSET82 = "".join(sorted(CSET82))


@st.composite
def links(draw: st.DrawFn) -> DigitalLink:
    body = draw(st.text("0123456789", min_size=13, max_size=13))
    key = ElementString.of("01", body + mod10(body))
    qualifiers = tuple(
        ElementString.of(ai, draw(st.text(_CSET82, min_size=1, max_size=20)))
        for ai in ("22", "10", "21")
        if draw(st.booleans())
    )
    attributes = []
    if draw(st.booleans()):
        expiry = draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2049, 12, 31)))
        attributes.append(ElementString.of("17", expiry.strftime("%y%m%d")))
    if draw(st.booleans()):
        attributes.append(ElementString.of("7003", "2601311200"))
    params = tuple(
        draw(
            st.lists(
                st.tuples(st.sampled_from(["linkType", "context", "lang"]), st.text(max_size=8)),
                max_size=3,
            )
        )
    )
    return DigitalLink(key, qualifiers, tuple(attributes), params)


@given(links())
def test_canonical_round_trip(link: DigitalLink) -> None:
    without_params = DigitalLink(link.primary_key, link.qualifiers, link.attributes)
    assert DigitalLink.parse(link.canonical()) == without_params
    assert DigitalLink.parse(link.to_uri("https://example.com/p")) == link


@given(links())
def test_element_string_round_trip(link: DigitalLink) -> None:
    message: Gs1Message = link.to_message()
    again = DigitalLink.from_message(parse(format_raw(message)))
    assert again.canonical() == link.canonical()
    assert again.to_message().as_dict() == message.as_dict()


@given(links())
def test_from_path_reads_what_parse_reads(link: DigitalLink) -> None:
    uri = link.to_uri("https://example.com/resolver")
    _, _, rest = uri.partition("https://example.com")
    path, _, query = rest.partition("?")
    assert DigitalLink.from_path(path, query) == DigitalLink.parse(uri) == link


def test_from_path_names_the_link_in_its_errors() -> None:
    with pytest.raises(Gs1SyntaxError, match=r"'https://id\.gs1\.org/x/y\?a=b' has no GS1"):
        DigitalLink.from_path("/x/y", "a=b")
    with pytest.raises(Gs1SyntaxError, match="'/x/y' has no GS1"):
        DigitalLink.from_path("/x/y", uri="/x/y")
