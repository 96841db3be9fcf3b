"""Tests of serial (AI 21) and lot (AI 10) validation (GS1 General Specifications §3.5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET82
from medtrace.gs1.errors import CharacterSetError, Gs1Error, LengthError
from medtrace.gs1.serial import MAX_LOT_LENGTH, MAX_SERIAL_LENGTH, validate_lot, validate_serial

CSET82_TEXT = "".join(sorted(CSET82))


@pytest.mark.parametrize(
    "value",
    [
        "0012",  # leading zeros are kept
        "12",  # differs from "0012"
        "0",  # one character
        "A" * 20,  # the maximum length
        "abc-DEF_1/2.3",  # mixed case and punctuation of set 82
        CSET82_TEXT[:20],  # first twenty characters of set 82
        CSET82_TEXT[20:40],  # next twenty
        CSET82_TEXT[40:60],  # next twenty
        CSET82_TEXT[60:80],  # next twenty
        CSET82_TEXT[80:],  # the last two
    ],
)
@pytest.mark.parametrize("validate", [validate_serial, validate_lot])
def test_valid_values_returned_unchanged(validate: Callable[[str], str], value: str) -> None:
    assert validate(value) == value


def test_leading_zero_serials_stay_distinct() -> None:
    assert validate_serial("0012") != validate_serial("12")


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("", LengthError, "AI (21) : serial has 0 characters, expected 1 to 20"),  # empty
        (
            "A" * 21,
            LengthError,
            f"AI (21) {'A' * 21}: serial has 21 characters, expected 1 to 20",
        ),  # one too long
        (
            "12 34",
            CharacterSetError,
            "AI (21) 12 34: serial has character ' ' at position 3",
        ),  # space
        ("#1", CharacterSetError, "AI (21) #1: serial has character '#' at position 1"),  # "#"
        ("a\x1d", CharacterSetError, "AI (21) a\x1d: serial has character '\\x1d'"),  # GS char
    ],
)
def test_invalid_serial(value: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as info:
        validate_serial(value)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("value", "ai", "message"),
    [
        ("", "10", "AI (10) : lot has 0 characters"),  # empty lot
        ("L 1", "10", "AI (10) L 1: lot has character ' ' at position 2"),  # space in lot
        ("L 1", "7022", "AI (7022) L 1: lot has character ' '"),  # another AI named
    ],
)
def test_invalid_lot(value: str, ai: str, message: str) -> None:
    with pytest.raises(Gs1Error) as info:
        validate_lot(value, ai=ai)
    assert str(info.value).startswith(message)


def test_serial_ai_can_be_named() -> None:
    # AI 250 (secondary serial) reuses the serial rules
    with pytest.raises(LengthError, match=r"^AI \(250\)"):
        validate_serial("", ai="250")


@given(st.text(alphabet=CSET82_TEXT, min_size=1, max_size=20))
def test_any_cset82_text_up_to_20_is_valid(value: str) -> None:
    assert validate_serial(value) == value
    assert validate_lot(value) == value


@given(
    st.text(alphabet=CSET82_TEXT, max_size=19),
    st.characters().filter(lambda char: char not in CSET82),
)
def test_any_char_outside_cset82_is_rejected(prefix: str, bad: str) -> None:
    with pytest.raises(CharacterSetError, match=f"position {len(prefix) + 1},"):
        validate_serial(prefix + bad)


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("ai", "maximum"),
    [
        ("21", MAX_SERIAL_LENGTH),  # serial X..20
        ("10", MAX_LOT_LENGTH),  # lot X..20
    ],
)
def test_lengths_match_syntax_dictionary(conformance_dir: Path, ai: str, maximum: int) -> None:
    text = (conformance_dir / "gs1-barcode" / "gs1-syntax-dictionary.txt").read_text()
    match = re.search(rf"^{ai}\s+[*?]*\s*X\.\.(\d+)\s", text, re.MULTILINE)
    assert match is not None
    assert int(match.group(1)) == maximum
