"""Demand: how much of each product is made, where it goes, and who orders it.

Demand varies by product (a base weight), season (each therapeutic class peaks in its own week
of the year: respiratory in winter, allergy in spring), region (a per-product regional factor)
and customer (dispenser size; hospitals use more injectables, pharmacies more oral forms), with
log-normal noise from week to week. Integer quantities are apportioned with the largest
remainder method, so totals are exact and the result depends only on the seed.

>>> largest_remainder([1.0, 1.0, 1.0], 10)
[4, 3, 3]
>>> largest_remainder([0.0, 0.0], 3)
[0, 0]
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from medtrace.sim.clock import week_day
from medtrace.sim.world import Party, Product, World

__all__ = ["affinity", "largest_remainder", "production_plan"]


def largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (Hamilton's method); ties go to the first.

    All-zero weights get nothing.
    """
    mass = sum(weights)
    if mass <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [w * total / mass for w in weights]
    out = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - shares[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def affinity(dispenser: Party, product: Product) -> float:
    """How much a kind of dispenser uses a kind of product."""
    if dispenser.role == "hospital":
        return {"biologic": 1.6, "acute": 1.0, "respiratory": 0.7}.get(
            product.therapeutic_class, 0.5
        )
    return 0.35 if product.therapeutic_class == "biologic" else 1.0


def production_plan(
    rng: random.Random, world: World, packs: int, weeks: int
) -> list[dict[tuple[int, str], int]]:
    """Cases of each product to ship to each DC, week by week (about ``packs`` units in all).

    ``plan[week][(product.index, dc.key)]`` is a number of cases; zero cells are left out.
    """
    customers: dict[str, list[Party]] = {dc.key: [] for dc in world.dcs}
    for party in world.of_role("pharmacy", "hospital"):
        if party.supplier is not None:
            customers[party.supplier].append(party)
    cells: list[tuple[int, int, str]] = []
    cases: list[float] = []
    for week in range(weeks):
        week_of_year = week_day(week, 0).isocalendar().week
        for product in world.products:
            seasonal = product.weight * product.season(week_of_year)
            for dc in world.dcs:
                pull = sum(affinity(d, product) * d.size for d in customers[dc.key])
                noise = rng.lognormvariate(0.0, 0.15)
                units = seasonal * product.in_region(dc.region) * pull * noise
                cells.append((week, product.index, dc.key))
                cases.append(units / product.case_size)
    # Scale so that the units add up to ``packs``: sum(cases * case_size) == packs.
    sizes = [world.products[index].case_size for _w, index, _dc in cells]
    unit_mass = sum(c * s for c, s in zip(cases, sizes, strict=True))
    factor = packs / unit_mass if unit_mass > 0 else 0.0
    scaled = [c * factor for c in cases]
    counts = largest_remainder(scaled, max(1, round(sum(scaled))))
    plan: list[dict[tuple[int, str], int]] = [{} for _ in range(weeks)]
    for (week, index, dc_key), count in zip(cells, counts, strict=True):
        if count:
            plan[week][(index, dc_key)] = count
    return plan
