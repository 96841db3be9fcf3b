"""Validation of EPCIS events and documents (EPCIS 2.0 §7, CBV 2.0 §7 to §8).

What a reader can read may still be wrong: an AggregationEvent ADD without a parentID, a
quantity with a unit but no amount, a misspelt CBV business step, an SGTIN with a bad check
digit. The rules live in :mod:`medtrace.epcis.validate_rules` (codes and sections in
:data:`~medtrace.epcis.validate_rules.RULES`); this module applies them to one event, to a
stream of events (as a reader yields them, in bounded memory) or to a whole document.

>>> from datetime import datetime, timezone
>>> from medtrace.epcis.model import AggregationEvent
>>> event = AggregationEvent(
...     event_time=datetime(2024, 1, 2, tzinfo=timezone.utc), event_time_zone_offset="+00:00",
...     action="ADD", child_epcs=("urn:epc:id:sgtin:0614141.107346.2017",))
>>> [(p.rule, p.location) for p in validate_event(event, index=3)]
[('aggregation.parent-required', '/epcisBody/eventList/3/parentID')]
>>> validate_event(event, index=3, syntax="xml")[0].location
'/EPCISDocument/EPCISBody/EventList/*[4]/parentID'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from medtrace.epcis.model import DocumentKind, EPCISDocument, Event
from medtrace.epcis.validate_core import Problem, Severity, Sink, Syntax
from medtrace.epcis.validate_rules import RULES, check_event

__all__ = [
    "RULES",
    "Problem",
    "Severity",
    "Syntax",
    "has_errors",
    "is_legacy_version",
    "iter_validated",
    "validate_document",
    "validate_event",
]


def is_legacy_version(schema_version: str) -> bool:
    """Whether a document's ``schemaVersion`` is EPCIS 1.x (1.0, 1.1, 1.2).

    >>> is_legacy_version("1.2"), is_legacy_version("2.0")
    (True, False)
    """
    return schema_version.strip().startswith("1.")


def validate_event(
    event: Event,
    *,
    index: int | None = None,
    syntax: Syntax = "jsonld",
    kind: DocumentKind = "document",
    schema_version: str = "2.0",
) -> list[Problem]:
    """All problems of one event.

    ``index`` is the event's 0-based position in its document (``None``: locations are
    relative to the event, e.g. ``/parentID``); ``syntax`` picks the location style; ``kind``
    says whether the event sits in a capture or a query document; ``schema_version`` 1.x
    tolerates unqualified EPCIS 1.2 ``##local`` extension elements (warning only).
    """
    sink = Sink(index=index, syntax=syntax, kind=kind)
    check_event(sink, event, legacy=is_legacy_version(schema_version))
    return sink.problems


def iter_validated(
    events: Iterable[Event],
    *,
    syntax: Syntax = "jsonld",
    kind: DocumentKind = "document",
    schema_version: str = "2.0",
    start: int = 0,
) -> Iterator[tuple[Event, list[Problem]]]:
    """Validate events one by one as they come (e.g. from a streaming reader).

    Yields ``(event, problems)`` so that a capture pipeline can store or refuse each event
    without holding the document; indexes count from ``start``.
    """
    for index, event in enumerate(events, start):
        yield (
            event,
            validate_event(
                event, index=index, syntax=syntax, kind=kind, schema_version=schema_version
            ),
        )


def validate_document(doc: EPCISDocument, *, syntax: Syntax = "jsonld") -> list[Problem]:
    """All problems of every event of ``doc``, in document order."""
    problems: list[Problem] = []
    for _event, found in iter_validated(
        doc.events, syntax=syntax, kind=doc.kind, schema_version=doc.schema_version
    ):
        problems.extend(found)
    return problems


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any problem is an error (warnings do not make a document invalid)."""
    return any(problem.severity == "error" for problem in problems)
