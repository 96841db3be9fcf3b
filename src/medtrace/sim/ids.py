"""Identifiers of the simulated world: serial numbers, SSCCs, GLNs and their EPC URNs.

Every identifier is checked with :mod:`medtrace.gs1` when its scheme is set up (GLN and SSCC
check digits, GTIN parts of the SGTIN URN, the serial character set), and then produced by cheap
string formatting, so that millions of packs stay fast (EPC Tag Data Standard 2.1 §6.3).

Serials are strings (GS1 General Specifications §3.4, AI 21). A product's serials are a
permutation of its counter: ``serial(n) = (n * multiplier + offset) mod 10**12`` (numeric, with
leading zeros kept) or the same in base 36 (alphanumeric), with the multiplier coprime to the
modulus, so every counter value gives a different, random-looking serial. Counterfeit serials
are taken from counter values far beyond anything the simulation commissions, so they can never
coincide with a real one.

>>> scheme = SerialScheme(style="numeric", multiplier=7, offset=3)
>>> scheme.serial(0), scheme.serial(1)
('000000000003', '000000000010')
>>> gln_of("0614141", "00000"), sgln_urn("0614141", "00000", "COLD")
('0614141000005', 'urn:epc:id:sgln:0614141.00000.COLD')
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from medtrace.gs1.epc import SgtinUrn, SsccUrn
from medtrace.gs1.keys import Gln, Sgln, Sscc

__all__ = [
    "COUNTERFEIT_BASE",
    "SerialScheme",
    "SerialStyle",
    "SsccSource",
    "check_sgtin_parts",
    "gln_of",
    "new_scheme",
    "sgln_urn",
]

SerialStyle: TypeAlias = Literal["numeric", "alnum"]

_ALNUM: Final = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
_NUMERIC_MOD: Final = 10**12
_ALNUM_WIDTH: Final = 10
_ALNUM_MOD: Final = len(_ALNUM) ** _ALNUM_WIDTH

COUNTERFEIT_BASE: Final = 10**11
"""Counter values at and above this are never commissioned: counterfeits are drawn from here."""


@dataclass(frozen=True, slots=True)
class SerialScheme:
    """A serial-number permutation of one GTIN (see the module docstring)."""

    style: SerialStyle
    multiplier: int
    offset: int

    def serial(self, n: int) -> str:
        """The serial of counter value ``n``."""
        if self.style == "numeric":
            return f"{(n * self.multiplier + self.offset) % _NUMERIC_MOD:012d}"
        value = (n * self.multiplier + self.offset) % _ALNUM_MOD
        out = []
        for _ in range(_ALNUM_WIDTH):
            value, rest = divmod(value, len(_ALNUM))
            out.append(_ALNUM[rest])
        return "".join(reversed(out))


def new_scheme(rng: random.Random, style: SerialStyle) -> SerialScheme:
    """A random permutation: a multiplier coprime to the modulus and an offset."""
    modulus, factors = (_NUMERIC_MOD, (2, 5)) if style == "numeric" else (_ALNUM_MOD, (2, 17))
    while True:
        multiplier = rng.randrange(modulus // 7, modulus)
        if all(multiplier % f for f in factors):
            return SerialScheme(style=style, multiplier=multiplier, offset=rng.randrange(modulus))


def check_sgtin_parts(company_prefix: str, item_reference: str, scheme: SerialScheme) -> None:
    """Raise a :class:`~medtrace.gs1.errors.Gs1Error` unless the parts make valid SGTIN URNs."""
    SgtinUrn(company_prefix, item_reference, scheme.serial(0))


def gln_of(company_prefix: str, location_reference: str) -> str:
    """The 13-digit GLN (check digit computed and verified, GS1 General Specifications §3.4.9)."""
    return Gln.from_parts(company_prefix, location_reference).value


def sgln_urn(company_prefix: str, location_reference: str, extension: str = "0") -> str:
    """``urn:epc:id:sgln:CP.LOCREF.EXT`` (EPC TDS §6.3.3); ``"0"`` means no extension."""
    Sgln(Gln.from_parts(company_prefix, location_reference), extension)
    return f"urn:epc:id:sgln:{company_prefix}.{location_reference}.{extension}"


@dataclass(slots=True)
class SsccSource:
    """Consecutive SSCCs of one company (GS1 General Specifications §3.3.1), as EPC URNs."""

    company_prefix: str
    extension_digit: str
    next_reference: int = 0

    def __post_init__(self) -> None:
        # The first and the last SSCC of the range must be valid keys.
        width = 16 - len(self.company_prefix)
        for reference in (0, 10**width - 1):
            rest = self.extension_digit + f"{reference:0{width}d}"
            SsccUrn.from_key(
                Sscc.from_parts(self.company_prefix, rest), gcp_length=len(self.company_prefix)
            )

    def next(self) -> str:
        """The next SSCC URN ``urn:epc:id:sscc:CP.EXT+SERIALREF``."""
        width = 16 - len(self.company_prefix)
        reference = f"{self.next_reference:0{width}d}"
        self.next_reference += 1
        return f"urn:epc:id:sscc:{self.company_prefix}.{self.extension_digit}{reference}"
