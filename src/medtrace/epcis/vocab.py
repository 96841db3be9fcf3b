"""CBV 2.0 standard vocabularies and conversion between their spellings.

A CBV value can be written four ways (CBV 2.0 §6, §8.2, EPCIS 2.0 §9.4.2):

* the CBV URN (``urn:epcglobal:cbv:bizstep:shipping``), used in XML and by EPCIS 1.2;
* the web URI (``https://ref.gs1.org/cbv/BizStep-shipping``), CBV 2.0 §8.2 / §8.9;
* a CURIE with the ``cbv:`` prefix (``cbv:BizStep-shipping``), in JSON-LD;
* the bare word (``shipping``), the JSON-LD short form defined by the EPCIS context.

Inside medtrace a value has **one canonical form**: the CBV URN where CBV defines one
(business steps, dispositions, business transaction types, source/destination types, error
reasons) and the web URI for the vocabularies that CBV 2.0 introduced without a URN form:
sensor measurement types and alert types (``https://gs1.org/voc/Temperature``,
``gs1:Temperature``; CBV 2.0 §7.6) and components (``https://ref.gs1.org/cbv/Comp-x``).
Values outside CBV (user vocabularies) are URIs and stay as given.

>>> to_canonical("bizStep", "shipping")
'urn:epcglobal:cbv:bizstep:shipping'
>>> to_canonical("disposition", "https://ref.gs1.org/cbv/Disp-in_transit")
'urn:epcglobal:cbv:disp:in_transit'
>>> to_bare("bizTransactionType", "urn:epcglobal:cbv:btt:po")
'po'
>>> to_canonical("measurementType", "gs1:Temperature")
'https://gs1.org/voc/Temperature'
>>> to_bare("bizStep", "https://example.com/my-step")
'https://example.com/my-step'
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

__all__ = [
    "BIZ_STEPS",
    "BIZ_TRANSACTION_TYPES",
    "COMPONENTS",
    "DISPOSITIONS",
    "ERROR_REASONS",
    "MEASUREMENT_TYPES",
    "SENSOR_ALERT_TYPES",
    "SOURCE_DEST_TYPES",
    "STANDARD_VALUES",
    "VocabKind",
    "is_standard",
    "to_bare",
    "to_canonical",
    "to_web_uri",
]

VocabKind: TypeAlias = Literal[
    "bizStep",
    "disposition",
    "bizTransactionType",
    "sourceDestType",
    "errorReason",
    "measurementType",
    "sensorAlertType",
    "component",
]

CBV_WEB: Final = "https://ref.gs1.org/cbv/"
GS1_VOC: Final = "https://gs1.org/voc/"

#: CBV 2.0 §7.1 business steps.
BIZ_STEPS: Final[tuple[str, ...]] = (
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "shipping",
    "staging_outbound", "stock_taking", "stocking", "storing", "transporting", "unloading",
    "unpacking", "void_shipping", "sensor_reporting", "sampling",
)  # fmt: skip

#: CBV 2.0 §7.2 dispositions.
DISPOSITIONS: Final[tuple[str, ...]] = (
    "active", "container_closed", "damaged", "destroyed", "dispensed", "disposed", "encoded",
    "expired", "in_progress", "in_transit", "inactive", "no_pedigree_match",
    "non_sellable_other", "partially_dispensed", "recalled", "reserved", "retail_sold",
    "returned", "sellable_accessible", "sellable_not_accessible", "stolen", "unknown",
    "available", "completeness_verified", "completeness_inferred", "conformant",
    "container_open", "mismatch_instance", "mismatch_class", "mismatch_quantity",
    "needs_replacement", "non_conformant", "unavailable",
)  # fmt: skip

#: CBV 2.0 §7.3 business transaction types.
BIZ_TRANSACTION_TYPES: Final[tuple[str, ...]] = (
    "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
    "testprd", "testres", "upevt",
)  # fmt: skip

#: CBV 2.0 §7.4 source/destination types.
SOURCE_DEST_TYPES: Final[tuple[str, ...]] = ("owning_party", "possessing_party", "location")

#: CBV 2.0 §7.5 error reasons.
ERROR_REASONS: Final[tuple[str, ...]] = ("did_not_occur", "incorrect_data")

#: CBV 2.0 §7.6 sensor measurement types (gs1: vocabulary).
MEASUREMENT_TYPES: Final[tuple[str, ...]] = (
    "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Radioactivity",
    "Altitude", "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle",
    "AngularAcceleration", "AngularMomentum", "AngularVelocity", "Area", "Capacitance",
    "Conductance", "Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
    "DoseEquivalentRate", "DynamicViscosity", "ElectricCharge", "ElectricCurrent",
    "ElectricCurrentDensity", "ElectricFieldStrength", "Energy", "Exposure", "Force",
    "Frequency", "Illuminance", "Inductance", "Irradiance", "KinematicViscosity", "Length",
    "LinearMomentum", "Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux",
    "MagneticFluxDensity", "MagneticVectorPotential", "Mass", "MassConcentration",
    "MassFlowRate", "MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy",
    "MolarMass", "MolarVolume", "Power", "Pressure", "RadiantFlux", "RadiantIntensity",
    "RelativeHumidity", "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed",
    "SurfaceDensity", "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume",
    "VolumeFlowRate", "VolumeFraction", "VolumetricFlux", "Wavenumber",
)  # fmt: skip

#: CBV 2.0 §7.7 sensor alert types.
SENSOR_ALERT_TYPES: Final[tuple[str, ...]] = ("ALARM_CONDITION", "ERROR_CONDITION")

#: CBV 2.0 §7.8 components.
COMPONENTS: Final[tuple[str, ...]] = (
    "x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius", "polar_angle",
    "elevation_angle", "easting", "northing", "latitude", "longitude", "altitude",
)  # fmt: skip

STANDARD_VALUES: Final[dict[VocabKind, tuple[str, ...]]] = {
    "bizStep": BIZ_STEPS,
    "disposition": DISPOSITIONS,
    "bizTransactionType": BIZ_TRANSACTION_TYPES,
    "sourceDestType": SOURCE_DEST_TYPES,
    "errorReason": ERROR_REASONS,
    "measurementType": MEASUREMENT_TYPES,
    "sensorAlertType": SENSOR_ALERT_TYPES,
    "component": COMPONENTS,
}

# kind -> (URN prefix or None, web URI prefix, CURIE prefix)
_FORMS: Final[dict[VocabKind, tuple[str | None, str, str]]] = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", CBV_WEB + "BizStep-", "cbv:BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", CBV_WEB + "Disp-", "cbv:Disp-"),
    "bizTransactionType": ("urn:epcglobal:cbv:btt:", CBV_WEB + "BTT-", "cbv:BTT-"),
    "sourceDestType": ("urn:epcglobal:cbv:sdt:", CBV_WEB + "SDT-", "cbv:SDT-"),
    "errorReason": ("urn:epcglobal:cbv:er:", CBV_WEB + "ER-", "cbv:ER-"),
    "measurementType": (None, GS1_VOC, "gs1:"),
    "sensorAlertType": (None, GS1_VOC, "gs1:"),
    "component": (None, CBV_WEB + "Comp-", "cbv:Comp-"),
}


def _build_tables() -> tuple[
    dict[VocabKind, dict[str, str]], dict[VocabKind, dict[str, str]], dict[VocabKind, set[str]]
]:
    canonical: dict[VocabKind, dict[str, str]] = {}
    bare: dict[VocabKind, dict[str, str]] = {}
    standard: dict[VocabKind, set[str]] = {}
    for kind, words in STANDARD_VALUES.items():
        urn, web, curie = _FORMS[kind]
        table: dict[str, str] = {}
        rev: dict[str, str] = {}
        for word in words:
            canon = (urn or web) + word
            for form in (word, web + word, curie + word, canon):
                table[form] = canon
            rev[canon] = word
        canonical[kind] = table
        bare[kind] = rev
        standard[kind] = set(rev)
    return canonical, bare, standard


_CANONICAL, _BARE, _STANDARD_CANON = _build_tables()


def to_canonical(kind: VocabKind, value: str) -> str:
    """The canonical form of a CBV ``value`` of ``kind`` (CBV 2.0 §6.4, §8.2).

    Standard values in any spelling (bare word, URN, web URI, ``cbv:``/``gs1:`` CURIE) map to
    the URN (or web URI where CBV has no URN). A non-standard value in a CBV namespace is
    converted structurally (``cbv:BizStep-x`` → ``urn:epcglobal:cbv:bizstep:x``); any other
    value (a user URI, or an unknown bare word for the validator to flag) is returned as is.

    >>> to_canonical("sourceDestType", "cbv:SDT-owning_party")
    'urn:epcglobal:cbv:sdt:owning_party'
    >>> to_canonical("component", "x")
    'https://ref.gs1.org/cbv/Comp-x'
    """
    hit = _CANONICAL[kind].get(value)
    if hit is not None:
        return hit
    urn, web, curie = _FORMS[kind]
    target = urn or web
    for prefix in (web, curie):
        if value.startswith(prefix) and len(value) > len(prefix):
            return target + value[len(prefix) :]
    return value


def to_bare(kind: VocabKind, value: str) -> str:
    """The JSON-LD short form: the bare word for a standard value, else the full URI.

    >>> to_bare("disposition", "cbv:Disp-in_transit")
    'in_transit'
    >>> to_bare("sensorAlertType", "https://gs1.org/voc/ALARM_CONDITION")
    'ALARM_CONDITION'
    """
    canon = to_canonical(kind, value)
    return _BARE[kind].get(canon, canon)


def to_web_uri(kind: VocabKind, value: str) -> str:
    """The CBV 2.0 web URI form (used by the event hash, CBV 2.0 §8.9); others unchanged.

    >>> to_web_uri("bizStep", "urn:epcglobal:cbv:bizstep:shipping")
    'https://ref.gs1.org/cbv/BizStep-shipping'
    >>> to_web_uri("bizStep", "urn:example:step")
    'urn:example:step'
    """
    canon = to_canonical(kind, value)
    urn, web, _ = _FORMS[kind]
    if urn is not None and canon.startswith(urn) and len(canon) > len(urn):
        return web + canon[len(urn) :]
    return canon


def is_standard(kind: VocabKind, value: str) -> bool:
    """Whether ``value`` (any spelling) is a standard CBV 2.0 value of ``kind``.

    >>> is_standard("bizStep", "urn:epcglobal:cbv:bizstep:shipping")
    True
    >>> is_standard("bizStep", "urn:epcglobal:cbv:bizstep:teleporting")
    False
    """
    # Every spelling of a standard value is a key of its kind's table (and nothing else is:
    # to_canonical only rewrites prefixes, and prefix + standard word is itself a key).
    return value in _CANONICAL[kind]
