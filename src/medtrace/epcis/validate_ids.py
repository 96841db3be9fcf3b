"""Identifier checks for EPCIS validation: EPCs, EPC classes, locations, parties, URIs.

EPCIS 2.0 lets every identifier field hold *any* URI (§7.3.3.2 "EPC", §7.3.4, §7.3.5.4), so a
value is only checked in depth when it claims a GS1 scheme:

* an EPC URI (``urn:epc:id:``, ``urn:epc:class:``, ``urn:epc:idpat:``; EPC TDS 2.1 §6, §8), read
  with :func:`medtrace.gs1.epc.parse_epc_urn` (field lengths, set-82 characters, escapes);
* a GS1 Digital Link URI (``http(s)://…/{AI}/{value}…`` whose path has a numeric Digital Link
  primary key AI followed by a value; CBV 2.0 §8.2, GS1 Digital Link 1.4), read with
  :class:`medtrace.gs1.digital_link.DigitalLink` (check digits, AI formats, qualifier order).

Each checker returns ``None`` when the value is acceptable, else a message naming the problem.

>>> check_instance_epc("urn:epc:id:sgtin:0614141.107346.2017") is None
True
>>> check_instance_epc("https://id.gs1.org/01/09521141012346/21/2017").message
'GS1 Digital Link https://id.gs1.org/01/09521141012346/21/2017 is invalid: AI (01) \
09521141012346: check digit 6 is wrong, expected 5'
>>> check_instance_epc("urn:example:my-thing:1") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from medtrace.epcis.hashing_canon import one_product_serials
from medtrace.gs1.ai import DL_PRIMARY_KEYS
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.epc import EpcPattern, parse_epc_urn
from medtrace.gs1.errors import Gs1Error

__all__ = [
    "IdProblem",
    "check_absolute_uri",
    "check_any_identifier",
    "check_class",
    "check_event_id",
    "check_instance_epc",
    "check_location",
    "check_party_or_location",
    "claims_digital_link",
    "fast_valid_instance_epcs",
    "is_absolute_uri",
]

#: RFC 3986 §3.1 scheme, then something, and no white space anywhere.
_ABSOLUTE_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")
_UUID_URN: Final = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
#: RFC 6920 named information: hex (CBV 2.0 §8.9 event hash) or base64url digest.
_NI_SHA256: Final = re.compile(r"ni:///sha-256;(?:[0-9a-fA-F]{64}|[A-Za-z0-9_\-]{43})(?:\?\S*)?\Z")
_EPC_URN_HEADS: Final = ("urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:")
#: EPC TDS 2.1 schemes that medtrace.gs1 does not decode field by field: accepted as is,
#: except ``pgln`` which is checked here (TDS 2.1 §6.3.20: CP + party reference = 12 digits).
_OTHER_TDS_SCHEMES: Final = frozenset(
    {
        "pgln", "gsrnp", "cpi", "itip", "upui", "sgcn", "ginc", "gsin", "gid", "usdod", "adi",
        "bic", "imovn",
    }
)  # fmt: skip
_GLN_DIGITS: Final = 12
_CP_MIN: Final = 6
_CP_MAX: Final = 12
_SCHEME_PART: Final = 3
_PGLN: Final = re.compile(r"urn:epc:id:pgln:(\d+)\.(\d*)\Z")
_LOCATION_KEYS: Final = frozenset({"414"})

# Fast path (a regular expression per common scheme) for the EPC URIs that
# :func:`medtrace.gs1.epc.parse_epc_urn` accepts; whatever it does not match goes through
# the full parser, so messages about invalid values are the parser's.
#: Set-82 characters an EPC URI may hold literally (TDS 2.1 §5), then the seven escapes.
_URN_PLAIN: Final = r"[A-Za-z0-9!'()*+,\-.:;=_]"
_URN_ESCAPE: Final = r"%(?:2[256Ff]|3[CcEeFf])"
#: 1 to 20 set-82 characters once unescaped (serial AI 21, SGLN extension AI 254); the
#: first alternative (no escape) is the common one and much the faster to match.
_URN_X20: Final = rf"(?:{_URN_PLAIN}{{1,20}}|(?:{_URN_PLAIN}|{_URN_ESCAPE}){{1,20}})"


def _numeric_pair(total: int, *, allow_empty: bool = False) -> str:
    """``CP.REST``: a 6 to 12 digit GS1 Company Prefix and digits making ``total`` together."""
    return "(?:{})".format(
        "|".join(
            rf"[0-9]{{{cp}}}\.[0-9]{{{total - cp}}}"
            for cp in range(_CP_MIN, _CP_MAX + 1)
            if total - cp > 0 or allow_empty
        )
    )


#: The well-formed SGTIN (TDS §6.3.1), SSCC (§6.3.2) and SGLN (§6.3.3) pure identity URIs.
_FAST_EPC: Final = (
    "urn:epc:id:(?:"
    rf"sgtin:{_numeric_pair(13)}\.{_URN_X20}"
    rf"|sscc:{_numeric_pair(17)}"
    rf"|sgln:{_numeric_pair(12, allow_empty=True)}\.{_URN_X20}"
    ")"
)
_fast_instance_epc: Final = re.compile(_FAST_EPC).fullmatch
#: Several of them, one a line (none of them holds a line break).
_fast_instance_epc_lines: Final = re.compile(rf"{_FAST_EPC}(?:\n{_FAST_EPC})*").fullmatch
#: Well-formed SGTINs of one ``companyPrefix.itemReference`` (the EPC list of a commissioning
#: or packing event), one a line: the class part is matched once, then back-referenced, and
#: the serials are 1 to 20 ASCII letters, digits or "_" (set-82 characters, TDS §5).
_SGTIN_HEAD: Final = "urn:epc:id:sgtin:"
_one_product_lines: Final = re.compile(
    rf"{_SGTIN_HEAD}({_numeric_pair(13)})\.\w{{1,20}}(?:\n{_SGTIN_HEAD}\1\.\w{{1,20}})*",
    re.ASCII,
).fullmatch
_sgtin_class_head: Final = re.compile(rf"{_SGTIN_HEAD}{_numeric_pair(13)}\.", re.ASCII).fullmatch
#: The longest SGTIN serial (AI 21: up to 20 characters; TDS §6.3.1).
_SERIAL_MAX: Final = 20


@lru_cache(maxsize=1024)
def _well_formed_sgtin_head(head: str) -> bool:
    """Whether ``head`` is ``urn:epc:id:sgtin:CP.IR.`` with a GS1 Company Prefix of 6 to 12
    digits and an indicator/item reference making 13 digits with it (TDS §6.3.1)."""
    return _sgtin_class_head(head) is not None


def fast_valid_instance_epcs(values: Iterable[str]) -> bool:
    """Whether every value is a well-formed SGTIN, SSCC or SGLN URI that
    :func:`check_instance_epc` accepts without problem (one regular expression each, no
    parsing). ``False`` only means "not sure": check those values one by one.

    >>> fast_valid_instance_epcs(["urn:epc:id:sgtin:0614141.812345.A%2F1"])
    True
    >>> fast_valid_instance_epcs(["urn:epc:id:sgtin:0614141.81234.6789"])
    False
    """
    values = tuple(values)
    if not values:
        return True
    # One product with plain serials: the split the event hash needs too (and remembers).
    product = one_product_serials(values)
    if (
        product is not None
        and _well_formed_sgtin_head(product[0])
        and max(map(len, product[1])) <= _SERIAL_MAX
    ):
        return True
    joined = "\n".join(values)
    # Lines of one product: one per value unless a value holds a line break.
    if (
        values[0].startswith(_SGTIN_HEAD)
        and _one_product_lines(joined) is not None
        and "\n" not in "".join(values)
    ):
        return True
    # One match over the lines is cheaper than one per value; a value holding a line break
    # would make an extra line (and no line may be empty), hence the count.
    return joined.count("\n") == len(values) - 1 and _fast_instance_epc_lines(joined) is not None


_PARTY_KEYS: Final = frozenset({"414", "417"})


class IdProblem(NamedTuple):
    """Why an identifier is refused; ``wrong_kind`` marks a well-formed identifier of the wrong
    level (a class where an instance is expected, or the reverse), which is only a warning."""

    message: str
    wrong_kind: bool = False


def is_absolute_uri(value: str) -> bool:
    """Whether ``value`` is an absolute URI (RFC 3986 §4.3: a scheme and no white space).

    >>> is_absolute_uri("urn:uuid:1234"), is_absolute_uri("shipping"), is_absolute_uri("a b:c")
    (True, False, False)
    """
    return _ABSOLUTE_URI.match(value) is not None


def check_absolute_uri(value: str, what: str) -> str | None:
    """``None`` if ``value`` is an absolute URI, else a message about ``what``."""
    if is_absolute_uri(value):
        return None
    return f"{what} {value!r} is not an absolute URI, expected scheme:… (RFC 3986)"


def check_event_id(value: str) -> str | None:
    """EPCIS 2.0 §7.4.1 eventID: a URI; ``urn:uuid:`` (RFC 4122) and ``ni:`` forms checked.

    >>> check_event_id("ni:///sha-256;" + "a" * 64 + "?ver=CBV2.0") is None
    True
    >>> check_event_id("urn:uuid:1234")
    "eventID 'urn:uuid:1234' is not a valid urn:uuid, expected urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-\
xxxxxxxxxxxx (RFC 4122)"
    """
    problem = check_absolute_uri(value, "eventID")
    if problem is not None:
        return problem
    lowered = value.lower()
    if lowered.startswith("urn:uuid:") and _UUID_URN.match(value) is None:
        return (
            f"eventID {value!r} is not a valid urn:uuid, expected "
            "urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (RFC 4122)"
        )
    if lowered.startswith("ni:") and _NI_SHA256.match(value) is None:
        return (
            f"eventID {value!r} is not a valid event hash, expected "
            "ni:///sha-256;<64 hex digits>?ver=CBV2.0 (CBV 2.0 §8.9, RFC 6920)"
        )
    return None


def claims_digital_link(value: str) -> bool:
    """Whether ``value`` is an http(s) URI whose path has a Digital Link primary key AI
    (numeric) followed by a value, i.e. it claims to be a GS1 Digital Link.

    >>> claims_digital_link("https://example.com/8004/401234599999")
    True
    >>> claims_digital_link("https://transaction.example.com/po/12345678")
    False
    """
    if not value.startswith(("https://", "http://")):
        return False
    segments = urlsplit(value).path.split("/")
    return any(
        segment in DL_PRIMARY_KEYS and index + 1 < len(segments) and segments[index + 1] != ""
        for index, segment in enumerate(segments)
    )


def _digital_link(value: str) -> tuple[DigitalLink | None, str | None]:
    try:
        return DigitalLink.parse(value), None
    except Gs1Error as exc:
        return None, f"GS1 Digital Link {value} is invalid: {exc}"


def _epc_urn_problem(value: str) -> str | None:
    """Parse an EPC URI; ``None`` when valid (or of a TDS scheme not decoded here)."""
    if _other_scheme(value):
        return _pgln_problem(value) if value.startswith("urn:epc:id:pgln:") else None
    try:
        parse_epc_urn(value)
    except Gs1Error as exc:
        return f"EPC URI {value} is invalid: {exc}"
    return None


def _pgln_problem(value: str) -> str | None:
    match = _PGLN.match(value)
    if match is None or not _CP_MIN <= len(match.group(1)) <= _CP_MAX:
        return (
            f"EPC URI {value} is invalid: expected urn:epc:id:pgln:CompanyPrefix.PartyRef "
            "with a 6 to 12 digit GS1 Company Prefix (EPC TDS §6.3.20)"
        )
    if len(match.group(1)) + len(match.group(2)) != _GLN_DIGITS:
        return (
            f"EPC URI {value} is invalid: GS1 Company Prefix and party reference have "
            f"{len(match.group(1)) + len(match.group(2))} digits together, expected 12 "
            "(EPC TDS §6.3.20)"
        )
    return None


def _wrong(message: str) -> IdProblem:
    return IdProblem(message, wrong_kind=True)


def _other_scheme(value: str) -> bool:
    """Whether an EPC URI uses a TDS scheme medtrace does not decode field by field."""
    parts = value.split(":", 4)
    return len(parts) > _SCHEME_PART and parts[_SCHEME_PART] in _OTHER_TDS_SCHEMES


def _problem(message: str | None) -> IdProblem | None:
    return None if message is None else IdProblem(message)


def check_instance_epc(value: str) -> IdProblem | None:
    """An EPC naming one object (epcList, childEPCs, parentID, input/output EPCs; EPCIS 2.0
    §7.3.3.2): a valid pure-identity EPC URI or instance-level Digital Link, or another URI."""
    if _fast_instance_epc(value) is not None:
        return None
    if value.startswith(_EPC_URN_HEADS):
        if not value.startswith("urn:epc:id:"):
            problem = _epc_urn_problem(value)
            if problem is not None:
                return IdProblem(problem)
            return _wrong(
                f"{value} is an EPC class or pattern, expected an instance-level EPC "
                "(urn:epc:id:…) (EPCIS 2.0 §7.3.3.2)"
            )
        return _problem(_epc_urn_problem(value))
    if claims_digital_link(value):
        link, problem = _digital_link(value)
        if link is None:
            return _problem(problem)
        key = link.primary_key.ai
        if key in {"01", "8006"} and "21" not in {q.ai for q in link.qualifiers}:
            return _wrong(
                f"GS1 Digital Link {value} identifies a class of trade items (no AI 21 serial), "
                "expected an instance-level identifier; a class belongs in a quantityList "
                "(EPCIS 2.0 §7.3.3.2, CBV 2.0 §8.2)"
            )
        return None
    return _problem(check_absolute_uri(value, "EPC"))


def check_class(value: str) -> IdProblem | None:
    """An EPC class of a quantity element (EPCIS 2.0 §7.3.3.3, CBV 2.0 §8.3.1):
    ``urn:epc:class:lgtin:``, an ``urn:epc:idpat:`` pattern, a Digital Link with AI 01 (and
    optional 22/10, no 21), or another URI."""
    if value.startswith("urn:epc:id:"):
        problem = _epc_urn_problem(value)
        if problem is not None:
            return IdProblem(problem)
        return _wrong(
            f"{value} is an instance-level EPC, expected an EPC class "
            "(urn:epc:class:lgtin:…, urn:epc:idpat:…) (EPCIS 2.0 §7.3.3.3)"
        )
    if value.startswith("urn:epc:idpat:"):
        if _other_scheme(value):
            return None
        try:
            EpcPattern.parse(value)
        except Gs1Error as exc:
            return IdProblem(f"EPC pattern {value} is invalid: {exc}")
        return None
    if value.startswith("urn:epc:class:"):
        return _problem(_epc_urn_problem(value))
    if claims_digital_link(value):
        link, problem = _digital_link(value)
        if link is None:
            return _problem(problem)
        if "21" in {q.ai for q in link.qualifiers}:
            return _wrong(
                f"GS1 Digital Link {value} has a serial number (AI 21), expected a class-level "
                "identifier such as /01/{gtin} or /01/{gtin}/10/{lot} (EPCIS 2.0 §7.3.3.3)"
            )
        return None
    return _problem(check_absolute_uri(value, "EPC class"))


def _keyed(value: str, keys: frozenset[str], what: str) -> IdProblem | None:
    if value.startswith(_EPC_URN_HEADS):
        if _fast_instance_epc(value) is not None:
            return None
        return _problem(_epc_urn_problem(value))
    if claims_digital_link(value):
        link, problem = _digital_link(value)
        if link is None:
            return _problem(problem)
        if link.primary_key.ai not in keys:
            expected = " or ".join(f"AI ({key})" for key in sorted(keys))
            return _wrong(f"GS1 Digital Link {value} is not a {what}, expected {expected}")
        return None
    return _problem(check_absolute_uri(value, what))


def check_location(value: str) -> IdProblem | None:
    """A readPoint or bizLocation id (EPCIS 2.0 §7.3.4, CBV 2.0 §8.4): SGLN URN, Digital Link
    with AI 414 (and 254), or another URI."""
    return _keyed(value, _LOCATION_KEYS, "location identifier")


def check_party_or_location(value: str) -> IdProblem | None:
    """A source or destination (EPCIS 2.0 §7.3.5.4, CBV 2.0 §8.5): SGLN/PGLN URN, Digital Link
    with AI 414 or 417, or another URI."""
    return _keyed(value, _PARTY_KEYS, "party or location identifier")


def check_any_identifier(value: str, what: str) -> IdProblem | None:
    """Any URI (business transaction, transformation ID, device ID; EPCIS 2.0 §7.3.5.3,
    §7.4.6, §7.3.7): checked as an EPC URI or Digital Link when it claims to be one.

    >>> check_any_identifier("urn:epc:id:gdti:0614141.00001.1618034", "bizTransaction") is None
    True
    """
    if value.startswith(_EPC_URN_HEADS):
        return _problem(_epc_urn_problem(value))
    if claims_digital_link(value):
        return _problem(_digital_link(value)[1])
    return _problem(check_absolute_uri(value, what))
