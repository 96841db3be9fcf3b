"""Content negotiation and the GS1 headers of the EPCIS 2.0 REST binding (EPCIS 2.0 §12).

* ``Accept`` (RFC 9110 §12.5.1) picks the syntax of event responses: EPCIS 2.0 JSON-LD
  (``application/ld+json``, ``application/json``) or EPCIS 2.0 XML (``application/xml``,
  ``text/xml``); anything else is ``406 NotAcceptableException``. JSON resources (collections,
  capture jobs, named queries) are JSON only.
* ``GS1-EPC-Format`` (request) chooses how identifiers are written in JSON-LD:
  ``Always_GS1_Digital_Link`` → Digital Link, ``Always_EPC_URN`` → EPC URN,
  ``Never_Translates`` / ``No_Preference`` / absent → as captured.
* ``GS1-Extensions`` (request) declares ``prefix=namespace`` pairs, comma separated, used to
  read ``prefix:name`` extension field names in query parameters.
* Every response carries ``GS1-EPCIS-Version: 2.0.0`` and ``GS1-CBV-Version: 2.0.0`` (and the
  supported range in ``…-Min``/``…-Max``), added by :func:`gs1_headers`.

>>> choose("application/xml;q=0.5, application/ld+json", EVENT_MEDIA_TYPES)
'application/ld+json'
>>> parse_extensions("ex=https://example.org/epcis/, ex2=urn:vendor:ns:")
{'ex': 'https://example.org/epcis/', 'ex2': 'urn:vendor:ns:'}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from medtrace.api.errors import ApiError
from medtrace.epcis.errors import EpcisError
from medtrace.epcis.jsonld_writer import EpcFormat, write_jsonld
from medtrace.epcis.model import EPCISDocument, Event
from medtrace.epcis.xml_writer import write_xml

__all__ = [
    "EVENT_MEDIA_TYPES",
    "GS1_VERSION_HEADERS",
    "JSON_MEDIA_TYPES",
    "choose",
    "content_type",
    "encode_query_document",
    "epc_format",
    "gs1_headers",
    "parse_extensions",
]

JSONLD: Final = "application/ld+json"
JSON: Final = "application/json"
XML: Final = "application/xml"
#: Media types an event list or single event can be written in, preferred first.
EVENT_MEDIA_TYPES: Final = (JSONLD, JSON, XML, "text/xml")
#: Media types a JSON resource can be written in.
JSON_MEDIA_TYPES: Final = (JSON, JSONLD)

GS1_VERSION_HEADERS: Final = {
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-EPCIS-Min": "2.0.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
    "GS1-CBV-Min": "2.0.0",
    "GS1-CBV-Max": "2.0.0",
    "GS1-EPC-Format": "No_Preference",
    "GS1-Vendor-Version": "medtrace",
}
_EPC_FORMATS: Final[dict[str, EpcFormat]] = {
    "No_Preference": "as_given",
    "Never_Translates": "as_given",
    "Always_GS1_Digital_Link": "digital_link",
    "Always_EPC_URN": "urn",
}


def _accept_ranges(accept: str) -> list[tuple[str, float, int]]:
    ranges: list[tuple[str, float, int]] = []
    for position, item in enumerate(accept.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality, position))
    return ranges


def _matches(media_range: str, offered: str) -> bool:
    if media_range in ("*/*", offered):
        return True
    kind, _, sub = media_range.partition("/")
    return sub == "*" and offered.startswith(kind + "/")


def choose(accept: str | None, offered: Sequence[str]) -> str:
    """The offered media type the ``Accept`` header prefers (RFC 9110 §12.5.1).

    Highest ``q`` wins; among equals, the more specific range, then the server's order.
    No ``Accept`` means the first offered type. Raises ``406 NotAcceptableException``.

    >>> choose(None, EVENT_MEDIA_TYPES)
    'application/ld+json'
    >>> choose("text/*", EVENT_MEDIA_TYPES)
    'text/xml'
    """
    if accept is None or not accept.strip():
        return offered[0]
    best: tuple[float, int, int, int] | None = None
    chosen: str | None = None
    for media, quality, position in _accept_ranges(accept):
        if quality <= 0:
            continue
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        for rank, candidate in enumerate(offered):
            if not _matches(media, candidate):
                continue
            key = (quality, specificity, -rank, -position)
            if best is None or key > best:
                best, chosen = key, candidate
    if chosen is None:
        raise ApiError(
            "NotAcceptableException",
            f"cannot answer in any media type of Accept: {accept!r}; offered: {', '.join(offered)}",
        )
    return chosen


def epc_format(header: str | None) -> EpcFormat:
    """The JSON-LD writer's ``epc_format`` for a ``GS1-EPC-Format`` request header."""
    if header is None or not header.strip():
        return "as_given"
    found = _EPC_FORMATS.get(header.strip())
    if found is None:
        raise ApiError(
            "ValidationException",
            f"GS1-EPC-Format {header!r}: expected one of {', '.join(_EPC_FORMATS)}",
            parameter="GS1-EPC-Format",
        )
    return found


def parse_extensions(header: str | None) -> dict[str, str]:
    """The ``GS1-Extensions`` header as prefix → namespace (``p=ns, p2=ns2``)."""
    found: dict[str, str] = {}
    if header is None:
        return found
    for item in header.split(","):
        if not item.strip():
            continue
        prefix, sep, namespace = item.partition("=")
        prefix, namespace = prefix.strip(), namespace.strip()
        if not sep or not prefix or not namespace or ":" in prefix:
            raise ApiError(
                "ValidationException",
                f"GS1-Extensions item {item.strip()!r}: expected prefix=namespace-URI",
                parameter="GS1-Extensions",
            )
        found[prefix] = namespace
    return found


def encode_query_document(
    events: Sequence[Event],
    media_type: str,
    *,
    query_name: str = "SimpleEventQuery",
    epc: EpcFormat = "as_given",
) -> bytes:
    """An ``EPCISQueryDocument`` holding ``events`` (EPCIS 2.0 §8.2.7, §9, §10)."""
    document = EPCISDocument(
        schema_version="2.0",
        creation_date=datetime.now(UTC),
        events=tuple(events),
        kind="query",
        query_name=query_name,
    )
    if media_type in (XML, "text/xml"):
        return write_xml(document, version="2.0")
    try:
        return write_jsonld(document, epc_format=epc)
    except EpcisError as exc:
        raise ApiError(
            "NotAcceptableException",
            f"the events cannot be written as requested by GS1-EPC-Format: {exc}",
            parameter="GS1-EPC-Format",
        ) from None


def content_type(media_type: str) -> str:
    """The ``Content-Type`` of an event response in ``media_type`` (XML with its charset;
    Litestar adds ``charset`` to ``text/*`` itself, so it is not given twice).

    >>> content_type("application/xml"), content_type("text/xml")
    ('application/xml; charset=utf-8', 'text/xml')
    """
    if media_type.endswith("xml") and not media_type.startswith("text/"):
        return f"{media_type}; charset=utf-8"
    return media_type


def gs1_headers(
    extra: Callable[[str], Mapping[str, str]] | None = None,
) -> Callable[[Message, Scope], Awaitable[None]]:
    """A Litestar ``before_send`` hook adding the GS1 version headers to every HTTP response
    (routing errors and problems too), plus ``extra(path)`` (e.g. the capture limits)."""

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        added = {**GS1_VERSION_HEADERS, **(extra(scope["path"]) if extra else {})}
        for name, value in added.items():
            if name not in headers:
                headers[name] = value

    return hook
