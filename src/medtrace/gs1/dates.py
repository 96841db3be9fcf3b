"""GS1 dates in YYMMDD form: expiry AI (17) and its kin 11, 12, 13, 15, 16.

GS1 General Specifications §3.4.4-§3.4.6 and §7.12:

* ``DD = 00`` means "day not given": the date is the last day of the month (for an expiry date,
  the product may be used through that day).
* The century of ``YY`` is chosen relative to the current year (§7.12): if ``YY`` minus the current
  two-digit year is 51 to 99 the date is in the previous century, if it is -99 to -50 in the next
  century, otherwise in the current century.

Equality, hashing and ordering of :class:`Gs1Date` use the pair ``(date, day_unspecified)``:
the resolved calendar date first, then, on the same date, an explicit day (``240229``) before an
unspecified one (``240200``). The two are *not* equal, because they were encoded differently, but
they compare consistently (a total order). ``yymmdd`` follows from that pair and takes no part.

>>> d = Gs1Date.parse("240200", today=datetime.date(2025, 1, 1))
>>> d.isoformat(), d.day_unspecified, str(d)
('2024-02-29', True, '240200')
>>> d.is_expired(datetime.date(2024, 2, 29)), d.is_expired(datetime.date(2024, 3, 1))
(False, True)
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from medtrace.gs1.charset import check_charset
from medtrace.gs1.errors import DateError, LengthError

_YYMMDD_LENGTH: Final = 6
_CENTURY: Final = 100
_PREVIOUS_CENTURY: Final = range(51, 100)
_NEXT_CENTURY: Final = range(-99, -49)


def resolve_year(yy: int, today: datetime.date) -> int:
    """The four-digit year of the two-digit ``yy`` as seen on ``today`` (GS1 Gen. Specs §7.12).

    >>> resolve_year(75, datetime.date(2025, 6, 1)), resolve_year(76, datetime.date(2025, 6, 1))
    (2075, 1976)
    """
    current_yy = today.year % _CENTURY
    century = today.year - current_yy
    difference = yy - current_yy
    if difference in _PREVIOUS_CENTURY:
        century -= _CENTURY
    elif difference in _NEXT_CENTURY:
        century += _CENTURY
    return century + yy


def _utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def _encode(date: datetime.date, *, day_unspecified: bool) -> str:
    day = "00" if day_unspecified else f"{date.day:02d}"
    return f"{date.year % _CENTURY:02d}{date.month:02d}{day}"


@dataclass(frozen=True, slots=True, order=True)
class Gs1Date:
    """A GS1 YYMMDD date as encoded (``yymmdd``) and as resolved (``date``).

    Build it with :meth:`parse` or :meth:`from_date`; direct construction checks that the three
    fields agree (``day_unspecified`` exactly when ``DD`` is ``00``, and then ``date`` is the last
    day of the month).

    >>> Gs1Date.from_date(datetime.date(2026, 7, 31)).yymmdd
    '260731'
    """

    yymmdd: str = field(compare=False)
    date: datetime.date
    day_unspecified: bool

    def __post_init__(self) -> None:
        if not isinstance(self.date, datetime.date) or isinstance(self.date, datetime.datetime):
            raise TypeError(f"Gs1Date.date must be a datetime.date, got {type(self.date).__name__}")
        expected = _encode(self.date, day_unspecified=self.day_unspecified)
        if self.yymmdd != expected:
            raise DateError(
                f"encoded date does not match {self.date.isoformat()} "
                f"(day unspecified: {self.day_unspecified}), expected {expected}",
                value=self.yymmdd,
            )
        last_day = calendar.monthrange(self.date.year, self.date.month)[1]
        if self.day_unspecified and self.date.day != last_day:
            raise DateError(
                f"a date with day 00 must resolve to the last day of the month, "
                f"expected {self.date.replace(day=last_day).isoformat()}, "
                f"got {self.date.isoformat()}",
                value=self.yymmdd,
            )

    @classmethod
    def parse(cls, text: str, *, ai: str = "17", today: datetime.date | None = None) -> Gs1Date:
        """Parse ``YYMMDD``; ``today`` (default: the current UTC date) anchors the century rule.

        >>> Gs1Date.parse("231301")
        Traceback (most recent call last):
        ...
        medtrace.gs1.errors.DateError: AI (17) 231301: month 13 is not valid, expected 01 to 12
        """
        return _parse_date(text, ai, today if today is not None else _utc_today())

    @classmethod
    def from_date(cls, date: datetime.date, *, day_unspecified: bool = False) -> Gs1Date:
        """The GS1 date of ``date``; with ``day_unspecified`` it is encoded as ``YYMM00``.

        With ``day_unspecified`` any day of the month may be given; the result resolves to the
        last day of that month.
        """
        if day_unspecified:
            date = date.replace(day=calendar.monthrange(date.year, date.month)[1])
        return cls(_encode(date, day_unspecified=day_unspecified), date, day_unspecified)

    def is_expired(self, on: datetime.date) -> bool:
        """Whether an expiry date has passed on ``on``: usable through the end of the day."""
        return on > self.date

    def isoformat(self) -> str:
        """The resolved date as ``YYYY-MM-DD``."""
        return self.date.isoformat()

    def __str__(self) -> str:
        return self.yymmdd


@lru_cache(maxsize=4096)
def _parse_date(text: str, ai: str, today: datetime.date) -> Gs1Date:
    """:meth:`Gs1Date.parse`, memoised: the expiry dates of a lot repeat on every pack (an
    invalid date raises and is not remembered)."""
    check_charset(text, "N", ai=ai, what="date")
    if len(text) != _YYMMDD_LENGTH:
        raise LengthError(f"date has {len(text)} digits, expected 6 (YYMMDD)", ai=ai, value=text)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    if not 1 <= mm <= 12:
        raise DateError(f"month {text[2:4]} is not valid, expected 01 to 12", ai=ai, value=text)
    year = resolve_year(yy, today)
    last_day = calendar.monthrange(year, mm)[1]
    if dd > last_day:
        raise DateError(
            f"day {text[4:]} is not valid in {year:04d}-{mm:02d}, expected 00 to {last_day:02d}",
            ai=ai,
            value=text,
        )
    unspecified = dd == 0
    return Gs1Date(text, datetime.date(year, mm, last_day if unspecified else dd), unspecified)


__all__ = ["Gs1Date", "resolve_year"]
