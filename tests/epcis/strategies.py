"""Hypothesis strategies for the EPCIS 2.0 model (EPCIS 2.0 §7.3, §7.4): all five event types.

Values are drawn in the forms every syntax can carry unchanged: canonical CBV values, aware
times with millisecond precision, finite decimals, extension trees whose same-named siblings
are adjacent (JSON-LD groups them into one array) and whose values are untyped text (XML has no
JSON value types). Shared by the codec, conversion and validator tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from medtrace.epcis import vocab
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    ErrorDeclaration,
    Event,
    ExtAttribute,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)

NAMESPACES: tuple[tuple[str, str], ...] = (
    ("example", "http://ns.example.com/epcis/"),
    ("ext1", "https://ext1.example.org/voc#"),
    ("cbvmda", "urn:epcglobal:cbv:mda"),
)
"""(prefix, namespace) pairs that generated extensions use."""

T = TypeVar("T")

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
)
_word = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True)
_offsets = st.sampled_from(["+00:00", "-05:00", "+01:00", "+05:30", "-11:00"])


@st.composite
def times(draw: st.DrawFn) -> datetime:
    """An aware datetime with millisecond precision in one of a few zones."""
    moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)))
    zone = draw(st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=1))]))
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000, tzinfo=zone)


def decimals() -> st.SearchStrategy[Decimal]:
    """Finite decimals such as quantities and sensor values."""
    return st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False)


def _cbv(kind: vocab.VocabKind) -> st.SearchStrategy[str]:
    return st.sampled_from(vocab.STANDARD_VALUES[kind]).map(lambda w: vocab.to_canonical(kind, w))


_sgtins = st.builds(
    lambda n: f"urn:epc:id:sgtin:0614141.107346.{n}", st.integers(min_value=0, max_value=10**6)
)
_sglns = st.sampled_from(["urn:epc:id:sgln:0614141.07346.1234", "urn:epc:id:sgln:0012345.11111.0"])
_classes = st.sampled_from(
    ["urn:epc:class:lgtin:4012345.012345.998877", "urn:epc:idpat:sgtin:4012345.098765.*"]
)
_uris = st.sampled_from(["https://example.org/a", "urn:uuid:6a4e1e6c-8f6b-4c67-9f5c-3b6a3d1c2b10"])


@st.composite
def extension_trees(draw: st.DrawFn, depth: int = 2) -> tuple[Extension, ...]:
    """Sibling extension elements; repeated names are adjacent, leaf text untyped."""
    out: list[Extension] = []
    for name in draw(st.lists(_word, min_size=1, max_size=3, unique=True)):
        prefix, namespace = draw(st.sampled_from(NAMESPACES))
        for _ in range(draw(st.integers(min_value=1, max_value=2))):
            if depth > 0 and draw(st.booleans()):
                children = draw(extension_trees(depth=depth - 1))
                out.append(
                    Extension(namespace=namespace, name=name, prefix=prefix, children=children)
                )
            else:
                attributes: tuple[ExtAttribute, ...] = ()
                if draw(st.booleans()):
                    attributes = (
                        ExtAttribute(
                            namespace="http://www.w3.org/2001/XMLSchema-instance",
                            name="type",
                            value="xsd:string",
                            prefix="xsi",
                        ),
                    )
                value = draw(_text)
                out.append(
                    Extension(
                        namespace=namespace,
                        name=name,
                        prefix=prefix,
                        value=value,
                        attributes=attributes,
                    )
                )
    return tuple(out)


def _attrs() -> st.SearchStrategy[tuple[ExtAttribute, ...]]:
    return st.lists(
        st.builds(
            lambda name, value: ExtAttribute(
                namespace=NAMESPACES[0][1], name=name, value=value, prefix=NAMESPACES[0][0]
            ),
            _word,
            _text,
        ),
        max_size=2,
        unique_by=lambda a: a.name,
    ).map(tuple)


def _opt(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


sensor_reports = st.builds(
    SensorReport,
    type=_opt(_cbv("measurementType")),
    exception=_opt(_cbv("sensorAlertType")),
    device_id=_opt(_uris),
    time=_opt(times()),
    value=_opt(decimals()),
    component=_opt(_cbv("component")),
    string_value=_opt(_text),
    boolean_value=_opt(st.booleans()),
    hex_binary_value=_opt(st.sampled_from(["f0f0f0", "00FF"])),
    uri_value=_opt(_uris),
    min_value=_opt(decimals()),
    max_value=_opt(decimals()),
    s_dev=_opt(decimals()),
    uom=_opt(st.sampled_from(["CEL", "KGM", "A93"])),
    coordinate_reference_system=_opt(_uris),
    extensions=_attrs(),
)
sensor_elements = st.builds(
    SensorElement,
    metadata=_opt(
        st.builds(
            SensorMetadata,
            time=_opt(times()),
            start_time=_opt(times()),
            end_time=_opt(times()),
            device_id=_opt(_uris),
            biz_rules=_opt(_uris),
            extensions=_attrs(),
        )
    ),
    reports=st.lists(sensor_reports, max_size=2).map(tuple),
    extensions=st.just(()) | extension_trees(depth=1),
)
_quantities = st.lists(
    st.builds(
        QuantityElement, epc_class=_classes, quantity=_opt(decimals()), uom=_opt(st.just("KGM"))
    ),
    max_size=2,
).map(tuple)
_epcs = st.lists(_sgtins, max_size=3).map(tuple)


def _common() -> dict[str, st.SearchStrategy[object]]:
    return {
        "event_time": times(),
        "event_time_zone_offset": _offsets,
        "event_id": _opt(st.just("urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8")),
        "record_time": _opt(times()),
        "error_declaration": _opt(
            st.builds(
                ErrorDeclaration,
                declaration_time=times(),
                reason=_opt(_cbv("errorReason")),
                corrective_event_ids=st.lists(_uris, max_size=2).map(tuple),
                extensions=st.just(()) | extension_trees(depth=0),
            )
        ),
        "certification_info": st.lists(_uris, max_size=2).map(tuple),
        "biz_step": _opt(_cbv("bizStep") | st.just("https://example.com/steps/exampling")),
        "disposition": _opt(_cbv("disposition")),
        "persistent_disposition": _opt(
            st.builds(
                PersistentDisposition,
                set=st.lists(_cbv("disposition"), min_size=1, max_size=2).map(tuple),
                unset=st.lists(_cbv("disposition"), max_size=1).map(tuple),
            )
        ),
        "read_point": _opt(
            st.builds(Location, id=_sglns, extensions=st.just(()) | extension_trees(depth=0))
        ),
        "biz_location": _opt(st.builds(Location, id=_sglns)),
        "biz_transactions": st.lists(
            st.builds(BizTransaction, value=_uris, type=_opt(_cbv("bizTransactionType"))),
            max_size=2,
        ).map(tuple),
        "sources": st.lists(
            st.builds(SourceDest, type=_cbv("sourceDestType"), value=_sglns), max_size=2
        ).map(tuple),
        "destinations": st.lists(
            st.builds(SourceDest, type=_cbv("sourceDestType"), value=_sglns), max_size=2
        ).map(tuple),
        "sensor_elements": st.lists(sensor_elements, max_size=2).map(tuple),
        "extensions": st.just(()) | extension_trees(),
    }


_actions = st.sampled_from(["ADD", "OBSERVE", "DELETE"])
_ilmd = st.just(()) | extension_trees(depth=1)

object_events = st.builds(
    ObjectEvent, action=_actions, epc_list=_epcs, quantity_list=_quantities, ilmd=_ilmd, **_common()
)
aggregation_events = st.builds(
    AggregationEvent,
    action=_actions,
    parent_id=_opt(_sgtins),
    child_epcs=_epcs,
    child_quantities=_quantities,
    **_common(),
)
transaction_events = st.builds(
    TransactionEvent,
    action=_actions,
    parent_id=_opt(_sgtins),
    epc_list=_epcs,
    quantity_list=_quantities,
    **_common(),
)
transformation_events = st.builds(
    TransformationEvent,
    input_epcs=_epcs,
    input_quantities=_quantities,
    output_epcs=_epcs,
    output_quantities=_quantities,
    transformation_id=_opt(_uris),
    ilmd=_ilmd,
    **_common(),
)
association_events = st.builds(
    AssociationEvent,
    action=_actions,
    parent_id=_opt(_sgtins),
    child_epcs=_epcs,
    child_quantities=_quantities,
    **_common(),
)
events: st.SearchStrategy[Event] = st.one_of(
    object_events, aggregation_events, transaction_events, transformation_events, association_events
)
"""Any of the five EPCIS 2.0 event types, with every field drawn (or absent)."""

documents = st.builds(
    EPCISDocument,
    schema_version=st.just("2.0"),
    creation_date=times(),
    events=st.lists(events, min_size=1, max_size=3).map(tuple),
    namespaces=st.just(NAMESPACES[:2]),
)
"""EPCIS documents declaring the generated extension namespaces."""
