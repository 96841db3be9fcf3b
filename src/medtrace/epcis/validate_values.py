"""Checks of single values inside EPCIS events, shared by the event rules.

CBV vocabulary values (CBV 2.0 §6.4, §7), identifiers (EPCIS 2.0 §7.3.3 to §7.3.5 via
:mod:`medtrace.epcis.validate_ids`), times (§7.3.1), quantities (§7.3.3.3), user extensions
(§7.3.2, §9.3.3, §9.4) and sensor elements (§7.3.7). Rule codes are listed in
:data:`medtrace.epcis.validate_rules.RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

from medtrace.epcis.model import Extension, QuantityElement, SensorElement, SensorReport
from medtrace.epcis.validate_core import Loc, Sink
from medtrace.epcis.validate_ids import (
    IdProblem,
    check_any_identifier,
    check_class,
    check_instance_epc,
    fast_valid_instance_epcs,
    is_absolute_uri,
)
from medtrace.epcis.vocab import CBV_WEB, VocabKind, is_standard

__all__ = [
    "OFFSET",
    "check_epcs",
    "check_extensions",
    "check_quantities",
    "check_sensor_element",
    "check_time",
    "check_vocab",
    "report_id",
]

#: EPCIS 2.0 §7.4.1 eventTimeZoneOffset: ±hh:mm from -14:00 to +14:00.
OFFSET: Final = re.compile(r"[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)\Z")
_UOM: Final = re.compile(r"[A-Z0-9]{2,3}\Z")
_HEX: Final = re.compile(r"(?:[0-9a-fA-F]{2})*\Z")
_PERCENT_MAX: Final = Decimal(100)
_CBV_WEB_HEADS: Final = (CBV_WEB.lower(), "cbv:")
#: CBV 2.0 §8.2 web URI type prefixes (lower-cased → as written) and the kind each belongs to.
_CBV_WEB_TYPES: Final = {
    name.lower(): name for name in ("BizStep", "Disp", "BTT", "SDT", "ER", "Comp")
}
_CBV_WEB_KIND: Final[dict[VocabKind, str]] = {
    "bizStep": "BizStep",
    "disposition": "Disp",
    "bizTransactionType": "BTT",
    "sourceDestType": "SDT",
    "errorReason": "ER",
    "component": "Comp",
}
_GS1_VOC_KINDS: Final = frozenset({"measurementType", "sensorAlertType"})
_GS1_VOC_HEADS: Final = ("https://gs1.org/voc/", "gs1:")
_RESERVED_NAMESPACES: Final = (
    "urn:epcglobal:epcis:",
    "urn:epcglobal:epcis-query:",
    "urn:epcglobal:epcis-masterdata:",
    "https://ref.gs1.org/epcis/",
)
#: Extension namespaces found acceptable (the check depends on the namespace alone).
_VALID_NAMESPACES: Final[set[str]] = set()
_VALID_NAMESPACES_MAX: Final = 1024
_VOCAB: Final[dict[VocabKind, tuple[str, str]]] = {
    "bizStep": ("cbv.biz-step", "business step (CBV 2.0 §7.1)"),
    "disposition": ("cbv.disposition", "disposition (CBV 2.0 §7.2)"),
    "bizTransactionType": ("cbv.biz-transaction-type", "business transaction type (CBV 2.0 §7.3)"),
    "sourceDestType": ("cbv.source-dest-type", "source/destination type (CBV 2.0 §7.4)"),
    "errorReason": ("cbv.error-reason", "error reason (CBV 2.0 §7.5)"),
    "measurementType": ("cbv.measurement-type", "sensor measurement type (CBV 2.0 §7.6)"),
    "sensorAlertType": ("cbv.alert-type", "sensor alert type (CBV 2.0 §7.7)"),
    "component": ("cbv.component", "component (CBV 2.0 §7.8)"),
}

# --------------------------------------------------------------------------- values


def _cbv_web_term(value: str) -> tuple[str, str] | None:
    """``(type prefix, term)`` of a CBV web URI or ``cbv:`` CURIE, prefix matched ignoring case
    (``https://ref.gs1.org/cbv/Bizstep-x`` → ``("BizStep", "x")``)."""
    lowered = value.lower()
    for head in _CBV_WEB_HEADS:
        if lowered.startswith(head):
            rest = value[len(head) :]
            prefix, dash, term = rest.partition("-")
            canonical = _CBV_WEB_TYPES.get(prefix.lower())
            if dash and term and canonical is not None:
                return canonical, term
    return None


def check_vocab(sink: Sink, loc: Loc, kind: VocabKind, value: str) -> None:
    """A CBV-governed value: a standard term, or a URI outside the CBV namespaces (CBV 2.0 §6.4).

    Errors: a term in a CBV namespace that CBV does not define
    (``urn:epcglobal:cbv:bizstep:shippping``, ``https://ref.gs1.org/cbv/BizStep-x``), a term of
    another CBV vocabulary, and a bare word that is not a CBV term. Warnings: a standard term
    whose CBV web URI is spelt in another case (``…/cbv/Bizstep-shipping``), and a GS1 Web
    Vocabulary measurement or alert type outside the CBV 2.0 §7.6/§7.7 lists (the GS1 Web
    Vocabulary is open-ended).
    """
    if is_standard(kind, value):
        return
    rule, what = _VOCAB[kind]
    web = _cbv_web_term(value)
    if web is not None:
        prefix, term = web
        fixed = f"{CBV_WEB}{prefix}-{term}"
        if _CBV_WEB_TYPES.get(prefix.lower()) == _CBV_WEB_KIND.get(kind) and is_standard(
            kind, fixed
        ):
            sink.add(
                loc,
                rule,
                f"{value!r} is the CBV 2.0 {what} {fixed} spelt in another "
                "case; CBV URIs are case-sensitive",
                value,
                "warning",
            )
            return
        sink.add(loc, rule, f"{value!r} is not a standard CBV 2.0 {what}", value)
    elif value.startswith("urn:epcglobal:cbv:"):
        sink.add(loc, rule, f"{value!r} is not a standard CBV 2.0 {what}", value)
    elif kind in _GS1_VOC_KINDS and value.startswith(_GS1_VOC_HEADS):
        sink.add(loc, rule, f"{value!r} is not in the CBV 2.0 list of {what}s", value, "warning")
    elif not is_absolute_uri(value):
        sink.add(
            loc,
            rule,
            f"{value!r} is neither a standard CBV 2.0 {what} nor a URI; a user-defined "
            "value must be an absolute URI (CBV 2.0 §6.4)",
            value,
        )


def report_id(sink: Sink, loc: Loc, rule: str, problem: IdProblem | None, value: str) -> None:
    """Report an identifier problem: invalid is an error, the wrong level only a warning."""
    if problem is None:
        return
    if problem.wrong_kind:
        sink.add(loc, f"{rule}-kind", problem.message, value, "warning")
    else:
        sink.add(loc, rule, problem.message, value)


def check_time(sink: Sink, loc: Loc, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        sink.add(loc, "time.timezone-missing", "time has no time zone", value.isoformat())


def check_epcs(sink: Sink, loc: Loc, epcs: Sequence[str], json_list: str) -> None:
    """EPCs of a list (EPCIS 2.0 §7.3.3.2); the location is built only for a problem."""
    if fast_valid_instance_epcs(epcs):
        return
    for index, epc in enumerate(epcs):
        problem = check_instance_epc(epc)
        if problem is not None:
            here = loc.item(json_list, json_list, "epc", index)
            report_id(sink, here, "identifier.epc", problem, epc)


def _check_quantity(sink: Sink, loc: Loc, element: QuantityElement) -> None:
    """EPCIS 2.0 §7.3.3.3 QuantityElement."""
    problem = check_class(element.epc_class)
    report_id(sink, loc.field("epcClass"), "identifier.epc-class", problem, element.epc_class)
    quantity, uom = element.quantity, element.uom
    if uom is not None:
        if _UOM.match(uom) is None:
            sink.add(
                loc.field("uom"),
                "quantity.uom-format",
                f"uom {uom!r} is not a UN/CEFACT Recommendation 20 code (2-3 upper-case "
                "letters or digits)",
                uom,
            )
        if quantity is None:
            sink.add(loc.field("uom"), "quantity.uom-without-quantity", "uom without quantity", uom)
    if quantity is None:
        return
    if not quantity.is_finite():
        sink.add(
            loc.field("quantity"),
            "quantity.not-finite",
            "quantity is not a finite number",
            str(quantity),
        )
        return
    if quantity < 0:
        sink.add(loc.field("quantity"), "quantity.negative", "quantity is negative", str(quantity))
    if uom is None and quantity != quantity.to_integral_value():
        sink.add(
            loc.field("quantity"),
            "quantity.not-integral",
            "quantity without uom counts instances and must be a whole number",
            str(quantity),
        )


def check_quantities(
    sink: Sink, loc: Loc, elements: Sequence[QuantityElement], json_list: str
) -> None:
    for index, element in enumerate(elements):
        _check_quantity(sink, loc.item(json_list, json_list, "quantityElement", index), element)


def _ext_key(ext: Extension) -> str:
    if ext.prefix:
        return f"{ext.prefix}:{ext.name}"
    return f"{{{ext.namespace}}}{ext.name}" if ext.namespace else ext.name


def check_extensions(
    sink: Sink, loc: Loc, extensions: Sequence[Extension], *, legacy: bool = False
) -> None:
    """Top-level user extension elements (EPCIS 2.0 §7.3.2, §9.3.3, §9.4): qualified with a
    namespace URI that is not an EPCIS namespace. ``legacy`` (EPCIS 1.x) makes an unqualified
    element (kept from a 1.2 ``##local`` extension point) a warning instead of an error."""
    for ext in extensions:
        if ext.namespace in _VALID_NAMESPACES:
            continue
        here = loc.field(_ext_key(ext))
        if not ext.namespace:
            sink.add(
                here,
                "extension.namespace-missing",
                f"extension element {ext.name!r} has no namespace; user extensions must be "
                "qualified with a namespace URI",
                ext.name,
                "warning" if legacy else "error",
            )
        elif not is_absolute_uri(ext.namespace):
            sink.add(
                here,
                "extension.namespace-invalid",
                f"extension namespace {ext.namespace!r} is not an absolute URI",
                ext.namespace,
            )
        elif ext.namespace.startswith(_RESERVED_NAMESPACES):
            sink.add(
                here,
                "extension.namespace-reserved",
                f"extension element {ext.name!r} uses the EPCIS namespace {ext.namespace}; "
                "user extensions need a namespace of their own",
                ext.namespace,
            )
        else:
            if len(_VALID_NAMESPACES) >= _VALID_NAMESPACES_MAX:
                _VALID_NAMESPACES.clear()
            _VALID_NAMESPACES.add(ext.namespace)


# --------------------------------------------------------------------------- sensors

_REPORT_URIS: Final = (
    ("device_id", "deviceID"),
    ("device_metadata", "deviceMetadata"),
    ("raw_data", "rawData"),
    ("data_processing_method", "dataProcessingMethod"),
    ("uri_value", "uriValue"),
    ("microorganism", "microorganism"),
    ("chemical_substance", "chemicalSubstance"),
    ("coordinate_reference_system", "coordinateReferenceSystem"),
)
_METADATA_URIS: Final = (*_REPORT_URIS[:4], ("biz_rules", "bizRules"))
_MEASURED: Final = ("value", "min_value", "max_value", "mean_value", "s_dev", "perc_value")


def _check_uri_fields(sink: Sink, loc: Loc, obj: object, fields: Sequence[tuple[str, str]]) -> None:
    for attribute, name in fields:
        value = getattr(obj, attribute)
        if value is not None:
            report_id(sink, loc.attr(name), "sensor.uri", check_any_identifier(value, name), value)


def _check_report(sink: Sink, loc: Loc, report: SensorReport) -> None:
    """EPCIS 2.0 §7.3.7.3 sensorReport."""
    if report.type is not None:
        check_vocab(sink, loc.attr("type"), "measurementType", report.type)
    elif any(getattr(report, name) is not None for name in _MEASURED):
        sink.add(
            loc.attr("type"),
            "sensor.type-required",
            "sensorReport has a measured value but no type saying what was measured",
        )
    if report.exception is not None:
        check_vocab(sink, loc.attr("exception"), "sensorAlertType", report.exception)
    if report.component is not None:
        check_vocab(sink, loc.attr("component"), "component", report.component)
    if report.uom is not None and _UOM.match(report.uom) is None:
        sink.add(
            loc.attr("uom"),
            "sensor.uom-format",
            f"uom {report.uom!r} is not a UN/CEFACT Recommendation 20 code",
            report.uom,
        )
    low, high = report.min_value, report.max_value
    if low is not None and high is not None and low > high:
        sink.add(
            loc.attr("minValue"),
            "sensor.min-max",
            f"minValue {low} is greater than maxValue {high}",
            str(low),
        )
    rank = report.perc_rank
    if rank is not None and not 0 <= rank <= _PERCENT_MAX:
        sink.add(
            loc.attr("percRank"),
            "sensor.perc-rank",
            f"percRank {rank} is outside 0..100",
            str(rank),
        )
    if report.s_dev is not None and report.s_dev < 0:
        sink.add(
            loc.attr("sDev"),
            "sensor.sdev-negative",
            f"sDev {report.s_dev} is negative",
            str(report.s_dev),
        )
    hex_value = report.hex_binary_value
    if hex_value is not None and _HEX.match(hex_value) is None:
        sink.add(
            loc.attr("hexBinaryValue"),
            "sensor.hex-binary",
            f"hexBinaryValue {hex_value!r} is not pairs of hex digits",
            hex_value,
        )
    check_time(sink, loc.attr("time"), report.time)
    _check_uri_fields(sink, loc, report, _REPORT_URIS)


def check_sensor_element(sink: Sink, loc: Loc, element: SensorElement, *, legacy: bool) -> None:
    """EPCIS 2.0 §7.3.7.1 sensorElement."""
    meta = element.metadata
    if meta is not None:
        here = loc.field("sensorMetadata")
        for attribute, name in (
            ("time", "time"),
            ("start_time", "startTime"),
            ("end_time", "endTime"),
        ):
            check_time(sink, here.attr(name), getattr(meta, attribute))
        start, end = meta.start_time, meta.end_time
        if start is not None and end is not None and start > end:
            sink.add(
                here.attr("startTime"),
                "sensor.interval",
                f"startTime {start.isoformat()} is after endTime {end.isoformat()}",
                start.isoformat(),
                "warning",
            )
        _check_uri_fields(sink, here, meta, _METADATA_URIS)
    for index, report in enumerate(element.reports):
        _check_report(sink, loc.item("sensorReport", None, "sensorReport", index), report)
    check_extensions(sink, loc, element.extensions, legacy=legacy)
