"""Tests of SSCC, GLN and SGLN (GS1 General Specifications §3.3.1, §3.4.9, §3.4.10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from biip.sscc import Sscc as BiipSscc
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    CompanyPrefixError,
    Gs1Error,
    LengthError,
)
from medtrace.gs1.keys import MAX_EXTENSION_LENGTH, Gln, Sgln, Sscc

DIGITS = "0123456789"


def keys(length: int) -> st.SearchStrategy[str]:
    """Valid numeric keys of ``length`` digits, check digit included."""
    body = st.text(alphabet=DIGITS, min_size=length - 1, max_size=length - 1)
    return body.map(lambda b: b + mod10(b))


# --- SSCC ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "extension_digit", "gcp_length", "company_prefix", "serial_reference"),
    [
        ("106141411234567897", "1", 7, "0614141", "1123456789"),  # GS1 example, 7-digit prefix
        ("106141411234567897", "1", 12, "061414112345", "16789"),  # longest prefix
        ("000000000000000000", "0", 6, "000000", "00000000000"),  # all zeros, shortest prefix
    ],
)
def test_sscc(
    text: str, extension_digit: str, gcp_length: int, company_prefix: str, serial_reference: str
) -> None:
    sscc = Sscc.parse(text)
    assert sscc.value == str(sscc) == text
    assert sscc.extension_digit == extension_digit
    assert sscc.check_digit == text[-1]
    assert sscc.split(gcp_length) == (company_prefix, serial_reference)
    assert Sscc.from_parts(company_prefix, serial_reference) == sscc


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "106141411234567898",
            CheckDigitError,
            "AI (00) 106141411234567898: check digit 8 is wrong, expected 7",
        ),  # bad check digit
        (
            "10614141123456789",
            LengthError,
            "AI (00) 10614141123456789: SSCC has 17 digits, expected 18",
        ),  # one digit short
        (
            "10614141123456789A",
            CharacterSetError,
            "AI (00) 10614141123456789A: SSCC has character 'A'",
        ),  # a letter
        ("", CharacterSetError, "AI (00) : SSCC is empty"),  # empty
    ],
)
def test_sscc_invalid(text: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as info:
        Sscc.parse(text)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("company_prefix", "rest", "error"),
    [
        ("0614141", "112345678", LengthError),  # 16 digits together
        ("06141", "11234567890", CompanyPrefixError),  # 5-digit prefix
        ("0614141", "", LengthError),  # no serial reference
    ],
)
def test_sscc_from_parts_invalid(company_prefix: str, rest: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        Sscc.from_parts(company_prefix, rest)


@pytest.mark.parametrize("gcp_length", [5, 13])  # just outside 6..12
def test_sscc_split_rejects_prefix_length(gcp_length: int) -> None:
    with pytest.raises(CompanyPrefixError, match="expected 6 to 12"):
        Sscc.parse("106141411234567897").split(gcp_length)


@given(keys(18))
def test_sscc_round_trip_and_biip_agrees(text: str) -> None:
    sscc = Sscc.parse(text)
    assert Sscc.parse(str(sscc)) == sscc
    assert BiipSscc.parse(text).value == sscc.value


@given(keys(18), st.integers(6, 12))
def test_sscc_split_from_parts_round_trip(text: str, gcp_length: int) -> None:
    sscc = Sscc(text)
    assert Sscc.from_parts(*sscc.split(gcp_length)) == sscc


@given(keys(18), st.integers(0, 17), st.integers(1, 9))
def test_sscc_check_digit_catches_single_digit_substitution(
    text: str, position: int, delta: int
) -> None:
    mutated = text[:position] + str((int(text[position]) + delta) % 10) + text[position + 1 :]
    with pytest.raises(CheckDigitError):
        Sscc.parse(mutated)


# --- GLN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gcp_length", "company_prefix", "location_reference"),
    [
        ("0614141000005", 7, "0614141", "00000"),  # GS1 example GLN
        ("0614141000005", 12, "061414100000", ""),  # 12-digit prefix leaves no reference
        ("0614141000005", 6, "061414", "100000"),  # 6-digit prefix
    ],
)
def test_gln(text: str, gcp_length: int, company_prefix: str, location_reference: str) -> None:
    gln = Gln.parse(text)
    assert str(gln) == gln.value == text
    assert gln.split(gcp_length) == (company_prefix, location_reference)
    assert Gln.from_parts(company_prefix, location_reference) == gln


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("0614141000006", CheckDigitError),  # bad check digit
        ("614141000005", LengthError),  # 12 digits
        ("06141410000050", LengthError),  # 14 digits
        ("061414100000O", CharacterSetError),  # letter O for a zero
    ],
)
def test_gln_invalid(text: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error) as info:
        Gln.parse(text)
    assert info.value.ai == "414"


@given(keys(13), st.integers(6, 12))
def test_gln_round_trips(text: str, gcp_length: int) -> None:
    gln = Gln.parse(text)
    assert Gln.parse(str(gln)) == gln
    assert Gln.from_parts(*gln.split(gcp_length)) == gln


@given(keys(13), st.integers(0, 12), st.integers(1, 9))
def test_gln_check_digit_catches_single_digit_substitution(
    text: str, position: int, delta: int
) -> None:
    mutated = text[:position] + str((int(text[position]) + delta) % 10) + text[position + 1 :]
    with pytest.raises(CheckDigitError):
        Gln.parse(mutated)


# --- SGLN ---------------------------------------------------------------------------------------


GLN = Gln("0614141000005")


@pytest.mark.parametrize(
    ("text", "extension", "has_extension", "text_out"),
    [
        ("0614141000005", "0", False, "0614141000005"),  # bare GLN: no extension
        ("0614141000005.0", "0", False, "0614141000005"),  # explicit "0" also means none
        ("0614141000005.12", "12", True, "0614141000005.12"),  # numeric extension
        ("0614141000005.A.b/c", "A.b/c", True, "0614141000005.A.b/c"),  # dots inside extension
        ("0614141000005.00", "00", True, "0614141000005.00"),  # "00" is not "0"
    ],
)
def test_sgln_parse(text: str, extension: str, has_extension: bool, text_out: str) -> None:
    sgln = Sgln.parse(text)
    assert sgln.gln == GLN
    assert sgln.extension == extension
    assert sgln.has_extension is has_extension
    assert str(sgln) == text_out


def test_sgln_default_extension_equals_explicit_zero() -> None:
    assert Sgln(GLN) == Sgln(GLN, "0")


@pytest.mark.parametrize(
    ("extension", "error"),
    [
        ("", LengthError),  # empty extension
        ("X" * 21, LengthError),  # 21 characters, AI 254 is X..20
        ("A B", CharacterSetError),  # space is outside set 82
        ("#1", CharacterSetError),  # "#" is outside set 82
    ],
)
def test_sgln_invalid_extension(extension: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error) as info:
        Sgln(GLN, extension)
    assert info.value.ai == "254"


def test_sgln_requires_a_gln() -> None:
    with pytest.raises(TypeError, match="must be a Gln"):
        Sgln("0614141000005")  # type: ignore[arg-type]


def test_sgln_parse_checks_the_gln() -> None:
    with pytest.raises(CheckDigitError):
        Sgln.parse("0614141000006.12")


@given(keys(13), st.text(alphabet=sorted(CSET82), min_size=1, max_size=20))
def test_sgln_round_trip(gln: str, extension: str) -> None:
    sgln = Sgln(Gln(gln), extension)
    assert Sgln.parse(str(sgln)) == sgln


# --- against the GS1 syntax dictionary ----------------------------------------------------------


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("ai", "spec"),
    [
        ("00", "N18,csum"),  # SSCC: 18 digits with check digit
        ("414", "N13,csum"),  # GLN: 13 digits with check digit
        ("254", f"X..{MAX_EXTENSION_LENGTH}"),  # GLN extension: set 82 up to 20
    ],
)
def test_matches_syntax_dictionary(conformance_dir: Path, ai: str, spec: str) -> None:
    text = (conformance_dir / "gs1-barcode" / "gs1-syntax-dictionary.txt").read_text()
    match = re.search(rf"^{ai}\s+[*?]*\s*(\S+)", text, re.MULTILINE)
    assert match is not None
    assert match.group(1).startswith(spec)
