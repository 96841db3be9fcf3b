"""GS1 element strings: HRI and raw parsing, formatting, and the message helpers."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.element_string import (
    ElementString,
    Gs1Message,
    format_hri,
    format_raw,
    parse,
)
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    DateError,
    Gs1Error,
    Gs1SyntaxError,
    LengthError,
    UnknownAiError,
)

GTIN = "00312345678906"
EXPECTED = {"01": GTIN, "21": "0012", "10": "A1B2", "17": "260500"}


@pytest.mark.parametrize(
    ("text", "symbology"),
    [
        # HRI
        ("(01)00312345678906(21)0012(10)A1B2(17)260500", None),
        # HRI with spaces between elements
        ("(01) 00312345678906 (21) 0012 (10) A1B2 (17) 260500", None),
        # DataMatrix raw, GS after variable fields
        ("]d20100312345678906210012\x1d10A1B2\x1d17260500", "]d2"),
        # fixed-length AIs need no separator; variable ones last
        ("]Q3010031234567890617260500210012\x1d10A1B2", "]Q3"),
        # GS1-128 with a leading FNC1 transmitted as GS
        ("]C1\x1d0100312345678906210012\x1d10A1B2\x1d17260500", "]C1"),
        # no symbology identifier, visible <GS> stand-in
        ("0100312345678906210012<GS>10A1B2<GS>17260500", None),
        # control picture stand-in U+241D
        ("0100312345678906210012\u241d10A1B2\u241d17260500", None),
        # the four characters backslash x 1 d
        ("0100312345678906210012\\x1d10A1B2\\x1d17260500", None),
        # trailing separator and a redundant one after a fixed-length field
        ("]e001003123456789061726050010A1B2\x1d210012\x1d", "]e0"),
        # keyboard-wedge scanner appends CR LF
        ("]d20100312345678906210012\x1d10A1B2\x1d17260500\r\n", "]d2"),
        # the same AI repeated with the same value is read once
        ("(01)00312345678906(21)0012(10)A1B2(17)260500(21)0012", None),
    ],
)
def test_parse_valid(text: str, symbology: str | None) -> None:
    message = parse(text)
    assert message.as_dict() == EXPECTED
    assert message.symbology == symbology


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        # wrong check digit
        ("(01)00312345678905(21)1", CheckDigitError, "AI (01) 00312345678905: check digit 5"),
        # unknown AI in HRI
        ("(01)00312345678906(23)1", UnknownAiError, "(23)"),
        # unknown AI in raw data
        ("01003123456789062312", UnknownAiError, "at position 16"),
        # duplicate AI, different values
        ("(21)1(21)2", Gs1SyntaxError, "appears twice with different values"),
        # empty value in HRI
        ("(01)00312345678906(21)(10)A", LengthError, "AI (21): value is empty"),
        # empty value between separators
        ("]d221\x1d10A\x1d17260500", LengthError, "AI (21): value is empty"),
        # missing separator: serial runs past 20 characters into the lot
        ("]d221ABCDEFGHIJKLMNOPQ10LOT1", LengthError, "is a GS separator missing"),
        # fixed-length field cut short
        ("]d201003123456", LengthError, "cut short after 9 digits, expected 14"),
        # fixed-length field cut short by a separator
        ("]d20100312\x1d21A", LengthError, "cut short"),
        # bad date
        ("(17)261301", DateError, "month 13"),
        # bad character set
        ("(21)A B", CharacterSetError, "' ' at position 2"),
        # not a GS1 symbology identifier (plain DataMatrix)
        ("]d10100312345678906", Gs1SyntaxError, "does not announce GS1 data"),
        # HRI text before the first AI
        ("(x)(01)00312345678906", Gs1SyntaxError, "must start with '(AI)'"),
        # text that is neither HRI nor starts with an AI
        ("x(01)00312345678906", UnknownAiError, "at position 0"),
        # nothing at all
        ("]d2\x1d", Gs1SyntaxError, "no element strings"),
        # expiry date with a time part that is out of range
        ("(7003)2601312460", DateError, "hour 24"),
    ],
)
def test_parse_invalid(text: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as caught:
        parse(text)
    assert message in str(caught.value)


def test_undetectable_missing_separator() -> None:
    # Documented limit: a serial short enough swallows the following AI silently.
    assert parse("]d221ABC10LOT").as_dict() == {"21": "ABC10LOT"}


@pytest.mark.parametrize(
    ("pairs", "kwargs", "expected"),
    [
        # default: ]d2, GS only between variable-length fields, none at the end
        ([("01", GTIN), ("21", "0012"), ("10", "A")], {}, "]d20100312345678906210012\x1d10A"),
        # no separator needed after fixed-length AIs
        ([("21", "1"), ("17", "260500"), ("10", "A")], {"symbology": None}, "211\x1d1726050010A"),
        # visible separator and GS1-128 identifier
        ([("10", "A"), ("21", "1")], {"symbology": "]C1", "separator": "<GS>"}, "]C110A<GS>211"),
        # reorder puts pre-defined-length AIs first
        ([("21", "1"), ("01", GTIN)], {"reorder": True}, "]d20100312345678906211"),
        # FNC1-required fixed-length AI (7003) still needs a separator
        (
            [("7003", "2601311200"), ("01", GTIN)],
            {"symbology": None},
            f"70032601311200\x1d01{GTIN}",
        ),
    ],
)  # fmt: skip
def test_format_raw(pairs: list[tuple[str, str]], kwargs: dict[str, str], expected: str) -> None:
    message = Gs1Message.of(*pairs)
    assert format_raw(message, **kwargs) == expected  # type: ignore[arg-type]
    assert parse(expected).as_dict() == message.as_dict()


def test_format_hri() -> None:
    message = Gs1Message.of(("01", GTIN), ("17", "260500"), ("10", "A(1)"))
    assert format_hri(message) == "(01)00312345678906(17)260500(10)A(1)"


def test_message_helpers() -> None:
    message = parse("(01)00312345678906(17)260500(10)A1B2(21)0012")
    identifier = message.product_identifier()
    assert (identifier.gtin.value, identifier.serial, identifier.lot) == (GTIN, "0012", "A1B2")
    assert identifier.expiry.date == datetime.date(2026, 5, 31)
    assert str(message.sgtin()) == "(01)00312345678906(21)0012"
    assert message.gtin().value == GTIN
    assert message.get("00") is None
    assert parse("(00)106141411234567897").sscc().value == "106141411234567897"


@pytest.mark.parametrize(
    ("text", "call", "missing"),
    [
        # lot and expiry missing for a DSCSA product identifier
        ("(01)00312345678906(21)1", "product_identifier", "(10) BATCH/LOT, (17) USE BY or EXPIRY"),
        # no serial for an SGTIN
        ("(01)00312345678906", "sgtin", "(21) SERIAL"),
        # no SSCC
        ("(01)00312345678906", "sscc", "(00) SSCC"),
    ],
)
def test_message_helpers_name_what_is_missing(text: str, call: str, missing: str) -> None:
    with pytest.raises(Gs1Error, match=re.escape(missing)):
        getattr(parse(text), call)()


@pytest.mark.parametrize(
    ("build", "error"),
    [
        # no elements
        (lambda: Gs1Message(()), Gs1SyntaxError),
        # same AI twice
        (lambda: Gs1Message.of(("21", "1"), ("21", "1")), Gs1SyntaxError),
        # unknown symbology
        (lambda: Gs1Message.of(("21", "1"), symbology="]X9"), Gs1SyntaxError),
        # element whose spec belongs to another AI
        (lambda: ElementString("21", "1", ElementString.of("10", "1").spec), ValueError),
    ],
)
def test_message_invariants(build: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()  # type: ignore[operator]


_CSET82 = "".join(sorted(CSET82))
_HRI_AI_TEXT = re.compile(r"\(\d{2,4}\)")


@st.composite
def messages(draw: st.DrawFn) -> Gs1Message:
    body = draw(st.text("0123456789", min_size=13, max_size=13))
    serial = draw(st.text(_CSET82, min_size=1, max_size=20))
    lot = draw(st.text(_CSET82, min_size=1, max_size=20))
    expiry = draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2049, 12, 31)))
    day = draw(st.sampled_from(["00", f"{expiry.day:02d}"]))
    pairs = [
        ("01", body + mod10(body)),
        ("21", serial),
        ("10", lot),
        ("17", expiry.strftime("%y%m") + day),
    ]
    order = draw(st.permutations(pairs))
    return Gs1Message.of(*order)


@given(messages())
def test_raw_round_trip(message: Gs1Message) -> None:
    assert parse(format_raw(message)) == message
    assert parse(format_raw(message, symbology=None, reorder=True)).as_dict() == message.as_dict()


@given(messages())
def test_hri_round_trip(message: Gs1Message) -> None:
    hri = format_hri(message)
    # Documented limit: HRI cannot carry values that contain "(nn)".
    if not any(_HRI_AI_TEXT.search(e.value) for e in message):
        assert parse(hri) == message
