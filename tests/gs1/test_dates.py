"""Tests of GS1 YYMMDD dates (GS1 General Specifications §3.4.4-§3.4.6, §7.12)."""

from __future__ import annotations

import calendar
import datetime
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.gs1.dates import Gs1Date, resolve_year
from medtrace.gs1.errors import CharacterSetError, DateError, Gs1Error, LengthError

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "resolved", "day_unspecified"),
    [
        ("240200", date(2024, 2, 29), True),  # DD=00 in February of a leap year
        ("250200", date(2025, 2, 28), True),  # DD=00 in February of a non-leap year
        ("000200", date(2000, 2, 29), True),  # 2000 is a leap year (divisible by 400)
        ("260400", date(2026, 4, 30), True),  # 30-day month
        ("261200", date(2026, 12, 31), True),  # December
        ("240229", date(2024, 2, 29), False),  # explicit leap day
        ("270531", date(2027, 5, 31), False),  # an ordinary expiry
    ],
)
def test_parse(text: str, resolved: date, day_unspecified: bool) -> None:
    d = Gs1Date.parse(text, today=TODAY)
    assert d.yymmdd == str(d) == text
    assert d.date == resolved
    assert d.day_unspecified is day_unspecified
    assert d.isoformat() == resolved.isoformat()


@pytest.mark.parametrize(
    ("text", "today", "year"),
    [
        ("75", date(2025, 6, 1), 2075),  # difference +50: current century
        ("76", date(2025, 6, 1), 1976),  # difference +51: previous century
        ("99", date(2000, 1, 1), 1999),  # difference +99: previous century
        ("50", date(2000, 1, 1), 2050),  # difference +50 from year 00
        ("30", date(2080, 1, 1), 2130),  # difference -50: next century
        ("31", date(2080, 1, 1), 2031),  # difference -49: current century
        ("00", date(2099, 12, 31), 2100),  # difference -99: next century
        ("49", date(2099, 12, 31), 2149),  # difference -50 from year 99
        ("50", date(2099, 12, 31), 2050),  # difference -49 from year 99
        ("25", date(2025, 6, 1), 2025),  # difference 0: this year
    ],
)
def test_century_rule(text: str, today: date, year: int) -> None:
    assert Gs1Date.parse(text + "0101", today=today).date.year == year
    assert resolve_year(int(text), today) == year


def test_default_today_is_utc_now() -> None:
    this_year = datetime.datetime.now(datetime.UTC).year
    assert Gs1Date.parse(f"{this_year % 100:02d}0101").date.year == this_year


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("230230", DateError, "day 30 is not valid in 2023-02, expected 00 to 28"),  # Feb 30
        ("240230", DateError, "day 30 is not valid in 2024-02, expected 00 to 29"),  # leap Feb 30
        ("250431", DateError, "day 31 is not valid in 2025-04, expected 00 to 30"),  # April 31
        ("231301", DateError, "month 13 is not valid, expected 01 to 12"),  # month 13
        ("230001", DateError, "month 00 is not valid, expected 01 to 12"),  # month 00
        ("2301", LengthError, "date has 4 digits, expected 6 (YYMMDD)"),  # too short
        ("2301011", LengthError, "date has 7 digits, expected 6 (YYMMDD)"),  # too long
        ("23-101", CharacterSetError, "date has character '-' at position 3"),  # a hyphen
        ("", LengthError, "date has 0 digits, expected 6 (YYMMDD)"),  # empty
    ],
)
def test_parse_invalid(text: str, error: type[Gs1Error], message: str) -> None:
    with pytest.raises(error) as info:
        Gs1Date.parse(text, today=TODAY)
    assert str(info.value).startswith(f"AI (17) {text}: {message}")


def test_parse_names_the_ai() -> None:
    # a production date, AI 11
    with pytest.raises(DateError, match=r"^AI \(11\) 231301: month 13"):
        Gs1Date.parse("231301", ai="11", today=TODAY)


@pytest.mark.parametrize(
    ("expiry", "on", "expired"),
    [
        ("270531", date(2027, 5, 31), False),  # usable through the expiry day
        ("270531", date(2027, 6, 1), True),  # expired the day after
        ("270500", date(2027, 5, 31), False),  # DD=00: usable through month end
        ("270500", date(2027, 6, 1), True),  # expired after month end
        ("240200", date(2024, 2, 29), False),  # leap-year February end
        ("250200", date(2025, 3, 1), True),  # non-leap February end
        ("270531", date(2020, 1, 1), False),  # long before
    ],
)
def test_is_expired(expiry: str, on: date, expired: bool) -> None:
    assert Gs1Date.parse(expiry, today=TODAY).is_expired(on) is expired


def test_equality_and_order() -> None:
    explicit = Gs1Date.parse("240229", today=TODAY)
    unspecified = Gs1Date.parse("240200", today=TODAY)
    later = Gs1Date.parse("240301", today=TODAY)
    assert explicit != unspecified  # encoded differently, same resolved date
    assert explicit < unspecified < later  # total order: date, then explicit before unspecified
    assert sorted([later, unspecified, explicit]) == [explicit, unspecified, later]
    assert Gs1Date.parse("240229", today=TODAY) == explicit
    assert len({explicit, unspecified, Gs1Date.parse("240229", today=TODAY)}) == 2


@pytest.mark.parametrize(
    ("given_date", "day_unspecified", "yymmdd", "resolved"),
    [
        (date(2026, 7, 31), False, "260731", date(2026, 7, 31)),  # an exact day
        (date(2024, 2, 3), True, "240200", date(2024, 2, 29)),  # any day -> month end
        (date(1999, 12, 31), False, "991231", date(1999, 12, 31)),  # the previous century
    ],
)
def test_from_date(given_date: date, day_unspecified: bool, yymmdd: str, resolved: date) -> None:
    d = Gs1Date.from_date(given_date, day_unspecified=day_unspecified)
    assert (d.yymmdd, d.date, d.day_unspecified) == (yymmdd, resolved, day_unspecified)


@pytest.mark.parametrize(
    ("yymmdd", "resolved", "day_unspecified", "error"),
    [
        ("240228", date(2024, 2, 29), False, DateError),  # text and date disagree
        ("240200", date(2024, 2, 28), True, DateError),  # DD=00 must be month end
        ("240229", date(2024, 2, 29), True, DateError),  # unspecified needs DD=00
        ("240200", date(2024, 2, 29), False, DateError),  # DD=00 needs unspecified
    ],
)
def test_direct_construction_validates(
    yymmdd: str, resolved: date, day_unspecified: bool, error: type[Gs1Error]
) -> None:
    with pytest.raises(error):
        Gs1Date(yymmdd, resolved, day_unspecified)


def test_direct_construction_rejects_datetime() -> None:
    moment = datetime.datetime(2024, 2, 29, tzinfo=datetime.UTC)
    with pytest.raises(TypeError, match=r"datetime\.date"):
        Gs1Date("240229", moment, day_unspecified=False)


@st.composite
def dates_near(draw: st.DrawFn) -> tuple[Gs1Date, date]:
    """A Gs1Date and a 'today' within the century window that reads it back unchanged."""
    today = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)))
    year = draw(st.integers(min_value=today.year - 49, max_value=today.year + 50))
    month = draw(st.integers(1, 12))
    unspecified = draw(st.booleans())
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return Gs1Date.from_date(date(year, month, day), day_unspecified=unspecified), today


@given(dates_near())
def test_parse_str_round_trip(sample: tuple[Gs1Date, date]) -> None:
    d, today = sample
    assert Gs1Date.parse(str(d), today=today) == d


@given(st.integers(0, 99), st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_century_window_is_100_years(yy: int, today: date) -> None:
    year = resolve_year(yy, today)
    assert year % 100 == yy
    assert -49 <= year - today.year <= 50
