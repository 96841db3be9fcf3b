"""The EPCIS 2.0 JSON-LD ``@context``: standard context known offline, user prefixes, CURIEs.

EPCIS 2.0 §10 (JSON/JSON-LD binding) has every document reference the standard context
(``https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld``) and declare the namespaces
of user extensions (EPCIS 2.0 §7.3.2) as further, inline context objects:
``"@context": [STANDARD, {"example": "http://ns.example.com/epcis/"}]``. An extension member
``"example:myField"`` is then the element ``myField`` of namespace
``http://ns.example.com/epcis/``, exactly as ``<example:myField>`` is in XML.

medtrace never fetches a context. The standard context is known by its URLs (the ratified
2.0.0 one, the unversioned ``ref.gs1.org`` one and the ``gs1.github.io`` development copy,
which differ only in the datatype of ``quantity``); its prefixes are :data:`STANDARD_PREFIXES`,
read from that file. Any other remote context is refused. Inline term definitions whose value
is an object (``"rail:trainAxleCount": {"@type": "xsd:integer"}``) carry no namespace and are
accepted and ignored.

The standard context maps ``cbvmda`` to ``urn:epcglobal:cbv:mda:`` (with a trailing colon)
while the XML binding and CBV 2.0 §10 use the namespace ``urn:epcglobal:cbv:mda``. Both
spellings are read as the XML namespace, so DSCSA lot and expiry ILMD
(``cbvmda:lotNumber``, ``cbvmda:itemExpirationDate``) are the same model values in either syntax.

>>> ctx = JsonLdContext.standard().extended([{"example": "http://ns.example.com/epcis/"}], "")
>>> ctx.expand_key("example:myField", "/x")
('http://ns.example.com/epcis/', 'myField', 'example')
>>> ctx.expand_key("cbvmda:lotNumber", "/x")
('urn:epcglobal:cbv:mda', 'lotNumber', 'cbvmda')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from medtrace.epcis.errors import EpcisDocumentError

__all__ = [
    "CBV_MDA_NAMESPACE",
    "DEFAULT_CONTEXT_URL",
    "STANDARD_CONTEXT_URLS",
    "STANDARD_PREFIXES",
    "JsonLdContext",
    "PrefixAllocator",
    "split_iri",
]

DEFAULT_CONTEXT_URL: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
"""The ratified EPCIS 2.0.0 context, written by :mod:`medtrace.epcis.jsonld_writer`."""

STANDARD_CONTEXT_URLS: Final[frozenset[str]] = frozenset(
    {
        DEFAULT_CONTEXT_URL,
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)
"""URLs of the standard EPCIS 2.0 context that medtrace knows without the network."""

STANDARD_PREFIXES: Final[Mapping[str, str]] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
"""The prefixes the standard EPCIS 2.0 context defines (epcis-context.jsonld, top level)."""

CBV_MDA_NAMESPACE: Final = "urn:epcglobal:cbv:mda"
"""The CBV master-data namespace as the XML binding writes it (CBV 2.0 §10)."""

_CBV_MDA_CONTEXT_IRI: Final = "urn:epcglobal:cbv:mda:"
#: Member names whose expansion a context remembers (extension names repeat event by event).
_EXPANDED_MAX: Final = 1024


def _namespace_of(iri: str) -> str:
    """The extension namespace a prefix IRI stands for (``cbvmda`` without its colon)."""
    return CBV_MDA_NAMESPACE if iri == _CBV_MDA_CONTEXT_IRI else iri


def split_iri(iri: str) -> tuple[str, str] | None:
    """Split a full IRI used as a member name into (namespace, local name).

    The namespace ends at the last ``/``, ``#`` or ``:``; ``None`` when nothing follows it.

    >>> split_iri("https://ns.example.com/epcis/myField")
    ('https://ns.example.com/epcis/', 'myField')
    >>> split_iri("urn:example:field")
    ('urn:example:', 'field')
    """
    cut = max(iri.rfind("/"), iri.rfind("#"), iri.rfind(":"))
    if cut < 0 or cut == len(iri) - 1:
        return None
    return _namespace_of(iri[: cut + 1]), iri[cut + 1 :]


def _is_absolute_iri(text: str) -> bool:
    return text.startswith(("http://", "https://", "urn:"))


class JsonLdContext:
    """The active prefix map of a JSON-LD node (EPCIS 2.0 §10; JSON-LD 1.1 §4.1).

    ``declared`` lists the inline ``(prefix, namespace)`` definitions read so far, in
    document order, so that a writer can declare them again (``cbvmda``'s IRI is recorded as
    the XML namespace ``urn:epcglobal:cbv:mda``).
    """

    __slots__ = ("_expanded", "declared", "prefixes")

    def __init__(self, prefixes: Mapping[str, str], declared: tuple[tuple[str, str], ...]) -> None:
        self.prefixes: dict[str, str] = dict(prefixes)
        self.declared = declared
        self._expanded: dict[str, tuple[str, str, str | None]] = {}

    @classmethod
    def standard(cls) -> JsonLdContext:
        """The context of the standard EPCIS 2.0 context alone."""
        return cls(STANDARD_PREFIXES, ())

    def extended(self, value: object, pointer: str) -> JsonLdContext:
        """This context with a ``@context`` value (URL, object or array of those) applied.

        Raises :class:`EpcisDocumentError` for a remote context other than the standard one
        (nothing is ever fetched) and for values that are neither strings nor objects.

        >>> JsonLdContext.standard().extended("https://example.com/ctx.jsonld", "/@context")
        Traceback (most recent call last):
        ...
        medtrace.epcis.errors.EpcisDocumentError: /@context: unknown remote context \
'https://example.com/ctx.jsonld': expected the EPCIS 2.0 context or inline prefix \
definitions (medtrace never fetches contexts)
        """
        items = value if isinstance(value, list) else [value]
        prefixes = dict(self.prefixes)
        declared = list(self.declared)
        for index, item in enumerate(items):
            where = f"{pointer}/{index}" if isinstance(value, list) else pointer
            if isinstance(item, str):
                if item not in STANDARD_CONTEXT_URLS:
                    raise EpcisDocumentError(
                        f"unknown remote context {item!r}: expected the EPCIS 2.0 context or "
                        "inline prefix definitions (medtrace never fetches contexts)",
                        location=where,
                    )
                continue
            if not isinstance(item, dict):
                raise EpcisDocumentError(
                    f"expected a context URL or object, got {item!r}", location=where
                )
            for key, iri in item.items():
                if key.startswith("@") or not isinstance(iri, str) or ":" in key:
                    continue  # keywords and term definitions: no namespace to record
                if not _is_absolute_iri(iri):
                    raise EpcisDocumentError(
                        f"prefix {key!r} maps to {iri!r}, expected an absolute IRI "
                        "(http:, https: or urn:)",
                        location=f"{where}/{key}",
                    )
                prefixes[key] = iri
                pair = (key, _namespace_of(iri))  # declared as the XML namespace it stands for
                if pair not in declared:
                    declared.append(pair)
        return JsonLdContext(prefixes, tuple(declared))

    def expanded(self, key: str) -> tuple[str, str, str | None] | None:
        """What :meth:`expand_key` gave for ``key`` before, if it gave a namespace."""
        return self._expanded.get(key)

    def expand_key(self, key: str, pointer: str) -> tuple[str, str, str | None] | None:
        """``(namespace, local name, prefix)`` of an extension member name, or ``None``.

        ``None`` means the key is not a CURIE or IRI (a plain term). An unknown prefix is an
        error: the extension's namespace would be lost.
        """
        found = self._expand(key, pointer)
        if found is not None and len(self._expanded) < _EXPANDED_MAX:
            self._expanded[key] = found
        return found

    def _expand(self, key: str, pointer: str) -> tuple[str, str, str | None] | None:
        if _is_absolute_iri(key):
            parts = split_iri(key)
            if parts is None:
                raise EpcisDocumentError(
                    f"member name {key!r} is an IRI without a local name", location=pointer
                )
            return parts[0], parts[1], None
        prefix, sep, local = key.partition(":")
        if not sep:
            return None
        iri = self.prefixes.get(prefix)
        if iri is None or not local:
            raise EpcisDocumentError(
                f"member {key!r} uses prefix {prefix!r}, which no @context defines; expected "
                f"one of {', '.join(sorted(self.prefixes))}",
                location=pointer,
            )
        return _namespace_of(iri), local, prefix


class PrefixAllocator:
    """Prefixes for the namespaces a written JSON-LD document uses (EPCIS 2.0 §10).

    The document's own declarations are kept (so that reading the output gives the same
    declarations back), except those that would redefine a standard-context prefix for a
    namespace no extension uses: the XML binding's ``epcis`` and ``xsd`` prefixes, for example.
    An extension namespace without a declaration gets the extension's own prefix when that
    is free, otherwise a fresh ``ns1``, ``ns2``... The CBV master-data namespace is served by
    the standard ``cbvmda`` prefix.

    >>> alloc = PrefixAllocator(
    ...     [("example", "http://ns.example.com/epcis/"), ("epcis", "urn:epcglobal:epcis:xsd:2")],
    ...     used=["http://ns.example.com/epcis/"],
    ... )
    >>> alloc.prefix_for("http://ns.example.com/epcis/", None)
    'example'
    >>> alloc.prefix_for("urn:epcglobal:cbv:mda", "foo")
    'cbvmda'
    >>> alloc.prefix_for("http://other.example/", "example")
    'ns1'
    >>> alloc.context_object()
    {'example': 'http://ns.example.com/epcis/', 'ns1': 'http://other.example/'}
    """

    __slots__ = ("_by_namespace", "_by_prefix", "_counter")

    def __init__(self, declared: Iterable[tuple[str, str]] = (), *, used: Iterable[str] = ()):
        self._by_prefix: dict[str, str] = {}
        self._by_namespace: dict[str, str] = {}
        self._counter = 0
        used_set = set(used)
        for prefix, iri in declared:
            namespace = _namespace_of(iri)
            standard = STANDARD_PREFIXES.get(prefix)
            redefines = standard is not None and _namespace_of(standard) != namespace
            if prefix in self._by_prefix or (redefines and namespace not in used_set):
                continue
            self._by_prefix[prefix] = iri
            self._by_namespace.setdefault(namespace, prefix)

    def prefix_for(self, namespace: str, hint: str | None) -> str:
        """The prefix to write for ``namespace``, declaring it if needed.

        ``hint`` (the extension's own prefix) wins when it is declared for ``namespace``.
        """
        namespace = _namespace_of(namespace)
        if hint is not None and _namespace_of(self._by_prefix.get(hint, "")) == namespace:
            return hint
        known = self._by_namespace.get(namespace)
        if known is not None:
            return known
        if namespace == CBV_MDA_NAMESPACE and "cbvmda" not in self._by_prefix:
            self._by_namespace[namespace] = "cbvmda"
            return "cbvmda"
        if hint and self._free(hint):
            return self._bind(hint, namespace)
        while True:
            self._counter += 1
            candidate = f"ns{self._counter}"
            if self._free(candidate):
                return self._bind(candidate, namespace)

    def reserve(self, used: Iterable[tuple[str, str | None]]) -> None:
        """Bind each extension's own prefix where free, before any fresh prefix is made.

        A namespace may so get a second prefix; each extension keeps the one it came with.
        """
        for namespace, hint in used:
            if hint and self._free(hint):
                self._by_prefix[hint] = namespace
                self._by_namespace.setdefault(_namespace_of(namespace), hint)

    def _free(self, prefix: str) -> bool:
        return prefix not in self._by_prefix and prefix not in STANDARD_PREFIXES

    def _bind(self, prefix: str, namespace: str) -> str:
        self._by_prefix[prefix] = namespace
        self._by_namespace[namespace] = prefix
        return prefix

    def context_object(self) -> dict[str, str]:
        """The inline context object declaring every bound prefix, in binding order.

        The CBV master-data namespace is written as the JSON-LD IRI ``urn:epcglobal:cbv:mda:``
        (as the standard context defines it), so that ``cbvmda:lotNumber`` expands to
        ``urn:epcglobal:cbv:mda:lotNumber`` for any JSON-LD processor.
        """
        return {
            prefix: _CBV_MDA_CONTEXT_IRI if iri == CBV_MDA_NAMESPACE else iri
            for prefix, iri in self._by_prefix.items()
        }
