"""Tests of the GS1 AI encodable character sets (GS1 General Specifications §7.11)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.charset import CSET39, CSET64, CSET82, DIGITS, check_charset, is_digits
from medtrace.gs1.errors import CharacterSetError, Gs1Error

CSET82_SPECIALS = "!\"%&'()*+,-./:;<=>?_"


@pytest.mark.parametrize(
    ("charset", "size"),
    [
        (CSET82, 82),  # Fig. 7.11-1 has 82 characters
        (CSET39, 39),  # Fig. 7.11-2 has 39 characters
        (CSET64, 64),  # Fig. 7.11-3 has 64 characters (padding "=" is not one of them)
        (DIGITS, 10),  # N: digits only
    ],
)
def test_set_sizes(charset: frozenset[str], size: int) -> None:
    assert len(charset) == size


def test_cset82_is_letters_digits_and_the_twenty_specials() -> None:
    expected = set(string.ascii_letters + string.digits + CSET82_SPECIALS)
    assert set(CSET82) == expected


def test_subset_relations() -> None:
    assert DIGITS < CSET39
    assert DIGITS < CSET64 < CSET82 | set("-_")
    assert {"#"} == CSET39 - CSET82


@pytest.mark.parametrize(
    ("value", "charset"),
    [
        ("".join(sorted(CSET82)), "82"),  # every character of set 82 at once
        ("".join(sorted(CSET39)), "39"),  # every character of set 39 at once
        ("".join(sorted(CSET64)), "64"),  # every character of set 64 at once
        ("QUJD==", "64"),  # two trailing "=" pads allowed in set 64
        ("QUJDRA=", "64"),  # one trailing "=" pad
        ("0123456789", "N"),  # digits
        ("", "82"),  # empty has no bad character (lengths are checked elsewhere)
    ],
)
def test_accepted(value: str, charset: str) -> None:
    check_charset(value, charset, ai="99")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "charset", "bad", "position"),
    [
        ("AB C", "82", " ", 3),  # space is not in set 82
        ("#1", "82", "#", 1),  # "#" is in set 39 but not set 82
        ("abc~", "82", "~", 4),  # tilde is outside set 82
        ("A\x1dB", "82", "\x1d", 2),  # a GS separator inside a value
        ("caf\u00e9", "82", "\u00e9", 4),  # non-ASCII letter
        ("ab", "39", "a", 1),  # set 39 has no lowercase
        ("A+B", "64", "+", 2),  # "+" is standard base64 but not URL-safe set 64
        ("QU===", "64", "=", 3),  # three pads are too many
        ("Q=UJ", "64", "=", 2),  # "=" only at the end
        ("12a", "N", "a", 3),  # a letter in a numeric value
        ("\u0661", "N", "\u0661", 1),  # Arabic-Indic digit: str.isdigit() would accept it
    ],
)
def test_rejected_names_first_bad_char_and_position(
    value: str, charset: str, bad: str, position: int
) -> None:
    with pytest.raises(CharacterSetError) as info:
        check_charset(value, charset, ai="21", what="serial")  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"AI (21) {value}: serial has character ")
    assert f"character {bad!r} at position {position}," in message
    assert info.value.ai == "21"
    assert info.value.value == value
    assert isinstance(info.value, Gs1Error)


def test_message_without_ai_names_the_value() -> None:
    expected = r"^extension 'a b' has character ' ' at position 2"
    with pytest.raises(CharacterSetError, match=expected):
        check_charset("a b", "82", what="extension")


@given(st.characters().filter(lambda char: char not in CSET82))
def test_every_char_outside_cset82_is_rejected(char: str) -> None:
    with pytest.raises(CharacterSetError, match="position 2"):
        check_charset("A" + char + "B", "82")


@given(st.text(alphabet=sorted(CSET82), max_size=30))
def test_every_string_of_cset82_is_accepted(value: str) -> None:
    check_charset(value, "82")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0123", True),  # ASCII digits
        ("", False),  # empty
        ("12 ", False),  # trailing space
        ("\u00b2", False),  # superscript two: isdigit() is True, GS1 is not
    ],
)
def test_is_digits(value: str, expected: bool) -> None:
    assert is_digits(value) is expected
