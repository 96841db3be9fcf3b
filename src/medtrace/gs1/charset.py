"""GS1 AI encodable character sets (GS1 General Specifications §7.11, Figures 7.11-1 to 7.11-3).

* **Set 82** (Fig. 7.11-1): the 82 characters allowed in most alphanumeric AIs (serial AI 21,
  lot AI 10, GLN extension AI 254, ...): ``A-Z a-z 0-9`` and
  ``! " % & ' ( ) * + , - . / : ; < = > ? _``.
* **Set 39** (Fig. 7.11-2): ``A-Z 0-9 # - /`` (for example CPID, AI 8010).
* **Set 64** (Fig. 7.11-3): the URI- and filename-safe base64 alphabet ``A-Z a-z 0-9 - _``; a value
  may end with up to two ``=`` padding characters (for example the signature in AI 8030).
* ``"N"``: digits ``0-9`` only.

>>> len(CSET82), len(CSET39), len(CSET64)
(82, 39, 64)
>>> check_charset("ABC-12", "82", ai="21")
>>> check_charset("AB C", "82", ai="21")
Traceback (most recent call last):
...
medtrace.gs1.errors.CharacterSetError: AI (21) AB C: value has character ' ' at position 3, \
expected only characters of GS1 AI encodable character set 82
"""

from __future__ import annotations

import re
import string
from typing import Final, Literal

from medtrace.gs1.errors import CharacterSetError

CSET82: Final[frozenset[str]] = frozenset(
    string.ascii_uppercase + string.ascii_lowercase + string.digits + "!\"%&'()*+,-./:;<=>?_"
)
"""GS1 AI encodable character set 82 (GS1 General Specifications Fig. 7.11-1)."""

CSET39: Final[frozenset[str]] = frozenset(string.ascii_uppercase + string.digits + "#-/")
"""GS1 AI encodable character set 39 (GS1 General Specifications Fig. 7.11-2)."""

CSET64: Final[frozenset[str]] = frozenset(
    string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
)
"""GS1 AI encodable character set 64 (GS1 General Specifications Fig. 7.11-3), without ``=``."""

DIGITS: Final[frozenset[str]] = frozenset(string.digits)
"""Numeric values (``N`` in the GS1 AI table)."""

Charset = Literal["82", "39", "64", "N"]

_SETS: Final[dict[str, frozenset[str]]] = {"82": CSET82, "39": CSET39, "64": CSET64, "N": DIGITS}
_NAMES: Final[dict[str, str]] = {
    "82": "characters of GS1 AI encodable character set 82",
    "39": "characters of GS1 AI encodable character set 39",
    "64": "characters of GS1 AI encodable character set 64",
    "N": "digits 0-9",
}
_MAX_CSET64_PADDING: Final = 2
#: One compiled class per set: the common case (a valid value) is checked in one C call.
_VALID: Final[dict[str, re.Pattern[str]]] = {
    name: re.compile(f"[{''.join(re.escape(char) for char in sorted(chars))}]*")
    for name, chars in _SETS.items()
}


def check_charset(
    value: str,
    charset: Charset,
    *,
    ai: str | None = None,
    what: str = "value",
) -> None:
    """Raise :class:`CharacterSetError` unless every character of ``value`` is in ``charset``.

    The error names the first offending character (``repr``) and its 1-based position. ``what``
    names the checked part in the message (``"serial"``, ``"extension"``, ...). For set 64 up to
    two trailing ``=`` padding characters are allowed (GS1 General Specifications §7.11).
    """
    if charset != "64" and _VALID[charset].fullmatch(value):
        return
    allowed = _SETS[charset]
    body = value
    if charset == "64":
        stripped = value.rstrip("=")
        if len(value) - len(stripped) <= _MAX_CSET64_PADDING:
            body = stripped
    for position, char in enumerate(body, start=1):
        if char not in allowed:
            subject = what if ai is not None else f"{what} {value!r}"
            raise CharacterSetError(
                f"{subject} has character {char!r} at position {position}, "
                f"expected only {_NAMES[charset]}",
                ai=ai,
                value=value,
            )


def is_digits(value: str) -> bool:
    """Whether ``value`` is non-empty ASCII digits ``0-9`` (``str.isdigit`` accepts more)."""
    return value.isascii() and value.isdigit()  # ASCII isdigit: exactly 0-9, False for ""


__all__ = ["CSET39", "CSET64", "CSET82", "DIGITS", "Charset", "check_charset", "is_digits"]
