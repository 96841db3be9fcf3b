"""GS1 keys for logistic units and locations: SSCC, GLN and SGLN (GS1 General Specifications §3).

* :class:`Sscc` (AI 00, §2.2.1 and §3.3.1): extension digit + GS1 Company Prefix + serial reference
  + check digit, 18 digits.
* :class:`Gln` (AI 414, §2.4 and §3.4.9): GS1 Company Prefix + location reference + check digit,
  13 digits.
* :class:`Sgln`: a GLN with the optional extension component of AI 254 (set 82, 1 to 20
  characters). As in the EPC Tag Data Standard §6.3.3, the extension ``"0"`` means "no extension".

This module also holds the shared checks for fixed-length numeric keys with a mod-10 check digit
(§7.9.1) and for the GS1 Company Prefix length that an EPC URN needs (EPC TDS §6, 6 to 12 digits).

>>> Sscc.parse("106141411234567897").split(7)
('0614141', '1123456789')
>>> Gln.parse("0614141000005").split(7)
('0614141', '00000')
>>> str(Sgln(Gln.parse("0614141000005"), "12"))
'0614141000005.12'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from medtrace.gs1.charset import check_charset, is_digits
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import CharacterSetError, CheckDigitError, CompanyPrefixError, LengthError

MIN_GCP_LENGTH: Final = 6
"""Shortest GS1 Company Prefix an EPC URN can carry (EPC Tag Data Standard §6)."""
MAX_GCP_LENGTH: Final = 12
"""Longest GS1 Company Prefix an EPC URN can carry (EPC Tag Data Standard §6)."""
MAX_EXTENSION_LENGTH: Final = 20
"""Longest GLN extension component, AI 254 (GS1 General Specifications §3.4.10)."""


@lru_cache(maxsize=8192)
def check_numeric_key(value: str, length: int, *, ai: str, name: str) -> None:
    """Raise unless ``value`` is ``length`` digits ending in a correct mod-10 check digit.

    Digits are checked first (:class:`CharacterSetError`), then the length (:class:`LengthError`),
    then the check digit (:class:`CheckDigitError`, GS1 General Specifications §7.9.1).
    Memoised: the same GTINs and GLNs are checked again and again (a verification request
    checks its GTIN and the requester's GLN); a key that fails raises and is not remembered.
    """
    if not is_digits(value):
        check_charset(value, "N", ai=ai, what=name)
        raise CharacterSetError(f"{name} is empty, expected {length} digits", ai=ai, value=value)
    if len(value) != length:
        raise LengthError(f"{name} has {len(value)} digits, expected {length}", ai=ai, value=value)
    expected = mod10(value[:-1])
    if value[-1] != expected:
        raise CheckDigitError(
            f"check digit {value[-1]} is wrong, expected {expected}", ai=ai, value=value
        )


def check_gcp_length(gcp_length: int, *, ai: str, value: str) -> None:
    """Raise :class:`CompanyPrefixError` unless ``gcp_length`` is 6 to 12 (EPC TDS §6)."""
    if not MIN_GCP_LENGTH <= gcp_length <= MAX_GCP_LENGTH:
        raise CompanyPrefixError(
            f"GS1 Company Prefix length {gcp_length} is not possible, "
            f"expected {MIN_GCP_LENGTH} to {MAX_GCP_LENGTH}",
            ai=ai,
            value=value,
        )


def key_from_parts(company_prefix: str, rest: str, *, body_length: int, ai: str, name: str) -> str:
    """Join a GS1 Company Prefix and the remaining digits and append the mod-10 check digit.

    ``body_length`` is the key length without its check digit; the caller orders the parts.
    ``rest`` may be empty when the prefix fills the key (a GLN with a 12-digit prefix).
    """
    joined = company_prefix + rest
    if not is_digits(company_prefix):
        check_charset(company_prefix, "N", ai=ai, what="GS1 Company Prefix")
    check_gcp_length(len(company_prefix), ai=ai, value=joined)
    check_charset(rest, "N", ai=ai, what=name)
    if len(joined) != body_length:
        raise LengthError(
            f"GS1 Company Prefix and {name} have {len(joined)} digits together, "
            f"expected {body_length}",
            ai=ai,
            value=joined,
        )
    return joined


@dataclass(frozen=True, slots=True)
class Sscc:
    """Serial Shipping Container Code, AI (00): 18 digits (GS1 General Specifications §3.3.1).

    >>> sscc = Sscc.parse("106141411234567897")
    >>> sscc.extension_digit, str(sscc)
    ('1', '106141411234567897')
    """

    value: str

    AI = "00"
    LENGTH = 18

    def __post_init__(self) -> None:
        check_numeric_key(self.value, self.LENGTH, ai=self.AI, name="SSCC")

    @classmethod
    def parse(cls, text: str) -> Sscc:
        """Parse the 18 digits of an SSCC, check digit included."""
        return cls(text)

    @classmethod
    def from_parts(cls, company_prefix: str, serial_reference_with_extension: str) -> Sscc:
        """Build an SSCC from EPC URN parts (EPC TDS §6.3.2) and compute its check digit.

        ``serial_reference_with_extension`` starts with the extension digit; the two parts have
        17 digits together.

        >>> str(Sscc.from_parts("0614141", "1123456789"))
        '106141411234567897'
        """
        rest = serial_reference_with_extension
        key_from_parts(
            company_prefix, rest, body_length=cls.LENGTH - 1, ai=cls.AI, name="serial reference"
        )
        body = rest[:1] + company_prefix + rest[1:]
        return cls(body + mod10(body))

    @property
    def extension_digit(self) -> str:
        """The first digit, chosen freely by the company that assigns the SSCC."""
        return self.value[0]

    @property
    def check_digit(self) -> str:
        """The mod-10 check digit (last digit)."""
        return self.value[-1]

    def split(self, gcp_length: int) -> tuple[str, str]:
        """Return ``(company_prefix, extension digit + serial reference)`` as in an EPC URN."""
        check_gcp_length(gcp_length, ai=self.AI, value=self.value)
        return self.value[1 : 1 + gcp_length], self.value[0] + self.value[1 + gcp_length : -1]

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Gln:
    """Global Location Number, AI (414): 13 digits (GS1 General Specifications §3.4.9).

    >>> Gln.parse("0614141000005").check_digit
    '5'
    """

    value: str

    AI = "414"
    LENGTH = 13

    def __post_init__(self) -> None:
        check_numeric_key(self.value, self.LENGTH, ai=self.AI, name="GLN")

    @classmethod
    def parse(cls, text: str) -> Gln:
        """Parse the 13 digits of a GLN, check digit included."""
        return cls(text)

    @classmethod
    def from_parts(cls, company_prefix: str, location_reference: str) -> Gln:
        """Build a GLN from a GS1 Company Prefix and location reference (12 digits together).

        >>> str(Gln.from_parts("0614141", "00000"))
        '0614141000005'
        """
        body = key_from_parts(
            company_prefix,
            location_reference,
            body_length=cls.LENGTH - 1,
            ai=cls.AI,
            name="location reference",
        )
        return cls(body + mod10(body))

    @property
    def check_digit(self) -> str:
        """The mod-10 check digit (last digit)."""
        return self.value[-1]

    def split(self, gcp_length: int) -> tuple[str, str]:
        """Return ``(company_prefix, location_reference)`` as in an SGLN EPC URN."""
        check_gcp_length(gcp_length, ai=self.AI, value=self.value)
        return self.value[:gcp_length], self.value[gcp_length:-1]

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Sgln:
    """A GLN with the extension component of AI (254) (GS1 General Specifications §3.4.10).

    ``extension`` is 1 to 20 characters of set 82; ``"0"`` (the default) means no extension, as in
    the SGLN EPC URN (EPC TDS §6.3.3). The text form used by :meth:`parse` and ``str`` is the GLN,
    followed by ``"."`` and the extension when there is one.

    >>> Sgln.parse("0614141000005.A-1").extension
    'A-1'
    >>> Sgln.parse("0614141000005").has_extension
    False
    """

    gln: Gln
    extension: str = "0"

    AI = "254"
    NO_EXTENSION = "0"

    def __post_init__(self) -> None:
        if not isinstance(self.gln, Gln):
            raise TypeError(f"Sgln.gln must be a Gln, got {type(self.gln).__name__}")
        if not 1 <= len(self.extension) <= MAX_EXTENSION_LENGTH:
            raise LengthError(
                f"extension has {len(self.extension)} characters, "
                f"expected 1 to {MAX_EXTENSION_LENGTH}",
                ai=self.AI,
                value=self.extension,
            )
        check_charset(self.extension, "82", ai=self.AI, what="extension")

    @classmethod
    def parse(cls, text: str) -> Sgln:
        """Parse ``"{gln}"`` or ``"{gln}.{extension}"`` (the extension may itself hold dots)."""
        gln_text, dot, extension = text.partition(".")
        gln = Gln.parse(gln_text)
        if not dot:
            return cls(gln)
        return cls(gln, extension)

    @property
    def has_extension(self) -> bool:
        """Whether an extension other than ``"0"`` ("no extension") is present."""
        return self.extension != self.NO_EXTENSION

    def __str__(self) -> str:
        if self.has_extension:
            return f"{self.gln}.{self.extension}"
        return str(self.gln)


__all__ = [
    "MAX_EXTENSION_LENGTH",
    "MAX_GCP_LENGTH",
    "MIN_GCP_LENGTH",
    "Gln",
    "Sgln",
    "Sscc",
    "check_gcp_length",
    "check_numeric_key",
    "key_from_parts",
]
