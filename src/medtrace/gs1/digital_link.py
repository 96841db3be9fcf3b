"""GS1 Digital Link URIs (GS1 Digital Link URI Syntax 1.4; compatible with 1.2 and later).

A Digital Link URI carries GS1 element strings on the web::

    https://example.com/some/prefix/01/09506000134352/10/ABC/21/1%2F2?17=260500&linkType=gs1:pip
    \\______ any domain and path prefix _/\\_ primary key _/\\_ key qualifiers _/\\_ query ______/

* **Path** (§4.1, §4.2): a primary key (``00``, ``01``, ``253``, ``255``, ``401``, ``402``,
  ``414``, ``415``, ``417``, ``8003``, ``8004``, ``8006``, ``8010``, ``8013``, ``8017``,
  ``8018``; :data:`medtrace.gs1.ai.DL_PRIMARY_KEYS`) and then its optional key qualifiers, in the
  one order the standard fixes (``/01/{gtin}/22/{cpv}/10/{lot}/21/{serial}``, or ``/235/{tpx}``;
  ``/414/{gln}/254/{ext}``; ...). Qualifiers out of order, from two alternatives, or AIs that are
  no qualifier of the key are errors. Whatever precedes the primary key is a free path prefix: the
  primary key is the left-most segment that names a primary key and from which the rest of the
  path reads as AI/value pairs.
* **Query** (§4.3): GS1 data attributes as ``AI=value`` (only AIs the GS1 Barcode Syntax Dictionary
  flags as data attributes; a key qualifier such as ``21`` is not one) and any other parameters
  (``linkType``, ``context``, ``reqGLN``, ``corrUUID``, ...), which are kept, in order, in
  :attr:`DigitalLink.params`. The same AI twice, or an AI both in the path and the query, is an
  error.
* **Short names** (the "convenience alphas" of Digital Link 1.0, deprecated since 1.1 but still
  sent, e.g. ``exp`` by DSCSA verification requests) are read in the path and in the query:
  see :data:`ALIASES`. They are never written.
* **Percent-encoding** (§4.5, RFC 3986): values are percent-decoded after the path is split, so
  ``%2F`` is a ``/`` inside a value. A ``%`` not followed by two hex digits is an error. A literal
  ``+`` is a plus sign, never a space (no AI value may hold a space). Written values percent-encode
  every character outside the RFC 3986 unreserved set ``A-Z a-z 0-9 - . _ ~``.
* **GTIN** (§4.4): AI ``01`` in a URI may be a GTIN-8, -12, -13 or -14; it is read into its
  14-digit form, the form of every URI written here. Other AI values are kept as given and pass
  :func:`medtrace.gs1.ai.validate`. A fragment (``#...``) is ignored.
* **Canonical form** (§4.4, §6): ``https://id.gs1.org``, numeric AIs, 14-digit GTIN, key
  qualifiers in their fixed order, data attributes sorted by AI, no other parameters (they say how
  to resolve, not what is identified). :meth:`DigitalLink.to_uri` writes the same URI on another
  domain (a path prefix allowed) with the other parameters appended in order.

>>> dl = DigitalLink.parse("https://example.com/x/01/9506000134352/21/1%2F2?exp=260500&linkType=all")
>>> dl.canonical()
'https://id.gs1.org/01/09506000134352/21/1%2F2?17=260500'
>>> dl.params
(('linkType', 'all'),)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from medtrace.gs1.ai import AI_TABLE, DL_PRIMARY_KEYS, lookup
from medtrace.gs1.element_string import ElementString, Gs1Message
from medtrace.gs1.errors import Gs1SyntaxError
from medtrace.gs1.gtin import Gtin

CANONICAL_DOMAIN: Final = "https://id.gs1.org"
"""The domain of canonical GS1 Digital Link URIs (§6)."""

ALIASES: Final[dict[str, str]] = {
    "gtin": "01",
    "itip": "8006",
    "cpv": "22",
    "lot": "10",
    "ser": "21",
    "exp": "17",
    "sscc": "00",
    "gln": "414",
    "glnx": "254",
    "party": "417",
    "gdti": "253",
    "ginc": "401",
    "gsin": "402",
    "grai": "8003",
    "giai": "8004",
    "cpid": "8010",
    "cpsn": "8011",
    "gmn": "8013",
    "gsrnp": "8017",
    "gsrn": "8018",
    "srin": "8019",
    "gcn": "255",
}
"""Digital Link 1.0 short names → AI, accepted on input only."""

_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _encode(value: str) -> str:
    return quote(value, safe="")


def _decode(text: str, *, where: str) -> str:
    if "%" not in text:
        return text
    if _BAD_PERCENT.search(text):
        raise Gs1SyntaxError(f"{where} {text!r} has a '%' not followed by two hex digits")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as error:
        raise Gs1SyntaxError(f"{where} {text!r} percent-decodes to invalid UTF-8") from error


def _ai_code(name: str) -> str | None:
    """The AI a path segment or query key names (numeric AI or short name), else ``None``."""
    if name in AI_TABLE:
        return name
    return ALIASES.get(name)


def _check_qualifiers(key: str, qualifiers: tuple[str, ...]) -> None:
    """Qualifiers must follow one of the key's ordered sequences (DL 1.4 §4.2)."""
    if not qualifiers:
        return
    sequences = DL_PRIMARY_KEYS[key]
    for sequence in sequences:
        if not set(qualifiers) <= set(sequence):
            continue
        if list(qualifiers) == [ai for ai in sequence if ai in qualifiers] and len(
            set(qualifiers)
        ) == len(qualifiers):
            return
        raise Gs1SyntaxError(
            f"key qualifiers {'/'.join(qualifiers)} are out of order or repeated, "
            f"expected the order {'/'.join(sequence)}",
            ai=key,
        )
    expected = " or ".join("/".join(sequence) for sequence in sequences) or "none"
    raise Gs1SyntaxError(
        f"key qualifiers {'/'.join(qualifiers)} do not qualify this primary key, "
        f"expected {expected}",
        ai=key,
    )


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GS1 Digital Link: primary key, key qualifiers, data attributes and other parameters.

    Valid once built: the key is a Digital Link primary key, the qualifiers follow its order, every
    attribute is a permitted data attribute, no AI appears twice, and parameter names are no AI.
    """

    primary_key: ElementString
    qualifiers: tuple[ElementString, ...] = ()
    attributes: tuple[ElementString, ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        key = self.primary_key.ai
        if not self.primary_key.spec.dl_primary_key:
            raise Gs1SyntaxError(
                "is not a GS1 Digital Link primary key, "
                f"expected one of {', '.join(DL_PRIMARY_KEYS)}",
                ai=key,
                value=self.primary_key.value,
            )
        _check_qualifiers(key, tuple(q.ai for q in self.qualifiers))
        seen = {key, *(q.ai for q in self.qualifiers)}
        for attribute in self.attributes:
            if not attribute.spec.dl_data_attribute:
                raise Gs1SyntaxError(
                    "is not permitted as a Digital Link data attribute (query string)",
                    ai=attribute.ai,
                    value=attribute.value,
                )
            if attribute.ai in seen:
                raise Gs1SyntaxError(
                    "appears twice in the Digital Link, expected each AI once",
                    ai=attribute.ai,
                    value=attribute.value,
                )
            seen.add(attribute.ai)
        for name, _ in self.params:
            if _ai_code(name) is not None or name.isdigit() or not name:
                raise Gs1SyntaxError(
                    f"parameter name {name!r} is empty or names an AI, "
                    "expected a non-GS1 parameter such as linkType"
                )

    @classmethod
    def parse(cls, uri: str) -> DigitalLink:
        """Read a GS1 Digital Link URI (see the module docstring for the rules).

        >>> DigitalLink.parse("https://id.gs1.org/01/09506000134352/21/A/10/B")
        Traceback (most recent call last):
        ...
        medtrace.gs1.errors.Gs1SyntaxError: AI (01): key qualifiers 21/10 are out of order or \
repeated, expected the order 22/10/21
        """
        parts = urlsplit(uri)
        if not parts.scheme or not parts.netloc:
            raise Gs1SyntaxError(f"{uri!r} is not an absolute URI, expected https://domain/01/...")
        return cls.from_path(parts.path, parts.query, uri=uri)

    @classmethod
    def from_path(cls, path: str, query: str = "", *, uri: str | None = None) -> DigitalLink:
        """Read the path (still percent-encoded, any prefix allowed) and query of a Digital Link
        whose domain is already known, e.g. the request target of an HTTP resolver; ``uri``
        names it in error messages (default: the path and query on ``id.gs1.org``).

        >>> DigitalLink.from_path("/verify/01/09506000134352/21/S1", "exp=260500").canonical()
        'https://id.gs1.org/01/09506000134352/21/S1?17=260500'
        """
        segments = path.split("/")[1:]
        if segments and not segments[-1]:
            segments.pop()
        start = _find_primary_key(
            segments, uri or CANONICAL_DOMAIN + path + (f"?{query}" if query else "")
        )
        pairs = [
            (_ai_code(segments[i]) or "", _decode(segments[i + 1], where="path segment"))
            for i in range(start, len(segments), 2)
        ]
        (key, key_value), *qualifier_pairs = pairs
        if key == "01":
            key_value = Gtin.parse(key_value).value
        attributes, params = _parse_query(query)
        return cls(
            ElementString.of(key, key_value),
            tuple(ElementString.of(ai, value) for ai, value in qualifier_pairs),
            attributes,
            params,
        )

    @classmethod
    def from_message(cls, message: Gs1Message) -> DigitalLink:
        """The Digital Link of a message: its first primary-key AI, that key's qualifiers (in the
        standard order) and every other element as a data attribute (in message order).

        >>> from medtrace.gs1.element_string import parse
        >>> DigitalLink.from_message(parse("(01)09506000134352(17)260500(21)S1")).canonical()
        'https://id.gs1.org/01/09506000134352/21/S1?17=260500'
        """
        keys = [element for element in message if element.spec.dl_primary_key]
        if not keys:
            raise Gs1SyntaxError(
                f"message {''.join(e.hri() for e in message)} has no Digital Link primary key, "
                f"expected one of {', '.join(DL_PRIMARY_KEYS)}"
            )
        key = keys[0]
        qualifier_ais = {ai for sequence in DL_PRIMARY_KEYS[key.ai] for ai in sequence}
        present = {e.ai: e for e in message if e.ai in qualifier_ais}
        order = next(
            (seq for seq in DL_PRIMARY_KEYS[key.ai] if set(present) <= set(seq)),
            tuple(present),
        )
        qualifiers = tuple(present[ai] for ai in order if ai in present)
        attributes = tuple(e for e in message if e is not key and e.ai not in present)
        return cls(key, qualifiers, attributes)

    def to_message(self) -> Gs1Message:
        """The element strings: primary key, qualifiers, then data attributes."""
        return Gs1Message((self.primary_key, *self.qualifiers, *self.attributes))

    def _path_and_query(self, *, with_params: bool) -> str:
        path = "".join(
            f"/{element.ai}/{_encode(element.value)}"
            for element in (self.primary_key, *self.qualifiers)
        )
        query = [
            f"{element.ai}={_encode(element.value)}"
            for element in sorted(self.attributes, key=lambda element: element.ai)
        ]
        if with_params:
            query.extend(f"{_encode(name)}={_encode(value)}" for name, value in self.params)
        return path + ("?" + "&".join(query) if query else "")

    def canonical(self) -> str:
        """The canonical GS1 Digital Link URI (§6): id.gs1.org, AIs only, no other parameters."""
        return CANONICAL_DOMAIN + self._path_and_query(with_params=False)

    def to_uri(self, domain: str = CANONICAL_DOMAIN, *, include_params: bool = True) -> str:
        """The URI on ``domain`` (which may end in a path prefix), other parameters appended.

        >>> DigitalLink.parse("https://a.example/01/09506000134352?linkType=gs1:pip").to_uri(
        ...     "https://b.example/dl/")
        'https://b.example/dl/01/09506000134352?linkType=gs1%3Apip'
        """
        parts = urlsplit(domain)
        if not parts.scheme or not parts.netloc or parts.query or parts.fragment:
            raise Gs1SyntaxError(
                f"domain {domain!r} must be scheme://host[/prefix], without query or fragment"
            )
        return domain.rstrip("/") + self._path_and_query(with_params=include_params)

    def __str__(self) -> str:
        return self.to_uri()


def _find_primary_key(segments: list[str], uri: str) -> int:
    for start, segment in enumerate(segments):
        code = _ai_code(segment)
        if code not in DL_PRIMARY_KEYS or (len(segments) - start) % 2:
            continue
        if all(_ai_code(segments[i]) is not None for i in range(start, len(segments), 2)):
            return start
    for index in range(len(segments) - 2, -1, -2):
        segment = segments[index]
        if _ai_code(segment) is None:
            if segment.isascii() and segment.isdigit() and 2 <= len(segment) <= 4:
                lookup(segment)
            break
    raise Gs1SyntaxError(
        f"{uri!r} has no GS1 Digital Link primary key followed by AI/value pairs, "
        f"expected a path such as /01/{{gtin}}/21/{{serial}}"
    )


def _parse_query(query: str) -> tuple[tuple[ElementString, ...], tuple[tuple[str, str], ...]]:
    attributes: list[ElementString] = []
    params: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        raw_name, _, raw_value = item.partition("=")
        name = _decode(raw_name, where="query parameter name")
        value = _decode(raw_value, where=f"query parameter {name!r}")
        code = _ai_code(name)
        if code is not None:
            attributes.append(ElementString.of(code, value))
        elif name.isascii() and name.isdigit():
            lookup(name)
        else:
            params.append((name, value))
    return tuple(attributes), tuple(params)


def build(message: Gs1Message, *, domain: str = CANONICAL_DOMAIN) -> str:
    """The Digital Link URI of ``message`` on ``domain`` (see :meth:`DigitalLink.from_message`).

    >>> from medtrace.gs1.element_string import parse
    >>> build(parse("(01)09506000134352(10)L&1"), domain="https://example.com")
    'https://example.com/01/09506000134352/10/L%261'
    """
    return DigitalLink.from_message(message).to_uri(domain)


__all__ = ["ALIASES", "CANONICAL_DOMAIN", "DigitalLink", "build"]
