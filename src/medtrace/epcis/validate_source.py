"""Validate an EPCIS document given as bytes or a file, whichever syntax it is in.

The syntax is sniffed from the content (``<`` → XML, EPCIS 2.0 §9.3 / EPCIS 1.2;
``{`` → JSON-LD, EPCIS 2.0 §10), never from a file name. Events are read one at a time and
validated as they come (:func:`medtrace.epcis.validate.iter_validated`), so problems of the
events before an unreadable one are still reported. A reader exception becomes one error
:class:`~medtrace.epcis.validate_core.Problem` carrying the reader's location:

* ``document.invalid``: not well-formed, not EPCIS, or a value the model cannot hold;
* ``document.unsafe``: DTDs, entities or external references (refused before parsing);
* ``document.too-large``: over the configured size limit.

XML element order (``xml.element-order``, :mod:`medtrace.epcis.validate_xml_order`) is a
warning by default: the reader reads children by name, so an out-of-order document is read
exactly as intended, as OpenEPCIS' tolerance test ``JumbledFieldsOrder.xml`` expects.
``strict=True`` makes it an error, as the EPCIS 2.0 XSD does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Final

import msgspec

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError, UnsafeDocumentError
from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld_event
from medtrace.epcis.model import DocumentKind, Event
from medtrace.epcis.validate import has_errors, iter_validated
from medtrace.epcis.validate_core import Problem, Severity, Syntax
from medtrace.epcis.validate_xml_order import check_xml_element_order
from medtrace.epcis.xml_names import EVENT_NAMES
from medtrace.epcis.xml_reader import iter_xml_events, read_xml_event
from medtrace.epcis.xml_safety import XmlLimits

__all__ = [
    "VALIDATION_LIMITS",
    "ValidationReport",
    "sniff_syntax",
    "validate_bytes",
    "validate_file",
]

VALIDATION_LIMITS: Final = XmlLimits(allow_empty_doctype=True)
"""XML limits of validation: the reader's defaults, but a bare ``<!DOCTYPE name>`` (which
declares nothing: no entities, no external DTD) is accepted, as GS1's own EPCIS 2.0 XML
examples carry ``<!DOCTYPE project>``. DTDs that declare anything stay refused."""

_BOM: Final = b"\xef\xbb\xbf"
_SNIFF_BYTES: Final = 65536
# The first element name after the prolog (XML declaration, comments, PIs, doctype).
_ROOT_NAME: Final = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


class ValidationReport(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of validating one document.

    ``events_checked`` counts the events that were read and validated; ``ok`` is true when
    no problem is an error.
    """

    problems: tuple[Problem, ...]
    events_checked: int
    syntax: Syntax | None

    @property
    def ok(self) -> bool:
        """Whether the document is valid (warnings allowed)."""
        return not has_errors(self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The error-severity problems."""
        return tuple(problem for problem in self.problems if problem.severity == "error")


def sniff_syntax(data: bytes) -> Syntax | None:
    """``"xml"`` or ``"jsonld"`` from the first significant character, else ``None``.

    >>> sniff_syntax(b"  <?xml version='1.0'?><x/>"), sniff_syntax(b'{"a": 1}'), sniff_syntax(b"x")
    ('xml', 'jsonld', None)
    """
    head = data.removeprefix(_BOM).lstrip()[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "jsonld"
    return None


def _reader_problem(exc: EpcisDocumentError, index: int | None) -> Problem:
    if isinstance(exc, UnsafeDocumentError):
        rule = "document.unsafe"
    elif isinstance(exc, DocumentTooLargeError):
        rule = "document.too-large"
    else:
        rule = "document.invalid"
    return Problem(
        event_index=index,
        location=exc.location or "/",
        value=None,
        message=exc.reason,
        severity="error",
        rule=rule,
    )


class _JsonTop(msgspec.Struct):
    type: str | None = None


def _xml_source(data: bytes, limits: XmlLimits) -> tuple[Iterator[Event], DocumentKind, str]:
    match = _ROOT_NAME.search(data[:_SNIFF_BYTES])
    if match is not None and match.group(1).decode() in EVENT_NAMES:
        return iter((read_xml_event(data, limits),)), "document", "2.0"
    stream = iter_xml_events(data, limits)
    return (event for _index, event in stream.events), stream.kind, stream.schema_version


def _jsonld_source(data: bytes, _limits: XmlLimits) -> tuple[Iterator[Event], DocumentKind, str]:
    try:
        top = msgspec.json.decode(data, type=_JsonTop)
    except msgspec.DecodeError as exc:
        raise EpcisDocumentError(f"not well-formed JSON or not a JSON object: {exc}") from None
    if top.type in EVENT_NAMES:
        return iter((read_jsonld_event(data),)), "document", "2.0"
    kind: DocumentKind = "query" if top.type == "EPCISQueryDocument" else "document"
    return iter_jsonld_events(BytesIO(data)), kind, "2.0"


def validate_bytes(
    data: bytes, *, strict: bool = False, limits: XmlLimits = VALIDATION_LIMITS
) -> ValidationReport:
    """Read and validate one EPCIS document (XML or JSON-LD) or bare event.

    ``strict`` makes XSD element-order departures errors instead of warnings; ``limits``
    are the XML reader's (by default :data:`VALIDATION_LIMITS`).
    """
    syntax = sniff_syntax(data)
    if syntax is None:
        problem = Problem(
            event_index=None,
            location="/",
            value=None,
            message="neither XML nor JSON: expected '<' or '{' as the first character",
            severity="error",
            rule="document.invalid",
        )
        return ValidationReport(problems=(problem,), events_checked=0, syntax=None)
    problems: list[Problem] = []
    checked = 0
    try:
        source = _xml_source if syntax == "xml" else _jsonld_source
        events, kind, version = source(data, limits)
    except EpcisDocumentError as exc:
        return ValidationReport(
            problems=(_reader_problem(exc, None),), events_checked=0, syntax=syntax
        )
    try:
        for _event, found in iter_validated(
            events, syntax=syntax, kind=kind, schema_version=version
        ):
            problems.extend(found)
            checked += 1
    except EpcisDocumentError as exc:
        problems.append(_reader_problem(exc, checked))
    else:
        if syntax == "xml":
            severity: Severity = "error" if strict else "warning"
            problems.extend(check_xml_element_order(data, severity=severity))
    return ValidationReport(problems=tuple(problems), events_checked=checked, syntax=syntax)


def validate_file(
    path: str | Path, *, strict: bool = False, limits: XmlLimits = VALIDATION_LIMITS
) -> ValidationReport:
    """Read and validate the EPCIS document in file ``path`` (see :func:`validate_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        problem = Problem(
            event_index=None,
            location="/",
            value=str(path),
            message=f"cannot read {str(path)!r}: {exc.strerror}",
            severity="error",
            rule="document.unreadable",
        )
        return ValidationReport(problems=(problem,), events_checked=0, syntax=None)
    return validate_bytes(data, strict=strict, limits=limits)
