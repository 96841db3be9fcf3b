"""Tests of EPC pure identity, class and pattern URIs (medtrace.gs1.epc)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.element_string import ElementString
from medtrace.gs1.epc import (
    EpcPattern,
    EpcUri,
    GdtiUrn,
    GiaiUrn,
    GraiUrn,
    GsrnUrn,
    LgtinUrn,
    SglnUrn,
    SgtinUrn,
    SsccUrn,
    epc_from_key,
    escape_component,
    parse_epc_urn,
    unescape_component,
)
from medtrace.gs1.errors import (
    CharacterSetError,
    CompanyPrefixError,
    Gs1Error,
    Gs1SyntaxError,
    LengthError,
)
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.prefix import PrefixRegistry
from medtrace.gs1.product import Lgtin, Sgtin


@pytest.mark.parametrize(
    ("urn", "key"),
    [
        # TDS §6.3.1 example: GTIN 80614141123458, serial 6789
        (
            "urn:epc:id:sgtin:0614141.812345.6789",
            Sgtin(Gtin("80614141123458"), "6789"),
        ),
        # leading zeros of the serial are kept
        ("urn:epc:id:sgtin:0312345.067890.0012", Sgtin(Gtin("00312345678906"), "0012")),
        # escaped '/' and '%' in the serial
        ("urn:epc:id:sgtin:0312345.067890.A%2F1%25", Sgtin(Gtin("00312345678906"), "A/1%")),
        # a '.' in the serial is part of the serial
        ("urn:epc:id:sgtin:0312345.067890.1.2", Sgtin(Gtin("00312345678906"), "1.2")),
        # 12-digit company prefix: item reference is the indicator digit alone
        ("urn:epc:id:sgtin:031234567890.0.7", Sgtin(Gtin("00312345678906"), "7")),
        # TDS §6.3.2 example SSCC
        ("urn:epc:id:sscc:0614141.1234567890", Sscc("106141412345678908")),
        # SGLN with extension
        (
            "urn:epc:id:sgln:0614141.12345.400",
            Sgln(Gln("0614141123452"), "400"),
        ),
        # SGLN without extension ("0") and a 12-digit prefix with an empty location reference
        ("urn:epc:id:sgln:061414112345..0", Sgln(Gln("0614141123452"))),
        # LGTIN class with an escaped '&' in the lot
        ("urn:epc:class:lgtin:0312345.067890.L%261", Lgtin(Gtin("00312345678906"), "L&1")),
    ],
)
def test_parse_and_to_key(urn: str, key: object) -> None:
    parsed = parse_epc_urn(urn)
    assert isinstance(parsed, (SgtinUrn, SsccUrn, SglnUrn, LgtinUrn))
    assert parsed.to_key() == key
    assert str(parsed) == urn


@pytest.mark.parametrize(
    ("urn", "pairs"),
    [
        # GRAI: "0" + GRAI-13 with check digit + serial
        ("urn:epc:id:grai:0614141.12345.400", (("8003", "00614141123452400"),)),
        # GIAI: prefix + alphanumeric asset reference
        ("urn:epc:id:giai:0614141.A%2FB-1", (("8004", "0614141A/B-1"),)),
        # GSRN: 18 digits with check digit
        ("urn:epc:id:gsrn:0614141.1234567890", (("8018", "061414112345678902"),)),
        # GDTI: GDTI-13 with check digit, then the serial
        ("urn:epc:id:gdti:0614141.12345.006847", (("253", "0614141123452006847"),)),
    ],
)
def test_asset_schemes(urn: str, pairs: tuple[tuple[str, str], ...]) -> None:
    parsed = parse_epc_urn(urn)
    assert isinstance(parsed, (GraiUrn, GiaiUrn, GsrnUrn, GdtiUrn))
    assert parsed.element_pairs() == pairs
    assert parsed.to_key() == ElementString.of(*pairs[0])
    assert str(parsed) == urn


@pytest.mark.parametrize(
    ("urn", "error", "message_part"),
    [
        # CP + IR is 12 digits, not 13
        ("urn:epc:id:sgtin:0614141.81234.6789", LengthError, "expected 13"),
        # 5-digit company prefix
        ("urn:epc:id:sgtin:06141.81234567.1", LengthError, "expected 6 to 12"),
        # 13-digit company prefix
        ("urn:epc:id:sgtin:0614141812345..1", LengthError, "expected 6 to 12"),
        # letter in the item reference
        ("urn:epc:id:sgtin:0614141.81234A.1", CharacterSetError, "'A'"),
        # serial missing
        ("urn:epc:id:sgtin:0614141.812345", Gs1SyntaxError, "expected 3"),
        # empty serial
        ("urn:epc:id:sgtin:0614141.812345.", LengthError, "0 characters"),
        # 21-character serial
        ("urn:epc:id:sgtin:0614141.812345." + "1" * 21, LengthError, "21 characters"),
        # unescaped '/'
        ("urn:epc:id:sgtin:0614141.812345.A/B", CharacterSetError, "%2F"),
        # escape of a character that needs none
        ("urn:epc:id:sgtin:0614141.812345.%41", Gs1SyntaxError, "'%41'"),
        # truncated escape
        ("urn:epc:id:sgtin:0614141.812345.A%2", Gs1SyntaxError, "'%2'"),
        # character outside set 82
        ("urn:epc:id:sgtin:0614141.812345.A B", CharacterSetError, "' '"),
        # SSCC with 16 digits
        ("urn:epc:id:sscc:0614141.123456789", LengthError, "expected 17"),
        # SGLN with 11 digits
        ("urn:epc:id:sgln:0614141.1234.0", LengthError, "expected 12"),
        # empty location reference with a 7-digit prefix
        ("urn:epc:id:sgln:0614141..0", LengthError, "expected 12"),
        # unknown scheme
        ("urn:epc:id:sgtn:0614141.812345.1", Gs1SyntaxError, "'sgtn'"),
        # not an EPC URI at all
        ("urn:isbn:0451450523", Gs1SyntaxError, "not an EPC URI"),
        # upper-case scheme (the TDS grammar is lower case)
        ("urn:epc:id:SGTIN:0614141.812345.1", Gs1SyntaxError, "'SGTIN'"),
        # GRAI serial longer than 16
        ("urn:epc:id:grai:0614141.12345." + "1" * 17, LengthError, "expected 1 to 16"),
        # GIAI longer than 30 characters in all
        ("urn:epc:id:giai:0614141." + "1" * 24, LengthError, "expected 1 to 23"),
    ],
)
def test_parse_errors(urn: str, error: type[Gs1Error], message_part: str) -> None:
    with pytest.raises(error) as caught:
        parse_epc_urn(urn)
    assert message_part in str(caught.value)


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ('"', "%22"),  # double quote
        ("%", "%25"),  # percent
        ("&", "%26"),  # ampersand
        ("/", "%2F"),  # slash
        ("<", "%3C"),  # less than
        (">", "%3E"),  # greater than
        ("?", "%3F"),  # question mark
        ("!'()*+,-.:;=_", "!'()*+,-.:;=_"),  # the other symbols of set 82 stay as they are
        ("%25", "%2525"),  # an escape-looking value is escaped again
    ],
)
def test_escaping(value: str, escaped: str) -> None:
    assert escape_component(value) == escaped
    assert unescape_component(escaped) == value


def test_unescape_accepts_lower_case_hex() -> None:
    # RFC 3986 percent-encodings are case-insensitive; writing is upper case
    assert unescape_component("a%2fb%3c") == "a/b<"


@pytest.mark.parametrize(
    ("pattern", "member", "non_member"),
    [
        # serial wildcard
        (
            "urn:epc:idpat:sgtin:0614141.812345.*",
            "urn:epc:id:sgtin:0614141.812345.1",
            "urn:epc:id:sgtin:0614141.812346.1",
        ),
        # item reference and serial wildcards
        (
            "urn:epc:idpat:sgtin:0614141.*.*",
            "urn:epc:id:sgtin:0614141.912345.1",
            "urn:epc:id:sgtin:0614142.812345.1",
        ),
        # everything
        (
            "urn:epc:idpat:sgtin:*.*.*",
            "urn:epc:id:sgtin:061414.1812345.1",
            "urn:epc:id:sscc:0614141.1234567890",
        ),
        # no wildcard at all: exactly one EPC, escaped serial compared unescaped
        (
            "urn:epc:idpat:sgtin:0614141.812345.A%2F1",
            "urn:epc:id:sgtin:0614141.812345.A%2F1",
            "urn:epc:id:sgtin:0614141.812345.A1",
        ),
        # SSCC serial reference wildcard
        (
            "urn:epc:idpat:sscc:0614141.*",
            "urn:epc:id:sscc:0614141.1234567890",
            "urn:epc:id:sscc:0614142.1234567890",
        ),
        # SGLN extension wildcard
        (
            "urn:epc:idpat:sgln:0614141.12345.*",
            "urn:epc:id:sgln:0614141.12345.400",
            "urn:epc:id:sgln:0614141.12346.400",
        ),
    ],
)
def test_patterns(pattern: str, member: str, non_member: str) -> None:
    parsed = parse_epc_urn(pattern)
    assert isinstance(parsed, EpcPattern)
    assert str(parsed) == pattern
    inside, outside = parse_epc_urn(member), parse_epc_urn(non_member)
    assert isinstance(inside, EpcUri)
    assert isinstance(outside, EpcUri)
    assert parsed.matches(inside)
    assert not parsed.matches(outside)


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("urn:epc:idpat:sgtin:0614141.*.1", Gs1SyntaxError),  # wildcard before a fixed field
        ("urn:epc:idpat:sgtin:*.812345.*", Gs1SyntaxError),  # wildcard company prefix, fixed IR
        ("urn:epc:idpat:sgtin:0614141.81234.*", LengthError),  # CP + IR is 12 digits
        ("urn:epc:idpat:sgtin:06141.*.*", LengthError),  # 5-digit company prefix
        ("urn:epc:idpat:sgtin:0614141.*", Gs1SyntaxError),  # two fields, expected three
        ("urn:epc:idpat:lgtin:0614141.812345.*", Gs1SyntaxError),  # no pattern of classes
    ],
)
def test_pattern_errors(pattern: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        parse_epc_urn(pattern)


def test_class_urn_does_not_match_patterns() -> None:
    # an LGTIN class is not an SGTIN instance
    lgtin = parse_epc_urn("urn:epc:class:lgtin:0614141.812345.1")
    assert isinstance(lgtin, EpcUri)
    assert not EpcPattern("sgtin", (None, None, None)).matches(lgtin)


@pytest.mark.parametrize(
    ("key", "gcp_length", "expected"),
    [
        # SGTIN with 7-digit prefix
        (Sgtin(Gtin("00312345678906"), "0012"), 7, "urn:epc:id:sgtin:0312345.067890.0012"),
        # LGTIN class
        (Lgtin(Gtin("00312345678906"), "L/1"), 7, "urn:epc:class:lgtin:0312345.067890.L%2F1"),
        # SSCC
        (Sscc("106141411234567897"), 7, "urn:epc:id:sscc:0614141.1123456789"),
        # bare GLN: extension 0
        (Gln("0614141123452"), 7, "urn:epc:id:sgln:0614141.12345.0"),
        # SGLN with a 12-digit prefix
        (Sgln(Gln("0614141123452"), "X"), 12, "urn:epc:id:sgln:061414112345..X"),
    ],
)
def test_epc_from_key(
    key: Sgtin | Lgtin | Sscc | Gln | Sgln, gcp_length: int, expected: str
) -> None:
    assert str(epc_from_key(key, gcp_length=gcp_length)) == expected


def test_epc_from_key_uses_the_registry_and_never_guesses() -> None:
    sgtin = Sgtin(Gtin("00312345678906"), "1")
    registry = PrefixRegistry(["031234"])
    assert str(epc_from_key(sgtin, registry=registry)) == "urn:epc:id:sgtin:031234.0567890.1"
    with pytest.raises(CompanyPrefixError):
        epc_from_key(sgtin, registry=PrefixRegistry())


SERIALS = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@st.composite
def company_and_rest(draw: st.DrawFn, total: int) -> tuple[str, str]:
    length = draw(st.integers(min_value=6, max_value=min(12, total)))
    digits = draw(st.text(alphabet="0123456789", min_size=total, max_size=total))
    return digits[:length], digits[length:]


RESTRICTED = {"00", "02", "04", *(f"2{digit}" for digit in "0123456789")}
"""GS1 Prefixes without an SGTIN (restricted circulation) and the GTIN-8 zeros (prefix.py)."""


@given(parts=company_and_rest(13), serial=SERIALS)
def test_sgtin_urn_round_trip(parts: tuple[str, str], serial: str) -> None:
    assume(parts[0][:2] not in RESTRICTED)
    urn = SgtinUrn(*parts, serial)
    assert SgtinUrn.parse(str(urn)) == urn
    key = urn.to_key()
    assert SgtinUrn.from_key(key, gcp_length=len(parts[0])) == urn
    assert key.gtin.value[-1] == mod10(key.gtin.value[:-1])


@given(parts=company_and_rest(17))
def test_sscc_urn_round_trip(parts: tuple[str, str]) -> None:
    urn = SsccUrn(*parts)
    assert SsccUrn.parse(str(urn)) == urn
    assert SsccUrn.from_key(urn.to_key(), gcp_length=len(parts[0])) == urn


@given(parts=company_and_rest(12), extension=SERIALS)
def test_sgln_urn_round_trip(parts: tuple[str, str], extension: str) -> None:
    urn = SglnUrn(*parts, extension)
    assert SglnUrn.parse(str(urn)) == urn
    assert SglnUrn.from_key(urn.to_key(), gcp_length=len(parts[0])) == urn


@given(value=SERIALS)
def test_escape_round_trip(value: str) -> None:
    escaped = escape_component(value)
    assert unescape_component(escaped) == value
    assert not set(escaped) & set('"&/<>?')
