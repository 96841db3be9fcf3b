"""Run a simulation and write its documents, master data and ground truth.

>>> parse_scale("small"), parse_scale("12000")
(50000, 12000)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from medtrace.sim.demand import production_plan
from medtrace.sim.dispensing import run_dispensing
from medtrace.sim.distribution import run_distribution
from medtrace.sim.emit import DocumentSink
from medtrace.sim.groundtruth import write_ground_truth, write_masterdata
from medtrace.sim.incidents import plan_incidents
from medtrace.sim.manufacturing import run_manufacturing
from medtrace.sim.state import SimState
from medtrace.sim.world import build_world

__all__ = ["MIN_PACKS", "SCALES", "SimSummary", "generate", "parse_scale", "weeks_for"]

SCALES: Final[dict[str, int]] = {"small": 50_000, "medium": 500_000, "large": 5_000_000}
"""Named scales, in saleable units (packs) commissioned."""

MIN_PACKS: Final = 100

Progress = Callable[[int, int], None]


def parse_scale(scale: str | int) -> int:
    """The number of packs of a named scale (``small``, ``medium``, ``large``) or a count."""
    if isinstance(scale, int):
        packs = scale
    elif scale.strip().lower() in SCALES:
        return SCALES[scale.strip().lower()]
    elif scale.strip().isdigit():
        packs = int(scale.strip())
    else:
        raise ValueError(f"scale must be small, medium, large or a number of packs, got {scale!r}")
    if packs < MIN_PACKS:
        raise ValueError(f"scale must be at least {MIN_PACKS} packs, got {packs}")
    return packs


def weeks_for(packs: int) -> int:
    """How many weeks a run of ``packs`` simulates: 4 for tiny runs, 13, or 26 from 20 000."""
    if packs < 2_000:
        return 4
    if packs < 20_000:
        return 13
    return 26


@dataclass(frozen=True, slots=True)
class SimSummary:
    """What a run wrote."""

    out_dir: Path
    seed: int
    packs_requested: int
    weeks: int
    documents: int
    xml_documents: int
    jsonld_documents: int
    events: int
    epc_references: int
    bytes: int
    packs: int
    cases: int
    pallets: int
    lots: int
    dispensed: int
    parties: int
    products: int
    incidents: dict[str, int] = field(default_factory=dict)

    @property
    def incident_total(self) -> int:
        """How many incidents were injected."""
        return sum(self.incidents.values())


def generate(
    out_dir: Path, *, scale: str | int, seed: int, progress: Progress | None = None
) -> SimSummary:
    """Simulate ``scale`` packs with ``seed`` and write everything below ``out_dir``.

    Layout: ``epcis/week-WW/{1-mfg,2-dc,3-ship,4-disp}-*.{xml,jsonld}`` (file names sort in a
    capture order that respects every pack's history), ``masterdata.json`` and
    ``ground_truth.json``. ``progress(done, total)`` is called after each simulated week.
    """
    packs = parse_scale(scale)
    weeks = weeks_for(packs)
    rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
    world = build_world(rng, packs)
    plan = production_plan(rng, world, packs, weeks)
    book = plan_incidents(rng, packs, weeks)
    out_dir.mkdir(parents=True, exist_ok=True)
    sink = DocumentSink(out_dir / "epcis")
    state = SimState(rng=rng, world=world, weeks=weeks, book=book, sink=sink)
    for week in range(weeks):
        run_manufacturing(state, week, plan[week])
        run_distribution(state, week)
        run_dispensing(state, week)
        state.flush(week)
        if progress is not None:
            progress(week + 1, weeks)
    totals = {
        "documents": sink.documents,
        "xml_documents": sink.xml_documents,
        "jsonld_documents": sink.jsonld_documents,
        "events": sink.events,
        "epc_references": sink.epc_references,
        "packs_commissioned": state.units_made,
        "cases": state.cases_made,
        "pallets": state.pallets_made,
        "lots": state.lots_made,
        "dispensing_scans": state.units_dispensed,
    }
    write_masterdata(out_dir / "masterdata.json", world)
    write_ground_truth(
        out_dir / "ground_truth.json", seed=seed, packs=packs, weeks=weeks, book=book, totals=totals
    )
    return SimSummary(
        out_dir=out_dir,
        seed=seed,
        packs_requested=packs,
        weeks=weeks,
        documents=sink.documents,
        xml_documents=sink.xml_documents,
        jsonld_documents=sink.jsonld_documents,
        events=sink.events,
        epc_references=sink.epc_references,
        bytes=sink.bytes,
        packs=state.units_made,
        cases=state.cases_made,
        pallets=state.pallets_made,
        lots=state.lots_made,
        dispensed=state.units_dispensed,
        parties=len(world.parties),
        products=len(world.products),
        incidents=book.counts(),
    )
