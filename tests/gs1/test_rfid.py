"""Tests of RFID EPC binary encodings (medtrace.gs1.rfid)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.epc import SgtinUrn, SsccUrn
from medtrace.gs1.errors import CompanyPrefixError, Gs1Error, Gs1SyntaxError, LengthError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Sscc
from medtrace.gs1.prefix import PrefixRegistry
from medtrace.gs1.product import Sgtin
from medtrace.gs1.rfid import (
    SGTIN96_MAX_SERIAL,
    RfidScheme,
    RfidTag,
    check_sgtin96_serial,
    encode,
    sgtin96_serial_problem,
)


@pytest.mark.parametrize(
    ("hex_text", "tag_uri"),
    [
        # EPC TDS Appendix E: SGTIN-96, filter 3, GTIN 80614141123458, serial 6789
        ("3074257BF7194E4000001A85", "urn:epc:tag:sgtin-96:3.0614141.812345.6789"),
        # EPC TDS Appendix E: SGTIN-198 with an escaped '/' in the serial
        (
            "3674257BF6B7A659B2C2BF100000000000000000000000000000",
            "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb",
        ),
        # EPC TDS Appendix E: SSCC-96, filter 3
        ("3174257BF4499602D2000000", "urn:epc:tag:sscc-96:3.0614141.1234567890"),
    ],
)
def test_published_examples(hex_text: str, tag_uri: str) -> None:
    decoded = RfidTag.from_hex(hex_text)
    assert decoded.tag_uri == tag_uri
    assert RfidTag.from_tag_uri(tag_uri).hex == hex_text
    assert RfidTag.from_hex(hex_text.lower()) == decoded


def test_decoded_keys() -> None:
    # the objects behind the TDS examples, check digits recomputed
    assert RfidTag.from_hex("3074257BF7194E4000001A85").to_key() == Sgtin(
        Gtin("80614141123458"), "6789"
    )
    assert RfidTag.from_hex("3174257BF4499602D2000000").to_key() == Sscc("106141412345678908")


@pytest.mark.parametrize(
    ("serial", "reason"),
    [
        ("0012", "leading zero, so it would be read back as '12'"),  # "0012" is not "12"
        ("00", "leading zero"),  # two zeros would come back as one
        ("A1", "not all digits"),  # letters need SGTIN-198
        ("\uff11\uff12", "not all digits"),  # full-width digits are not ASCII digits
        (str(SGTIN96_MAX_SERIAL), "not below 2^38"),  # 2^38 needs 39 bits
        ("99999999999999999999", "not below 2^38"),  # 20 digits
    ],
)
def test_sgtin96_refuses_serials_it_would_change(serial: str, reason: str) -> None:
    with pytest.raises(Gs1Error) as caught:
        check_sgtin96_serial(serial)
    message = str(caught.value)
    assert reason in message
    assert "38-bit integer" in message
    assert "use SGTIN-198" in message


@pytest.mark.parametrize(
    "serial",
    [
        "0",  # a single zero is fine
        "1",  # smallest positive
        str(SGTIN96_MAX_SERIAL - 1),  # largest 38-bit value
    ],
)
def test_sgtin96_accepts_canonical_numbers(serial: str) -> None:
    assert sgtin96_serial_problem(serial) is None
    tag = RfidTag(RfidScheme.SGTIN_96, 1, SgtinUrn("0614141", "812345", serial))
    assert RfidTag.from_hex(tag.hex) == tag


def test_sgtin96_tag_object_refuses_leading_zero() -> None:
    # the value object itself is never built with a serial SGTIN-96 would change
    with pytest.raises(Gs1Error, match="leading zero"):
        encode(SgtinUrn("0614141", "812345", "0012"), scheme="sgtin-96")


def test_leading_zero_serial_goes_into_sgtin198() -> None:
    tag = encode(SgtinUrn("0614141", "812345", "0012"), scheme=RfidScheme.SGTIN_198)
    assert RfidTag.from_hex(tag.hex).epc.serial == "0012"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("hex_text", "error", "message_part"),
    [
        ("", Gs1SyntaxError, "not a hex string"),  # empty
        ("3074257BF7194E4000001A8G", Gs1SyntaxError, "not a hex string"),  # 'G'
        ("E274257BF7194E4000001A85", Gs1SyntaxError, "header E2"),  # unknown header
        ("3074257BF7194E4000001A", LengthError, "22 hex digits"),  # 88 bits
        ("3074257BF7194E4000001A8500", LengthError, "26 hex digits"),  # too long
        ("307C257BF7194E4000001A85", Gs1SyntaxError, "partition"),  # partition value 7
        ("3114257BF4499602D2000001", Gs1SyntaxError, "not canonical"),  # reserved bits set
        (
            "3674257BF6B7A659B2C2BF100000000000000000000000000001",
            Gs1SyntaxError,
            "padding",
        ),  # padding after 198 bits not zero
        (
            "3674257BF7194E4000000000000000000000000000000000000",
            LengthError,
            "0 characters",
        ),  # SGTIN-198 with an empty serial
    ],
)
def test_decode_errors(hex_text: str, error: type[Gs1Error], message_part: str) -> None:
    with pytest.raises(error) as caught:
        RfidTag.from_hex(hex_text)
    assert message_part in str(caught.value)


@pytest.mark.parametrize(
    ("tag_uri", "error"),
    [
        ("urn:epc:tag:sgtin-96:8.0614141.812345.6789", Gs1SyntaxError),  # filter 8
        ("urn:epc:tag:sgtin-96:3.0614141.812345.0012", Gs1Error),  # leading zero
        ("urn:epc:tag:sgtin-64:3.0614141.812345.6789", Gs1SyntaxError),  # unsupported scheme
        ("urn:epc:tag:sscc-96:3.0614141.123456789", LengthError),  # 16 digits
        ("urn:epc:id:sgtin:0614141.812345.6789", Gs1SyntaxError),  # a pure identity
    ],
)
def test_tag_uri_errors(tag_uri: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        RfidTag.from_tag_uri(tag_uri)


@pytest.mark.parametrize(
    ("scheme", "epc", "filter_value"),
    [
        (RfidScheme.SSCC_96, SgtinUrn("0614141", "812345", "1"), 0),  # SSCC scheme, SGTIN EPC
        (RfidScheme.SGTIN_198, SsccUrn("0614141", "1234567890"), 0),  # SGTIN scheme, SSCC EPC
        (RfidScheme.SGTIN_198, SgtinUrn("0614141", "812345", "1"), 8),  # filter above 7
        (RfidScheme.SGTIN_198, SgtinUrn("0614141", "812345", "1"), -1),  # negative filter
    ],
)
def test_tag_invariants(scheme: RfidScheme, epc: SgtinUrn | SsccUrn, filter_value: int) -> None:
    with pytest.raises(Gs1Error):
        RfidTag(scheme, filter_value, epc)


def test_encode_keys_needs_company_prefix_length() -> None:
    sgtin = Sgtin(Gtin("80614141123458"), "6789")
    with pytest.raises(CompanyPrefixError):
        encode(sgtin, registry=PrefixRegistry())
    tag = encode(sgtin, scheme="sgtin-96", filter_value=3, registry=PrefixRegistry(["0614141"]))
    assert tag.hex == "3074257BF7194E4000001A85"


def test_encode_defaults_and_unknown_scheme() -> None:
    # SGTIN-198 holds every serial, SSCC-96 is the only SSCC scheme
    assert encode(SgtinUrn("0614141", "812345", "1")).scheme is RfidScheme.SGTIN_198
    assert encode(SsccUrn("0614141", "1234567890")).scheme is RfidScheme.SSCC_96
    with pytest.raises(Gs1Error, match="sgtin-64"):
        encode(SgtinUrn("0614141", "812345", "1"), scheme="sgtin-64")


@st.composite
def company_and_rest(draw: st.DrawFn, total: int) -> tuple[str, str]:
    length = draw(st.integers(min_value=6, max_value=12))
    digits = draw(st.text(alphabet="0123456789", min_size=total, max_size=total))
    return digits[:length], digits[length:]


FILTERS = st.integers(min_value=0, max_value=7)


@given(
    parts=company_and_rest(13),
    serial=st.text(alphabet=sorted(CSET82), min_size=1, max_size=20),
    filter_value=FILTERS,
)
def test_sgtin198_round_trip(parts: tuple[str, str], serial: str, filter_value: int) -> None:
    tag = RfidTag(RfidScheme.SGTIN_198, filter_value, SgtinUrn(*parts, serial))
    assert len(tag.hex) == 52
    assert RfidTag.from_hex(tag.hex) == tag
    assert RfidTag.from_tag_uri(tag.tag_uri) == tag


@given(
    parts=company_and_rest(13),
    number=st.integers(min_value=0, max_value=SGTIN96_MAX_SERIAL - 1),
    filter_value=FILTERS,
)
def test_sgtin96_round_trip(parts: tuple[str, str], number: int, filter_value: int) -> None:
    tag = RfidTag(RfidScheme.SGTIN_96, filter_value, SgtinUrn(*parts, str(number)))
    assert len(tag.hex) == 24
    assert RfidTag.from_hex(tag.hex) == tag
    assert RfidTag.from_tag_uri(tag.tag_uri) == tag


@given(parts=company_and_rest(17), filter_value=FILTERS)
def test_sscc96_round_trip(parts: tuple[str, str], filter_value: int) -> None:
    tag = RfidTag(RfidScheme.SSCC_96, filter_value, SsccUrn(*parts))
    assert RfidTag.from_hex(tag.hex) == tag
    assert RfidTag.from_tag_uri(tag.tag_uri) == tag
