"""Streaming reader of EPCIS XML documents (EPCIS 1.2 and 2.0, EPCIS 2.0 §9.3).

Reads ``EPCISDocument``, ``EPCISQueryDocument`` (``QueryResults``, EPCIS 2.0 §8.2.7 /
EPCIS 1.2 §11) and ``EPCISMasterDataDocument`` onto :mod:`medtrace.epcis.model`.

Big documents are read in bounded memory: lxml's pull parser (the engine behind
``iterparse``) reports only the *end* of event elements and of ``EPCISHeader`` (the tag
filter runs in C, so EPCs and other small elements cost no Python work until their event is
converted); each event element is converted, then cleared and removed together with its
preceding siblings, so the tree never holds more than the current event. Safety checks
(no DTD, byte limit) come from :mod:`medtrace.epcis.xml_safety`.

>>> doc = read_xml(b'''<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"
...   schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z"><EPCISBody><EventList>
...   <ObjectEvent><eventTime>2024-01-02T03:04:05Z</eventTime>
...   <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList>
...   <epc>urn:epc:id:sgtin:0614141.107346.2018</epc></epcList><action>OBSERVE</action>
...   <bizStep>shipping</bizStep></ObjectEvent></EventList></EPCISBody>
...   </epcis:EPCISDocument>''')
>>> doc.events[0].biz_step, doc.events[0].epc_list
('urn:epcglobal:cbv:bizstep:shipping', ('urn:epc:id:sgtin:0614141.107346.2018',))
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import datetime
from typing import Final

from lxml import etree

from medtrace.epcis.errors import EpcisDocumentError
from medtrace.epcis.model import (
    DocumentKind,
    EPCISDocument,
    EPCISHeader,
    Event,
    Extension,
    Vocabulary,
)
from medtrace.epcis.xml_event_reader import XmlValueProblem, element_to_event, text_of
from medtrace.epcis.xml_header_reader import (
    parse_document_extensions,
    parse_header,
    parse_vocabulary_list,
)
from medtrace.epcis.xml_names import (
    EPCIS_NAMESPACES,
    EPCIS_NS,
    EVENT_NAMES,
    MASTERDATA_NS,
    QUERY_NS,
    split_tag,
    tag_variants,
)
from medtrace.epcis.xml_safety import (
    XmlLimits,
    XmlSource,
    new_pull_parser,
    parse_document,
    read_chunks,
    syntax_error,
)
from medtrace.epcis.xml_values import parse_datetime

__all__ = ["XmlEventStream", "iter_xml_events", "read_xml", "read_xml_event"]

Element = etree._Element

_EVENT_TAGS: Final = frozenset(t for name in EVENT_NAMES for t in tag_variants(name))
_HEADER_TAGS: Final = frozenset(tag_variants("EPCISHeader"))
_BODY_TAGS: Final = frozenset(tag_variants("EPCISBody"))
_EVENT_LIST_TAGS: Final = frozenset(tag_variants("EventList"))
_WRAPPER_TAGS: Final = frozenset(tag_variants("extension"))
_ROOT_KINDS: Final[dict[str, DocumentKind]] = {
    **{f"{{{ns}}}EPCISDocument": "document" for ns in EPCIS_NS.values()},
    **{f"{{{ns}}}EPCISQueryDocument": "query" for ns in QUERY_NS.values()},
    **{f"{{{ns}}}EPCISMasterDataDocument": "masterdata" for ns in MASTERDATA_NS.values()},
}
_PULL_TAGS: Final = tuple(sorted(_EVENT_TAGS | _HEADER_TAGS))


def _step(el: Element) -> str:
    """``name`` or ``name[i]`` (1-based, when same-named siblings exist) for a path."""
    name = split_tag(el.tag)[1]
    parent = el.getparent()
    if parent is None:
        return name
    same = [c for c in parent if c.tag == el.tag]
    return f"{name}[{same.index(el) + 1}]" if len(same) > 1 else name


def _path(el: Element, stop: Element | None = None) -> str:
    """An XPath-like location of ``el`` (relative to ``stop`` if given)."""
    steps: list[str] = []
    node: Element | None = el
    while node is not None and node is not stop:
        steps.append(_step(node))
        node = node.getparent()
    return "/".join(reversed(steps))


def _problem(exc: XmlValueProblem, location: str) -> EpcisDocumentError:
    if exc.attribute:
        location = f"{location}/@{exc.attribute}"
    return EpcisDocumentError(exc.message, location=location)


class XmlEventStream:
    """An EPCIS XML document being read: document properties first, then its events.

    After construction, ``schema_version``, ``creation_date``, ``kind``, ``namespaces``,
    ``header`` (and for query documents ``query_name``/``subscription_id`` once the first
    event or the end is reached) are known; :attr:`events` yields ``(index, event)`` in
    document order. :meth:`document` builds the whole :class:`EPCISDocument`.
    """

    def __init__(self, source: XmlSource, limits: XmlLimits | None = None) -> None:
        self._chunks = read_chunks(source, limits or XmlLimits())
        self._parser = new_pull_parser(_PULL_TAGS)
        self._pending: deque[Element] = deque()
        self._root: Element | None = None
        self._done = False
        self._consumed = False
        self._counts: dict[str, int] = {}
        self.header: EPCISHeader | None = None
        self.schema_version = ""
        self.creation_date: datetime | None = None
        self.kind: DocumentKind = "document"
        self.namespaces: tuple[tuple[str, str], ...] = ()
        self.query_name: str | None = None
        self.subscription_id: str | None = None
        self.vocabularies: tuple[Vocabulary, ...] = ()
        self.extensions: tuple[Extension, ...] = ()
        self._prime()

    # ------------------------------------------------------------------ parsing steps

    def _pull(self) -> bool:
        """Feed one more chunk (or finish); False once the document is exhausted."""
        if self._done:
            return False
        try:
            chunk = next(self._chunks, None)
            if chunk is None:
                root = self._parser.close()
                self._done = True
                if self._root is None:
                    self._set_root(root)
            else:
                self._parser.feed(chunk)
            for _action, el in self._parser.read_events():
                if not isinstance(el, etree._Element):  # pragma: no cover - end events only
                    continue
                if self._root is None:
                    self._set_root(el.getroottree().getroot())
                self._pending.append(el)
        except etree.XMLSyntaxError as exc:
            raise syntax_error(exc) from exc
        return True

    def _set_root(self, root: Element) -> None:
        self._root = root
        kind = _ROOT_KINDS.get(root.tag)
        name = split_tag(root.tag)[1]
        if kind is None:
            hint = "; use read_xml_event() for a single event" if name in EVENT_NAMES else ""
            raise EpcisDocumentError(
                f"root element {root.tag} is not an EPCIS document (expected EPCISDocument, "
                f"EPCISQueryDocument or EPCISMasterDataDocument){hint}",
                location=f"/{name}",
            )
        self.kind = kind
        version = root.get("schemaVersion")
        if not version:
            raise EpcisDocumentError("schemaVersion attribute missing", location=f"/{name}")
        self.schema_version = version.strip()
        created = root.get("creationDate")
        if not created:
            raise EpcisDocumentError("creationDate attribute missing", location=f"/{name}")
        try:
            self.creation_date = parse_datetime(created.strip())
        except ValueError as exc:
            raise EpcisDocumentError(str(exc), location=f"/{name}/@creationDate") from None
        self.namespaces = tuple(
            sorted(
                (prefix, uri)
                for prefix, uri in root.nsmap.items()
                if prefix is not None and uri not in EPCIS_NAMESPACES
            )
        )

    def _prime(self) -> None:
        """Read until the header is parsed or the first event (or the end) is reached."""
        while True:
            while self._pending:
                el = self._pending[0]
                if el.tag in _HEADER_TAGS and el.getparent() is self._root:
                    self._pending.popleft()
                    try:
                        self.header = parse_header(el)
                    except XmlValueProblem as exc:
                        raise _problem(exc, "/" + _path(exc.element)) from None
                    return
                if el.tag in _EVENT_TAGS and self._event_top(el) is not None:
                    return
                self._pending.popleft()
            if not self._pull():
                return

    def _event_top(self, el: Element) -> Element | None:
        """The child of ``EventList`` that holds event ``el``, or None if ``el`` is nested
        in something else (e.g. a user extension)."""
        top = el
        parent = el.getparent()
        while parent is not None and parent.tag in _WRAPPER_TAGS:
            top, parent = parent, parent.getparent()
        if parent is None or parent.tag not in _EVENT_LIST_TAGS:
            return None
        return top

    def _event_location(self, top: Element, el: Element, index: int) -> str:
        event_list = top.getparent()
        prefix = _path(event_list) if event_list is not None else ""
        top_name = split_tag(top.tag)[1]
        inner = _path(el, top) if el is not top else ""
        return f"/{prefix}/{top_name}[{index}]" + (f"/{inner}" if inner else "")

    def _query_results(self, event_list: Element | None) -> None:
        """Pick up queryName/subscriptionID of a query document (EPCIS 2.0 §8.2.7)."""
        if self.kind != "query" or self.query_name is not None:
            return
        results: Element | None = None
        if event_list is not None:
            body = event_list.getparent()
            results = body.getparent() if body is not None else None
        elif self._root is not None:
            for body_el in self._root:
                if body_el.tag in _BODY_TAGS:
                    results = next(iter(body_el), None)
        outer = results.getparent() if results is not None else None
        if (
            results is None
            or split_tag(results.tag)[1] != "QueryResults"
            or outer is None
            or outer.tag not in _BODY_TAGS
        ):
            shown = event_list if event_list is not None else results
            raise EpcisDocumentError(
                "EPCISQueryDocument must hold EPCISBody/QueryResults/resultsBody/EventList "
                "(a query result); found something else",
                location=f"/{_path(shown)}" if shown is not None else None,
            )
        for child in results:
            name = split_tag(child.tag)[1]
            try:
                if name == "queryName":
                    self.query_name = text_of(child)
                elif name == "subscriptionID":
                    self.subscription_id = text_of(child)
            except XmlValueProblem as exc:
                raise _problem(exc, "/" + _path(exc.element)) from None

    # ------------------------------------------------------------------ events

    @property
    def events(self) -> Iterator[tuple[int, Event]]:
        """The events, in document order, as ``(index, event)``; can be consumed once."""
        if self._consumed:
            raise RuntimeError("the events of an XmlEventStream can be iterated only once")
        self._consumed = True
        return self._iter_events()

    def _iter_events(self) -> Iterator[tuple[int, Event]]:
        index = 0
        counts = self._counts
        pending = self._pending
        while True:
            while pending:
                el = pending.popleft()
                tag = el.tag
                if tag in _HEADER_TAGS:
                    continue
                parent = el.getparent()
                if parent is not None and parent.tag in _EVENT_LIST_TAGS:
                    top = el  # the usual place: directly in EventList
                else:
                    found = self._event_top(el)
                    if found is None:
                        continue
                    top, tag, parent = found, found.tag, found.getparent()
                if index == 0:
                    self._query_results(parent)
                position = counts[tag] = counts.get(tag, 0) + 1
                try:
                    event = element_to_event(el)
                except XmlValueProblem as exc:
                    location = self._event_location(top, exc.element, position)
                    raise _problem(exc, location) from None
                yield index, event
                index += 1
                top.clear()
                if parent is not None:
                    while top.getprevious() is not None:
                        del parent[0]
            if not self._pull():
                break
        self._finish()

    def _finish(self) -> None:
        root = self._root
        if root is None:  # pragma: no cover - _pull sets the root when closing
            return
        self._query_results(None)
        try:
            body_skip = _EVENT_LIST_TAGS
            for child in root:
                if child.tag in _BODY_TAGS:
                    if self.kind == "masterdata":
                        for part in child:
                            if split_tag(part.tag)[1] == "VocabularyList":
                                self.vocabularies = parse_vocabulary_list(part)
                    elif self.kind == "document":
                        parse_document_extensions(child, body_skip)
            self.extensions = parse_document_extensions(root, _HEADER_TAGS | _BODY_TAGS)
        except XmlValueProblem as exc:
            raise _problem(exc, "/" + _path(exc.element)) from None

    def document(self, events: tuple[Event, ...]) -> EPCISDocument:
        """The whole document, given its events (call after consuming :attr:`events`)."""
        if self.creation_date is None:  # pragma: no cover - set when the root is seen
            raise EpcisDocumentError("document has no root element")
        return EPCISDocument(
            schema_version=self.schema_version,
            creation_date=self.creation_date,
            events=events,
            header=self.header,
            namespaces=self.namespaces,
            kind=self.kind,
            subscription_id=self.subscription_id,
            query_name=self.query_name,
            vocabularies=self.vocabularies,
            extensions=self.extensions,
        )


def iter_xml_events(source: XmlSource, limits: XmlLimits | None = None) -> XmlEventStream:
    """Open an EPCIS XML document for streaming (header first, then ``.events``)."""
    return XmlEventStream(source, limits)


def read_xml(source: XmlSource, limits: XmlLimits | None = None) -> EPCISDocument:
    """Read a whole EPCIS XML document (1.2 or 2.0; capture, query or master data)."""
    stream = XmlEventStream(source, limits)
    events = tuple(event for _index, event in stream.events)
    return stream.document(events)


def read_xml_event(source: XmlSource, limits: XmlLimits | None = None) -> Event:
    """Read a single event element as a document of its own (e.g. a REST event body)."""
    root = parse_document(source, limits)
    if root.tag not in _EVENT_TAGS:
        raise EpcisDocumentError(
            f"expected an event element as root, got {root.tag}",
            location=f"/{split_tag(root.tag)[1]}",
        )
    try:
        return element_to_event(root)
    except XmlValueProblem as exc:
        raise _problem(exc, "/" + _path(exc.element)) from None
