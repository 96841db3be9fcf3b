"""Exceptions of the EPCIS language layer.

Each maps onto one EPCIS 2.0 exception type (EPCIS 2.0 §8.2.7 and the REST binding's problem
types), so that the HTTP layer can answer with RFC 7807 documents without rewording:

=========================  ================================
medtrace exception         EPCIS exception type
=========================  ================================
``EpcisDocumentError``     ``ValidationException``
``UnsafeDocumentError``    ``ValidationException`` (refused before parsing further)
``DocumentTooLargeError``  ``CaptureLimitExceededException``
``EpcisValidationError``   ``ValidationException``
``QueryParameterError``    ``QueryParameterException``
=========================  ================================
"""

from __future__ import annotations

from medtrace.errors import MedtraceError


class EpcisError(MedtraceError):
    """Base class of the EPCIS language errors.

    ``location`` is where in the document the problem is: an XPath-like path for XML
    (``/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[3]/epcList/epc[2]``) or a JSON
    pointer for JSON-LD (``/epcisBody/eventList/2/epcList/1``), when known.
    """

    exception_type = "ValidationException"

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.reason = message


class EpcisDocumentError(EpcisError):
    """The document is not well-formed XML/JSON, or its structure is not EPCIS."""


class UnsafeDocumentError(EpcisDocumentError):
    """The document uses a DTD, entity declarations or external references (XXE, billion laughs)."""


class DocumentTooLargeError(EpcisDocumentError):
    """The document exceeds a configured size limit (bytes or events)."""

    exception_type = "CaptureLimitExceededException"


class EpcisValidationError(EpcisError):
    """One or more validation problems; ``problems`` holds them all."""

    def __init__(self, message: str, *, problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class QueryParameterError(EpcisError):
    """An EPCIS query parameter is unknown, malformed or has a value of the wrong type."""

    exception_type = "QueryParameterException"

    def __init__(self, message: str, *, parameter: str, value: str | None = None) -> None:
        shown = f"{parameter}={value!r}" if value is not None else parameter
        super().__init__(f"query parameter {shown}: {message}")
        self.parameter = parameter
        self.value = value
