"""Safe intake of untrusted XML: no DTDs, no entities, no network, bounded size.

EPCIS documents never need a DTD (the EPCIS XSDs define everything, EPCIS 2.0 §9.3), while
DTDs are how XML is attacked: entity expansion bombs ("billion laughs"), external entities
reading local files or URLs (XXE, SSRF). So, before libxml2 sees a byte:

* the prolog (everything before the root element) is scanned, and **any** ``<!DOCTYPE``
  that declares anything (an internal subset, entity declarations, an external identifier)
  is refused with :class:`~medtrace.epcis.errors.UnsafeDocumentError`, naming what was
  found. A bare ``<!DOCTYPE name>`` declares nothing and is let through by default
  (:attr:`XmlLimits.allow_empty_doctype`; GS1's own examples carry ``<!DOCTYPE project>``);
  set it to ``False`` to refuse every DOCTYPE;
* the byte count is checked chunk by chunk while streaming; past
  :attr:`XmlLimits.max_bytes` reading stops with
  :class:`~medtrace.epcis.errors.DocumentTooLargeError`;
* the parser itself runs with ``resolve_entities=False``, ``no_network=True``,
  ``load_dtd=False``, ``huge_tree=False`` (libxml2's depth and text-size limits stay on).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, TypeAlias

from lxml import etree

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError, UnsafeDocumentError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "XmlLimits",
    "XmlSource",
    "check_prolog",
    "new_pull_parser",
    "parse_document",
    "read_chunks",
]

#: Default byte limit of one document: 2 GiB (large DSCSA shipments are hundreds of MB).
DEFAULT_MAX_BYTES: Final = 2 * 1024**3
_MAX_PROLOG: Final = 1024 * 1024

XmlSource: TypeAlias = bytes | str | Path | IO[bytes]
"""Bytes of a document, a file path (``str`` or ``Path``) or a binary file object."""


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Limits applied while reading XML.

    ``max_bytes``: refuse documents longer than this (``None``: no limit).
    ``allow_empty_doctype``: accept a bare ``<!DOCTYPE name>`` (never one that declares
    anything or references an external DTD).
    ``chunk_size``: bytes read per step when streaming.
    """

    max_bytes: int | None = DEFAULT_MAX_BYTES
    allow_empty_doctype: bool = True
    chunk_size: int = 1 << 16


_WS: Final = frozenset(" \t\r\n")
_ENTITY_DECL: Final = re.compile(
    r"<!ENTITY\s+(%\s+)?([^\s]+)\s+(?:(SYSTEM|PUBLIC)\s+(?:\"[^\"]*\"\s+|'[^']*'\s+)?"
    r"(\"[^\"]*\"|'[^']*'))?"
)
_EXTERNAL_ID: Final = re.compile(r"<!DOCTYPE\s+[^\s\[>]+\s+(SYSTEM|PUBLIC)\b")


def _decode_prolog(data: bytes) -> str:
    """Decode enough of the document head to look for markup declarations."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("latin-1")
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<", "utf-16-be"),
        (b"<\x00", "utf-16-le"),
    ):
        if data.startswith(bom):
            usable = len(data) - len(data) % (4 if "32" in codec else 2)
            return data[:usable].decode(codec, errors="replace").lstrip("\ufeff")
    return data.decode("latin-1")


def _doctype_end(text: str, start: int) -> int:
    """Index just past the ``>`` closing the DOCTYPE at ``start``, or -1 if incomplete."""
    depth = 0
    quote = ""
    for i in range(start + 2, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == ">" and depth <= 0:
            return i + 1
    return -1


def _describe_doctype(decl: str) -> str:
    """Say what a refused DOCTYPE contains, for the error message."""
    parts: list[str] = []
    entities = _ENTITY_DECL.findall(decl)
    external = [(name, ref) for _pct, name, kind, ref in entities if kind]
    internal = [name for _pct, name, kind, _ref in entities if not kind]
    if external:
        shown = ", ".join(f"{name} -> {ref}" for name, ref in external[:3])
        parts.append(f"{len(external)} external entity declaration(s) ({shown})")
    if internal:
        parts.append(f"{len(internal)} internal entity declaration(s) (entity expansion)")
    if _EXTERNAL_ID.match(decl):
        parts.append("a reference to an external DTD")
    if "[" in decl and not entities:
        parts.append("an internal DTD subset")
    what = "; ".join(parts) if parts else "a document type declaration"
    head = decl if len(decl) <= 80 else decl[:77] + "..."
    return f"DOCTYPE refused: EPCIS documents must not carry a DTD; found {what}: {head!r}"


def check_prolog(data: bytes, *, final: bool, limits: XmlLimits) -> bool:
    """Scan the document head; return True once the root element is reached.

    Returns False when more bytes are needed (``final`` False). Raises
    :class:`UnsafeDocumentError` for a DOCTYPE (unless an empty one is allowed) and
    :class:`EpcisDocumentError` when the data is not XML.
    """
    text = _decode_prolog(data)
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WS:
            i += 1
        if i >= n or (n - i < 10 and not final and "<!DOCTYPE".startswith(text[i:n])):
            if final:
                raise EpcisDocumentError("not an XML document: no root element found")
            return False
        if text.startswith("<?", i):
            j, skip = text.find("?>", i + 2), 2
        elif text.startswith("<!--", i):
            j, skip = text.find("-->", i + 4), 3
        elif text.startswith("<!", i):
            end = _doctype_end(text, i)
            if end < 0:
                if final or len(data) > _MAX_PROLOG:
                    raise UnsafeDocumentError(_describe_doctype(text[i : i + 200]))
                return False
            decl = text[i:end]
            bare = re.fullmatch(r"<!DOCTYPE\s+[^\s\[>]+\s*>", decl) is not None
            if not (bare and limits.allow_empty_doctype):
                raise UnsafeDocumentError(_describe_doctype(decl))
            i = end
            continue
        elif text[i] == "<":
            return True
        else:
            raise EpcisDocumentError(
                f"not an XML document: expected '<' at the start, got {text[i : i + 20]!r}"
            )
        if j < 0:
            if final:
                raise EpcisDocumentError("not an XML document: unterminated prolog markup")
            if len(data) > _MAX_PROLOG:
                raise UnsafeDocumentError("prolog longer than 1 MiB before the root element")
            return False
        i = j + skip


def _open(source: str | Path) -> IO[bytes]:
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise EpcisDocumentError(f"cannot open {str(source)!r}: {exc.strerror}") from exc


def _too_large(limits: XmlLimits) -> DocumentTooLargeError:
    return DocumentTooLargeError(
        f"document exceeds the limit of {limits.max_bytes} bytes; refused while reading"
    )


def read_chunks(source: XmlSource, limits: XmlLimits) -> Iterator[bytes]:
    """Yield the document in chunks, after the prolog check, enforcing the byte limit.

    A path is opened and closed here; a caller's file object is left open.
    """
    if isinstance(source, bytes):
        if limits.max_bytes is not None and len(source) > limits.max_bytes:
            raise _too_large(limits)
        head = source[: _MAX_PROLOG + 4096]
        if not check_prolog(head, final=len(head) == len(source), limits=limits):
            raise UnsafeDocumentError("prolog longer than 1 MiB before the root element")
        step = limits.chunk_size
        for start in range(0, len(source), step):
            yield source[start : start + step]
        return
    owned = isinstance(source, str | Path)
    stream = _open(source) if isinstance(source, str | Path) else source
    try:
        head = b""
        checked = False
        total = 0
        while True:
            chunk = stream.read(limits.chunk_size)
            if not chunk:
                break
            total += len(chunk)
            if limits.max_bytes is not None and total > limits.max_bytes:
                raise _too_large(limits)
            if checked:
                yield chunk
                continue
            head += chunk
            if check_prolog(head, final=False, limits=limits):
                checked = True
                yield head
                head = b""
        if not checked:
            check_prolog(head, final=True, limits=limits)
            yield head
    finally:
        if owned:
            stream.close()


def new_pull_parser(tags: tuple[str, ...]) -> etree.XMLPullParser:
    """An ``XMLPullParser`` (lxml's incremental ``iterparse`` engine) reporting the ``end``
    of elements whose tag is in ``tags``, with all entity/DTD/network features off.

    Like :func:`parse_document`'s parser it drops comments, processing instructions and the
    whitespace-only text between elements (``remove_blank_text``: the indentation of a
    pretty-printed document, fewer nodes to build and free). EPCIS gives that whitespace no
    meaning, and the readers trim every text they take, so they read the same either way.
    """
    return etree.XMLPullParser(
        events=("end",),
        tag=list(tags),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        dtd_validation=False,
        attribute_defaults=False,
    )


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        dtd_validation=False,
        attribute_defaults=False,
    )


def syntax_error(exc: etree.XMLSyntaxError) -> EpcisDocumentError:
    """Turn an lxml syntax error into an EpcisDocumentError located by line and column."""
    line, column = exc.position if exc.position else (exc.lineno, 0)
    msg = exc.msg or str(exc)
    return EpcisDocumentError(f"malformed XML: {msg}", location=f"line {line}, column {column}")


def parse_document(source: XmlSource, limits: XmlLimits | None = None) -> etree._Element:
    """Parse a (small) document fully, with the same safety checks; return its root."""
    limits = limits or XmlLimits()
    parser = _new_parser()
    try:
        for chunk in read_chunks(source, limits):
            parser.feed(chunk)
        root: etree._Element = parser.close()
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc) from exc
    return root
