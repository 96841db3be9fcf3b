"""The GS1 mod-10 check digit (GS1 General Specifications §7.9.1).

Digits are weighted 3, 1, 3, 1, ... from the right-most data digit (the one next to the check
digit); the check digit brings the weighted sum up to a multiple of ten. The same algorithm serves
GTIN-8/12/13/14, GLN, SSCC, GSRN and the other fixed-length GS1 keys.

>>> mod10("0031234567890")
'6'
>>> is_valid("00312345678906")
True
>>> is_valid("00312345678905")
False
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)  # the same few GTINs and GLNs come again and again
def mod10(data: str) -> str:
    """Return the check digit for the numeric string ``data`` (the key without its check digit)."""
    if not data.isascii() or not data.isdigit():
        raise ValueError(f"check digit input must be digits 0-9, got {data!r}")
    backwards = data[::-1]  # weight 3 on the right-most data digit, then 1, 3, 1, ...
    total = 3 * sum(map(int, backwards[0::2])) + sum(map(int, backwards[1::2]))
    return str((10 - total % 10) % 10)


def is_valid(key: str) -> bool:
    """Whether the last digit of the numeric ``key`` is its correct mod-10 check digit."""
    if len(key) < 2 or not key.isascii() or not key.isdigit():
        return False
    return mod10(key[:-1]) == key[-1]
