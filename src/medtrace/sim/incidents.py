"""Injected incidents: what goes wrong in the simulated supply chain, and its record.

The kinds follow the DSCSA problems a track-and-trace platform must find (FD&C Act §582:
suspect and illegitimate product, verification, exceptions of the GS1 US DSCSA Implementation
Guideline R1.3 and the PDG exception drafts):

========================  ==================================================================
``counterfeit``           a serial of a real GTIN that was never commissioned is dispensed
``clone``                 one real serial is dispensed at two different dispensers
``diversion``             a pack leaves its dispenser without an event and surfaces at a
                          dispenser of another wholesaler's chain
``double_dispensing``     one pack is dispensed twice at the same dispenser
``temperature_excursion`` cold-room or refrigerator readings outside 2-8 °C
``recall``                a lot that the manufacturer recalls
``missing_document``      a shipment arrives without its EPCIS document (product without data)
``data_without_product``  a document arrives, the shipment never does (data without product)
``aggregation_mismatch``  a case's packing event does not list what the case holds
========================  ==================================================================

Each incident is planned for a week (from the seeded generator) and carried out by the flows at
the first opportunity on or after it; only incidents that happened are recorded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias

__all__ = ["INCIDENT_TYPES", "IncidentBook", "IncidentType", "plan_incidents", "sighting"]

IncidentType: TypeAlias = Literal[
    "counterfeit",
    "clone",
    "diversion",
    "double_dispensing",
    "temperature_excursion",
    "recall",
    "missing_document",
    "data_without_product",
    "aggregation_mismatch",
]

INCIDENT_TYPES: Final[tuple[IncidentType, ...]] = (
    "counterfeit",
    "clone",
    "diversion",
    "double_dispensing",
    "temperature_excursion",
    "recall",
    "missing_document",
    "data_without_product",
    "aggregation_mismatch",
)

# kind: (packs per incident, most incidents, earliest week, latest week counted from the end)
_RATES: Final[dict[IncidentType, tuple[int, int, int, int]]] = {
    "counterfeit": (20_000, 100, 1, 1),
    "clone": (25_000, 100, 1, 1),
    "diversion": (25_000, 100, 1, 1),
    "double_dispensing": (25_000, 100, 1, 1),
    "temperature_excursion": (50_000, 50, 0, 1),
    "recall": (2_000_000, 3, 0, 2),
    "missing_document": (250_000, 20, 0, 2),
    "data_without_product": (500_000, 10, 0, 2),
    "aggregation_mismatch": (250_000, 20, 0, 2),
}


@dataclass(slots=True)
class IncidentBook:
    """Planned incidents (due weeks per kind) and the records of those that happened."""

    pending: dict[IncidentType, list[int]]
    records: list[dict[str, Any]] = field(default_factory=list)

    def due(self, kind: IncidentType, week: int) -> bool:
        """Whether an incident of ``kind`` is waiting to happen in or before ``week``."""
        waiting = self.pending[kind]
        return bool(waiting) and waiting[0] <= week

    def record(self, kind: IncidentType, week: int, **details: Any) -> dict[str, Any]:
        """Mark the next planned ``kind`` as done and keep its record (returned for updates)."""
        self.pending[kind].pop(0)
        entry: dict[str, Any] = {
            "id": f"INC-{len(self.records) + 1:05d}",
            "type": kind,
            "week": week,
            **details,
        }
        self.records.append(entry)
        return entry

    def counts(self) -> dict[str, int]:
        """How many incidents of each kind happened (every kind listed)."""
        counts: dict[str, int] = dict.fromkeys(INCIDENT_TYPES, 0)
        for entry in self.records:
            counts[entry["type"]] += 1
        return counts


def plan_incidents(rng: random.Random, packs: int, weeks: int) -> IncidentBook:
    """Plan how many incidents of each kind happen, and from which week."""
    pending: dict[IncidentType, list[int]] = {}
    for kind in INCIDENT_TYPES:
        per, most, first, from_end = _RATES[kind]
        count = min(most, max(1, packs // per))
        last = max(first, weeks - 1 - from_end)
        pending[kind] = sorted(rng.randint(first, last) for _ in range(count))
    return IncidentBook(pending=pending)


def sighting(
    party: str, location: str, when: datetime, document: str, biz_step: str
) -> dict[str, str]:
    """Where and when an identifier was seen, and in which document and kind of event."""
    return {
        "party": party,
        "location": location,
        "time": when.isoformat().replace("+00:00", "Z"),
        "document": document,
        "biz_step": biz_step,
    }
