"""Validation against the conformance corpus, one test per file.

* Every document that the official EPCIS 2.0 XSD / JSON Schema accepts is accepted (no
  error-severity problem), except the few listed in ``KNOWN_REJECTIONS``: schema-valid
  documents whose *content* breaks a rule the schemas cannot express.
* Every OpenEPCIS document in an ``Invalid`` folder is rejected, for the reason the file was
  written to show (``INVALID``: rule and location of the expected error).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medtrace.epcis.validate_source import ValidationReport, validate_file

pytestmark = pytest.mark.conformance

OPENEPCIS = "openepcis/test-resources/2.0/EPCIS"
ACCEPTED_GLOBS = (
    "gs1-epcis/XML/**/*.xml",
    "gs1-epcis/JSON/**/*.jsonld",
    "event-hash/examples/*.xml",
    "event-hash/examples/*.jsonld",
    "dscsa/gs1us-guideline-example/*.xml",
    f"{OPENEPCIS}/XML/Capture/Documents/*.xml",
    f"{OPENEPCIS}/JSON/Capture/Documents/*.json",
)

# path -> (rule, location) of the one error we report on purpose.
KNOWN_REJECTIONS: dict[str, tuple[str, str]] = {
    # GRAI Digital Link .../8003/030013450007718765: check digit 1 is wrong (expected 6).
    f"{OPENEPCIS}/XML/Capture/Documents/Combination_of_different_event.xml": (
        "identifier.epc",
        "/EPCISDocument/EPCISBody/EventList/*[1]/epcList/epc[1]",
    ),
    # Same GRAI in the JSON twin.
    f"{OPENEPCIS}/JSON/Capture/Documents/Combination_of_different_event.json": (
        "identifier.epc",
        "/epcisBody/eventList/0/epcList/0",
    ),
    # GRAI .../8003/952012200000001004 starts with 9; AI 8003 needs a leading 0 digit.
    f"{OPENEPCIS}/XML/Capture/Documents/SensorData_with_combined_events.xml": (
        "identifier.epc",
        "/EPCISDocument/EPCISBody/EventList/*[13]/epcList/epc[1]",
    ),
    # Same GRAI in the JSON twin (its missing sensorReport type is accepted: see below).
    f"{OPENEPCIS}/JSON/Capture/Documents/SensorData_with_combined_events.json": (
        "identifier.epc",
        "/epcisBody/eventList/12/epcList/0",
    ),
    # Tool-specific query document without EPCISBody/QueryResults: not EPCIS structure.
    "event-hash/examples/epcisXmlQueryDocHavingEventWithIgnoreFields.xml": (
        "document.invalid",
        "/EPCISQueryDocument/resultsBody/EventList",
    ),
}

# path -> (rule, location suffix, strict) of the error that shows why the file is invalid.
INVALID: dict[str, tuple[str, str, bool]] = {
    # First event has no action (the second lacks action and eventTimeZoneOffset too).
    "JSON/Capture/Invalid/Combination_of_events_with_missing_mandatory_fields.json": (
        "document.invalid",
        "/epcisBody/eventList/0",
        False,
    ),
    # First of several faults: the non-CBV bare bizStep "transforming".
    "JSON/Capture/Invalid/Combination_of_multiple_invalid_fields.json": (
        "document.invalid",
        "/epcisBody/eventList/0/bizStep",
        False,
    ),
    # Bare bizStep "transforming" is not a CBV term.
    "JSON/Capture/Invalid/Combination_of_non_standard_bizStep_and_disposition.json": (
        "document.invalid",
        "/epcisBody/eventList/0/bizStep",
        False,
    ),
    # No @context: not JSON-LD.
    "JSON/Capture/Invalid/EPCISDocument_without_context.json": ("document.invalid", "/", False),
    # ILMD member without a namespace.
    "JSON/Capture/Invalid/ObjectEvent_with_ilmd_field_without_namespace.json": (
        "extension.namespace-missing",
        "/epcisBody/eventList/0/ilmd/materialType",
        False,
    ),
    # action CREATE.
    "JSON/Capture/Invalid/ObjectEvent_with_invalid_action.json": (
        "document.invalid",
        "/epcisBody/eventList/0/action",
        False,
    ),
    # certificationInfo holds objects, not URIs.
    "JSON/Capture/Invalid/ObjectEvent_with_invalid_certificationInfo.json": (
        "document.invalid",
        "/epcisBody/eventList/0/certificationInfo/0",
        False,
    ),
    # eventTime "22-07-2026" is no xsd:dateTime.
    "JSON/Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.json": (
        "document.invalid",
        "/epcisBody/eventList/0/eventTime",
        False,
    ),
    # Bare bizStep "transforming".
    "JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep.json": (
        "document.invalid",
        "/epcisBody/eventList/0/bizStep",
        False,
    ),
    # Same, in the second event: the first one is validated and clean.
    "JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep_in_second_event.json": (
        "document.invalid",
        "/epcisBody/eventList/1/bizStep",
        False,
    ),
    # Bare disposition "in_transport".
    "JSON/Capture/Invalid/ObjectEvent_with_non_standard_disposition.json": (
        "document.invalid",
        "/epcisBody/eventList/0/disposition",
        False,
    ),
    # quantity "twenty".
    "JSON/Capture/Invalid/ObjectEvent_with_quantity_as_text.json": (
        "document.invalid",
        "/epcisBody/eventList/0/quantityList/0/quantity",
        False,
    ),
    # quantityElement member "weight" is not defined.
    "JSON/Capture/Invalid/ObjectEvent_with_unknown_field_in_quantityList.json": (
        "document.invalid",
        "/epcisBody/eventList/0/quantityList/0",
        False,
    ),
    # Neither action nor eventTime.
    "JSON/Capture/Invalid/ObjectEvent_without_action_and_eventTime.json": (
        "document.invalid",
        "/epcisBody/eventList/0",
        False,
    ),
    # ADD with no epcList, quantityList or sensor data.
    "JSON/Capture/Invalid/ObjectEvent_without_identifier_list.json": (
        "object.what-required",
        "/epcisBody/eventList/0",
        False,
    ),
    # Bare event root without action.
    "XML/Capture/Invalid/ObjectEvent_bare_event_without_action.xml": (
        "document.invalid",
        "/ObjectEvent",
        False,
    ),
    # action CREATE.
    "XML/Capture/Invalid/ObjectEvent_with_invalid_action.xml": (
        "document.invalid",
        "/EventList/ObjectEvent[1]/action",
        False,
    ),
    # eventTime "22-07-2026".
    "XML/Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.xml": (
        "document.invalid",
        "/EventList/ObjectEvent[1]/eventTime",
        False,
    ),
    # action OBSERV (near miss of OBSERVE).
    "XML/Capture/Invalid/ObjectEvent_with_near_miss_action.xml": (
        "document.invalid",
        "/EventList/ObjectEvent[1]/action",
        False,
    ),
    # Unqualified element madeUpField is neither EPCIS nor a user extension.
    "XML/Capture/Invalid/ObjectEvent_with_unknown_element.xml": (
        "document.invalid",
        "/EventList/ObjectEvent[1]/madeUpField",
        False,
    ),
    # action before eventTime: an error only in strict (XSD order) mode, see test below.
    "XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml": (
        "xml.element-order",
        "/EventList/*[1]/eventTime",
        True,
    ),
    # No eventTime.
    "XML/Capture/Invalid/ObjectEvent_without_eventTime.xml": (
        "document.invalid",
        "/EventList/ObjectEvent[1]",
        False,
    ),
}


def _corpus_root() -> Path:
    from tests.conftest import conformance_path

    return conformance_path()


def _accepted_files() -> list[str]:
    root = _corpus_root()
    found = {
        str(path.relative_to(root))
        for pattern in ACCEPTED_GLOBS
        for path in root.glob(pattern)
        if "CaptureJob" not in path.parts
    }
    return sorted(found - set(KNOWN_REJECTIONS))


def _describe(report: ValidationReport) -> str:
    return "\n".join(f"{p.rule} {p.location}: {p.message}" for p in report.errors)


@pytest.mark.parametrize("relative", _accepted_files())
def test_schema_valid_document_is_accepted(conformance_dir: Path, relative: str) -> None:
    report = validate_file(conformance_dir / relative)
    assert report.ok, _describe(report)
    assert report.syntax == ("xml" if relative.endswith(".xml") else "jsonld")


@pytest.mark.parametrize(("relative", "expected"), sorted(KNOWN_REJECTIONS.items()))
def test_known_rejection_has_exactly_its_reason(
    conformance_dir: Path, relative: str, expected: tuple[str, str]
) -> None:
    report = validate_file(conformance_dir / relative)
    assert [(p.rule, p.location) for p in report.errors] == [expected]


@pytest.mark.parametrize(("relative", "expected"), sorted(INVALID.items()))
def test_invalid_document_is_rejected_for_its_reason(
    conformance_dir: Path, relative: str, expected: tuple[str, str, bool]
) -> None:
    rule, location, strict = expected
    report = validate_file(conformance_dir / OPENEPCIS / relative, strict=strict)
    assert not report.ok
    first = report.errors[0]
    assert (first.rule, first.location.endswith(location)) == (rule, True), _describe(report)


def test_every_invalid_file_has_an_expectation(conformance_dir: Path) -> None:
    found = {
        str(path.relative_to(conformance_dir / OPENEPCIS))
        for path in (conformance_dir / OPENEPCIS).glob("*/Capture/Invalid/*")
    }
    assert found == set(INVALID)


@pytest.mark.parametrize(
    ("relative", "strict", "ok"),
    [
        # Tolerance test: out-of-order fields are read by name, so only a warning by default.
        (f"{OPENEPCIS}/XML/Capture/Documents/JumbledFieldsOrder.xml", False, True),
        # The XSD itself rejects it: strict mode agrees.
        (f"{OPENEPCIS}/XML/Capture/Documents/JumbledFieldsOrder.xml", True, False),
        # The OpenEPCIS "invalid" order file is likewise only a warning by default.
        (f"{OPENEPCIS}/XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml", False, True),
        # Epcis-qualified children in schema order: fine even in strict mode.
        (f"{OPENEPCIS}/XML/Capture/Documents/Namespace_document.xml", True, True),
    ],
)
def test_element_order_is_a_warning_unless_strict(
    conformance_dir: Path, relative: str, strict: bool, ok: bool
) -> None:
    report = validate_file(conformance_dir / relative, strict=strict)
    assert report.ok is ok
    assert all(p.rule == "xml.element-order" for p in report.problems)
