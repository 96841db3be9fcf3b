"""Tests of conversions between identifier forms and of parse_any (medtrace.gs1.convert)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.convert import (
    InputForm,
    parse_any,
    to_digital_link,
    to_element_string,
    to_message,
    to_rfid,
    to_urn,
)
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import format_hri
from medtrace.gs1.element_string import parse as parse_element_string
from medtrace.gs1.epc import EpcPattern, SglnUrn, SgtinUrn, SsccUrn, parse_epc_urn
from medtrace.gs1.errors import CompanyPrefixError, Gs1Error, Gs1SyntaxError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.prefix import PrefixRegistry
from medtrace.gs1.product import Lgtin, ProductIdentifier, Sgtin
from medtrace.gs1.rfid import RfidTag

GTIN = Gtin("00312345678906")
SGTIN = Sgtin(GTIN, "0012")


@pytest.mark.parametrize(
    ("text", "form", "first_key"),
    [
        # HRI element string
        ("(01)00312345678906(21)0012", InputForm.ELEMENT_STRING_HRI, SGTIN),
        # raw scanner data with symbology identifier and GS
        ("]d20100312345678906210012\x1d10L1", InputForm.ELEMENT_STRING_RAW, SGTIN),
        # raw data without symbology identifier
        ("0100312345678906210012", InputForm.ELEMENT_STRING_RAW, SGTIN),
        # surrounding whitespace is ignored
        ("  (00)106141412345678908\n", InputForm.ELEMENT_STRING_HRI, Sscc("106141412345678908")),
        # Digital Link on any domain, with a non-GS1 parameter
        (
            "https://example.com/01/00312345678906/21/0012?linkType=all",
            InputForm.DIGITAL_LINK,
            SGTIN,
        ),
        # EPC pure identity
        ("urn:epc:id:sgtin:0312345.067890.0012", InputForm.EPC_PURE_IDENTITY, SGTIN),
        # EPC class
        (
            "urn:epc:class:lgtin:0312345.067890.L1",
            InputForm.EPC_CLASS,
            Lgtin(GTIN, "L1"),
        ),
        # EPC pattern naming one GTIN
        ("urn:epc:idpat:sgtin:0312345.067890.*", InputForm.EPC_PATTERN, GTIN),
        # EPC tag URI
        (
            "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
            InputForm.EPC_TAG_URI,
            Sgtin(Gtin("80614141123458"), "6789"),
        ),
        # RFID hex (letters make it hex, not digits)
        (
            "3074257BF7194E4000001A85",
            InputForm.RFID_HEX,
            Sgtin(Gtin("80614141123458"), "6789"),
        ),
        # a bare GTIN-14
        ("00312345678906", InputForm.BARE_GTIN, GTIN),
        # a bare GTIN-12 (U.P.C.)
        ("312345678906", InputForm.BARE_GTIN, GTIN),
        # GLN with extension
        (
            "(414)0614141000005(254)A1",
            InputForm.ELEMENT_STRING_HRI,
            Sgln(Gln("0614141000005"), "A1"),
        ),
    ],
)
def test_parse_any_recognises_forms(text: str, form: InputForm, first_key: object) -> None:
    parsed = parse_any(text)
    assert parsed.form is form
    assert parsed.keys[0] == first_key
    assert dict(parsed.interpretations)["form"] == str(form)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("(01)00312345678905(21)1", Gs1Error),  # wrong check digit
        ("urn:epc:id:sgtin:0614141.81234.6789", Gs1Error),  # CP + IR is 12 digits
        ("urn:epc:tag:sgtin-96:3.0614141.812345.0012", Gs1Error),  # SGTIN-96 leading zero
        ("https://example.com/no/key/here", Gs1SyntaxError),  # Digital Link without a key
        ("hello", Gs1Error),  # nothing GS1 at all
        ("3074257BF7194E4000001A8", Gs1Error),  # 23 hex digits: neither hex tag nor AI data
    ],
)
def test_parse_any_errors(text: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        parse_any(text)


def test_parse_any_reports_missing_company_prefix_as_a_problem() -> None:
    # element strings do not carry the prefix length: no URN, and a problem says why
    parsed = parse_any("(01)00312345678906(21)0012")
    labels = dict(parsed.interpretations)
    assert "EPC URN" not in labels
    assert any("GS1 Company Prefix length unknown" in problem for problem in parsed.problems)
    assert labels["GS1 Digital Link"] == "https://id.gs1.org/01/00312345678906/21/0012"
    assert labels["RFID schemes for this serial"].startswith("sgtin-198 (not sgtin-96:")


def test_parse_any_with_gcp_length_and_registry() -> None:
    # the prefix length from the caller or the registry gives the URN
    by_length = dict(parse_any("(01)00312345678906(21)0012", gcp_length=7).interpretations)
    registry = PrefixRegistry(["0312345"])
    by_registry = dict(parse_any("(01)00312345678906(21)0012", registry=registry).interpretations)
    assert by_length["EPC URN"] == by_registry["EPC URN"] == "urn:epc:id:sgtin:0312345.067890.0012"


def test_parse_any_rfid_interpretations() -> None:
    parsed = parse_any("3074257BF7194E4000001A85")
    labels = dict(parsed.interpretations)
    assert labels["EPC tag URI"] == "urn:epc:tag:sgtin-96:3.0614141.812345.6789"
    assert labels["RFID filter value"] == "3"
    assert labels["EPC URN"] == "urn:epc:id:sgtin:0614141.812345.6789"
    assert labels["element string (HRI)"] == "(01)80614141123458(21)6789"
    assert parsed.rfid is not None
    assert parsed.problems == ()


def test_parse_any_product_identifier_and_dates() -> None:
    parsed = parse_any("(01)00312345678906(17)270500(10)L1(21)0012")
    assert isinstance(parsed.keys[0], ProductIdentifier)
    labels = dict(parsed.interpretations)
    assert labels["(17) USE BY or EXPIRY"] == "270500 (2027-05-31)"
    assert labels["NDC (possible readings)"] == "1234-5678-90, 12345-678-90, 12345-6789-0"


def test_parse_any_notes_ambiguous_bare_digits() -> None:
    # 4006381333931 is a GTIN-13 and also AI (400) + customer order number
    parsed = parse_any("4006381333931")
    assert parsed.form is InputForm.BARE_GTIN
    assert any("(400)6381333931" in problem for problem in parsed.problems)


def test_parse_any_wildcard_pattern_has_no_message() -> None:
    parsed = parse_any("urn:epc:idpat:sgtin:*.*.*")
    assert parsed.message is None
    assert parsed.keys == ()
    assert isinstance(parsed.epc, EpcPattern)
    with pytest.raises(Gs1Error, match="no GS1 key"):
        to_element_string(parsed)


def test_parse_any_restricted_circulation_number() -> None:
    # no EPC for an RCN, even with a prefix length
    parsed = parse_any("(01)02001234567893(21)1", gcp_length=7)
    assert any("restricted circulation" in problem for problem in parsed.problems)


PI = ProductIdentifier(GTIN, "0012", "L1", Gs1Date.parse("270500"))


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # SGTIN
        (SGTIN, "urn:epc:id:sgtin:0312345.067890.0012"),
        # product identifier: the instance
        (PI, "urn:epc:id:sgtin:0312345.067890.0012"),
        # LGTIN class
        (Lgtin(GTIN, "L1"), "urn:epc:class:lgtin:0312345.067890.L1"),
        # GTIN alone: a pattern
        (GTIN, "urn:epc:idpat:sgtin:0312345.067890.*"),
        # message with lot
        (
            parse_element_string("(01)00312345678906(10)L/1"),
            "urn:epc:class:lgtin:0312345.067890.L%2F1",
        ),
        # Digital Link
        (
            DigitalLink.parse("https://id.gs1.org/01/00312345678906/21/A%26B"),
            "urn:epc:id:sgtin:0312345.067890.A%26B",
        ),
        # SSCC
        (Sscc("103123451234567896"), "urn:epc:id:sscc:0312345.1123456789"),
        # GLN
        (Gln("0312345000004"), "urn:epc:id:sgln:0312345.00000.0"),
        # GRAI
        (parse_element_string("(8003)00312345000011S1"), "urn:epc:id:grai:0312345.00001.S1"),
        # GIAI
        (parse_element_string("(8004)0312345ABC"), "urn:epc:id:giai:0312345.ABC"),
        # GSRN
        (parse_element_string("(8018)031234512345678909"), "urn:epc:id:gsrn:0312345.1234567890"),
        # GDTI
        (parse_element_string("(253)0312345000011X"), "urn:epc:id:gdti:0312345.00001.X"),
    ],
)
def test_to_urn(x: object, expected: str) -> None:
    assert to_urn(x, gcp_length=7) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "error", "message_part"),
    [
        (SGTIN, CompanyPrefixError, "length unknown"),  # no length, empty registry
        (parse_element_string("(8003)00312345000011"), Gs1Error, "without a serial"),  # GRAI
        (parse_element_string("(17)270500"), Gs1Error, "no GS1 key with an EPC scheme"),  # expiry
    ],
)
def test_to_urn_errors(x: object, error: type[Gs1Error], message_part: str) -> None:
    with pytest.raises(error) as caught:
        to_urn(x, registry=PrefixRegistry())  # type: ignore[arg-type]
    assert message_part in str(caught.value)


def test_epc_inputs_keep_their_own_prefix() -> None:
    # a URN or tag already fixes the company prefix; gcp_length is not needed
    urn = parse_epc_urn("urn:epc:id:sgtin:031234.5067890.1")
    assert isinstance(urn, SgtinUrn)
    assert to_urn(urn) == "urn:epc:id:sgtin:031234.5067890.1"
    tag = RfidTag.from_hex("3074257BF7194E4000001A85")
    assert to_urn(tag) == "urn:epc:id:sgtin:0614141.812345.6789"


@pytest.mark.parametrize(
    ("x", "form", "expected"),
    [
        (SGTIN, "hri", "(01)00312345678906(21)0012"),  # HRI
        (PI, "hri", "(01)00312345678906(17)270500(10)L1(21)0012"),  # fixed-length AIs first
        (PI, "raw", "010031234567890617270500" + "10L1\x1d210012"),  # GS after the lot
        (SsccUrn("0614141", "1234567890"), "hri", "(00)106141412345678908"),  # from a URN
        (SglnUrn("0614141", "12345", "0"), "hri", "(414)0614141123452"),  # extension 0: no 254
    ],
)
def test_to_element_string(x: object, form: str, expected: str) -> None:
    assert to_element_string(x, form=form) == expected  # type: ignore[arg-type]


def test_to_element_string_unknown_form() -> None:
    with pytest.raises(Gs1Error, match="'xml'"):
        to_element_string(SGTIN, form="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (SGTIN, "https://id.gs1.org/01/00312345678906/21/0012"),  # SGTIN
        (PI, "https://id.gs1.org/01/00312345678906/10/L1/21/0012?17=270500"),  # qualifiers
        # from a URN, '/' percent-encoded
        (SgtinUrn("0312345", "067890", "A/B"), "https://id.gs1.org/01/00312345678906/21/A%2FB"),
        # SGLN: AI 254 is a key qualifier
        (Sgln(Gln("0614141123452"), "7"), "https://id.gs1.org/414/0614141123452/254/7"),
        # canonical: GTIN-14, id.gs1.org, no other parameters
        (
            DigitalLink.parse("https://e.example/01/312345678906?linkType=x"),
            "https://id.gs1.org/01/00312345678906",
        ),
    ],
)
def test_to_digital_link(x: object, expected: str) -> None:
    assert to_digital_link(x) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "kwargs", "expected"),
    [
        # TDS SGTIN-96 example from the key and a prefix length
        (
            Sgtin(Gtin("80614141123458"), "6789"),
            {"scheme": "sgtin-96", "filter_value": 3, "gcp_length": 7},
            "3074257BF7194E4000001A85",
        ),
        # TDS SSCC-96 example from an element string
        (
            parse_element_string("(00)106141412345678908"),
            {"filter_value": 3, "gcp_length": 7},
            "3174257BF4499602D2000000",
        ),
        # an RFID tag keeps its scheme and filter
        (RfidTag.from_hex("3074257BF7194E4000001A85"), {}, "3074257BF7194E4000001A85"),
        # ... unless told otherwise
        (
            RfidTag.from_hex("3074257BF7194E4000001A85"),
            {"filter_value": 1},
            "3034257BF7194E4000001A85",
        ),
        # an SGTIN-96 tag re-encoded as SGTIN-198
        (
            parse_any("3074257BF7194E4000001A85"),
            {"scheme": "sgtin-198"},
            RfidTag.from_tag_uri("urn:epc:tag:sgtin-198:3.0614141.812345.6789").hex,
        ),
    ],
)
def test_to_rfid(x: object, kwargs: dict[str, object], expected: str) -> None:
    assert to_rfid(x, **kwargs) == expected  # type: ignore[arg-type]


def test_to_rfid_errors() -> None:
    # GLNs have no RFID scheme here; a leading-zero serial has no SGTIN-96
    with pytest.raises(Gs1Error, match=r"SGTIN .* and SSCC .* only"):
        to_rfid(Gln("0614141123452"), gcp_length=7)
    with pytest.raises(Gs1Error, match="leading zero"):
        to_rfid(SGTIN, scheme="sgtin-96", gcp_length=7)


# Property tests: URN <-> Digital Link <-> element string.

SERIALS = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)
_HRI_AI_TEXT = re.compile(r"\(\d{2,4}\)")
_RESTRICTED = {"00", "02", "04", *(f"2{digit}" for digit in "0123456789")}


@st.composite
def company_and_rest(draw: st.DrawFn, total: int) -> tuple[str, str]:
    length = draw(st.integers(min_value=6, max_value=12))
    digits = draw(st.text(alphabet="0123456789", min_size=total, max_size=total))
    return digits[:length], digits[length:]


def _round_trips(urn: str, gcp_length: int, *, value: str | None = None) -> None:
    """URN → Digital Link → URN, URN → element strings (HRI and raw) → URN."""
    registry = PrefixRegistry()
    link = to_digital_link(parse_epc_urn(urn))
    assert to_urn(DigitalLink.parse(link), gcp_length=gcp_length, registry=registry) == urn
    assert parse_any(link, gcp_length=gcp_length, registry=registry).epc is None
    message = to_message(parse_epc_urn(urn))
    if value is None or not _HRI_AI_TEXT.search(value):
        hri = format_hri(message)
        assert to_urn(parse_element_string(hri), gcp_length=gcp_length, registry=registry) == urn
    if value is None or "<GS>" not in value:
        raw = to_element_string(message, form="raw", symbology="]d2")
        assert to_urn(parse_element_string(raw), gcp_length=gcp_length, registry=registry) == urn
    assert to_element_string(DigitalLink.parse(link)) == format_hri(message)


@given(parts=company_and_rest(13), serial=SERIALS)
def test_sgtin_round_trips(parts: tuple[str, str], serial: str) -> None:
    assume(parts[0][:2] not in _RESTRICTED)
    urn = str(SgtinUrn(*parts, serial))
    _round_trips(urn, len(parts[0]), value=serial)


@given(parts=company_and_rest(17))
def test_sscc_round_trips(parts: tuple[str, str]) -> None:
    _round_trips(str(SsccUrn(*parts)), len(parts[0]))


@given(parts=company_and_rest(12), extension=SERIALS)
def test_sgln_round_trips(parts: tuple[str, str], extension: str) -> None:
    _round_trips(str(SglnUrn(*parts, extension)), len(parts[0]), value=extension)
