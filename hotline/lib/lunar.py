"""Birthdays by the lunar calendar (农历生日), for customer-care lists and greetings.

A customer born on 腊月三十 celebrates on the last day of the twelfth month in years where that month
has only 29 days (the same rule is applied to the 30th of any month); one born in a leap month
celebrates in the ordinary month of that number, since most years have no such leap month.
"""

from __future__ import annotations

import bisect
import datetime
from functools import lru_cache

from lunar_python import LunarYear

# A Julian day number minus this is the date's proleptic Gregorian ordinal (`datetime.date.toordinal`).
JULIAN_DAY_OF_ORDINAL_0 = 1721425


@lru_cache(maxsize=512)
def _months_of(lunar_year: int) -> tuple[tuple[int, int, int], ...]:
    """The months of a lunar year in order: (ordinal of the first day, month — negative for a leap month,
    day count). lunar_python builds a calendar object per conversion, about a millisecond each; a care
    list over 10,000 customers would make tens of thousands. A year's months are one call, kept here."""
    return tuple((month.getFirstJulianDay() - JULIAN_DAY_OF_ORDINAL_0, month.getMonth(), month.getDayCount())
                 for month in LunarYear.fromYear(lunar_year).getMonthsInYear())


def _lunar_day(solar: datetime.date) -> tuple[int, int, int]:
    """(lunar year, month — negative when leap, day) of a solar date. The lunar new year falls between
    21 January and 20 February, so the lunar year is the solar one or the one before."""
    ordinal = solar.toordinal()
    year = solar.year if ordinal >= _months_of(solar.year)[0][0] else solar.year - 1
    months = _months_of(year)
    index = bisect.bisect_right([start for start, _month, _days in months], ordinal) - 1
    start, month, _days = months[index]
    return year, month, ordinal - start + 1


def lunar_month_day(solar: datetime.date) -> tuple[int, int]:
    """The lunar (month, day) of a solar date; a leap month is given as its ordinary number."""
    _year, month, day = _lunar_day(solar)
    return abs(month), day


def lunar_year_of(solar: datetime.date) -> int:
    """The lunar year a solar date falls in."""
    return _lunar_day(solar)[0]


def lunar_to_solar(lunar_year: int, month: int, day: int) -> datetime.date:
    """The solar date of a lunar day (ordinary month), moving the 30th to the 29th when that month is short."""
    for start, number, days in _months_of(lunar_year):
        if number == month:
            return datetime.date.fromordinal(start + min(day, days) - 1)
    raise ValueError(f"lunar year {lunar_year} has no month {month}")


def next_birthday(birthday: datetime.date, lunar: bool, today: datetime.date) -> datetime.date:
    """The next date (today included) on which the customer celebrates their birthday."""
    if not lunar:
        return _next_solar_birthday(birthday, today)
    month, day = lunar_month_day(birthday)
    lunar_year = lunar_year_of(today)
    for year in (lunar_year, lunar_year + 1):
        candidate = lunar_to_solar(year, month, day)
        if candidate >= today:
            return candidate
    raise AssertionError("a lunar birthday falls within two lunar years")  # pragma: no cover


def _next_solar_birthday(birthday: datetime.date, today: datetime.date) -> datetime.date:
    for year in (today.year, today.year + 1):
        try:
            candidate = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrated on 28 February
            candidate = datetime.date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("a solar birthday falls within two years")  # pragma: no cover
