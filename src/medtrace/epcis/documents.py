"""Reading and writing EPCIS documents in any syntax, chosen by content or by name.

One entry point for callers that do not care which syntax a partner sent (the CLI, the store):
:func:`sniff_syntax` looks at the first significant byte, :func:`read_document` reads a whole
document, :func:`iter_events` streams its events in bounded memory, and :func:`write_document`
writes EPCIS 1.2 XML (as DSCSA partners exchange it), EPCIS 2.0 XML or EPCIS 2.0 JSON-LD.

>>> sniff_syntax(b"<?xml version='1.0'?><epcis:EPCISDocument/>"), sniff_syntax(b' {"@context": []}')
('xml', 'jsonld')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Final, Literal, TypeAlias

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld
from medtrace.epcis.jsonld_writer import write_jsonld
from medtrace.epcis.model import EPCISDocument, Event
from medtrace.epcis.xml_reader import iter_xml_events, read_xml
from medtrace.epcis.xml_safety import XmlLimits
from medtrace.epcis.xml_writer import write_xml

Syntax: TypeAlias = Literal["xml", "jsonld"]
OutputFormat: TypeAlias = Literal["xml12", "xml20", "jsonld"]
EpcFormat: TypeAlias = Literal["as_given", "urn", "digital_link"]
Source: TypeAlias = bytes | Path | IO[bytes]

OUTPUT_FORMATS: Final[tuple[OutputFormat, ...]] = ("xml12", "xml20", "jsonld")
_BOM: Final = b"\xef\xbb\xbf"
_SNIFF_BYTES: Final = 4096

#: Reading limits: a bare ``<!DOCTYPE name>`` (found in GS1's own examples) declares nothing and
#: is accepted; any DTD that declares entities or references an external subset is refused.
DEFAULT_XML_LIMITS: Final = XmlLimits()


def sniff_syntax(data: bytes) -> Syntax | None:
    """``"xml"`` or ``"jsonld"`` from the first significant byte of ``data``, else ``None``."""
    head = data.removeprefix(_BOM).lstrip()[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "jsonld"
    return None


def _head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:_SNIFF_BYTES]
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return stream.read(_SNIFF_BYTES)
    position = source.tell()
    head = source.read(_SNIFF_BYTES)
    source.seek(position)
    return head


def detect_syntax(source: Source, syntax: Syntax | None = None) -> Syntax:
    """The syntax of ``source``: ``syntax`` if given, else sniffed; a clear error otherwise."""
    if syntax is not None:
        return syntax
    found = sniff_syntax(_head(source))
    if found is None:
        where = str(source) if isinstance(source, Path) else "the input"
        raise EpcisDocumentError(
            f"{where} is neither XML nor JSON-LD: expected '<' or '{{' as the first character"
        )
    return found


def read_document(source: Source, *, syntax: Syntax | None = None) -> EPCISDocument:
    """Read a whole EPCIS document (XML 1.2/2.0 or JSON-LD) into the model."""
    if detect_syntax(source, syntax) == "xml":
        return read_xml(source, DEFAULT_XML_LIMITS)
    data = source.read_bytes() if isinstance(source, Path) else source
    return read_jsonld(data if isinstance(data, bytes) else data.read())


def iter_events(source: Source, *, syntax: Syntax | None = None) -> Iterator[Event]:
    """Stream the events of a document in document order, in memory bounded by one event."""
    if detect_syntax(source, syntax) == "xml":
        for _, event in iter_xml_events(source, DEFAULT_XML_LIMITS).events:
            yield event
        return
    with ExitStack() as stack:
        if isinstance(source, bytes):
            yield from read_jsonld(source).events
            return
        stream = stack.enter_context(source.open("rb")) if isinstance(source, Path) else source
        yield from iter_jsonld_events(stream)


def write_document(
    document: EPCISDocument, output: OutputFormat, *, epc_format: EpcFormat = "as_given"
) -> bytes:
    """Write ``document`` as EPCIS 1.2 XML, EPCIS 2.0 XML or EPCIS 2.0 JSON-LD."""
    if output == "jsonld":
        return write_jsonld(document, epc_format=epc_format)
    if epc_format != "as_given":
        raise ValueError(f"epc_format {epc_format!r} applies to JSON-LD output only")
    return write_xml(document, version="1.2" if output == "xml12" else "2.0")
