"""Canonical value forms of the CBV 2.0 event hash (CBV 2.0 §8.9 "Event hash").

The pre-hash string writes every value in one canonical form, so that the same event gives the
same hash whichever syntax (XML or JSON-LD) and whichever identifier form it was written in:

* EPC URIs (``urn:epc:id:``), EPC class URIs (``urn:epc:class:``) and EPC pattern URIs
  (``urn:epc:idpat:``) become canonical GS1 Digital Link URIs on ``https://id.gs1.org``
  (GS1 Digital Link URI Syntax 1.2 §4.11, GS1 EPC Tag Data Standard 2.x §6/§7). The company
  prefix length is part of the URN, so no prefix table is needed.
* GS1 Digital Link URIs on any domain are *constrained* canonical: domain ``id.gs1.org``, no
  query string or fragment, convenience alphas (``/gtin/``) replaced by AIs, GTINs padded to
  14 digits, and only the finest level of identification kept (``01``+``21``, ``01``+``235``,
  ``01``+``10``, ``414``+``254``, ``8006``+``21``/``10``, ``8010``+``8011``, else the key).
* CBV URNs (``urn:epcglobal:cbv:bizstep:shipping``) become CBV web URIs
  (``https://ref.gs1.org/cbv/BizStep-shipping``); the standard CURIEs ``gs1:``, ``cbv:`` and
  ``epcis:`` are expanded.
* Timestamps are UTC with exactly three fraction digits, the third rounded half up from the
  fourth (``…03.1415Z`` → ``…03.142Z``).
* Numbers have no trailing zeros and no exponent (``452.0`` → ``452``, ``1E+2`` → ``100``).

Values that are none of these (or not well-formed GS1 identifiers) are kept as given, trimmed.

>>> canonical_value("urn:epc:id:sgtin:4012345.011111.9876")
'https://id.gs1.org/01/04012345111118/21/9876'
>>> canonical_value("https://example.com/gtin/9780345418913/21/765tz?abc=1")
'https://id.gs1.org/01/09780345418913/21/765tz'
>>> canonical_value("urn:epcglobal:cbv:disp:in_transit")
'https://ref.gs1.org/cbv/Disp-in_transit'
>>> canonical_number(Decimal("452.0")), canonical_number(Decimal("1E+2"))
('452', '100')
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "CBV_WEB",
    "GS1_VOC",
    "canonical_bool",
    "canonical_digital_link",
    "canonical_epc",
    "canonical_epcs",
    "canonical_number",
    "canonical_number_text",
    "canonical_time",
    "canonical_value",
    "cbv_term",
    "epc_uri_to_digital_link",
    "joined_canonical_epcs",
    "one_product_serials",
]

DL_ROOT: Final = "https://id.gs1.org"
CBV_WEB: Final = "https://ref.gs1.org/cbv/"
GS1_VOC: Final = "https://gs1.org/voc/"

#: CBV 2.0 §6.x URN vocabularies and the prefix of their web URI terms (CBV 2.0 §8.4).
_CBV_URN_TO_WEB: Final[dict[str, str]] = {
    "urn:epcglobal:cbv:bizstep:": CBV_WEB + "BizStep-",
    "urn:epcglobal:cbv:disp:": CBV_WEB + "Disp-",
    "urn:epcglobal:cbv:btt:": CBV_WEB + "BTT-",
    "urn:epcglobal:cbv:sdt:": CBV_WEB + "SDT-",
    "urn:epcglobal:cbv:er:": CBV_WEB + "ER-",
}
_CBV_URN_CATEGORY_END: Final = len("urn:epcglobal:cbv:")

#: The standard CURIE prefixes (CBV 2.0 §8.9, rule on compact URI expressions).
_CURIES: Final[dict[str, str]] = {
    "gs1:": GS1_VOC,
    "cbv:": CBV_WEB,
    "epcis:": "https://ref.gs1.org/epcis/",
}

# Characters kept literally in a Digital Link path value: RFC 3986 unreserved plus the
# apostrophe (as in the published event-hash vectors); everything else is percent-encoded.
_DL_SAFE: Final = "'~"

_HALF_MS: Final = timedelta(microseconds=500)
_YEAR4: Final = 1000
_D2: Final = tuple(f"{n:02d}" for n in range(100))
_MILLIS_Z: Final = tuple(f".{n:03d}Z" for n in range(1000))
_DIGITS: Final = "0123456789"
_SGTIN: Final = "urn:epc:id:sgtin:"
_SGTIN_LEN: Final = len(_SGTIN)
_SSCC: Final = "urn:epc:id:sscc:"
_SSCC_LEN: Final = len(_SSCC)


# --------------------------------------------------------------------------- numbers, times


def canonical_number(number: Decimal | int | float) -> str:
    """A number without trailing zeros or exponent (CBV 2.0 §8.9, numeric values rule).

    >>> [canonical_number(n) for n in (Decimal("0.3434000"), 1, 0.1, Decimal("-0.0"))]
    ['0.3434', '1', '0.1', '0']
    """
    if isinstance(number, bool):
        raise TypeError(f"expected a number, got the boolean {number!r}")
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        number = Decimal(repr(number))
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {number!r}")
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def canonical_number_text(text: str) -> str:
    """:func:`canonical_number` of a number written as text; non-numbers are returned trimmed.

    >>> canonical_number_text(" 12.10000 "), canonical_number_text("n/a")
    ('12.1', 'n/a')
    """
    stripped = text.strip()
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return stripped
    return canonical_number(number) if number.is_finite() else stripped


def canonical_bool(value: bool) -> str:
    """``true``/``false`` as in XML Schema ``xsd:boolean`` canonical form."""
    return "true" if value else "false"


def canonical_time(moment: datetime) -> str:
    """UTC, millisecond precision, ``Z`` (CBV 2.0 §8.9, timestamp rules).

    The third fraction digit is rounded up when the fourth is 5-9.

    >>> from datetime import UTC, timezone
    >>> canonical_time(datetime(2023, 2, 2, 12, 4, 3, 141500, timezone(timedelta(hours=1))))
    '2023-02-02T11:04:03.142Z'
    >>> canonical_time(datetime(2019, 12, 31, 23, 59, 59, 999500, UTC))
    '2020-01-01T00:00:00.000Z'
    """
    micro = moment.microsecond
    if moment.tzinfo is UTC and not micro % 1000 and moment.year >= _YEAR4:
        # Already UTC and in whole milliseconds (the usual case): nothing to shift or round,
        # and the fields are written from tables (isoformat goes through printf).
        return (
            f"{moment.year}-{_D2[moment.month]}-{_D2[moment.day]}T{_D2[moment.hour]}:"
            f"{_D2[moment.minute]}:{_D2[moment.second]}{_MILLIS_Z[micro // 1000]}"
        )
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    # Adding half a millisecond, then truncating to milliseconds, rounds half up.
    utc = moment.replace(tzinfo=None) - offset + _HALF_MS
    return utc.isoformat(timespec="milliseconds") + "Z"


# --------------------------------------------------------------------------- vocabularies


def cbv_term(value: str, web_prefix: str) -> str:
    """A CBV vocabulary value as web URI; bare JSON-LD terms get ``web_prefix``.

    ``web_prefix`` is e.g. ``https://ref.gs1.org/cbv/BizStep-`` for bizStep values.

    >>> cbv_term("shipping", CBV_WEB + "BizStep-")
    'https://ref.gs1.org/cbv/BizStep-shipping'
    >>> cbv_term("urn:epcglobal:cbv:bizstep:receiving", CBV_WEB + "BizStep-")
    'https://ref.gs1.org/cbv/BizStep-receiving'
    """
    stripped = value.strip()
    if stripped and ":" not in stripped:
        return web_prefix + stripped
    return canonical_value(stripped)


def _cbv_urn(value: str) -> str:
    category_end = value.find(":", _CBV_URN_CATEGORY_END)
    if category_end < 0:
        return value
    web = _CBV_URN_TO_WEB.get(value[: category_end + 1])
    return value if web is None else web + value[category_end + 1 :]


# --------------------------------------------------------------------------- EPC URIs


def mod10(body: str) -> str:
    """GS1 mod-10 check digit of ``body`` (GS1 General Specifications §7.9.1), digits only.

    Weights 3, 1, 3, … from the right; summed over bytes, as this runs for every EPC hashed.

    >>> mod10("401234511111")
    '8'
    """
    data = body.encode("ascii")
    size = len(data)
    # Each digit's byte is 48 ("0") more than the digit: 48 per weight-1 digit, 3 * 48 per
    # weight-3 digit (the last one and every second one before it) comes off the total.
    total = 3 * sum(data[-1::-2]) + sum(data[-2::-2]) - 48 * (3 * ((size + 1) // 2) + size // 2)
    return _DIGITS[-total % 10]


@lru_cache(maxsize=65536)
def _gtin(company_prefix: str, indicator_item: str) -> str | None:
    """GTIN-14 from TDS company prefix and indicator/item reference (TDS §6.3.1).

    Cached: the serials of one product share it, and it is the costly part of an SGTIN.
    """
    body = indicator_item[:1] + company_prefix + indicator_item[1:]
    if len(body) != 13 or not body.isdigit():
        return None
    return body + mod10(body)


def _numeric_key(company_prefix: str, reference: str, length: int) -> str | None:
    """A fixed-length numeric key ``prefix + reference + check digit`` (GLN, GDTI, …)."""
    body = company_prefix + reference
    if len(body) != length - 1 or not body.isdigit():
        return None
    return body + mod10(body)


def _enc(part: str) -> str:
    """Percent-encode a URN component for a Digital Link path (URN escapes decoded first)."""
    if part.isalnum() and part.isascii():
        return part
    return quote(unquote(part) if "%" in part else part, safe=_DL_SAFE)


def _epc_id(scheme: str, parts: list[str]) -> str | None:
    """Digital Link path of an ``urn:epc:id:`` EPC (TDS §6, DL §4.11); None if malformed."""
    count = len(parts)
    cp = parts[0]
    if scheme == "sgtin" and count == 3:
        gtin = _gtin(cp, parts[1])
        return None if gtin is None or not parts[2] else f"/01/{gtin}/21/{_enc(parts[2])}"
    if scheme == "sscc" and count == 2:
        sscc = _numeric_key(parts[1][:1], cp + parts[1][1:], 18)
        return None if sscc is None else f"/00/{sscc}"
    if scheme == "sgln" and count == 3:
        gln = _numeric_key(cp, parts[1], 13)
        if gln is None:
            return None
        return f"/414/{gln}" if parts[2] in ("0", "") else f"/414/{gln}/254/{_enc(parts[2])}"
    if scheme == "pgln" and count == 2:
        gln = _numeric_key(cp, parts[1], 13)
        return None if gln is None else f"/417/{gln}"
    if scheme == "grai" and count == 3:
        grai = _numeric_key("0" + cp, parts[1], 14)
        return None if grai is None else f"/8003/{grai}{_enc(parts[2])}"
    if scheme == "giai" and count == 2:
        return f"/8004/{cp}{_enc(parts[1])}" if cp.isdigit() and parts[1] else None
    if scheme in ("gsrn", "gsrnp") and count == 2:
        gsrn = _numeric_key(cp, parts[1], 18)
        return None if gsrn is None else f"/{'8018' if scheme == 'gsrn' else '8017'}/{gsrn}"
    if scheme in ("gdti", "sgcn") and count == 3:
        key = _numeric_key(cp, parts[1], 13)
        if key is None:
            return None
        return f"/{'253' if scheme == 'gdti' else '255'}/{key}{_enc(parts[2])}"
    if scheme == "cpi" and count == 3:
        if not cp.isdigit() or not parts[1]:
            return None
        return f"/8010/{cp}{_enc(parts[1])}/8011/{parts[2]}"
    if scheme == "ginc" and count == 2:
        return f"/401/{cp}{_enc(parts[1])}" if cp.isdigit() and parts[1] else None
    if scheme == "gsin" and count == 2:
        gsin = _numeric_key(cp, parts[1], 17)
        return None if gsin is None else f"/402/{gsin}"
    if scheme == "itip" and count == 5:
        gtin = _gtin(cp, parts[1])
        if gtin is None or not (parts[2] + parts[3]).isdigit():
            return None
        return f"/8006/{gtin}{parts[2]}{parts[3]}/21/{_enc(parts[4])}"
    if scheme == "upui" and count == 3:
        gtin = _gtin(cp, parts[1])
        return None if gtin is None else f"/01/{gtin}/235/{_enc(parts[2])}"
    return None


def _sgtin(uri: str) -> str:
    """Fast path for the most frequent EPC, ``urn:epc:id:sgtin:CP.IR.SERIAL`` (TDS §6.3.1)."""
    company_prefix, _, rest = uri[_SGTIN_LEN:].partition(".")
    indicator_item, dot, serial = rest.partition(".")
    gtin = _gtin(company_prefix, indicator_item)
    if gtin is None or not dot or not serial or "." in serial:
        return uri
    return f"{DL_ROOT}/01/{gtin}/21/{_enc(serial)}"


_SSCC_BODY: Final = 17


@lru_cache(maxsize=4096)
def _plain_sscc(uri: str) -> str | None:
    """Digital Link URI of ``urn:epc:id:sscc:CP.XREF`` (TDS §6.3.2) of ASCII digits only,
    ``CP`` and ``XREF`` 17 digits together; ``None`` for anything else.

    Cached (the last few thousand): an SSCC is hashed as the ``parentID`` of the case it
    packs, then soon again among the ``childEPCs`` of the pallet the case is packed on (the
    check digit is the costly part).
    """
    company_prefix, _, reference = uri[_SSCC_LEN:].partition(".")
    if not (company_prefix and reference and len(company_prefix) + len(reference) == _SSCC_BODY):
        return None
    digits = company_prefix + reference
    if not (digits.isascii() and digits.isdigit()):
        return None
    body = reference[0] + company_prefix + reference[1:]
    return f"{DL_ROOT}/00/{body}{mod10(body)}"


def _sscc(uri: str) -> str:
    """Fast path for ``urn:epc:id:sscc:…`` (TDS §6.3.2)."""
    return _plain_sscc(uri) or epc_uri_to_digital_link(uri) or uri


def canonical_epc(value: str) -> str:
    """:func:`canonical_value` of one EPC, with a shortcut for the plain SSCC of a packing
    event's ``parentID``.

    >>> canonical_epc("urn:epc:id:sscc:0614141.1234567890")
    'https://id.gs1.org/00/106141412345678908'
    """
    if value.startswith(_SSCC):
        link = _plain_sscc(value)
        if link is not None:
            return link
    return canonical_value(value)


def _epc_class(scheme: str, parts: list[str]) -> str | None:
    """Digital Link path of an ``urn:epc:class:`` EPC class (TDS §7; only LGTIN is GS1)."""
    if scheme == "lgtin" and len(parts) == 3 and parts[2]:
        gtin = _gtin(parts[0], parts[1])
        return None if gtin is None else f"/01/{gtin}/10/{_enc(parts[2])}"
    return None


def _epc_pattern(scheme: str, parts: list[str]) -> str | None:
    """Digital Link path of an ``urn:epc:idpat:`` pattern with only the last field ``*``."""
    if not parts or parts[-1] != "*" or "*" in parts[:-1]:
        return None
    head = parts[:-1]
    cp = head[0] if head else ""
    if scheme in ("sgtin", "upui") and len(head) == 2:
        gtin = _gtin(cp, head[1])
        return None if gtin is None else f"/01/{gtin}"
    if scheme == "grai" and len(head) == 2:
        grai = _numeric_key("0" + cp, head[1], 14)
        return None if grai is None else f"/8003/{grai}"
    if scheme in ("gdti", "sgcn") and len(head) == 2:
        key = _numeric_key(cp, head[1], 13)
        return None if key is None else f"/{'253' if scheme == 'gdti' else '255'}/{key}"
    if scheme == "cpi" and len(head) == 2:
        return f"/8010/{cp}{_enc(head[1])}" if cp.isdigit() and head[1] else None
    if scheme == "itip" and len(head) == 4:
        gtin = _gtin(cp, head[1])
        if gtin is None or not (head[2] + head[3]).isdigit():
            return None
        return f"/8006/{gtin}{head[2]}{head[3]}"
    return None


_EPC_KINDS: Final = {
    "id": _epc_id,
    "class": _epc_class,
    "idpat": _epc_pattern,
}


def epc_uri_to_digital_link(uri: str) -> str | None:
    """Canonical GS1 Digital Link URI of an EPC (pure identity, class or pattern) URN.

    Returns ``None`` for URNs that have no GS1 key (``gid``, ``usdod``, …) or are malformed.

    >>> epc_uri_to_digital_link("urn:epc:id:sgln:4012345.00011.987")
    'https://id.gs1.org/414/4012345000115/254/987'
    >>> epc_uri_to_digital_link("urn:epc:idpat:sgtin:4012345.066666.*")
    'https://id.gs1.org/01/04012345666663'
    >>> epc_uri_to_digital_link("urn:epc:id:gid:95100000.12345.400") is None
    True
    """
    # urn:epc:<kind>:<scheme>:<fields separated by dots>
    pieces = uri.split(":", 4)
    if len(pieces) != 5 or pieces[0] != "urn" or pieces[1] != "epc":
        return None
    convert = _EPC_KINDS.get(pieces[2])
    if convert is None:
        return None
    path = convert(pieces[3], pieces[4].split("."))
    return None if path is None else DL_ROOT + path


# --------------------------------------------------------------------------- Digital Link


def _digits(value: str, *lengths: int) -> bool:
    return len(value) in lengths and value.isdigit()


def _key_13_plus(value: str, max_rest: int) -> bool:
    return value[:13].isdigit() and 13 <= len(value) <= 13 + max_rest


#: Primary keys (GS1 DL 1.2 §4.11 constrained set) and a validator of their value.
_DL_KEYS: Final[dict[str, Callable[[str], bool]]] = {
    "00": lambda v: _digits(v, 18),
    "01": lambda v: _digits(v, 8, 12, 13, 14),
    "253": lambda v: _key_13_plus(v, 17),
    "255": lambda v: _key_13_plus(v, 12) and v.isdigit(),
    "401": lambda v: 0 < len(v) <= 30,
    "402": lambda v: _digits(v, 17),
    "414": lambda v: _digits(v, 13),
    "417": lambda v: _digits(v, 13),
    "8003": lambda v: v[:14].isdigit() and 14 <= len(v) <= 30,
    "8004": lambda v: 0 < len(v) <= 30,
    "8006": lambda v: _digits(v, 18),
    "8010": lambda v: 0 < len(v) <= 30,
    "8017": lambda v: _digits(v, 18),
    "8018": lambda v: _digits(v, 18),
}

#: Key qualifiers allowed after each key; the kept ones are listed finest first.
_DL_QUALIFIERS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "01": (("22", "10", "21", "235"), ("21", "235", "10")),
    "414": (("254", "7040"), ("254",)),
    "8006": (("22", "10", "21"), ("21", "10")),
    "8010": (("8011",), ("8011",)),
    "8017": (("8019",), ()),
    "8018": (("8019",), ()),
}

#: GS1 DL convenience alphas (GS1 DL 1.2 §6.2, deprecated but accepted).
_DL_ALPHAS: Final = {
    "gtin": "01",
    "itip": "8006",
    "cpid": "8010",
    "gln": "414",
    "party": "417",
    "gsrnp": "8017",
    "gsrn": "8018",
    "gcn": "255",
    "sscc": "00",
    "gdti": "253",
    "ginc": "401",
    "gsin": "402",
    "grai": "8003",
    "giai": "8004",
    "cpv": "22",
    "lot": "10",
    "ser": "21",
}


def _ai(segment: str) -> str:
    return _DL_ALPHAS.get(segment, segment)


def canonical_digital_link(uri: str) -> str | None:
    """The constrained canonical form of a GS1 Digital Link URI (CBV 2.0 §8.9), or None.

    ``None`` means ``uri`` is not a GS1 Digital Link URI with a supported key.

    >>> canonical_digital_link("https://id.gs1.de/01/04012345999990/10/L1/21/XYZ-1234?x=1")
    'https://id.gs1.org/01/04012345999990/21/XYZ-1234'
    >>> canonical_digital_link("https://example.com/blog/2020/01/15") is None
    True
    """
    rest = uri.split("://", 1)[1] if "://" in uri else ""
    for stop in "?#":
        rest = rest.split(stop, 1)[0]
    segments = rest.split("/")[1:]  # drop the host (authority)
    # The primary key is the first segment naming a key; a custom path prefix may precede it.
    for start in range(len(segments) - 1):
        key = _ai(segments[start])
        check = _DL_KEYS.get(key)
        if check is None:
            continue
        value = unquote(segments[start + 1])
        if not check(value):
            continue
        pairs = segments[start + 2 :]
        if len(pairs) % 2:
            return None
        allowed, kept = _DL_QUALIFIERS.get(key, ((), ()))
        qualifiers: dict[str, str] = {}
        for index in range(0, len(pairs), 2):
            qualifier = _ai(pairs[index])
            if qualifier not in allowed or not pairs[index + 1]:
                return None
            qualifiers[qualifier] = unquote(pairs[index + 1])
        if key == "01":
            value = value.zfill(14)
        path = f"{DL_ROOT}/{key}/{quote(value, safe=_DL_SAFE)}"
        for qualifier in kept:
            if qualifier in qualifiers:
                path += f"/{qualifier}/{quote(qualifiers[qualifier], safe=_DL_SAFE)}"
                break
        return path
    return None


# --------------------------------------------------------------------------- dispatch


def canonical_value(value: str) -> str:
    """Any identifier or vocabulary value in its pre-hash form (see the module docstring).

    >>> canonical_value(" gs1:Temperature ")
    'https://gs1.org/voc/Temperature'
    >>> canonical_value("urn:epcglobal:cbv:bt:4012345000009:ASN1099")
    'urn:epcglobal:cbv:bt:4012345000009:ASN1099'
    """
    value = value.strip()
    if value.startswith("urn:"):
        if value.startswith(_SGTIN):
            return _sgtin(value)
        if value.startswith(_SSCC):
            return _sscc(value)
        if value.startswith("urn:epc:"):
            return epc_uri_to_digital_link(value) or value
        if value.startswith("urn:epcglobal:cbv:"):
            return _cbv_urn(value)
        return value
    if value.startswith(("https://", "http://")):
        return canonical_digital_link(value) or value
    colon = value.find(":")
    if 0 < colon < 6:
        expansion = _CURIES.get(value[: colon + 1])
        if expansion is not None:
            return expansion + value[colon + 1 :]
    return value


#: An SGTIN URI with an all-alphanumeric serial: no escapes, nothing to trim or encode.
_PLAIN_SGTIN: Final = re.compile(r"urn:epc:id:sgtin:([0-9]+\.[0-9]+)\.([A-Za-z0-9]+)").fullmatch
_SGTIN_HEADS: Final[dict[str, str | None]] = {}
_SGTIN_HEADS_MAX: Final = 65536


def _sgtin_head(class_part: str) -> str | None:
    """``https://id.gs1.org/01/{gtin}/21/`` of ``CP.IR`` (None if it makes no GTIN), cached."""
    head = _SGTIN_HEADS.get(class_part, "")
    if head == "":
        if len(_SGTIN_HEADS) >= _SGTIN_HEADS_MAX:
            _SGTIN_HEADS.clear()
        company_prefix, _, indicator_item = class_part.partition(".")
        gtin = _gtin(company_prefix, indicator_item)
        head = None if gtin is None else f"{DL_ROOT}/01/{gtin}/21/"
        _SGTIN_HEADS[class_part] = head
    return head


def canonical_epcs(epcs: Iterable[str]) -> list[str]:
    """:func:`canonical_value` of every EPC of a list, in list order.

    The common SGTIN with a plain alphanumeric serial is converted with one regular expression
    and the Digital Link head cached per ``companyPrefix.itemReference``; anything else goes
    through :func:`canonical_value`.

    >>> canonical_epcs(
    ...     ["urn:epc:id:sgtin:4012345.011111.9876", " urn:epc:id:sscc:0614141.1234567890"]
    ... )
    ['https://id.gs1.org/01/04012345111118/21/9876', 'https://id.gs1.org/00/106141412345678908']
    """
    out: list[str] = []
    append = out.append
    heads = _SGTIN_HEADS
    for epc in epcs:
        match = _PLAIN_SGTIN(epc)
        if match is not None:
            class_part, serial = match.groups()
            head = heads.get(class_part, "")
            if head == "":
                head = _sgtin_head(class_part)
            if head is not None:
                append(head + serial)
                continue
        elif epc.startswith(_SSCC):
            link = _plain_sscc(epc)
            if link is not None:
                append(link)
                continue
        append(canonical_value(epc))
    return out


#: ``urn:epc:id:sgtin:CP.IR.`` with ASCII digits.
_PLAIN_SGTIN_HEAD: Final = re.compile(r"urn:epc:id:sgtin:[0-9]+\.[0-9]+\.").fullmatch
#: Whether each ``urn:epc:id:sgtin:CP.IR.`` met so far is one (a product's EPCs share it).
_PLAIN_HEADS: Final[dict[str, bool]] = {}


def _one_product_serials(ordered: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """``(urn_head, serials)`` when every EPC of the sorted list ``ordered`` is ``urn_head +
    serial``, ``urn_head`` being ``urn:epc:id:sgtin:CP.IR.`` (CP and IR ASCII digits) and each
    serial one or more ASCII letters and digits (written as they are in a Digital Link, see
    :func:`_enc`); ``None`` otherwise.

    What sorts between two strings shares their common prefix, so the head is checked on the
    first and the last EPC only; a bare head (an empty serial) would sort first.
    """
    first = ordered[0]
    if not first.startswith(_SGTIN):
        return None
    dot = first.find(".", _SGTIN_LEN)
    dot = first.find(".", dot + 1) if dot >= 0 else -1
    size = dot + 1
    urn_head = first[:size]
    if dot < 0 or len(first) == size or not ordered[-1].startswith(urn_head):
        return None
    plain = _PLAIN_HEADS.get(urn_head)
    if plain is None:
        if len(_PLAIN_HEADS) >= _SGTIN_HEADS_MAX:
            _PLAIN_HEADS.clear()
        plain = _PLAIN_HEADS[urn_head] = _PLAIN_SGTIN_HEAD(urn_head) is not None
    if not plain:
        return None
    serials = tuple(map(itemgetter(slice(size, None)), ordered))
    text = "".join(serials)
    # bytes.isalnum is true for ASCII letters and digits only (str.isalnum takes any script).
    if not (text.isascii() and text.encode().isalnum()):
        return None
    return urn_head, serials


#: The last few EPC tuples analysed by :func:`one_product_serials` and the outcome, by the
#: identity of the tuple (kept here, so that its id cannot be reused while remembered).
_PRODUCT_LISTS: Final[dict[int, tuple[tuple[str, ...], tuple[str, tuple[str, ...]] | None]]] = {}
_PRODUCT_LISTS_MAX: Final = 8


def one_product_serials(epcs: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """``(urn_head, serials)`` of an EPC list of one product (see :func:`_one_product_serials`),
    the serials in the sorted order of the EPCs (CBV 2.0 §8.9 sorts list entries); ``None``
    for an empty list or any other list.

    Validation (EPC URI syntax, EPC TDS §6.3.1) and the event hash both need this for the same
    EPC list of the same event, one after the other: the outcome for the last few tuples
    (immutable, as in the model) is remembered by identity, so the list is sorted and split
    once. A list is not remembered (it could change in between).

    >>> one_product_serials(
    ...     ("urn:epc:id:sgtin:4012345.011111.B", "urn:epc:id:sgtin:4012345.011111.A")
    ... )
    ('urn:epc:id:sgtin:4012345.011111.', ('A', 'B'))
    """
    if type(epcs) is not tuple:
        return _one_product_serials(sorted(epcs)) if epcs else None
    key = id(epcs)
    hit = _PRODUCT_LISTS.get(key)
    if hit is not None and hit[0] is epcs:
        return hit[1]
    found = _one_product_serials(sorted(epcs)) if epcs else None
    if len(_PRODUCT_LISTS) >= _PRODUCT_LISTS_MAX:
        _PRODUCT_LISTS.clear()
    _PRODUCT_LISTS[key] = (epcs, found)
    return found


def joined_canonical_epcs(epcs: Sequence[str], separator: str) -> str:
    """``separator`` before each :func:`canonical_value` of ``epcs``, sorted, as one string
    (the ``epcList=epc=…epc=…`` part of a CBV 2.0 §8.9 pre-hash).

    A list of SGTINs of one product with plain serials (a commissioning or packing event) is
    converted as a whole: the EPCs are sorted as URNs (with one common head, the order of
    their serials and so of their Digital Link URIs), and each serial is written after the
    one Digital Link head.

    >>> sgtins = ["urn:epc:id:sgtin:4012345.011111.B", "urn:epc:id:sgtin:4012345.011111.A"]
    >>> joined_canonical_epcs(sgtins, "|")
    '|https://id.gs1.org/01/04012345111118/21/A|https://id.gs1.org/01/04012345111118/21/B'
    """
    split = one_product_serials(epcs)
    if split is not None:
        urn_head, serials = split
        class_part = urn_head[_SGTIN_LEN:-1]
        head = _SGTIN_HEADS.get(class_part, "")
        if head == "":
            head = _sgtin_head(class_part)
        if head is not None:
            lead = separator + head
            return lead + lead.join(serials)
    return separator + separator.join(sorted(canonical_epcs(epcs)))
