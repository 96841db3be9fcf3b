"""Exceptions of the GS1 toolkit.

One small tree: :class:`Gs1Error` and a subclass per rule family. Every message names the AI (when
there is one), the offending value, the rule broken and what was expected, for example::

    AI (01) 00312345678905: check digit 5 is wrong, expected 6
"""

from __future__ import annotations

from medtrace.errors import MedtraceError


class Gs1Error(MedtraceError, ValueError):
    """Base class of every GS1 data error. Also a ``ValueError`` for convenience.

    ``ai`` is the Application Identifier the value belongs to (``"01"``), when known; ``value`` is
    the offending value as given.
    """

    def __init__(self, message: str, *, ai: str | None = None, value: str | None = None) -> None:
        prefix = ""
        if ai is not None:
            prefix = f"AI ({ai}) {value}: " if value is not None else f"AI ({ai}): "
        super().__init__(prefix + message)
        self.ai = ai
        self.value = value
        self.reason = message


class CheckDigitError(Gs1Error):
    """A GS1 mod-10 check digit does not match the data (GS1 General Specifications §7.9)."""


class LengthError(Gs1Error):
    """A value is shorter or longer than its AI or key type allows."""


class CharacterSetError(Gs1Error):
    """A value holds a character outside the allowed GS1 character set (82, 39 or 64, or digits)."""


class DateError(Gs1Error):
    """A GS1 date (YYMMDD) is not a valid calendar date."""


class Gs1SyntaxError(Gs1Error):
    """The structure of a GS1 message (element string, Digital Link, EPC URN, ...) is malformed."""


class UnknownAiError(Gs1Error):
    """An Application Identifier that is not in the GS1 AI table."""


class AmbiguousError(Gs1Error):
    """The input has more than one valid reading and nothing says which is meant.

    ``candidates`` lists every reading (e.g. the three NDC segmentations of ``"0002143380"``).
    """

    def __init__(
        self,
        message: str,
        *,
        candidates: tuple[object, ...] = (),
        ai: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message, ai=ai, value=value)
        self.candidates = candidates


class CompanyPrefixError(Gs1Error):
    """The GS1 Company Prefix length needed for an EPC URN is unknown or does not fit the key."""


class BarcodeError(Gs1Error):
    """A barcode could not be rendered or no GS1 symbol could be read from an image."""


__all__ = [
    "AmbiguousError",
    "BarcodeError",
    "CharacterSetError",
    "CheckDigitError",
    "CompanyPrefixError",
    "DateError",
    "Gs1Error",
    "Gs1SyntaxError",
    "LengthError",
    "UnknownAiError",
]
