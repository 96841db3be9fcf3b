"""EPC Pure Identity, EPC Class and EPC Pattern URIs (GS1 EPC Tag Data Standard 2.1 §6, §8).

Every EPC URI is ``urn:epc:{id|class|idpat}:{scheme}:{fields separated by "."}``. Numeric fields
keep their leading zeros (TDS §6.3 "PaddedNumericComponent"); the GS1 Company Prefix is 6 to 12
digits, and the URN carries no check digit: it is recomputed when the GS1 key is rebuilt.

* ``urn:epc:id:sgtin:CP.IR.S`` (TDS §6.3.1): CP + IR (indicator digit + item reference) = 13 digits.
* ``urn:epc:id:sscc:CP.SR`` (§6.3.2): CP + SR (extension digit + serial reference) = 17 digits.
* ``urn:epc:id:sgln:CP.LR.EXT`` (§6.3.3): CP + LR = 12 digits (LR empty for a 12-digit CP); the
  extension ``0`` means "no AI 254".
* ``urn:epc:id:grai:CP.AT.S`` (§6.3.4, AI 8003), ``urn:epc:id:giai:CP.IAR`` (§6.3.5, AI 8004),
  ``urn:epc:id:gsrn:CP.SR`` (§6.3.6, AI 8018), ``urn:epc:id:gdti:CP.DT.S`` (§6.3.7, AI 253).
* ``urn:epc:class:lgtin:CP.IR.LOT`` (§6.4.1): a GTIN with a batch/lot.
* ``urn:epc:idpat:{scheme}:...`` (§8): a pure identity with trailing fields replaced by ``*``.

Alphanumeric fields (serial, extension, lot, asset references) are GS1 AI encodable character
set 82 written with the escapes of TDS §5 (Table 5-1 / Appendix A): ``"`` → ``%22``, ``%`` →
``%25``, ``&`` → ``%26``, ``/`` → ``%2F``, ``<`` → ``%3C``, ``>`` → ``%3E``, ``?`` → ``%3F``. Those
seven characters must be escaped, and no other escape is allowed; the objects here hold the
unescaped value and escape it when written out (hex digits of an escape are read in either case
and written in upper case).

>>> urn = parse_epc_urn("urn:epc:id:sgtin:0614141.812345.A%2F1")
>>> urn.serial, str(urn.gtin)
('A/1', '80614141123458')
>>> str(urn)
'urn:epc:id:sgtin:0614141.812345.A%2F1'
>>> str(SgtinUrn.from_key(urn.to_key(), gcp_length=7)) == str(urn)
True
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Self

from medtrace.gs1.charset import CSET82, check_charset, is_digits
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.element_string import ElementString
from medtrace.gs1.errors import CharacterSetError, Gs1SyntaxError, LengthError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import MAX_GCP_LENGTH, MIN_GCP_LENGTH, Gln, Sgln, Sscc
from medtrace.gs1.prefix import PrefixRegistry, resolve_gcp_length
from medtrace.gs1.product import Lgtin, Sgtin
from medtrace.gs1.serial import validate_lot, validate_serial

ESCAPES: Final[dict[str, str]] = {
    '"': "%22",
    "%": "%25",
    "&": "%26",
    "/": "%2F",
    "<": "%3C",
    ">": "%3E",
    "?": "%3F",
}
"""Characters of set 82 that an EPC URI must percent-escape (TDS 2.1 §5, Table 5-1)."""

_UNESCAPES: Final = {code: char for char, code in ESCAPES.items()}
_ESCAPE_LENGTH: Final = 3
_WILDCARD: Final = "*"
_MAX_GRAI_SERIAL: Final = 16
_MAX_GIAI_LENGTH: Final = 30
_MAX_GDTI_SERIAL: Final = 17


def escape_component(value: str) -> str:
    """Write a set-82 value as a TDS §5 "GS3A3" URI component.

    >>> escape_component('a/b%"c')
    'a%2Fb%25%22c'
    """
    return "".join(ESCAPES.get(char, char) for char in value)


def unescape_component(text: str, *, what: str = "component") -> str:
    """Read a TDS §5 "GS3A3" URI component back into its set-82 value.

    Raises :class:`Gs1SyntaxError` for an escape other than the seven of :data:`ESCAPES` and
    :class:`CharacterSetError` for a character outside set 82 or one that must be escaped.

    >>> unescape_component("A%2f1%25")
    'A/1%'
    >>> unescape_component("A/1", what="serial")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.CharacterSetError: serial 'A/1' has character '/' at position 2 \
that must be written as %2F in an EPC URI (EPC TDS §5)
    """
    out: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "%":
            code = text[position : position + _ESCAPE_LENGTH].upper()
            if code not in _UNESCAPES:
                raise Gs1SyntaxError(
                    f"{what} {text!r} has escape {text[position : position + _ESCAPE_LENGTH]!r} "
                    f"at position {position + 1}, expected one of {', '.join(_UNESCAPES)} "
                    "(EPC TDS §5)",
                    value=text,
                )
            out.append(_UNESCAPES[code])
            position += _ESCAPE_LENGTH
            continue
        if char in ESCAPES:
            raise CharacterSetError(
                f"{what} {text!r} has character {char!r} at position {position + 1} that must "
                f"be written as {ESCAPES[char]} in an EPC URI (EPC TDS §5)",
                value=text,
            )
        if char not in CSET82:
            check_charset(text, "82", what=what)
        out.append(char)
        position += 1
    return "".join(out)


def _check_digits(value: str, *, what: str, urn: str) -> None:
    if not is_digits(value):
        if value:
            check_charset(value, "N", what=f"{what} of {urn}")
        raise Gs1SyntaxError(f"{what} of {urn} is empty, expected digits", value=urn)


def _check_company_prefix(company_prefix: str, *, urn: str) -> None:
    _check_digits(company_prefix, what="GS1 Company Prefix", urn=urn)
    if not MIN_GCP_LENGTH <= len(company_prefix) <= MAX_GCP_LENGTH:
        raise LengthError(
            f"GS1 Company Prefix {company_prefix} of {urn} has {len(company_prefix)} digits, "
            f"expected {MIN_GCP_LENGTH} to {MAX_GCP_LENGTH} (EPC TDS §6.3)",
            value=urn,
        )


def _check_numeric_pair(
    company_prefix: str, rest: str, *, total: int, what: str, urn: str, allow_empty: bool = False
) -> None:
    _check_company_prefix(company_prefix, urn=urn)
    if rest or not allow_empty:
        _check_digits(rest, what=what, urn=urn)
    if len(company_prefix) + len(rest) != total:
        raise LengthError(
            f"GS1 Company Prefix {company_prefix} and {what} {rest!r} of {urn} have "
            f"{len(company_prefix) + len(rest)} digits together, expected {total} (EPC TDS §6.3)",
            value=urn,
        )


class EpcUri(abc.ABC):
    """Common behaviour of the EPC URIs: field layout, writing and reading (EPC TDS §6)."""

    __slots__ = ()

    company_prefix: str
    """The GS1 Company Prefix (first field of every scheme)."""

    KIND: ClassVar[str] = "id"
    """``id`` for a pure identity (§6.3), ``class`` for an EPC class (§6.4)."""
    SCHEME: ClassVar[str]
    FIELD_NAMES: ClassVar[tuple[str, ...]]
    ESCAPED: ClassVar[tuple[bool, ...]]
    """Which fields are set-82 text written with TDS §5 escapes (the others are digits)."""
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]]
    """Stand-ins for the fields after the GS1 Company Prefix, to validate a pattern's known part."""

    @abc.abstractmethod
    def fields(self) -> tuple[str, ...]:
        """The unescaped field values, in URI order."""

    @abc.abstractmethod
    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        """The GS1 element strings (AI, value) this URI stands for, check digits recomputed."""

    @classmethod
    def prefix(cls) -> str:
        """The URI prefix up to and including the scheme, e.g. ``urn:epc:id:sgtin:``."""
        return f"urn:epc:{cls.KIND}:{cls.SCHEME}:"

    @classmethod
    def split_body(cls, text: str) -> list[str]:
        """Split ``text`` (a whole URI of this class's kind and scheme) into its raw fields.

        Only the last field may contain ``.`` (it is the only set-82 field of every scheme).
        """
        if not text.startswith(cls.prefix()):
            raise Gs1SyntaxError(
                f"{text!r} is not an EPC URI of scheme {cls.SCHEME}, expected it to start "
                f"with {cls.prefix()!r}",
                value=text,
            )
        parts = text[len(cls.prefix()) :].split(".", len(cls.FIELD_NAMES) - 1)
        if len(parts) != len(cls.FIELD_NAMES):
            raise Gs1SyntaxError(
                f"{text} has {len(parts)} fields, expected {len(cls.FIELD_NAMES)} "
                f"({'.'.join(cls.FIELD_NAMES)}) separated by '.' (EPC TDS §6.3)",
                value=text,
            )
        return parts

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a URI of this scheme (escapes undone, digits and lengths checked)."""
        parts = cls.split_body(text)
        values = [
            unescape_component(part, what=f"{name} of {text}") if escaped else part
            for part, name, escaped in zip(parts, cls.FIELD_NAMES, cls.ESCAPED, strict=True)
        ]
        return cls.from_fields(values)

    @classmethod
    def from_fields(cls, values: Sequence[str]) -> Self:
        """Build from unescaped field values in URI order."""
        return cls(*values)

    def __str__(self) -> str:
        body = ".".join(
            escape_component(value) if escaped else value
            for value, escaped in zip(self.fields(), self.ESCAPED, strict=True)
        )
        return self.prefix() + body

    @property
    def uri(self) -> str:
        """The URI text (same as ``str``)."""
        return str(self)


def _fill_to(total: int) -> Callable[[str], str]:
    return lambda company_prefix: "0" * (total - len(company_prefix))


def _fill_one(_company_prefix: str) -> str:
    return "0"


class _GtinUrn(EpcUri):
    """What the GTIN-based URNs share (SGTIN, LGTIN): ``CP.IR.<serial or lot>`` (EPC TDS 2.1 §6.3.1,
    §6.4.1): 13 digits of company prefix and indicator + item reference, the GTIN recomputed."""

    __slots__ = ()

    company_prefix: str
    item_reference: str

    def _check_gtin_part(self) -> None:
        _check_numeric_pair(
            self.company_prefix,
            self.item_reference,
            total=13,
            what="indicator digit and item reference",
            urn=f"{self.prefix()}{'.'.join(self.fields())}",
        )

    @property
    def gtin(self) -> Gtin:
        """The GTIN-14 with its check digit recomputed."""
        return Gtin.from_parts(self.company_prefix, self.item_reference)


@dataclass(frozen=True, slots=True)
class SgtinUrn(_GtinUrn):
    """``urn:epc:id:sgtin:CP.IR.S``: a serialised GTIN (EPC TDS 2.1 §6.3.1).

    >>> SgtinUrn("0614141", "812345", "6789").gtin
    Gtin(value='80614141123458')
    """

    company_prefix: str
    item_reference: str
    serial: str

    SCHEME: ClassVar[str] = "sgtin"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "item reference", "serial")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(13), _fill_one)

    def __post_init__(self) -> None:
        self._check_gtin_part()
        validate_serial(self.serial)

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.item_reference, self.serial)

    def to_key(self) -> Sgtin:
        """The :class:`~medtrace.gs1.product.Sgtin` this URN names."""
        return Sgtin(self.gtin, self.serial)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        return (("01", self.gtin.value), ("21", self.serial))

    @classmethod
    def from_key(
        cls, sgtin: Sgtin, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
    ) -> SgtinUrn:
        """The URN of ``sgtin``; the GS1 Company Prefix length comes from :mod:`.prefix`."""
        length = resolve_gcp_length(sgtin.gtin, gcp_length, registry=registry)
        company_prefix, item_reference = sgtin.gtin.split(length)
        return cls(company_prefix, item_reference, sgtin.serial)


@dataclass(frozen=True, slots=True)
class LgtinUrn(_GtinUrn):
    """``urn:epc:class:lgtin:CP.IR.LOT``: a GTIN with a batch/lot (EPC TDS 2.1 §6.4.1).

    >>> str(LgtinUrn.parse("urn:epc:class:lgtin:4012345.012345.998877").to_key())
    '(01)04012345123456(10)998877'
    """

    company_prefix: str
    item_reference: str
    lot: str

    KIND: ClassVar[str] = "class"
    SCHEME: ClassVar[str] = "lgtin"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "item reference", "lot")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(13), _fill_one)

    def __post_init__(self) -> None:
        self._check_gtin_part()
        validate_lot(self.lot)

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.item_reference, self.lot)

    def to_key(self) -> Lgtin:
        """The :class:`~medtrace.gs1.product.Lgtin` this URN names."""
        return Lgtin(self.gtin, self.lot)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        return (("01", self.gtin.value), ("10", self.lot))

    @classmethod
    def from_key(
        cls, lgtin: Lgtin, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
    ) -> LgtinUrn:
        """The EPC class URN of ``lgtin``."""
        length = resolve_gcp_length(lgtin.gtin, gcp_length, registry=registry)
        company_prefix, item_reference = lgtin.gtin.split(length)
        return cls(company_prefix, item_reference, lgtin.lot)


@dataclass(frozen=True, slots=True)
class SsccUrn(EpcUri):
    """``urn:epc:id:sscc:CP.SR``: a logistic unit (EPC TDS 2.1 §6.3.2).

    >>> str(SsccUrn.parse("urn:epc:id:sscc:0614141.1234567890").to_key())
    '106141412345678908'
    """

    company_prefix: str
    serial_reference: str

    SCHEME: ClassVar[str] = "sscc"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "serial reference")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(17),)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.serial_reference}"
        _check_numeric_pair(
            self.company_prefix,
            self.serial_reference,
            total=17,
            what="extension digit and serial reference",
            urn=urn,
        )

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.serial_reference)

    def to_key(self) -> Sscc:
        """The :class:`~medtrace.gs1.keys.Sscc` with its check digit recomputed."""
        return Sscc.from_parts(self.company_prefix, self.serial_reference)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        return (("00", self.to_key().value),)

    @classmethod
    def from_key(
        cls, sscc: Sscc, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
    ) -> SsccUrn:
        """The URN of ``sscc``."""
        length = resolve_gcp_length(sscc, gcp_length, registry=registry)
        return cls(*sscc.split(length))


@dataclass(frozen=True, slots=True)
class SglnUrn(EpcUri):
    """``urn:epc:id:sgln:CP.LR.EXT``: a location, with an optional extension (EPC TDS 2.1 §6.3.3).

    >>> SglnUrn.parse("urn:epc:id:sgln:0614141.12345.400").to_key()
    Sgln(gln=Gln(value='0614141123452'), extension='400')
    """

    company_prefix: str
    location_reference: str
    extension: str = Sgln.NO_EXTENSION

    SCHEME: ClassVar[str] = "sgln"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = (
        "GS1 Company Prefix",
        "location reference",
        "extension",
    )
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(12), _fill_one)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.location_reference}.{self.extension}"
        _check_numeric_pair(
            self.company_prefix,
            self.location_reference,
            total=12,
            what="location reference",
            urn=urn,
            allow_empty=True,
        )
        Sgln(self.gln, self.extension)

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.location_reference, self.extension)

    @property
    def gln(self) -> Gln:
        """The GLN with its check digit recomputed."""
        body = self.company_prefix + self.location_reference
        return Gln(body + mod10(body))

    def to_key(self) -> Sgln:
        """The :class:`~medtrace.gs1.keys.Sgln` (extension ``"0"`` means none)."""
        return Sgln(self.gln, self.extension)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        if self.extension == Sgln.NO_EXTENSION:
            return (("414", self.gln.value),)
        return (("414", self.gln.value), ("254", self.extension))

    @classmethod
    def from_key(
        cls,
        key: Sgln | Gln,
        *,
        gcp_length: int | None = None,
        registry: PrefixRegistry | None = None,
    ) -> SglnUrn:
        """The URN of a GLN (extension ``0``) or an SGLN."""
        sgln = key if isinstance(key, Sgln) else Sgln(key)
        length = resolve_gcp_length(sgln, gcp_length, registry=registry)
        company_prefix, location_reference = sgln.gln.split(length)
        return cls(company_prefix, location_reference, sgln.extension)


@dataclass(frozen=True, slots=True)
class GraiUrn(EpcUri):
    """``urn:epc:id:grai:CP.AT.S``: a returnable asset, AI (8003) (EPC TDS 2.1 §6.3.4).

    >>> GraiUrn.parse("urn:epc:id:grai:0614141.12345.400").element_pairs()
    (('8003', '00614141123452400'),)
    """

    company_prefix: str
    asset_type: str
    serial: str

    SCHEME: ClassVar[str] = "grai"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "asset type", "serial")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(12), _fill_one)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.asset_type}.{self.serial}"
        _check_numeric_pair(
            self.company_prefix,
            self.asset_type,
            total=12,
            what="asset type",
            urn=urn,
            allow_empty=True,
        )
        _check_text(self.serial, max_length=_MAX_GRAI_SERIAL, ai="8003", what="serial")

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.asset_type, self.serial)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        body = self.company_prefix + self.asset_type
        return (("8003", "0" + body + mod10(body) + self.serial),)

    def to_key(self) -> ElementString:
        """The AI (8003) element string."""
        return ElementString.of(*self.element_pairs()[0])


@dataclass(frozen=True, slots=True)
class GiaiUrn(EpcUri):
    """``urn:epc:id:giai:CP.IAR``: an individual asset, AI (8004) (EPC TDS 2.1 §6.3.5).

    >>> GiaiUrn.parse("urn:epc:id:giai:0614141.12345400").element_pairs()
    (('8004', '061414112345400'),)
    """

    company_prefix: str
    asset_reference: str

    SCHEME: ClassVar[str] = "giai"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "asset reference")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_one,)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.asset_reference}"
        _check_company_prefix(self.company_prefix, urn=urn)
        _check_text(
            self.asset_reference,
            max_length=_MAX_GIAI_LENGTH - len(self.company_prefix),
            ai="8004",
            what="individual asset reference",
        )

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.asset_reference)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        return (("8004", self.company_prefix + self.asset_reference),)

    def to_key(self) -> ElementString:
        """The AI (8004) element string."""
        return ElementString.of(*self.element_pairs()[0])


@dataclass(frozen=True, slots=True)
class GsrnUrn(EpcUri):
    """``urn:epc:id:gsrn:CP.SR``: a service relation, AI (8018) (EPC TDS 2.1 §6.3.6).

    >>> GsrnUrn.parse("urn:epc:id:gsrn:0614141.1234567890").element_pairs()
    (('8018', '061414112345678902'),)
    """

    company_prefix: str
    service_reference: str

    SCHEME: ClassVar[str] = "gsrn"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "service reference")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(17),)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.service_reference}"
        _check_numeric_pair(
            self.company_prefix, self.service_reference, total=17, what="service reference", urn=urn
        )

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.service_reference)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        body = self.company_prefix + self.service_reference
        return (("8018", body + mod10(body)),)

    def to_key(self) -> ElementString:
        """The AI (8018) element string."""
        return ElementString.of(*self.element_pairs()[0])


@dataclass(frozen=True, slots=True)
class GdtiUrn(EpcUri):
    """``urn:epc:id:gdti:CP.DT.S``: a document, AI (253) (EPC TDS 2.1 §6.3.7).

    >>> GdtiUrn.parse("urn:epc:id:gdti:0614141.12345.006847").element_pairs()
    (('253', '0614141123452006847'),)
    """

    company_prefix: str
    document_type: str
    serial: str

    SCHEME: ClassVar[str] = "gdti"
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("GS1 Company Prefix", "document type", "serial")
    ESCAPED: ClassVar[tuple[bool, ...]] = (False, False, True)
    PATTERN_FILL: ClassVar[tuple[Callable[[str], str], ...]] = (_fill_to(12), _fill_one)

    def __post_init__(self) -> None:
        urn = f"{self.prefix()}{self.company_prefix}.{self.document_type}.{self.serial}"
        _check_numeric_pair(
            self.company_prefix,
            self.document_type,
            total=12,
            what="document type",
            urn=urn,
            allow_empty=True,
        )
        _check_text(self.serial, max_length=_MAX_GDTI_SERIAL, ai="253", what="serial")

    def fields(self) -> tuple[str, ...]:
        return (self.company_prefix, self.document_type, self.serial)

    def element_pairs(self) -> tuple[tuple[str, str], ...]:
        body = self.company_prefix + self.document_type
        return (("253", body + mod10(body) + self.serial),)

    def to_key(self) -> ElementString:
        """The AI (253) element string."""
        return ElementString.of(*self.element_pairs()[0])


def _check_text(value: str, *, max_length: int, ai: str, what: str) -> None:
    if not 1 <= len(value) <= max_length:
        raise LengthError(
            f"{what} has {len(value)} characters, expected 1 to {max_length}", ai=ai, value=value
        )
    check_charset(value, "82", ai=ai, what=what)


PURE_IDENTITY_SCHEMES: Final[dict[str, type[EpcUri]]] = {
    cls.SCHEME: cls for cls in (SgtinUrn, SsccUrn, SglnUrn, GraiUrn, GiaiUrn, GsrnUrn, GdtiUrn)
}
"""The EPC pure identity schemes medtrace reads, by scheme name (``urn:epc:id:{scheme}:``)."""

CLASS_SCHEMES: Final[dict[str, type[EpcUri]]] = {LgtinUrn.SCHEME: LgtinUrn}
"""The EPC class schemes medtrace reads (``urn:epc:class:{scheme}:``)."""


@dataclass(frozen=True, slots=True)
class EpcPattern:
    """``urn:epc:idpat:{scheme}:...``: a set of pure identities (EPC TDS 2.1 §8).

    ``values`` holds the unescaped fields, ``None`` for ``*``. Fields may be replaced by ``*`` only
    from the right (``CP.IR.*``, ``CP.*.*``, ``*.*.*``); the known fields are validated as in
    the pure identity.

    >>> pattern = EpcPattern.parse("urn:epc:idpat:sgtin:0614141.812345.*")
    >>> pattern.matches(SgtinUrn("0614141", "812345", "6789")), str(pattern)
    (True, 'urn:epc:idpat:sgtin:0614141.812345.*')
    """

    scheme: str
    values: tuple[str | None, ...]

    def __post_init__(self) -> None:
        identity = self._identity_class()
        if len(self.values) != len(identity.FIELD_NAMES):
            raise Gs1SyntaxError(
                f"EPC pattern of scheme {self.scheme} has {len(self.values)} fields, "
                f"expected {len(identity.FIELD_NAMES)} ({'.'.join(identity.FIELD_NAMES)})",
                value=str(self.values),
            )
        known = [value for value in self.values if value is not None]
        if self.values[: len(known)] != tuple(known):
            raise Gs1SyntaxError(
                f"{self} has a '*' before a fixed field, expected wildcards only at the end "
                "(EPC TDS §8)",
                value=str(self),
            )
        if known:
            company_prefix = known[0]
            filled = [fill(company_prefix) for fill in identity.PATTERN_FILL[len(known) - 1 :]]
            identity.from_fields([*known, *filled])

    def _identity_class(self) -> type[EpcUri]:
        try:
            return PURE_IDENTITY_SCHEMES[self.scheme]
        except KeyError:
            raise Gs1SyntaxError(
                f"EPC pattern scheme {self.scheme!r} is not supported, expected one of "
                f"{', '.join(PURE_IDENTITY_SCHEMES)}",
                value=self.scheme,
            ) from None

    @classmethod
    def parse(cls, text: str) -> EpcPattern:
        """Parse ``urn:epc:idpat:{scheme}:{fields}``."""
        head = "urn:epc:idpat:"
        scheme = text[len(head) :].split(":", 1)[0] if text.startswith(head) else ""
        if scheme not in PURE_IDENTITY_SCHEMES:
            raise Gs1SyntaxError(
                f"{text!r} is not a supported EPC pattern URI, expected 'urn:epc:idpat:' and "
                f"one of the schemes {', '.join(PURE_IDENTITY_SCHEMES)}",
                value=text,
            )
        identity = PURE_IDENTITY_SCHEMES[scheme]
        parts = text[len(head) + len(scheme) + 1 :].split(".", len(identity.FIELD_NAMES) - 1)
        values: list[str | None] = []
        for index, part in enumerate(parts):
            if part == _WILDCARD:
                values.append(None)
            elif index < len(identity.ESCAPED) and identity.ESCAPED[index]:
                name = identity.FIELD_NAMES[index]
                values.append(unescape_component(part, what=f"{name} of {text}"))
            else:
                values.append(part)
        return cls(scheme, tuple(values))

    def matches(self, uri: EpcUri) -> bool:
        """Whether the pure identity ``uri`` is in this pattern's set."""
        if uri.KIND != "id" or self.scheme != uri.SCHEME:
            return False
        return all(
            pattern is None or pattern == value
            for pattern, value in zip(self.values, uri.fields(), strict=True)
        )

    def __str__(self) -> str:
        identity = PURE_IDENTITY_SCHEMES.get(self.scheme)
        escaped = identity.ESCAPED if identity else (False,) * len(self.values)
        body = ".".join(
            _WILDCARD if value is None else (escape_component(value) if esc else value)
            for value, esc in zip(self.values, escaped, strict=False)
        )
        return f"urn:epc:idpat:{self.scheme}:{body}"


EpcKey = Sgtin | Lgtin | Sscc | Sgln | Gln
"""The medtrace identifier objects that have an EPC URI."""


def parse_epc_urn(text: str) -> EpcUri | EpcPattern:
    """Parse any supported EPC pure identity, class or pattern URI.

    >>> parse_epc_urn("urn:epc:idpat:sgtin:*.*.*")
    EpcPattern(scheme='sgtin', values=(None, None, None))
    >>> parse_epc_urn("urn:epc:id:sgtin:0614141.81234.6789")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.LengthError: GS1 Company Prefix 0614141 and indicator digit and item \
reference '81234' of urn:epc:id:sgtin:0614141.81234.6789 have 12 digits together, expected 13 \
(EPC TDS §6.3)
    """
    if text.startswith("urn:epc:idpat:"):
        return EpcPattern.parse(text)
    for kind, schemes in (("id", PURE_IDENTITY_SCHEMES), ("class", CLASS_SCHEMES)):
        head = f"urn:epc:{kind}:"
        if text.startswith(head):
            scheme = text[len(head) :].split(":", 1)[0]
            if scheme in schemes:
                return schemes[scheme].parse(text)
            raise Gs1SyntaxError(
                f"{text!r} has EPC {kind} scheme {scheme!r}, expected one of {', '.join(schemes)}",
                value=text,
            )
    raise Gs1SyntaxError(
        f"{text!r} is not an EPC URI, expected 'urn:epc:id:', 'urn:epc:class:' or "
        "'urn:epc:idpat:' (EPC TDS §6, §8)",
        value=text,
    )


def epc_from_key(
    key: EpcKey, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
) -> EpcUri:
    """The EPC URI of a medtrace identifier; the GS1 Company Prefix length as in :mod:`.prefix`.

    >>> str(epc_from_key(Sscc.parse("106141411234567897"), gcp_length=7))
    'urn:epc:id:sscc:0614141.1123456789'
    """
    if isinstance(key, Sgtin):
        return SgtinUrn.from_key(key, gcp_length=gcp_length, registry=registry)
    if isinstance(key, Lgtin):
        return LgtinUrn.from_key(key, gcp_length=gcp_length, registry=registry)
    if isinstance(key, Sscc):
        return SsccUrn.from_key(key, gcp_length=gcp_length, registry=registry)
    return SglnUrn.from_key(key, gcp_length=gcp_length, registry=registry)


__all__ = [
    "CLASS_SCHEMES",
    "ESCAPES",
    "PURE_IDENTITY_SCHEMES",
    "EpcKey",
    "EpcPattern",
    "EpcUri",
    "GdtiUrn",
    "GiaiUrn",
    "GraiUrn",
    "GsrnUrn",
    "LgtinUrn",
    "SglnUrn",
    "SgtinUrn",
    "SsccUrn",
    "epc_from_key",
    "escape_component",
    "parse_epc_urn",
    "unescape_component",
]
