"""The values of the ``MATCH_`` query parameters (EPCIS 2.0 §8.2.7.1.1).

A ``MATCH_epc``/``MATCH_epcClass``/… value is one of

* an **EPC pattern URI** (GS1 TDS 2.0 §8, ``urn:epc:idpat:sgtin:0614141.107346.*``): the fixed
  leading components must be equal and each trailing ``*`` matches any value. TDS only allows
  ``*`` for trailing components, so a pattern is a *prefix* on the pure-identity URN
  (``urn:epc:id:sgtin:0614141.107346.``): the store can run it as ``LIKE 'prefix%'``. It also
  matches class-level values: pattern URIs inside the pattern (``urn:epc:idpat:sgtin:0614141.
  107346.*`` is matched by ``…:0614141.*.*``) and, for ``sgtin``, LGTIN classes
  (``urn:epc:class:lgtin:0614141.107346.LOT1``);
* any other URI (a pure-identity EPC URN, a class URN, a GS1 Digital Link URI, a private
  URI), which matches by equality. Digital Link URIs are flagged so that the store can convert
  them to its canonical key first: this layer has no company-prefix table.

>>> pattern = parse_pattern("urn:epc:idpat:sgtin:0614141.107346.*")
>>> pattern.prefixes[0]
'urn:epc:id:sgtin:0614141.107346.'
>>> pattern.matches("urn:epc:id:sgtin:0614141.107346.2018")
True
>>> pattern.matches("urn:epc:id:sgtin:0614141.107347.2018")
False
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

import msgspec

from medtrace.epcis.query_values import InvalidValueError, parse_uri

__all__ = ["EpcPattern", "PatternKind", "parse_pattern"]

_IDPAT = re.compile(r"urn:epc:idpat:(?P<scheme>[a-z0-9]+(?:-[a-z0-9]+)*):(?P<body>.+)")
_DIGITAL_LINK = re.compile(
    r"https?://[^/?#]+(?:/[^?#]*)?/(?:00|01|253|255|401|402|414|417|8003|8004|8006|8010|8013"
    r"|8017|8018)/[^/?#]+.*"
)
_COMPONENT = re.compile(r"[^*\s]+|\*")

#: Number of ``.``-separated components of the EPC schemes of GS1 TDS 2.0 §6 (the last one,
#: a serial, may itself contain ``.``); schemes not listed here are checked for syntax only.
_ARITY: Final[dict[str, int]] = {
    "sgtin": 3, "sscc": 2, "sgln": 3, "grai": 3, "giai": 2, "gsrn": 2, "gsrnp": 2, "gdti": 3,
    "cpi": 3, "sgcn": 3, "ginc": 2, "gsin": 2, "itip": 5, "upui": 3, "pgln": 2, "gid": 3,
    "usdod": 2, "adi": 3, "bic": 1, "imovn": 1,
}  # fmt: skip


class PatternKind(StrEnum):
    """How an :class:`EpcPattern` matches."""

    #: An EPC pattern URI (``urn:epc:idpat:``): prefix match on its fixed components.
    EPC_PATTERN = "epc_pattern"
    #: A GS1 Digital Link URI: equality, after the store converts it to its canonical key.
    DIGITAL_LINK = "digital_link"
    #: Any other URI: equality.
    EXACT = "exact"


class EpcPattern(msgspec.Struct, frozen=True, kw_only=True):
    """One value of a ``MATCH_`` parameter, typed for SQL (EPCIS 2.0 §8.2.7.1.1).

    ``uri`` is the value as given. The store matches a candidate when it is equal to one of
    ``exact`` or starts with one of ``prefixes``; :meth:`matches` is the reference semantics.
    """

    uri: str
    kind: PatternKind
    exact: tuple[str, ...]
    prefixes: tuple[str, ...] = ()

    def matches(self, candidate: str) -> bool:
        """Whether an EPC, EPC class or pattern URI ``candidate`` is matched by this value.

        >>> parse_pattern("urn:epc:idpat:sgtin:0614141.*.*").matches(
        ...     "urn:epc:class:lgtin:0614141.107346.LOT1")
        True
        """
        return candidate in self.exact or any(candidate.startswith(p) for p in self.prefixes)


def parse_pattern(text: str) -> EpcPattern:
    """A ``MATCH_`` value as an :class:`EpcPattern`; malformed EPC pattern URIs are refused.

    >>> parse_pattern("urn:epc:idpat:sscc:0614141.1234567890").exact
    ('urn:epc:id:sscc:0614141.1234567890', 'urn:epc:idpat:sscc:0614141.1234567890')
    """
    parse_uri(text)
    match = _IDPAT.fullmatch(text)
    if match is None:
        kind = PatternKind.DIGITAL_LINK if _DIGITAL_LINK.fullmatch(text) else PatternKind.EXACT
        return EpcPattern(uri=text, kind=kind, exact=(text,))
    scheme = match["scheme"]
    arity = _ARITY.get(scheme)
    parts = match["body"].split(".")
    if arity is not None and len(parts) > arity:
        # the last component (a serial) may contain '.'
        parts = [*parts[: arity - 1], ".".join(parts[arity - 1 :])]
    if (arity is not None and len(parts) != arity) or not all(
        _COMPONENT.fullmatch(part) for part in parts
    ):
        raise InvalidValueError(
            f"malformed EPC pattern for scheme {scheme!r}"
            + (f": expected {arity} '.'-separated components or '*'" if arity else "")
        )
    fixed = [part for part in parts if part != "*"]
    if parts[: len(fixed)] != fixed:
        raise InvalidValueError("in an EPC pattern only trailing components may be '*'")
    pure = f"urn:epc:id:{scheme}:"
    if len(fixed) == len(parts):
        return EpcPattern(
            uri=text, kind=PatternKind.EPC_PATTERN, exact=(pure + match["body"], text)
        )
    stem = "".join(part + "." for part in fixed)
    prefixes = [pure + stem, f"urn:epc:idpat:{scheme}:{stem}"]
    if scheme == "sgtin":
        prefixes.append("urn:epc:class:lgtin:" + stem)
    return EpcPattern(uri=text, kind=PatternKind.EPC_PATTERN, exact=(), prefixes=tuple(prefixes))
