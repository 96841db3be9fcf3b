"""Value syntax of the EPCIS 2.0 query language: times, numbers, lists, URIs, field names.

The REST binding (EPCIS 2.0 §12.6, ``openapi.yaml``) carries every SimpleEventQuery parameter
(EPCIS 2.0 §8.2.7.1) as one query-string value; list-valued parameters use the OpenAPI
``pipeDelimited`` style, so ``EQ_bizStep=shipping|receiving`` lists two values. A value that
itself contains ``|`` therefore cannot be expressed in a list parameter.

Every parser here raises :class:`InvalidValueError` with a message saying what was expected;
the query parser turns it into a :class:`~medtrace.epcis.errors.QueryParameterError` that names
the parameter and its value.

>>> parse_timestamp("2022-06-30T00:15:47.000-05:00")
datetime.datetime(2022, 6, 30, 5, 15, 47, tzinfo=datetime.timezone.utc)
>>> format_timestamp(parse_timestamp("2022-06-30T00:15:47.250+02:00"))
'2022-06-29T22:15:47.250000Z'
>>> parse_field_name("example:lot", {"example": "https://ns.example.com/epcis/"})
FieldName(namespace='https://ns.example.com/epcis/', local='lot')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

import msgspec

from medtrace.epcis.vocab import VocabKind, is_standard, to_bare, to_canonical

__all__ = [
    "DEFAULT_PREFIXES",
    "Action",
    "FieldName",
    "InvalidValueError",
    "OrderDirection",
    "format_decimal",
    "format_timestamp",
    "is_uri",
    "parse_bool",
    "parse_count",
    "parse_decimal",
    "parse_exists",
    "parse_field_name",
    "parse_timestamp",
    "parse_uri",
    "parse_vocab",
    "split_list",
    "vocab_short_form",
]


class InvalidValueError(ValueError):
    """A query parameter value does not have the syntax its parameter requires."""


class Action(StrEnum):
    """The ``action`` of an event (EPCIS 2.0 §7.3.4): the values of ``EQ_action``."""

    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


class OrderDirection(StrEnum):
    """``orderDirection`` (EPCIS 2.0 §8.2.7.1); the standard's default is ``DESC``."""

    ASC = "ASC"
    DESC = "DESC"


#: Prefixes known without a ``GS1-Extensions`` header. ``cbvmda`` is the CBV master-data
#: namespace (CBV 2.0 §10), used by DSCSA ILMD fields such as ``cbvmda:lotNumber``.
DEFAULT_PREFIXES: Final[Mapping[str, str]] = {"cbvmda": "urn:epcglobal:cbv:mda"}

# The JSON-LD context maps ``cbvmda`` to ``urn:epcglobal:cbv:mda:`` (trailing colon) while XML
# uses the namespace ``urn:epcglobal:cbv:mda``; both name the same namespace (CBV 2.0 §10).
_NAMESPACE_ALIASES: Final[Mapping[str, str]] = {"urn:epcglobal:cbv:mda:": "urn:epcglobal:cbv:mda"}

_TIMESTAMP = re.compile(
    r"(?P<date>-?\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<frac>\d+))?(?P<zone>Z|[+-]\d{2}:\d{2})"
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_COUNT = re.compile(r"\d+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s|<>\"{}\\^`]+")
_NCNAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_CURIE = re.compile(rf"(?P<prefix>[A-Za-z][A-Za-z0-9.-]*):(?P<local>{_NCNAME})")
_CLARK = re.compile(rf"\{{(?P<ns>[^{{}}\s]+)\}}(?P<local>{_NCNAME})")
_HASH_FORM = re.compile(rf"(?P<ns>\S+)#(?P<local>{_NCNAME})")
_MAX_OFFSET: Final = timedelta(hours=14)


def parse_timestamp(text: str) -> datetime:
    """An ``xsd:dateTime`` *with* a time zone as an aware UTC datetime (EPCIS 2.0 §7.3.1).

    Fraction digits beyond microseconds are truncated.

    >>> parse_timestamp("2024-01-02T03:04:05Z").isoformat()
    '2024-01-02T03:04:05+00:00'
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise InvalidValueError(
            "expected an xsd:dateTime with a time zone, like 2022-06-30T00:15:47.000-05:00"
        )
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    zone = match["zone"]
    offset = timedelta(0)
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        if abs(offset) > _MAX_OFFSET or int(zone[4:6]) > 59:
            raise InvalidValueError(f"time zone offset {zone} is out of range")
    try:
        year, month, day = (int(part) for part in match["date"].split("-"))
        local = datetime(
            year,
            month,
            day,
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            int(frac),
            tzinfo=timezone(offset),
        )
    except ValueError as exc:
        raise InvalidValueError(f"not a valid date and time: {exc}") from None
    return local.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """The UTC ``xsd:dateTime`` form of an aware datetime, with ``Z``."""
    if value.tzinfo is None:
        raise InvalidValueError("naive datetimes have no defined instant")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_decimal(text: str) -> Decimal:
    """An ``xsd:decimal``/``xsd:double`` lexical value as an exact :class:`Decimal`.

    >>> parse_decimal("-12.50")
    Decimal('-12.50')
    """
    if _NUMBER.fullmatch(text) is None:
        raise InvalidValueError("expected a number such as 12, -3.5 or 1.2E3")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - excluded by the pattern above
        raise InvalidValueError("expected a finite number") from None


def format_decimal(value: Decimal) -> str:
    """The lexical form of a decimal that :func:`parse_decimal` reads back to an equal value."""
    return str(value)


def parse_count(text: str) -> int:
    """A non-negative integer (``eventCountLimit``, ``maxEventCount``, ``perPage``)."""
    if _COUNT.fullmatch(text) is None:
        raise InvalidValueError("expected a non-negative integer")
    return int(text)


def parse_bool(text: str) -> bool:
    """``true`` or ``false`` (``xsd:boolean``; ``1``/``0`` are accepted as well)."""
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise InvalidValueError("expected true or false")


def parse_exists(text: str) -> bool:
    """An ``EXISTS_`` value: empty (the schema's null) or a boolean; ``false`` means not given."""
    return True if text == "" else parse_bool(text)


def is_uri(text: str) -> bool:
    """Whether ``text`` is an absolute URI (a scheme, ``:``, no blanks or ``|``)."""
    return _URI.fullmatch(text) is not None


def parse_uri(text: str) -> str:
    """An absolute URI, returned unchanged."""
    if not is_uri(text):
        raise InvalidValueError(f"expected an absolute URI, got {text!r}")
    return text


def split_list(text: str) -> tuple[str, ...]:
    """The items of a ``pipeDelimited`` list value; empty items are an error.

    >>> split_list("shipping|receiving")
    ('shipping', 'receiving')
    """
    items = tuple(text.split("|"))
    if any(item == "" for item in items):
        raise InvalidValueError("expected one or more values separated by '|', without empty ones")
    return items


class FieldName(msgspec.Struct, frozen=True, order=True):
    """The qualified name of an extension field: namespace URI plus local name (EPCIS 2.0 §7.3.2).

    ``str(name)`` is ``namespace#local``, the form EPCIS 2.0 §8.2.7.1 gives for ``EQ_fieldname``.
    """

    namespace: str
    local: str

    def __str__(self) -> str:
        return f"{self.namespace}#{self.local}"


def parse_field_name(text: str, prefixes: Mapping[str, str]) -> FieldName:
    """A namespace-qualified field name in one of three spellings.

    * ``namespace#local``, the form of EPCIS 2.0 §8.2.7.1 (``http://ns.example.com/epcis#lot``);
      the last ``#`` separates, so namespaces may end in ``#``;
    * ``{namespace}local`` (Clark notation);
    * ``prefix:local``, a CURIE whose prefix is declared in the ``GS1-Extensions`` header
      (EPCIS 2.0 §12.4; ``prefixes`` maps prefix to namespace) or in :data:`DEFAULT_PREFIXES`.
      Prefixes contain no ``_``, which separates the parts of a parameter name.

    >>> parse_field_name("{urn:epcglobal:cbv:mda}lotNumber", {})
    FieldName(namespace='urn:epcglobal:cbv:mda', local='lotNumber')
    """
    match = _CLARK.fullmatch(text) or _HASH_FORM.fullmatch(text)
    if match is not None:
        namespace, local = match["ns"], match["local"]
    elif (curie := _CURIE.fullmatch(text)) is not None:
        prefix = curie["prefix"]
        resolved = prefixes.get(prefix, DEFAULT_PREFIXES.get(prefix))
        if resolved is None:
            raise InvalidValueError(
                f"namespace prefix {prefix!r} is not declared in the GS1-Extensions header"
            )
        namespace, local = resolved, curie["local"]
    else:
        raise InvalidValueError(
            f"expected a namespace-qualified field name (prefix:name, namespace#name or "
            f"{{namespace}}name), got {text!r}"
        )
    if not is_uri(namespace):
        raise InvalidValueError(f"field namespace {namespace!r} is not an absolute URI")
    return FieldName(_NAMESPACE_ALIASES.get(namespace, namespace), local)


# Namespaces reserved for standard values; user values must lie outside them (query schema
# definitions ``vocab-other-uri`` and ``vocab-nonGS1WebVoc-uri``).
_RESERVED = re.compile(
    r"urn:epcglobal:cbv:|https?://(?:ns\.gs1\.org/cbv/|ref\.gs1\.org/cbv/|(?:www\.)?gs1\.org/voc/)"
)


def parse_vocab(kind: VocabKind, text: str, prefixes: Mapping[str, str]) -> str:
    """A CBV-typed value in canonical form (CBV 2.0 §6, §8.2; see :mod:`medtrace.epcis.vocab`).

    Standard values may be bare words, URNs, web URIs or ``cbv:``/``gs1:`` CURIEs. Other values
    must be user URIs outside the CBV namespaces, or CURIEs with a declared prefix.

    >>> parse_vocab("bizStep", "https://ref.gs1.org/cbv/BizStep-shipping", {})
    'urn:epcglobal:cbv:bizstep:shipping'
    >>> parse_vocab("disposition", "ex:quarantined", {"ex": "https://ex.com/disp/"})
    'https://ex.com/disp/quarantined'
    """
    if is_standard(kind, text):
        return to_canonical(kind, text)
    curie = _CURIE.fullmatch(text)
    if curie is not None and curie["prefix"] in prefixes:
        text = prefixes[curie["prefix"]] + curie["local"]
    if not is_uri(text):
        raise InvalidValueError(f"{text!r} is not a standard CBV {kind} value nor a URI")
    if _RESERVED.match(to_canonical(kind, text)):
        raise InvalidValueError(f"{text!r} is in a GS1 namespace but not a standard {kind} value")
    return text


def vocab_short_form(kind: VocabKind, canonical: str) -> str:
    """The form the REST binding prefers in query strings: bare words for standard values."""
    return to_bare(kind, canonical)
