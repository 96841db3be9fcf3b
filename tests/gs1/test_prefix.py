"""Tests of the GS1 Company Prefix length resolver (medtrace.gs1.prefix)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import CharacterSetError, CompanyPrefixError, Gs1Error
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.prefix import (
    DEFAULT_REGISTRY,
    PrefixRegistry,
    fixed_gtin_gcp_length,
    ndc_company_prefix,
    register_company_prefix,
    resolve_gcp_length,
)

GTIN = Gtin.parse("00312345678906")


@pytest.mark.parametrize(
    ("prefix", "error"),
    [
        ("03123", CompanyPrefixError),  # 5 digits: shorter than any GS1 Company Prefix
        ("0312345678901", CompanyPrefixError),  # 13 digits: longer than 12
        ("", CompanyPrefixError),  # empty
        ("031234a", CharacterSetError),  # a letter
        ("0312 45", CharacterSetError),  # a space
    ],
)
def test_register_rejects_bad_prefixes(prefix: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        PrefixRegistry().register(prefix)


@pytest.mark.parametrize(
    ("registered", "digits", "expected"),
    [
        (["0312345"], "0312345678906", 7),  # the one registered prefix matches
        (["031234", "0312345"], "0312345678906", 7),  # longest match wins
        (["031234", "0312345"], "0312349999990", 6),  # only the shorter one matches
        (["0312345"], "0412345678906", None),  # no match
        (["061414112345"], "0614141123452", 12),  # 12-digit prefix of a GLN
        (["0614141123452"[:12]], "061414112345", None),  # prefix must leave room for the rest
    ],
)
def test_length_for_uses_longest_registered_prefix(
    registered: list[str], digits: str, expected: int | None
) -> None:
    assert PrefixRegistry(registered).length_for(digits) == expected


@pytest.mark.parametrize(
    ("key", "explicit", "registered", "expected"),
    [
        (GTIN, 7, [], 7),  # explicit length, empty registry
        (GTIN, 9, ["0312345"], 9),  # explicit beats the registry
        (GTIN, None, ["0312345"], 7),  # registry, digits after the indicator
        (Gtin.parse("50312345678901"), None, ["0312345"], 7),  # indicator 5 is skipped too
        (Sscc.parse("106141411234567897"), None, ["0614141"], 7),  # extension digit skipped
        (Gln.parse("0614141000005"), None, ["0614141"], 7),  # a GLN has no leading digit
        (Sgln(Gln.parse("0614141000005"), "7"), None, ["061414"], 6),  # SGLN via its GLN
        (Gtin.parse("95012346"), None, [], 8),  # GTIN-8: fixed by the TDS GTIN-8 rule
        (Gtin.parse("95012346"), 8, [], 8),  # GTIN-8 with the matching explicit length
    ],
)
def test_resolve(
    key: Gtin | Sscc | Gln | Sgln, explicit: int | None, registered: list[str], expected: int
) -> None:
    assert PrefixRegistry(registered).resolve(key, explicit) == expected


@pytest.mark.parametrize(
    ("key", "explicit", "message_part"),
    [
        (GTIN, None, "GS1 Company Prefix length unknown; pass gcp_length"),  # never a guess
        (GTIN, 5, "length 5 is not possible, expected 6 to 12"),  # explicit too short
        (GTIN, 13, "length 13 is not possible"),  # explicit too long
        (Gtin.parse("95012346"), 7, "does not fit a GTIN-8, expected 8"),  # contradicts a fact
        (Gtin.parse("2001234567893"), 7, "restricted circulation number (GS1 Prefix 20)"),  # RCN
        (Gtin.parse("0412345678903"), 7, "GS1 Prefix 04"),  # U.P.C. number system 4: in-store
        (Gtin.parse("0212345678909"), None, "GS1 Prefix 02"),  # U.P.C. number system 2
        (Gtin.parse("21234569"), 8, "RCN-8 (GS1-8 Prefix 2)"),  # restricted GTIN-8 shape
        (Sscc.parse("106141411234567897"), None, "cannot split SSCC 106141411234567897"),  # SSCC
    ],
)
def test_resolve_errors(key: Gtin | Sscc, explicit: int | None, message_part: str) -> None:
    with pytest.raises(CompanyPrefixError) as caught:
        PrefixRegistry(["0312349"]).resolve(key, explicit)
    assert message_part in str(caught.value)


def test_unknown_prefix_message_names_value_rule_and_remedy() -> None:
    with pytest.raises(CompanyPrefixError) as caught:
        PrefixRegistry().resolve(GTIN)
    assert str(caught.value) == (
        "AI (01) 00312345678906: cannot split GTIN 00312345678906 into an EPC URN: GS1 Company "
        "Prefix length unknown; pass gcp_length (--gcp-length) or register the company prefix"
    )


def test_fixed_length_is_none_for_ordinary_gtins() -> None:
    # U.S. prefixes "0" + U.P.C. Company Prefix have no fixed length
    assert fixed_gtin_gcp_length(GTIN) is None


def test_registry_bookkeeping() -> None:
    registry = PrefixRegistry(["0312345"])
    registry.register("0312345")
    registry.register("061414")
    assert registry.prefixes() == ("0312345", "061414")
    assert "061414" in registry
    assert len(registry) == 2
    registry.unregister("061414")
    registry.unregister("999999")
    assert registry.prefixes() == ("0312345",)
    registry.clear()
    assert len(registry) == 0


def test_registry_is_thread_safe() -> None:
    registry = PrefixRegistry()
    prefixes = [f"{n:07d}" for n in range(400)]

    def work(chunk: list[str]) -> None:
        for prefix in chunk:
            registry.register(prefix)
            assert registry.length_for(prefix + "000000") == 7

    threads = [threading.Thread(target=work, args=(prefixes[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.prefixes() == tuple(prefixes)


def test_default_registry_functions() -> None:
    register_company_prefix("0377777")
    try:
        gtin = Gtin.parse("037777700000" + mod10("037777700000"))
        assert resolve_gcp_length(gtin) == 7
        assert resolve_gcp_length(gtin, registry=PrefixRegistry(["037777"])) == 6
    finally:
        DEFAULT_REGISTRY.unregister("0377777")


@pytest.mark.parametrize(
    ("ndc", "expected"),
    [
        ("0002-1433-80", "030002"),  # 4-digit labeler: 6-digit GS1 Company Prefix
        ("50242-040-62", "0350242"),  # 5-digit labeler: 7 digits
        (Ndc("12345", "6789", "0"), "0312345"),  # an Ndc object
    ],
)
def test_ndc_company_prefix(ndc: str | Ndc, expected: str) -> None:
    assert ndc_company_prefix(ndc) == expected


def test_ndc_company_prefix_is_opt_in() -> None:
    # the NDC reading is never applied unless registered
    gtin = Ndc.parse("50242-040-62").to_gtin()
    with pytest.raises(CompanyPrefixError):
        PrefixRegistry().resolve(gtin)
    assert PrefixRegistry([ndc_company_prefix("50242-040-62")]).resolve(gtin) == 7


@given(
    length=st.integers(min_value=6, max_value=12),
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11),
    indicator=st.sampled_from("012345678"),
)
def test_registered_prefix_resolves_to_its_length(length: int, digits: str, indicator: str) -> None:
    body = indicator + "1" + digits
    gtin = Gtin(body + mod10(body))
    registry = PrefixRegistry([gtin.value[1 : 1 + length]])
    assert registry.resolve(gtin) == length
