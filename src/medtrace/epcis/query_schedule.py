"""Query schedules of subscriptions (EPCIS 2.0 §8.2.5.3 ``QuerySchedule``; REST binding
``query-schedule.json``, ``schedule`` of ``QueryScheduleSubscription`` in openapi.yaml).

Each field (``second``, ``minute``, ``hour``, ``dayOfMonth``, ``month``, ``dayOfWeek``) is a
string of the grammar ``Element ("," Element)*`` with ``Element ::= Number | "[" Number "-"
Number "]"``. A time matches the schedule when every field that is given matches it; an
omitted field matches any value (so ``{"hour": "2"}`` fires every second from 2:00:00 to
2:59:59, as the standard's own example warns). Times are evaluated in UTC (the standard lets
the service choose the time zone); ``dayOfWeek`` 1 is Monday, 7 Sunday.

>>> s = QuerySchedule.parse({"hour": "1", "minute": "5", "second": "0"})
>>> s.next_after(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)).isoformat()
'2024-05-02T01:05:00+00:00'
>>> QuerySchedule.parse({"minute": "[10-5]"})
Traceback (most recent call last):
...
medtrace.epcis.query_schedule.ScheduleError: schedule field minute='[10-5]': a range must ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from medtrace.epcis.errors import EpcisError

__all__ = ["FIELDS", "QuerySchedule", "ScheduleError"]

#: Field name → its legal range (inclusive), EPCIS 2.0 §8.2.5.3.
FIELDS: Final[dict[str, tuple[int, int]]] = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),
}
_ELEMENT: Final = re.compile(r"(?P<n>\d+)|\[(?P<lo>\d+)-(?P<hi>\d+)\]")
#: How far ahead a schedule is searched: long enough for every leap-year combination.
_HORIZON_DAYS: Final = 366 * 8


class ScheduleError(EpcisError):
    """A schedule field does not follow the grammar or leaves its legal range."""


def _values(name: str, text: str) -> frozenset[int]:
    low, high = FIELDS[name]
    found: set[int] = set()
    for element in text.split(","):
        match = _ELEMENT.fullmatch(element.strip())
        if match is None:
            raise ScheduleError(
                f"schedule field {name}={text!r}: expected numbers and [low-high] ranges "
                "separated by ','"
            )
        first = int(match["n"] or match["lo"])
        last = int(match["n"] or match["hi"])
        if first > last:
            raise ScheduleError(f"schedule field {name}={text!r}: a range must not run backwards")
        if first < low or last > high:
            raise ScheduleError(f"schedule field {name}={text!r}: values must lie in {low}..{high}")
        found.update(range(first, last + 1))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class QuerySchedule:
    """A parsed schedule: the allowed values of each field (all values when omitted)."""

    fields: Mapping[str, str]
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> QuerySchedule:
        """Parse the ``schedule`` object; :class:`ScheduleError` if invalid or never due."""
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise ScheduleError(
                f"schedule: unknown field(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}"
            )
        texts: dict[str, str] = {}
        for name, value in fields.items():
            if not isinstance(value, str):
                raise ScheduleError(f"schedule field {name}={value!r}: expected a string")
            texts[name] = value

        def allowed(name: str) -> frozenset[int]:
            low, high = FIELDS[name]
            text = texts.get(name)
            return frozenset(range(low, high + 1)) if text is None else _values(name, text)

        schedule = cls(
            fields=texts,
            seconds=allowed("second"),
            minutes=allowed("minute"),
            hours=allowed("hour"),
            days=allowed("dayOfMonth"),
            months=allowed("month"),
            weekdays=allowed("dayOfWeek"),
        )
        if schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC)) is None:
            raise ScheduleError(f"schedule {texts!r}: no date ever matches it")
        return schedule

    def _day_matches(self, day: date) -> bool:
        return (
            day.month in self.months and day.day in self.days and day.isoweekday() in self.weekdays
        )

    def _first_time(self, after: time | None) -> time | None:
        """The first matching time of day strictly after ``after`` (any when ``None``)."""
        for hour in sorted(self.hours):
            if after is not None and hour < after.hour:
                continue
            for minute in sorted(self.minutes):
                if after is not None and (hour, minute) < (after.hour, after.minute):
                    continue
                for second in sorted(self.seconds):
                    candidate = time(hour, minute, second)
                    if after is None or candidate > after:
                        return candidate
        return None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first query time strictly after ``moment`` (whole seconds, UTC), or ``None``."""
        if moment.tzinfo is None:
            raise ValueError("QuerySchedule.next_after needs a timezone-aware time")
        now = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        day = now.date()
        bound: time | None = now.time()
        for _ in range(_HORIZON_DAYS):
            if self._day_matches(day):
                found = self._first_time(bound)
                if found is not None:
                    return datetime.combine(day, found, tzinfo=UTC)
            day += timedelta(days=1)
            bound = None
        return None
