"""Lexical forms of XML Schema simple types used by EPCIS XML (EPCIS 2.0 §9.3, XSD Part 2).

Parsers raise :class:`ValueError` with a message naming the expected form and the value got;
the XML reader turns that into an :class:`~medtrace.epcis.errors.EpcisDocumentError` with
the element's location. Formatters produce the canonical-enough lexical form we write.

>>> parse_datetime("2023-03-27T06:45:16.5-05:00").isoformat()
'2023-03-27T06:45:16.500000-05:00'
>>> format_datetime(parse_datetime("2023-03-27T06:45:16.500Z"))
'2023-03-27T06:45:16.500Z'
>>> parse_decimal("26.0"), format_decimal(parse_decimal("1e3"))
(Decimal('26.0'), '1E+3')
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = [
    "format_bool",
    "format_datetime",
    "format_decimal",
    "format_xsd_decimal",
    "parse_bool",
    "parse_datetime",
    "parse_decimal",
    "parse_double",
    "parse_offset",
    "parse_xsd_decimal",
]

# xsd:dateTime with a mandatory time zone (EPCIS 2.0 §7.3.1: event and record times carry one).
_DATETIME: Final = re.compile(
    r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)\Z",
)
_DATETIME_ANY_TZ: Final = re.compile(
    r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?\Z",
)
# EPCIS 2.0 §7.4.1: eventTimeZoneOffset is "+hh:mm" / "-hh:mm".
_OFFSET: Final = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d\Z")
# xsd:decimal (no exponent) and xsd:double (exponent, INF); NaN is refused (never equal).
_XSD_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_XSD_DOUBLE: Final = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|INF)\Z")
_BOOLS: Final = {"true": True, "1": True, "false": False, "0": False}


def parse_datetime(text: str) -> datetime:
    """Parse an ``xsd:dateTime`` that carries a time zone (``Z`` or ``±hh:mm``).

    Any number of fraction digits is accepted; digits beyond microseconds are truncated.

    >>> parse_datetime("2022-04-13T12:35:29.017069617Z").microsecond
    17069
    >>> parse_datetime("2023-03-27T06:45:16")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: expected an xsd:dateTime with time zone ..., got '2023-03-27T06:45:16'
    """
    if _DATETIME.match(text) is None:
        if _DATETIME_ANY_TZ.match(text) is not None:
            raise ValueError(
                f"expected an xsd:dateTime with time zone (e.g. 2023-03-27T06:45:16Z), got {text!r}"
            )
        raise ValueError(f"expected an xsd:dateTime (e.g. 2023-03-27T06:45:16Z), got {text!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a valid xsd:dateTime, got {text!r}") from None


def parse_offset(text: str) -> str:
    """Check an ``eventTimeZoneOffset`` (``±hh:mm``) and return it.

    >>> parse_offset("+01:00")
    '+01:00'
    """
    if _OFFSET.match(text) is None:
        raise ValueError(f"expected a time zone offset like +01:00 or -05:00, got {text!r}")
    return text


def parse_decimal(text: str) -> Decimal:
    """Parse an ``xsd:decimal`` or ``xsd:double`` lexical form into an exact Decimal."""
    if _XSD_DOUBLE.match(text) is None:
        raise ValueError(f"expected a number, got {text!r}")
    try:
        return Decimal(text.replace("INF", "Infinity"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise ValueError(f"expected a number, got {text!r}") from None


parse_double = parse_decimal


def parse_xsd_decimal(text: str) -> Decimal:
    """Parse a strict ``xsd:decimal`` (no exponent), e.g. an EPCIS quantity."""
    if _XSD_DECIMAL.match(text) is None:
        raise ValueError(f"expected a decimal number such as 200 or 12.5, got {text!r}")
    return Decimal(text)


def parse_bool(text: str) -> bool:
    """Parse an ``xsd:boolean`` (``true``/``false``/``1``/``0``)."""
    try:
        return _BOOLS[text]
    except KeyError:
        raise ValueError(f"expected true or false, got {text!r}") from None


def format_datetime(value: datetime) -> str:
    """Format an aware datetime as ``xsd:dateTime``, keeping its UTC offset (``Z`` for 0)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"datetime without time zone cannot be written: {value!r}")
    micro = value.microsecond
    spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
    text = value.replace(tzinfo=None).isoformat(timespec=spec)
    if offset == timedelta(0):
        return text + "Z"
    return text + _format_offset(offset)


def _format_offset(offset: timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def format_decimal(value: Decimal) -> str:
    """Format a Decimal as an ``xsd:double`` literal (exponent allowed)."""
    if value.is_infinite():
        return "INF" if value > 0 else "-INF"
    return str(value)


def format_xsd_decimal(value: Decimal) -> str:
    """Format a Decimal as a strict ``xsd:decimal`` literal (no exponent)."""
    if not value.is_finite():
        raise ValueError(f"an xsd:decimal must be finite, got {value}")
    return format(value, "f")


def format_bool(value: bool) -> str:
    """Format an ``xsd:boolean``."""
    return "true" if value else "false"
