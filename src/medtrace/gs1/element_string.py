"""GS1 element strings: parsing and formatting (GS1 General Specifications §3.2, §5.1, §7.8).

A :class:`Gs1Message` is an ordered tuple of :class:`ElementString` (AI + validated value), as
read from one GS1 carrier. :func:`parse` takes either form:

* **HRI** (human-readable interpretation, §4.15): ``(01)00312345678906(21)0012(10)A1B2``. Spaces
  around an element are ignored. Every ``(`` + 2 to 4 digits + ``)`` starts an element (an unknown
  AI there is an error, not value text, so a mistyped AI is caught), hence a value that itself
  contains such text (serial ``"A(10)B"``) cannot be read back from HRI: HRI has no escape. Use the
  raw form (or a Digital Link) for such values.
* **Raw scanner data** (§7.8.5), optionally opened by a symbology identifier (ISO/IEC 15424) that
  announces GS1 data: ``]C1`` GS1-128, ``]e0``/``]e1``/``]e2`` GS1 DataBar and composite, ``]d2``
  GS1 DataMatrix, ``]Q3`` GS1 QR Code, ``]J1`` GS1 DotCode. Other identifiers (``]d1``, plain
  DataMatrix) are rejected: their data are not AI element strings. FNC1 is transmitted as the
  ASCII group separator GS (``\\x1d``). Three visible stand-ins people paste are read as GS too:
  ``<GS>``, the control picture ``␝`` (U+241D) and the four characters ``\\x1d``. The last two
  cannot occur in a value (not in CSET 82), but ``<GS>`` can: a value holding the text ``<GS>``
  must be sent with the real GS character. Leading and trailing separators are ignored, and so
  is a trailing CR/LF that keyboard-wedge scanners append (neither is in CSET 82).

How element strings are delimited (§7.8.5): after an AI of pre-defined length (the ``*`` AIs:
00-04, 11-20, 31-36, 41) the value has exactly that length and needs no separator; every other
value (including fixed-length ones such as 7003) runs to the next GS or the end. A missing
separator after a variable-length value is detected only when the run exceeds the AI's maximum
length (``21`` takes at most 20 characters); ``21ABC10LOT`` is a valid serial ``ABC10LOT`` and
cannot be told from a serial ``ABC`` followed by lot ``LOT`` — that is why encoders must put GS.

Decisions:

* The same AI twice with the same value is read once (some printers repeat AIs); twice with
  different values is an error. A :class:`Gs1Message` never holds the same AI twice.
* ``symbology`` is kept as information and takes no part in equality: the same elements read from
  a DataMatrix and from a GS1-128 are the same message.
* :func:`format_raw` keeps the given element order unless ``reorder=True``, which moves the
  pre-defined-length AIs to the front (stable) so that fewer separators are needed.

>>> msg = parse("]d20100312345678906210012\\x1d10A1B2\\x1d17260500")
>>> format_hri(msg)
'(01)00312345678906(21)0012(10)A1B2(17)260500'
>>> msg.get("21"), msg.symbology
('0012', ']d2')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from medtrace.gs1.ai import AiSpec, lookup, match_prefix, validate
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.errors import Gs1Error, Gs1SyntaxError, LengthError, UnknownAiError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Sscc
from medtrace.gs1.product import ProductIdentifier, Sgtin

GS: Final = "\x1d"
"""ASCII group separator: how scanners transmit FNC1 used as a separator (§7.8.5)."""

GS1_SYMBOLOGY_IDENTIFIERS: Final = frozenset({"]C1", "]e0", "]e1", "]e2", "]d2", "]Q3", "]J1"})
"""Symbology identifiers (ISO/IEC 15424) that announce GS1 element strings (§5.1.2, §5.4)."""

_GS_STAND_INS: Final = ("<GS>", "\u241d", "\\x1d")
_HRI_AI: Final = re.compile(r"\((\d{2,4})\)")
_SYMBOLOGY_LENGTH: Final = 3


#: :func:`medtrace.gs1.ai.validate` remembering the values that passed: scanners and partners
#: send the same GTINs, lots and dates again and again (an error is never remembered).
_validate: Final = lru_cache(maxsize=16_384)(validate)


@dataclass(frozen=True, slots=True)
class ElementString:
    """One AI and its value, valid once built (the value passes :func:`medtrace.gs1.ai.validate`).

    >>> ElementString.of("21", "0012")
    ElementString(ai='21', value='0012')
    """

    ai: str
    value: str
    spec: AiSpec = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.spec.ai != self.ai:
            raise ValueError(f"spec of AI ({self.spec.ai}) given for AI ({self.ai})")
        _validate(self.ai, self.value)

    @classmethod
    def of(cls, ai: str, value: str) -> ElementString:
        """The element string of ``ai`` (looked up in the AI table) and ``value``."""
        return cls(ai, value, lookup(ai))

    def hri(self) -> str:
        """The human-readable form ``(AI)value``."""
        return f"({self.ai}){self.value}"

    def __str__(self) -> str:
        return self.hri()


@dataclass(frozen=True, slots=True)
class Gs1Message:
    """The element strings of one GS1 carrier, in order, each AI at most once.

    >>> m = Gs1Message.of(("01", "00312345678906"), ("21", "0012"))
    >>> str(m.sgtin())
    '(01)00312345678906(21)0012'
    """

    elements: tuple[ElementString, ...]
    symbology: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.elements:
            raise Gs1SyntaxError("a GS1 message needs at least one element string")
        seen: dict[str, str] = {}
        for element in self.elements:
            if element.ai in seen:
                raise Gs1SyntaxError(
                    f"appears twice (values {seen[element.ai]!r} and {element.value!r}), "
                    "expected each AI at most once",
                    ai=element.ai,
                    value=element.value,
                )
            seen[element.ai] = element.value
        if self.symbology is not None and self.symbology not in GS1_SYMBOLOGY_IDENTIFIERS:
            raise Gs1SyntaxError(
                f"symbology identifier {self.symbology!r} does not announce GS1 data, "
                f"expected one of {', '.join(sorted(GS1_SYMBOLOGY_IDENTIFIERS))}"
            )

    @classmethod
    def of(cls, *pairs: tuple[str, str], symbology: str | None = None) -> Gs1Message:
        """Build a message from ``(ai, value)`` pairs."""
        return cls(tuple(ElementString.of(ai, value) for ai, value in pairs), symbology)

    def __iter__(self) -> Iterator[ElementString]:
        return iter(self.elements)

    def __len__(self) -> int:
        return len(self.elements)

    def get(self, ai: str) -> str | None:
        """The value of ``ai``, or ``None`` when the message does not hold it."""
        for element in self.elements:
            if element.ai == ai:
                return element.value
        return None

    def as_dict(self) -> dict[str, str]:
        """AI → value, in message order."""
        return {element.ai: element.value for element in self.elements}

    def _require(self, *ais: str, purpose: str) -> list[str]:
        missing = [ai for ai in ais if self.get(ai) is None]
        if missing:
            names = ", ".join(f"({ai}) {lookup(ai).data_title}" for ai in missing)
            raise Gs1Error(f"message {format_hri(self)} lacks AI {names}, needed for {purpose}")
        return [self.get(ai) or "" for ai in ais]

    def gtin(self) -> Gtin:
        """The GTIN of AI (01)."""
        (gtin,) = self._require("01", purpose="a GTIN")
        return Gtin(gtin)

    def sscc(self) -> Sscc:
        """The SSCC of AI (00)."""
        (sscc,) = self._require("00", purpose="an SSCC")
        return Sscc(sscc)

    def sgtin(self) -> Sgtin:
        """The serialised GTIN of AIs (01) and (21)."""
        gtin, serial = self._require("01", "21", purpose="an SGTIN")
        return Sgtin(Gtin(gtin), serial)

    def product_identifier(self) -> ProductIdentifier:
        """The DSCSA product identifier of AIs (01), (21), (10) and (17)."""
        gtin, serial, lot, expiry = self._require(
            "01", "21", "10", "17", purpose="a product identifier"
        )
        return ProductIdentifier(Gtin(gtin), serial, lot, Gs1Date.parse(expiry))


def parse(text: str) -> Gs1Message:
    """Parse HRI or raw scanner data into a :class:`Gs1Message` (see the module docstring).

    >>> parse("(01)00312345678906(17)260500").get("17")
    '260500'
    >>> parse("]d2010031234567890521A")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.CheckDigitError: AI (01) 00312345678905: check digit 5 is wrong, expected 6
    """
    symbology: str | None = None
    data = text.rstrip("\r\n")
    if data.startswith("]"):
        symbology = data[:_SYMBOLOGY_LENGTH]
        if symbology not in GS1_SYMBOLOGY_IDENTIFIERS:
            raise Gs1SyntaxError(
                f"symbology identifier {symbology!r} does not announce GS1 data, "
                f"expected one of {', '.join(sorted(GS1_SYMBOLOGY_IDENTIFIERS))}"
            )
        data = data[_SYMBOLOGY_LENGTH:]
    pairs = _parse_hri(data) if data.lstrip().startswith("(") else _parse_raw(data)
    return Gs1Message(_deduplicate(pairs), symbology)


def _deduplicate(pairs: Iterable[tuple[str, str]]) -> tuple[ElementString, ...]:
    seen: dict[str, str] = {}
    elements = []
    for ai, value in pairs:
        if ai in seen:
            if seen[ai] != value:
                raise Gs1SyntaxError(
                    f"appears twice with different values {seen[ai]!r} and {value!r}, "
                    "expected one value per AI",
                    ai=ai,
                    value=value,
                )
            continue
        seen[ai] = value
        elements.append(ElementString.of(ai, value))
    if not elements:
        raise Gs1SyntaxError("no element strings found, expected at least one AI and value")
    return tuple(elements)


def _parse_hri(data: str) -> list[tuple[str, str]]:
    starts = list(_HRI_AI.finditer(data))
    if not starts or data[: starts[0].start()].strip():  # e.g. "(x)(01)..."
        raise Gs1SyntaxError(f"HRI {data!r} must start with '(AI)', expected e.g. '(01)...'")
    pairs = []
    for index, match in enumerate(starts):
        lookup(match.group(1))
        end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
        pairs.append((match.group(1), data[match.end() : end].strip()))
    return pairs


def _parse_raw(data: str) -> list[tuple[str, str]]:
    for stand_in in _GS_STAND_INS:
        data = data.replace(stand_in, GS)
    pairs = []
    position = 0
    size = len(data)
    while position < size:
        if data[position] == GS:
            position += 1
            continue
        try:
            spec = match_prefix(data[position:])
        except UnknownAiError as error:
            raise UnknownAiError(f"at position {position}: {error.reason}") from error
        start = position + len(spec.ai)
        if spec.fnc1_required:
            end = data.find(GS, start)
            end = size if end < 0 else end
            value = data[start:end]
            if len(value) > spec.max_length:
                raise LengthError(
                    f"value runs {len(value)} characters to the next separator, expected at most "
                    f"{spec.max_length}: is a GS separator missing after this field?",
                    ai=spec.ai,
                    value=value,
                )
        else:
            length = spec.fixed_length or spec.max_length
            end = start + length
            value = data[start:end]
            if len(value) < length or GS in value:
                value = value.split(GS, 1)[0]
                raise LengthError(
                    f"value is cut short after {len(value)} digits, expected {length}",
                    ai=spec.ai,
                    value=value,
                )
        pairs.append((spec.ai, value))
        position = end
    return pairs


def format_hri(message: Gs1Message) -> str:
    """The HRI form ``(01)...(21)...`` in message order."""
    return "".join(element.hri() for element in message.elements)


def format_raw(
    message: Gs1Message,
    *,
    symbology: str | None = "]d2",
    separator: str = GS,
    reorder: bool = False,
) -> str:
    """The raw form as a scanner transmits it (§7.8.5).

    A ``separator`` follows each value of an AI that needs FNC1, unless it is the last element.
    ``reorder=True`` moves pre-defined-length AIs first.

    >>> m = parse("(21)0012(01)00312345678906")
    >>> format_raw(m, symbology=None, separator="<GS>")
    '210012<GS>0100312345678906'
    >>> format_raw(m, symbology=None, separator="<GS>", reorder=True)
    '0100312345678906210012'
    """
    if symbology is not None and symbology not in GS1_SYMBOLOGY_IDENTIFIERS:
        raise Gs1SyntaxError(
            f"symbology identifier {symbology!r} does not announce GS1 data, "
            f"expected one of {', '.join(sorted(GS1_SYMBOLOGY_IDENTIFIERS))}"
        )
    elements = list(message.elements)
    if reorder:
        elements.sort(key=lambda element: element.spec.fnc1_required)
    parts = [symbology or ""]
    for index, element in enumerate(elements):
        parts.append(element.ai + element.value)
        if element.spec.fnc1_required and index < len(elements) - 1:
            parts.append(separator)
    return "".join(parts)


__all__ = [
    "GS",
    "GS1_SYMBOLOGY_IDENTIFIERS",
    "ElementString",
    "Gs1Message",
    "format_hri",
    "format_raw",
    "parse",
]
