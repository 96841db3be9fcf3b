"""The two JSON files written beside the EPCIS documents: master data and ground truth.

``masterdata.json`` describes every party (role, GLN, SGLN, company prefix and its length,
sites with addresses, region and time zone, a dispenser's supplying DC) and every product (NDC,
unit and case GTINs, EPC class patterns, CBV 2.0 §10 attributes, cold-chain flag, packaging).
The GS1 Company Prefix lengths are what a reader needs to turn the GTINs into EPC URNs (EPC TDS
§6.3; see :mod:`medtrace.gs1.prefix`).

``ground_truth.json`` lists what the simulator injected (see :mod:`medtrace.sim.incidents`),
with the identifiers, places, times and documents a detector should find. Both files are
written with sorted keys and two-space indentation: the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson

from medtrace.sim.clock import SIM_START
from medtrace.sim.incidents import IncidentBook
from medtrace.sim.world import Party, Product, Site, World

__all__ = [
    "GROUND_TRUTH_FORMAT",
    "MASTERDATA_FORMAT",
    "write_ground_truth",
    "write_masterdata",
]

MASTERDATA_FORMAT: Final = "medtrace-sim-masterdata/1"
GROUND_TRUTH_FORMAT: Final = "medtrace-sim-ground-truth/1"
_OPTIONS: Final = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def _site(site: Site) -> dict[str, Any]:
    return {
        "key": site.key,
        "name": site.name,
        "gln": site.gln,
        "sgln": site.sgln,
        "address": {
            "street": site.street,
            "city": site.city,
            "state": site.state,
            "postal_code": site.postal_code,
            "country": "US",
        },
        "region": site.region,
        "time_zone": site.zone,
    }


def _party(world: World, party: Party) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": party.key,
        "role": party.role,
        "name": party.name,
        "gln": party.hq.gln,
        "sgln": party.owning_id,
        "company_prefix": party.company_prefix,
        "gcp_length": len(party.company_prefix),
        "headquarters": _site(party.hq),
        "sites": [_site(site) for site in party.sites],
    }
    if party.role in ("wholesaler",):
        entry["cold_rooms"] = [site.sub_location("COLD") for site in party.sites]
    if party.role == "hospital":
        entry["refrigerators"] = [site.sub_location("FRIDGE") for site in party.sites]
    if party.supplier is not None:
        entry["supplier"] = {
            "party": world.owner(world.sites[party.supplier]).owning_id,
            "location": world.sites[party.supplier].sgln,
        }
    return entry


def _product(world: World, product: Product) -> dict[str, Any]:
    maker = world.sites[product.maker_site]
    return {
        "key": product.key,
        "name": product.name,
        "ndc": str(product.ndc),
        "ndc_format": product.ndc.format,
        "ndc11": product.ndc.to_hipaa11_hyphenated(),
        "unit_gtin": product.unit_gtin.value,
        "case_gtin": product.case_gtin.value,
        "unit_class": product.unit_class,
        "case_class": product.case_class,
        "company_prefix": product.company_prefix,
        "gcp_length": len(product.company_prefix),
        "dosage_form": product.dosage_form,
        "strength": product.strength,
        "net_content": product.net_content,
        "therapeutic_class": product.therapeutic_class,
        "manufacturer": world.by_key[product.manufacturer].owning_id,
        "made_at": maker.sgln,
        "made_by": world.owner(maker).owning_id,
        "shipped_from": world.sites[product.ship_site].sgln,
        "cold_chain": product.cold_chain,
        "storage": "2-8 °C" if product.cold_chain else "20-25 °C",
        "case_size": product.case_size,
        "cases_per_pallet": product.cases_per_pallet,
        "serial_style": product.unit_serials.style,
    }


def write_masterdata(path: Path, world: World) -> None:
    """Write ``masterdata.json`` for ``world``."""
    payload = {
        "format": MASTERDATA_FORMAT,
        "parties": [_party(world, party) for party in world.parties],
        "products": [_product(world, product) for product in world.products],
    }
    path.write_bytes(orjson.dumps(payload, option=_OPTIONS))


def write_ground_truth(
    path: Path,
    *,
    seed: int,
    packs: int,
    weeks: int,
    book: IncidentBook,
    totals: dict[str, int],
) -> None:
    """Write ``ground_truth.json``: the run's parameters, totals and every incident."""
    payload = {
        "format": GROUND_TRUTH_FORMAT,
        "seed": seed,
        "packs_requested": packs,
        "start": SIM_START.isoformat().replace("+00:00", "Z"),
        "weeks": weeks,
        "totals": totals,
        "incident_counts": book.counts(),
        "incidents": book.records,
    }
    path.write_bytes(orjson.dumps(payload, option=_OPTIONS))
