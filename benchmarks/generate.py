"""Seeded generator of DSCSA-style EPCIS documents, for benchmarks and tests.

It writes what a US manufacturer sends a wholesale distributor under the GS1 US DSCSA
Implementation Guideline (R1.3): an EPCIS 1.2 XML document with an SBDH header, product and
location master data in the header (CBV 2.0 §10 ``cbvmda`` attributes), the
``gs1ushc:dscsaTransactionStatement`` and, per shipment,

* commissioning ``ObjectEvent``\\ s (``ADD``, bizStep ``commissioning``, disposition ``active``)
  of up to 100 SGTINs each, with ILMD ``cbvmda:lotNumber`` and ``cbvmda:itemExpirationDate``;
* packing ``AggregationEvent``\\ s item → case (SSCC parent, 24 children by default) and
  case → pallet (SSCC parent, 20-30 cases);
* one shipping ``ObjectEvent`` (``OBSERVE``, ``shipping``, ``in_transit``) of the shipment's
  pallets, with ``po``/``desadv`` business transactions and ``owning_party``/``location``
  source and destination lists.

The same content is also written as EPCIS 2.0 JSON-LD (standard context, bare CBV words,
EPCIS 2.0 §10). JSON-LD has no SBDH, so only the master data and the DSCSA statement go into
its ``epcisHeader``; the events are the same events (same identifiers, times and values), so
their CBV 2.0 event hashes agree across the two syntaxes.

Identifiers are valid: GTIN-14s are NDC-based (``"003"`` + NDC10 + check digit), SSCCs and GLNs
carry real mod-10 check digits (:func:`medtrace.gs1.checkdigit.mod10`), serials are strings
(numeric ones keep their leading zeros; one product uses alphanumeric serials) and are unique
per GTIN within a document.

Output is streamed shipment by shipment to a binary file, so memory stays flat whatever the
size; generation stops at the first shipment boundary at or past the target size (the file is
at most one shipment, a few hundred kB, larger than asked). The same seed gives the same bytes.

>>> import io
>>> out = io.BytesIO()
>>> stats = generate("xml12", out, shipments=1, seed=7)
>>> stats.events > 30 and stats.epc_refs > 1000 and stats.bytes == len(out.getvalue())
True
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO, Final, Literal
from xml.sax.saxutils import escape, quoteattr

import orjson

from medtrace.gs1.checkdigit import mod10

__all__ = [
    "FORMATS",
    "Format",
    "GenerationStats",
    "Layout",
    "generate",
    "generate_file",
]

Format = Literal["xml12", "jsonld"]
FORMATS: Final[tuple[Format, ...]] = ("xml12", "jsonld")

_EPCIS12_NS: Final = "urn:epcglobal:epcis:xsd:1"
_SBDH_NS: Final = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
_GS1USHC_NS: Final = "http://epcis.gs1us.org/hc/ns"
_CBVMDA_NS: Final = "urn:epcglobal:cbv:mda"
_XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
_JSONLD_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_MDA: Final = "urn:epcglobal:cbv:mda#"
_TZ_OFFSET: Final = "-05:00"
_LEGAL_NOTICE: Final = (
    "Seller has complied with each applicable subsection of FDCA Sec. 581(27)(A)-(G)."
)

# Invented product and party data; nothing here names a real product or company.
_PRODUCT_NAMES: Final = (
    "Zentravir",
    "Loxaprine",
    "Cardiolex",
    "Nephrosol",
    "Glucovanta",
    "Pulmorest",
    "Dermacline",
    "Hepatoxin-B",
)
_DOSAGE_FORMS: Final = (
    ("TABLET", "mg"),
    ("CAPSULE", "mg"),
    ("INJECTION", "mg/mL"),
    ("SOLUTION", "mg/5 mL"),
)
_STRENGTHS: Final = (5, 10, 20, 25, 50, 100, 250, 500)
_CITIES: Final = (
    ("Raleigh", "NC", "27601"),
    ("Columbus", "OH", "43004"),
    ("Memphis", "TN", "38103"),
    ("Reno", "NV", "89501"),
    ("Allentown", "PA", "18101"),
    ("Louisville", "KY", "40202"),
)
_STREETS: Final = ("Industrial Pkwy", "Commerce Dr", "Harbor Rd", "Logistics Way", "Main St")


@dataclass(frozen=True, slots=True)
class Layout:
    """How shipments are built (defaults follow common DSCSA packaging levels)."""

    products: int = 4
    items_per_commission: int = 100
    items_per_case: int = 24
    min_cases_per_pallet: int = 20
    max_cases_per_pallet: int = 30
    max_pallets_per_shipment: int = 3
    pallets_per_lot: int = 3


@dataclass(slots=True)
class GenerationStats:
    """What was written: counts the benchmarks and tests compare the readers against."""

    format: Format
    seed: int
    bytes: int = 0
    events: int = 0
    epc_refs: int = 0
    shipments: int = 0
    pallets: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- identifiers


def _gln(company_prefix: str, location_ref: str) -> str:
    body = company_prefix + location_ref
    if len(body) != 12:
        raise ValueError(f"GLN body must be 12 digits, got {body!r}")
    return body + mod10(body)


def _sgln(company_prefix: str, location_ref: str, extension: str = "0") -> str:
    _gln(company_prefix, location_ref)  # the same digits must make a valid GLN
    return f"urn:epc:id:sgln:{company_prefix}.{location_ref}.{extension}"


@dataclass(frozen=True, slots=True)
class _Party:
    name: str
    company_prefix: str
    hq_ref: str
    site_ref: str
    street: str
    city: str
    state: str
    postal_code: str

    @property
    def gln(self) -> str:
        return _gln(self.company_prefix, self.hq_ref)

    @property
    def sgln(self) -> str:
        return _sgln(self.company_prefix, self.hq_ref)

    @property
    def site_sgln(self) -> str:
        return _sgln(self.company_prefix, self.site_ref)


@dataclass(slots=True)
class _Product:
    """One NDC-based trade item and its serial number scheme."""

    name: str
    ndc: str  # 5-3-2 with dashes
    company_prefix: str  # "03" + labeler: 7 digits
    item_ref: str  # indicator "0" + product + package: 6 digits
    dosage_form: str
    strength: str
    serial_style: Literal["numeric12", "numeric10", "alnum"]
    multiplier: int
    offset: int
    next_serial: int = 0

    @property
    def gtin(self) -> str:
        body = "0" + self.company_prefix + self.item_ref[1:]
        return body + mod10(body)

    @property
    def class_pattern(self) -> str:
        return f"urn:epc:idpat:sgtin:{self.company_prefix}.{self.item_ref}.*"

    def serial(self) -> str:
        """The next serial: a scrambled counter (unique per product), kept as a string."""
        n = self.next_serial
        self.next_serial += 1
        if self.serial_style == "numeric12":
            return f"{(n * self.multiplier + self.offset) % 10**12:012d}"
        if self.serial_style == "numeric10":
            return f"{(n * self.multiplier + self.offset) % 10**10:010d}"
        value = (n * self.multiplier + self.offset) % 36**10
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        out = []
        for _ in range(10):
            value, rest = divmod(value, 36)
            out.append(digits[rest])
        return "".join(reversed(out))

    def sgtin(self) -> str:
        return f"urn:epc:id:sgtin:{self.company_prefix}.{self.item_ref}.{self.serial()}"


@dataclass(slots=True)
class _SsccSource:
    company_prefix: str
    extension_digit: str
    next_ref: int = 0

    def next(self) -> str:
        ref = f"{self.next_ref:09d}"
        self.next_ref += 1
        body = self.extension_digit + self.company_prefix + ref
        mod10(body)  # the SSCC-18 it stands for has a real check digit
        return f"urn:epc:id:sscc:{self.company_prefix}.{self.extension_digit}{ref}"


def _coprime_multiplier(rng: random.Random, modulus: int, factors: tuple[int, ...]) -> int:
    """A multiplier coprime to ``modulus`` (whose prime factors are ``factors``)."""
    while True:
        m = rng.randrange(modulus // 3, modulus)
        if all(m % f for f in factors):
            return m


# --------------------------------------------------------------------------- neutral events


@dataclass(frozen=True, slots=True)
class _Commission:
    time: str
    epcs: list[str]
    location: str
    lot: str
    expiry: str


@dataclass(frozen=True, slots=True)
class _Pack:
    time: str
    parent: str
    children: list[str]
    location: str


@dataclass(frozen=True, slots=True)
class _Ship:
    time: str
    epcs: list[str]
    read_point: str
    po: str
    desadv: str
    source_party: str
    source_location: str
    dest_party: str
    dest_location: str


_Event = _Commission | _Pack | _Ship


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _World:
    """The parties, products and counters of one generated document (all from the seed)."""

    def __init__(self, seed: int, layout: Layout) -> None:
        self.rng = rng = random.Random(seed)
        self.layout = layout
        labeler = f"{rng.randrange(10000, 99999):05d}"
        mfg_prefix = "03" + labeler
        dist_prefix = f"08{rng.randrange(10**5):05d}"
        city, state, postal = _CITIES[rng.randrange(len(_CITIES))]
        self.seller = _Party(
            name=f"Medtrace Sample Pharma {labeler} Inc.",
            company_prefix=mfg_prefix,
            hq_ref="00001",
            site_ref="00002",
            street=f"{rng.randrange(1, 999)} {_STREETS[rng.randrange(len(_STREETS))]}",
            city=city,
            state=state,
            postal_code=postal,
        )
        city, state, postal = _CITIES[rng.randrange(len(_CITIES))]
        self.buyer = _Party(
            name=f"Sample Drug Wholesale {dist_prefix} & Co.",
            company_prefix=dist_prefix,
            hq_ref="00001",
            site_ref="00010",
            street=f"{rng.randrange(1, 999)} {_STREETS[rng.randrange(len(_STREETS))]}",
            city=city,
            state=state,
            postal_code=postal,
        )
        self.products: list[_Product] = []
        used_codes: set[str] = set()
        styles: tuple[Literal["numeric12", "numeric10", "alnum"], ...] = (
            "numeric12",
            "numeric10",
            "alnum",
        )
        for i in range(layout.products):
            while (code := f"{rng.randrange(1000):03d}{rng.randrange(100):02d}") in used_codes:
                pass
            used_codes.add(code)
            form, unit = _DOSAGE_FORMS[rng.randrange(len(_DOSAGE_FORMS))]
            style = styles[i % len(styles)]
            modulus = {"numeric12": 10**12, "numeric10": 10**10, "alnum": 36**10}[style]
            factors = (2, 3) if style == "alnum" else (2, 5)
            self.products.append(
                _Product(
                    name=_PRODUCT_NAMES[rng.randrange(len(_PRODUCT_NAMES))],
                    ndc=f"{labeler}-{code[:3]}-{code[3:]}",
                    company_prefix=mfg_prefix,
                    item_ref="0" + code,
                    dosage_form=form,
                    strength=f"{_STRENGTHS[rng.randrange(len(_STRENGTHS))]} {unit}",
                    serial_style=style,
                    multiplier=_coprime_multiplier(rng, modulus, factors),
                    offset=rng.randrange(modulus),
                )
            )
        self.ssccs = _SsccSource(mfg_prefix, str(rng.randrange(10)))
        self.clock = datetime(2024, 1, 8, 13, 0, tzinfo=UTC) + timedelta(
            minutes=rng.randrange(60 * 24 * 30)
        )
        self.created = self.clock - timedelta(minutes=1)
        self.document_id = f"{rng.randrange(10**10):010d}"
        self.pallets_in_lot = 0
        self.lot = ""
        self.expiry = ""
        self.product = self.products[0]
        self.product_turn = rng.randrange(len(self.products))
        self.order = rng.randrange(10**5, 10**6)

    def tick(self, seconds: int) -> str:
        self.clock += timedelta(seconds=seconds, milliseconds=self.rng.randrange(1000))
        return _iso(self.clock)

    def _next_lot(self) -> None:
        rng = self.rng
        # Products take turns, so every product (and serial style) shows up early.
        self.product_turn = (self.product_turn + 1) % len(self.products)
        self.product = self.products[self.product_turn]
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        self.lot = f"{letters[rng.randrange(len(letters))]}{rng.randrange(10**5):05d}"
        made = self.clock.date()
        year, month = made.year + 2 + rng.randrange(2), made.month
        # The last day of the expiry month (DSCSA expiry dates are often month-end).
        next_month = date(year + month // 12, month % 12 + 1, 1)
        self.expiry = (next_month - timedelta(days=1)).isoformat()
        self.pallets_in_lot = 0

    def pallet(self) -> tuple[list[_Event], str]:
        """Commission the items of one pallet and pack them into cases and the pallet."""
        layout, rng = self.layout, self.rng
        if not self.lot or self.pallets_in_lot >= layout.pallets_per_lot:
            self._next_lot()
        self.pallets_in_lot += 1
        product, site = self.product, self.seller.sgln
        cases = rng.randint(layout.min_cases_per_pallet, layout.max_cases_per_pallet)
        items = [product.sgtin() for _ in range(cases * layout.items_per_case)]
        step = layout.items_per_commission
        events: list[_Event] = [
            _Commission(self.tick(30), items[start : start + step], site, self.lot, self.expiry)
            for start in range(0, len(items), step)
        ]
        case_ids: list[str] = []
        per_case = layout.items_per_case
        for start in range(0, len(items), per_case):
            case = self.ssccs.next()
            case_ids.append(case)
            events.append(_Pack(self.tick(20), case, items[start : start + per_case], site))
        pallet = self.ssccs.next()
        events.append(_Pack(self.tick(60), pallet, case_ids, site))
        return events, pallet

    def shipment(self) -> tuple[list[_Event], int]:
        """Pallets then the shipping event that sends them; returns (events, pallet count)."""
        count = self.rng.randint(1, self.layout.max_pallets_per_shipment)
        events: list[_Event] = []
        pallets: list[str] = []
        for _ in range(count):
            pallet_events, pallet = self.pallet()
            events.extend(pallet_events)
            pallets.append(pallet)
        self.order += 1
        seller, buyer = self.seller, self.buyer
        events.append(
            _Ship(
                time=self.tick(3600),
                epcs=pallets,
                read_point=seller.site_sgln,
                po=f"urn:epcglobal:cbv:bt:{buyer.gln}:PO{self.order}",
                desadv=f"urn:epcglobal:cbv:bt:{seller.gln}:DSP{self.order}",
                source_party=seller.sgln,
                source_location=seller.site_sgln,
                dest_party=buyer.sgln,
                dest_location=buyer.site_sgln,
            )
        )
        return events, count


# --------------------------------------------------------------------------- EPCIS 1.2 XML


def _x(text: str) -> str:
    return escape(text)


def _xml_attribute(attribute_id: str, value: str) -> str:
    return f'            <attribute id="{_MDA}{attribute_id}">{_x(value)}</attribute>\n'


def _product_attributes(p: _Product, manufacturer: str) -> list[tuple[str, str]]:
    return [
        ("additionalTradeItemIdentification", p.ndc),
        ("additionalTradeItemIdentificationTypeCode", "US_FDA_NDC"),
        ("regulatedProductName", p.name),
        ("manufacturerOfTradeItemPartyName", manufacturer),
        ("dosageFormType", p.dosage_form),
        ("strengthDescription", p.strength),
    ]


def _location_attributes(party: _Party, site: bool) -> list[tuple[str, str]]:
    return [
        ("name", party.name + (" Distribution Center" if site else "")),
        ("streetAddressOne", party.street),
        ("city", party.city),
        ("state", party.state),
        ("postalCode", party.postal_code),
        ("countryCode", "US"),
    ]


def _locations(world: _World) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (party_sgln, _location_attributes(party, site))
        for party in (world.seller, world.buyer)
        for party_sgln, site in ((party.sgln, False), (party.site_sgln, True))
    ]


def _xml_head(world: _World) -> str:
    created = _iso(world.created)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        (
            f'<epcis:EPCISDocument xmlns:epcis="{_EPCIS12_NS}" xmlns:sbdh="{_SBDH_NS}"'
            f' xmlns:cbvmda="{_CBVMDA_NS}" xmlns:gs1ushc="{_GS1USHC_NS}" xmlns:xsi="{_XSI_NS}"'
            f' schemaVersion="1.2" creationDate="{created}">\n'
        ),
        "  <EPCISHeader>\n",
        "    <sbdh:StandardBusinessDocumentHeader>\n",
        "      <sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>\n",
        "      <sbdh:Sender>\n",
        f'        <sbdh:Identifier Authority="GS1">{world.seller.sgln}</sbdh:Identifier>\n',
        "      </sbdh:Sender>\n",
        "      <sbdh:Receiver>\n",
        f'        <sbdh:Identifier Authority="GS1">{world.buyer.sgln}</sbdh:Identifier>\n',
        "      </sbdh:Receiver>\n",
        "      <sbdh:DocumentIdentification>\n",
        "        <sbdh:Standard>EPCglobal</sbdh:Standard>\n",
        "        <sbdh:TypeVersion>1.0</sbdh:TypeVersion>\n",
        f"        <sbdh:InstanceIdentifier>{world.document_id}</sbdh:InstanceIdentifier>\n",
        "        <sbdh:Type>Events</sbdh:Type>\n",
        f"        <sbdh:CreationDateAndTime>{created}</sbdh:CreationDateAndTime>\n",
        "      </sbdh:DocumentIdentification>\n",
        "    </sbdh:StandardBusinessDocumentHeader>\n",
        "    <extension>\n      <EPCISMasterData>\n        <VocabularyList>\n",
        '          <Vocabulary type="urn:epcglobal:epcis:vtype:EPCClass">\n',
        "          <VocabularyElementList>\n",
    ]
    for p in world.products:
        parts.append(f"          <VocabularyElement id={quoteattr(p.class_pattern)}>\n")
        parts.extend(_xml_attribute(k, v) for k, v in _product_attributes(p, world.seller.name))
        parts.append("          </VocabularyElement>\n")
    parts.append("          </VocabularyElementList>\n          </Vocabulary>\n")
    parts.append('          <Vocabulary type="urn:epcglobal:epcis:vtype:Location">\n')
    parts.append("          <VocabularyElementList>\n")
    for location_id, attributes in _locations(world):
        parts.append(f"          <VocabularyElement id={quoteattr(location_id)}>\n")
        parts.extend(_xml_attribute(k, v) for k, v in attributes)
        parts.append("          </VocabularyElement>\n")
    parts.append("          </VocabularyElementList>\n          </Vocabulary>\n")
    parts.append("        </VocabularyList>\n      </EPCISMasterData>\n    </extension>\n")
    parts.append(
        "    <gs1ushc:dscsaTransactionStatement>\n"
        "      <gs1ushc:affirmTransactionStatement>true</gs1ushc:affirmTransactionStatement>\n"
        f"      <gs1ushc:legalNotice>{_x(_LEGAL_NOTICE)}</gs1ushc:legalNotice>\n"
        "    </gs1ushc:dscsaTransactionStatement>\n"
        "  </EPCISHeader>\n"
        "  <EPCISBody>\n    <EventList>\n"
    )
    return "".join(parts)


_XML_TAIL: Final = "    </EventList>\n  </EPCISBody>\n</epcis:EPCISDocument>\n"


def _xml_epcs(out: list[str], tag: str, epcs: list[str]) -> None:
    out.append(f"        <{tag}>\n")
    out.extend(f"          <epc>{epc}</epc>\n" for epc in epcs)
    out.append(f"        </{tag}>\n")


def _xml_where(out: list[str], read_point: str, biz_location: str | None) -> None:
    out.append(f"        <readPoint>\n          <id>{read_point}</id>\n        </readPoint>\n")
    if biz_location is not None:
        out.append(
            f"        <bizLocation>\n          <id>{biz_location}</id>\n        </bizLocation>\n"
        )


def _xml_event(out: list[str], event: _Event) -> None:
    when = (
        f"        <eventTime>{event.time}</eventTime>\n"
        f"        <eventTimeZoneOffset>{_TZ_OFFSET}</eventTimeZoneOffset>\n"
    )
    if isinstance(event, _Commission):
        out.append("      <ObjectEvent>\n")
        out.append(when)
        _xml_epcs(out, "epcList", event.epcs)
        out.append(
            "        <action>ADD</action>\n"
            "        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>\n"
            "        <disposition>urn:epcglobal:cbv:disp:active</disposition>\n"
        )
        _xml_where(out, event.location, event.location)
        out.append(
            "        <extension>\n          <ilmd>\n"
            f"            <cbvmda:lotNumber>{_x(event.lot)}</cbvmda:lotNumber>\n"
            f"            <cbvmda:itemExpirationDate>{event.expiry}</cbvmda:itemExpirationDate>\n"
            "          </ilmd>\n        </extension>\n"
            "      </ObjectEvent>\n"
        )
    elif isinstance(event, _Pack):
        out.append("      <AggregationEvent>\n")
        out.append(when)
        out.append(f"        <parentID>{event.parent}</parentID>\n")
        _xml_epcs(out, "childEPCs", event.children)
        out.append(
            "        <action>ADD</action>\n"
            "        <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>\n"
            "        <disposition>urn:epcglobal:cbv:disp:in_progress</disposition>\n"
        )
        _xml_where(out, event.location, event.location)
        out.append("      </AggregationEvent>\n")
    else:
        out.append("      <ObjectEvent>\n")
        out.append(when)
        _xml_epcs(out, "epcList", event.epcs)
        out.append(
            "        <action>OBSERVE</action>\n"
            "        <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>\n"
            "        <disposition>urn:epcglobal:cbv:disp:in_transit</disposition>\n"
        )
        _xml_where(out, event.read_point, None)
        out.append(
            "        <bizTransactionList>\n"
            '          <bizTransaction type="urn:epcglobal:cbv:btt:po">'
            f"{event.po}</bizTransaction>\n"
            '          <bizTransaction type="urn:epcglobal:cbv:btt:desadv">'
            f"{event.desadv}</bizTransaction>\n"
            "        </bizTransactionList>\n"
            "        <extension>\n"
            "          <sourceList>\n"
            '            <source type="urn:epcglobal:cbv:sdt:owning_party">'
            f"{event.source_party}</source>\n"
            '            <source type="urn:epcglobal:cbv:sdt:location">'
            f"{event.source_location}</source>\n"
            "          </sourceList>\n"
            "          <destinationList>\n"
            '            <destination type="urn:epcglobal:cbv:sdt:owning_party">'
            f"{event.dest_party}</destination>\n"
            '            <destination type="urn:epcglobal:cbv:sdt:location">'
            f"{event.dest_location}</destination>\n"
            "          </destinationList>\n"
            "        </extension>\n"
            "      </ObjectEvent>\n"
        )


# --------------------------------------------------------------------------- EPCIS 2.0 JSON-LD


def _json_attributes(attributes: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"id": _MDA + k, "attribute": v} for k, v in attributes]


def _jsonld_head(world: _World) -> str:
    master_data = {
        "vocabularyList": [
            {
                "type": "urn:epcglobal:epcis:vtype:EPCClass",
                "vocabularyElementList": [
                    {
                        "id": p.class_pattern,
                        "attributes": _json_attributes(_product_attributes(p, world.seller.name)),
                    }
                    for p in world.products
                ],
            },
            {
                "type": "urn:epcglobal:epcis:vtype:Location",
                "vocabularyElementList": [
                    {"id": location_id, "attributes": _json_attributes(attributes)}
                    for location_id, attributes in _locations(world)
                ],
            },
        ]
    }
    header = {
        "epcisMasterData": master_data,
        "gs1ushc:dscsaTransactionStatement": {
            "gs1ushc:affirmTransactionStatement": "true",
            "gs1ushc:legalNotice": _LEGAL_NOTICE,
        },
    }
    head = {
        "@context": [_JSONLD_CONTEXT, {"gs1ushc": _GS1USHC_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _iso(world.created),
        "epcisHeader": header,
    }
    text = orjson.dumps(head).decode()
    return text[:-1] + ',"epcisBody":{"eventList":[\n'


_JSONLD_TAIL: Final = "\n]}}\n"


def _json_event(event: _Event) -> dict[str, object]:
    if isinstance(event, _Commission):
        return {
            "type": "ObjectEvent",
            "eventTime": event.time,
            "eventTimeZoneOffset": _TZ_OFFSET,
            "epcList": event.epcs,
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": event.location},
            "bizLocation": {"id": event.location},
            "ilmd": {"cbvmda:lotNumber": event.lot, "cbvmda:itemExpirationDate": event.expiry},
        }
    if isinstance(event, _Pack):
        return {
            "type": "AggregationEvent",
            "eventTime": event.time,
            "eventTimeZoneOffset": _TZ_OFFSET,
            "parentID": event.parent,
            "childEPCs": event.children,
            "action": "ADD",
            "bizStep": "packing",
            "disposition": "in_progress",
            "readPoint": {"id": event.location},
            "bizLocation": {"id": event.location},
        }
    return {
        "type": "ObjectEvent",
        "eventTime": event.time,
        "eventTimeZoneOffset": _TZ_OFFSET,
        "epcList": event.epcs,
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": event.read_point},
        "bizTransactionList": [
            {"type": "po", "bizTransaction": event.po},
            {"type": "desadv", "bizTransaction": event.desadv},
        ],
        "sourceList": [
            {"type": "owning_party", "source": event.source_party},
            {"type": "location", "source": event.source_location},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": event.dest_party},
            {"type": "location", "destination": event.dest_location},
        ],
    }


# --------------------------------------------------------------------------- driver


def _count(stats: GenerationStats, events: list[_Event]) -> None:
    for event in events:
        if isinstance(event, _Pack):
            kind, refs = "AggregationEvent", 1 + len(event.children)
        else:
            kind, refs = "ObjectEvent", len(event.epcs)
        stats.by_type[kind] = stats.by_type.get(kind, 0) + 1
        stats.epc_refs += refs
    stats.events += len(events)


def _chunks(world: _World, fmt: Format, stats: GenerationStats) -> Iterator[bytes]:
    """Encoded shipments, one chunk each (the head and tail are written by the caller)."""
    first = True
    while True:
        events, pallets = world.shipment()
        _count(stats, events)
        stats.shipments += 1
        stats.pallets += pallets
        if fmt == "xml12":
            out: list[str] = []
            for event in events:
                _xml_event(out, event)
            yield "".join(out).encode()
        else:
            body = b",\n".join(orjson.dumps(_json_event(e)) for e in events)
            yield body if first else b",\n" + body
        first = False


def generate(
    fmt: Format,
    out: BinaryIO,
    *,
    size_bytes: int | None = None,
    shipments: int | None = None,
    seed: int = 1,
    layout: Layout | None = None,
) -> GenerationStats:
    """Stream one document to ``out``; stop at ``size_bytes`` or after ``shipments``.

    At least one shipment is always written. With both limits, the first one reached wins.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if size_bytes is None and shipments is None:
        raise ValueError("give size_bytes or shipments (or both)")
    world = _World(seed, layout or Layout())
    stats = GenerationStats(format=fmt, seed=seed)
    head = (_xml_head(world) if fmt == "xml12" else _jsonld_head(world)).encode()
    tail = (_XML_TAIL if fmt == "xml12" else _JSONLD_TAIL).encode()
    out.write(head)
    written = len(head)
    for chunk in _chunks(world, fmt, stats):
        out.write(chunk)
        written += len(chunk)
        if shipments is not None and stats.shipments >= shipments:
            break
        if size_bytes is not None and written + len(tail) >= size_bytes:
            break
    out.write(tail)
    stats.bytes = written + len(tail)
    return stats


def generate_file(
    fmt: Format,
    path: str,
    *,
    size_bytes: int | None = None,
    shipments: int | None = None,
    seed: int = 1,
) -> GenerationStats:
    """:func:`generate` into the file ``path`` (buffered writes, constant memory)."""
    with open(path, "wb", buffering=1 << 20) as fh:  # noqa: PTH123 - plain buffered file
        return generate(fmt, fh, size_bytes=size_bytes, shipments=shipments, seed=seed)
