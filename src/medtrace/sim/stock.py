"""Physical things in the simulation: lots, saleable units, cases, pallets and stock bins.

The packaging hierarchy follows the GS1 US DSCSA Implementation Guideline R1.3 §2: serialised
saleable units (SGTIN) are packed into homogeneous cases (SGTIN with a case-level GTIN), cases
onto pallets (SSCC). What the simulation *tracks* is the physical truth; what partners *report*
can differ (see :mod:`medtrace.sim.incidents`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

from medtrace.sim.world import Product, Site

__all__ = ["Bin", "Case", "Lot", "Pallet", "Unit"]


@dataclass(slots=True, eq=False)
class Lot:
    """A production lot (batch) of one product: lot number and expiry (CBV 2.0 §10 ILMD)."""

    product: Product
    number: str
    expiry: date
    made_at: Site
    week: int
    units: int = 0
    documents: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Unit:
    """A serialised saleable unit (the DSCSA product identifier's SGTIN)."""

    epc: str
    product: Product
    lot: Lot


@dataclass(slots=True, eq=False)
class Case:
    """A sealed homogeneous case of units, itself serialised with the case-level GTIN."""

    epc: str
    product: Product
    lot: Lot
    units: list[Unit]


@dataclass(slots=True, eq=False)
class Pallet:
    """A pallet of cases, identified by an SSCC."""

    epc: str
    cases: list[Case]


@dataclass(slots=True)
class Bin:
    """One product's stock at one site: sealed cases and loose units, first in first out."""

    cases: deque[Case] = field(default_factory=deque)
    loose: deque[Unit] = field(default_factory=deque)

    @property
    def units(self) -> int:
        """How many saleable units the bin holds."""
        return len(self.loose) + sum(len(case.units) for case in self.cases)

    def epcs(self) -> list[str]:
        """The top-level identifiers in the bin: sealed cases, then loose units."""
        return [case.epc for case in self.cases] + [unit.epc for unit in self.loose]
