"""The AI table: lookup, prefix matching and per-component validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.ai import AiSpec, Component, lookup, match_prefix, parse_format, validate
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    DateError,
    Gs1Error,
    LengthError,
    UnknownAiError,
)


@pytest.mark.parametrize(
    ("ai", "value"),
    [
        ("01", "00312345678906"),  # GTIN-14 with correct check digit
        ("00", "106141411234567897"),  # SSCC
        ("414", "0614141000005"),  # GLN
        ("17", "260500"),  # expiry with DD=00 (month end)
        ("17", "280229"),  # 29 February of a leap year
        ("11", "251231"),  # production date
        ("21", "0012"),  # serial keeps leading zeros
        ("21", "!\"%&'()*+,-./:;<=>?_"),  # serial of CSET 82 punctuation
        ("10", "A" * 20),  # lot at maximum length
        ("7003", "2601312359"),  # expiry date and time
        ("253", "0614141000005"),  # GDTI without the optional serial
        ("253", "0614141000005ABC-1"),  # GDTI with serial
        ("423", "276040"),  # two whole 3-digit country codes
        ("8006", "003123456789060102"),  # ITIP piece 1 of 2
        ("4330", "002500-"),  # negative temperature
        ("8008", "2601311230"),  # production time to the minute
        ("8030", "AbC-_09=="),  # CSET 64 with padding
        ("8010", "A#1"),  # CSET 39 component/part identifier
        ("7240", "P1"),  # protocol
        ("8007", "GB82WEST12345698765432"),  # IBAN with valid mod-97
    ],
)
def test_valid_values(ai: str, value: str) -> None:
    assert validate(ai, value) == value


@pytest.mark.parametrize(
    ("ai", "value", "error", "message"),
    [
        # wrong GTIN check digit, exact message
        (
            "01",
            "00312345678905",
            CheckDigitError,
            "AI (01) 00312345678905: check digit 5 is wrong, expected 6",
        ),
        # SSCC check digit
        ("00", "106141411234567890", CheckDigitError, "check digit 0 is wrong, expected 7"),
        # GLN check digit
        ("414", "0614141000006", CheckDigitError, "expected 5"),
        # GTIN too short in an element string (no GTIN-13 in AI 01)
        ("01", "0312345678906", LengthError, "length 13 is wrong, expected 14 digits"),
        # letters in a numeric AI
        ("01", "0031234567890A", CharacterSetError, "expected only digits"),
        # empty value
        ("21", "", LengthError, "AI (21): value is empty, expected 1 to 20 characters"),
        # serial longer than 20
        ("21", "X" * 21, LengthError, "too long, expected at most 20 characters"),
        # space is not in CSET 82
        ("21", "A B", CharacterSetError, "' ' at position 2"),
        # GS char inside a lot
        ("10", "A\x1dB", CharacterSetError, "position 2"),
        # month 13
        ("17", "261301", DateError, "month 13"),
        # 30 February
        ("17", "260230", DateError, "day 30"),
        # DD=00 not allowed where the dictionary says yymmdd
        ("7006", "260500", DateError, "day 00 is not allowed"),
        # minute 60 in 7003
        ("7003", "2601311260", DateError, "component 2 (N4,hhmi): minute 60"),
        # 7003 without time
        ("7003", "260131", LengthError, "expected 10 digits"),
        # country list must be whole 3-digit codes
        ("423", "2760", LengthError, "does not fit the format N3 [N3] [N3] [N3] [N3]"),
        # ITIP piece 3 of 2
        ("8006", "003123456789060302", Gs1Error, "piece 03 of total 02"),
        # temperature sign must be a hyphen
        ("4330", "002500+", Gs1Error, "expected one of -"),
        # percent escape not followed by hex
        ("4300", "ACME%G0", Gs1Error, "percent escape"),
        # lower case is not in CSET 39
        ("8010", "a1", CharacterSetError, "set 39"),
        # IBAN with a wrong check
        ("8007", "GB82WEST12345698765433", Gs1Error, "mod 97"),
        # unknown AI
        ("23", "1", UnknownAiError, "(23) is not a GS1 Application Identifier"),
    ],
)
def test_invalid_values(ai: str, value: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as caught:
        validate(ai, value)
    assert message in str(caught.value)
    assert caught.value.ai == (None if error is UnknownAiError else ai)


@pytest.mark.parametrize(
    ("data", "ai"),
    [
        ("0100312345678906", "01"),  # 2-digit AI
        ("2100012", "21"),  # serial
        ("2530614141000005", "253"),  # 3-digit AI
        ("3103000250", "3103"),  # 4-digit measure AI
        ("7003260131", "7003"),  # 4-digit date-time AI
        ("91abc", "91"),  # company internal
    ],
)
def test_match_prefix(data: str, ai: str) -> None:
    assert match_prefix(data).ai == ai


@pytest.mark.parametrize(
    "data",
    [
        "2312",  # 23 is not allocated
        "",  # nothing
        "A1",  # not digits
    ],
)
def test_match_prefix_unknown(data: str) -> None:
    with pytest.raises(UnknownAiError):
        match_prefix(data)


@pytest.mark.parametrize(
    ("ai", "expected"),
    [
        ("01", (14, 14, False, True, True)),  # GTIN: pre-defined length, DL key
        ("21", (None, 20, True, False, False)),  # serial: variable, qualifier only
        ("10", (None, 20, True, False, True)),  # lot: variable, also a data attribute
        ("17", (6, 6, False, False, True)),  # expiry
        ("7003", (10, 10, True, False, True)),  # fixed length but FNC1 required
        ("414", (13, 13, False, True, True)),  # GLN
        ("254", (None, 20, True, False, False)),  # GLN extension: qualifier only
    ],
)
def test_spec_properties(ai: str, expected: tuple[int | None, int, bool, bool, bool]) -> None:
    spec = lookup(ai)
    got = (
        spec.fixed_length,
        spec.max_length,
        spec.fnc1_required,
        spec.dl_primary_key,
        spec.dl_data_attribute,
    )
    assert got == expected


def test_qualifier_sequences() -> None:
    assert lookup("01").dl_qualifiers == (("22", "10", "21"), ("235",))
    assert lookup("414").dl_qualifiers == (("254",), ("7040",))


@pytest.mark.parametrize(
    ("text", "components"),
    [
        # one fixed numeric component with a linter
        ("N14,csum", (Component("N", 14, 14, linters=("csum",)),)),
        # variable CSET 82
        ("X..20", (Component("X", 1, 20),)),
        # fixed + optional variable
        (
            "N13,csum [X..17]",
            (Component("N", 13, 13, linters=("csum",)), Component("X", 1, 17, optional=True)),
        ),
    ],
)
def test_parse_format(text: str, components: tuple[Component, ...]) -> None:
    assert parse_format(text) == components
    assert " ".join(map(str, components)) == text


@pytest.mark.parametrize(
    "text",
    [
        "A5",  # unknown type
        "[N3",  # unbalanced bracket
        "N3,nosuchlinter",  # unknown linter
    ],
)
def test_parse_format_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"component|linter"):
        parse_format(text)


def test_spec_needs_components() -> None:
    with pytest.raises(ValueError, match="component"):
        AiSpec("99", "x", "x", (), fnc1_required=True)


@given(st.text("0123456789", min_size=13, max_size=13))
def test_gtin_check_digit_property(body: str) -> None:
    good = body + mod10(body)
    assert validate("01", good) == good
    bad = body + str((int(mod10(body)) + 1) % 10)
    with pytest.raises(CheckDigitError):
        validate("01", bad)


@given(st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=20))
def test_serial_charset_property(value: str) -> None:
    allowed = set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'()*+,-./:;<=>?_"
    )
    if set(value) <= allowed:
        assert validate("21", value) == value
    else:
        with pytest.raises(CharacterSetError):
            validate("21", value)
