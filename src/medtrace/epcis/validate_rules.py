"""The EPCIS 2.0 / CBV 2.0 rules a readable event can still break.

Readers already refuse what cannot be represented in :mod:`medtrace.epcis.model` (missing
``eventTime``, an ``action`` other than ADD/OBSERVE/DELETE, a non-numeric quantity, …). The rules
here are about *meaning*: which fields an event type and action need (EPCIS 2.0 §7.4), the
form of times and time zones (§7.3.1, §7.4.1), quantities (§7.3.3.3), CBV vocabularies (CBV
2.0 §7), identifiers (§7.3.3 to §7.3.5 with EPC TDS 2.1 and GS1 Digital Link 1.4), sensor data
(§7.3.7) and user extensions (§7.3.2, §9.3.3, §9.4).

Every rule has a stable code (``aggregation.parent-required``) listed in :data:`RULES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Final

from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    EPCISEvent,
    Event,
    Location,
    ObjectEvent,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)
from medtrace.epcis.validate_core import Loc, Sink
from medtrace.epcis.validate_ids import (
    check_any_identifier,
    check_event_id,
    check_instance_epc,
    check_location,
    check_party_or_location,
    is_absolute_uri,
)
from medtrace.epcis.validate_values import (
    OFFSET,
    check_epcs,
    check_extensions,
    check_quantities,
    check_sensor_element,
    check_time,
    check_vocab,
    report_id,
)
from medtrace.epcis.vocab import is_standard

__all__ = ["RULES", "check_event"]

RULES: Final[dict[str, str]] = {
    "object.what-required": "EPCIS 2.0 §7.4.2: ObjectEvent needs EPCs, quantities, or sensor data "
    "with a readPoint",
    "object.ilmd-not-add": "EPCIS 2.0 §7.4.2, §7.3.6: ILMD only when action is ADD",
    "aggregation.parent-required": "EPCIS 2.0 §7.4.3: parentID required for ADD and DELETE",
    "aggregation.children-required": "EPCIS 2.0 §7.4.3: children required unless DELETE",
    "transaction.biz-transaction-required": "EPCIS 2.0 §7.4.5: at least one bizTransaction",
    "transaction.what-required": "EPCIS 2.0 §7.4.5: EPCs or quantities required unless DELETE",
    "transformation.what-required": "EPCIS 2.0 §7.4.6: at least one input or output",
    "transformation.inputs-and-outputs-required": "EPCIS 2.0 §7.4.6: inputs and outputs "
    "required without transformationID",
    "association.parent-required": "EPCIS 2.0 §7.4.7: parentID required",
    "association.children-required": "EPCIS 2.0 §7.4.7: children required unless DELETE",
    "time.timezone-offset": "EPCIS 2.0 §7.4.1: eventTimeZoneOffset is ±hh:mm, -14:00..+14:00",
    "time.timezone-missing": "EPCIS 2.0 §7.3.1: times carry a time zone",
    "event.id": "EPCIS 2.0 §7.4.1: eventID is an absolute URI (urn:uuid or ni hash)",
    "event.certification-info": "EPCIS 2.0 §7.4.1: certificationInfo is a URI",
    "error-declaration.corrective-id": "EPCIS 2.0 §7.4.1.2: correctiveEventIDs are event IDs",
    "quantity.negative": "EPCIS 2.0 §7.3.3.3: quantity is not negative",
    "quantity.not-finite": "EPCIS 2.0 §7.3.3.3: quantity is a finite number",
    "quantity.not-integral": "EPCIS 2.0 §7.3.3.3: without uom, quantity counts items",
    "quantity.uom-format": "EPCIS 2.0 §7.3.3.3: uom is a UN/CEFACT Rec 20 code",
    "quantity.uom-without-quantity": "EPCIS 2.0 §7.3.3.3: uom only with a quantity",
    "cbv.biz-step": "CBV 2.0 §7.1 business step",
    "cbv.disposition": "CBV 2.0 §7.2 disposition",
    "cbv.biz-transaction-type": "CBV 2.0 §7.3 business transaction type",
    "cbv.source-dest-type": "CBV 2.0 §7.4 source/destination type",
    "cbv.error-reason": "CBV 2.0 §7.5 error reason",
    "cbv.measurement-type": "CBV 2.0 §7.6 sensor measurement type",
    "cbv.alert-type": "CBV 2.0 §7.7 sensor alert type",
    "cbv.component": "CBV 2.0 §7.8 component",
    "identifier.epc": "EPCIS 2.0 §7.3.3.2 with EPC TDS 2.1 / GS1 Digital Link 1.4",
    "identifier.epc-class": "EPCIS 2.0 §7.3.3.3, CBV 2.0 §8.3.1",
    "identifier.location": "EPCIS 2.0 §7.3.4, CBV 2.0 §8.4",
    "identifier.source-destination": "EPCIS 2.0 §7.3.5.4, CBV 2.0 §8.5",
    "identifier.epc-kind": "EPCIS 2.0 §7.3.3.2: an instance-level EPC expected (warning)",
    "identifier.epc-class-kind": "EPCIS 2.0 §7.3.3.3: a class-level identifier expected (warning)",
    "identifier.location-kind": "CBV 2.0 §8.4: a location identifier expected (warning)",
    "identifier.source-destination-kind": "CBV 2.0 §8.5: a party or location expected (warning)",
    "identifier.uri": "EPCIS 2.0 §7.3.5.3, §7.4.6: a URI (checked when it claims a GS1 form)",
    "sensor.type-required": "EPCIS 2.0 §7.3.7.3: a measured value needs its type",
    "sensor.min-max": "EPCIS 2.0 §7.3.7.3: minValue ≤ maxValue",
    "sensor.perc-rank": "EPCIS 2.0 §7.3.7.3: percRank is 0..100",
    "sensor.sdev-negative": "EPCIS 2.0 §7.3.7.3: sDev is not negative",
    "sensor.uom-format": "EPCIS 2.0 §7.3.7.3: uom is a UN/CEFACT Rec 20 code",
    "sensor.hex-binary": "EPCIS 2.0 §7.3.7.3: hexBinaryValue is xsd:hexBinary",
    "sensor.uri": "EPCIS 2.0 §7.3.7: URI-valued sensor fields",
    "sensor.interval": "EPCIS 2.0 §7.3.7.2: startTime not after endTime",
    "extension.namespace-missing": "EPCIS 2.0 §7.3.2, §9.3.3, §9.4: user extensions are "
    "namespace-qualified",
    "extension.namespace-invalid": "EPCIS 2.0 §7.3.2: the extension namespace is a URI",
    "extension.namespace-reserved": "EPCIS 2.0 §7.3.2: user extensions may not use the EPCIS "
    "namespaces",
}

# --------------------------------------------------------------------------- common fields

#: The event itself (locations are immutable: shared).
_ROOT: Final = Loc()
#: Values already found valid, so that the next event repeating them (every event of a
#: shipment has the same time zone and locations) skips the check. Only values whose check
#: depends on nothing but the value are remembered; each set is emptied when it grows past
#: :data:`_MEMO_MAX`.
_VALID_OFFSETS: Final[set[str]] = set()
_VALID_LOCATIONS: Final[set[str]] = set()
_MEMO_MAX: Final = 4096


def _remember(memo: set[str], value: str) -> None:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo.add(value)


@lru_cache(maxsize=256)
def _at(*names: str) -> Loc:
    """The location of a field path below the event (locations are immutable: shared)."""
    loc = Loc()
    for name in names:
        loc = loc.field(name)
    return loc


def _check_source_dest(sink: Sink, loc: Loc, entries: Sequence[SourceDest], kind: str) -> None:
    for index, entry in enumerate(entries):
        here = loc.item(f"{kind}List", f"{kind}List", kind, index)
        check_vocab(sink, here.attr("type"), "sourceDestType", entry.type)
        problem = check_party_or_location(entry.value)
        report_id(sink, here.value(kind), "identifier.source-destination", problem, entry.value)


def _check_when(sink: Sink, event: EPCISEvent, *, legacy: bool) -> None:
    """Fields common to all event types (EPCIS 2.0 §7.4.1): times, time zone, eventID,
    certificationInfo and the error declaration (§7.4.1.2)."""
    offset = event.event_time_zone_offset
    if offset not in _VALID_OFFSETS:
        if OFFSET.match(offset) is None:
            sink.add(
                _at("eventTimeZoneOffset"),
                "time.timezone-offset",
                f"eventTimeZoneOffset {offset!r} is not ±hh:mm between -14:00 and +14:00",
                offset,
            )
        else:
            _remember(_VALID_OFFSETS, offset)
    moment = event.event_time
    if moment is not None and moment.utcoffset() is None:
        check_time(sink, _at("eventTime"), moment)
    recorded = event.record_time
    if recorded is not None and recorded.utcoffset() is None:
        check_time(sink, _at("recordTime"), recorded)
    if event.event_id is not None:
        problem = check_event_id(event.event_id)
        if problem is not None:
            sink.add(_at("eventID"), "event.id", problem, event.event_id)
    for index, cert in enumerate(event.certification_info):
        if not is_absolute_uri(cert):
            here = _ROOT.item("certificationInfo", None, "certificationInfo", index)
            sink.add(
                here,
                "event.certification-info",
                f"certificationInfo {cert!r} is not an absolute URI",
                cert,
            )
    declaration = event.error_declaration
    if declaration is not None:
        here = _at("errorDeclaration")
        check_time(sink, here.field("declarationTime"), declaration.declaration_time)
        if declaration.reason is not None:
            check_vocab(sink, here.field("reason"), "errorReason", declaration.reason)
        for index, corrective in enumerate(declaration.corrective_event_ids):
            problem = check_event_id(corrective)
            if problem is not None:
                at = here.item(
                    "correctiveEventIDs", "correctiveEventIDs", "correctiveEventID", index
                )
                sink.add(at, "error-declaration.corrective-id", problem, corrective)
        check_extensions(sink, here, declaration.extensions, legacy=legacy)


def _check_location(sink: Sink, name: str, location: Location, *, legacy: bool) -> None:
    """A readPoint or bizLocation (EPCIS 2.0 §7.3.4): its id and user extensions."""
    ident = location.id
    if ident not in _VALID_LOCATIONS:
        problem = check_location(ident)
        if problem is None:
            _remember(_VALID_LOCATIONS, ident)
        else:
            report_id(sink, _at(name, "id"), "identifier.location", problem, ident)
    if location.extensions:
        check_extensions(sink, _at(name), location.extensions, legacy=legacy)


#: The why and where fields of an event other than sensor data (strings and structures of
#: strings: equal values are equal texts, and pass or fail alike).
_why_where: Final = attrgetter(
    "biz_step",
    "disposition",
    "persistent_disposition",
    "read_point",
    "biz_location",
    "biz_transactions",
    "sources",
    "destinations",
    "extensions",
)
#: ``(legacy, why and where values)`` found without any problem: a shipment's events repeat
#: them, so the next event with the same values skips their checks (emptied past
#: :data:`_MEMO_MAX` entries). Only a problem-free outcome is remembered.
_VALID_WHY_WHERE: Final[set[tuple[bool, tuple[object, ...]]]] = set()


def _check_why_where(sink: Sink, event: EPCISEvent, *, legacy: bool) -> None:
    """The why and where dimensions (EPCIS 2.0 §7.3.4, §7.3.5), sensor data (§7.3.7) and
    event-level user extensions (§7.3.2).

    Without sensor data, values found without problems are remembered (:data:`_VALID_WHY_WHERE`).
    """
    if event.sensor_elements:
        _check_why_where_fields(sink, event, legacy=legacy)
        return
    key = (legacy, _why_where(event))
    try:
        if key in _VALID_WHY_WHERE:
            return
    except TypeError:  # an unhashable value (a list where the model has a tuple)
        _check_why_where_fields(sink, event, legacy=legacy)
        return
    found = len(sink.problems)
    _check_why_where_fields(sink, event, legacy=legacy)
    if len(sink.problems) == found:
        if len(_VALID_WHY_WHERE) >= _MEMO_MAX:
            _VALID_WHY_WHERE.clear()
        _VALID_WHY_WHERE.add(key)


def _check_why_where_fields(sink: Sink, event: EPCISEvent, *, legacy: bool) -> None:
    """The why and where fields and sensor data, checked one by one."""
    value = event.biz_step
    if value is not None and not is_standard("bizStep", value):
        check_vocab(sink, _at("bizStep"), "bizStep", value)
    value = event.disposition
    if value is not None and not is_standard("disposition", value):
        check_vocab(sink, _at("disposition"), "disposition", value)
    persistent = event.persistent_disposition
    if persistent is not None:
        here = _at("persistentDisposition")
        for name, values in (("set", persistent.set), ("unset", persistent.unset)):
            for index, value in enumerate(values):
                check_vocab(sink, here.item(name, None, name, index), "disposition", value)
    if event.read_point is not None:
        _check_location(sink, "readPoint", event.read_point, legacy=legacy)
    if event.biz_location is not None:
        _check_location(sink, "bizLocation", event.biz_location, legacy=legacy)
    for index, transaction in enumerate(event.biz_transactions):
        here = _ROOT.item("bizTransactionList", "bizTransactionList", "bizTransaction", index)
        if transaction.type is not None:
            check_vocab(sink, here.attr("type"), "bizTransactionType", transaction.type)
        found = check_any_identifier(transaction.value, "bizTransaction")
        report_id(sink, here.value("bizTransaction"), "identifier.uri", found, transaction.value)
    if event.sources:
        _check_source_dest(sink, _ROOT, event.sources, "source")
    if event.destinations:
        _check_source_dest(sink, _ROOT, event.destinations, "destination")
    for index, element in enumerate(event.sensor_elements):
        here = _ROOT.item("sensorElementList", "sensorElementList", "sensorElement", index)
        check_sensor_element(sink, here, element, legacy=legacy)
    if event.extensions:
        check_extensions(sink, _ROOT, event.extensions, legacy=legacy)


# --------------------------------------------------------------------------- event types


def _check_object(sink: Sink, event: ObjectEvent, *, legacy: bool) -> None:
    """ObjectEvent (EPCIS 2.0 §7.4.2)."""
    root = _ROOT
    check_epcs(sink, root, event.epc_list, "epcList")
    if event.quantity_list:
        check_quantities(sink, root, event.quantity_list, "quantityList")
    sensed = bool(event.sensor_elements) and event.read_point is not None
    if not event.epc_list and not event.quantity_list and not sensed:
        sink.add(
            root,
            "object.what-required",
            "ObjectEvent names no objects: expected an epcList or quantityList entry "
            "(or sensor data with a readPoint)",
        )
    if event.ilmd:
        if event.action != "ADD":
            sink.add(
                _at("ilmd"),
                "object.ilmd-not-add",
                f"ILMD is only allowed when action is ADD, got {event.action}",
                event.action,
            )
        check_extensions(sink, _at("ilmd"), event.ilmd, legacy=legacy)


def _check_parent_children(
    sink: Sink, event: AggregationEvent | AssociationEvent, kind: str, *, parent_always: bool
) -> None:
    """AggregationEvent (EPCIS 2.0 §7.4.3) / AssociationEvent (§7.4.7): parent and children."""
    root = _ROOT
    if event.parent_id is None:
        if parent_always or event.action != "OBSERVE":
            when = "" if parent_always else f" when action is {event.action}"
            sink.add(
                _at("parentID"),
                f"{kind}.parent-required",
                f"{type(event).__name__} needs a parentID{when}",
            )
    else:
        problem = check_instance_epc(event.parent_id)
        if problem is not None:
            report_id(sink, _at("parentID"), "identifier.epc", problem, event.parent_id)
    check_epcs(sink, root, event.child_epcs, "childEPCs")
    if event.child_quantities:
        check_quantities(sink, root, event.child_quantities, "childQuantityList")
    if not event.child_epcs and not event.child_quantities and event.action != "DELETE":
        sink.add(
            root,
            f"{kind}.children-required",
            f"{type(event).__name__} with action {event.action} names no children: "
            "expected childEPCs or childQuantityList",
        )


def _check_transaction(sink: Sink, event: TransactionEvent) -> None:
    """TransactionEvent (EPCIS 2.0 §7.4.5)."""
    root = _ROOT
    if not event.biz_transactions:
        sink.add(
            _at("bizTransactionList"),
            "transaction.biz-transaction-required",
            "TransactionEvent needs at least one bizTransaction",
        )
    if event.parent_id is not None:
        problem = check_instance_epc(event.parent_id)
        report_id(sink, _at("parentID"), "identifier.epc", problem, event.parent_id)
    check_epcs(sink, root, event.epc_list, "epcList")
    check_quantities(sink, root, event.quantity_list, "quantityList")
    if not event.epc_list and not event.quantity_list and event.action != "DELETE":
        sink.add(
            root,
            "transaction.what-required",
            f"TransactionEvent with action {event.action} names no objects: expected an "
            "epcList or quantityList entry",
        )


def _check_transformation(sink: Sink, event: TransformationEvent, *, legacy: bool) -> None:
    """TransformationEvent (EPCIS 2.0 §7.4.6)."""
    root = _ROOT
    check_epcs(sink, root, event.input_epcs, "inputEPCList")
    check_quantities(sink, root, event.input_quantities, "inputQuantityList")
    check_epcs(sink, root, event.output_epcs, "outputEPCList")
    check_quantities(sink, root, event.output_quantities, "outputQuantityList")
    inputs = bool(event.input_epcs or event.input_quantities)
    outputs = bool(event.output_epcs or event.output_quantities)
    if not inputs and not outputs:
        sink.add(
            root,
            "transformation.what-required",
            "TransformationEvent has neither inputs nor outputs",
        )
    elif event.transformation_id is None and not (inputs and outputs):
        missing = "outputs" if inputs else "inputs"
        sink.add(
            root,
            "transformation.inputs-and-outputs-required",
            f"TransformationEvent without transformationID has no {missing}; both inputs "
            "and outputs are required unless a transformationID links events",
        )
    if event.transformation_id is not None:
        problem = check_any_identifier(event.transformation_id, "transformationID")
        here = _at("transformationID")
        report_id(sink, here, "identifier.uri", problem, event.transformation_id)
    check_extensions(sink, _at("ilmd"), event.ilmd, legacy=legacy)


def check_event(sink: Sink, event: Event, *, legacy: bool = False) -> None:
    """Apply every rule to ``event``, reporting into ``sink``."""
    _check_when(sink, event, legacy=legacy)
    _check_why_where(sink, event, legacy=legacy)
    if isinstance(event, ObjectEvent):
        _check_object(sink, event, legacy=legacy)
    elif isinstance(event, AggregationEvent):
        _check_parent_children(sink, event, "aggregation", parent_always=False)
    elif isinstance(event, AssociationEvent):
        _check_parent_children(sink, event, "association", parent_always=True)
    elif isinstance(event, TransactionEvent):
        _check_transaction(sink, event)
    else:
        _check_transformation(sink, event, legacy=legacy)
