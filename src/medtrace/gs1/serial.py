"""Serial numbers (AI 21) and batch/lot numbers (AI 10) (GS1 General Specifications §3.5.1, §3.5.2).

Both are 1 to 20 characters of GS1 AI encodable character set 82 (§7.11). They are opaque
strings: leading zeros are significant, so ``"0012"`` and ``"12"`` are different serials, and
nothing is trimmed, padded or case-folded.

>>> validate_serial("0012")
'0012'
>>> validate_lot("")
Traceback (most recent call last):
...
medtrace.gs1.errors.LengthError: AI (10) : lot has 0 characters, expected 1 to 20
"""

from __future__ import annotations

from typing import Final

from medtrace.gs1.charset import check_charset
from medtrace.gs1.errors import LengthError

MAX_SERIAL_LENGTH: Final = 20
"""Longest serial number, AI (21) X..20."""
MAX_LOT_LENGTH: Final = 20
"""Longest batch/lot number, AI (10) X..20."""


def _validate_x20(value: str, *, ai: str, what: str, max_length: int) -> str:
    if not 1 <= len(value) <= max_length:
        raise LengthError(
            f"{what} has {len(value)} characters, expected 1 to {max_length}", ai=ai, value=value
        )
    check_charset(value, "82", ai=ai, what=what)
    return value


def validate_serial(value: str, *, ai: str = "21") -> str:
    """Return ``value`` unchanged if it is a valid serial number (set 82, 1 to 20 characters).

    Raises :class:`~medtrace.gs1.errors.LengthError` or
    :class:`~medtrace.gs1.errors.CharacterSetError` naming ``ai``.
    """
    return _validate_x20(value, ai=ai, what="serial", max_length=MAX_SERIAL_LENGTH)


def validate_lot(value: str, *, ai: str = "10") -> str:
    """Return ``value`` unchanged if it is a valid batch/lot number (set 82, 1 to 20 characters)."""
    return _validate_x20(value, ai=ai, what="lot", max_length=MAX_LOT_LENGTH)


__all__ = ["MAX_LOT_LENGTH", "MAX_SERIAL_LENGTH", "validate_lot", "validate_serial"]
