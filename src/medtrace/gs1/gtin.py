"""The Global Trade Item Number, AI (01) (GS1 General Specifications §3.3.2 and §2.1).

A GTIN is 8, 12, 13 or 14 digits long, the last being a mod-10 check digit (§7.9.1). Inside
medtrace a GTIN is always held in its canonical 14-digit form: shorter GTINs are left-padded with
zeros, as in AI (01) element strings (§3.3.2).

>>> gtin = Gtin.parse("312345678906")
>>> str(gtin), gtin.original_format
('00312345678906', 'GTIN-12')
>>> Gtin.parse("00312345678905")
Traceback (most recent call last):
...
medtrace.gs1.errors.CheckDigitError: AI (01) 00312345678905: check digit 5 is wrong, expected 6
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from medtrace.gs1.charset import check_charset, is_digits
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import CharacterSetError, Gs1Error, LengthError
from medtrace.gs1.keys import check_gcp_length, check_numeric_key, key_from_parts

GTIN_LENGTHS: Final = (8, 12, 13, 14)
"""The lengths a GTIN may have (GTIN-8, GTIN-12, GTIN-13, GTIN-14)."""

_GTIN14: Final = 14


@dataclass(frozen=True, slots=True)
class Gtin:
    """A GTIN in its canonical 14-digit form (GS1 General Specifications §3.3.2).

    Direct construction requires exactly 14 digits with a correct check digit; use :meth:`parse`
    for GTIN-8, GTIN-12 and GTIN-13 input.

    >>> Gtin("00312345678906").indicator
    '0'
    """

    value: str

    AI = "01"

    def __post_init__(self) -> None:
        check_numeric_key(self.value, _GTIN14, ai=self.AI, name="GTIN-14")

    @classmethod
    def parse(cls, text: str) -> Gtin:
        """Parse a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 and pad it to 14 digits.

        >>> str(Gtin.parse("96385074"))
        '00000096385074'
        """
        if not is_digits(text):
            check_charset(text, "N", ai=cls.AI, what="GTIN")
            raise CharacterSetError(
                "GTIN is empty, expected 8, 12, 13 or 14 digits", ai=cls.AI, value=text
            )
        if len(text) not in GTIN_LENGTHS:
            raise LengthError(
                f"expected 8, 12, 13 or 14 digits, got {len(text)}", ai=cls.AI, value=text
            )
        check_numeric_key(text, len(text), ai=cls.AI, name="GTIN")
        return cls(text.zfill(_GTIN14))

    @classmethod
    def from_parts(cls, company_prefix: str, item_reference_with_indicator: str) -> Gtin:
        """Build a GTIN-14 from EPC URN parts and compute its check digit (EPC TDS §6.3.1).

        The first digit of ``item_reference_with_indicator`` is the indicator digit; the two
        parts have 13 digits together.

        >>> str(Gtin.from_parts("0312345", "067890"))
        '00312345678906'
        """
        rest = item_reference_with_indicator
        key_from_parts(
            company_prefix, rest, body_length=_GTIN14 - 1, ai=cls.AI, name="item reference"
        )
        body = rest[:1] + company_prefix + rest[1:]
        return cls(body + mod10(body))

    @property
    def gtin14(self) -> str:
        """The 14 digits."""
        return self.value

    @property
    def indicator(self) -> str:
        """The indicator digit (first of the 14), ``"0"`` for GTIN-8/12/13 (§3.3.2)."""
        return self.value[0]

    @property
    def check_digit(self) -> str:
        """The mod-10 check digit (last digit)."""
        return self.value[-1]

    @property
    def original_format(self) -> str:
        """The shortest GTIN format the leading zeros allow: ``"GTIN-8"`` ... ``"GTIN-14"``.

        >>> Gtin.parse("4006381333931").original_format
        'GTIN-13'
        """
        for length in GTIN_LENGTHS:
            if self.value.startswith("0" * (_GTIN14 - length)):
                return f"GTIN-{length}"
        raise AssertionError("unreachable: GTIN-14 always matches")  # pragma: no cover

    def _shorten(self, length: int) -> str:
        padding = _GTIN14 - length
        if not self.value.startswith("0" * padding):
            raise Gs1Error(
                f"GTIN cannot be written as GTIN-{length}, "
                f"expected the first {padding} digits to be zero",
                ai=self.AI,
                value=self.value,
            )
        return self.value[padding:]

    def as_gtin13(self) -> str:
        """The 13-digit form; :class:`Gs1Error` unless the indicator digit is zero."""
        return self._shorten(13)

    def as_gtin12(self) -> str:
        """The 12-digit (UPC-A) form; :class:`Gs1Error` unless the first two digits are zero."""
        return self._shorten(12)

    def as_gtin8(self) -> str:
        """The 8-digit form; :class:`Gs1Error` unless the first six digits are zero."""
        return self._shorten(8)

    def split(self, gcp_length: int) -> tuple[str, str]:
        """Return ``(company_prefix, indicator + item_reference)`` as in an SGTIN EPC URN.

        >>> Gtin.parse("00312345678906").split(7)
        ('0312345', '067890')
        """
        check_gcp_length(gcp_length, ai=self.AI, value=self.value)
        return self.value[1 : 1 + gcp_length], self.value[0] + self.value[1 + gcp_length : -1]

    def __str__(self) -> str:
        return self.value


__all__ = ["GTIN_LENGTHS", "Gtin"]
