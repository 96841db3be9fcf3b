"""Master data: vocabulary elements, their attributes and children (EPCIS 2.0 §7.2, §9.3).

Master data reaches the store from capture (the ``EPCISHeader`` of EPCIS 1.2 DSCSA documents
carries ``EPCISMasterData`` with the CBV 2.0 §10 ``cbvmda`` product attributes — NDC, regulated
product name, dosage form, strength — and location master data), from
``EPCISMasterDataDocument`` captures, and from :func:`put_vocabularies` directly.

Element ids are stored in the canonical key form of :func:`medtrace.store.codec.canonical_epc`
(an LGTIN class or an SGTIN ``idpat`` becomes a GS1 Digital Link URI), so that a lookup by any
spelling of the same GS1 key finds the element. The element as given (original id, attribute
order, element-tree attributes) is kept in ``vocabulary_element.attributes``.

Updating an element merges: attributes named again replace the stored ones, others are kept;
children are the union of old and new (EPCIS 2.0 §7.2.2 master data describes, it does not
retract).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Final

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from medtrace.epcis.model import Vocabulary, VocabularyAttribute, VocabularyElement
from medtrace.store import dbapi, schema
from medtrace.store.codec import canonical_epc, to_micros

__all__ = ["get_element", "get_vocabulary", "put_vocabularies"]

_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final[msgspec.json.Decoder[VocabularyElement]] = msgspec.json.Decoder(VocabularyElement)
_CHUNK: Final = 500


def _merge(old: VocabularyElement, new: VocabularyElement) -> VocabularyElement:
    """``new`` laid over ``old``: renamed attributes replaced, children united, new id kept."""
    replaced = {attribute.id for attribute in new.attributes}
    attributes = tuple(a for a in old.attributes if a.id not in replaced) + new.attributes
    children = tuple(dict.fromkeys(old.children + new.children))
    return VocabularyElement(id=new.id, attributes=attributes, children=children)


def _attribute_value(attribute: VocabularyAttribute) -> str | None:
    """The comparable text of an attribute (``EQATTR_``); element-tree values have none."""
    return attribute.value.strip() if attribute.value is not None else None


_LOAD: Final = "SELECT id, attributes FROM vocabulary_element WHERE vtype = {m} AND id {in}"
_TOUCH: Final = "UPDATE vocabulary_element SET updated = {m} WHERE vtype = {m} AND id {in}"


def _load(conn: Connection, vtype: str, keys: Sequence[str]) -> dict[str, VocabularyElement]:
    rows = dbapi.select_in(conn, _LOAD, keys, "text", (vtype,))
    return {key: _DECODER.decode(bytes(blob)) for key, blob in rows}


def put_vocabularies(conn: Connection, vocabularies: Iterable[Vocabulary]) -> int:
    """Store or update every element of ``vocabularies`` (set-based); return how many.

    Runs inside the caller's transaction (capture calls it in the capture transaction). An
    element whose merge with the stored one changes nothing (the same master data sent again
    with every document) only gets its ``updated`` time set; the others are rewritten.
    """
    count = 0
    now = to_micros(datetime.now(UTC))
    for vocabulary in vocabularies:
        merged: dict[str, VocabularyElement] = {}
        for element in vocabulary.elements:
            key = canonical_epc(element.id)
            previous = merged.get(key)
            merged[key] = element if previous is None else _merge(previous, element)
        if not merged:
            continue
        keys = sorted(merged)
        stored = _load(conn, vocabulary.type, keys)
        unchanged: set[str] = set()
        for key, old in stored.items():
            merged[key] = _merge(old, merged[key])
            if merged[key] == old:
                unchanged.add(key)
        if unchanged:
            dbapi.select_in(conn, _TOUCH, sorted(unchanged), "text", (now, vocabulary.type))
        changed = [key for key in keys if key not in unchanged]
        if changed:
            _replace(conn, vocabulary.type, changed, merged, now)
        count += len(keys)
    return count


def _replace(
    conn: Connection,
    vtype: str,
    keys: Sequence[str],
    elements: dict[str, VocabularyElement],
    now: int,
) -> None:
    for table, column in (
        (schema.vocabulary_element, schema.vocabulary_element.c.id),
        (schema.vocabulary_attribute, schema.vocabulary_attribute.c.id),
        (schema.vocabulary_child, schema.vocabulary_child.c.parent_id),
    ):
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            conn.execute(sa.delete(table).where(table.c.vtype == vtype, column.in_(chunk)))
    conn.execute(
        sa.insert(schema.vocabulary_element),
        [
            {
                "vtype": vtype,
                "id": key,
                "attributes": _ENCODER.encode(elements[key]),
                "updated": now,
            }
            for key in keys
        ],
    )
    attributes = [
        {"vtype": vtype, "id": key, "attr": a.id, "value": _attribute_value(a)}
        for key in keys
        for a in elements[key].attributes
    ]
    if attributes:
        conn.execute(sa.insert(schema.vocabulary_attribute), attributes)
    children = [
        {"vtype": vtype, "parent_id": key, "child_id": child}
        for key in keys
        for child in dict.fromkeys(canonical_epc(c) for c in elements[key].children)
    ]
    if children:
        conn.execute(sa.insert(schema.vocabulary_child), children)


def get_element(conn: Connection, vtype: str, element_id: str) -> VocabularyElement | None:
    """The stored element ``element_id`` (any spelling of its GS1 key) of type ``vtype``."""
    return _load(conn, vtype, [canonical_epc(element_id)]).get(canonical_epc(element_id))


def get_vocabulary(conn: Connection, vtype: str) -> Vocabulary:
    """Every stored element of ``vtype``, ordered by canonical id."""
    table = schema.vocabulary_element
    rows = conn.execute(
        sa.select(table.c.attributes).where(table.c.vtype == vtype).order_by(table.c.id)
    )
    return Vocabulary(type=vtype, elements=tuple(_DECODER.decode(blob) for (blob,) in rows))
