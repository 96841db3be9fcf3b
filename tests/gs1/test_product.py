"""Tests of SGTIN, LGTIN and the DSCSA product identifier (GS1 General Specifications §4.13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from biip.gs1_messages import GS1Message
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.errors import CharacterSetError, Gs1Error, LengthError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.product import Lgtin, ProductIdentifier, Sgtin

GTIN = Gtin("00300021433802")
EXPIRY = Gs1Date.from_date(date(2027, 5, 31))
TODAY = date(2025, 6, 15)
# Raw strings where value objects belong, typed Any so that the type checks run at runtime.
RAW_GTIN: Any = "00300021433802"
RAW_DATE: Any = "270531"
X20 = st.text(alphabet="".join(sorted(CSET82)), min_size=1, max_size=20)
# HRI text cannot carry "(" or ")" inside a value unambiguously, so the biip read-back skips them.
X20_HRI = st.text(alphabet="".join(sorted(CSET82 - {"(", ")"})), min_size=1, max_size=20)
GTINS = st.text(alphabet="0123456789", min_size=13, max_size=13).map(lambda b: Gtin(b + mod10(b)))


def biip_fields(hri: str) -> dict[str, str]:
    """AI -> value as read by biip, an independent GS1 element-string parser."""
    message = GS1Message.parse_hri(hri)
    return {element.ai.ai: element.value for element in message.element_strings}


@pytest.mark.parametrize(
    ("serial", "text"),
    [
        ("0012", "(01)00300021433802(21)0012"),  # leading zeros kept
        ("12", "(01)00300021433802(21)12"),  # a different serial from "0012"
        ("A-b/1.2", "(01)00300021433802(21)A-b/1.2"),  # punctuation of set 82
    ],
)
def test_sgtin(serial: str, text: str) -> None:
    sgtin = Sgtin(GTIN, serial)
    assert str(sgtin) == text
    assert sgtin.serial == serial


def test_sgtins_with_and_without_leading_zeros_differ() -> None:
    assert Sgtin(GTIN, "0012") != Sgtin(GTIN, "12")


@pytest.mark.parametrize(
    ("serial", "error"),
    [
        ("", LengthError),  # empty serial
        ("1" * 21, LengthError),  # 21 characters
        ("1 2", CharacterSetError),  # space
    ],
)
def test_sgtin_invalid_serial(serial: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error) as info:
        Sgtin(GTIN, serial)
    assert info.value.ai == "21"


@pytest.mark.parametrize(
    ("lot", "error"),
    [
        ("", LengthError),  # empty lot
        ("L" * 21, LengthError),  # 21 characters
        ("L~1", CharacterSetError),  # tilde
    ],
)
def test_lgtin_invalid_lot(lot: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error) as info:
        Lgtin(GTIN, lot)
    assert info.value.ai == "10"


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: Sgtin(RAW_GTIN, "1"), "Sgtin.gtin"),  # raw string for a GTIN
        (lambda: Lgtin(RAW_GTIN, "1"), "Lgtin.gtin"),  # raw string for a GTIN
        (lambda: ProductIdentifier(RAW_GTIN, "1", "L", EXPIRY), "ProductIdentifier.gtin"),  # str
        (lambda: ProductIdentifier(GTIN, "1", "L", RAW_DATE), "ProductIdentifier.expiry"),  # str
    ],
)
def test_types_are_checked(factory: Callable[[], object], name: str) -> None:
    with pytest.raises(TypeError, match=name):
        factory()


def test_product_identifier() -> None:
    pi = ProductIdentifier(GTIN, "0012", "LOT-1", EXPIRY)
    assert pi.sgtin == Sgtin(GTIN, "0012")
    assert pi.lgtin == Lgtin(GTIN, "LOT-1")
    assert str(pi) == "(01)00300021433802(17)270531(10)LOT-1(21)0012"
    assert pi.is_expired(date(2027, 5, 31)) is False
    assert pi.is_expired(date(2027, 6, 1)) is True


@pytest.mark.parametrize(
    ("serial", "lot", "error"),
    [
        ("", "L", LengthError),  # empty serial
        ("S", "", LengthError),  # empty lot
        ("S#", "L", CharacterSetError),  # "#" in serial
        ("S", "L#", CharacterSetError),  # "#" in lot
    ],
)
def test_product_identifier_invalid(serial: str, lot: str, error: type[Gs1Error]) -> None:
    with pytest.raises(error):
        ProductIdentifier(GTIN, serial, lot, EXPIRY)


def test_frozen() -> None:
    pi = ProductIdentifier(GTIN, "1", "L", EXPIRY)
    with pytest.raises(AttributeError):
        pi.serial = "2"  # type: ignore[misc]


@given(GTINS, X20_HRI, X20_HRI, st.dates(min_value=date(1976, 1, 1), max_value=date(2075, 12, 31)))
def test_element_string_read_back_by_biip(gtin: Gtin, serial: str, lot: str, day: date) -> None:
    pi = ProductIdentifier(gtin, serial, lot, Gs1Date.from_date(day))
    fields = biip_fields(str(pi))
    rebuilt = ProductIdentifier(
        Gtin.parse(fields["01"]),
        fields["21"],
        fields["10"],
        Gs1Date.parse(fields["17"], today=TODAY),
    )
    assert rebuilt == pi
    assert biip_fields(str(pi.sgtin)) == {"01": gtin.value, "21": serial}
    assert biip_fields(str(pi.lgtin)) == {"01": gtin.value, "10": lot}


@given(GTINS, X20, X20)
def test_any_valid_serial_and_lot_build(gtin: Gtin, serial: str, lot: str) -> None:
    pi = ProductIdentifier(gtin, serial, lot, EXPIRY)
    assert (pi.sgtin.serial, pi.lgtin.lot) == (serial, lot)
    assert str(pi.sgtin).endswith(f"(21){serial}")
