"""The simulated clock: a fixed start, weeks of days, and US local time-zone offsets.

Nothing here reads the wall clock. Every simulated moment is a timezone-aware UTC
:class:`~datetime.datetime` computed from :data:`SIM_START`; the ``eventTimeZoneOffset`` of an
event (EPCIS 2.0 §7.4.1, ``±hh:mm``) is the local offset of the site where it happens, following
the US daylight-saving rule (Energy Policy Act of 2005: from 02:00 local on the second Sunday of
March to 02:00 local on the first Sunday of November).

>>> at(0, 0, 9).isoformat()
'2025-01-06T09:00:00+00:00'
>>> local_offset("Eastern", at(0, 0, 12)), local_offset("Eastern", at(26, 0, 12))
('-05:00', '-04:00')
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal, TypeAlias

__all__ = [
    "SIM_START",
    "ZONES",
    "Zone",
    "at",
    "format_offset",
    "local_offset",
    "month_end",
    "week_day",
]

SIM_START: Final = datetime(2025, 1, 6, tzinfo=UTC)
"""Monday 6 January 2025, 00:00 UTC: day 0 of week 0 of every simulation."""

Zone: TypeAlias = Literal["Eastern", "Central", "Mountain", "Pacific"]

ZONES: Final[dict[Zone, int]] = {"Eastern": -5, "Central": -6, "Mountain": -7, "Pacific": -8}
"""Standard-time UTC offsets (hours) of the US time zones the simulated sites are in."""


def at(week: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """The UTC moment ``hour:minute:second`` on ``day`` (0 = Monday) of simulated ``week``."""
    return SIM_START + timedelta(weeks=week, days=day, hours=hour, minutes=minute, seconds=second)


def week_day(week: int, day: int) -> date:
    """The calendar date of ``day`` of simulated ``week``."""
    return (SIM_START + timedelta(weeks=week, days=day)).date()


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


def _is_dst(standard_hours: int, moment: datetime) -> bool:
    """Whether US daylight saving time is in force at ``moment`` in the given zone."""
    year = moment.year
    # 02:00 local standard time on the second Sunday of March ...
    start = datetime.combine(_nth_sunday(year, 3, 2), datetime.min.time(), UTC) + timedelta(
        hours=2 - standard_hours
    )
    # ... to 02:00 local daylight time (01:00 standard) on the first Sunday of November.
    end = datetime.combine(_nth_sunday(year, 11, 1), datetime.min.time(), UTC) + timedelta(
        hours=1 - standard_hours
    )
    return start <= moment < end


def format_offset(hours: int) -> str:
    """``±hh:00`` for a whole-hour offset (EPCIS 2.0 §7.4.1 ``eventTimeZoneOffset``).

    >>> format_offset(-4), format_offset(0)
    ('-04:00', '+00:00')
    """
    sign = "-" if hours < 0 else "+"
    return f"{sign}{abs(hours):02d}:00"


def local_offset(zone: Zone, moment: datetime) -> str:
    """The local UTC offset of ``zone`` at ``moment`` (a timezone-aware UTC datetime)."""
    standard = ZONES[zone]
    return format_offset(standard + 1 if _is_dst(standard, moment) else standard)


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` (DSCSA expiry dates are commonly month-end).

    >>> month_end(2028, 2).isoformat()
    '2028-02-29'
    """
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)
