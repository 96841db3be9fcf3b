"""Product-level identifiers built from a GTIN (GS1 General Specifications §4.13, EPC TDS §6.3.1).

* :class:`Sgtin`: GTIN + serial, AI (01) + AI (21): one saleable unit.
* :class:`Lgtin`: GTIN + batch/lot, AI (01) + AI (10): one batch of a trade item (EPC class).
* :class:`ProductIdentifier`: the DSCSA product identifier (FD&C Act §581(14)): GTIN (embedding
  the NDC), serial, lot and expiry, carried in a GS1 DataMatrix as AIs 01, 17, 10 and 21.

``str`` gives the human-readable element string, fixed-length AIs first (§4.13, §5.1).

>>> pi = ProductIdentifier(
...     Gtin.parse("00300021433802"), "0012", "LOT-1", Gs1Date.from_date(datetime.date(2027, 5, 31))
... )
>>> str(pi)
'(01)00300021433802(17)270531(10)LOT-1(21)0012'
>>> str(pi.sgtin), str(pi.lgtin)
('(01)00300021433802(21)0012', '(01)00300021433802(10)LOT-1')
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.serial import validate_lot, validate_serial

__all__ = ["Lgtin", "ProductIdentifier", "Sgtin"]


def _require_gtin(owner: str, gtin: object) -> None:
    if not isinstance(gtin, Gtin):
        raise TypeError(f"{owner}.gtin must be a Gtin, got {type(gtin).__name__}")


@dataclass(frozen=True, slots=True)
class Sgtin:
    """A serialised GTIN: one instance of a trade item (EPC TDS §6.3.1).

    >>> Sgtin(Gtin.parse("00300021433802"), "0012").serial
    '0012'
    """

    gtin: Gtin
    serial: str

    def __post_init__(self) -> None:
        _require_gtin("Sgtin", self.gtin)
        validate_serial(self.serial)

    def __str__(self) -> str:
        return f"(01){self.gtin}(21){self.serial}"


@dataclass(frozen=True, slots=True)
class Lgtin:
    """A GTIN with a batch/lot number: one production batch (EPC TDS §6.3.1, LGTIN class).

    >>> Lgtin(Gtin.parse("00300021433802"), "A1").lot
    'A1'
    """

    gtin: Gtin
    lot: str

    def __post_init__(self) -> None:
        _require_gtin("Lgtin", self.gtin)
        validate_lot(self.lot)

    def __str__(self) -> str:
        return f"(01){self.gtin}(10){self.lot}"


@dataclass(frozen=True, slots=True)
class ProductIdentifier:
    """The DSCSA product identifier: GTIN, serial (21), lot (10) and expiry (17).

    >>> pi = ProductIdentifier(
    ...     Gtin.parse("00300021433802"), "7", "L", Gs1Date.from_date(datetime.date(2027, 1, 2))
    ... )
    >>> pi.expiry.isoformat()
    '2027-01-02'
    """

    gtin: Gtin
    serial: str
    lot: str
    expiry: Gs1Date

    def __post_init__(self) -> None:
        _require_gtin("ProductIdentifier", self.gtin)
        validate_serial(self.serial)
        validate_lot(self.lot)
        if not isinstance(self.expiry, Gs1Date):
            raise TypeError(
                f"ProductIdentifier.expiry must be a Gs1Date, got {type(self.expiry).__name__}"
            )

    @property
    def sgtin(self) -> Sgtin:
        """The serialised GTIN of this unit."""
        return Sgtin(self.gtin, self.serial)

    @property
    def lgtin(self) -> Lgtin:
        """The GTIN + lot of this unit's batch."""
        return Lgtin(self.gtin, self.lot)

    def is_expired(self, on: datetime.date) -> bool:
        """Whether the expiry date has passed on ``on`` (usable through the expiry day)."""
        return self.expiry.is_expired(on)

    def __str__(self) -> str:
        return f"(01){self.gtin}(17){self.expiry}(10){self.lot}(21){self.serial}"
