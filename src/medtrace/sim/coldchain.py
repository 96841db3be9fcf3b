"""Temperature monitoring of cold-chain product (EPCIS 2.0 §7.3.7 sensor data).

Every DC cold room and every hospital pharmacy refrigerator has a data logger (identified by a
GIAI, EPC TDS §6.3.6) that reads the temperature every four hours. Each day it reports one
``OBSERVE`` ObjectEvent (bizStep ``sensor_reporting``) at the cold room's SGLN, naming the
cold-chain cases and units stored there and carrying the day's readings in degrees Celsius
(``CEL``). Readings normally stay within the 2-8 °C label storage range; an injected excursion
(door left open, compressor failure, or freezing) puts a run of readings outside it and is
recorded in the ground truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from medtrace.epcis.model import Event
from medtrace.sim.events import observe, temperature_readings
from medtrace.sim.incidents import sighting
from medtrace.sim.state import SimState, local
from medtrace.sim.world import Party, Site

__all__ = ["HIGH_CELSIUS", "LOW_CELSIUS", "daily_readings"]

LOW_CELSIUS: Final = Decimal(2)
HIGH_CELSIUS: Final = Decimal(8)
_READING_HOURS: Final = (0, 4, 8, 12, 16, 20)


def _normal(state: SimState) -> Decimal:
    value = min(7.6, max(2.4, state.rng.gauss(5.0, 0.8)))
    return Decimal(f"{value:.1f}")


def _excursion(state: SimState) -> list[Decimal]:
    """A run of 2-4 readings outside 2-8 °C: warm (9-15 °C) or freezing (-3 to 1 °C)."""
    rng = state.rng
    run = rng.randint(2, 4)
    if rng.random() < 0.7:
        return [Decimal(f"{rng.uniform(9.0, 15.0):.1f}") for _ in range(run)]
    return [Decimal(f"{rng.uniform(-3.0, 1.0):.1f}") for _ in range(run)]


def daily_readings(
    state: SimState,
    week: int,
    day: int,
    *,
    party: Party,
    site: Site,
    place: str,
    epcs: Sequence[str],
    document: str,
    last_chance: bool = False,
) -> Event:
    """The sensor-reporting event of one cold place for one day (maybe with an excursion).

    An excursion that is due happens at the first cold place holding cold-chain product, or
    anywhere when ``last_chance`` says no later opportunity remains.
    """
    values = [_normal(state) for _ in _READING_HOURS]
    excursion = state.book.due("temperature_excursion", week) and (bool(epcs) or last_chance)
    if excursion:
        bad = _excursion(state)
        start = state.rng.randrange(len(values) - len(bad) + 1)
        values[start : start + len(bad)] = bad
    times = [local(site, week, day, hour, 0) for hour in _READING_HOURS]
    asset = f"TL{site.location_reference}{place.rsplit('.', 1)[-1]}"
    device = f"urn:epc:id:giai:{site.company_prefix}.{asset}"
    reported = local(site, week, day, 23, 30)
    event = observe(
        reported,
        site,
        epcs,
        "sensor_reporting",
        "sellable_accessible",
        read_point=place,
        sensors=temperature_readings(device, list(zip(times, values, strict=True))),
    )
    if excursion:
        outside = [
            {"time": t.isoformat().replace("+00:00", "Z"), "celsius": float(v)}
            for t, v in zip(times, values, strict=True)
            if not LOW_CELSIUS <= v <= HIGH_CELSIUS
        ]
        state.book.record(
            "temperature_excursion",
            week,
            device=device,
            readings=outside,
            epcs=list(epcs),
            **sighting(party.owning_id, place, reported, document, "sensor_reporting"),
        )
    return event
