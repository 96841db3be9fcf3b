"""The US National Drug Code (21 CFR §207.33) and its GTIN form (GS1 US DSCSA Guideline §3).

An NDC is 10 digits in three segments, labeler-product-package, in one of three configurations:
``4-4-2``, ``5-3-2`` or ``5-4-1``. The digits alone do not say which: ``0002143380`` may be
``0002-1433-80``, ``00021-433-80`` or ``00021-4338-0``. HIPAA billing (the "11-digit NDC") pads
the short segment with a leading zero into ``5-4-2``; the padded zero tells the configuration back.

A US pharmaceutical GTIN embeds the 10 NDC digits: GTIN-12 (UPC-A) with number system ``3`` gives
the GTIN-14 ``"0" + "03" + NDC10 + check digit``. Case and pallet GTINs change only the indicator
digit (the first digit, ``1`` to ``8``), so :meth:`Ndc.from_gtin` reads digits 4 to 13 of any
GTIN-14 whose digits 2-3 are ``"03"`` and whose indicator digit is ``0`` to ``8`` (``9``, a
variable-measure item, is refused).

>>> ndc = Ndc.parse("0002-1433-80")
>>> ndc.format, ndc.to_hipaa11(), str(ndc.to_gtin())
('4-4-2', '00002143380', '00300021433802')
>>> [str(n) for n in Ndc.candidates("0002143380")]
['0002-1433-80', '00021-433-80', '00021-4338-0']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from medtrace.gs1.charset import check_charset, is_digits
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.errors import AmbiguousError, Gs1Error, Gs1SyntaxError, LengthError
from medtrace.gs1.gtin import Gtin

FORMATS: Final[dict[str, tuple[int, int, int]]] = {
    "4-4-2": (4, 4, 2),
    "5-3-2": (5, 3, 2),
    "5-4-1": (5, 4, 1),
}
"""The three NDC configurations and their segment lengths (labeler, product, package)."""

HIPAA_LENGTHS: Final = (5, 4, 2)
"""Segment lengths of the 11-digit HIPAA form."""

NDC_LENGTH: Final = 10
HIPAA_LENGTH: Final = 11
_SEGMENTS: Final = 3
_GTIN_PREFIX: Final = "003"
"""Digits 2-3 of an NDC-based GTIN-14 are ``03``: UPC-A number system 3 padded to 13 digits."""
_MAX_NDC_INDICATOR: Final = "8"


def _check_format(format: str) -> tuple[int, int, int]:  # noqa: A002 - the domain's word
    try:
        return FORMATS[format]
    except KeyError:
        raise Gs1Error(
            f"NDC format {format!r} is not known, expected one of {', '.join(FORMATS)}",
            value=format,
        ) from None


def _check_digits(text: str, *, what: str = "NDC") -> None:
    if not is_digits(text):
        check_charset(text, "N", what=what)
        raise LengthError(f"{what} {text!r} is empty, expected digits", value=text)


@dataclass(frozen=True, slots=True)
class Ndc:
    """A 10-digit National Drug Code in one of the configurations 4-4-2, 5-3-2 or 5-4-1.

    >>> Ndc("50242", "040", "62").to_hipaa11_hyphenated()
    '50242-0040-62'
    """

    labeler: str
    product: str
    package: str

    def __post_init__(self) -> None:
        text = f"{self.labeler}-{self.product}-{self.package}"
        for segment in (self.labeler, self.product, self.package):
            _check_digits(segment, what=f"NDC {text!r} segment")
        lengths = (len(self.labeler), len(self.product), len(self.package))
        if lengths not in FORMATS.values():
            raise LengthError(
                f"NDC {text!r} has segments of {lengths[0]}-{lengths[1]}-{lengths[2]} digits, "
                f"expected one of {', '.join(FORMATS)}",
                value=text,
            )

    @classmethod
    def parse(cls, text: str, *, format: str | None = None) -> Ndc:  # noqa: A002
        """Parse a hyphenated NDC, 10 digits with ``format=``, or the 11-digit HIPAA form.

        A hyphenated NDC carries its configuration; so does the 11-digit form (hyphenated or
        not) through its padded zero. Ten bare digits raise :class:`AmbiguousError` listing the
        three readings unless ``format`` says which one is meant.

        >>> str(Ndc.parse("00002143380"))
        '0002-1433-80'
        >>> str(Ndc.parse("0002143380", format="5-4-1"))
        '00021-4338-0'
        """
        if format is not None:
            _check_format(format)
        if "-" in text:
            parts = text.split("-")
            if len(parts) != _SEGMENTS:
                raise Gs1SyntaxError(
                    f"NDC {text!r} has {len(parts)} segments, expected 3 (labeler-product-package)",
                    value=text,
                )
            for part in parts:
                _check_digits(part, what=f"NDC {text!r} segment")
            lengths = (len(parts[0]), len(parts[1]), len(parts[2]))
            if lengths == HIPAA_LENGTHS:
                return cls._from_hipaa("".join(parts), text, format)
            ndc = cls(parts[0], parts[1], parts[2])
            if format is not None and ndc.format != format:
                raise Gs1Error(
                    f"NDC {text!r} is in format {ndc.format}, expected {format}", value=text
                )
            return ndc
        _check_digits(text)
        if len(text) == HIPAA_LENGTH:
            return cls._from_hipaa(text, text, format)
        if len(text) != NDC_LENGTH:
            raise LengthError(
                f"NDC {text!r} has {len(text)} digits, expected 10, 11 (HIPAA) or hyphens",
                value=text,
            )
        if format is None:
            candidates = cls.candidates(text)
            raise AmbiguousError(
                f"NDC {text!r} without hyphens is ambiguous, could be "
                f"{', '.join(str(c) for c in candidates)}; give format=",
                candidates=candidates,
                value=text,
            )
        return cls._split(text, format)

    @classmethod
    def _split(cls, digits10: str, format: str) -> Ndc:  # noqa: A002
        first, second, _ = _check_format(format)
        return cls(digits10[:first], digits10[first : first + second], digits10[first + second :])

    @classmethod
    def _from_hipaa(cls, digits11: str, text: str, format: str | None) -> Ndc:  # noqa: A002
        labeler, product, package = digits11[:5], digits11[5:9], digits11[9:]
        readings: list[Ndc] = []
        if labeler.startswith("0"):
            readings.append(cls(labeler[1:], product, package))
        if product.startswith("0"):
            readings.append(cls(labeler, product[1:], package))
        if package.startswith("0"):
            readings.append(cls(labeler, product, package[1:]))
        if format is not None:
            readings = [ndc for ndc in readings if ndc.format == format]
            if not readings:
                raise Gs1Error(
                    f"11-digit NDC {text!r} cannot be format {format}, "
                    "expected a padding zero at the start of its short segment",
                    value=text,
                )
        if not readings:
            raise Gs1SyntaxError(
                f"11-digit NDC {text!r} has no padding zero, expected one segment of "
                "5-4-2 to start with 0",
                value=text,
            )
        if len(readings) > 1:
            raise AmbiguousError(
                f"11-digit NDC {text!r} is ambiguous, could be "
                f"{', '.join(str(r) for r in readings)}; give format=",
                candidates=tuple(readings),
                value=text,
            )
        return readings[0]

    @classmethod
    def candidates(cls, digits10: str) -> tuple[Ndc, ...]:
        """Every reading of 10 bare NDC digits, in the order 4-4-2, 5-3-2, 5-4-1."""
        _check_digits(digits10)
        if len(digits10) != NDC_LENGTH:
            raise LengthError(
                f"NDC {digits10!r} has {len(digits10)} digits, expected 10", value=digits10
            )
        return tuple(cls._split(digits10, name) for name in FORMATS)

    @classmethod
    def from_gtin(cls, gtin: Gtin, *, format: str | None = None) -> tuple[Ndc, ...]:  # noqa: A002
        """The NDC readings of an NDC-based GTIN: one with ``format``, else all three.

        Digits 4 to 13 of the GTIN-14 are the NDC for any indicator digit 0 to 8 (see the module
        docstring); other GTINs raise :class:`Gs1Error`.

        >>> [str(n) for n in Ndc.from_gtin(Gtin.parse("10300021433809"), format="4-4-2")]
        ['0002-1433-80']
        """
        value = gtin.value
        if value[1:3] != _GTIN_PREFIX[1:] or value[0] > _MAX_NDC_INDICATOR:
            raise Gs1Error(
                "GTIN does not embed an NDC, expected indicator digit 0-8 followed by 03",
                ai=Gtin.AI,
                value=value,
            )
        digits10 = value[3:-1]
        if format is not None:
            return (cls._split(digits10, format),)
        return cls.candidates(digits10)

    @property
    def format(self) -> str:
        """The configuration: ``"4-4-2"``, ``"5-3-2"`` or ``"5-4-1"``."""
        return f"{len(self.labeler)}-{len(self.product)}-{len(self.package)}"

    @property
    def digits(self) -> str:
        """The 10 digits without hyphens."""
        return self.labeler + self.product + self.package

    def to_hipaa11(self) -> str:
        """The 11-digit HIPAA form 5-4-2 without hyphens (short segment padded with a zero)."""
        return "".join(self._hipaa_segments())

    def to_hipaa11_hyphenated(self) -> str:
        """The 11-digit HIPAA form with hyphens, e.g. ``00002-1433-80``."""
        return "-".join(self._hipaa_segments())

    def _hipaa_segments(self) -> tuple[str, str, str]:
        return self.labeler.zfill(5), self.product.zfill(4), self.package.zfill(2)

    def to_gtin(self) -> Gtin:
        """The unit-level GTIN-14: ``0`` + ``03`` + the 10 NDC digits + check digit."""
        body = _GTIN_PREFIX + self.digits
        return Gtin(body + mod10(body))

    def __str__(self) -> str:
        return f"{self.labeler}-{self.product}-{self.package}"


__all__ = ["FORMATS", "HIPAA_LENGTH", "HIPAA_LENGTHS", "NDC_LENGTH", "Ndc"]
