"""Tests of the National Drug Code and its HIPAA and GTIN forms (21 CFR §207.33)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.checkdigit import is_valid
from medtrace.gs1.errors import (
    AmbiguousError,
    CharacterSetError,
    Gs1Error,
    Gs1SyntaxError,
    LengthError,
)
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.ndc import FORMATS, Ndc

DIGITS = "0123456789"


@st.composite
def ndcs(draw: st.DrawFn) -> Ndc:
    """Any valid NDC in any of the three configurations."""
    lengths = draw(st.sampled_from(list(FORMATS.values())))
    parts = [draw(st.text(alphabet=DIGITS, min_size=n, max_size=n)) for n in lengths]
    return Ndc(parts[0], parts[1], parts[2])


@pytest.mark.parametrize(
    ("text", "fmt", "digits", "hipaa11", "hipaa11_hyphenated"),
    [
        ("0002-1433-80", "4-4-2", "0002143380", "00002143380", "00002-1433-80"),  # 4-4-2
        ("50242-040-62", "5-3-2", "5024204062", "50242004062", "50242-0040-62"),  # 5-3-2
        ("60505-2519-1", "5-4-1", "6050525191", "60505251901", "60505-2519-01"),  # 5-4-1
    ],
)
def test_hyphenated_formats(
    text: str, fmt: str, digits: str, hipaa11: str, hipaa11_hyphenated: str
) -> None:
    ndc = Ndc.parse(text)
    assert ndc.format == fmt
    assert ndc.digits == digits
    assert ndc.to_hipaa11() == hipaa11
    assert ndc.to_hipaa11_hyphenated() == hipaa11_hyphenated
    assert str(ndc) == text
    assert Ndc.parse(hipaa11) == ndc
    assert Ndc.parse(hipaa11_hyphenated) == ndc
    assert Ndc.parse(digits, format=fmt) == ndc


@pytest.mark.parametrize(
    ("hipaa11", "expected"),
    [
        ("00002143380", "0002-1433-80"),  # padded zero in the labeler -> 4-4-2
        ("50242004062", "50242-040-62"),  # padded zero in the product -> 5-3-2
        ("60505251901", "60505-2519-1"),  # padded zero in the package -> 5-4-1
        ("00002-1433-80", "0002-1433-80"),  # hyphenated 5-4-2 input is the HIPAA form too
    ],
)
def test_hipaa11_converted_back(hipaa11: str, expected: str) -> None:
    assert str(Ndc.parse(hipaa11)) == expected


@pytest.mark.parametrize(
    ("hipaa11", "readings"),
    [
        ("00021043380", {"0021-0433-80", "00021-433-80"}),  # zeros in labeler and product
        ("00021433800", {"0021-4338-00", "00021-4338-0"}),  # zeros in labeler and package
        ("00021043308", {"0021-0433-08", "00021-433-08", "00021-0433-8"}),  # all three
    ],
)
def test_hipaa11_ambiguous(hipaa11: str, readings: set[str]) -> None:
    with pytest.raises(AmbiguousError) as info:
        Ndc.parse(hipaa11)
    assert {str(c) for c in info.value.candidates} == readings
    for candidate in info.value.candidates:
        assert isinstance(candidate, Ndc)
        assert Ndc.parse(hipaa11, format=candidate.format) == candidate


def test_hipaa11_without_padding_zero() -> None:
    # no segment starts with 0, so this is not a padded 10-digit NDC
    with pytest.raises(Gs1SyntaxError, match="has no padding zero"):
        Ndc.parse("12345678912")


def test_hipaa11_format_that_does_not_fit() -> None:
    # the product segment 1433 has no padding zero, so 5-3-2 is impossible
    with pytest.raises(Gs1Error, match="cannot be format 5-3-2"):
        Ndc.parse("00002143380", format="5-3-2")


def test_ten_bare_digits_are_ambiguous() -> None:
    with pytest.raises(AmbiguousError) as info:
        Ndc.parse("0002143380")
    assert info.value.candidates == Ndc.candidates("0002143380")
    assert [str(c) for c in info.value.candidates] == [
        "0002-1433-80",
        "00021-433-80",
        "00021-4338-0",
    ]
    assert "0002-1433-80, 00021-433-80, 00021-4338-0" in str(info.value)


@pytest.mark.parametrize(
    ("text", "fmt", "error"),
    [
        ("0002-1433-8", None, LengthError),  # 4-4-1 is no NDC configuration
        ("0002-1433", None, Gs1SyntaxError),  # two segments
        ("0002-1433-80-1", None, Gs1SyntaxError),  # four segments
        ("0002--80", None, LengthError),  # empty segment
        ("0002-14a3-80", None, CharacterSetError),  # letter in a segment
        ("000214338", None, LengthError),  # nine digits
        ("000214338012", None, LengthError),  # twelve digits
        ("0002143380", "4-4-1", Gs1Error),  # unknown format name
        ("0002-1433-80", "5-4-1", Gs1Error),  # hyphens disagree with format=
        ("", None, LengthError),  # empty input
    ],
)
def test_parse_invalid(text: str, fmt: str | None, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        Ndc.parse(text, format=fmt)


@pytest.mark.parametrize(
    ("labeler", "product", "package"),
    [
        ("002", "1433", "80"),  # 3-digit labeler
        ("0002", "1433", "800"),  # 3-digit package
        ("0002", "14 3", "80"),  # space in the product
    ],
)
def test_direct_construction_validates(labeler: str, product: str, package: str) -> None:
    with pytest.raises(Gs1Error):
        Ndc(labeler, product, package)


@pytest.mark.parametrize(
    ("ndc", "gtin14"),
    [
        ("0002-1433-80", "00300021433802"),  # 4-4-2 unit GTIN: 0 + 03 + NDC10 + check digit
        ("50242-040-62", "00350242040624"),  # 5-3-2
        ("60505-2519-1", "00360505251919"),  # 5-4-1
    ],
)
def test_to_gtin(ndc: str, gtin14: str) -> None:
    gtin = Ndc.parse(ndc).to_gtin()
    assert gtin.gtin14 == gtin14
    assert gtin.original_format == "GTIN-12"
    assert Ndc.from_gtin(gtin, format=Ndc.parse(ndc).format) == (Ndc.parse(ndc),)


@pytest.mark.parametrize(
    ("gtin14", "readings"),
    [
        ("00300021433802", ["0002-1433-80", "00021-433-80", "00021-4338-0"]),  # unit level
        ("10300021433809", ["0002-1433-80", "00021-433-80", "00021-4338-0"]),  # case, indicator 1
        ("80300021433808", ["0002-1433-80", "00021-433-80", "00021-4338-0"]),  # indicator 8
    ],
)
def test_from_gtin_reads_digits_4_to_13(gtin14: str, readings: list[str]) -> None:
    assert [str(n) for n in Ndc.from_gtin(Gtin(gtin14))] == readings


@pytest.mark.parametrize(
    "gtin14",
    [
        "04006381333931",  # an EAN-13 from Germany: no NDC
        "00036000291452",  # a UPC with number system 0
        "90300021433805",  # indicator 9 (variable measure) is refused
    ],
)
def test_from_gtin_rejects_non_ndc_gtin(gtin14: str) -> None:
    with pytest.raises(Gs1Error, match="does not embed an NDC") as info:
        Ndc.from_gtin(Gtin(gtin14))
    assert info.value.ai == "01"


@given(ndcs())
def test_parse_str_round_trip(ndc: Ndc) -> None:
    assert Ndc.parse(str(ndc)) == ndc


@given(ndcs())
def test_hipaa11_round_trip(ndc: Ndc) -> None:
    hipaa11 = ndc.to_hipaa11()
    assert len(hipaa11) == 11
    assert Ndc.parse(hipaa11, format=ndc.format) == ndc
    assert Ndc.parse(ndc.to_hipaa11_hyphenated(), format=ndc.format) == ndc


@given(ndcs())
def test_gtin_round_trip(ndc: Ndc) -> None:
    gtin = ndc.to_gtin()
    assert is_valid(gtin.gtin14)
    assert gtin.gtin14[3:13] == ndc.digits
    assert ndc in Ndc.from_gtin(gtin)
    assert Ndc.from_gtin(gtin, format=ndc.format) == (ndc,)
