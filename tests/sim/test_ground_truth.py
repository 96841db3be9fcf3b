"""The ground truth agrees with the documents, incident by incident."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from medtrace.epcis.model import AggregationEvent, Event, ObjectEvent
from medtrace.gs1.epc import SgtinUrn
from medtrace.sim import INCIDENT_TYPES
from tests.sim.conftest import Run


def step(event: Event) -> str:
    return (event.biz_step or "").rsplit(":", 1)[-1]


def identifiers(event: Event) -> tuple[str, ...]:
    """The EPCs, parent and children an event names."""
    if isinstance(event, ObjectEvent):
        return event.epc_list
    if isinstance(event, AggregationEvent):
        return (*((event.parent_id,) if event.parent_id else ()), *event.child_epcs)
    return ()


def events_naming(run: Run, epc: str) -> Iterator[tuple[str, Event]]:
    """(document, event) of every event that lists ``epc`` in its EPCs, parent or children."""
    for name, doc in run.documents.items():
        for event in doc.events:
            if epc in identifiers(event):
                yield name, event


def commissioned(run: Run) -> set[str]:
    return {
        epc
        for doc in run.documents.values()
        for event in doc.events
        if isinstance(event, ObjectEvent) and step(event) == "commissioning"
        for epc in event.epc_list
    }


def genuine(run: Run) -> set[str]:
    """Commissioned in a document, or in a shipment whose document never came."""
    undocumented = {
        epc
        for entry in run.incidents("missing_document")
        for epc in (*entry["units"], *entry["cases"])
    }
    return commissioned(run) | undocumented


def places(run: Run, epc: str, biz_step: str) -> list[tuple[str, str]]:
    """(document, business location) of the ``biz_step`` events of ``epc``."""
    return [
        (name, event.biz_location.id if event.biz_location else "")
        for name, event in events_naming(run, epc)
        if step(event) == biz_step
    ]


def test_every_incident_type_is_injected_at_tiny_scale(tiny: Run) -> None:
    counts = tiny.truth["incident_counts"]
    assert set(counts) == set(INCIDENT_TYPES)
    assert [kind for kind, count in counts.items() if count < 1] == []
    assert len(tiny.truth["incidents"]) == sum(counts.values())
    assert len({entry["id"] for entry in tiny.truth["incidents"]}) == len(tiny.truth["incidents"])


def test_counterfeit_serials_are_never_commissioned_but_dispensed(tiny: Run) -> None:
    real = genuine(tiny)
    for entry in tiny.incidents("counterfeit"):
        assert entry["epc"] not in real
        assert entry["epc"].endswith("." + entry["serial"])
        assert places(tiny, entry["epc"], "dispensing") == [(entry["document"], entry["location"])]


def test_clones_are_one_commissioned_serial_seen_at_two_places(tiny: Run) -> None:
    real = genuine(tiny)
    for entry in tiny.incidents("clone"):
        assert entry["epc"] in real
        seen = places(tiny, entry["epc"], "dispensing")
        expected = [(s["document"], s["location"]) for s in entry["sightings"]]
        assert sorted(seen) == sorted(expected)
        assert len({location for _, location in seen}) == 2


def test_double_dispensing_is_two_dispensing_events_at_one_place(tiny: Run) -> None:
    for entry in tiny.incidents("double_dispensing"):
        dispensed = [
            event for _, event in events_naming(tiny, entry["epc"]) if step(event) == "dispensing"
        ]
        assert len(dispensed) == 2
        assert len({e.biz_location.id for e in dispensed if e.biz_location}) == 1
        assert dispensed[0].event_time != dispensed[1].event_time


def test_diverted_packs_surface_outside_their_chain(tiny: Run) -> None:
    sgln_owner = {
        site["sgln"]: party["sgln"]
        for party in tiny.masterdata["parties"]
        for site in (party["headquarters"], *party["sites"])
    }
    for entry in tiny.incidents("diversion"):
        surfaced = entry["surfaced_at"]
        assert surfaced["party"] not in entry["expected_chain"]
        assert entry["left_from"] == entry["expected_chain"][-1]
        received = places(tiny, entry["epc"], "receiving")
        assert (surfaced["document"], surfaced["location"]) in received
        # nothing ships the pack to the party where it surfaced
        for _, event in events_naming(tiny, entry["epc"]):
            owners = {d.value for d in event.destinations}
            assert surfaced["party"] not in owners
        assert sgln_owner[surfaced["location"]] == surfaced["party"]


def test_excursion_readings_are_outside_2_to_8_celsius(tiny: Run) -> None:
    low, high = Decimal(2), Decimal(8)
    flagged: set[tuple[str, str]] = set()
    for entry in tiny.incidents("temperature_excursion"):
        assert entry["readings"]
        doc = tiny.documents[entry["document"]]
        (event,) = [
            e
            for e in doc.events
            if e.read_point is not None
            and e.read_point.id == entry["location"]
            and step(e) == "sensor_reporting"
            and e.sensor_elements[0].metadata is not None
            and e.sensor_elements[0].metadata.device_id == entry["device"]
            and any(
                r.value == Decimal(str(entry["readings"][0]["celsius"]))
                for r in e.sensor_elements[0].reports
            )
        ]
        outside = [
            r
            for r in event.sensor_elements[0].reports
            if r.value is not None and not low <= r.value <= high
        ]
        assert [float(r.value or 0) for r in outside] == [x["celsius"] for x in entry["readings"]]
        assert sorted(identifiers(event)) == sorted(entry["epcs"])
        flagged.add((entry["document"], entry["location"]))
    # every other temperature reading stays within the label range
    for name, doc in tiny.documents.items():
        for event in doc.events:
            for element in event.sensor_elements:
                for report in element.reports:
                    assert report.uom == "CEL" and report.type == "https://gs1.org/voc/Temperature"
                    if report.value is not None and not low <= report.value <= high:
                        assert event.read_point is not None
                        assert (name, event.read_point.id) in flagged


def test_the_recalled_lot_exists(tiny: Run) -> None:
    (entry,) = tiny.incidents("recall")
    units: set[str] = set()
    holders: set[str] = set()
    for name, doc in tiny.documents.items():
        for event in doc.events:
            if not isinstance(event, ObjectEvent) or step(event) != "commissioning":
                continue
            ilmd = {x.name: x.value for x in event.ilmd}
            if ilmd["lotNumber"] != entry["lot"]:
                continue
            matching = {e for e in event.epc_list if SgtinUrn.parse(e).gtin.value == entry["gtin"]}
            if matching:
                assert ilmd["itemExpirationDate"] == entry["expiry"]
                holders.add(name)
                units |= matching
    assert 0 < len(units) <= entry["packs"]
    assert holders == set(entry["documents"])


def test_the_shipment_without_a_document_arrived_without_one(tiny: Run) -> None:
    for entry in tiny.incidents("missing_document"):
        assert entry["expected_document"] not in tiny.documents
        assert not (tiny.root / "epcis" / entry["expected_document"]).exists()
        for pallet in entry["pallets"]:
            seen = list(events_naming(tiny, pallet))
            # the DC received the pallet, and no document commissioned or shipped it
            assert {step(event) for _, event in seen} == {"receiving", "unpacking"}
            assert all("/2-dc-" in name for name, _ in seen)


def test_the_document_without_product_was_never_received(tiny: Run) -> None:
    for entry in tiny.incidents("data_without_product"):
        doc = tiny.documents[entry["document"]]
        shipping = doc.events[-1]
        assert isinstance(shipping, ObjectEvent) and step(shipping) == "shipping"
        assert list(shipping.epc_list) == entry["pallets"]
        for pallet in entry["pallets"]:
            assert {name for name, _ in events_naming(tiny, pallet)} == {entry["document"]}


def test_the_mismatched_aggregation_differs_from_what_arrived(tiny: Run) -> None:
    for entry in tiny.incidents("aggregation_mismatch"):
        declared = [
            e
            for e in tiny.documents[entry["document"]].events
            if isinstance(e, AggregationEvent) and e.parent_id == entry["parent"]
        ]
        assert [list(e.child_epcs) for e in declared] == [entry["declared_children"]]
        opened = [
            event
            for name, event in events_naming(tiny, entry["parent"])
            if isinstance(event, AggregationEvent)
            and event.action == "DELETE"
            and event.parent_id == entry["parent"]
        ]
        for event in opened:  # the case may still be sealed at the end of the run
            assert sorted(event.child_epcs) == sorted(entry["actual_children"])
        assert set(entry["missing"]) == set(entry["declared_children"]) - set(
            entry["actual_children"]
        )
        assert set(entry["unexpected"]) == set(entry["actual_children"]) - set(
            entry["declared_children"]
        )
        assert entry["missing"] and entry["unexpected"]


@pytest.mark.parametrize(
    "kind",
    [
        # dispenser-side incidents name the document that shows them
        "counterfeit",
        # a temperature excursion names the document with the readings
        "temperature_excursion",
    ],
)
def test_incident_documents_exist(tiny: Run, kind: str) -> None:
    for entry in tiny.incidents(kind):
        assert entry["document"] in tiny.documents
