"""Tests of the GTIN value object (GS1 General Specifications §3.3.2, §7.9)."""

from __future__ import annotations

import pytest
from biip.gtin import Gtin as BiipGtin
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    CompanyPrefixError,
    Gs1Error,
    LengthError,
)
from medtrace.gs1.gtin import Gtin

DIGITS = "0123456789"


@st.composite
def gtin_texts(draw: st.DrawFn, length: int | None = None) -> str:
    """A valid GTIN of ``length`` digits (any of 8, 12, 13, 14 when None)."""
    size = length if length is not None else draw(st.sampled_from([8, 12, 13, 14]))
    body = draw(st.text(alphabet=DIGITS, min_size=size - 1, max_size=size - 1))
    return body + mod10(body)


@pytest.mark.parametrize(
    ("text", "gtin14", "original_format"),
    [
        ("96385074", "00000096385074", "GTIN-8"),  # GTIN-8 (EAN-8)
        ("036000291452", "00036000291452", "GTIN-12"),  # GTIN-12 (UPC-A)
        ("312345678906", "00312345678906", "GTIN-12"),  # US pharma UPC with number system 3
        ("4006381333931", "04006381333931", "GTIN-13"),  # GTIN-13 (EAN-13)
        ("10614141000415", "10614141000415", "GTIN-14"),  # GTIN-14 with indicator digit 1
        ("00312345678906", "00312345678906", "GTIN-12"),  # padded input: format from the zeros
        ("00000000000000", "00000000000000", "GTIN-8"),  # all zeros is valid, shortest format
    ],
)
def test_parse_valid(text: str, gtin14: str, original_format: str) -> None:
    gtin = Gtin.parse(text)
    assert gtin.value == gtin14 == gtin.gtin14 == str(gtin)
    assert gtin.original_format == original_format
    assert gtin.check_digit == text[-1]
    assert gtin.indicator == gtin14[0]


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "00312345678905",
            CheckDigitError,
            "AI (01) 00312345678905: check digit 5 is wrong, expected 6",
        ),  # wrong check digit on a GTIN-14
        (
            "96385075",
            CheckDigitError,
            "AI (01) 96385075: check digit 5 is wrong, expected 4",
        ),  # wrong check digit on a GTIN-8
        (
            "31234567890",
            LengthError,
            "AI (01) 31234567890: expected 8, 12, 13 or 14 digits, got 11",
        ),  # 11 digits is no GTIN length
        (
            "003123456789060",
            LengthError,
            "AI (01) 003123456789060: expected 8, 12, 13 or 14 digits, got 15",
        ),  # too long
        (
            "0031234567890A",
            CharacterSetError,
            "AI (01) 0031234567890A: GTIN has character 'A' at position 14, expected only digits",
        ),  # a letter
        (
            " 0312345678906",
            CharacterSetError,
            "AI (01)  0312345678906: GTIN has character ' ' at position 1, expected only digits",
        ),  # whitespace is not trimmed silently
        ("", CharacterSetError, "AI (01) : GTIN is empty"),  # empty input
    ],
)
def test_parse_invalid(text: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as info:
        Gtin.parse(text)
    assert str(info.value).startswith(message)
    assert info.value.ai == "01"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("312345678906", LengthError),  # direct construction needs the 14-digit form
        ("00312345678905", CheckDigitError),  # direct construction checks the check digit
        ("0031234567890x", CharacterSetError),  # and the characters
    ],
)
def test_direct_construction_validates(value: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        Gtin(value)


@pytest.mark.parametrize(
    ("text", "gtin13", "gtin12", "gtin8"),
    [
        ("96385074", "0000096385074", "000096385074", "96385074"),  # GTIN-8 fits every form
        ("036000291452", "0036000291452", "036000291452", None),  # GTIN-12 is not a GTIN-8
        ("4006381333931", "4006381333931", None, None),  # GTIN-13 only down to 13
        ("10614141000415", None, None, None),  # indicator 1: only GTIN-14
    ],
)
def test_shorter_forms(
    text: str, gtin13: str | None, gtin12: str | None, gtin8: str | None
) -> None:
    gtin = Gtin.parse(text)
    for method, expected in (
        (gtin.as_gtin13, gtin13),
        (gtin.as_gtin12, gtin12),
        (gtin.as_gtin8, gtin8),
    ):
        if expected is None:
            with pytest.raises(Gs1Error, match="cannot be written as GTIN-"):
                method()
        else:
            assert method() == expected


@pytest.mark.parametrize(
    ("gtin14", "gcp_length", "company_prefix", "item_reference"),
    [
        ("00312345678906", 7, "0312345", "067890"),  # GS1 US 7-digit prefix
        ("10614141000415", 7, "0614141", "100041"),  # case GTIN: indicator leads the reference
        ("10614141000415", 6, "061414", "1100041"),  # shortest prefix
        ("10614141000415", 12, "061414100041", "1"),  # longest prefix: reference is the indicator
    ],
)
def test_split_and_from_parts(
    gtin14: str, gcp_length: int, company_prefix: str, item_reference: str
) -> None:
    gtin = Gtin(gtin14)
    assert gtin.split(gcp_length) == (company_prefix, item_reference)
    assert Gtin.from_parts(company_prefix, item_reference) == gtin


@pytest.mark.parametrize("gcp_length", [5, 13, 0, -1])  # outside 6..12 on both sides
def test_split_rejects_impossible_prefix_length(gcp_length: int) -> None:
    with pytest.raises(CompanyPrefixError, match=f"length {gcp_length} is not possible"):
        Gtin("00312345678906").split(gcp_length)


@pytest.mark.parametrize(
    ("company_prefix", "item_reference", "error"),
    [
        ("0312345", "06789", LengthError),  # 12 digits together, 13 needed
        ("0312345", "0678901", LengthError),  # 14 digits together
        ("03123", "0067890", CompanyPrefixError),  # 5-digit prefix
        ("031234X", "067890", CharacterSetError),  # letter in the prefix
        ("0312345", "", LengthError),  # empty item reference
    ],
)
def test_from_parts_invalid(
    company_prefix: str, item_reference: str, error: type[Gs1Error]
) -> None:
    with pytest.raises(error):
        Gtin.from_parts(company_prefix, item_reference)


def test_frozen() -> None:
    gtin = Gtin.parse("96385074")
    with pytest.raises(AttributeError):
        gtin.value = "00000000000000"  # type: ignore[misc]


@given(gtin_texts())
def test_parse_str_round_trip(text: str) -> None:
    gtin = Gtin.parse(text)
    assert Gtin.parse(str(gtin)) == gtin
    assert str(gtin).lstrip("0") == text.lstrip("0")


@given(gtin_texts(14), st.integers(min_value=0, max_value=13), st.integers(1, 9))
def test_check_digit_catches_every_single_digit_substitution(
    text: str, position: int, delta: int
) -> None:
    changed = str((int(text[position]) + delta) % 10)
    mutated = text[:position] + changed + text[position + 1 :]
    with pytest.raises(CheckDigitError):
        Gtin.parse(mutated)


@given(gtin_texts(14), st.integers(min_value=6, max_value=12))
def test_split_from_parts_round_trip(text: str, gcp_length: int) -> None:
    gtin = Gtin(text)
    assert Gtin.from_parts(*gtin.split(gcp_length)) == gtin


@given(gtin_texts())
def test_agrees_with_biip(text: str) -> None:
    # biip is an independent GTIN implementation: same canonical value and check digit.
    theirs = BiipGtin.parse(text)
    ours = Gtin.parse(text)
    assert theirs.as_gtin_14() == ours.gtin14
    assert str(theirs.check_digit) == ours.check_digit
