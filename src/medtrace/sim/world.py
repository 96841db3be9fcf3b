"""The simulated US supply chain: trading partners, their sites, and the products.

The world is built once from the seeded random generator and the scale. It holds

* **manufacturers** (NDC labelers; GS1 Company Prefix ``03`` + labeler code, so their GTINs
  embed the NDC: GS1 US DSCSA Implementation Guideline R1.3 §2, FDA NDC), each with a
  headquarters and a plant; some of their products are made by a **contract manufacturer**
  (CMO) and shipped from a **3PL** distribution centre;
* **wholesale distributors** with several distribution centres (DCs) in different regions, each
  DC with a cold room for cold-chain product;
* **dispensers**: retail pharmacies and hospitals (with a pharmacy refrigerator), each supplied
  by one DC of its primary wholesaler.

Parties are identified by the SGLN of their headquarters (CBV 2.0 §7.4 ``owning_party``) and
sites by their own SGLN (``location``); every GLN carries a real mod-10 check digit. A product
has unit-level (indicator 0) and case-level (indicator 5) GTIN-14s built from its NDC
(:meth:`medtrace.gs1.ndc.Ndc.to_gtin`); pallets are identified by SSCCs. Names, addresses and
codes are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias

from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.ndc import Ndc
from medtrace.sim.clock import Zone
from medtrace.sim.ids import (
    SerialScheme,
    SerialStyle,
    check_sgtin_parts,
    gln_of,
    new_scheme,
    sgln_urn,
)

__all__ = [
    "CASE_INDICATOR",
    "REGIONS",
    "Party",
    "Product",
    "Region",
    "Role",
    "Site",
    "TherapeuticClass",
    "World",
    "build_world",
]

Role: TypeAlias = Literal["manufacturer", "cmo", "3pl", "wholesaler", "pharmacy", "hospital"]
Region: TypeAlias = Literal["Northeast", "Southeast", "Midwest", "Southwest", "West"]
TherapeuticClass: TypeAlias = Literal["respiratory", "allergy", "chronic", "biologic", "acute"]

CASE_INDICATOR: Final = "5"
"""Indicator digit of the case-level GTIN (GS1 General Specifications §3.3.2: 1-8 for groupings)."""

REGIONS: Final[dict[Region, tuple[Zone, float, tuple[tuple[str, str, str], ...]]]] = {
    # region: (time zone, share of demand, invented addresses' cities)
    "Northeast": ("Eastern", 0.24, (("Albany", "NY", "12207"), ("Hartford", "CT", "06103"))),
    "Southeast": ("Eastern", 0.26, (("Raleigh", "NC", "27601"), ("Orlando", "FL", "32801"))),
    "Midwest": ("Central", 0.21, (("Columbus", "OH", "43004"), ("Omaha", "NE", "68102"))),
    "Southwest": ("Central", 0.13, (("Dallas", "TX", "75201"), ("Tulsa", "OK", "74103"))),
    "West": ("Pacific", 0.16, (("Sacramento", "CA", "95814"), ("Portland", "OR", "97204"))),
}

_STREETS: Final = ("Commerce Dr", "Harbor Rd", "Logistics Way", "Main St", "Park Ave", "Elm St")
_SYLLABLES: Final = ("zo", "ra", "vex", "lu", "min", "tra", "cor", "da", "nex", "pi", "sol", "ty")
_FORMS: Final[dict[TherapeuticClass, tuple[tuple[str, str, str], ...]]] = {
    # class: (dosage form, strength unit, net content)
    "respiratory": (("AEROSOL, METERED", "mcg/actuation", "200 actuations"),),
    "allergy": (("TABLET", "mg", "30 tablets"), ("SOLUTION", "mg/5 mL", "120 mL")),
    "chronic": (("TABLET", "mg", "90 tablets"), ("CAPSULE", "mg", "30 capsules")),
    "biologic": (("INJECTION, SOLUTION", "mg/mL", "1 prefilled syringe"),),
    "acute": (("CAPSULE", "mg", "20 capsules"), ("TABLET", "mg", "14 tablets")),
}
# Week of the year when demand for a class peaks, and how strongly (share of the base).
_SEASONS: Final[dict[TherapeuticClass, tuple[int, float]]] = {
    "respiratory": (3, 0.55),
    "allergy": (19, 0.5),
    "chronic": (0, 0.05),
    "biologic": (0, 0.1),
    "acute": (50, 0.3),
}


@dataclass(frozen=True, slots=True)
class Site:
    """A physical location of a party: its GLN and SGLN (EPC TDS §6.3.3) and address."""

    key: str
    party: str
    name: str
    company_prefix: str
    location_reference: str
    street: str
    city: str
    state: str
    postal_code: str
    region: Region
    zone: Zone
    gln: str = field(init=False, compare=False)
    """The 13-digit GLN."""
    sgln: str = field(init=False, compare=False)
    """The SGLN EPC URN without extension."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "gln", gln_of(self.company_prefix, self.location_reference))
        object.__setattr__(self, "sgln", sgln_urn(self.company_prefix, self.location_reference))

    def sub_location(self, extension: str) -> str:
        """The SGLN of a place inside the site (a cold room, a refrigerator)."""
        return sgln_urn(self.company_prefix, self.location_reference, extension)


@dataclass(frozen=True, slots=True)
class Party:
    """A trading partner: role, headquarters and operating sites."""

    key: str
    role: Role
    name: str
    company_prefix: str
    hq: Site
    sites: tuple[Site, ...]
    size: float = 1.0
    supplier: str | None = None  # a dispenser's supplying DC (site key)

    @property
    def owning_id(self) -> str:
        """The SGLN that identifies the party as ``owning_party`` (CBV 2.0 §7.4)."""
        return self.hq.sgln


@dataclass(frozen=True, slots=True)
class Product:
    """A prescription drug product: master data, GTINs and serial schemes."""

    key: str
    index: int
    name: str
    dosage_form: str
    strength: str
    net_content: str
    therapeutic_class: TherapeuticClass
    ndc: Ndc
    manufacturer: str
    maker_site: str
    ship_site: str
    cold_chain: bool
    case_size: int
    cases_per_pallet: int
    weight: float
    region_factor: tuple[tuple[Region, float], ...]
    company_prefix: str
    unit_serials: SerialScheme
    case_serials: SerialScheme
    _unit_urn: str = field(init=False, repr=False, compare=False)
    _case_urn: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cp = self.company_prefix
        unit = f"urn:epc:id:sgtin:{cp}.{self.item_reference('0')}."
        case = f"urn:epc:id:sgtin:{cp}.{self.item_reference(CASE_INDICATOR)}."
        object.__setattr__(self, "_unit_urn", unit)
        object.__setattr__(self, "_case_urn", case)

    @property
    def unit_gtin(self) -> Gtin:
        """The unit-level GTIN-14 (indicator 0) embedding the NDC."""
        return self.ndc.to_gtin()

    @property
    def case_gtin(self) -> Gtin:
        """The case-level GTIN-14: indicator 5, the same NDC, a new check digit."""
        body = CASE_INDICATOR + self.ndc.to_gtin().value[1:13]
        return Gtin(body + mod10(body))

    def item_reference(self, indicator: str) -> str:
        """Indicator digit + item reference, as in the SGTIN URN (EPC TDS §6.3.1)."""
        return indicator + self.ndc.to_gtin().value[1 + len(self.company_prefix) : 13]

    @property
    def unit_class(self) -> str:
        """EPC pattern of the unit GTIN (``urn:epc:idpat:sgtin:CP.IR.*``), the master-data id."""
        return f"urn:epc:idpat:sgtin:{self.company_prefix}.{self.item_reference('0')}.*"

    @property
    def case_class(self) -> str:
        """EPC pattern of the case GTIN."""
        return f"urn:epc:idpat:sgtin:{self.company_prefix}.{self.item_reference(CASE_INDICATOR)}.*"

    def unit_epc(self, n: int) -> str:
        """The SGTIN URN of the ``n``-th unit commissioned."""
        return self._unit_urn + self.unit_serials.serial(n)

    def case_epc(self, n: int) -> str:
        """The SGTIN URN of the ``n``-th case commissioned."""
        return self._case_urn + self.case_serials.serial(n)

    def season(self, week_of_year: int) -> float:
        """The seasonal demand multiplier in ``week_of_year`` (1 at the yearly mean)."""
        peak, amplitude = _SEASONS[self.therapeutic_class]
        distance = min(abs(week_of_year - peak), 52 - abs(week_of_year - peak))
        return 1.0 + amplitude * (1.0 - distance / 13.0) if distance < 26 else 1.0 - amplitude

    def in_region(self, region: Region) -> float:
        """Regional demand multiplier."""
        return dict(self.region_factor)[region]


@dataclass(slots=True)
class World:
    """Every party and product; lookup by key."""

    parties: tuple[Party, ...]
    products: tuple[Product, ...]
    sites: dict[str, Site] = field(init=False)
    by_key: dict[str, Party] = field(init=False)

    def __post_init__(self) -> None:
        self.by_key = {p.key: p for p in self.parties}
        self.sites = {s.key: s for p in self.parties for s in (p.hq, *p.sites)}

    def of_role(self, *roles: Role) -> list[Party]:
        """Parties with one of ``roles``, in creation order."""
        return [p for p in self.parties if p.role in roles]

    @property
    def dcs(self) -> list[Site]:
        """Every wholesaler distribution centre."""
        return [s for p in self.of_role("wholesaler") for s in p.sites]

    def owner(self, site: Site) -> Party:
        """The party a site belongs to."""
        return self.by_key[site.party]


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.prefixes: set[str] = set()
        self.names: set[str] = set()

    def prefix(self) -> str:
        while True:
            value = f"0{self.rng.randrange(4, 10)}{self.rng.randrange(10**5):05d}"
            if value not in self.prefixes:
                self.prefixes.add(value)
                return value

    def site(
        self, key: str, party: str, name: str, *, cp: str, number: int, region: Region
    ) -> Site:
        zone, _share, cities = REGIONS[region]
        city, state, postal = cities[self.rng.randrange(len(cities))]
        street = f"{self.rng.randrange(1, 9999)} {_STREETS[self.rng.randrange(len(_STREETS))]}"
        return Site(
            key=key,
            party=party,
            name=name,
            company_prefix=cp,
            location_reference=f"{number:0{12 - len(cp)}d}",
            street=street,
            city=city,
            state=state,
            postal_code=postal,
            region=region,
            zone=zone,
        )

    def region(self) -> Region:
        regions = list(REGIONS)
        return self.rng.choices(regions, weights=[REGIONS[r][1] for r in regions])[0]

    def party(
        self,
        key: str,
        role: Role,
        name: str,
        site_regions: list[Region],
        *,
        cp: str | None = None,
        size: float = 1.0,
    ) -> Party:
        cp = cp or self.prefix()
        hq = self.site(
            f"{key}-hq", key, f"{name} Headquarters", cp=cp, number=1, region=site_regions[0]
        )
        label = {"wholesaler": "DC", "3pl": "DC", "manufacturer": "Plant", "cmo": "Plant"}
        sites = tuple(
            self.site(
                f"{key}-s{i + 1}",
                key,
                f"{name} {label.get(role, 'Pharmacy')} {i + 1}",
                cp=cp,
                number=10 + i,
                region=region,
            )
            for i, region in enumerate(site_regions)
        )
        return Party(
            key=key, role=role, name=name, company_prefix=cp, hq=hq, sites=sites, size=size
        )

    def brand(self) -> str:
        """A new invented name of two to four syllables (numbered once they run out)."""
        for _attempt in range(20):
            count = self.rng.randrange(2, 5)
            name = "".join(_SYLLABLES[self.rng.randrange(len(_SYLLABLES))] for _ in range(count))
            name = name.capitalize()
            if name not in self.names:
                self.names.add(name)
                return name
        name = f"{name} {len(self.names) + 1}"
        self.names.add(name)
        return name


def _tier(packs: int) -> tuple[int, int, int, int, int]:
    """(manufacturers, products each, wholesalers, DCs per wholesaler, dispensers) for a size."""
    if packs < 2_000:
        return 2, 3, 2, 2, 6
    if packs < 100_000:
        return 3, 4, 3, 3, max(12, packs // 1_500)
    return min(8, 3 + packs // 1_000_000), 5, 3, 4, min(3_000, packs // 1_500)


def _products(
    b: _Builder, manufacturer: Party, *, count: int, start: int, tiny: bool, cmo: Party, tpl: Party
) -> list[Product]:
    rng = b.rng
    labeler = manufacturer.company_prefix[2:]
    classes: list[TherapeuticClass] = ["respiratory", "allergy", "chronic", "biologic", "acute"]
    products = []
    codes: set[str] = set()
    for i in range(count):
        klass = classes[(start + i) % len(classes)]
        form, unit, content = _FORMS[klass][rng.randrange(len(_FORMS[klass]))]
        width = 10 - len(labeler)  # product + package digits of the NDC
        while (code := f"{rng.randrange(10**width):0{width}d}") in codes:
            pass
        codes.add(code)
        package_width = 1 if len(labeler) == 5 and i % 2 else 2  # 5-4-1 or 5-3-2 / 4-4-2
        ndc = Ndc(labeler, code[: width - package_width], code[width - package_width :])
        by_cmo = i % 3 == 2
        style: SerialStyle = "alnum" if i % 4 == 3 else "numeric"
        regions = list(REGIONS)
        factor = tuple((r, round(0.8 + 0.4 * rng.random(), 3)) for r in regions)
        product = Product(
            key=f"{manufacturer.key}-p{i + 1}",
            index=start + i,
            name=b.brand(),
            dosage_form=form,
            strength=f"{rng.choice((5, 10, 20, 25, 50, 100, 250))} {unit}",
            net_content=content,
            therapeutic_class=klass,
            ndc=ndc,
            manufacturer=manufacturer.key,
            maker_site=cmo.sites[0].key if by_cmo else manufacturer.sites[0].key,
            ship_site=tpl.sites[0].key if by_cmo else manufacturer.sites[0].key,
            cold_chain=klass == "biologic",
            case_size=rng.choice((6, 12)) if tiny else rng.choice((12, 24, 48)),
            cases_per_pallet=rng.randrange(2, 5) if tiny else rng.randrange(20, 41),
            weight=0.5 + rng.random(),
            region_factor=factor,
            company_prefix=manufacturer.company_prefix,
            unit_serials=new_scheme(rng, style),
            case_serials=new_scheme(rng, "numeric"),
        )
        cp = product.company_prefix
        check_sgtin_parts(cp, product.item_reference("0"), product.unit_serials)
        check_sgtin_parts(cp, product.item_reference(CASE_INDICATOR), product.case_serials)
        products.append(product)
    return products


def build_world(rng: random.Random, packs: int) -> World:
    """Build the parties and products for a simulation of about ``packs`` saleable units."""
    b = _Builder(rng)
    n_mfg, n_products, n_wholesalers, n_dcs, n_dispensers = _tier(packs)
    tiny = packs < 2_000
    parties: list[Party] = []
    cmo = b.party("cmo1", "cmo", f"{b.brand()} Contract Pharma", [b.region()])
    tpl = b.party("tpl1", "3pl", f"{b.brand()} Logistics", [b.region()])
    manufacturers = []
    labelers: set[str] = set()
    for i in range(n_mfg):
        width = 4 if i == 1 else 5  # one labeler code of four digits (4-4-2 NDCs)
        while (labeler := f"{rng.randrange(1, 10**width):0{width}d}") in labelers:
            pass
        labelers.add(labeler)
        cp = "03" + labeler
        b.prefixes.add(cp)
        name = f"{b.brand()} Pharmaceuticals"
        manufacturers.append(b.party(f"mfg{i + 1}", "manufacturer", name, [b.region()], cp=cp))
    parties.extend(manufacturers)
    parties.extend((cmo, tpl))
    products: list[Product] = []
    for manufacturer in manufacturers:
        count = n_products + (1 if manufacturer.key == "mfg1" and not tiny else 0)
        products.extend(
            _products(
                b, manufacturer, count=count, start=len(products), tiny=tiny, cmo=cmo, tpl=tpl
            )
        )
    regions = list(REGIONS)
    wholesalers = []
    for i in range(n_wholesalers):
        dcs = max(1, n_dcs - i)  # the biggest wholesaler has the most DCs
        start = rng.randrange(len(regions))
        site_regions = [regions[(start + k) % len(regions)] for k in range(dcs)]
        name = f"{b.brand()} Drug Distributors"
        wholesalers.append(b.party(f"ws{i + 1}", "wholesaler", name, site_regions))
    parties.extend(wholesalers)
    dc_sites = [s for w in wholesalers for s in w.sites]
    shares = [1.0 / (i + 1) for i in range(len(wholesalers))]
    for i in range(n_dispensers):
        role: Role = "hospital" if i % 4 == 3 else "pharmacy"
        # The first dispensers go one to each DC, so that every DC has a customer.
        if i < len(dc_sites):
            dc = dc_sites[i]
        else:
            wholesaler = rng.choices(wholesalers, weights=shares)[0]
            dc = wholesaler.sites[rng.randrange(len(wholesaler.sites))]
        brand = b.brand()
        name = f"{brand} Community Hospital" if role == "hospital" else f"{brand} Pharmacy"
        size = (2.0 if role == "hospital" else 1.0) * (0.5 + rng.random())
        party = b.party(f"d{i + 1}", role, name, [dc.region], size=size)
        parties.append(
            Party(
                key=party.key,
                role=party.role,
                name=party.name,
                company_prefix=party.company_prefix,
                hq=party.hq,
                sites=party.sites,
                size=party.size,
                supplier=dc.key,
            )
        )
    return World(parties=tuple(parties), products=tuple(products))
