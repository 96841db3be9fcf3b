"""RFC 7807 problem documents with EPCIS exception types: ONE error shape for every response.

Every error the service answers is an ``application/problem+json`` document (RFC 7807 §3)
whose ``type`` is the EPCIS 2.0 exception (REST binding ``openapi.yaml``, components
``responses``): ``epcisException:ValidationException``, ``…:QueryParameterException``,
``…:NoSuchResourceException``, ``…:SecurityException``, ``…:CaptureLimitExceededException``,
``…:QueryTooLargeException``, ``…:NotAcceptableException``, ``…:UnsupportedMediaTypeException``,
``…:ResourceAlreadyExistsException``, ``…:ImplementationException``. The binding names no type
for ``405``; medtrace answers ``epcisException:MethodNotAllowedException`` in the same shape.

Members beyond RFC 7807's ``type``/``title``/``status``/``detail``/``instance`` (§3.2
extension members): ``parameter`` (the offending query parameter or header) and ``errors``
(the validator's problems: event index, location, value, rule).

:func:`exception_handlers` maps every exception onto that shape: medtrace's own errors by
their ``exception_type``, Litestar's HTTP exceptions by status, and anything unexpected onto a
``500`` ``ImplementationException`` that reveals nothing but a log reference (the exception
is logged with it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions import ValidationException as LitestarValidationException
from litestar.types import ExceptionHandlersMap

from medtrace.epcis.errors import (
    DocumentTooLargeError,
    EpcisError,
    EpcisValidationError,
    QueryParameterError,
)
from medtrace.epcis.validate_core import Problem as ValidationProblem
from medtrace.errors import MedtraceError
from medtrace.gs1.errors import Gs1Error

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ApiError",
    "Problem",
    "ProblemItem",
    "exception_handlers",
    "problem_response",
]

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
_PREFIX: Final = "epcisException:"
_LOG: Final = logging.getLogger("medtrace.api")

#: EPCIS exception type → (HTTP status, title).
_TYPES: Final[dict[str, tuple[int, str]]] = {
    "ValidationException": (400, "Invalid request"),
    "QueryParameterException": (400, "Invalid query parameter"),
    "QueryValidationException": (400, "Invalid query"),
    "SecurityException": (401, "Unauthorised request"),
    "NoSuchResourceException": (404, "Resource not found"),
    "MethodNotAllowedException": (405, "Method not allowed"),
    "NotAcceptableException": (406, "Not acceptable"),
    "ResourceAlreadyExistsException": (409, "Resource already exists"),
    "CaptureLimitExceededException": (413, "Capture payload too large"),
    "QueryTooLargeException": (413, "Query result too large"),
    "UnsupportedMediaTypeException": (415, "Unsupported media type"),
    "ImplementationException": (500, "A server-side error occurred"),
}
#: HTTP status → EPCIS exception type, for exceptions raised by Litestar itself.
_BY_STATUS: Final[dict[int, str]] = {
    400: "ValidationException",
    401: "SecurityException",
    403: "SecurityException",
    404: "NoSuchResourceException",
    405: "MethodNotAllowedException",
    406: "NotAcceptableException",
    409: "ResourceAlreadyExistsException",
    413: "CaptureLimitExceededException",
    415: "UnsupportedMediaTypeException",
}


class ProblemItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One finding inside a problem (a validation problem, a malformed parameter).

    ``location`` is a JSON pointer (JSON-LD) or XPath-like path (XML) into the request body,
    or ``query:<name>`` / ``header:<name>`` / ``path:<name>`` for request parameters.
    """

    message: str
    location: str | None = None
    value: str | None = None
    rule: str | None = None
    severity: str = "error"
    eventIndex: int | None = None  # noqa: N815 - JSON member name

    @classmethod
    def of(cls, problem: ValidationProblem) -> ProblemItem:
        """The item for one validator problem (``medtrace.epcis.validate``)."""
        return cls(
            message=problem.message,
            location=problem.location,
            value=problem.value,
            rule=problem.rule,
            severity=problem.severity,
            eventIndex=problem.event_index,
        )


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 7807 problem document with an EPCIS exception ``type``."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    parameter: str | None = None
    errors: tuple[ProblemItem, ...] = ()


class ApiError(Exception):
    """An error the service answers deliberately (see the module docstring).

    ``exception_type`` is the EPCIS exception name without prefix; ``status`` defaults to the
    type's usual status.
    """

    def __init__(
        self,
        exception_type: str,
        detail: str,
        *,
        status: int | None = None,
        parameter: str | None = None,
        errors: Iterable[ProblemItem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if exception_type not in _TYPES:
            raise ValueError(f"unknown EPCIS exception type {exception_type!r}")
        super().__init__(detail)
        self.exception_type = exception_type
        self.status = status if status is not None else _TYPES[exception_type][0]
        self.detail = detail
        self.parameter = parameter
        self.errors = tuple(errors)
        self.headers = dict(headers or {})


def problem_response(
    exception_type: str,
    detail: str | None,
    *,
    status: int | None = None,
    instance: str | None = None,
    parameter: str | None = None,
    errors: tuple[ProblemItem, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    """The ``application/problem+json`` response for one problem."""
    code, title = _TYPES[exception_type]
    body = Problem(
        type=_PREFIX + exception_type,
        title=title,
        status=status if status is not None else code,
        detail=detail,
        instance=instance,
        parameter=parameter,
        errors=errors,
    )
    return Response(
        body, status_code=body.status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )


def _validation_items(problems: Iterable[object]) -> tuple[ProblemItem, ...]:
    return tuple(ProblemItem.of(p) for p in problems if isinstance(p, ValidationProblem))


def _handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Problem]:
    return problem_response(
        exc.exception_type,
        exc.detail,
        status=exc.status,
        instance=request.url.path,
        parameter=exc.parameter,
        errors=exc.errors,
        headers=exc.headers,
    )


def _handle_medtrace(request: Request[Any, Any, Any], exc: MedtraceError) -> Response[Problem]:
    path = request.url.path
    if isinstance(exc, QueryParameterError):
        return problem_response(
            "QueryParameterException", str(exc), instance=path, parameter=exc.parameter
        )
    if isinstance(exc, DocumentTooLargeError):
        return problem_response("CaptureLimitExceededException", str(exc), instance=path)
    if isinstance(exc, EpcisValidationError):
        items = _validation_items(exc.problems)
        return problem_response("ValidationException", str(exc), instance=path, errors=items)
    if isinstance(exc, EpcisError):
        kind = exc.exception_type if exc.exception_type in _TYPES else "ValidationException"
        return problem_response(kind, str(exc), instance=path)
    if isinstance(exc, Gs1Error):
        return problem_response("ValidationException", str(exc), instance=path)
    return _handle_unexpected(request, exc)


def _handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    kind = _BY_STATUS.get(status)
    if kind is None:
        if status >= 500:
            return _handle_unexpected(request, exc)
        kind = "ValidationException"
    items: tuple[ProblemItem, ...] = ()
    if isinstance(exc, LitestarValidationException) and isinstance(exc.extra, list):
        items = tuple(
            ProblemItem(
                message=str(entry.get("message", "invalid value")),
                location=f"{entry.get('source', 'request')}:{entry.get('key', '')}",
            )
            for entry in exc.extra
            if isinstance(entry, dict)
        )
    return problem_response(
        kind,
        exc.detail,
        status=status,
        instance=request.url.path,
        errors=items,
        headers=exc.headers,
    )


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    reference = uuid.uuid4().hex
    _LOG.error(
        "unexpected error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(
        "ImplementationException",
        f"an unexpected error occurred on the server; it was logged with reference {reference}",
        instance=request.url.path,
    )


def exception_handlers() -> ExceptionHandlersMap:
    """The Litestar ``exception_handlers`` mapping for the whole application."""
    return {
        ApiError: _handle_api_error,
        MedtraceError: _handle_medtrace,
        HTTPException: _handle_http,
        Exception: _handle_unexpected,
    }
