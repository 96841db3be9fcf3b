"""One place to convert GS1 identifiers between their written forms, and to recognise any of them.

The forms (and the standards that define them):

* element strings, HRI ``(01)...(21)...`` and raw scanner data (GS1 General Specifications §3,
  §7.8), :mod:`medtrace.gs1.element_string`;
* GS1 Digital Link URIs, canonical on ``https://id.gs1.org`` (GS1 Digital Link 1.4 §6),
  :mod:`medtrace.gs1.digital_link`;
* EPC pure identity, class and pattern URIs (EPC Tag Data Standard 2.1 §6, §8), :mod:`.epc`;
* EPC tag URIs and RFID binary as hex (EPC TDS §12, §14), :mod:`.rfid`.

The hub is the :class:`~medtrace.gs1.element_string.Gs1Message`: every input becomes one, and every
output is written from one. Only EPC forms need the GS1 Company Prefix length; it comes from the
input itself (an EPC URN or RFID tag carries it), from ``gcp_length``, or from a
:class:`~medtrace.gs1.prefix.PrefixRegistry` — never from a guess (:mod:`medtrace.gs1.prefix`).

>>> to_urn(parse_element_string("(01)00312345678906(21)0012"), gcp_length=7)
'urn:epc:id:sgtin:0312345.067890.0012'
>>> to_digital_link(SgtinUrn.parse("urn:epc:id:sgtin:0312345.067890.A%2F1"))
'https://id.gs1.org/01/00312345678906/21/A%2F1'
>>> parsed = parse_any("https://id.gs1.org/01/00312345678906/21/0012", gcp_length=7)
>>> parsed.form, dict(parsed.interpretations)["EPC URN"]
(<InputForm.DIGITAL_LINK: 'GS1 Digital Link URI'>, 'urn:epc:id:sgtin:0312345.067890.0012')
"""

from __future__ import annotations

import enum
import string
from dataclasses import dataclass, field
from typing import Final, Literal

from medtrace.gs1.ai import lookup
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import GS, Gs1Message, format_hri, format_raw
from medtrace.gs1.element_string import parse as parse_element_string
from medtrace.gs1.epc import (
    EpcKey,
    EpcPattern,
    EpcUri,
    GdtiUrn,
    GiaiUrn,
    GraiUrn,
    GsrnUrn,
    SgtinUrn,
    SsccUrn,
    epc_from_key,
    parse_epc_urn,
)
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.gtin import GTIN_LENGTHS, Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.prefix import DEFAULT_REGISTRY, PrefixRegistry, resolve_gcp_length
from medtrace.gs1.product import Lgtin, ProductIdentifier, Sgtin
from medtrace.gs1.rfid import HEADERS, RfidScheme, RfidTag, encode, sgtin96_serial_problem

Key = Gtin | Sgtin | Lgtin | Sscc | Gln | Sgln | ProductIdentifier
"""The typed GS1 keys :func:`parse_any` finds."""


class InputForm(enum.StrEnum):
    """The written forms :func:`parse_any` recognises."""

    ELEMENT_STRING_HRI = "GS1 element string (HRI)"
    ELEMENT_STRING_RAW = "GS1 element string (raw scanner data)"
    BARE_GTIN = "GTIN (digits only)"
    DIGITAL_LINK = "GS1 Digital Link URI"
    EPC_PURE_IDENTITY = "EPC pure identity URI"
    EPC_CLASS = "EPC class URI"
    EPC_PATTERN = "EPC pattern URI"
    EPC_TAG_URI = "EPC tag URI"
    RFID_HEX = "RFID EPC binary (hex)"


@dataclass(frozen=True, slots=True)
class ParsedIdentifier:
    """What :func:`parse_any` made of a text: its form, typed keys and every other reading.

    ``interpretations`` are ``(label, value)`` pairs ready to print, in a stable order;
    ``problems`` say what could not be shown and why (for example an unknown company prefix
    length, so no EPC URN). ``message`` is ``None`` only for an EPC pattern that names no GTIN.
    """

    text: str
    form: InputForm
    message: Gs1Message | None
    keys: tuple[Key, ...] = ()
    epc: EpcUri | EpcPattern | None = None
    rfid: RfidTag | None = None
    interpretations: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = field(default=())


Identifier = (
    Gtin
    | Sgtin
    | Lgtin
    | Sscc
    | Gln
    | Sgln
    | ProductIdentifier
    | Gs1Message
    | DigitalLink
    | EpcUri
    | EpcPattern
    | RfidTag
    | ParsedIdentifier
)
"""Everything the ``to_*`` functions accept."""

_URN_PREFIX: Final = "urn:epc:"
_TAG_URI_PREFIX: Final = "urn:epc:tag:"
_HEX_DIGITS: Final = frozenset(string.hexdigits)
_RFID_HEX_HEADERS: Final = frozenset(f"{value:02X}" for value in HEADERS.values())
_RFID_HEX_LENGTHS: Final = frozenset({24, 50, 51, 52})
"""Hex digits of a 96-bit and of a 198-bit encoding (the latter padded to 16-bit words or not)."""
_EPC_ASSETS: Final = ("8003", "8004", "8018", "253")


def to_message(x: Identifier) -> Gs1Message:
    """The GS1 element strings ``x`` stands for (check digits recomputed from EPC forms).

    >>> format_hri(to_message(Sgln(Gln.parse("0614141000005"), "A1")))
    '(414)0614141000005(254)A1'
    """
    if isinstance(x, Gs1Message):
        return x
    if isinstance(x, ParsedIdentifier):
        if x.message is None:
            raise Gs1Error(f"{x.text} names no GS1 key, so it has no element string")
        return x.message
    if isinstance(x, DigitalLink):
        return x.to_message()
    if isinstance(x, RfidTag):
        return Gs1Message.of(*x.epc.element_pairs())
    if isinstance(x, EpcUri):
        return Gs1Message.of(*x.element_pairs())
    if isinstance(x, EpcPattern):
        return Gs1Message.of(("01", _pattern_gtin(x).value))
    return Gs1Message.of(*_key_pairs(x))


def _key_pairs(key: Key) -> tuple[tuple[str, str], ...]:
    if isinstance(key, Gtin):
        return (("01", key.value),)
    if isinstance(key, Sgtin):
        return (("01", key.gtin.value), ("21", key.serial))
    if isinstance(key, Lgtin):
        return (("01", key.gtin.value), ("10", key.lot))
    if isinstance(key, ProductIdentifier):
        return (
            ("01", key.gtin.value),
            ("17", key.expiry.yymmdd),
            ("10", key.lot),
            ("21", key.serial),
        )
    if isinstance(key, Sscc):
        return (("00", key.value),)
    sgln = key if isinstance(key, Sgln) else Sgln(key)
    if sgln.has_extension:
        return (("414", sgln.gln.value), ("254", sgln.extension))
    return (("414", sgln.gln.value),)


def _pattern_gtin(pattern: EpcPattern) -> Gtin:
    company_prefix, item_reference = pattern.values[0], pattern.values[1]
    if pattern.scheme != "sgtin" or company_prefix is None or item_reference is None:
        raise Gs1Error(
            f"EPC pattern {pattern} names no single GTIN, so it has no element string; "
            "expected urn:epc:idpat:sgtin:CP.IR.* or a pure identity",
            value=str(pattern),
        )
    return Gtin.from_parts(company_prefix, item_reference)


def to_element_string(
    x: Identifier,
    *,
    form: Literal["hri", "raw"] = "hri",
    symbology: str | None = None,
    separator: str = GS,
) -> str:
    """The element string of ``x``: HRI, or raw data (FNC1 sent as ``separator``) (§7.8.5).

    >>> to_element_string(SsccUrn.parse("urn:epc:id:sscc:0614141.1234567890"))
    '(00)106141412345678908'
    >>> to_element_string(Lgtin(Gtin.parse("00312345678906"), "L1"), form="raw", symbology="]d2")
    ']d2010031234567890610L1'
    """
    message = to_message(x)
    if form == "hri":
        return format_hri(message)
    if form == "raw":
        return format_raw(message, symbology=symbology, separator=separator)
    raise Gs1Error(f"element string form {form!r} is not known, expected 'hri' or 'raw'")


def to_digital_link(x: Identifier) -> str:
    """The canonical GS1 Digital Link URI of ``x`` on ``https://id.gs1.org`` (DL 1.4 §6).

    >>> to_digital_link(Sgtin(Gtin.parse("00312345678906"), "0012"))
    'https://id.gs1.org/01/00312345678906/21/0012'
    """
    if isinstance(x, DigitalLink):
        return x.canonical()
    return DigitalLink.from_message(to_message(x)).canonical()


def to_urn(
    x: Identifier, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
) -> str:
    """The EPC URI of ``x`` (EPC TDS §6, §8).

    * a serialised GTIN (AIs 01 + 21, also with 10 and 17) → ``urn:epc:id:sgtin:``;
    * a GTIN + lot without serial → the class ``urn:epc:class:lgtin:``;
    * a GTIN alone → the pattern ``urn:epc:idpat:sgtin:CP.IR.*`` (every instance of it);
    * SSCC → ``sscc``; GLN (+ AI 254) → ``sgln``; AIs 8003, 8004, 8018, 253 → ``grai``,
      ``giai``, ``gsrn``, ``gdti``.

    EPC forms keep the company prefix they carry; other forms need ``gcp_length`` or a
    ``registry`` (default: the process-wide one), else :class:`CompanyPrefixError`.

    >>> to_urn(Gtin.parse("00312345678906"), gcp_length=7)
    'urn:epc:idpat:sgtin:0312345.067890.*'
    """
    if isinstance(x, (EpcUri, EpcPattern)):
        return str(x)
    if isinstance(x, RfidTag):
        return str(x.epc)
    if isinstance(x, ParsedIdentifier) and x.epc is not None:
        return str(x.epc)
    key: Key | Gs1Message
    key = to_message(x) if not isinstance(x, Key) else x
    if isinstance(key, Gs1Message):
        key = _message_key(key)
        if isinstance(key, Gs1Message):
            return str(_asset_urn(key, gcp_length=gcp_length, registry=registry))
    if isinstance(key, Gtin):
        length = resolve_gcp_length(key, gcp_length, registry=registry)
        company_prefix, item_reference = key.split(length)
        return str(EpcPattern("sgtin", (company_prefix, item_reference, None)))
    epc_key: EpcKey = key.sgtin if isinstance(key, ProductIdentifier) else key
    return str(epc_from_key(epc_key, gcp_length=gcp_length, registry=registry))


def _message_key(message: Gs1Message) -> Key | Gs1Message:
    """The one key an EPC URI is made of; the message itself for the asset AIs."""
    if message.get("00") is not None:
        return message.sscc()
    gtin_text = message.get("01")
    if gtin_text is not None:
        gtin = Gtin(gtin_text)
        serial, lot = message.get("21"), message.get("10")
        if serial is not None:
            return Sgtin(gtin, serial)
        if lot is not None:
            return Lgtin(gtin, lot)
        return gtin
    gln = message.get("414")
    if gln is not None:
        return Sgln(Gln(gln), message.get("254") or Sgln.NO_EXTENSION)
    if any(message.get(ai) is not None for ai in _EPC_ASSETS):
        return message
    raise Gs1Error(
        f"message {format_hri(message)} holds no GS1 key with an EPC scheme, expected one of "
        "AIs 00, 01, 414, 8003, 8004, 8018, 253"
    )


def _asset_urn(
    message: Gs1Message, *, gcp_length: int | None, registry: PrefixRegistry | None
) -> EpcUri:
    """GRAI, GIAI, GSRN or GDTI URN of the first such AI in ``message`` (EPC TDS §6.3.4-§6.3.7)."""
    ai = next(ai for ai in _EPC_ASSETS if message.get(ai) is not None)
    value = message.get(ai) or ""
    names = {"8003": "GRAI", "8004": "GIAI", "8018": "GSRN", "253": "GDTI"}
    body, serial = (value[1:13], value[14:]) if ai == "8003" else (value[:12], value[13:])
    if ai in {"8003", "253"} and not serial:
        raise Gs1Error(
            f"{names[ai]} without a serial component has no EPC (EPC TDS §6.3), expected a "
            "serial after the check digit",
            ai=ai,
            value=value,
        )
    digits = value[1:] if ai == "8003" else value
    length = (registry or DEFAULT_REGISTRY).resolve_digits(
        digits, gcp_length, name=names[ai], ai=ai, value=value
    )
    if ai == "8004":
        return GiaiUrn(value[:length], value[length:])
    if ai == "8018":
        return GsrnUrn(value[:length], value[length:-1])
    urn_class = GraiUrn if ai == "8003" else GdtiUrn
    return urn_class(body[:length], body[length:], serial)


def to_rfid(
    x: Identifier,
    *,
    scheme: RfidScheme | str | None = None,
    filter_value: int | None = None,
    gcp_length: int | None = None,
    registry: PrefixRegistry | None = None,
) -> str:
    """The RFID EPC binary of ``x`` as upper-case hex (EPC TDS §14).

    ``scheme`` defaults to the tag's own for RFID input, else SSCC-96 for an SSCC and SGTIN-198
    for an SGTIN (every serial fits; ask for ``"sgtin-96"`` for numeric serials).
    ``filter_value`` defaults to the tag's own, else 0.

    >>> to_rfid(SgtinUrn.parse("urn:epc:id:sgtin:0614141.812345.6789"), scheme="sgtin-96",
    ...         filter_value=3)
    '3074257BF7194E4000001A85'
    """
    if isinstance(x, RfidTag):
        return encode(
            x.epc,
            scheme=x.scheme if scheme is None else scheme,
            filter_value=x.filter_value if filter_value is None else filter_value,
        ).hex
    if isinstance(x, ParsedIdentifier) and x.rfid is not None:
        return to_rfid(x.rfid, scheme=scheme, filter_value=filter_value)
    epc = x.epc if isinstance(x, ParsedIdentifier) else x
    if isinstance(epc, (SgtinUrn, SsccUrn)):
        return encode(epc, scheme=scheme, filter_value=filter_value or 0).hex
    key: object = x if isinstance(x, Key) else _message_key(to_message(x))
    if isinstance(key, ProductIdentifier):
        key = key.sgtin
    if not isinstance(key, (Sgtin, Sscc)):
        raise Gs1Error(
            "RFID encoding covers SGTIN (AIs 01 + 21) and SSCC (AI 00) only, "
            f"got {to_element_string(x)}"
        )
    return encode(
        key,
        scheme=scheme,
        filter_value=filter_value or 0,
        gcp_length=gcp_length,
        registry=registry,
    ).hex


def parse_any(
    text: str, *, gcp_length: int | None = None, registry: PrefixRegistry | None = None
) -> ParsedIdentifier:
    """Recognise ``text`` in any supported form and read it into typed keys and every other form.

    Recognised: EPC tag URIs (``urn:epc:tag:``), EPC pure identity, class and pattern URIs
    (``urn:epc:``), Digital Link URIs (``http(s)://``), RFID hex (24 or 50-52 hex digits opening
    with an SGTIN-96, SGTIN-198 or SSCC-96 header and holding a letter A-F, or digits that are no
    element string), bare GTINs (8, 12, 13 or 14 digits with a valid check digit), and element
    strings in HRI or raw form (with or without a symbology identifier). A text that fits none
    raises the error of the form it looks most like.

    >>> p = parse_any("3074257BF7194E4000001A85")
    >>> p.form.name, [str(k) for k in p.keys]
    ('RFID_HEX', ['(01)80614141123458(21)6789', '80614141123458'])
    """
    stripped = text.strip(" \t\r\n")
    if stripped.startswith(_TAG_URI_PREFIX):
        tag = RfidTag.from_tag_uri(stripped)
        return _from_rfid(text, InputForm.EPC_TAG_URI, tag, registry)
    if stripped.startswith(_URN_PREFIX):
        epc = parse_epc_urn(stripped)
        return _from_epc(text, epc, registry)
    if stripped.startswith(("http://", "https://")):
        link = DigitalLink.parse(stripped)
        return _from_message(
            text,
            InputForm.DIGITAL_LINK,
            link.to_message(),
            gcp_length=gcp_length,
            registry=registry,
        )
    if _looks_like_rfid_hex(stripped):
        if not stripped.isdigit():
            return _from_rfid(text, InputForm.RFID_HEX, RfidTag.from_hex(stripped), registry)
        try:
            message = parse_element_string(stripped)
        except Gs1Error:
            return _from_rfid(text, InputForm.RFID_HEX, RfidTag.from_hex(stripped), registry)
        note = f"{stripped} may also be RFID hex; read as an element string"
        return _from_message(
            text,
            _element_form(stripped),
            message,
            gcp_length=gcp_length,
            registry=registry,
            notes=(note,),
        )
    if stripped.isascii() and stripped.isdigit() and len(stripped) in GTIN_LENGTHS:
        gtin = _bare_gtin(stripped)
        if gtin is not None:
            return _bare_gtin_result(text, stripped, gtin, gcp_length, registry)
    message = parse_element_string(stripped)
    return _from_message(
        text, _element_form(stripped), message, gcp_length=gcp_length, registry=registry
    )


def _element_form(text: str) -> InputForm:
    body = text[3:] if text.startswith("]") else text
    if body.lstrip().startswith("("):
        return InputForm.ELEMENT_STRING_HRI
    return InputForm.ELEMENT_STRING_RAW


def _looks_like_rfid_hex(text: str) -> bool:
    return (
        len(text) in _RFID_HEX_LENGTHS
        and all(char in _HEX_DIGITS for char in text)
        and text[:2].upper() in _RFID_HEX_HEADERS
    )


def _bare_gtin(text: str) -> Gtin | None:
    try:
        return Gtin.parse(text)
    except Gs1Error:
        return None


def _bare_gtin_result(
    text: str, digits: str, gtin: Gtin, gcp_length: int | None, registry: PrefixRegistry | None
) -> ParsedIdentifier:
    notes: tuple[str, ...] = ()
    try:
        raw = parse_element_string(digits)
    except Gs1Error:
        pass
    else:
        notes = (f"{digits} also reads as raw element string {format_hri(raw)}; read as a GTIN",)
    message = Gs1Message.of(("01", gtin.value))
    return _from_message(
        text, InputForm.BARE_GTIN, message, gcp_length=gcp_length, registry=registry, notes=notes
    )


def _from_rfid(
    text: str, form: InputForm, tag: RfidTag, registry: PrefixRegistry | None
) -> ParsedIdentifier:
    length = len(tag.epc.company_prefix)
    message = Gs1Message.of(*tag.epc.element_pairs())
    base = _from_message(text, form, message, gcp_length=length, registry=registry)
    rfid_lines = (
        ("EPC tag URI", tag.tag_uri),
        ("RFID hex", tag.hex),
        ("RFID filter value", str(tag.filter_value)),
    )
    return ParsedIdentifier(
        text=text,
        form=form,
        message=base.message,
        keys=base.keys,
        epc=tag.epc,
        rfid=tag,
        interpretations=(("form", str(form)), *rfid_lines, *base.interpretations[1:]),
        problems=base.problems,
    )


def _from_epc(
    text: str, epc: EpcUri | EpcPattern, registry: PrefixRegistry | None
) -> ParsedIdentifier:
    if isinstance(epc, EpcPattern):
        form = InputForm.EPC_PATTERN
        if epc.scheme != "sgtin" or None in epc.values[:2]:
            lines = (("form", str(form)), ("EPC pattern", str(epc)))
            return ParsedIdentifier(text, form, None, epc=epc, interpretations=lines)
        message = to_message(epc)
        length = len(epc.values[0] or "")
    else:
        form = InputForm.EPC_CLASS if epc.KIND == "class" else InputForm.EPC_PURE_IDENTITY
        message = Gs1Message.of(*epc.element_pairs())
        length = len(epc.company_prefix)
    base = _from_message(text, form, message, gcp_length=length, registry=registry)
    return ParsedIdentifier(
        text=text,
        form=form,
        message=message,
        keys=base.keys,
        epc=epc,
        interpretations=base.interpretations,
        problems=base.problems,
    )


def _keys_of(message: Gs1Message) -> tuple[Key, ...]:
    keys: list[Key] = []
    values = message.as_dict()
    if "01" in values:
        gtin = Gtin(values["01"])
        if {"21", "10", "17"} <= values.keys():
            keys.append(message.product_identifier())
        if "21" in values:
            keys.append(Sgtin(gtin, values["21"]))
        if "10" in values:
            keys.append(Lgtin(gtin, values["10"]))
        keys.append(gtin)
    if "00" in values:
        keys.append(Sscc(values["00"]))
    if "414" in values:
        keys.append(Sgln(Gln(values["414"]), values.get("254", Sgln.NO_EXTENSION)))
    return tuple(keys)


def _element_lines(message: Gs1Message) -> list[tuple[str, str]]:
    lines = []
    for element in message:
        value = element.value
        if element.ai in {"11", "12", "13", "15", "16", "17"}:
            value = f"{value} ({Gs1Date.parse(value).isoformat()})"
        lines.append((f"({element.ai}) {lookup(element.ai).data_title}", value))
    return lines


def _from_message(
    text: str,
    form: InputForm,
    message: Gs1Message,
    *,
    gcp_length: int | None,
    registry: PrefixRegistry | None,
    notes: tuple[str, ...] = (),
) -> ParsedIdentifier:
    problems = list(notes)
    lines: list[tuple[str, str]] = [("form", str(form))]
    lines.extend(_element_lines(message))
    gtin_text = message.get("01")
    if gtin_text is not None:
        try:
            ndcs = Ndc.from_gtin(Gtin(gtin_text))
        except Gs1Error:
            pass
        else:
            lines.append(("NDC (possible readings)", ", ".join(str(ndc) for ndc in ndcs)))
    lines.append(("element string (HRI)", format_hri(message)))
    lines.append(("element string (raw, GS as <GS>)", format_raw(message, separator="<GS>")))
    try:
        lines.append(("GS1 Digital Link", to_digital_link(message)))
    except Gs1Error as error:
        problems.append(f"no GS1 Digital Link: {error}")
    try:
        lines.append(("EPC URN", to_urn(message, gcp_length=gcp_length, registry=registry)))
    except Gs1Error as error:
        problems.append(f"no EPC URN: {error}")
    serial = message.get("21")
    if serial is not None and message.get("01") is not None:
        problem = sgtin96_serial_problem(serial)
        schemes = (
            "sgtin-96, sgtin-198" if problem is None else f"sgtin-198 (not sgtin-96: {problem})"
        )
        lines.append(("RFID schemes for this serial", schemes))
    return ParsedIdentifier(
        text=text,
        form=form,
        message=message,
        keys=_keys_of(message),
        interpretations=tuple(lines),
        problems=tuple(problems),
    )


__all__ = [
    "Identifier",
    "InputForm",
    "Key",
    "ParsedIdentifier",
    "parse_any",
    "to_digital_link",
    "to_element_string",
    "to_message",
    "to_rfid",
    "to_urn",
]
