"""The EPCIS model (immutability, tagged union) and the CBV vocabularies (vocab.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.epcis import vocab
from medtrace.epcis.model import (
    AggregationEvent,
    EPCISDocument,
    Event,
    Extension,
    ObjectEvent,
    QuantityElement,
    TransformationEvent,
)

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _event() -> ObjectEvent:
    return ObjectEvent(
        event_time=WHEN,
        event_time_zone_offset="+00:00",
        action="ADD",
        epc_list=("urn:epc:id:sgtin:0614141.107346.2018",),
        quantity_list=(
            QuantityElement(
                epc_class="urn:epc:class:lgtin:4012345.012345.1", quantity=Decimal("1.50")
            ),
        ),
        ilmd=(
            Extension(
                namespace="urn:epcglobal:cbv:mda", name="lotNumber", prefix="cbvmda", value="A1"
            ),
        ),
    )


def test_events_are_frozen_and_hashable() -> None:
    event = _event()
    with pytest.raises(AttributeError):
        event.action = "DELETE"  # type: ignore[misc]
    assert hash(event) == hash(_event())
    assert event == _event()


def test_events_round_trip_through_msgspec_as_tagged_union() -> None:
    events: tuple[Event, ...] = (
        _event(),
        AggregationEvent(event_time=WHEN, event_time_zone_offset="+00:00", action="OBSERVE"),
        TransformationEvent(event_time=WHEN, event_time_zone_offset="-05:00"),
    )
    data = msgspec.json.encode(events)
    assert msgspec.json.decode(data, type=tuple[Event, ...]) == events
    assert json.loads(data)[1]["type"] == "AggregationEvent"


def test_document_defaults() -> None:
    doc = EPCISDocument(schema_version="2.0", creation_date=WHEN)
    assert (doc.kind, doc.events, doc.header, doc.namespaces) == ("document", (), None, ())


def test_model_stable_marker_is_last_line() -> None:
    from medtrace.epcis import model

    assert Path(model.__file__).read_text().rstrip().splitlines()[-1] == "# MODEL-STABLE"


@pytest.mark.parametrize(
    ("kind", "value", "canonical", "bare"),
    [
        # bare JSON-LD word to the CBV URN
        ("bizStep", "shipping", "urn:epcglobal:cbv:bizstep:shipping", "shipping"),
        # CBV 2.0 web URI
        (
            "disposition",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "urn:epcglobal:cbv:disp:in_transit",
            "in_transit",
        ),
        # a CURIE with the cbv prefix
        ("bizTransactionType", "cbv:BTT-po", "urn:epcglobal:cbv:btt:po", "po"),
        # URN stays URN
        (
            "sourceDestType",
            "urn:epcglobal:cbv:sdt:owning_party",
            "urn:epcglobal:cbv:sdt:owning_party",
            "owning_party",
        ),
        # error reason
        ("errorReason", "incorrect_data", "urn:epcglobal:cbv:er:incorrect_data", "incorrect_data"),
        # gs1: CURIE of a measurement type to the web URI (no URN form)
        ("measurementType", "gs1:Temperature", "https://gs1.org/voc/Temperature", "Temperature"),
        # sensor alert type
        (
            "sensorAlertType",
            "ALARM_CONDITION",
            "https://gs1.org/voc/ALARM_CONDITION",
            "ALARM_CONDITION",
        ),
        # component CURIE
        ("component", "cbv:Comp-northing", "https://ref.gs1.org/cbv/Comp-northing", "northing"),
        # user URI kept as given
        (
            "bizStep",
            "https://example.com/steps/x",
            "https://example.com/steps/x",
            "https://example.com/steps/x",
        ),
        # non-standard value in the CBV web namespace converted structurally
        (
            "bizStep",
            "https://ref.gs1.org/cbv/BizStep-teleporting",
            "urn:epcglobal:cbv:bizstep:teleporting",
            "urn:epcglobal:cbv:bizstep:teleporting",
        ),
        # unknown bare word kept (for the validator to flag)
        ("disposition", "broken", "broken", "broken"),
    ],
)
def test_vocabulary_forms(kind: vocab.VocabKind, value: str, canonical: str, bare: str) -> None:
    assert vocab.to_canonical(kind, value) == canonical
    assert vocab.to_bare(kind, value) == bare


_LISTS = [(k, w) for k, words in vocab.STANDARD_VALUES.items() for w in words]


@given(st.sampled_from(_LISTS), st.sampled_from(["bare", "canon", "web"]))
def test_every_spelling_has_one_canonical_form(
    item: tuple[vocab.VocabKind, str], form: str
) -> None:
    kind, word = item
    canon = vocab.to_canonical(kind, word)
    spelled = {"bare": word, "canon": canon, "web": vocab.to_web_uri(kind, word)}[form]
    assert vocab.to_canonical(kind, spelled) == canon
    assert vocab.to_bare(kind, spelled) == word
    assert vocab.is_standard(kind, spelled)


_SCHEMAS = {
    "bizStep": "bizStep",
    "disposition": "disposition",
    "bizTransactionType": "bizTransaction-type",
    "sourceDestType": "source-dest-type",
    "errorReason": "error-reason",
    "measurementType": "measurement-type",
    "sensorAlertType": "sensor-alert-type",
    "component": "component",
}


def _enums(node: object) -> list[str]:
    if isinstance(node, dict):
        found: list[str] = []
        for key, value in node.items():
            found.extend(value if key == "enum" else _enums(value))
        return found
    if isinstance(node, list):
        return [e for item in node for e in _enums(item)]
    return []


@pytest.mark.conformance
@pytest.mark.parametrize("kind", sorted(_SCHEMAS))
def test_code_lists_agree_with_gs1_json_schema(
    conformance_dir: Path, kind: vocab.VocabKind
) -> None:
    path = conformance_dir / "gs1-epcis/JSON-Schema/schemas" / f"{_SCHEMAS[kind]}-JSON-Schema.json"
    expected = set(_enums(json.loads(path.read_text())))
    assert set(vocab.STANDARD_VALUES[kind]) == expected
