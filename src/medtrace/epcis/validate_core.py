"""Validation problems and where they are: the vocabulary shared by the validation modules.

A :class:`Problem` says what is wrong (``message``, a stable ``rule`` code), how bad it is
(``severity``), which event (``event_index``, 0-based document order) and where in the
document (``location``). Locations are written for the syntax the document came in:

* JSON-LD: a JSON pointer (RFC 6901), ``/epcisBody/eventList/3/childEPCs/0``;
* XML: an XPath-like path with 1-based positions,
  ``/EPCISDocument/EPCISBody/EventList/*[4]/childEPCs/epc[1]``, attributes as ``@name``.

Rules build locations with :class:`Loc`, a syntax-neutral path rendered only when a problem
is reported (valid events pay nothing for it).
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import msgspec

from medtrace.epcis.model import DocumentKind

__all__ = ["Loc", "Problem", "Severity", "Sink", "Syntax", "event_base"]

Severity: TypeAlias = Literal["error", "warning"]
Syntax: TypeAlias = Literal["xml", "jsonld"]


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One validation finding (an error makes the document invalid; a warning does not)."""

    event_index: int | None
    location: str
    value: str | None
    message: str
    severity: Severity
    rule: str


# A path segment: (kind, json text, xml text). kind is "field", "item", "attr" or "value".
_Segment: TypeAlias = tuple[str, str, str]


def _json_escape(token: str) -> str:
    """RFC 6901 §3 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


class Loc:
    """A syntax-neutral location inside an event; immutable, cheap to extend.

    >>> loc = Loc().item("sensorElementList", "sensorElementList", "sensorElement", 0)
    >>> loc = loc.item("sensorReport", None, "sensorReport", 2).attr("minValue")
    >>> loc.render("jsonld", "/e")
    '/e/sensorElementList/0/sensorReport/2/minValue'
    >>> loc.render("xml", "/E")
    '/E/sensorElementList/sensorElement[1]/sensorReport[3]/@minValue'
    """

    __slots__ = ("_segments",)

    def __init__(self, segments: tuple[_Segment, ...] = ()) -> None:
        self._segments = segments

    def field(self, name: str, xml_name: str | None = None) -> Loc:
        """A child field (``/name`` in both syntaxes unless ``xml_name`` differs)."""
        return Loc((*self._segments, ("field", name, xml_name or name)))

    def item(self, json_list: str, xml_list: str | None, xml_item: str, index: int) -> Loc:
        """Entry ``index`` (0-based) of a list: ``/json_list/i`` or ``/xml_list/xml_item[i+1]``."""
        xml = f"{xml_list}/{xml_item}[{index + 1}]" if xml_list else f"{xml_item}[{index + 1}]"
        return Loc((*self._segments, ("item", f"{json_list}/{index}", xml)))

    def attr(self, name: str) -> Loc:
        """A property that XML writes as an attribute (``/name`` vs ``/@name``)."""
        return Loc((*self._segments, ("attr", name, name)))

    def value(self, json_key: str) -> Loc:
        """The value of a list entry: a JSON key (``/source``), the element text in XML."""
        return Loc((*self._segments, ("value", json_key, "")))

    def render(self, syntax: Syntax, base: str) -> str:
        """The location text below ``base`` in the style of ``syntax``."""
        parts = [base]
        for kind, json_text, xml_text in self._segments:
            if syntax == "jsonld":
                tokens = json_text.split("/") if kind == "item" else [json_text]
                parts.extend("/" + _json_escape(token) for token in tokens)
            elif kind == "attr":
                parts.append(f"/@{xml_text}")
            elif xml_text:
                parts.append(f"/{xml_text}")
        return "".join(parts)


_EVENT_LIST_BASE: Final[dict[tuple[Syntax, DocumentKind], str]] = {
    ("jsonld", "document"): "/epcisBody/eventList",
    ("jsonld", "query"): "/epcisBody/queryResults/resultsBody/eventList",
    ("jsonld", "masterdata"): "/epcisBody/eventList",
    ("xml", "document"): "/EPCISDocument/EPCISBody/EventList",
    ("xml", "query"): "/EPCISQueryDocument/EPCISBody/QueryResults/resultsBody/EventList",
    ("xml", "masterdata"): "/EPCISDocument/EPCISBody/EventList",
}


def event_base(index: int | None, syntax: Syntax, kind: DocumentKind = "document") -> str:
    """The location of event ``index`` (0-based) in a document; ``""`` when not in one.

    >>> event_base(3, "jsonld"), event_base(3, "xml")
    ('/epcisBody/eventList/3', '/EPCISDocument/EPCISBody/EventList/*[4]')
    """
    if index is None:
        return ""
    head = _EVENT_LIST_BASE[syntax, kind]
    return f"{head}/{index}" if syntax == "jsonld" else f"{head}/*[{index + 1}]"


class Sink:
    """Collects the problems of one event, rendering locations in one syntax.

    ``base`` is the event's location (see :func:`event_base`); when not given it is worked
    out from ``index``, ``syntax`` and ``kind`` for the first problem (a valid event, the
    usual case, never needs it).
    """

    __slots__ = ("_base", "index", "kind", "problems", "syntax")

    def __init__(
        self,
        *,
        index: int | None,
        syntax: Syntax,
        base: str | None = None,
        kind: DocumentKind = "document",
    ) -> None:
        self.index = index
        self.syntax: Syntax = syntax
        self.kind: DocumentKind = kind
        self._base = base
        self.problems: list[Problem] = []

    @property
    def base(self) -> str:
        """The location of the event the problems belong to."""
        if self._base is None:
            self._base = event_base(self.index, self.syntax, self.kind)
        return self._base

    def add(
        self,
        loc: Loc,
        rule: str,
        message: str,
        value: str | None = None,
        severity: Severity = "error",
    ) -> None:
        """Record a problem at ``loc``."""
        self.problems.append(
            Problem(
                event_index=self.index,
                location=loc.render(self.syntax, self.base),
                value=value,
                message=message,
                severity=severity,
                rule=rule,
            )
        )
