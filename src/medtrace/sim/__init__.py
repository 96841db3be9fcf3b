"""A seeded, deterministic simulator of a US pharmaceutical supply chain.

Manufacturers (some products made by a contract manufacturer and shipped from a 3PL) ship to
wholesale distribution centres, which ship to pharmacies and hospitals, which dispense; week by
week, with demand varying by product, season and region. Partners' EPCIS documents are written
as they would send them (EPCIS 1.2 XML per GS1 US DSCSA Implementation Guideline R1.3 for
manufacturer shipments, EPCIS 2.0 JSON-LD for the rest), with injected incidents (counterfeits,
clones, diversion, double dispensing, temperature excursions, a recall, partner data faults)
recorded in a ground-truth file. Only ``random.Random(seed)`` and a fixed simulated clock are
used, so the same seed gives the same bytes.

>>> from medtrace.sim import SCALES
>>> SCALES["small"]
50000
"""

from __future__ import annotations

from medtrace.sim.generate import SCALES, SimSummary, generate, parse_scale, weeks_for
from medtrace.sim.incidents import INCIDENT_TYPES, IncidentType

__all__ = [
    "INCIDENT_TYPES",
    "SCALES",
    "IncidentType",
    "SimSummary",
    "generate",
    "parse_scale",
    "weeks_for",
]
