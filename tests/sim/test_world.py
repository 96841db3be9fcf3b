"""The building blocks: scale, clock, identifiers, world, apportioning."""

from __future__ import annotations

import random

import pytest

from medtrace.gs1.checkdigit import is_valid
from medtrace.gs1.epc import SgtinUrn, SsccUrn
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln
from medtrace.gs1.ndc import Ndc
from medtrace.sim import parse_scale, weeks_for
from medtrace.sim.clock import at, local_offset
from medtrace.sim.demand import largest_remainder
from medtrace.sim.ids import COUNTERFEIT_BASE, SerialScheme, SsccSource, new_scheme
from medtrace.sim.world import build_world


@pytest.mark.parametrize(
    ("text", "packs"),
    [
        ("small", 50_000),  # named scales
        ("medium", 500_000),
        ("large", 5_000_000),
        (" Small ", 50_000),  # case and blanks do not matter
        ("300", 300),  # an explicit number of packs
        (1234, 1234),  # an int from the Python API
    ],
)
def test_parse_scale(text: str | int, packs: int) -> None:
    assert parse_scale(text) == packs


@pytest.mark.parametrize(
    "text",
    [
        "huge",  # not a scale
        "12k",  # not a plain number
        "99",  # below the minimum
        "-5",  # negative
    ],
)
def test_parse_scale_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="scale"):
        parse_scale(text)


@pytest.mark.parametrize(
    ("packs", "weeks"),
    [
        (300, 4),  # tiny runs are short
        (5_000, 13),  # a quarter
        (50_000, 26),  # half a year from the small scale up
    ],
)
def test_weeks_for(packs: int, weeks: int) -> None:
    assert weeks_for(packs) == weeks


@pytest.mark.parametrize(
    ("zone", "week", "day", "hour", "offset"),
    [
        ("Eastern", 0, 0, 12, "-05:00"),  # January: standard time
        ("Pacific", 0, 0, 12, "-08:00"),
        ("Eastern", 26, 0, 12, "-04:00"),  # July: daylight time
        ("Central", 26, 0, 12, "-05:00"),
        # 2025-03-09 is the second Sunday of March: 07:00 UTC is 02:00 EST, DST starts
        ("Eastern", 8, 6, 6, "-05:00"),
        ("Eastern", 8, 6, 7, "-04:00"),
    ],
)
def test_local_offset_follows_us_daylight_saving(
    zone: str, week: int, day: int, hour: int, offset: str
) -> None:
    assert local_offset(zone, at(week, day, hour)) == offset  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weights", "total", "expected"),
    [
        ([1.0, 1.0, 1.0], 10, [4, 3, 3]),  # ties go to the first
        ([3.0, 1.0], 8, [6, 2]),  # exact shares
        ([0.0, 0.0], 5, [0, 0]),  # nothing to weigh
        ([0.2, 0.7, 0.1], 1, [0, 1, 0]),  # the largest remainder wins
    ],
)
def test_largest_remainder(weights: list[float], total: int, expected: list[int]) -> None:
    assert largest_remainder(weights, total) == expected


@pytest.mark.parametrize("style", ["numeric", "alnum"])
def test_serial_schemes_are_permutations(style: str) -> None:
    rng = random.Random(3)
    scheme: SerialScheme = new_scheme(rng, style)  # type: ignore[arg-type]
    serials = [scheme.serial(n) for n in range(5_000)]
    fakes = [scheme.serial(COUNTERFEIT_BASE + n) for n in range(5_000)]
    assert len(set(serials) | set(fakes)) == 10_000
    assert all(len(s) in (10, 12) and s.isalnum() for s in serials)


def test_sscc_source_gives_valid_consecutive_ssccs() -> None:
    source = SsccSource("0614141", "3")
    first, second = source.next(), source.next()
    assert first != second
    for urn in (first, second):
        key = SsccUrn.parse(urn).to_key()
        assert is_valid(str(key))


@pytest.mark.parametrize("packs", [300, 50_000])
def test_world_identifiers_are_valid(packs: int) -> None:
    world = build_world(random.Random(11), packs)
    roles = {party.role for party in world.parties}
    assert roles == {"manufacturer", "cmo", "3pl", "wholesaler", "pharmacy", "hospital"}
    glns = [site.gln for p in world.parties for site in (p.hq, *p.sites)]
    assert len(set(glns)) == len(glns)
    for gln in glns:
        Gln.parse(gln)  # raises on a bad check digit
    for product in world.products:
        assert product.ndc in Ndc.from_gtin(product.unit_gtin)
        assert product.case_gtin.indicator == "5"
        assert product.ndc in Ndc.from_gtin(Gtin.parse(product.case_gtin.value))
        unit = SgtinUrn.parse(product.unit_epc(0))
        assert unit.gtin == product.unit_gtin
        assert SgtinUrn.parse(product.case_epc(0)).gtin == product.case_gtin
    assert any(product.cold_chain for product in world.products)
    made_by = {world.owner(world.sites[p.maker_site]).role for p in world.products}
    assert made_by == {"manufacturer", "cmo"}
    dispensers = world.of_role("pharmacy", "hospital")
    assert {d.supplier for d in dispensers} == {dc.key for dc in world.dcs}
    assert len(world.of_role("wholesaler")) >= 2
    assert all(len(w.sites) >= 1 for w in world.of_role("wholesaler"))
    assert max(len(w.sites) for w in world.of_role("wholesaler")) >= 2
